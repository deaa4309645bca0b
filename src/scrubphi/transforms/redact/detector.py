"""The free-text de-identifier behind ``{redact: text}``.

Why two passes of different kinds: structured identifiers (e-mails, phones,
dates, IDs, addresses) have shapes, so one compiled pattern
(:mod:`~scrubphi.transforms.redact.patterns`) finds them; names and places do
not, and a pattern can only find the ones it was written for.  So the second
pass turns the question round: every word of the note is looked up in
vocabularies of words *known to be safe* (English, clinical terms,
abbreviations, drug names), and a word that is in none of them is replaced
(high recall by design), unless it is one letter away from a safe word (a
misspelling: notes are full of them) and no name list has it.  Words that
are safe *and* names ("bill", "grace", "walker") are replaced only where the
context makes them names: after an honorific or a relation word, beside a
sure name, before a credential, or as part of a hospital's name.

Every surrogate is what the column transform of its kind gives the same
value (``{fake: first_name}``, ``{fake: phone_number}``, ``{date: year}``...,
see :func:`~scrubphi.transforms.redact.surrogate_specs`), so a patient's name
in a note becomes the same fake as in ``patients.last_name``.

Never logs or raises with a value.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Container
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from scrubphi._impl import kernel_fn
from scrubphi._redact_impl import redact_engine
from scrubphi.regex_cache import compile_cached
from scrubphi.transforms import dates as date_transforms
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.redact.blocks import address_blocks
from scrubphi.transforms.redact.context import (
    _suffix_words,
)
from scrubphi.transforms.redact.late import (
    HEAD_WORDS,
    LM_COLON_MAC,
    LM_DASH,
    LM_DOT_MAC,
    LM_DOT_PAIR,
    _head_starts,
    late_marks,
    late_pass,
)
from scrubphi.transforms.redact.late_cues import CUE_FORMS, CUE_WORDS, HEAD_CUES, cue_gate
from scrubphi.transforms.redact.late_firms import (
    FORM_ANY,
    FORM_CAP,
    FORM_UPPER,
    HEAD_FORMS,
    form_gate,
)
from scrubphi.transforms.redact.lookup import Lookup, normal_digits, normal_id, normal_text
from scrubphi.transforms.redact.patterns import (
    CODE_START,
    DIGIT_START,
    Patterns,
    matches_at,
    needs_web,
    pattern,
)
from scrubphi.transforms.redact.structured import (
    Finding,
    Fn,
    Spans,
    StructuredPass,
)
from scrubphi.transforms.redact.vocab import Vocab, WordSets, vocab, word_key
from scrubphi.transforms.redact.word_rules import WordRules
from scrubphi.transforms.redact.word_table import (
    TRIGGERS,
    flagged_words,
    quiet_set,
    word_sets,
    word_table,
)

if TYPE_CHECKING:
    from scrubphi._redact_fast import Engine

__all__ = ["KINDS_FOUND", "Finding", "Redactor"]

#: Kinds a finding can have (what ``Redactor.find`` reports).
KINDS_FOUND = (
    "email", "url", "ipv4", "ipv6", "ssn", "phone", "fax", "date", "mrn", "id",
    "address", "city", "zip", "age", "first_name", "last_name", "initial", "place",
)

_CACHE_LIMIT = 1 << 16
# The keys of the words that open late_cues.cue_firms (late_cues.cue_gate's).
_CUE_KEYS = CUE_WORDS | CUE_FORMS
# The late pass's anchors in the text (late.late_marks): what it can act on without a span.
_ANCHORS = LM_COLON_MAC | LM_DASH | LM_DOT_MAC | LM_DOT_PAIR

# A word: letters and digits (any script), with inner apostrophes ("O'Rourke",
# "pt's"); one with a digit in it is a code ("fio2") and stays.
_WORD = compile_cached(r"[^\W_]+(?:['\u2019][^\W_]+)*")

def _kernel_first(built: BuiltTransform) -> Callable[[str | None], str | None]:
    """``built.fn`` with its compiled kernel tried first (see ``_impl.kernel_fn``)."""
    kernel = kernel_fn(built.kernel)
    if kernel is None:
        return built.fn
    python = built.fn

    def first(value: str | None) -> str | None:
        if value is None:
            return None
        out = kernel(value)
        return python(value) if out is None else out

    return first


def _cached(fn: Callable[[str | None], str | None], cache: dict[str, str] | None = None) -> Fn:
    """``fn`` remembering its answers in ``cache`` (a new dict by default; the compiled
    scan reads a kind's own before it calls, see ``Redactor._caches``)."""
    if cache is None:
        cache = {}

    def cached(value: str) -> str:
        hit = cache.get(value)
        if hit is None:
            out = fn(value)
            assert out is not None
            hit = out
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[value] = hit
        return hit

    return cached


class Redactor(WordRules, StructuredPass):
    """Finds identifiers in text and writes surrogates; built once per column.

    ``redact(text, per_value)`` returns the text with every finding replaced;
    ``find(text)`` lists findings (positions and kinds) for tests and audits.
    """

    def __init__(
        self,
        ctx: TransformContext,
        *,
        dates: str = "year",
        days: int | None = None,
        per: str | None = None,
        column: str = "",
        lookup: Lookup | None = None,
        compiled: bool | None = None,
        as_of: str | date | None = None,
    ) -> None:
        from scrubphi.transforms import (  # circular at import time
            build_transform,
            per_shift_offset,
        )
        from scrubphi.transforms.redact import surrogate_specs

        # The compiled scan (scrubphi._redact_fast) when it is built and not switched off;
        # compiled=True insists on it, False takes the pure scan below (the twin tests).
        engine = redact_engine(compiled)
        v: WordSets
        if engine is not None:
            # The word sets as one table of bits, loaded from the per-user cache in
            # milliseconds (word_table); the pure scan needs real sets (set algebra).
            table = word_table()
            v = table.vocab
            self._words_table = table.table
            self._triggers = TRIGGERS
            self._safe: Container[str] = table.safe
            self._plain: Container[str] = table.plain
        else:
            v = vocab()
            self._words_table = None
            self._triggers, self._safe, self._plain = word_sets(v)
        self._v: WordSets = v
        self._ambiguous = v.ambiguous
        self._names = v.names
        self._first = v.first
        self._last = v.last
        self._re = _compiled(v.suffixes)
        self._suffix_words = _suffix_words(v.suffixes)
        self._dates = dates
        self._per = per is not None
        # dates: year is Safe Harbor: no year before as_of's year - 90 (the run's date
        # when the policy sets none, as {date: safe_harbor} reads it).
        if dates == "year" and isinstance(as_of, date):
            as_of = as_of.isoformat()  # as the policy writes it (specs are plain data)
        when = date_transforms.as_of_date(as_of if dates == "year" else None)
        self._floor = when.year - 90 if dates == "year" else 0
        self._this_year = when.year
        text_col = ColumnInfo(column or "text", "text")
        self._fns: dict[str, Fn] = {}
        # Each kind's surrogates met so far (what its _cached function remembers).
        self._caches: dict[str, dict[str, str]] = {}
        date_fn: Callable[..., str | None] | None = None
        for kind, spec in surrogate_specs(dates, days, per, as_of).items():
            if kind == "date":
                date_fn = build_transform(spec, ColumnInfo(column or "date", "date"), ctx).fn
                if per is not None and dates == "shift":
                    # (_shift_offset: the offset the date transform adds for a patient)
                    self._per_offset = per_shift_offset(spec, ctx)
                continue
            built = build_transform(spec, text_col, ctx)
            # With the compiled scan, the surrogate comes from the transform's kernel,
            # in C, as a column's does (the same output: the codec's twin contract), and
            # from its Python function where the kernel declines the value.
            self._caches[kind] = {}
            self._fns[kind] = _cached(_kernel_first(built) if engine is not None
                                      else built.fn, self._caches[kind])
        assert date_fn is not None
        self._date_fn = date_fn
        self._typo = lru_cache(maxsize=1 << 15)(self._is_typo)
        self._filler_key = hashlib.sha256(b"scrubphi/redact-filler\0" + ctx.key).digest()
        self._offsets = {}
        self._lookup = lookup
        # (once per lookup; the compiled scan lists the safe words from its table)
        self._flag_first, self._flag_last = flagged_words(
            lookup, lambda: table.words("safe", "ambiguous") if engine is not None
            else vocab().safe | vocab().ambiguous) if lookup else (frozenset(), frozenset())
        self._flagged = self._flag_first | self._flag_last
        self._quiet: Container[str]
        if engine is not None:
            self._quiet = table.quiet(self._flagged)
        else:
            self._quiet = quiet_set(cast(frozenset[str], self._plain),
                                    cast(Vocab, v).rare, self._flagged)
        self._handlers = self._structured_handlers()
        self._engine: Engine | None = engine(self) if engine is not None else None
        # Where the late pass's facilities' head words start: the compiled scan's one pass
        # over the text, or the pure scan's str.find walks (late._head_starts).
        self._head_starts: Callable[[str], list[int]] = _head_starts
        if self._engine is not None:
            # The same answers as _is_typo, without a str per candidate edit.
            self._typo = lru_cache(maxsize=1 << 15)(self._engine.typo)
            self._head_starts = sys.modules[type(self._engine).__module__].head_starts

    # -- public ----------------------------------------------------------------------

    def redact(self, text: str, per_value: str | None = None) -> str:
        """The text with every identifier replaced by its surrogate."""
        out = Spans(text, per_value, record=False)
        engine = self._engine
        if engine is None:
            heads = self._scan(text, out)
            late_pass(text, out, self._v.basic, self._fns, self._filler_key, heads,
                      self._v.names, late_marks(text, out.spans))
            address_blocks(text, out, self._fns, self._v.basic)
            return out.finish()
        # (the compiled scan: _scan's call, and address_blocks and Spans.finish when no
        # span was found, cost more than the scan of a short note)
        heads = engine.scan(text, out)
        marks = engine.late_marks(text, out.spans)
        # (with no span, no capitalised head word and no anchor, the late pass runs
        # nothing: a third of the nursing notes and two thirds of the generated ones)
        if out.spans or heads or marks & _ANCHORS:
            late_pass(text, out, self._v.basic, self._fns, self._filler_key, heads,
                      self._v.names, marks, self._head_starts)
        if not out.spans:
            return text
        # (blocks.address_blocks with the compiled Taken, its loop and commonest piece in C)
        engine.address_walk(text, out, self._fns, self._v.basic)
        return engine.finish(text, out.spans)

    def find(self, text: str) -> list[Finding]:
        """Every identifier found: positions (in ``text``) and kinds only."""
        out = Spans(text, None, record=True)
        heads = self._scan(text, out)
        marks = (self._engine.late_marks(text, out.spans) if self._engine is not None
                 else late_marks(text, out.spans))
        late_pass(text, out, self._v.basic, self._fns, self._filler_key, heads,
                  self._v.names, marks, self._head_starts)
        address_blocks(text, out, self._fns, self._v.basic)
        return out.findings()

    # -- the two passes --------------------------------------------------------------

    def _scan(self, text: str, out: Spans) -> int:
        """Put every finding of the two passes into ``out``; the late pass's ``heads``:
        1 when a facility's head word is written with a capital (what the late pass's
        facilities need), ``HEAD_FORMS`` when a legal form stands where
        ``late_firms.form_firms`` can read one, ``HEAD_CUES`` when a cue's word of
        ``late_cues.cue_firms`` stands in the text."""
        if self._engine is not None:
            return int(self._engine.scan(text, out))
        handlers = self._handlers
        pats = self._re
        all_tokens = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        lows = [word_key(w) for _, _, w in all_tokens]
        present = set(lows)
        if self._lookup is not None:
            self._lookup_pass(text, out)
        if needs_web(text):
            for m in pats.web.finditer(text):
                handlers[m.lastgroup or ""](m, out)
        for m in matches_at(pats.digits, text, (c.start() for c in DIGIT_START.finditer(text))):
            handlers[m.lastgroup or ""](m, out)
        for triggers, pat in pats.words:
            if not present.isdisjoint(triggers):
                starts = [all_tokens[i][0] for i, low in enumerate(lows) if low in triggers]
                for m in matches_at(pat, text, starts):
                    handlers[m.lastgroup or ""](m, out)
        codes = [c.start() for c in CODE_START.finditer(text)
                 if sum(ch.isdigit() for ch in c.group()) >= 5]
        for m in matches_at(pats.codes, text, codes):
            handlers[m.lastgroup or ""](m, out)
        if present:
            self._words(text, present, all_tokens, lows, out)
        heads = int(not present.isdisjoint(HEAD_WORDS) and any(
            low in HEAD_WORDS and word[:1].isupper()
            for (_s, _e, word), low in zip(all_tokens, lows, strict=True)))
        if not present.isdisjoint(_FORM_KEYS) and form_gate(text, all_tokens, lows, self._v.basic):
            heads |= HEAD_FORMS
        if not present.isdisjoint(_CUE_KEYS) and cue_gate(all_tokens, lows):
            heads |= HEAD_CUES
        return heads

    # -- the lookup of structured values ------------------------------------------------

    def _lookup_pass(self, text: str, out: Spans) -> None:
        """Phones, IDs, streets and towns that the policy's columns hold, in any format."""
        lookup = self._lookup
        assert lookup is not None
        fns = self._fns
        if lookup.sets["phone"] or lookup.sets["id"]:
            for m in _DIGIT_RUN.finditer(text):
                value = m.group()
                digits = normal_digits(value)
                if len(digits) >= 7 and lookup.has("phone", digits):
                    out.put(*m.span(), "phone", fns["phone"](value), priority=0)
                elif lookup.has("id", normal_id(value)):
                    out.put(*m.span(), "id", fns["mrn"](value), priority=0)
            if lookup.sets["id"]:
                for m in _CODE.finditer(text):
                    if lookup.has("id", normal_id(m.group())):
                        out.put(*m.span(), "id", fns["mrn"](m.group()), priority=0)
        for kind, pattern_, fn in (("street", _STREET_RUN, fns["address"]),
                                   ("city", _TITLE_RUN, fns["city"])):
            if not lookup.sets[kind]:
                continue
            for m in pattern_.finditer(text):
                # The longest run of words from the start that the lookup has.
                words = list(_SPACE_RUN.finditer(m.group()))
                for k in range(len(words), 0, -1):
                    end = m.start() + words[k - 1].end()
                    value = text[m.start() : end]
                    if lookup.has(kind, normal_text(value)):
                        out.put(m.start(), end, "address" if kind == "street" else "city",
                                fn(value), priority=0)
                        break

# -- helpers ---------------------------------------------------------------------------

_FORM_KEYS = FORM_UPPER | FORM_CAP | FORM_ANY


# Runs a lookup checks: digit groups (phones, record numbers), codes mixing letters
# and digits, a house number and the words after it, capitalised words (towns).
_DIGIT_RUN = compile_cached(r"(?<![\w+])\+?\(?\d[\d(). -]{2,22}\d(?![\w])|(?<![\w+])\d{4,}(?!\w)")
_CODE = compile_cached(
    r"(?<![\w-])(?=[A-Za-z-]*\d)(?=\d*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{3,}(?![\w-])")
_STREET_RUN = compile_cached(r"(?<![\w])\d{1,6}[A-Za-z]?(?:[ ]+[A-Za-z][\w'.-]*){1,6}")
_TITLE_RUN = compile_cached(r"(?<![\w])[A-Z][\w'.-]*(?:[ ]+[A-Z][\w'.-]*){0,3}")
_SPACE_RUN = compile_cached(r"\S+")


@lru_cache(maxsize=4)
def _compiled(suffixes: tuple[str, ...]) -> Patterns:
    return pattern(suffixes)
