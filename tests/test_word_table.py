"""The compiled scan's word table (``_redact_fast.WordTable``) against the sets it stands for.

The compiled redactor no longer loads the vocabulary as Python sets: it asks a
table of words and bitmasks, kept in the per-user cache as bytes
(``word_table.word_table``).  Every answer must be the answer of the set the
pure scan uses, and a damaged or foreign entry must be refused and rebuilt,
never read: a word slipped into a safe set would let a name through.
"""

from __future__ import annotations

import hashlib
import marshal
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubphi import _redact_impl
from scrubphi.transforms.redact import detector
from scrubphi.transforms.redact.vocab import vocab
from scrubphi.transforms.redact.word_table import (
    VOCAB_SETS,
    quiet_set,
    table_sets,
    word_sets,
    word_table,
)

pytestmark = pytest.mark.skipif(_redact_impl._COMPILED is None,
                                reason="the compiled scan is not built")


def _expected() -> dict[str, frozenset[str]]:
    v = vocab()
    _t, safe, plain = word_sets(v)
    out = {name: getattr(v, name) for name in VOCAB_SETS}
    out.update(redactor_safe=safe, plain=plain, quiet=quiet_set(plain, v.rare, frozenset()))
    return out


def test_every_set_of_the_table_is_the_set_it_stands_for() -> None:
    table = word_table()
    for name, words in _expected().items():
        assert table.table.words(table.bits[name]) == words, name


_WORDS = sorted(vocab().safe)[::211] + sorted(vocab().names)[::17] + sorted(vocab().places)[::37]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.sampled_from(_WORDS), st.text(max_size=12),
                 st.sampled_from(_WORDS).map(lambda w: w + "s"),
                 st.sampled_from(_WORDS).map(lambda w: w[:-1])))
def test_membership_is_the_sets(word: str) -> None:
    table = word_table()
    expected = _expected_cached()
    for name, words in expected.items():
        assert (word in table.table.view(table.bits[name])) == (word in words), name
    assert (word in table.quiet(frozenset({word}))) is False
    assert (word in table.vocab.places) == (word in vocab().places)


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    _expected_cached()


_CACHE: dict[str, dict[str, frozenset[str]]] = {}


def _expected_cached() -> dict[str, frozenset[str]]:
    if "x" not in _CACHE:
        _CACHE["x"] = _expected()
    return _CACHE["x"]


def _blob() -> bytes:
    from scrubphi._redact_fast import TABLE_BITS, build_word_table

    return build_word_table(table_sets(vocab(), TABLE_BITS))


def test_damaged_blobs_are_refused() -> None:
    from scrubphi._redact_fast import WordTable, build_word_table

    blob = build_word_table([(frozenset({"alpha", "beta"}), 1)])
    assert WordTable(blob).of("alpha") == 1 and WordTable(blob).of("gamma") == 0
    nslots = struct.unpack_from("=Q", blob, 8)[0]
    bad = [
        b"", blob[:20], b"XXXXXXXX" + blob[8:], blob[:-1], blob + b"x",
        blob[:8] + struct.pack("=Q", nslots + 1) + blob[16:],  # not a power of two
    ]
    # an offset past the arena
    lens_at = 24 + 8 * nslots
    used = next(j for j in range(nslots) if struct.unpack_from("=H", blob, lens_at + 2 * j)[0])
    broken = bytearray(blob)
    struct.pack_into("=I", broken, 24 + 4 * nslots + 4 * used, 1 << 30)
    bad.append(bytes(broken))
    # no empty slot: a look-up of a missing word would never end
    full = bytearray(blob)
    for j in range(nslots):
        struct.pack_into("=H", full, lens_at + 2 * j, 1)
        struct.pack_into("=I", full, 24 + 4 * nslots + 4 * j, 0)
    bad.append(bytes(full))
    for b in bad:
        with pytest.raises(ValueError):
            WordTable(b)


def test_a_damaged_cache_entry_is_rebuilt_not_read(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    word_table.cache_clear()
    try:
        first = word_table()
        (entry,) = tmp_path.glob("wordtable-*.marshal")
        digest, blob, suffixes = marshal.loads(entry.read_bytes())
        assert hashlib.sha256(blob).digest() == digest
        # "smith" slipped into the safe words, the digest left as it was: refused
        smith = _expected_cached()["safe"] | {"zzsmithzz"}
        from scrubphi._redact_fast import TABLE_BITS, build_word_table

        sets = [(smith if bit == TABLE_BITS["safe"] else words, bit)
                for words, bit in table_sets(vocab(), TABLE_BITS)]
        entry.write_bytes(marshal.dumps((digest, build_word_table(sets), suffixes)))
        entry.chmod(0o600)
        word_table.cache_clear()
        again = word_table()
        assert "zzsmithzz" not in again.vocab.safe
        assert again.table.words(TABLE_BITS["safe"]) == first.table.words(TABLE_BITS["safe"])
        # a consistent digest but an entry someone else may write: not read either
        forged = build_word_table(sets)
        entry.write_bytes(marshal.dumps((hashlib.sha256(forged).digest(), forged, suffixes)))
        entry.chmod(0o666)
        word_table.cache_clear()
        assert "zzsmithzz" not in word_table().vocab.safe
    finally:
        word_table.cache_clear()


def test_the_compiled_redactor_uses_the_table_the_pure_one_the_sets() -> None:
    from scrubphi.transforms.base import TransformContext

    ctx = TransformContext(key=b"word-table-test-key-0123456789ab")
    fast = detector.Redactor(ctx, compiled=True)
    pure = detector.Redactor(ctx, compiled=False)
    assert fast._words_table is not None and pure._words_table is None
    assert isinstance(pure._safe, frozenset)
    text = "Seen by Dr. Walker in Baltimore; son bill called, hospiatal ventelated."
    assert fast.redact(text) == pure.redact(text)


def test_a_lookup_lists_the_same_safe_words_from_the_table() -> None:
    """With a lookup the compiled redactor lists the safe and ambiguous words from its
    table (not by loading the sets): the same words."""
    v = vocab()
    assert word_table().words("safe", "ambiguous") == v.safe | v.ambiguous
