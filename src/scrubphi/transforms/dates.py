"""``date``: keyed shifts, year-only, and HIPAA Safe Harbor dates.

Why shift by a *per* value: a patient's admission and discharge dates must
move together so lengths of stay survive, while different patients move by
different amounts.  Why work on the text: pg_dump writes dates in ISO form
(``DateStyle = ISO``), and the time of day and the UTC offset text of a
timestamp must come out exactly as they went in.  Day arithmetic is done on
the proleptic Gregorian calendar for any year, including BC dates
(``0044-03-15 BC``) and years past 9999; ``infinity`` and ``-infinity`` pass
unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from scrubphi.transforms.keyed import Prf, offset_in

__all__ = [
    "civil_from_days",
    "days_from_civil",
    "make_shift",
    "make_shift_formatted",
    "make_year",
    "make_year_formatted",
    "make_year_integer",
    "parse_pg_date",
    "per_offset_of",
]

_ISO = re.compile(r"(\d{4,})-(\d\d)-(\d\d)(.*?)( BC)?", re.DOTALL)
_OFFSET = re.compile(r"[+-]\d\d(?::\d\d){0,2}$")
_PASS = frozenset({"infinity", "-infinity"})


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of an astronomical-year Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """The inverse of ``days_from_civil``."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def parse_pg_date(value: str) -> tuple[int, int, int, str]:
    """(astronomical year, month, day, tail) of pg_dump's ISO date or timestamp text.

    ``tail`` is everything after the date (`` 12:30:00.5+02``), kept verbatim.
    Raises ``ValueError`` (never quoting the value) when the text is not such a date.
    """
    m = _ISO.fullmatch(value)
    if m is None:
        raise ValueError("date transform: value is not an ISO date or timestamp")
    year = int(m.group(1))
    if m.group(5):
        year = 1 - year
    month, day = int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError("date transform: value is not an ISO date or timestamp")
    return year, month, day, m.group(4)


def _write(year: int, month: int, day: int, tail: str) -> str:
    if year <= 0:
        return f"{1 - year:04d}-{month:02d}-{day:02d}{tail} BC"
    return f"{year:04d}-{month:02d}-{day:02d}{tail}"


#: The days (``days_from_civil``) PostgreSQL's ``date`` holds: 4714-11-24 BC to
#: 5874897-12-31. Its timestamps end at 294276-12-31; a day is left at both ends for a
#: ``timestamptz``'s UTC offset (``294276-12-31 23:00-05`` is past the end in UTC).
_DATE_DAYS = (days_from_civil(-4713, 11, 24), days_from_civil(5874897, 12, 31))
_TIMESTAMP_DAYS = (days_from_civil(-4713, 11, 25), days_from_civil(294276, 12, 30))


def _holds(day: int, tail: str) -> bool:
    """Whether PostgreSQL holds a date (no ``tail``) or a timestamp on this day."""
    low, high = _TIMESTAMP_DAYS if tail else _DATE_DAYS
    return low <= day <= high


def make_shift(prf: Prf, days: int, per: bool) -> Callable[..., str | None]:
    """Shift an ISO date/timestamp by a keyed offset in [-days, +days] without 0.

    Where the shifted date is past what PostgreSQL's type holds (a sentinel
    ``5874897-12-31``, a timestamp in 294276), it moves as far the other way, so the
    restore never refuses it (with ``per``, such a date leaves its entity's offset).

    With ``per``, the function takes ``(value, per_value)`` and the offset is
    keyed by the *original* ``per_value`` (by the value itself when that is
    NULL); without, by the value itself.
    """

    def shift(value: str, offset: int) -> str:
        if value in _PASS:
            return value
        y, m, d, tail = parse_pg_date(value)
        day = days_from_civil(y, m, d)
        low, high = _TIMESTAMP_DAYS if tail else _DATE_DAYS
        moved = day + offset
        if not low <= moved <= high:
            moved = day - offset  # past what PostgreSQL holds: as far the other way
        ny, nm, nd = civil_from_days(moved)
        return _write(ny, nm, nd, tail)

    if per:
        per_offset = _per_offsets(prf, days)

        def fn_per(value: str | None, per_value: str | None = None) -> str | None:
            if value is None:
                return None
            if per_value is None:
                return shift(value, offset_in(prf.value(value, b"d"), days))
            return shift(value, per_offset(per_value))

        return fn_per

    def fn(value: str | None) -> str | None:
        if value is None:
            return None
        return shift(value, offset_in(prf.value(value, b"d"), days))

    return fn


#: Per values whose offsets are remembered; the cache is emptied when full (bounded memory).
PER_CACHE = 65536


#: Range types of dates and timestamps, whose two bounds ``{date: shift}`` moves together.
RANGE_TYPES = frozenset({"daterange", "tsrange", "tstzrange"})
#: Their multiranges (PostgreSQL 14+: a patient's stays in one value), every range of
#: which moves by the same offset.
MULTIRANGE_TYPES = frozenset({"datemultirange", "tsmultirange", "tstzmultirange"})


def make_shift_range(prf: Prf, days: int, multi: bool = False) -> Callable[..., str | None]:
    """Shift both bounds of a ``daterange``/``tsrange``/``tstzrange`` by one keyed offset
    (with ``multi``, every range of a multirange by the same one).

    pg_dump writes ``[2020-01-02,2020-02-01)``, ``["2020-01-02 10:00:00+00",)``,
    ``empty``, and multiranges as ``{[2020-01-02,2020-01-05),[2021-03-01,)}`` or
    ``{}``; infinite and absent bounds stay.  The offset is the ``per`` value's (as
    for dates), else keyed by the whole value, so a stay keeps its length, its bounds
    their order and a multirange's ranges their gaps.  When a bound would pass what
    PostgreSQL holds, every bound moves as far the other way.
    """
    of = _per_offsets(prf, days)

    def parsed(text: str) -> tuple[bool, int, str] | None:
        """(quoted, day number, tail) of a bound; None for an absent or infinite one."""
        quoted = len(text) >= 2 and text[0] == '"' and text[-1] == '"'
        inner = text[1:-1] if quoted else text
        if not inner or inner in _PASS:
            return None
        y, m, d, tail = parse_pg_date(inner)
        return quoted, days_from_civil(y, m, d), tail

    def written(bound: tuple[bool, int, str] | None, text: str, offset: int) -> str:
        if bound is None:
            return text
        quoted, day, tail = bound
        moved = _write(*civil_from_days(day + offset), tail)
        return f'"{moved}"' if quoted else moved

    def fn_range(value: str | None, per_value: str | None = None) -> str | None:
        if value is None:
            return None
        ranges = split_ranges(value, multi)
        if ranges is None:
            if not multi and value == "empty":
                return value
            raise ValueError("date transform: value is not a "
                             f"{'multirange' if multi else 'range'} of dates or timestamps")
        bounds = [(parsed(m.group(2)), parsed(m.group(3))) for m in ranges]
        offset = of(per_value if per_value is not None else "range:" + value)
        if any(not _holds(b[1] + offset, b[2]) for pair in bounds for b in pair
               if b is not None):
            offset = -offset
        out = [f"{m.group(1)}{written(lower, m.group(2), offset)},"
               f"{written(upper, m.group(3), offset)}{m.group(4)}"
               for m, (lower, upper) in zip(ranges, bounds, strict=True)]
        return "{" + ",".join(out) + "}" if multi else out[0]

    return fn_range  # fn(value), or fn(value, per_value) with per


def _month_days(year: int, month: int) -> int:
    """The days of a month of the proleptic Gregorian calendar (astronomical years)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def split_ranges(value: str, multi: bool) -> list[re.Match[str]] | None:
    """The ranges of a range (one) or a multirange (whitespace around its ranges
    allowed, as PostgreSQL reads it); None when ``value`` is not one (``empty``
    included: the caller decides)."""
    if not multi:
        m = _RANGE.fullmatch(value)
        return None if m is None else [m]
    if len(value) < 2 or value[0] != "{" or value[-1] != "}":
        return None
    out: list[re.Match[str]] = []
    end = len(value) - 1
    pos = _skip_space(value, 1, end)
    while pos < end:
        m = _RANGE.match(value, pos, end)
        if m is None:
            return None
        out.append(m)
        pos = _skip_space(value, m.end(), end)
        if pos < end:
            if value[pos] != ",":
                return None
            pos = _skip_space(value, pos + 1, end)
            if pos == end:
                return None  # a trailing comma
    return out


def _skip_space(text: str, pos: int, end: int) -> int:
    while pos < end and text[pos] in " \t\n\r\f\v":
        pos += 1
    return pos


def range_constant_fits(const: str, multi: bool) -> bool:
    """Whether a ``{value: X}`` constant reads as a range (``empty`` too) or a
    multirange, with no bound in ISO form that is not a date (``2021-02-30``); bounds
    in other forms are left to PostgreSQL, as date constants are."""
    text = const.strip(" \t\n\r\f\v")
    ranges = split_ranges(text, multi)
    if ranges is None:
        return not multi and text.lower() == "empty"
    for m in ranges:
        for bound in (m.group(2), m.group(3)):
            inner = bound[1:-1] if len(bound) >= 2 and bound[0] == '"' == bound[-1] else bound
            iso = _ISO.fullmatch(inner.strip())
            if iso is None:
                continue
            year = 1 - int(iso.group(1)) if iso.group(5) else int(iso.group(1))
            month, day = int(iso.group(2)), int(iso.group(3))
            if not (1 <= month <= 12 and 1 <= day <= _month_days(year, month)):
                return False
    return True


_RANGE = re.compile(r'([\[(])("[^"\\]*"|[^",\\]*),("[^"\\]*"|[^",\\]*)([\])])')


def per_offset_of(prf: Prf, days: int) -> Callable[[str], int]:
    """The days a shift with a per value moves every date of that value by (not
    remembered: one PRF call a call)."""

    def offset(per_value: str) -> int:
        return offset_in(prf.value(per_value, b"p"), days)

    return offset


def _per_offsets(prf: Prf, days: int) -> Callable[[str], int]:
    """A per value's offset, computed once per entity (one PRF call per patient, not per row)."""
    cache: dict[str, int] = {}
    of = per_offset_of(prf, days)

    def per_offset(per_value: str) -> int:
        offset = cache.get(per_value)
        if offset is None:
            if len(cache) >= PER_CACHE:
                cache.clear()
            offset = cache[per_value] = of(per_value)
        return offset

    return per_offset


def make_shift_formatted(prf: Prf, days: int, per: bool, fmt: str) -> Callable[..., str | None]:
    """Like ``make_shift`` for text columns whose dates follow ``fmt`` (strptime codes)."""

    def shift(value: str, offset: int) -> str:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            raise ValueError("date transform: value does not match the date format") from None
        try:
            moved = parsed + timedelta(days=offset)
        except OverflowError:
            moved = parsed - timedelta(days=offset)  # past year 9999 (or 1): the other way
        return moved.strftime(fmt)

    if per:
        per_offset = _per_offsets(prf, days)

        def fn_per(value: str | None, per_value: str | None = None) -> str | None:
            if value is None:
                return None
            if per_value is None:
                return shift(value, offset_in(prf.value(value, b"d"), days))
            return shift(value, per_offset(per_value))

        return fn_per

    def fn(value: str | None) -> str | None:
        if value is None:
            return None
        return shift(value, offset_in(prf.value(value, b"d"), days))

    return fn


def _floor_year(year: int, floor: int | None) -> int:
    return year if floor is None else max(year, floor)


def make_year(floor: int | None) -> Callable[[str], str]:
    """Year only: ``YYYY-01-01`` (timestamps: ``YYYY-01-01 00:00:00`` and the offset text).

    ``floor`` (Safe Harbor: as_of.year - 90) raises earlier years to it, so no
    one appears older than 89 (ages of 90 and over share one year).
    """

    def fn(value: str) -> str:
        if value in _PASS:
            return value
        y, _m, _d, tail = parse_pg_date(value)
        y = _floor_year(y, floor)
        if tail:
            off = _OFFSET.search(tail)
            tail = " 00:00:00" + (off.group(0) if off else "")
        return _write(y, 1, 1, tail)

    return fn


def make_year_formatted(floor: int | None, fmt: str) -> Callable[[str], str]:
    """Year only for text columns in ``fmt``: the date becomes 1 January of its year."""

    def fn(value: str) -> str:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            raise ValueError("date transform: value does not match the date format") from None
        year = _floor_year(parsed.year, floor)
        return datetime(year, 1, 1, tzinfo=parsed.tzinfo).strftime(fmt)

    return fn


def make_year_integer(floor: int | None) -> Callable[[str], str]:
    """Year only on an integer column that holds a year."""

    def fn(value: str) -> str:
        try:
            year = int(value)
        except ValueError:
            raise ValueError("date transform: integer column value is not a year") from None
        return str(_floor_year(year, floor))

    return fn


def today() -> date:
    """Today's date: the default ``as_of`` of ``safe_harbor`` (isolated for tests)."""
    return date.today()


def as_of_date(raw: object) -> date:
    """A spec's ``as_of`` (a date or ``YYYY-MM-DD``) as a date; today's when it is None.

    ``{date: safe_harbor}`` and ``{redact: text}`` with ``dates: year`` read it here.
    """
    if raw is None:
        return today()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError("as_of must be a date written YYYY-MM-DD") from None
