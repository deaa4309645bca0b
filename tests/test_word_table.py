"""The compiled scan's word table (``_redact_fast.WordTable``) against the sets it stands for.

The compiled redactor no longer loads the vocabulary as Python sets: it asks a
table of words and bitmasks, kept in the per-user cache as bytes
(``word_table.word_table``).  Every answer must be the answer of the set the
pure scan uses, and a damaged or foreign entry must be refused and rebuilt,
never read: a word slipped into a safe set would let a name through.
"""

from __future__ import annotations

import os
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


def _entry_of(folder: Path) -> Path:
    (entry,) = folder.glob("wordtable-*.table")
    return entry


def _smith_table() -> bytes:
    """The table with "zzsmithzz" slipped into the safe words."""
    from scrubphi._redact_fast import TABLE_BITS, build_word_table

    smith = _expected_cached()["safe"] | {"zzsmithzz"}
    return build_word_table([(smith if bit == TABLE_BITS["safe"] else words, bit)
                             for words, bit in table_sets(vocab(), TABLE_BITS)])


def _fresh(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(folder))
    word_table.cache_clear()


def _safe_words_of(folder: Path, monkeypatch: pytest.MonkeyPatch) -> frozenset[str]:
    from scrubphi._redact_fast import TABLE_BITS

    _fresh(monkeypatch, folder)
    return word_table().table.words(TABLE_BITS["safe"])  # type: ignore[no-any-return]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh cache folder holding a word table entry written by a first run."""
    _fresh(monkeypatch, tmp_path)
    word_table()
    yield tmp_path
    word_table.cache_clear()


def test_the_entry_is_mapped_and_read_back_as_built(cache: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry_of(cache)
    assert oct(entry.stat().st_mode & 0o777) == oct(0o600)
    written = entry.stat().st_mtime_ns
    built = word_table()
    _fresh(monkeypatch, cache)
    mapped = word_table()
    assert not isinstance(mapped.table.blob, memoryview)
    assert mapped.table.blob == built.table.blob
    assert mapped.vocab.suffixes == built.vocab.suffixes == vocab().suffixes
    assert _entry_of(cache) == entry and entry.stat().st_mtime_ns == written  # read, not written


def test_a_truncated_or_grown_entry_is_rebuilt(cache: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry_of(cache)
    good = entry.read_bytes()
    for damaged in (good[:-1], good[: len(good) // 2], good[:40], good[:5], b"", good + b"\0"):
        entry.write_bytes(damaged)
        entry.chmod(0o600)
        assert _safe_words_of(cache, monkeypatch) == _expected_cached()["safe"]
        assert _entry_of(cache).read_bytes() == good  # written again whole


def test_a_flipped_byte_anywhere_is_rebuilt(cache: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed byte in the header, the slots, the bits, the words or the suffixes
    fails the checksum (or the header), so the entry is built again."""
    entry = _entry_of(cache)
    good = entry.read_bytes()
    for at in (0, 9, 20, 33, 41, 1000, len(good) // 2, len(good) - 2, len(good) - 1):
        damaged = bytearray(good)
        damaged[at] ^= 0x10
        entry.write_bytes(bytes(damaged))
        entry.chmod(0o600)
        assert _safe_words_of(cache, monkeypatch) == _expected_cached()["safe"], at
        assert _entry_of(cache).read_bytes() == good


def test_a_name_made_safe_in_place_is_refused(cache: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A name's safe bit set in the entry, its header and checksum left as they were:
    refused."""
    from scrubphi._redact_fast import TABLE_BITS

    entry = _entry_of(cache)
    good = entry.read_bytes()
    table = good[40:40 + int.from_bytes(good[32:40], "little")]
    nslots = struct.unpack_from("=Q", table, 8)[0]
    name = min(vocab().names - vocab().safe)
    raw = name.encode()
    base = 24 + 12 * nslots  # the words' bytes (a word may also occur inside another)
    offs = memoryview(table)[24 + 4 * nslots:24 + 8 * nslots].cast("I").tolist()
    lens = memoryview(table)[24 + 8 * nslots:24 + 10 * nslots].cast("H").tolist()
    slot = next(j for j in range(nslots)
                if lens[j] == len(raw) and table[base + offs[j]:base + offs[j] + len(raw)] == raw)
    bits_at = 40 + 24 + 10 * nslots + 2 * slot
    damaged = bytearray(good)
    struct.pack_into("=H", damaged, bits_at,
                     struct.unpack_from("=H", good, bits_at)[0] | TABLE_BITS["safe"])
    entry.write_bytes(bytes(damaged))
    entry.chmod(0o600)
    assert name not in _safe_words_of(cache, monkeypatch)
    assert _entry_of(cache).read_bytes() == good


def _forge(entry: Path) -> None:
    """A consistent entry (header, length, checksum) holding the table with "zzsmithzz"."""
    from scrubphi._redact_fast import buffer_checksum
    from scrubphi.derived_cache import write_mapped
    from scrubphi.transforms.redact.word_table import _payload

    write_mapped(entry, _payload(_smith_table(), vocab().suffixes), checksum=buffer_checksum)


def test_a_consistent_entry_others_may_write_is_not_read(cache: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry_of(cache)
    _forge(entry)
    assert "zzsmithzz" in _safe_words_of(cache, monkeypatch)  # (the forgery is well formed)
    for mode in (0o620, 0o602, 0o666):
        _forge(entry)
        entry.chmod(mode)
        assert "zzsmithzz" not in _safe_words_of(cache, monkeypatch), oct(mode)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a file to another user")
def test_a_consistent_entry_of_another_user_is_not_read(cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry_of(cache)
    _forge(entry)
    os.chown(entry, 4242, -1)
    assert "zzsmithzz" not in _safe_words_of(cache, monkeypatch)


def test_a_symlinked_entry_is_not_followed(cache: Path, tmp_path_factory: pytest.TempPathFactory,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry_of(cache)
    planted = tmp_path_factory.mktemp("planted") / entry.name
    _forge(planted)
    entry.unlink()
    entry.symlink_to(planted)
    assert "zzsmithzz" not in _safe_words_of(cache, monkeypatch)
    assert not _entry_of(cache).is_symlink()


def test_a_new_list_stamp_builds_a_new_entry(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """The key is the lists' names, sizes and times (and the code): a list touched
    (a new install) gives a new entry; older ones beyond KEEP are removed."""
    from scrubphi import derived_cache
    from scrubphi.transforms.redact import vocab as vocab_module

    data = tmp_path_factory.mktemp("lists")
    for f in vocab_module._DATA.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(vocab_module, "_DATA", data)
    before = set(cache.glob("wordtable-*.table"))
    for n in range(derived_cache.KEEP + 2):
        os.utime(data / "places.txt", ns=(10**18 + n, 10**18 + n))
        _fresh(monkeypatch, cache)
        word_table()
        assert len(set(cache.glob("wordtable-*.table")) - before) == min(n + 1, derived_cache.KEEP)
    assert len(list(cache.glob("wordtable-*.table"))) == derived_cache.KEEP


def test_no_cache_when_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", "off")
    word_table.cache_clear()
    try:
        assert word_table().table.words(word_table().bits["safe"]) == _expected_cached()["safe"]
        assert list(tmp_path.rglob("*")) == []
    finally:
        word_table.cache_clear()


def test_a_table_over_a_read_only_map_answers_as_over_bytes(cache: Path) -> None:
    from scrubphi._redact_fast import WordTable, buffer_checksum
    from scrubphi.derived_cache import read_mapped

    assert read_mapped(_entry_of(cache)) is None  # (written with the table's checksum)
    payload = read_mapped(_entry_of(cache), buffer_checksum)
    assert payload is not None and payload.readonly
    size = int.from_bytes(payload[:8], "little")
    mapped = WordTable(payload[8:8 + size])
    copied = WordTable(bytes(payload[8:8 + size]))
    for word in [*_WORDS[:500], "zzsmithzz", "", "Smith"]:
        assert mapped.of(word) == copied.of(word)
    with pytest.raises(TypeError):
        WordTable("not a buffer")  # type: ignore[arg-type]


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


def test_the_checksum_sees_every_flipped_bit_and_the_length() -> None:
    import random

    from scrubphi._redact_fast import buffer_checksum

    rng = random.Random(7)
    data = bytes(rng.getrandbits(8) for _ in range(4099))  # 128 blocks of 32 and a tail
    base = buffer_checksum(data)
    assert base == buffer_checksum(memoryview(data)) == buffer_checksum(bytearray(data))
    for at in [*range(0, 64), *range(4000, 4099), *rng.sample(range(len(data)), 300)]:
        for bit in range(8):
            flipped = bytearray(data)
            flipped[at] ^= 1 << bit
            assert buffer_checksum(flipped) != base, (at, bit)
    sums = {buffer_checksum(b"\0" * n) for n in range(200)}
    assert len(sums) == 200
    with pytest.raises(TypeError):
        buffer_checksum("text")  # type: ignore[arg-type]


def test_a_program_that_redacts_exits_quietly(tmp_path: Path) -> None:
    """At interpreter exit the garbage collector cleared the memoryview whose buffer the
    table held: every program that redacted (the library's users; the CLI freezes its
    objects) printed "Exception ignored in tp_clear ... BufferError" on stderr. Twice:
    the first run builds the cache entry, the second maps it."""
    import subprocess
    import sys

    code = ("from scrubphi.transforms import build_transform\n"
            "from scrubphi.transforms.base import ColumnInfo, TransformContext\n"
            "from scrubphi.policy.model import TransformSpec\n"
            "fn = build_transform(TransformSpec('redact', {'mode': 'text', 'dates': 'year'}),"
            " ColumnInfo('n', 'text'), TransformContext(key=b'k' * 32)).fn\n"
            "print(fn('Seen by Dr Smith on 3/4') != 'Seen by Dr Smith on 3/4')\n")
    env = {**os.environ, "SCRUBPHI_CACHE_DIR": str(tmp_path)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env)
        assert (done.returncode, done.stdout, done.stderr) == (0, b"True\n", b"")
