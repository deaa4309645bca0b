"""The handlers of the redactor's pattern pass: what replaces each structured identifier.

Why apart from the word rules (:mod:`.detector`): each kind of identifier that
:mod:`.patterns` finds (phones, IDs, addresses, dates in their many written
forms) gets its surrogate from the column transform of its kind, in the
text's own format (``03/04/2021`` stays ``MM/DD/YYYY``, a pager number keeps
its length).  :class:`StructuredPass` holds these handlers; the
:class:`~scrubphi.transforms.redact.detector.Redactor` sets up the surrogate
functions they use and adds the word rules.

Never logs or raises with a value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.dates import civil_from_days, days_from_civil
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.patterns import MONTHS, OB_DOT
from scrubphi.transforms.redact.vocab import split_words

__all__ = [
    "Finding", "Fn", "Handler", "Spans", "StructuredPass", "digits_like", "overlaps_across",
    "place_fake", "unit_word",
]

_TRAIL = ".,;:!?)]}'\""
# Words before a month/day that make it a setting or a pressure, not a date.
_NOT_DATE_BEFORE = frozenset(split_words("""
psv ps peep cpap bipap ie pip imv simv prvc aprv vent settings ratio bp nbp abp sbp dbp
art cvp pap pa map rr fio2 tv x d5 d10 flowby plat
"""))
# Labels of clinical values before a group of numbers that are not a phone's ("FS 120
# 135 180", "I/O 250 1000"), and the units after one ("250 1000 ml").
_SPACED_NOT_BEFORE = _NOT_DATE_BEFORE | frozenset(split_words("""
hr sat sats spo2 o2 fs bs bg glucose sugar sugars temp t tmax wt weight io i/o in out
uo urine tf tfs ivf k na cl co2 bun cr hct hgb wbc plt inr ptt pt ck trop lytes labs
vs vss vitals cvp ci co svr pcwp etco2 ve vt mv
"""))
# Labs and vital signs before a range of a local number's shape ("WBC 200-1000", "plt:
# 250-1200"): the range is theirs, not a phone (labels of _SPACED_NOT_BEFORE that no
# phone follows in a note, and a few more labs; not "pt", "in", "out", "t", "co").
_RANGE_LABELS = (_SPACED_NOT_BEFORE - frozenset(split_words("pt in out t x d co"))) | \
    frozenset(split_words("""
plts platelets cpk ldh bnp ast alt alk amylase lipase ferritin fibrinogen lactate uop
"""))
_UNITS_AFTER = frozenset(split_words("""
mg mcg g gm kg ml cc l lpm u units unit meq mmol mm cm mmhg bpm x times hrs hours
minutes mins days
"""))
# Longer tokens are not identifiers; they are still replaced, by keyed filler.
_LONGEST_ID = 64
# Patients whose date shift _shift_offset remembers (bounded memory, as dates.PER_CACHE).
_OFFSETS_KEPT = 65536
_UNIT_WORDS = ("Apt.", "Suite", "Unit", "Ste.", "Rm.", "Fl.")
_UNIT_LOWS = tuple((w, w.rstrip(".").lower()) for w in _UNIT_WORDS)
# Ventilator modes and settings: a month/day in their clause is a setting ("SIMV/PS,
# 40%, 600X4, & 5/10", "cpap with 10/5").
_VENT_WORDS = frozenset(split_words("""
psv ps peep cpap bipap simv imv prvc aprv ipap epap
"""))
_VENT = compile_cached(r"(?<![^\W_])(?i:" + "|".join(sorted(_VENT_WORDS)) + r")(?![^\W_])")
_US_ZIP = compile_cached(r"\d{5}(?:-\d{4})?")
# (compiled once: the handlers run once per match, ``re.findall(r"...")`` looks its
# pattern up in re's cache every time)
_DIGIT_RUNS = compile_cached(r"\d+")
_NOT_DIGIT = compile_cached(r"\D")
# The four letters outside ASCII that a case-insensitive pattern's [a-z] matches ("7-\u017fep"
# is a month's abbreviation to the pattern engine): the ASCII letters they stand for.
_ASCII_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_ASCII_LETTER = compile_cached(r"[A-Za-z]")
# The month's, day's and year's groups of each alternative of the text dates.
_TEXT_DATE_GROUPS = {
    "dmy": ("dm", "dd", "dy"), "mdy": ("mm", "mdd", "mdyy"),
    "mon_year": ("mym", "", "myyy"), "mon": ("mo", "", ""),
}
# The local part of an e-mail written to dodge a parser, before its "at": words joined
# by dots, "dot" as a word or in brackets ("jane dot doe", "jane[dot]doe"), ending where
# the search ends.
_OB_LOCAL = compile_cached(rf"(?<![\w.+%'-])[\w+%'-]+(?:{OB_DOT}[\w+%'-]+)*$")
# A "dot" written as a word or in brackets (not a dot).
_OB_WORD_DOT = compile_cached(r"[ ]{0,2}[\[({<](?i:dot)[\])}>][ ]{0,2}|[ ]{1,2}(?i:dot)[ ]{1,2}")
_OPENERS = {"]": "[", ")": "(", "}": "{", ">": "<"}
_DASH_DATE_BEFORE = frozenset(split_words("on since until"))
# Verbs of the stay after which a dash month-day is a date too ("admitted 09-03",
# "extubated 9-4"); a range after a lab or a vital sign stays ("HR 60-70").
_DASH_DATE_VERBS = frozenset(split_words("""
admitted readmitted discharged transferred seen intubated extubated reintubated
"""))
# How far back _mdash reads the word before (the longest cue and a space).
_DASH_DATE_REACH = 16
_ORDINAL_BEFORE = frozenset(split_words("on the of since until by from"))
_SCORE_WORDS = frozenset(split_words("""
pain scale score scored rated rates rating strength level intensity from to of is was
"""))
# The town before ", ST 12345" (the pattern has found the ZIP code after it).
_TOWN = compile_cached(r"(?P<town>[A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2}),[ ][A-Z]{2}[ ,]+$")
_DIGIT = compile_cached(r"\d")
# A birth label just before a date ("DOB 4/5/30", "D.O.B.: ", "date of birth", "born"):
# its two-digit year is in the past ("30" is 1930, not 2030).
_BIRTH_BEFORE = compile_cached(
    r"(?<![^\W_])(?i:d\.?[ ]?o\.?[ ]?b\.?|date[ ]of[ ]birth|birth[ ]?date|birthday"
    r"|born(?:[ ]on)?)[ ]*[:#=-]?[ ]*\Z")
# A ship of the US forces before its post office: "USS Mahler\nFPO AA 70489".
_SHIP_BEFORE = compile_cached(r"(?<![^\W_])(USS|USNS|USNV|USCGC)[ ]([A-Z][^\W\d_]+)"
                          r"(?:[ ]*\n[ ]*|[ ]+)\Z")
# "one" before "hundred" in an age in words ("one hundred and two year old").
_ONE_BEFORE = compile_cached(r"(?:\A|[^\w])(?i:one)[ -]\Z")
_SHIFT = compile_cached(r"[0-2]\d[0-5]\d ?- ?[0-2]\d[0-5]\d")
_SHIFT_FIRST = frozenset("012")
# A numeric date with a four-digit year that a trunk number's pattern takes first, its day
# or month led by a zero ("07-24-1964", "05.04.1984"): read as a date (the "num" handler).
_TRUNK_DATE = compile_cached(
    r"(?P<num>(?P<na>0?[1-9]|[12]\d|3[01])(?P<ns>[-.])(?P<nb>0?[1-9]|[12]\d|3[01])(?P=ns)"
    r"(?P<ny>(?:19|20)\d\d))\Z")
# An ISO date where a phone word's number starts ("home 1987-04-26T19:20"): the date's.
_ISO_AT = compile_cached(r"\d{4}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?![\d-])")
# A country code or trunk prefix just before a phone number (_with_prefix).
_PHONE_PREFIX = compile_cached(r"(?:(?:(?<![\w+(])\(\+?\d{2,3}\)|(?<![\w(])\+\(\d{1,3}\)"
                           r"|(?<![\w+(])\+\d{1,3}|(?<![\w.,/:+()-])8)[ ]"
                           r"|(?<![\w+(])\(0\d\))\Z")
# A Hungarian number's area code before its slash ("30/166 1318", "(06)18/320-5182").
_HU_SLASH = compile_cached(r"(?:\(06\)|06-)?(?:\(\d{1,2}\)|\d{1,2})/")
_PAGER_WORDS = frozenset(split_words("pager beeper beep pgr bpr pg page ext extension"))
_LABEL_PREFIX = compile_cached(r"([A-Za-z]+)(?=\d)")
# Amounts, ranges and settings: "100-200cc", "500x12", "3x5cm", "10-20mg".
_MEASURE = compile_cached(r"\d+(?:[.,]\d+)?(?:[-x/]\d+(?:[.,]\d+)?)*[A-Za-z]{0,5}", re.I)


@dataclass(frozen=True)
class Finding:
    """One identifier found in a text: where and what kind (never the text itself)."""

    start: int
    end: int
    kind: str


class Spans:
    """Collects non-overlapping replacements (structured first, then words)."""

    __slots__ = ("per_value", "record", "spans", "text")

    def __init__(self, text: str, per_value: str | None, record: bool) -> None:
        self.text = text
        self.per_value = per_value
        self.record = record
        # (start, priority, end, kind, replacement): where two overlap, the one that
        # starts first wins, then the lower priority (the lookup's), then the shorter.
        self.spans: list[tuple[int, int, int, str, str]] = []

    def put(self, start: int, end: int, kind: str, replacement: str, priority: int = 1) -> None:
        self.spans.append((start, priority, end, kind, replacement))

    def finish(self) -> str:
        if not self.spans:
            return self.text
        self.spans.sort()
        parts: list[str] = []
        pos = 0
        text = self.text
        for start, _prio, end, _kind, replacement in self.spans:
            if start < pos:
                continue
            parts.append(text[pos:start])
            parts.append(replacement)
            pos = end
        parts.append(text[pos:])
        return "".join(parts)

    def findings(self) -> list[Finding]:
        self.spans.sort()
        found: list[Finding] = []
        pos = 0
        for start, _prio, end, kind, _ in self.spans:
            if start >= pos:
                found.append(Finding(start, end, kind))
                pos = end
        return found


def overlaps_across(out: Spans, s: int, e: int) -> bool:
    """Whether a span already put reaches out of ``[s, e)`` from inside it (or in from
    before it): replacing the name would drop that span's other part."""
    for start, _prio, end, _kind, _rep in out.spans:
        if start < e and end > s and (start < s or end > e):
            return True
    return False


#: What handles a match of one alternative of the patterns.
Handler = Callable[[re.Match[str], "Spans"], None]
#: A surrogate function: a column transform's, on one value.
Fn = Callable[[str], str]


def filler(token: str, key: bytes) -> str:
    """Keyed digits and (lower-case) letters in ``token``'s shape."""
    stream = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), key=key,
                             digest_size=64).digest()
    reps = len(token) // len(stream) + 1
    pool = (stream * reps)[: len(token)]
    return "".join(
        str(b % 10) if c.isdigit() else chr(97 + b % 26) if c.isalpha() else c
        for c, b in zip(token, pool, strict=True)
    )


class StructuredPass:
    """The pattern pass's handlers; the Redactor sets the attributes below."""

    _fns: dict[str, Fn]
    _date_fn: Callable[..., str | None]
    _dates: str
    _floor: int  # dates: year: the earliest year written (as_of's year - 90)
    _this_year: int  # as_of's year (today's with a shift): no birth after it
    _per: bool
    _safe: Container[str]
    _filler_key: bytes
    _offsets: dict[str, int]  # per value -> its dates' shift in days (_shift_offset)
    _per_offset: Callable[[str], int]  # a per value's shift in days (the date transform's)

    def _structured_handlers(self) -> dict[str, Handler]:
        """Alternative name -> its handler."""
        g = self._group
        return {
            "email": g("email", "email"), "url": self._url, "domain": g("domain", "url"),
            "ipv4": g("ipv4", "ipv4"), "ipv6": g("ipv6", "ipv6"), "ssn": g("ssn", "ssn"),
            "ssnl": g("ssnv", "ssn"), "card": g("card", "mrn"), "iban": g("iban", "mrn"),
            "phone": self._phone, "intl": self._phone, "trunk": self._phone,
            "local": self._phone, "phonel": self._labelled_phone, "paren": self._paren,
            "pairs": self._phone, "plt": self._phone, "spaced": self._spaced,
            "mil": g("mil", "address"), "milpo": self._milpo,
            "iso": self._iso, "num": self._num, "md": self._md, "my": self._my,
            "mdmd": self._mdmd, "mdash": self._mdash, "mdyy": self._mdyy,
            "dmy": self._text_date, "mdy": self._text_date, "mon_year": self._text_date,
            "mon": self._text_date, "ordinal": self._ordinal, "idword": self._idnum,
            "age": g("av", "age"), "agel": self._age_label, "agew": self._age_words,
            "birthyr": self._birth_year, "obmail": self._obfuscated_email,
            "mrn": g("mv", "mrn"), "hashid": g("hv", "mrn"), "addr": g("addr", "address"),
            "unit": self._unit, "pobox": g("pobox", "address"), "stzip": self._stzip,
            "zipl": self._postcode, "idnum": self._idnum,
        }

    def _group(self, group: str, kind: str) -> Handler:
        fn = self._fns["mrn" if kind in ("mrn", "id") else kind] if kind != "age" else None

        def handle(m: re.Match[str], out: Spans) -> None:
            value = m.group(group)
            if fn is None:  # ages over 89 become "90+" (Safe Harbor)
                out.put(m.start(group), m.end(group), "age", "90+")
            else:
                out.put(m.start(group), m.end(group), kind, fn(value))

        return handle

    def _milpo(self, m: re.Match[str], out: Spans) -> None:
        """A military post office and its ZIP code, and before "FPO" a ship's prefix and
        name ("USS Mahler\nFPO AA 70489": "USS" is a word of the lists)."""
        start = m.start("milpo")
        out.put(start, m.end("milpo"), "address", self._fns["address"](m.group("milpo")))
        if m.group("milpo")[:3] == "FPO":
            ship = _SHIP_BEFORE.search(out.text, max(0, start - 40), start)
            if ship is not None:
                name = self._fns["last_name"]
                for g in (1, 2):
                    value = ship.group(g)
                    out.put(*ship.span(g), "place", case_like(name(value.title()), value))

    def _obfuscated_email(self, m: re.Match[str], out: Spans) -> None:
        """An e-mail written to dodge a parser, found from its "at" ("jane dot doe at
        gmail dot com", "jane[at]gmail.com"): the local part before it too, all of it
        replaced as the e-mail it spells.  A bare "at" needs a "dot" written as a word
        in the address, or a dot or an underscore in the local part ("jane.doe at
        gmail.com"; not "seen at mgh.org")."""
        text = out.text
        e = m.start("obmail")
        close = m.group("obc")
        if close is not None:
            if e == 0 or text[e - 1] != _OPENERS[close]:
                return
            e -= 1
        elif e == 0 or text[e - 1] != " ":
            return
        for _ in range(2):
            if e > 0 and text[e - 1] == " ":
                e -= 1
        local = _OB_LOCAL.search(text, max(0, e - 100), e)
        if local is None:
            return
        domain = m.group("obd")
        worded = _OB_WORD_DOT.search(domain) is not None or \
            _OB_WORD_DOT.search(local.group()) is not None
        if close is None and not worded and "." not in local.group() and \
                "_" not in local.group():
            return
        value = _OB_WORD_DOT.sub(".", local.group()) + "@" + _OB_WORD_DOT.sub(".", domain)
        out.put(local.start(), m.end("obmail"), "email", self._fns["email"](value))

    def _age_label(self, m: re.Match[str], out: Spans) -> None:
        """An age over 89 after "age" or "aged", in digits ("aged 93") or words ("aged
        ninety-three", "age one hundred and two"): "90+" in its place."""
        group = "alv" if m.group("alv") is not None else "alw"
        out.put(m.start(group), m.end(group), "age", "90+")

    def _age_words(self, m: re.Match[str], out: Spans) -> None:
        """An age over 89 in words: "90+" in its place, "one" of "one hundred and two"
        with it ("a" of "a hundred and one" stays)."""
        start, end = m.span("awv")
        if m.group("awv")[:1] in "hH" and start >= 4 and \
                _ONE_BEFORE.search(out.text[max(0, start - 5) : start]):
            start -= 4
        out.put(start, end, "age", "90+")

    def _two_digit_year(self, yy: int, out: Spans, start: int) -> int:
        """A two-digit year: 2000s below 50, else 1900s; after a birth label, never
        after as_of's year ("DOB 4/5/30" is 1930)."""
        year = yy + (2000 if yy < 50 else 1900)
        if year > self._this_year and _BIRTH_BEFORE.search(out.text[max(0, start - 20) : start]):
            year -= 100
        return year

    def _url(self, m: re.Match[str], out: Spans) -> None:
        start, end = m.span("url")
        text = out.text
        while end > start and text[end - 1] in _TRAIL:
            end -= 1
        out.put(start, end, "url", self._fns["url"](text[start:end]))

    def _phone(self, m: re.Match[str], out: Spans) -> None:
        group = m.lastgroup or "phone"
        start, end = m.span(group)
        if group == "trunk":
            date = _TRUNK_DATE.match(out.text, start, end)  # (\Z: at the number's end)
            if date is not None:
                before = len(out.spans)
                self._num(date, out)
                if len(out.spans) > before:
                    return
        if group == "intl" and len(_NOT_DIGIT.sub("", m.group(group))) < 7:
            return  # "(+30) 2101": the digits the look-ahead counted are past a ")"
        if group == "local" and end - start == 8 and out.text[start + 3] == "-" and \
                _range_label_before(out.text, start):
            return  # "WBC 200-1000": a lab's range, not "call 555-1234"
        if ((group == "phone" and _HU_SLASH.match(out.text, start)) or (
                group == "local" and end - start == 9)) and _clinical_around(out.text, start, end):
            return  # "I/O 10/500 1000 ml", "HR 210-98-95": amounts, not "30/166 1318"
        self._put_phone(out, _with_prefix(out.text, start), end)

    def _put_phone(self, out: Spans, start: int, end: int) -> None:
        """The number at ``[start, end)`` as a phone (a fax after the word fax), faked by
        the phone transform: what every phone handler puts."""
        kind = _fax_or_phone(out.text, start)
        out.put(start, end, kind, self._fns[kind](out.text[start:end]))

    def _spaced(self, m: re.Match[str], out: Spans) -> None:
        """Digit groups with spaces and no phone word ("628 5714"): a phone unless a
        clinical label stands before them ("FS 120 135 180") or a unit after them
        ("250 1000 ml")."""
        text = out.text
        start, end = m.span("spaced")
        if _clinical_around(text, start, end):
            return
        self._put_phone(out, _with_prefix(text, start), end)

    def _paren(self, m: re.Match[str], out: Spans) -> None:
        value = m.group("paren")
        if sum(map(str.isdigit, value)) >= 8:
            out.put(*m.span("paren"), "phone", self._fns["phone"](value))

    def _labelled_phone(self, m: re.Match[str], out: Spans) -> None:
        """A number after a phone word: a phone with six digits or more, a pager or an
        extension with four or more after a pager word; else not a phone ("call 911")."""
        value = m.group("plv")
        digits = sum(map(str.isdigit, value))
        start, end = m.span("plv")
        # (each pattern tried only where its first characters can be: "0"-"2" first, a
        # dash after four characters)
        if value[:1] in _SHIFT_FIRST and _SHIFT.fullmatch(value):
            return  # "call at 0700-1930": hours
        if out.text[start + 4 : start + 5] == "-" and _ISO_AT.match(out.text, start):
            return  # "home 1987-04-26T19:20": a date's (the date pattern takes it)
        if digits >= 6:
            self._put_phone(out, start, end)
        elif digits >= 4 and value.isdigit() and m.group("plw").lower() in _PAGER_WORDS:
            # Keep the length: a pager number of five digits stays five digits long.
            out.put(start, end, "phone", digits_like(self._fns["mrn"](value), value))

    def _idnum(self, m: re.Match[str], out: Spans) -> None:
        token = m.group(m.lastgroup or "idnum")
        runs = [len(r) for r in _DIGIT_RUNS.findall(token)]
        label = _LABEL_PREFIX.match(token)
        if max(runs) < 7 and (_MEASURE.fullmatch(token) or any(
                part.lower() in self._safe for part in token.split("-") if part.isalpha())
                or (label is not None and label.group(1).lower() in self._safe
                    and _MEASURE.fullmatch(token[label.end():]))):
            # "100-200cc", "500x12", "600-12-peep", "BP130-140", "sats99-100": amounts,
            # settings and vital signs glued to their label
            return
        if not _ASCII_LETTER.search(token) and max(runs) < 7 and not (
                len(runs) >= 3 and sum(runs) >= 9):
            # Digits and hyphens: a lab value, a range ("90-100") or a shift time
            # ("0700-1930") unless a run is as long as an identifier's.
            return
        if len(token) > _LONGEST_ID:
            # Not an identifier's length (a pasted blob of digits): replaced all the
            # same, by keyed filler of the same shape, as tokenizing it would not scale.
            out.put(*m.span(m.lastgroup or "idnum"), "id", self._filler(token))
            return
        start, end = m.span(m.lastgroup or "idnum")
        if token.isdigit() and 7 <= len(token) <= 12:
            # A country code before it ("(351) 964126618", "+(370) 41266181"): a phone.
            first = _with_prefix(out.text, start)
            if first != start:
                self._put_phone(out, first, end)
                return
        out.put(start, end, "id", self._fns["mrn"](token))

    def _filler(self, token: str) -> str:
        """Keyed digits and letters in ``token``'s shape, for tokens too long to tokenize."""
        return filler(token, self._filler_key)

    def _unit(self, m: re.Match[str], out: Spans) -> None:
        """"Apt. 864", "Suite 501": the whole secondary address, designator and number."""
        number = m.group("uv")
        fake = self._fns["mrn"](number)
        out.put(*m.span("unit"), "address", f"{unit_word(fake, m.group('unit'))} "
                f"{digits_like(fake, number)}")

    def _postcode(self, m: re.Match[str], out: Spans) -> None:
        """A postcode after its label: a US ZIP code becomes its first three digits
        (``{generalize: zip3}``); another country's keeps its shape, with keyed digits
        and letters."""
        value = m.group("zv")
        if _US_ZIP.fullmatch(value):
            out.put(*m.span("zv"), "zip", self._fns["zip"](value))
        else:
            out.put(*m.span("zv"), "zip", self._filler(value).upper())

    def _stzip(self, m: re.Match[str], out: Spans) -> None:
        """A ZIP code after a state, and the town before the state ("Boston, MA 02139")."""
        start, end = m.span("sz")
        out.put(start, end, "zip", self._fns["zip"](m.group("sz")))
        town = _TOWN.search(out.text, max(0, start - 60), start)
        if town is not None:
            out.put(*town.span("town"), "city", self._fns["city"](town.group("town")))

    def _date_surrogate(self, y: int, mo: int, d: int, out: Spans) -> tuple[int, int, int] | None:
        """The replacement (year, month, day), or None when the date is not a real one."""
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        if self._dates == "year":
            return max(y, self._floor), 1, 1
        try:
            day = days_from_civil(y, mo, d)
            if civil_from_days(day) != (y, mo, d):
                return y, 1, 1
            per_value = out.per_value
            if self._per and per_value is not None and 1 <= y <= 9999:
                # A shift per patient moves every date of the patient by one offset: it is
                # found once per patient, and a date costs an addition, not a call of the
                # date transform that parses and writes ISO text (the same answer).
                ny, nm, nd = civil_from_days(day + self._shift_offset(per_value))
                if 1 <= ny <= 9999:
                    return ny, nm, nd
            iso = f"{y:04d}-{mo:02d}-{d:02d}"
            shifted = self._date_fn(iso, per_value) if self._per else self._date_fn(iso)
        except ValueError:
            return y, 1, 1
        assert shifted is not None
        return int(shifted[0:4]), int(shifted[5:7]), int(shifted[8:10])

    def _dpad(self, value: int, like: str) -> str:
        """A month's or a day's number as written: with dates: year always two digits (the
        surrogate is a constant, so its width must be one too: "10/1" as "01/1" would say
        the month had two digits, October to December); a shift keeps the original's
        width (``_pad``)."""
        return f"{value:02d}" if self._dates == "year" else _pad(value, like)

    def _shift_offset(self, per_value: str) -> int:
        """The days the date transform shifts the dates of ``per_value`` by (remembered
        for up to _OFFSETS_KEPT patients; then forgotten all at once)."""
        offset = self._offsets.get(per_value)
        if offset is None:
            if len(self._offsets) >= _OFFSETS_KEPT:
                self._offsets.clear()
            # (the date transform's keyed offset itself: shifting "2000-01-01" and reading
            # the result back gave the same number in seven times the time)
            offset = self._offsets[per_value] = self._per_offset(per_value)
        return offset

    def _iso(self, m: re.Match[str], out: Spans) -> None:
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        new = self._date_surrogate(y, mo, d, out)
        if new is None:
            return
        sep = m.group("is")
        ny, nm, nd = new
        text = f"{ny:04d}{sep}{self._dpad(nm, m.group('im'))}{sep}{self._dpad(nd, m.group('id'))}"
        clock = m.group("itime")
        if clock is not None:
            # A timestamp: with dates: year the time of day goes too (midnight), as
            # {date: year} writes a timestamp column; a shift keeps it.
            text += m.group("it") + (_DIGIT.sub("0", clock) if self._dates == "year" else clock)
        out.put(*m.span("iso"), "date", text)

    def _num(self, m: re.Match[str], out: Spans) -> None:
        a_text, b_text, y_text = m.group("na"), m.group("nb"), m.group("ny")
        a, b = int(a_text), int(b_text)
        year = int(y_text)
        if len(y_text) == 2:
            year = self._two_digit_year(year, out, m.start("num"))
        day_first = a > 12 and b <= 12
        mo, d = (b, a) if day_first else (a, b)
        new = self._date_surrogate(year, mo, d, out)
        if new is None:
            return
        ny, nm, nd = new
        ys = f"{ny % 100:02d}" if len(y_text) == 2 else f"{ny:04d}"
        first, second = (nd, nm) if day_first else (nm, nd)
        sep = m.group("ns")
        out.put(*m.span("num"), "date",
                f"{self._dpad(first, a_text)}{sep}{self._dpad(second, b_text)}{sep}{ys}")

    def _md(self, m: re.Match[str], out: Spans) -> None:
        """Month/day without a year ("7/22"): the year is unknown, 2000 stands in.

        Not a date: a fraction ("1/2 up", "3/4 strength") or a setting after its
        name ("PSV 12/5", "CPAP 10/5").
        """
        a_text, b_text = m.group("ma"), m.group("mb")
        a, b = int(a_text), int(b_text)
        if a < b <= 4:
            return
        before = out.text[max(0, m.start("md") - 12) : m.start("md")].lower().split()
        word_before = before[-1].strip(":=-,") if before else ""
        if word_before in _NOT_DATE_BEFORE:
            return
        if word_before not in _DASH_DATE_BEFORE and _vent_clause(out.text, m.start("md")):
            return  # "SIMV/PS, 40%, 600X4, & 5/10": a setting in a ventilator's clause
        if b == 10 and a <= 10 and (word_before in _SCORE_WORDS or "pain" in out.text[
                m.end("md") : m.end("md") + 20].lower()):
            return  # "pain 3/10", "from 7/10 yesterday", "3/10 l back pain": a score
        new = self._date_surrogate(2000, int(a_text), int(b_text), out)
        if new is None:
            return
        _, nm, nd = new
        out.put(*m.span("md"), "date", f"{self._dpad(nm, a_text)}/{self._dpad(nd, b_text)}")

    def _mdmd(self, m: re.Match[str], out: Spans) -> None:
        """Two month/day dates joined by a slash: each is replaced like "7/22"."""
        parts = []
        for g_m, g_d in (("m1", "d1"), ("m2", "d2")):
            new = self._date_surrogate(2000, int(m.group(g_m)), int(m.group(g_d)), out)
            if new is None:
                return
            parts.append(f"{self._dpad(new[1], m.group(g_m))}/{self._dpad(new[2], m.group(g_d))}")
        out.put(*m.span("mdmd"), "date", "/".join(parts))

    def _mdyy(self, m: re.Match[str], out: Spans) -> None:
        """"11/21.93": month/day with a two-digit year after a dot."""
        a_text, b_text, y_text = m.group("ma3"), m.group("mb3"), m.group("my3")
        year = self._two_digit_year(int(y_text), out, m.start("mdyy"))
        new = self._date_surrogate(year, int(a_text), int(b_text), out)
        if new is None:
            return
        out.put(*m.span("mdyy"), "date",
                f"{self._dpad(new[1], a_text)}/{self._dpad(new[2], b_text)}.{new[0] % 100:02d}")

    def _mdash(self, m: re.Match[str], out: Spans) -> None:
        """Month-day with a dash, a date only after "on", "since" or "until" ("on 7-8")
        or a verb of the stay ("admitted 09-03"); elsewhere it is a range ("HR 7-8",
        "2-3 times")."""
        start = m.start("mdash")
        before = out.text[max(0, start - _DASH_DATE_REACH) : start].lower().split()
        if not before or (before[-1] not in _DASH_DATE_BEFORE
                          and before[-1] not in _DASH_DATE_VERBS):
            return
        a_text, b_text = m.group("ma2"), m.group("mb2")
        new = self._date_surrogate(2000, int(a_text), int(b_text), out)
        if new is None:
            return
        out.put(*m.span("mdash"), "date",
                f"{self._dpad(new[1], a_text)}-{self._dpad(new[2], b_text)}")

    def _birth_year(self, m: re.Match[str], out: Spans) -> None:
        """A year of birth alone: kept (Safe Harbor keeps years) unless it makes the
        person 90 or older at as_of; then the earliest year written (dates: year)."""
        year = int(m.group("byv"))
        if self._dates == "year" and year < self._floor:
            out.put(*m.span("byv"), "date", f"{self._floor:04d}")

    def _my(self, m: re.Match[str], out: Spans) -> None:
        """Month/year ("6/85", "2/2021"): the month goes, the year stays."""
        a_text, y_text = m.group("mya"), m.group("myy")
        year = int(y_text) if len(y_text) == 4 else 1900 + int(y_text)
        new = self._date_surrogate(year, int(a_text), 15, out)
        if new is None:
            return
        ny, nm, _ = new
        ys = f"{ny:04d}" if len(y_text) == 4 else f"{ny % 100:02d}"
        out.put(*m.span("my"), "date", f"{self._dpad(nm, a_text)}/{ys}")

    def _ordinal(self, m: re.Match[str], out: Spans) -> None:
        value = m.group("ov")
        before = out.text[max(0, m.start("ov") - 12) : m.start("ov")].lower().split()
        if not before or before[-1] not in _ORDINAL_BEFORE:
            return
        new = self._date_surrogate(2000, 1, int(value[:-2]), out)
        if new is None:
            return
        out.put(*m.span("ov"), "date", _day_like(new[2], value))

    def _text_date(self, m: re.Match[str], out: Spans) -> None:
        kind = m.lastgroup or ""
        g_month, g_day, g_year = _TEXT_DATE_GROUPS[kind]
        month_text = m.group(g_month)
        day_text = m.group(g_day) if g_day else None
        year_text = m.group(g_year) if g_year else None
        month_low = month_text.rstrip(".").translate(_ASCII_FOLD).lower()
        mo = MONTHS[month_low[:3] if month_low not in MONTHS else month_low]
        d = int(_NOT_DIGIT.sub("", day_text)) if day_text else 15
        y = 2000
        if year_text:
            digits = year_text.lstrip("'")
            y = int(digits) if len(digits) == 4 else 1900 + int(digits)
        new = self._date_surrogate(y, mo, d, out)
        if new is None:
            return
        ny, nm, nd = new
        parts = [(m.start(g_month), m.end(g_month), _month_like(nm, month_text))]
        if day_text is not None:
            parts.append((m.start(g_day), m.end(g_day), _day_like(nd, day_text)))
        if year_text is not None:
            digits = year_text.lstrip("'")
            ytext = f"{ny:04d}" if len(digits) == 4 else f"{ny % 100:02d}"
            parts.append((m.start(g_year), m.end(g_year), year_text[: len(year_text) -
                                                                      len(digits)] + ytext))
        text, pos, pieces = out.text, m.start(kind), []
        for start, end, value in sorted(parts):
            pieces.append(text[pos:start])
            pieces.append(value)
            pos = end
        pieces.append(text[pos : m.end(kind)])
        out.put(m.start(kind), m.end(kind), "date", "".join(pieces))


# -- helpers ---------------------------------------------------------------------------


def unit_word(fake: str, original: str) -> str:
    """A keyed unit designator ("Apt.", "Suite"...), never the one written: the
    surrogate does not keep a piece of the original."""
    written = original.split(None, 1)[0].rstrip(".#").lower() if original.strip() else ""
    words = [w for w, low in _UNIT_LOWS if low != written]
    return words[_base36(fake[0]) % len(words)]


def _vent_clause(text: str, end: int) -> bool:
    """Whether a ventilator mode is named in the clause before ``end``: back to the
    last full stop, semicolon or line break, at most 40 characters."""
    before = text[max(0, end - 40) : end]
    cut = max(before.rfind(". "), before.rfind(";"), before.rfind("\n"))
    return _VENT.search(before, cut + 1) is not None


def _clinical_around(text: str, start: int, end: int) -> bool:
    """Whether a clinical label stands before the numbers at ``[start, end)`` ("FS 120
    135 180") or a unit after them ("250 1000 ml")."""
    before = text[max(0, start - 12) : start].lower().split()
    after = text[end : end + 12].lower().split()
    return bool((before and before[-1].strip(":=-,#") in _SPACED_NOT_BEFORE) or (
        after and after[0].strip(".,;:)") in _UNITS_AFTER))


def _range_label_before(text: str, start: int) -> bool:
    """Whether the word before ``start`` (of the twelve characters before it, its ":",
    "=", "-" and "," stripped) is a lab's or a vital sign's (_RANGE_LABELS)."""
    before = text[max(0, start - 12) : start].lower().split()
    return bool(before) and before[-1].strip(":=-,") in _RANGE_LABELS


def _with_prefix(text: str, start: int) -> int:
    """Where a phone number found at ``start`` begins, with the country code or trunk
    prefix before it that its pattern leaves: "(+30) " (an international number's "(",
    whose "+30)" the pattern took), "(351) ", "+7 ", and the Russian trunk "8 " before an
    area code in parentheses ("8 (529) 170-34-23")."""
    if start == 0 or text[start - 1] not in " ()":
        return start
    if text[start - 1] == "(":
        return start - 1 if text[start] == "+" else start
    if text[start - 1] == " " and (start < 2 or (
            text[start - 2] != ")" and not text[start - 2].isdecimal())):
        # (every prefix before a space ends with ")" or a digit, \d's isdecimal: the
        # common "call 555-1234" is answered without the search, a microsecond a phone)
        return start
    m = _PHONE_PREFIX.search(text, max(0, start - 8), start)
    if m is None or (m.group() == "8 " and text[start] != "(" and
                     len(_NOT_DIGIT.sub("", text[start : start + 16])) < 10):
        return start
    return m.start()


def _fax_or_phone(text: str, start: int) -> str:
    """"fax" when the word fax stands just before the number at ``start``."""
    return "fax" if "fax" in text[max(0, start - 12) : start].lower() else "phone"


def place_fake(city: Fn, word: str) -> str:
    """The town that replaces one word of a place's name, without that word itself.

    Why: the town fakes are often two words and a prefix ("South Robertchester",
    "Lake Annette"), so "South" of "South Africa" would come back as itself.  The
    fake's words equal to ``word`` (in any case) are dropped; a fake of nothing
    else is kept whole.
    """
    fake = city(word.title())
    low = word.casefold()
    parts = fake.split()
    if len(parts) > 1 and any(p.casefold() == low for p in parts):
        kept = [p for p in parts if p.casefold() != low]
        if kept:
            return " ".join(kept)
    return fake


def digits_like(fake: str, like: str) -> str:
    """Digits for a number of the same length, from a keyed token."""
    digits = "".join([_B36_DIGIT.get(c) or str(_base36(c) % 10) for c in fake if c.isalnum()])
    return (digits * (len(like) // max(len(digits), 1) + 1))[: len(like)]


# What digits_like writes for an ASCII letter or digit (the common case, without a
# call of int per character).
_B36_DIGIT = {c: str(int(c, 36) % 10)
              for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _base36(c: str) -> int:
    """A letter or digit's value in base 36; its code point for what ``int`` cannot read.

    A token keeps characters it does not map ("²", "₄"): ``int`` would raise
    on them, with the character in its message.
    """
    try:
        return int(c, 36)
    except ValueError:
        return ord(c)


def _pad(value: int, like: str) -> str:
    return f"{value:02d}" if len(like) == 2 else str(value)


_MONTH_FULL = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _month_like(month: int, like: str) -> str:
    dot = "." if like.endswith(".") else ""
    core = like.rstrip(".")
    name = _MONTH_FULL[month - 1] if len(core) > 4 or core.lower() in ("may", "june", "july") \
        else _MONTH_ABBR[month - 1]
    if core.lower() == "sept" and month == 9:
        name = "Sept"
    if core.isupper():
        name = name.upper()
    elif core.islower():
        name = name.lower()
    return name + dot


def _day_like(day: int, like: str | None) -> str:
    if like is None:
        return str(day)
    text = f"{day:02d}" if like.startswith("0") else str(day)
    if not like[-1].isdigit():
        suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        text += suffix if like[-1].islower() else suffix.upper()
    return text
