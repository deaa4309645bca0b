"""The pure scan's word rules: which words of a note are names and places.

Why a module of its own: :mod:`~scrubphi.transforms.redact.detector` runs the
passes (patterns, the lookup, the late pass, address blocks); this is the
second pass of the pure scan, the one that turns the question round.  Every
word is classified on its own (:meth:`WordRules._classify`: safe, a name, a
place, ambiguous, unknown), then the context rules of :meth:`WordRules._decide`
read the words beside it (titles, relations, credentials, places,
organisations, streets, pairs of names).  The compiled scan
(``_redact_fast.pyx``, ``_redact_rules.pxi``) is its twin and reads the
context words from this module; ``tests/test_redact_twins.py`` holds the two to
the same output.

Never logs or raises with a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from typing import cast

from scrubphi.transforms.names import case_like, title_key
from scrubphi.transforms.redact.context import (
    _CREDENTIALS,
    _DOTTED_FORMS,
    _EPONYM_PLACES,
    _FEATURES,
    _FIRM_ANDS,
    _FIRM_CLOSERS,
    _GENERIC_PLACE,
    _HONORIFICS,
    _HOSPITAL_WORDS,
    _LEGAL_ABBREVS,
    _LEGAL_FORMS,
    _LONGEST_WORD,
    _MEDICAL_ENDINGS,
    _NAME_PARTICLES,
    _NOT_EMPLOYERS,
    _NOT_HOSPITALS,
    _ORG_PREPS,
    _ORG_WORDS,
    _PATIENT_LABELS,
    _PERSON_NEXT,
    _PLACE_LINKS,
    _PLACE_NAME_PARTS,
    _PLACE_PREFIXES,
    _PLACE_PREPS,
    _PLACE_WORDS,
    _RELATIONS,
    _ROLE_PREPS,
    _ROLE_WORDS,
    _SAINTS,
    _STREET_TYPES,
    _SUFFIXES,
    _UNIVERSITY,
    _VISIT_VERBS,
    _VOWELS,
    _WEAK_HONORIFICS,
    _WORK_PREPS,
    _WORK_WORDS,
)
from scrubphi.transforms.redact.pairs import lower_name_pairs
from scrubphi.transforms.redact.patterns import (
    AFTER_TYPES,
    FIRST_TYPES,
)
from scrubphi.transforms.redact.structured import (
    Fn,
    Spans,
    digits_like,
    place_fake,
)
from scrubphi.transforms.redact.vocab import STOP, WordSets

#: Words that never open or close a "first name, surname" pair of everyday words: the
#: context words of titles, relations, places and organisations, whose own rules read
#: the words beside them ("Dr Will", "Port Hope", "Rose Hospital", "Dale Street").
_PAIR_NOT_FIRST = (_HONORIFICS | _RELATIONS | _CREDENTIALS | _PLACE_PREFIXES | _SAINTS
                   | _STREET_TYPES | _PLACE_WORDS | _NAME_PARTICLES)
_PAIR_NOT_LAST = (_STREET_TYPES | _PLACE_WORDS | _FEATURES | _ORG_WORDS | _LEGAL_FORMS
                  | _HOSPITAL_WORDS | _CREDENTIALS | _NAME_PARTICLES)

# A word glued to a ward's or a room's number ("QUARTERMAIN7", "quartermain2"): the
# letters are classified as a word; any other word with a digit is a code ("fio2").
_GLUED = re.compile(r"([^\W\d_]{7,})\d{1,2}")

_KEEP, _NAME, _AMBIG, _PLACE, _UNKNOWN = range(5)

# Street types written after the name, as words ("kapu" of "Tornai kapu 17."): the
# number after one is the house number.
_AFTER_TYPE_WORDS = frozenset(t.rstrip(".") for t in AFTER_TYPES)
# Street types written first and abbreviated, as words with the character after them
# ("ul." of "ul. Sosnowa 12", "C/" of "C/ Mayor 4").
_ABBR_FIRST_TYPES = frozenset(t for t in FIRST_TYPES if t.endswith((".", "/")))
_ABBR_FIRST_WORDS = frozenset(t[:-1] for t in _ABBR_FIRST_TYPES)



_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _edits1(word: str) -> set[str]:
    """Every string one edit (delete, swap, replace, insert) away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
    out.update(a + c + b[1:] for a, b in splits if b for c in _LETTERS)
    out.update(a + c + b for a, b in splits for c in _LETTERS)
    return out



class WordRules:
    """The word pass of the pure scan, mixed into
    :class:`~scrubphi.transforms.redact.detector.Redactor` (which sets these up)."""

    _v: WordSets
    _safe: Container[str]
    _plain: Container[str]
    _triggers: frozenset[str]
    _quiet: Container[str]
    _flagged: frozenset[str]
    _flag_first: frozenset[str]
    _flag_last: frozenset[str]
    _ambiguous: Container[str]
    _names: Container[str]
    _first: Container[str]
    _last: Container[str]
    _suffix_words: frozenset[str]
    _fns: dict[str, Fn]
    _typo: Callable[[str], bool]

    def _words(self, text: str, present: set[str], all_tokens: list[tuple[int, int, str]],
               lows: list[str], out: Spans) -> None:
        suspects = present - cast(frozenset[str], self._safe)  # the pure scan: sets
        if not suspects and present.isdisjoint(self._triggers) and \
                present.isdisjoint(self._flagged) and not _hospital_abbrevs(lows):
            # A capitalised place or rare word can be a proper noun ("from Cyprus").
            quiet = self._quiet
            if all(low in quiet or not word[:1].isupper()
                   for (_s, _e, word), low in zip(all_tokens, lows, strict=True)):
                return
        tokens, keys = all_tokens, lows
        if out.spans:
            covered = sorted((s, e) for s, _, e, _, _ in out.spans)
            tokens, keys = [], []
            ci = 0
            for token, low in zip(all_tokens, lows, strict=True):
                start, end = token[0], token[1]
                while ci < len(covered) and covered[ci][1] <= start:
                    ci += 1
                if ci < len(covered) and covered[ci][0] < end:
                    continue  # inside a structured finding
                tokens.append(token)
                keys.append(low)
        else:
            keys = list(lows)
        self._decide(text, keys, tokens, out)

    def _is_typo(self, word: str) -> bool:
        """A misspelling of a common word: one edit away from one."""
        if not 5 <= len(word) <= _LONGEST_WORD or not word.isascii():
            return False
        common = self._v.common
        return any(w in common for w in _edits1(word))

    def _classify(self, key: str, word: str, mixed: bool) -> int:
        """What a word is on its own: KEEP, AMBIG, NAME (a name list has it) or UNKNOWN."""
        return self._classify_title(key, mixed and word[:1].isupper() and not upper_word(word))

    def _classify_title(self, key: str, title: bool) -> int:
        """:meth:`_classify`, told whether the word has a capital that means something
        (the compiled scan caches the answer per word)."""
        if title and key in self._v.places:
            return _UNKNOWN  # "Cyprus", "Baltimore": a town's or country's name, capitalised
        if key in self._ambiguous:
            return _AMBIG
        if key in self._safe:
            return _KEEP
        if any(c.isdigit() for c in key):
            glued = _GLUED.fullmatch(key)
            if glued is not None and self._classify_title(glued.group(1), False) == _UNKNOWN:
                return _UNKNOWN  # a name no list has, glued to a number: "quartermain2"
            return _KEEP  # "fio2", "q4h", "mso4": codes, decided by the pattern pass
        if key in self._names:
            return _NAME
        v = self._v
        if key.endswith(_MEDICAL_ENDINGS) and len(key) > 6:
            return _KEEP  # "Cardiology", "cholecystitis": word-formation of medicine
        if title and key in v.rare:
            return _UNKNOWN  # a capitalised rare word inside a sentence: "Cyprus"
        if key.isascii() and len(key) <= 5 and not (_VOWELS & set(key)):
            return _KEEP  # "DRNG", "NBP", "sxn": no English name lacks every vowel
        if not title and key.isascii():
            if len(key) <= 3 and key[-1:] != "h" and key[-2:] != "mc":
                # "IAB", "oet", "VNA": an abbreviation no list has (not "gh", which
                # names a hospital: see _hospital_abbrevs)
                return _KEEP
            # Truncations ("resp", "amts") and misspellings of everyday words.
            if key.endswith("s") and key[:-1] in v.safe and key[:-1] not in self._names:
                return _KEEP
            if 3 <= len(key) <= 5 and key in v.prefixes:
                return _KEEP
            if self._typo(key) or self._derived(key):
                return _KEEP
        return _UNKNOWN

    def _derived(self, key: str) -> bool:
        """An everyday word with a suffix ("dopplerable", "sedated")."""
        common = self._v.common
        for suffix in _SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 4:
                stem = key[: -len(suffix)]
                if stem in common or stem + "e" in common:
                    return True
        return False

    def _decide(self, text: str, lows: list[str], tokens: list[tuple[int, int, str]],
                out: Spans) -> None:
        n = len(tokens)
        v = self._v
        # Both cases in the text (a capital then means something); in C, not per character.
        mixed = text.upper() != text and text.lower() != text
        state = [0] * n
        plain = self._plain
        flagged = self._flagged
        rare = v.rare
        keys = lows
        ends = [t[1] for t in tokens]
        quiet = self._quiet
        # Most words are safe, common and not in the lookup: they stay as they are.
        for i in [i for i, key in enumerate(lows) if key not in quiet]:
            start, end, word = tokens[i]
            key = keys[i]
            if "'" in key or "\u2019" in key:
                base, _, tail = key.replace("\u2019", "'").rpartition("'")
                if tail in ("s", "t", "ll", "re", "ve", "d", "m", "ed", "ing", "es", "ng",
                            "g", "n") and (base in v.safe or not base):
                    key = base
                elif tail == "s":
                    key = base
                    end -= 2
                keys[i] = key
                ends[i] = end
            if key in flagged and (not word.islower() or key not in v.basic):
                state[i] = _NAME  # a value of the policy's name columns (the lookup)
                continue
            if key in plain or (not key.isalpha() and not key.replace("'", "").isalpha()
                                and not _GLUED.fullmatch(key)):
                # Safe words and codes ("fio2", "q4h") stay: the common case. But a
                # rare word with a capital inside a sentence is a proper noun ("Cyprus").
                if not (mixed and key in rare and word[:1].isupper() and not word.isupper()
                        and not _starts(text, start)):
                    continue
                state[i] = _UNKNOWN
                continue
            # (a gazetteer's place is a place at a sentence's start too: "Norway leader")
            state[i] = self._classify(key, word[: end - start],
                                      mixed and (key in v.places or not _starts(text, start)))
        # A name in lower case: "patty hoeller" (a first name, a surname kept as a typo)
        lower_name_pairs(text, keys, tokens, state, v.first, plain, STOP, self._triggers)
        sure = (_NAME, _UNKNOWN)
        triggers = self._triggers
        suffixes = self._suffix_words
        # Only words near a suspect, an ambiguous word or a context word can change:
        # the rules below look at most four words away.
        # Ambiguous words never act by themselves: a context word or a sure name near
        # them does, and its window covers them.
        seeds = [i for i in range(n) if (state[i] and state[i] != _AMBIG) or keys[i] in triggers]
        seeds += _hospital_abbrevs(keys)
        # An initial with its dot ("d. renna") makes the next word a name.
        seeds += [i for i, k in enumerate(keys) if len(k) == 1 and text[tokens[i][1]:
                                                                         tokens[i][1] + 1] == "."]
        # A capital letter after a first name: a middle initial ("Brad L Key").
        seeds += [i for i in range(1, n) if len(keys[i]) == 1 and tokens[i][2].isupper()
                  and keys[i - 1] in v.first]
        # A first name called by it between a comma and "?" or "!": "Remember me, Randy?"
        # ... or before a colon, speaking: "Ella: What a wife."
        seeds += [i for i, k in enumerate(keys) if k in v.first and
                  text[tokens[i][1]:tokens[i][1] + 1] in ("?", "!", ":")]
        # A capitalised word opening a sentence before a person's verb: "Brenna lives on"
        seeds += [i for i in range(n - 1) if keys[i + 1] in _PERSON_NEXT
                  and tokens[i][2].istitle() and _starts(text, tokens[i][0])]
        # A first name then a surname, both capitalised: "John Smith", each also a word
        if mixed:
            seeds += [i for i in range(n - 1) if keys[i] in v.first and keys[i + 1] in v.last
                      and tokens[i][2].istitle() and tokens[i + 1][2].istitle()]
        # A place prefix and a name after a place's preposition: "from New Heather"
        seeds += [i for i in range(1, n - 1) if keys[i] in _PLACE_PREFIXES
                  and keys[i - 1] in _PLACE_PREPS and state[i + 1] == _AMBIG
                  and tokens[i][2].istitle() and tokens[i + 1][2].istitle()]
        # Surnames that are words, joined by "and": "Stone, Bishop and Walker"
        seeds += [i for i in range(1, n - 1) if keys[i] == "and" and keys[i - 1] in v.last
                  and keys[i + 1] in v.last and tokens[i - 1][2].istitle()
                  and tokens[i + 1][2].istitle()]
        if not seeds:
            return
        window = sorted({j for i in seeds for j in range(max(0, i - 4), min(n, i + 5))})

        def near(i: int, j: int, allow: str = " ") -> bool:
            a, b = (i, j) if i < j else (j, i)
            return _gap_ok(text, tokens[a][1], tokens[b][0], allow)

        def nameish(j: int) -> bool:
            """A word that context can make a name: not everyday English, or a name."""
            key = keys[j]
            return len(key) > 1 and key.isalpha() and key not in STOP and key not in triggers and (
                state[j] in sure or state[j] == _AMBIG or key not in v.basic)

        for _ in range(2):
            for i in window:
                key = keys[i]
                word = tokens[i][2]
                if key in _EPONYM_PLACES and mixed and i > 0 and word.istitle() and \
                        word.isalpha() and keys[i - 1] in _PLACE_PREPS and \
                        tokens[i - 1][2].islower() and near(i - 1, i) and (
                            i + 1 == n or not near(i, i + 1) or keys[i + 1] in STOP):
                    # a town an eponym has too, after a place's preposition and before
                    # the clause's end or a stop word: "moved to Philadelphia.", "in
                    # Miami with" (not "in Miami J collar")
                    state[i] = _PLACE
                if key in _ORG_PREPS and mixed and word.islower() and i + 2 < n:
                    # "a year at Quill Point in Tarvik": capitalised words after "at",
                    # "for", "from", "with", closed by "in" and a place, name an
                    # organisation (not at a sentence's start)
                    k = i + 1
                    while k < n and k - i <= 3 and near(k - 1, k) and \
                            tokens[k][2].istitle() and keys[k].isalpha() and \
                            keys[k] not in STOP and state[k] != _PLACE:
                        k += 1
                    if i + 1 < k < n - 1 and tokens[k][2] == "in" and near(k - 1, k) and \
                            near(k, k + 1) and tokens[k + 1][2][:1].isupper() and \
                            (state[k + 1] in sure or state[k + 1] == _PLACE) and \
                            not _starts(text, tokens[i + 1][0]):
                        for j in range(i + 1, k):
                            if state[j] not in sure:
                                state[j] = _PLACE
                if key in _WORK_WORDS and mixed and i + 2 < n and keys[i + 1] in _WORK_PREPS \
                        and tokens[i + 1][2].islower() and near(i, i + 1):
                    # an employer after a work word: "I work for Capital Cube", "employed
                    # by Walk Score" (its capitalised words, up to three)
                    k = i + 2
                    while k < n and k - i <= 4 and near(k - 1, k) and \
                            tokens[k][2].istitle() and keys[k].isalpha() and \
                            keys[k] not in STOP and (keys[k] not in triggers
                                                     or keys[k] in _ORG_WORDS):
                        if state[k] not in sure:
                            state[k] = _PLACE
                        k += 1
                p = (i + 2 if i + 2 < n and keys[i + 1] in ("is", "was", "are") and
                     near(i, i + 1) else i + 1) if key in _ROLE_WORDS else n
                if mixed and p + 1 < n and keys[p] in _ROLE_PREPS \
                        and tokens[p][2].islower() and near(p - 1, p):
                    # an employer or an insurer after a role word: "the CEO of Capital
                    # Cube", "retired from Bethlehem Steel", "insurance is through Blue
                    # Shield"; not a service's or a programme's words ("President of
                    # Medical Staff", "hired by Nursing Home")
                    k = p + 1
                    while k < n and k - p <= 3 and near(k - 1, k) and \
                            tokens[k][2].istitle() and keys[k].isalpha() and \
                            keys[k] not in STOP and (keys[k] not in triggers
                                                     or keys[k] in _ORG_WORDS):
                        k += 1
                    if not any(keys[j] in _NOT_EMPLOYERS for j in range(p + 1, k)):
                        for j in range(p + 1, k):
                            if state[j] not in sure:
                                state[j] = _PLACE
                if key in _PATIENT_LABELS and i + 2 < n and near(i, i + 1, ": ") and \
                        ":" in text[tokens[i][1]:tokens[i + 1][0]] and \
                        near(i + 1, i + 2, ", ") and text[tokens[i + 1][1]] == "," and \
                        keys[i + 2] in v.first and state[i + 2] in sure and \
                        tokens[i + 1][2][:1].isupper() and keys[i + 1].isalpha() and \
                        len(keys[i + 1]) > 1 and keys[i + 1] not in STOP and \
                        state[i + 1] != _PLACE and \
                        keys[i + 1] in v.last and state[i + 1] not in sure and \
                        _same_case(tokens[i + 1][2], tokens[i + 2][2]):
                    # "Patient: Smith, Anna", "Pt: BAKER, JOHN": a surname, a comma and
                    # a sure first name written alike after the label, the surname a
                    # surname too (one no list has is replaced anyway; not "Patient:
                    # Alert, oriented", "Pt: Stable, Will follow", "Patient: Agitated,
                    # Mary at bedside")
                    state[i + 1] = _NAME
                if key in _HONORIFICS and i + 1 < n and near(i, i + 1, ". "):
                    j = i + 1
                    strong = key not in _WEAK_HONORIFICS or (
                        mixed and word[:1].isupper() and not word.isupper()
                    ) or text[tokens[i][1]] == "."
                    if keys[j] not in STOP and state[j] != _PLACE and (strong or nameish(j)):
                        state[j] = max(state[j], _NAME) if state[j] in sure else _NAME
                        if j + 1 < n and near(j, j + 1, " -") and nameish(j + 1) \
                                and _same_case(tokens[j][2], tokens[j + 1][2]):
                            state[j + 1] = _NAME if state[j + 1] not in sure else state[j + 1]
                elif key in _RELATIONS and i + 1 < n and near(i, i + 1, ":,-() "):
                    j = i + 1
                    if key in ("name", "names") and keys[j] in ("is", "was", "are") and \
                            j + 1 < n and near(j, j + 1):
                        j += 1  # "my name is Martin", "maiden name was Key"
                    # "son bill", "Sons Smokey, Morris and Roger", "daughter-KRISSY"
                    while j < n and state[j] != _PLACE and keys[j] not in STOP and (
                            (nameish(j) and (not mixed or tokens[j][2][:1].isupper()
                                             or state[j] in sure or keys[j] in v.first))
                            or (mixed and keys[j].isalpha() and tokens[j][2].istitle())):
                        if state[j] not in sure:
                            state[j] = _NAME
                        k = j + 1
                        if k < n and keys[k] == "and" and near(j, k, ", "):
                            k += 1
                        elif not (k < n and near(j, k, ",") and text[tokens[j][1]] == ","):
                            break
                        if k >= n or not near(k - 1, k, ", "):
                            break
                        j = k
                elif key in _CREDENTIALS and (word.isupper() or not mixed):
                    # "Q. LANDER RRT", "DAN A. FORMAN-LYONS, RRT", "Carole Hayes, RN"
                    j = i - 1
                    gap = ", "
                    # At the end of a line the credential signs a note: the words before
                    # it are a name even when they are words ("Q. LANDER RRT").
                    signs = not text[tokens[i][1]:tokens[i][1] + 3].strip(" \t.,")[:1].isalnum()
                    # A full stop between two words ends a sentence unless it is an
                    # initial's ("WHEEZES. JON DEVAUX RRT": not "WHEEZES").
                    while j >= 0 and i - j <= 4 and near(j, j + 1, gap) and (
                            len(keys[j]) == 1 or "." not in text[tokens[j][1]:tokens[j + 1][0]]
                    ) and (
                            nameish(j) or (len(keys[j]) == 1 and keys[j].isalpha() and j < i - 1)
                            or (signs and keys[j].isalpha() and keys[j] not in STOP
                                and not tokens[j][2].islower() and keys[j] not in triggers)
                            # after an initial, in any case: "q. lander rrt"
                            or (j > 0 and len(keys[j - 1]) == 1 and keys[j - 1].isalpha()
                                and text[tokens[j - 1][1]] == "." and keys[j].isalpha()
                                and keys[j] not in STOP and keys[j] not in triggers)
                    ) and keys[j] not in _CREDENTIALS:
                        if len(keys[j]) > 1 and state[j] not in sure:
                            state[j] = _NAME
                        gap = ". -"
                        j -= 1
                    # "per NP Carol", "MD Saeed"
                    if i + 1 < n and near(i, i + 1) and nameish(i + 1) and \
                            state[i + 1] != _PLACE and not word.islower() and \
                            not tokens[i + 1][2].islower():
                        state[i + 1] = _NAME
                elif key in _PLACE_WORDS and i > 0:
                    # "Union Memorial", "UNION HOSPITAL", "sacred heart hospital": the word
                    # right before a hospital word names it unless it is generic; one
                    # more before it too when it looks like a name.
                    j = i - 1
                    while j >= 0 and i - j <= 3 and near(j, j + 1) and \
                            keys[j] not in STOP and (keys[j] not in _PLACE_WORDS
                                                     or keys[j] in _PLACE_NAME_PARTS) and \
                            keys[j] not in _GENERIC_PLACE and keys[j].isalpha() and (
                                (mixed and tokens[j][2][:1].isupper()
                                 and not tokens[j][2].isupper()) or nameish(j)
                                or keys[j] in _SAINTS
                                # "sacred heart Memorial", "st joseph hospital"
                                or (j > 0 and keys[j - 1] in _SAINTS
                                    and near(j - 1, j, ". ") and keys[j] not in STOP)
                                or (j == i - 1 and key in _HOSPITAL_WORDS
                                    and (tokens[j][2].isupper() or not mixed))):
                        if state[j] not in sure:
                            state[j] = _PLACE
                        j -= 1
                    if j < i - 1 and key in _PLACE_NAME_PARTS and (
                            key not in _ORG_WORDS or word[:1].isupper()
                            or (key in _LEGAL_FORMS and j < i - 2)):
                        # ("recheck labs": an organisation's word is part of its
                        # name only when written with a capital, a legal form in
                        # any case after a name of two words: "orvell
                        # kestrane inc."; not "drip inc.", increased)
                        state[i] = _PLACE
                elif key in _FEATURES and i > 0 and near(i - 1, i) and \
                        keys[i - 1].isalpha() and keys[i - 1] not in STOP and (
                            (mixed and tokens[i - 1][2].istitle() and word.istitle())
                            or state[i - 1] in sure or state[i - 1] == _PLACE
                            or (keys[i - 1] in _PLACE_PREFIXES and not word.islower()
                                and _same_case(tokens[i - 1][2], word))):
                    # "Franklin Square", "Daytona Beach", "Eastern Shore", "EASTERN SHORE"
                    if state[i - 1] not in sure:
                        state[i - 1] = _PLACE
                    state[i] = _PLACE
                elif key in _STREET_TYPES and i + 1 < n and near(i, i + 1) and (
                        word.istitle() or _lower_type(text, keys, tokens, i, mixed)) and \
                        keys[i + 1].isalpha() and (
                            tokens[i + 1][2][:1].isupper() or keys[i + 1] in _NAME_PARTICLES):
                    # "Via Franscini 71", "Rue de la Gare", "Calle Mayor"
                    state[i] = _PLACE
                    j = i + 1
                    while j < n and j - i <= 3 and near(j - 1, j) and keys[j].isalpha() and (
                            tokens[j][2][:1].isupper() or keys[j] in _NAME_PARTICLES):
                        state[j] = _PLACE
                        j += 1
                elif key in _UNIVERSITY and not word.islower() and i + 1 < n:
                    # "U Maryland", "Univ. of Michigan": a university named by its place.
                    j = i + 1
                    if keys[j] == "of" and j + 1 < n and near(j, j + 1):
                        j += 1
                    if near(i, i + 1, ". ") and state[j] in sure and \
                            tokens[j][2][:1].isupper():
                        state[i] = state[j] = _PLACE
                elif key in _SAINTS and i + 1 < n and len(keys[i + 1]) > 2 and \
                        near(i, i + 1, ". ") and \
                        " " in text[tokens[i][1]:tokens[i + 1][0]] and \
                        (word[:1].isupper() or not mixed) and \
                        keys[i + 1] not in _PLACE_WORDS and keys[i + 1] not in STOP and (
                            (mixed and tokens[i + 1][2][:1].isupper()) or nameish(i + 1)):
                    state[i] = state[i + 1] = _PLACE  # "St. Mary's", "ST. AGNES"
                elif key in _PLACE_PREPS and i + 1 < n and near(i, i + 1, " "):
                    # "REFERRED TO GH", "followed at gh", "from the VAMC", "by GBMC"
                    j = i + 1
                    if keys[j] == "the" and j + 1 < n and near(j, j + 1):
                        j += 1
                    abbrev = keys[j]
                    if 2 <= len(abbrev) <= 5 and abbrev not in _NOT_HOSPITALS and \
                            (abbrev.endswith("h") or abbrev.endswith("mc")) and \
                            (abbrev not in v.basic or len(abbrev) <= 3) and \
                            (tokens[j][2].isupper() or not mixed or len(abbrev) == 2):
                        state[j] = _PLACE
                elif key in _PLACE_PREFIXES and mixed and i + 1 < n and near(i, i + 1) and \
                        word.istitle() and tokens[i + 1][2].istitle() and \
                        (state[i + 1] in sure or state[i + 1] == _PLACE):
                    state[i] = _PLACE  # "New Zealand", "South Africa", "Port Whangarei"
                elif key in _PLACE_PREFIXES and mixed and 0 < i < n - 1 and near(i, i + 1) and \
                        word.istitle() and tokens[i + 1][2].istitle() and \
                        state[i + 1] == _AMBIG and keys[i - 1] in _PLACE_PREPS and \
                        tokens[i - 1][2].islower() and near(i - 1, i):
                    # a place prefix and a name after a place's preposition: "moved from
                    # New Heather", "lives in Lake Hazel"
                    state[i] = _PLACE
                    state[i + 1] = _PLACE
                elif key in suffixes and mixed and i > 0 and len(key) >= 4 and \
                        word.istitle() and near(i - 1, i) and keys[i - 1].isalpha() and \
                        tokens[i - 1][2][:1].isupper() and \
                        (state[i - 1] in sure or state[i - 1] == _PLACE) and \
                        state[i] in (_KEEP, _AMBIG):
                    state[i] = _PLACE  # a street named without its number: "Inna Loop"
                si = state[i]
                if si != _KEEP and si != _AMBIG:
                    continue
                if key in _LEGAL_ABBREVS and mixed and not word.islower() and i > 0 and \
                        near(i - 1, i) and keys[i - 1].isalpha() and (
                            (tokens[i - 1][2][:1].isupper() and state[i - 1] in sure)
                            or state[i - 1] == _PLACE):
                    # a legal form that is an abbreviation too, after a name: "Gustafsson
                    # AB", "Hug AG", "Balogh és társa Kkt"
                    state[i] = _PLACE
                    continue
                if mixed and len(key) == 1 and key.isascii() and key.isalpha() and \
                        0 < i < n - 1 and text[tokens[i][1]] in "./" and near(i - 1, i) and \
                        tokens[i - 1][2][:1].isupper() and keys[i - 1].isalpha() and \
                        (state[i - 1] in sure or state[i - 1] == _PLACE):
                    # a legal form written with dots after a name: "Blaha s.r.o.", "Colas
                    # S.A.", "Pellico S.p.A." (its letters go as initials)
                    joined, k, upto = key, i, -1
                    while k + 1 < n and k + 1 - i <= 4 and len(keys[k + 1]) == 1 and \
                            keys[k + 1].isascii() and keys[k + 1].isalpha() and \
                            text[tokens[k][1]:tokens[k + 1][0]] == text[tokens[i][1]]:
                        k += 1
                        joined += keys[k]
                        if joined in _DOTTED_FORMS:
                            upto = k
                    if upto > 0:
                        for j in range(i, upto + 1):
                            state[j] = _PLACE
                        continue
                if key in _FIRM_CLOSERS and mixed and i > 1 and (
                        word.istitle() or (keys[i - 1] != "and" and word.islower())):
                    # a firm named by its owner and what follows "and": "Martin and
                    # Sons", "Widmer & Partner", "Barracco e figli", "Lemoine et Fils"
                    if text[tokens[i - 1][1]:tokens[i][0]] == " & ":
                        o = i - 1
                    elif keys[i - 1] in _FIRM_ANDS and tokens[i - 1][2].islower() and \
                            near(i - 2, i - 1) and near(i - 1, i):
                        o = i - 2
                    else:
                        o = -1
                    if o >= 0 and tokens[o][2].istitle() and keys[o].isalpha() and (
                            state[o] in sure or state[o] == _PLACE
                            or (state[o] == _AMBIG and keys[o] in v.last)):
                        if state[o] not in sure:
                            state[o] = _NAME
                        state[i] = _PLACE
                        continue
                if si == _AMBIG and mixed and word.istitle() and key in v.last and i + 3 < n and \
                        text[tokens[i][1]:tokens[i + 1][0]] == ", " and \
                        tokens[i + 1][2].istitle() and state[i + 1] in sure and \
                        keys[i + 2] == "and" and near(i + 1, i + 2) and near(i + 2, i + 3) and \
                        tokens[i + 3][2].istitle() and (state[i + 3] in sure or (
                            state[i + 3] == _AMBIG and keys[i + 3] in v.last)):
                    state[i] = _NAME  # a firm's first partner: "Long, Castaneda and Castillo"
                    continue
                if key in _NAME_PARTICLES and key not in STOP and mixed and word.islower() and \
                        0 < i < n - 1:
                    # (up to two more particles after it: "Milan van de Ven", "Henri
                    # Becker de la Noël")
                    k = i + 1
                    while k < n - 1 and k - i <= 2 and keys[k] in _NAME_PARTICLES and \
                            tokens[k][2].islower() and near(k - 1, k):
                        k += 1
                    if state[i - 1] in sure and \
                            tokens[i - 1][2].istitle() and keys[i - 1].isalpha() and \
                            near(i - 1, i) and near(k - 1, k) and tokens[k][2].istitle() and \
                            keys[k].isalpha() and len(keys[k]) > 1 and \
                            keys[k] not in STOP and keys[k] not in triggers and \
                            state[k] != _PLACE:
                        # A particle between a name and a capitalised word: "Annelies ten
                        # Bos", "Joana da Costa" (the particle and the word are the name's).
                        for j in range(i, k):
                            state[j] = _NAME
                        if state[k] not in sure:
                            state[k] = _NAME
                        continue
                hyphen = 0 < i < n - 1 and text[tokens[i - 1][1]:tokens[i][0]] == "-"
                if mixed and word.islower() and 0 < i < n - 1 and (
                        key in _PLACE_LINKS or (key in _NAME_PARTICLES and (
                            state[i - 1] == _PLACE or keys[i - 1] in v.places or hyphen))) and \
                        tokens[i - 1][2][:1].isupper() and keys[i - 1].isalpha() and \
                        (state[i - 1] in sure or state[i - 1] == _PLACE) and near(i - 1, i, " -"):
                    # a town's name of several words: "Saalfelden am Steinernen Meer",
                    # "Raabs an der Thaya", "Sorocaba do Oeste", "Legros-les-Bains",
                    # "Louvain-la-Neuve" (between hyphens, any particle and word)
                    k = i + 1
                    if k < n - 1 and (keys[k] in _PLACE_LINKS or keys[k] in _NAME_PARTICLES) \
                            and tokens[k][2].islower() and near(i, k, " -"):
                        k += 1
                    if near(k - 1, k, " -") and tokens[k][2][:1].isupper() and \
                            keys[k].isalpha() and keys[k] not in STOP and \
                            keys[k] not in triggers and (nameish(k) or (
                                hyphen and text[tokens[k - 1][1]:tokens[k][0]] == "-")):
                        for j in range(i, k):
                            state[j] = _PLACE
                        if state[k] not in sure:
                            state[k] = _PLACE
                        continue
                if mixed and key in v.first and word.islower() and \
                        key not in STOP and key not in triggers and i + 1 < n and \
                        keys[i + 1] in _VISIT_VERBS and tokens[i + 1][2].islower() and \
                        near(i, i + 1) and _starts(text, tokens[i][0]):
                    # A first name in lower case opening a clause before a visit's or a
                    # call's verb, an everyday word too: "social: bill called once" (in
                    # title case it stays without a lookup: "Hope visited.")
                    state[i] = _NAME
                    continue
                if mixed and word.istitle() and key not in v.basic and nameish(i) and \
                        i + 1 < n and keys[i + 1] in _PERSON_NEXT and \
                        _gap_ok(text, tokens[i][1], tokens[i + 1][0], ", ") and \
                        _starts(text, tokens[i][0]):
                    # A sentence opened by a word that is not everyday English, before
                    # a person's verb or a name's comma: "Brenna lives on", "Tovald, can I"
                    state[i] = _NAME
                    continue
                if mixed and i + 1 < n and keys[i + 1] in _RELATIONS and \
                        word[:1].isupper() and word.endswith(("'s", "\u2019s")) and \
                        nameish(i) and near(i, i + 1):
                    state[i] = _NAME  # a possessive before a relation: "Hope's daughter"
                    ends[i] = tokens[i][1] - 2  # (the "'s" stays)
                    continue
                if i > 0 and word.istitle() and keys[i].isalpha() and \
                        text[tokens[i - 1][1]:tokens[i][0]] == " (" and \
                        text[tokens[i][1]:tokens[i][1] + 1] == ")" and \
                        keys[i - 1] in v.places and _place_like(state[i - 1], tokens[i - 1][2]):
                    state[i] = _PLACE  # a place's qualifier: "Belgium (Flemish)"
                    continue
                if i > 0 and i + 2 < n and si == _AMBIG and word.istitle() and key in v.last and \
                        keys[i + 1] == "and" and near(i, i + 1) and near(i + 1, i + 2) and \
                        text[tokens[i - 1][1]:tokens[i][0]] == ", " and \
                        tokens[i - 1][2].istitle() and keys[i - 1] in v.last and \
                        (state[i - 1] == _AMBIG or state[i - 1] in sure) and \
                        tokens[i + 2][2].istitle() and keys[i + 2] in v.last and \
                        (state[i + 2] == _AMBIG or state[i + 2] in sure):
                    # Three surnames, "A, B and C": a firm named by its partners, each
                    # also a word ("Stone, Bishop and Walker")
                    for j in (i - 1, i, i + 2):
                        if state[j] not in sure:
                            state[j] = _NAME
                    continue
                if i + 1 < n and word in _ABBR_FIRST_WORDS and \
                        text[tokens[i][0]:tokens[i][1] + 1] in _ABBR_FIRST_TYPES and \
                        near(i, i + 1, "./ ") and tokens[i + 1][2][:1].isupper() and \
                        (state[i + 1] in sure or state[i + 1] == _PLACE):
                    state[i] = _PLACE  # a street type written first, abbreviated: "ul. Sosnowa"
                    continue
                if si == _AMBIG and key in v.last and keys[i].isalpha() and (
                        (i > 0 and state[i - 1] in sure and keys[i - 1].isalpha()
                         and text[tokens[i - 1][1]:tokens[i][0]] == "-"
                         and _same_case(tokens[i - 1][2], word))
                        or (i + 1 < n and state[i + 1] in sure and keys[i + 1].isalpha()
                            and text[tokens[i][1]:tokens[i + 1][0]] == "-"
                            and _same_case(word, tokens[i + 1][2]))):
                    state[i] = _NAME  # half of a double-barrelled name: "alvarado-white"
                    continue
                if mixed and (word.islower() or word.istitle()) and i > 0 and \
                        state[i - 1] in sure and tokens[i - 1][2].istitle() and \
                        keys[i - 1].isalpha() and keys[i].isalpha() and \
                        text[tokens[i - 1][1]:tokens[i][0]] == "-" and nameish(i):
                    # the second half of a double-barrelled name after a capitalised
                    # name, in lower case ("Retterer-moore", "Hauta-aho") or one letter
                    # from a word, which a hyphen's capital did not make a name
                    # ("Schandl-Weigl", "Ravn-Bruun")
                    state[i] = _NAME
                    continue
                if len(key) == 1 and mixed and word.isupper() and 0 < i < n - 1 and \
                        near(i - 1, i) and near(i, i + 1) and keys[i - 1] in v.first and \
                        tokens[i - 1][2].istitle() and tokens[i + 1][2].istitle() and \
                        len(keys[i + 1]) > 1 and keys[i + 1].isalpha() and (
                            keys[i + 1] in v.last or state[i + 1] in sure
                            or (state[i + 1] == _KEEP and keys[i + 1] not in v.basic)) and \
                        keys[i + 1] not in STOP and keys[i + 1] not in triggers and \
                        state[i - 1] != _PLACE and state[i + 1] != _PLACE:
                    # A first name, a middle initial without its dot, a surname: "Brad L
                    # Key", "Daniela C Capon" (the initial goes as one between two names).
                    if state[i - 1] not in sure:
                        state[i - 1] = _NAME
                    if state[i + 1] not in sure:
                        state[i + 1] = _NAME
                    continue
                if mixed and i + 1 < n and word.istitle() and tokens[i + 1][2].istitle() and \
                        key in v.first and keys[i + 1] in v.last and key.isalpha() and \
                        keys[i + 1].isalpha() and len(key) > 1 and len(keys[i + 1]) > 1 and \
                        text[tokens[i][1]:tokens[i + 1][0]] == " " and \
                        state[i + 1] in (_KEEP, _AMBIG) and key not in _PAIR_NOT_FIRST and \
                        keys[i + 1] not in _PAIR_NOT_LAST and keys[i + 1] not in suffixes and \
                        key not in STOP and keys[i + 1] not in STOP and \
                        key not in triggers and keys[i + 1] not in triggers:
                    # A first name then a surname, each also an everyday word, both
                    # capitalised: "John Smith", "Mark Walker", "Peter Savage" (the lists
                    # have both; two such words in title case are a person, at a
                    # sentence's start too: "John Green called").
                    state[i] = _NAME
                    state[i + 1] = _NAME
                    continue
                if si == _AMBIG and mixed and word.istitle() and key in v.first and \
                        text[tokens[i][0] - 2:tokens[i][0]] == ", " and \
                        text[tokens[i][1]:tokens[i][1] + 1] in ("?", "!"):
                    state[i] = _NAME  # called by name: "Don't go to town, Mark!"
                    continue
                w_end = tokens[i][1]
                if (si == _AMBIG or nameish(i)) and mixed and word.istitle() and \
                        key in v.first and key.isalpha() and text[w_end:w_end + 2] == ": " and (
                            text[w_end + 2:w_end + 3].isupper() or text[w_end + 2:w_end + 3] in
                            ('"', "\u201c")) and text[w_end + 2:w_end + 3] != "":
                    # a first name before a colon and a capital or a quote: a speaker
                    # ("Ella: What a wife.", "shouted at Todd: \"What...")
                    state[i] = _NAME
                    continue
                if i > 1 and keys[i - 1] == "and" and state[i - 2] in sure and \
                        near(i - 2, i - 1) and near(i - 1, i) and nameish(i) and \
                        (word[:1].isupper() or tokens[i - 2][2].islower()) and \
                        _same_case(tokens[i - 2][2], word):
                    state[i] = _NAME  # "Suzette and Hank", "Morris and Roger"
                    continue
                if i > 0 and state[i - 1] in sure and si == _AMBIG and word.istitle() and \
                        _gap_ok(text, tokens[i - 1][1], tokens[i][0], ", ") and \
                        "," in text[tokens[i - 1][1]:tokens[i][0]] and i + 2 < n and \
                        keys[i + 1] == "and" and (state[i + 2] in sure or (
                            state[i + 2] == _AMBIG and tokens[i + 2][2].istitle())):
                    state[i] = _NAME  # "Morrison, Rogers and Torres", "Henderson, Hicks and Brown"
                    continue
                if i + 2 < n and len(keys[i + 1]) == 1 and tokens[i + 1][2].isupper() and \
                        text[tokens[i + 1][1]] == "." and state[i + 2] in sure and \
                        near(i, i + 1) and near(i + 1, i + 2, ". ") and word.istitle() and \
                        nameish(i):
                    state[i] = _NAME  # "Chise T. Horiguchi", "Gladys L. Leblanc"
                    continue
                prev_sure = i > 0 and state[i - 1] in sure
                next_sure = i + 1 < n and state[i + 1] in sure
                initial = i > 0 and len(keys[i - 1]) == 1 and keys[i - 1].isalpha() and \
                    text[tokens[i - 1][1]] == "."
                if not (prev_sure or next_sure or initial) or \
                        not (si == _AMBIG or nameish(i)):
                    continue
                if (not word.islower() and prev_sure and state[i - 1] == _NAME
                        and keys[i - 1] in v.first and near(i - 1, i)) or (
                        initial and near(i - 1, i, ". ")
                        and (word.istitle() or not mixed)
                        and (i < 2 or (text[tokens[i - 2][1]:tokens[i - 1][0]].strip() != "."
                                       and not keys[i - 2][:1].isdigit())
                             or len(keys[i - 2]) != 1)):
                    # A surname after a known first name ("Patricia WAITE") or after an
                    # initial ("d. renna"; not "p.o.").
                    state[i] = _NAME
                elif not word.islower() and (
                    (prev_sure and near(i - 1, i, " " if len(keys[i - 1]) > 1 else " .")
                     and _same_case(tokens[i - 1][2], word)
                     and (state[i - 1] == _NAME or not tokens[i - 1][2].islower()))
                    or (next_sure and near(i, i + 1, " " if len(key) > 1 else " .")
                        and _same_case(word, tokens[i + 1][2])
                        and (state[i + 1] == _NAME or not tokens[i + 1][2].islower()))
                ):
                    state[i] = _NAME
        first, last = self._first, self._last
        fns = self._fns
        for i in window:
            start, _end, word = tokens[i]
            s = state[i]
            key = keys[i]
            end = ends[i]
            if s == _KEEP and key.isdigit() and 1 <= len(key) <= 6 and mixed and (
                    (i > 0 and _place_like(state[i - 1], tokens[i - 1][2])
                     and _gap_ok(text, tokens[i - 1][1], start, " ,\n", 8))
                    or (i + 1 < n and _place_like(state[i + 1], tokens[i + 1][2])
                        and near(i, i + 1, " ") and len(key) <= 5)
                    or (len(key) == 2 and i > 1 and len(keys[i - 1]) == 3
                        and keys[i - 1].isdigit() and near(i - 1, i, " ")
                        and _place_like(state[i - 2], tokens[i - 2][2])
                        and _gap_ok(text, tokens[i - 2][1], tokens[i - 1][0], " ,\n", 8))
                    or (i + 2 < n and keys[i + 1].isdigit()
                        and _place_like(state[i + 2], tokens[i + 2][2])
                        and tokens[i + 2][2].istitle() and near(i + 1, i + 2, " ")
                        and (i == 0 or "\n" in text[tokens[i - 1][1]:start]
                             or "," in text[tokens[i - 1][1]:start]) and (
                            (len(key) == 3 and len(keys[i + 1]) == 2
                             and text[tokens[i][1]:tokens[i + 1][0]] == " ")
                            or (2 <= len(key) <= 5 and len(key) != 3 and len(keys[i + 1]) == 3
                                and text[tokens[i][1]:tokens[i + 1][0]] == "-")))
                    or (len(key) <= 4 and i > 1 and keys[i - 1] in _AFTER_TYPE_WORDS
                        and near(i - 1, i, ". ") and near(i - 2, i - 1)
                        and state[i - 2] in (_NAME, _UNKNOWN, _PLACE))):
                # A house number or postcode beside a street or town name:
                # "Allika 46", "6750 Koskikatu", "Estonia 62488", "ÖRBYHUS 840 24",
                # "Tornai kapu 17.".
                out.put(start, end, "zip", digits_like(fns["mrn"](key), key))
                continue
            if s in (_KEEP, _AMBIG):
                # An initial: before a name with its dot ("J. Smith", "d. renna"), or
                # between two names ("Mary Q Smith").
                # "A" and "I" are words, except between two names ("Juliusz A Nowak").
                between = i > 0 and state[i - 1] in sure and near(i - 1, i)
                if len(key) == 1 and (key not in ("a", "i") or (between and word.isupper())) \
                        and i + 1 < n and state[i + 1] in sure and word.isalpha() \
                        and near(i, i + 1, ". ") and (
                            (text[tokens[i][1]] == "." and (state[i + 1] == _NAME
                                                            or not mixed
                                                            or tokens[i + 1][2][:1].isupper()))
                            or between):
                    out.put(start, end, "initial", self._initial(word))
                continue
            if s == _PLACE and len(key) == 1 and word.isalpha():
                out.put(start, tokens[i][1], "initial", self._initial(word))  # "s.r.o."
                continue
            if s == _PLACE:
                end = tokens[i][1]
                fake = place_fake(fns["city"], word)
                out.put(start, end, "place", case_like(fake, word))
                continue
            name = word[: end - start]
            title = title_key(name)
            later = i + 1 < n and state[i + 1] in sure and near(i, i + 1)
            if key in self._flag_first or key in self._flag_last:
                role = "first_name" if key in self._flag_first and (
                    later or key not in self._flag_last) else "last_name"
            else:
                role = "first_name" if key in first and (later or key not in last) \
                    else "last_name"
            out.put(start, end, role, case_like(fns[role](title), name))

    def _initial(self, letter: str) -> str:
        """Another letter for an initial, keyed (never the letter itself), in its case."""
        fake = self._fns["mrn"](letter.upper() * 4)
        other = next((c for c in fake if c.isalpha() and c.upper() != letter.upper()), None)
        if other is None:
            other = "X" if letter.upper() != "X" else "Y"
        return other.lower() if letter.islower() else other.upper()


# -- helpers ---------------------------------------------------------------------------


def upper_word(word: str) -> bool:
    """Capitals, or capitals and a plural's ``s`` ("PIVs", "ABGs", "MRIs"): no capital
    that means a name (the plural of an abbreviation read as a title-case word was
    replaced as a name: "2 PIVs" -> "0 Stanton", "serial ABGs" -> "serial Garza").
    The compiled scan's W_TUPPER is this test (this function, for a word not ASCII)."""
    return word.isupper() or (len(word) >= 3 and word[-1] == "s" and word[:-1].isupper())


def _hospital_abbrevs(keys: list[str]) -> list[int]:
    """Indexes of two-to-five-letter words ending in H or MC ("gh", "VAMC"): the words a
    place preposition before them can make a hospital's name."""
    return [i for i, k in enumerate(keys)
            if (k[-1:] == "h" or k[-2:] == "mc") and 2 <= len(k) <= 5 and k not in _NOT_HOSPITALS]


def _starts(text: str, start: int) -> bool:
    """Whether a word at ``start`` begins a sentence, so that its capital says nothing.

    A word alone at the start of a line is not taken as a sentence's start
    unless a colon or a full stop follows it on the line ("Resp:", "Plan.",
    section headers): lines of an address or a signature begin with names
    ("Domoszló", "Hungary 34796").
    """
    b = start - 1
    while b >= 0 and text[b] in " \t":
        b -= 1
    if b >= 0 and text[b] in "\n\r":
        rest = text[start : start + 40].split("\n", 1)[0]
        return ":" in rest or "." in rest
    return b < 0 or text[b] in ":;!?(-*>\"" or (
        text[b] == "." and not (b >= 1 and text[b - 1].isalpha() and (
            b == 1 or not text[b - 2].isalnum())))


def _place_like(state: int, word: str) -> bool:
    """A street, town or country name (as decided), written with a capital."""
    return state in (_PLACE, _UNKNOWN) and word[:1].isupper()


def _lower_type(text: str, keys: list[str], tokens: list[tuple[int, int, str]], i: int,
                mixed: bool) -> bool:
    """A street type written first in lower case ("rue de Garcia", "plac Konarskiego") in
    text of both cases: a capitalised word follows it, after particles (three at most);
    not "via" ("via Dobhoff" is a feeding tube's route)."""
    word = tokens[i][2]
    if not mixed or not word.islower() or keys[i] == "via":
        return False
    j = i + 1
    while j < len(keys) and j - i <= 3 and keys[j] in _NAME_PARTICLES and \
            tokens[j][2].islower() and _gap_ok(text, tokens[j - 1][1], tokens[j][0], " "):
        j += 1
    return j < len(keys) and j - i <= 3 and tokens[j][2][:1].isupper() and \
        keys[j].isalpha() and _gap_ok(text, tokens[j - 1][1], tokens[j][0], " ")


def _gap_ok(text: str, end: int, start: int, allow: str, most: int = 4) -> bool:
    gap = text[end:start]
    return 0 < len(gap) <= most and gap.strip(allow) == ""


def _same_case(a: str, b: str) -> bool:
    """Both upper, both lower or both capitalised: the two words were written alike."""
    return (a.isupper() == b.isupper()) and (a.islower() == b.islower())
