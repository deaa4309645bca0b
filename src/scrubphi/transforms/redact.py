"""``{redact: text}``: find identifiers in free text and replace them with surrogates.

Why surrogates built by the column transforms: a note that says "SSN
123-45-6789, call (617) 555-1234" must, after scrubbing, name the *same*
fake SSN and phone as ``patients.ssn`` and ``patients.phone`` do, or staging
data contradicts itself (and a careful reader learns which fake is which
patient's).  So every surrogate here comes from ``build_transform`` with
exactly the spec the policy loader produces for the column transform of
that kind (``{fake: ssn}``, ``{fake: first_name}``, ``{tokenize: alnum}``,
``{generalize: zip3}``, ``{date: year}``...): the domain separator, and so
the output, is identical.

Why one regular expression: the detector runs on every note of every
row, so it must not run a pattern per identifier kind per cell.  All
structured kinds (emails, URLs, IPs, SSNs, phones, dates, labelled and
unlabelled identifiers, street addresses, "City, ST 12345" lines, titled
names) and a "run of capitalised words" catch-all are alternatives of ONE
compiled pattern with named groups, anchored at word starts, and the text
is scanned once with ``finditer``.  Name candidates (the capitalised
words) are then decided by set lookups in first- and last-name
dictionaries (``redact_data/``, made by ``scripts/build_names.py``).  Names
that are also ordinary or clinical words ("Will", "Brown", "Foley") count
only with context: an honorific before them, or another name next to them.

Never logs or raises with a value: errors name only the column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.coltypes import is_text
from scrubphi.transforms.dates import civil_from_days, days_from_civil

__all__ = [
    "DATE_MODES",
    "KINDS_FOUND",
    "MAX_SHIFT_DAYS",
    "REDACT_MODES",
    "Finding",
    "Redactor",
    "build_redactor",
    "check_redact_spec",
    "surrogate_specs",
]

#: ``{redact: MODE}``: only free text for now (``json`` strings use the same).
REDACT_MODES = ("text",)
#: How dates in text are replaced: ``year`` (1 January of the same year,
#: like ``{date: year}``; the default, Safe Harbor) or ``shift`` (like
#: ``{date: shift, days: N, per: COLUMN}``).
DATE_MODES = ("year", "shift")
MAX_SHIFT_DAYS = 3650
#: Kinds a finding can have (what ``Redactor.find`` reports).
KINDS_FOUND = (
    "email", "url", "ipv4", "ipv6", "ssn", "phone", "fax", "date", "mrn", "id",
    "address", "city", "zip", "first_name", "last_name", "initial",
)

# -- dictionaries ---------------------------------------------------------------


def _read_list(stem: str) -> frozenset[str]:
    text = (
        resources.files("scrubphi.transforms")
        .joinpath("redact_data", f"{stem}.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(line for line in text.split("\n") if line)


def _words(text: str) -> list[str]:
    return text.split()


# Ordinary and clinical words that are also names in the dictionaries: such a
# word is a name only with context.  Eponyms of diseases, signs and devices
# (Foley catheter, Graves disease, Murphy's sign) are here because notes use
# them far more often than patients' names.
_AMBIGUOUS_EXTRA = _words("""
Will Bill Mark Hope Faith Grace Joy May June April August Rose Lily Iris Ivy Dawn Summer
Autumn Winter Hunter Page Chase Case Lane Young Brown White Green Black Gray Grey King
Hill Wood Hall Rice Long Little Best Price Wells Bell Cook Baker Mason Walker Stone West
Day Love Sharp Strong Short Small Wise Hardy Bush Banks Fields Marsh Waters Park House
Cross Booth Ball Bond Bright Brook Burns Carpenter Church Cole Frank Free Fry Glass Gold
Good Hart Head Holiday Hood Horn Knight Lamb Lord Major Miles Mills Moon Moss Nash Noble
North South East Pool Power Read Reed Rich Rivers Rock Rush Sage Salt Savage Shepherd
Silver Snow Spring Steel Street Swift Storm Walls Ward Webb Wolf Dean Sterling Sunny
Star Heart Patience Constance Prudence Honor Victory Royal Precious Blessing Gift
Trinity Bliss Destiny Harmony Melody Serenity Amber Crystal Diamond Pearl Ruby Jade
Olive Hazel Holly Heather Ginger Brandy Candy Misty Sky River Forest Rain Art Gene Guy
Ray Rod Sonny Tiny Bud Buck Sandy Penny Prince Duke Earl Baron Bishop Pope Abbott
Chancellor Marshall Wilson Murphy Turner Jones Graves Tanner Brock Barrett Bowen Down
Swan Addison Barr Epstein Hartmann Whipple Cushing Glasgow Nissen Hickman
""")

# Clinical and calendar words (and modal verbs) that are never taken for a
# name because of a neighbouring ambiguous word ("Will Foley be removed").
_NEVER_PAIRED = _words("""
Will May Can Shall Foley Parkinson Alzheimer Crohn Hodgkin Gleason Ganz Port Doppler
Holter Apgar Babinski Homan Kernig Brudzinski Raynaud Bence Paget Wernicke Korsakoff
Guillain Barre Hashimoto Kaposi Lyme Bells Roux Billroth Lasix Norco Cipro Plan
Assessment Note Notes History Exam Patient Pt Doctor Nurse Care Clinic Hospital Center
Medical Health Unit Room Ward Floor Bed Emergency General Internal Family Primary Urgent
Follow Return Call Normal Negative Positive Stable Improved Worse Chief Complaint Review
Systems Vitals Vital Signs Labs Lab Imaging Results Allergies Medications Medication
Social Surgical Past Present Physical Mental Status Alert Oriented Denies Reports States
Presents Admitted Discharged Discharge Admission Blood Pressure Heart Rate Temp Weight
Height Pain Chest Head Neck Back Abdomen Skin Eyes Ears Nose Throat Lungs Extremities
Neuro Psych Diet Activity Therapy Consult Referral Order Orders Ordered Start Stop
Continue Increase Decrease Take Taking Daily Nightly Morning Evening Night Today
Tomorrow Yesterday Monday Tuesday Wednesday Thursday Friday Saturday Sunday Mon Tue Wed
Thu Fri Sat Sun Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec January February March
July September October November December Christmas Easter Son Wife Husband Mother Father
Daughter Brother Sister Van Von Del Le La De Di Du Da Mac Mc Al El
Ed Jo Bo So No Yo Ma Pa Ha Re Do Go
""")


_AMBIGUOUS_EXTRA += _NEVER_PAIRED
_NEVER_SET = frozenset(_NEVER_PAIRED)


@dataclass(frozen=True)
class _Dicts:
    first: frozenset[str]
    last: frozenset[str]
    ambiguous: frozenset[str]
    suffixes: tuple[str, ...]


@lru_cache(maxsize=1)
def _dicts() -> _Dicts:
    first = _read_list("first_names")
    last = _read_list("last_names")
    words = {w.capitalize() for w in _read_list("common_words")}
    ambiguous = frozenset((first | last) & (words | set(_AMBIGUOUS_EXTRA)))
    # Longest first so "Street" wins over "St" in the alternation.
    suffixes = tuple(sorted(_read_list("street_suffixes"), key=lambda s: (-len(s), s)))
    return _Dicts(first, last, ambiguous, suffixes)


# -- the one pattern ----------------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH_FULL = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?"
    r"|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|SEPT?(?:EMBER)?|OCT(?:OBER)?"
    r"|NOV(?:EMBER)?|DEC(?:EMBER)?)(?![a-zA-Z])\.?"
)
_DAY_RE = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?![\d])"
_YEAR_RE = r"(?:1[89]\d\d|20\d\d)(?!\d)"
_STATES = _words("""
AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI
""")
_HONORIFICS = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|MR|MRS|MS|DR)"
_RELATIONS = (
    r"(?:[Pp]atient|[Pp]t|PT|[Ww]ife|[Hh]usband|[Ss]on|[Dd]aughter|[Mm]other|[Ff]ather"
    r"|[Bb]rother|[Ss]ister|[Ss]pouse|[Pp]artner|[Ff]riend|[Aa]unt|[Uu]ncle|[Nn]iece"
    r"|[Nn]ephew|[Cc]ousin|[Gg]randmother|[Gg]randfather|[Gg]randson|[Gg]randdaughter"
    r"|[Gg]uardian|[Cc]aregiver|[Nn]amed|[Cc]alled|[Mm]om|[Dd]ad)"
)
_LABELS = (
    r"(?:MRN|MR\#|MR[ ]?No\.?|Med(?:ical)?[ ]Rec(?:ord)?(?:[ ]No\.?|[ ]Number|[ ]\#)?"
    r"|Acct|ACCT|Account|Acc|Member(?:[ ]ID)?|Policy|Plan[ ]ID|Ins(?:urance)?[ ]ID"
    r"|Subscriber(?:[ ]ID)?|License|Lic|DL|Patient[ ]ID|Pt[ ]ID|ID|Encounter|FIN|CSN"
    r"|Claim|Certificate|Cert|Serial|Device[ ]ID|VIN|Chart|Case)"
)
_LABELS_RE = _LABELS
# A capitalised word (McDonald, O'Brien, Smith-Jones) or an all-capitals word.
_WORD = (
    r"(?:[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]*(?:['\u2019-]?[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+)*"
    r"|[A-Z]{2,}(?:['-][A-Z]+)?)(?![\w])"
)
# Later words of a run never start a label, an honorific or a date ("Seen MRN 123",
# "Saw Dr. Brown", "Seen Sept 3"): those must start their own match.
_NOT_INSIDE = rf"(?!(?:{_LABELS_RE}|{_HONORIFICS})\b|{_MONTH_RE}[ ,]+\d)"
_RUN = rf"{_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]+)?{_NOT_INSIDE}{_WORD}){{0,3}}"


def _pattern(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    suffix_re = "|".join(re.escape(s) for s in suffixes)
    states = "|".join(_STATES)
    alt = [
        # e-mail and URLs first: they contain dots, digits and @ that other kinds would split.
        r"(?P<email>[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
        r"(?P<url>(?:https?://|www\.)[^\s<>\"'\]\)]+)",
        r"(?P<ipv4>(?<![.\d])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
        r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d))",
        r"(?P<ipv6>(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?(?![\w:]))",
        r"(?P<ssn>(?<![\d-])\d{3}(?P<ss>[- ])\d{2}(?P=ss)\d{4}(?![\w-]))",
        r"(?P<ssnl>(?:SSN|SS\#|Social[ ]Security(?:[ ]Number|[ ]No\.?)?)[:\#]?\s*"
        r"(?P<ssnv>\d{9})(?!\d))",
        r"(?P<phone>(?:\+?1[-. ]?)?(?:\(\d{3}\)[ ]?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w-]))",
        # Dates: ISO / numeric / with month names.
        r"(?P<iso>(?<![\d/.-])(?P<iy>\d{4})(?P<is>[-/.])(?P<im>\d{1,2})(?P=is)(?P<id>\d{1,2})(?![\d/-]|\.\d))",
        r"(?P<num>(?<![\d/.-])(?P<na>\d{1,2})(?P<ns>[/-])(?P<nb>\d{1,2})(?P=ns)(?P<ny>\d{4}|\d{2})"
        r"(?![\d/-]|\.\d))",
        rf"(?P<dmy>(?P<dd>{_DAY_RE})(?:[ ]of)?[ -](?P<dm>{_MONTH_RE})"
        rf"(?:,?[ -](?P<dy>{_YEAR_RE}))?)",
        rf"(?P<mdy>(?P<mm>{_MONTH_RE})(?:[ ](?P<md>{_DAY_RE}))?(?:,?[ ](?P<my>{_YEAR_RE}))?)",
        # Identifiers after a label; "#123456"; unlabelled tokens with 5+ digits.
        rf"(?P<mrn>(?P<ml>{_LABELS}\.?(?:[ ]?(?:No\.?|Number|num|\#))?[ ]?[:\#]?[ ]*)"
        r"(?P<mv>(?=[A-Za-z0-9-]{4,})[A-Za-z0-9]*\d[A-Za-z0-9-]*[A-Za-z0-9]|\d{4,}))",
        r"(?P<hashid>\#(?P<hv>\d{5,})(?!\w))",
        # Street addresses and "City, ST 12345".
        rf"(?P<addr>\d{{1,6}}[A-Z]?[ ]+(?:[NSEW]\.?[ ]+)?(?:(?:\d+(?:st|nd|rd|th)|[A-Z][a-z]+)"
        rf"\.?[ ]+){{1,3}}(?:{suffix_re})\.?(?![\w])(?:,?[ ]+(?:(?:Apt|Apartment|Suite|Ste|Unit|Rm"
        r"|Room)(?![a-z])\.?[ ]*\#?|\#[ ]?)(?:\d[A-Za-z0-9-]*|[A-Z](?!\w)))?)",
        r"(?P<pobox>P\.?[ ]?O\.?[ ]Box[ ]\d+)",
        rf"(?P<csz>(?P<city>[A-Z][a-z]+(?:[ ][A-Z][a-z]+){{0,2}}),[ ](?:{states})[ ]+"
        r"(?P<cz>\d{5}(?:-\d{4})?)(?![\w-]))",
        r"(?P<zipl>(?:ZIP|Zip|zip)(?:[ ]?[Cc]ode)?:?[ ]*(?P<zv>\d{5}(?:-\d{4})?)(?![\w-]))",
        r"(?P<idnum>(?<![.-])(?=(?:[A-Za-z-]*\d){5})[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?![\w-]|\.\d))",
        # Names: honorific + words; relation word + words; a run of capitalised words.
        rf"(?P<hon>(?P<ht>{_HONORIFICS})\.?[ ]+(?P<hn>{_RUN}))",
        rf"(?P<rel>(?P<rt>{_RELATIONS})[:,]?[ ]+(?P<rn>{_RUN}))",
        rf"(?P<run>{_RUN})",
    ]
    # One anchor for all: an identifier starts where a word starts, so the
    # engine rejects positions inside words after a single look-behind.
    (email, url, ipv4, ipv6, ssn, ssnl, phone, iso, num, dmy, mdy, mrn, hashid, addr, pobox,
     csz, zipl, idnum, hon, rel, run) = alt
    lower_rel = rel.replace("(?P<rel>", "(?P<rel2>").replace("(?P<rt>", "(?P<rt2>").replace(
        "(?P<rn>", "(?P<rn2>")
    lower_zip = zipl.replace("(?P<zipl>", "(?P<zipl2>").replace("(?P<zv>", "(?P<zv2>")
    # Dispatch on the first character, so a word only meets the alternatives that
    # can start with it (the engine tries every alternative of a branch in turn).
    body = "|".join([
        email, url, rf"(?=[0-9A-Fa-f]{{1,4}}:){ipv6}",
        r"(?=[\d(+])(?:" + "|".join([ipv4, ssn, phone, iso, num, dmy, addr]) + ")",
        r"(?=[A-Z])(?:" + "|".join([ssnl, mdy, mrn, pobox, csz, zipl, hon, rel, run]) + ")",
        r"(?=[a-z])(?:" + "|".join([lower_rel, lower_zip]) + ")",
        hashid, idnum,
    ])
    # The pattern consumes the character before the identifier (texts are scanned
    # with a space in front): a pattern that starts with a character class lets
    # the engine skip the inside of words without entering the alternatives.
    return re.compile(r"[^\w@%+](?:" + body + ")")



# -- the redactor ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One identifier found in a text: where and what kind (never the text itself)."""

    start: int
    end: int
    kind: str


def surrogate_specs(dates: str = "year", days: int | None = None, per: str | None = None
                    ) -> dict[str, TransformSpec]:
    """The column spec whose output each kind of finding gets, as the loader writes them.

    These are the consistency contract: a finding of kind K in a note is
    replaced by exactly what ``build_transform(spec[K], ...)`` gives the same
    text in a column.
    """

    def fake(provider: str) -> TransformSpec:
        return TransformSpec("fake", {"provider": provider, "unique": False, "locale": "en_US"})

    if dates == "shift":
        date_spec = TransformSpec(
            "date", {"mode": "shift", "days": days, "per": per, "format": None}
        )
    else:
        date_spec = TransformSpec("date", {"mode": "year", "format": None})
    return {
        "ssn": fake("ssn"),
        "phone": fake("phone_number"),
        "fax": fake("fax"),
        "email": fake("email"),
        "url": fake("url"),
        "ipv4": fake("ipv4"),
        "ipv6": fake("ipv6"),
        "first_name": fake("first_name"),
        "last_name": fake("last_name"),
        "address": fake("street_address"),
        "city": fake("city"),
        "zip": TransformSpec("generalize", {"method": "zip3"}),
        "mrn": TransformSpec("tokenize", {"alphabet": "alnum"}),
        "date": date_spec,
    }


_Fn = Callable[[str], str]
_CACHE_LIMIT = 1 << 16
_TRAIL = ".,;:!?)]}'\""


class Redactor:
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
    ) -> None:
        from scrubphi.transforms import build_transform  # circular at import time

        d = _dicts()
        self._first = d.first
        self._last = d.last
        self._names = d.first | d.last
        self._ambiguous = d.ambiguous
        self._re = _compiled(d.suffixes)
        self._dates = dates
        self._per = per is not None
        text_col = ColumnInfo(column or "text", "text")
        self._fns: dict[str, _Fn] = {}
        date_fn: Callable[..., str | None] | None = None
        for kind, spec in surrogate_specs(dates, days, per).items():
            if kind == "date":
                date_fn = build_transform(spec, ColumnInfo(column or "date", "date"), ctx).fn
                continue
            fn = build_transform(spec, text_col, ctx).fn
            self._fns[kind] = _cached(fn)
        assert date_fn is not None
        self._date_fn = date_fn
        self._handlers: dict[str, Callable[[re.Match[str], _Out], None]] = {
            "email": self._simple("email"),
            "url": self._url,
            "ipv4": self._simple("ipv4"),
            "ipv6": self._simple("ipv6"),
            "ssn": self._simple("ssn"),
            "ssnl": self._group("ssnv", "ssn"),
            "phone": self._phone,
            "iso": self._iso,
            "num": self._num,
            "dmy": self._text_date,
            "mdy": self._text_date,
            "mrn": self._group("mv", "mrn"),
            "hashid": self._group("hv", "mrn"),
            "addr": self._simple("address"),
            "pobox": self._simple("address"),
            "zipl2": self._group("zv2", "zip"),
            "rel2": self._rel2,
            "csz": self._csz,
            "zipl": self._group("zv", "zip"),
            "idnum": self._idnum,
            "hon": self._hon,
            "rel": self._rel,
            "run": self._run,
        }

    # -- public ----------------------------------------------------------------------

    def redact(self, text: str, per_value: str | None = None) -> str:
        """The text with every identifier replaced by its surrogate."""
        out = _Out(" " + text, per_value)
        handlers = self._handlers
        for m in self._re.finditer(out.text):
            handlers[m.lastgroup or ""](m, out)
        return out.finish()

    def find(self, text: str) -> list[Finding]:
        """Every identifier found: positions (in ``text``) and kinds only."""
        out = _Out(" " + text, None, record=True)
        handlers = self._handlers
        for m in self._re.finditer(out.text):
            handlers[m.lastgroup or ""](m, out)
        return [Finding(f.start - 1, f.end - 1, f.kind) for f in out.findings]

    # -- handlers --------------------------------------------------------------------

    def _simple(self, kind: str) -> Callable[[re.Match[str], _Out], None]:
        fn = self._fns[kind]

        def handle(m: re.Match[str], out: _Out) -> None:
            out.put(m.start(_last(m)), m.end(_last(m)), kind, fn(m.group(_last(m))))

        return handle

    def _group(self, group: str, kind: str) -> Callable[[re.Match[str], _Out], None]:
        fn = self._fns[kind]

        def handle(m: re.Match[str], out: _Out) -> None:
            out.put(m.start(group), m.end(group), kind, fn(m.group(group)))

        return handle

    def _url(self, m: re.Match[str], out: _Out) -> None:
        start, end = m.start(_last(m)), m.end(_last(m))
        text = out.text
        while end > start and text[end - 1] in _TRAIL:
            end -= 1
        out.put(start, end, "url", self._fns["url"](text[start:end]))

    def _phone(self, m: re.Match[str], out: _Out) -> None:
        start = m.start(_last(m))
        before = out.text[max(0, start - 12) : start].lower()
        kind = "fax" if "fax" in before else "phone"
        out.put(start, m.end(_last(m)), kind, self._fns[kind](m.group(_last(m))))

    def _idnum(self, m: re.Match[str], out: _Out) -> None:
        token = m.group(_last(m))
        # A bare number of up to 6 digits is a lab value or a count, not an identifier.
        if token.isdigit() and len(token) < 7:
            return
        out.put(m.start(_last(m)), m.end(_last(m)), "id", self._fns["mrn"](token))

    def _csz(self, m: re.Match[str], out: _Out) -> None:
        city = m.group("city")
        words = city.split(" ")
        # "Seen by Smith, MA 02139" is rare; a capitalised run before ", ST 12345" is a city.
        if not (len(words) == 1 and words[0] in self._ambiguous):
            out.put(m.start("city"), m.end("city"), "city", self._fns["city"](city))
        out.put(m.start("cz"), m.end("cz"), "zip", self._fns["zip"](m.group("cz")))

    # dates

    def _date_surrogate(self, y: int, mo: int, d: int, out: _Out) -> tuple[int, int, int] | None:
        """The replacement (year, month, day), or None when the date is not a real one."""
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return None
        if self._dates == "year":
            return y, 1, 1
        try:
            iso = f"{y:04d}-{mo:02d}-{d:02d}"
            # Reject 31 February before the shift arithmetic normalises it.
            if civil_from_days(days_from_civil(y, mo, d)) != (y, mo, d):
                return y, 1, 1
            shifted = self._date_fn(iso, out.per_value) if self._per else self._date_fn(iso)
        except ValueError:
            return y, 1, 1
        assert shifted is not None
        return int(shifted[0:4]), int(shifted[5:7]), int(shifted[8:10])

    def _iso(self, m: re.Match[str], out: _Out) -> None:
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        new = self._date_surrogate(y, mo, d, out)
        if new is None:
            return
        sep = m.group("is")
        ny, nm, nd = new
        out.put(m.start(_last(m)), m.end(_last(m)), "date",
                f"{ny:04d}{sep}{_pad(nm, m.group('im'))}{sep}{_pad(nd, m.group('id'))}")

    def _num(self, m: re.Match[str], out: _Out) -> None:
        a_text, b_text, y_text = m.group("na"), m.group("nb"), m.group("ny")
        a, b = int(a_text), int(b_text)
        year = int(y_text)
        if len(y_text) == 2:
            year += 2000 if year < 50 else 1900
        day_first = a > 12 and b <= 12
        mo, d = (b, a) if day_first else (a, b)
        new = self._date_surrogate(year, mo, d, out)
        if new is None:
            return
        ny, nm, nd = new
        ys = f"{ny % 100:02d}" if len(y_text) == 2 else f"{ny:04d}"
        first, second = (nd, nm) if day_first else (nm, nd)
        sep = m.group("ns")
        out.put(m.start(_last(m)), m.end(_last(m)), "date",
                f"{_pad(first, a_text)}{sep}{_pad(second, b_text)}{sep}{ys}")

    def _text_date(self, m: re.Match[str], out: _Out) -> None:
        dmy = m.lastgroup == "dmy"
        g_month, g_day, g_year = ("dm", "dd", "dy") if dmy else ("mm", "md", "my")
        month_text = m.group(g_month)
        day_text = m.group(g_day)
        year_text = m.group(g_year)
        if not dmy and day_text is None and year_text is None:
            # A month name alone ("May", "March") is not a date element worth a guess;
            # let the name rules see it.
            self._run_like(m, out)
            return
        mo = _MONTHS[month_text[:3].lower()]
        d = int(re.sub(r"\D", "", day_text)) if day_text else 15
        y = int(year_text) if year_text else 2000
        new = self._date_surrogate(y, mo, d, out)
        if new is None:
            return
        ny, nm, nd = new
        parts = [
            (m.start(group), m.end(group), value)
            for group, value in ((g_month, _month_like(nm, month_text)),
                                 (g_day, _day_like(nd, day_text)),
                                 (g_year, f"{ny:04d}"))
            if m.group(group) is not None
        ]
        # One finding for the whole date, its pieces substituted in place ("4th of
        # March 2021": the words between them stay).
        text, pos, pieces = out.text, m.start(_last(m)), []
        for start, end, value in sorted(parts):
            pieces.append(text[pos:start])
            pieces.append(value)
            pos = end
        pieces.append(text[pos : m.end(_last(m))])
        out.put(m.start(_last(m)), m.end(_last(m)), "date", "".join(pieces))

    # names

    def _run_like(self, m: re.Match[str], out: _Out) -> None:
        self._names_in(out, m.start(_last(m)), m.group(_last(m)), context="")

    def _hon(self, m: re.Match[str], out: _Out) -> None:
        self._names_in(out, m.start("hn"), m.group("hn"), context="honorific")

    def _rel(self, m: re.Match[str], out: _Out) -> None:
        self._names_in(out, m.start("rn"), m.group("rn"), context="relation")

    def _rel2(self, m: re.Match[str], out: _Out) -> None:
        self._names_in(out, m.start("rn2"), m.group("rn2"), context="relation")

    def _run(self, m: re.Match[str], out: _Out) -> None:
        self._names_in(out, m.start(_last(m)), m.group(_last(m)), context="")

    def _names_in(self, out: _Out, base: int, run: str, context: str) -> None:
        """Decide which words of a run of capitalised words are names, and their roles."""
        names = self._names
        if not context:
            # Fast path: most runs are sentence starts and drug names, no name in them.
            for word in run.split():
                if word in names or (word.isupper() and word.title() in names):
                    break
            else:
                return
        words = list(_tokens(run))
        if not words:
            return
        ambiguous, first, last = self._ambiguous, self._first, self._last
        keys = [w.title() if w.isupper() and len(w) > 1 else w for _, w in words]
        is_name = [False] * len(words)
        caps = [w.isupper() for _, w in words]
        for i, key in enumerate(keys):
            if len(key) < 2:
                continue  # initials are decided with their neighbours below
            if key in names and key not in ambiguous:
                # An all-capitals word ("ROS", "NAD") is an abbreviation unless it is
                # long or a neighbouring word is a name too ("JOHN SMITH", "LEE KIM").
                if caps[i] and len(key) < 4 and not (
                    (i > 0 and keys[i - 1] in names) or (i + 1 < len(keys) and keys[i + 1] in names)
                ):
                    continue
                is_name[i] = True
        # Context: an honorific makes the first word(s) names; a relation word
        # makes the first word a name when it is in a dictionary.
        if context == "honorific":
            for i, key in enumerate(keys[:2]):
                if len(key) >= 2 and not (words[i][1].isupper() and key not in names):
                    is_name[i] = True
                if i == 0 and not (len(keys) > 1 and (keys[1] in names or is_name[1])):
                    break
        elif context == "relation" and keys[0] in names:
            is_name[0] = True
        # Ambiguous words next to a sure name are names too ("Will Smith", "Mary Brown").
        changed = True
        while changed:
            changed = False
            for i, key in enumerate(keys):
                if is_name[i] or len(key) < 2 or key not in ambiguous:
                    continue
                if (i > 0 and is_name[i - 1]) or (i + 1 < len(keys) and is_name[i + 1]):
                    is_name[i] = changed = True
        # Two ambiguous words, a first name then a last name ("Summer West"), are a name
        # unless one of them is a clinical or calendar word.
        for i in range(len(keys) - 1):
            a, b = keys[i], keys[i + 1]
            if (not is_name[i] and not is_name[i + 1] and a in first and b in last
                    and a not in _NEVER_SET and b not in _NEVER_SET
                    and not caps[i] and not caps[i + 1]):
                is_name[i] = is_name[i + 1] = True
        # An unknown capitalised word right after a sure first name is its surname.
        for i in range(1, len(keys)):
            key = keys[i]
            if (not is_name[i] and is_name[i - 1] and keys[i - 1] in first and len(key) >= 2
                    and key not in ambiguous and not words[i][1].isupper()
                    and (i + 1 == len(keys) or not is_name[i + 1])):
                is_name[i] = True
        for i, (offset, word) in enumerate(words):
            key = keys[i]
            if len(key) < 2:
                # A middle initial between two names.
                if 0 < i < len(words) - 1 and is_name[i - 1] and is_name[i + 1]:
                    out.put(base + offset, base + offset + 1, "initial",
                            self._fns["mrn"](word[0]))
                continue
            if not is_name[i]:
                continue
            later = any(is_name[j] for j in range(i + 1, len(words)) if len(keys[j]) >= 2)
            if context == "honorific" and not later:
                role = "last_name"
            elif later and key in first:
                role = "first_name"
            elif key in last and (not later or key not in first):
                role = "last_name" if (i > 0 and is_name[i - 1]) or key not in first else \
                    "first_name"
            else:
                role = "first_name" if key in first or later else "last_name"
            fake = self._fns[role](key)
            if word.isupper() and len(word) > 1:
                fake = fake.upper()
            out.put(base + offset, base + offset + len(word), role, fake)


class _Out:
    """Collects replacements in order and builds the result (or the findings)."""

    __slots__ = ("findings", "parts", "per_value", "pos", "record", "text")

    def __init__(self, text: str, per_value: str | None, record: bool = False) -> None:
        self.text = text
        self.per_value = per_value
        self.parts: list[str] = []
        self.pos = 1  # the text starts with the space the scan needs
        self.record = record
        self.findings: list[Finding] = []

    def put(self, start: int, end: int, kind: str, replacement: str) -> None:
        if start < self.pos:
            return
        if self.record:
            self.findings.append(Finding(start, end, kind))
        else:
            self.parts.append(self.text[self.pos : start])
            self.parts.append(replacement)
        self.pos = end

    def finish(self) -> str:
        if not self.parts:
            return self.text[1:]
        self.parts.append(self.text[self.pos :])
        return "".join(self.parts)


_SPACE_SPLIT = re.compile(r"[^ \t]+")


def _tokens(run: str) -> Iterator[tuple[int, str]]:
    """(offset, word) of each word of a run; an initial "Q." gives "Q"."""
    for m in _SPACE_SPLIT.finditer(run):
        word = m.group()
        if len(word) == 2 and word[1] == ".":
            word = word[0]
        yield m.start(), word


def _last(m: re.Match[str]) -> int:
    """The group of the alternative that matched (each alternative is one outer group)."""
    return m.lastindex or 0


def _pad(value: int, like: str) -> str:
    return f"{value:02d}" if len(like) == 2 else str(value)


def _month_like(month: int, like: str) -> str:
    dot = "." if like.endswith(".") else ""
    core = like.rstrip(".")
    name = _MONTH_FULL[month - 1] if len(core) > 4 or core.lower() == "june" or \
        core.lower() == "july" else _MONTH_ABBR[month - 1]
    if core.lower() == "sept" and month == 9:
        name = "Sept"
    if core.isupper():
        name = name.upper()
    return name + dot


def _day_like(day: int, like: str | None) -> str:
    if like is None:
        return str(day)
    text = f"{day:02d}" if like.startswith("0") else str(day)
    if not like[-1].isdigit():
        suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        text += suffix
    return text


def _cached(fn: Callable[[str | None], str | None]) -> _Fn:
    cache: dict[str, str] = {}

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


@lru_cache(maxsize=4)
def _compiled(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    return _pattern(suffixes)


# -- policy glue ------------------------------------------------------------------------


def _param(spec: TransformSpec, name: str) -> Any:
    return spec.params.get(name)


def check_redact_spec(spec: TransformSpec) -> None:
    """Validate ``{redact: text, dates: year|shift, days: N, per: COLUMN}`` without a column.

    Raises ``ValueError`` with a message the loader places at the spec.
    """
    mode = _param(spec, "mode")
    if mode not in REDACT_MODES:
        raise ValueError(f"redact must be one of {', '.join(REDACT_MODES)}")
    dates = _param(spec, "dates") or "year"
    if dates not in DATE_MODES:
        raise ValueError(f"dates must be one of {', '.join(DATE_MODES)}")
    days = _param(spec, "days")
    per = _param(spec, "per")
    if dates == "shift":
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_SHIFT_DAYS:
            raise ValueError(f"dates: shift needs days: N (1 to {MAX_SHIFT_DAYS})")
        if per is not None and (not isinstance(per, str) or not per):
            raise ValueError("per must name a column")
    elif days is not None or per is not None:
        raise ValueError("days and per apply only to dates: shift")


def build_redactor(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext
                   ) -> BuiltTransform:
    """The ``redact: text`` transform of one column (text columns and text arrays).

    With ``dates: shift`` and ``per``, the function takes the ``per`` column's
    original value too, so dates in notes move with the patient's other dates.
    """
    check_redact_spec(spec)
    if not is_text(column):
        raise ValueError(
            f"redact cannot write a {column.type_name or 'unknown'} column: it needs a text column"
        )
    dates = str(_param(spec, "dates") or "year")
    per = _param(spec, "per") if dates == "shift" else None
    days = _param(spec, "days") if dates == "shift" else None
    redactor = Redactor(ctx, dates=dates, days=days, per=per, column=column.name)
    redact = redactor.redact

    def element(value: str, per_value: str | None = None) -> str:
        return redact(value, per_value)

    from scrubphi.transforms.arrays import map_array

    if column.array_dims:
        def core(value: str, per_value: str | None = None) -> str | None:
            return map_array(value, lambda item: element(item, per_value))
    else:
        core = element

    if per is not None:
        def fn_per(value: str | None, per_value: str | None = None) -> str | None:
            return None if value is None else core(value, per_value)

        return BuiltTransform(fn=fn_per, per=per, cacheable=False, kind="redact")

    def fn(value: str | None) -> str | None:
        return None if value is None else core(value)

    return BuiltTransform(fn=fn, kind="redact")
