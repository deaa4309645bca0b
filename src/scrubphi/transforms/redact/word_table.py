"""The redactor's word sets, and the compiled scan's table of them.

Why a module of its own: both scans ask the same questions of a word (is it
safe, a name, a place, a trigger of a context rule?).  The pure scan asks
Python sets, which :func:`word_sets` computes once per vocabulary; the
compiled scan asks one table of bits (:class:`~scrubphi._redact_fast.WordTable`),
which :func:`word_table` builds from exactly those sets and keeps in the
per-user cache of derived data, so a process loads it in milliseconds.
``tests/test_word_table.py`` holds every bit to its set.

Never logs or raises with a value.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from scrubphi.transforms.redact.context import (
    _CREDENTIALS,
    _EPONYM_PLACES,
    _FEATURES,
    _HONORIFICS,
    _PLACE_WORDS,
    _RELATIONS,
    _ROLE_WORDS,
    _SAINTS,
    _STREET_TYPES,
    _UNIVERSITY,
    _VISIT_VERBS,
    _WORK_WORDS,
)
from scrubphi.transforms.redact.lookup import Lookup
from scrubphi.transforms.redact.patterns import WORD_TRIGGERS
from scrubphi.transforms.redact.vocab import Vocab, vocab, vocab_inputs

__all__ = ["TRIGGERS", "VOCAB_SETS", "Table", "flagged_words", "quiet_set", "table_sets",
           "word_sets", "word_table"]


# Words whose neighbours a rule looks at ("to", "at" before "GH" are found from
# the abbreviation's side: see word_rules._hospital_abbrevs).
TRIGGERS = frozenset(_HONORIFICS | _RELATIONS | _CREDENTIALS | _PLACE_WORDS | _SAINTS
                     | _FEATURES | _STREET_TYPES | _UNIVERSITY | _WORK_WORDS | _ROLE_WORDS
                     | _EPONYM_PLACES | _VISIT_VERBS)


@lru_cache(maxsize=2)
def word_sets(v: Vocab) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Triggers, safe and plain words: computed once per vocabulary, not per column.

    Why cached: the set operations run over the whole vocabulary (hundreds of
    thousands of words, a tenth of a second), and a policy may redact many
    columns.
    """
    triggers = TRIGGERS
    # Context words are safe themselves ("Dr", "dtr", "RRT"), and so are the label
    # words of the pattern pass ("Acct", "MRN", "Fax").
    safe = frozenset(v.safe | ((triggers | WORD_TRIGGERS) - v.names))
    # Place names are classified (a capital inside a sentence makes one a place).
    plain = safe.difference(v.ambiguous, triggers, v.places)  # one copy, not three
    return frozenset(triggers), safe, plain


@lru_cache(maxsize=4)
def quiet_set(plain: frozenset[str], rare: frozenset[str],
               flagged: frozenset[str]) -> frozenset[str]:
    """Safe, common words no lookup holds: the words a scan passes over (cached)."""
    return frozenset(plain - rare - flagged)


def flagged_words(lookup: Lookup, safe_words: Callable[[], frozenset[str]]
             ) -> tuple[frozenset[str], frozenset[str]]:
    """The safe words that the lookup holds as first or last names (once per lookup).

    Words no safe list has are replaced anyway; a name that is a safe word
    ("Hope", "Walker") is replaced only because the lookup says so.
    ``safe_words()`` is the vocabulary's safe and ambiguous words.
    """
    if lookup.flagged is None:
        words = safe_words()
        first = frozenset(w for w in words if lookup.has("first_name", w)) \
            if lookup.sets["first_name"] else frozenset()
        last = frozenset(w for w in words if lookup.has("last_name", w)) \
            if lookup.sets["last_name"] else frozenset()
        lookup.flagged = (first, last)
    return lookup.flagged




class Table:
    """The vocabulary and the redactor's own sets as one :class:`~scrubphi._redact_fast.WordTable`
    (the compiled scan's): ``vocab`` answers ``word in vocab.places`` like a
    :class:`Vocab` does, without a Python set."""

    def __init__(self, table: Any, suffixes: tuple[str, ...]) -> None:
        from scrubphi._redact_fast import TABLE_BITS

        self.table = table
        self.bits: dict[str, int] = TABLE_BITS
        views = {name: table.view(TABLE_BITS[name]) for name in VOCAB_SETS}
        self.vocab = TableVocab(suffixes=suffixes, **views)
        self.safe = table.view(TABLE_BITS["redactor_safe"])
        self.plain = table.view(TABLE_BITS["plain"])

    def words(self, *names: str) -> frozenset[str]:
        """The words of the sets ``names`` (their union), as a frozenset."""
        mask = 0
        for name in names:
            mask |= self.bits[name]
        return cast(frozenset[str], self.table.words(mask))

    def quiet(self, flagged: frozenset[str]) -> Container[str]:
        """``quiet_set``: plain, not rare, not flagged by a lookup."""
        return cast(Container[str], self.table.view(self.bits["quiet"], flagged))


VOCAB_SETS = ("safe", "common", "rare", "prefixes", "basic", "ambiguous", "first", "last",
               "names", "places")


class TableVocab:
    """A :class:`Vocab` whose sets are views of a word table (membership only)."""

    def __init__(self, suffixes: tuple[str, ...], **views: Container[str]) -> None:
        self.suffixes = suffixes
        self.safe = views["safe"]
        self.common = views["common"]
        self.rare = views["rare"]
        self.prefixes = views["prefixes"]
        self.basic = views["basic"]
        self.ambiguous = views["ambiguous"]
        self.first = views["first"]
        self.last = views["last"]
        self.names = views["names"]
        self.places = views["places"]


def table_sets(v: Vocab, bits: dict[str, int]) -> list[tuple[frozenset[str], int]]:
    """Each set the table holds and its bit: exactly the sets of the pure scan."""
    _triggers, safe, plain = word_sets(v)
    sets = [(getattr(v, name), bits[name]) for name in VOCAB_SETS]
    sets += [(safe, bits["redactor_safe"]), (plain, bits["plain"]),
             (quiet_set(plain, v.rare, frozenset()), bits["quiet"])]
    return sets


@lru_cache(maxsize=1)
def word_table() -> Table:
    """The compiled scan's word table: once per process, mapped read-only from the
    per-user cache of derived data when it has an entry for these lists, this code
    and this layout (:func:`scrubphi.derived_cache.read_mapped`), else built and
    stored there.

    Why mapped: the entry is 9 MB; reading, unmarshalling (a copy) and hashing it
    took 30 ms of every run with a ``{redact: text}`` column, mapping it and
    checking its checksum (``buffer_checksum``: any change within one 8-byte word
    changes it) takes 1-2.  What guards the scan against a damaged or foreign
    entry: the cache's trust checks (a regular file of the user's that no one else
    may write, no symlink followed), the header's payload length and checksum (a
    truncated entry or a changed byte is refused and rebuilt), atomic writes, and
    :class:`~scrubphi._redact_fast.WordTable`'s own layout check (every slot inside
    the buffer, an empty slot somewhere: no look-up reads outside it or runs
    forever, whatever the bytes)."""
    import sys

    from scrubphi._redact_fast import (
        TABLE_BITS,
        TABLE_LAYOUT,
        WordTable,
        buffer_checksum,
        build_word_table,
    )
    from scrubphi.derived_cache import entry_path, read_mapped, write_mapped

    inputs = [
        *vocab_inputs(),
        Path(__file__).read_bytes(),  # word_sets and table_sets
        f"{TABLE_LAYOUT}\0{sys.byteorder}\0{sorted(TABLE_BITS.items())}".encode(),
        "\n".join(sorted(TRIGGERS)).encode(),
        "\n".join(sorted(WORD_TRIGGERS)).encode(),
    ]
    path = entry_path("wordtable", inputs, ".table")
    if path is not None:
        payload = read_mapped(path, buffer_checksum)
        if payload is not None:
            try:
                return Table(*_from_payload(payload, WordTable))
            except (ValueError, UnicodeDecodeError):  # a foreign entry is rebuilt
                pass  # (the map is unmapped with its last reference)
    v = vocab()
    blob = build_word_table(table_sets(v, TABLE_BITS))
    if path is not None:
        write_mapped(path, _payload(blob, v.suffixes), checksum=buffer_checksum)
    return Table(WordTable(blob), v.suffixes)


def _payload(blob: bytes, suffixes: tuple[str, ...]) -> bytes:
    """An entry's payload: the table's length (8 bytes, so the table starts 8-aligned
    after the 32-byte header), the table, the street suffixes one a line."""
    return len(blob).to_bytes(8, "little") + blob + "\n".join(suffixes).encode()


def _from_payload(payload: memoryview, word_table_type: Any) -> tuple[Any, tuple[str, ...]]:
    """The table (over the mapped bytes, not a copy) and the suffixes of a payload;
    ValueError when it is not one."""
    if len(payload) < 8:
        raise ValueError("not a word table entry")
    size = int.from_bytes(payload[:8], "little")
    if size > len(payload) - 8:
        raise ValueError("not a word table entry")
    text = bytes(payload[8 + size:]).decode("utf-8")
    suffixes = tuple(text.split("\n")) if text else ()
    return word_table_type(payload[8:8 + size]), suffixes
