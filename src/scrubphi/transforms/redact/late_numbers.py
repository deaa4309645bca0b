"""The late pass's numbers and days: what either scan left of an address, a device or a date.

Part of the late pass (:mod:`.late` runs these and says why the pass exists): rules
that look at a few characters around a span the scan put, or a rare shape, and so
need no twin in C.

* **MAC addresses**: six pairs of hex digits joined by ``:`` or ``-`` (with a letter
  among them when joined by ``-``), and the dotted form of three groups of four; keyed
  hex digits in the same shape and case.
* **A house number after a street named like a person** (``Ekkehart-Adolph-Ring 57,
  42762 Lemgo``).
* **The other numbers of an address replaced in part**: an Australian postcode after a
  town and its state, a house number's second part (``22/95``), a number before a
  French street type (``9, rue ...``), a British or Canadian postcode after a town.
* **A day of the week that is part of a date**: beside a replaced date (``Tuesday, July
  28``) or before a part of the day (``on Sunday morning``); a keyed other day.

Never logs or raises with a value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.patterns import FIRST_TYPES
from scrubphi.transforms.redact.structured import Spans, digits_like, filler, overlaps_across

__all__ = ["MAC_DASH", "MAC_MAY", "address_numbers", "house_numbers", "macs", "weekdays"]

Fn = Callable[[str], str]


# -- MAC addresses ------------------------------------------------------------------------

_MAC = compile_cached(
    r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-]|\.\w)"
)
# (each led by a literal, which the pattern engine searches for fast)
MAC_DASH = compile_cached(r"-[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-")
# (the dash's search finds a hyphen before a Title-case word too: "t", for _barrelled)
MAC_MAY = (compile_cached(r":[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}:"),
            compile_cached(r"-(?:[0-9A-Fa-f]{2}-[0-9A-Fa-f]{2}-|(?P<t>[A-Z][a-z\u00df-\u00ff]))"),
            compile_cached(r"\.[0-9A-Fa-f]{4}\."))
_HEX = "0123456789abcdef"


def macs(text: str, out: Spans, key: bytes) -> None:
    for m in _MAC.finditer(text):
        value = m.group()
        if not any(c.isdigit() for c in value) or (
                value[2:3] == "-" and not any(c in "abcdefABCDEF" for c in value)):
            continue  # (six numbers joined by dashes are readings: "12-14-15-16-18-20")
        s, e = m.span()
        if overlaps_across(out, s, e):
            continue
        digest = hmac.new(key, b"mac\0" + value.lower().encode(), hashlib.sha256).digest()
        fake = [_HEX[digest[i % len(digest)] % 16] for i in range(len(value))]
        if fake == list(value.lower()):  # never the same address back
            fake[0] = _HEX[(_HEX.index(fake[0]) + 1) % 16]
        upper = value != value.lower()
        chars = [c if c in ":-." else (f.upper() if upper else f)
                 for c, f in zip(value, fake, strict=True)]
        out.put(s, e, "id", "".join(chars), priority=0)


# -- a house number after a street named like a person ----------------------------------------

#: A number after a word (a space or a comma between), then a comma.
_NUMBER_AFTER = compile_cached(r"(?:[ ]|,[ ])(\d{1,5}[A-Za-z]?)(?![\w/%-]|[.,]\d),[ ]*")
_POSTCODE = compile_cached(r"\d{4,5}(?![\w/%-]|[.,]\d)")
_NAMES = ("first_name", "last_name")
_AFTER_KINDS = ("first_name", "last_name", "place", "city", "zip", "address")


def house_numbers(text: str, out: Spans, mrn: Fn) -> None:
    """A number between a capitalised word replaced as a name and, after a comma, a
    postcode or another replaced word is the house number of a street named after a
    person ("Ekkehart-Adolph-Ring 57, 42762 Lemgo", "Jorge Borrás 86, Ciudad"); the
    word pass takes it after a town's or street's name, not after a person's."""
    starts: dict[int, str] | None = None
    size = len(text)
    for start, _prio, end, kind, _rep in list(out.spans):
        if end + 2 >= size or text[end] not in " ," or kind not in _NAMES or \
                not text[start : start + 1].isupper():
            continue
        m = _NUMBER_AFTER.match(text, end)
        if m is None:
            continue
        if starts is None:
            starts = {sp[0]: sp[3] for sp in out.spans}
        if m.start(1) in starts:
            continue
        if starts.get(m.end()) in _AFTER_KINDS or _POSTCODE.match(text, m.end()):
            number = m.group(1)
            digits = number.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
            fake = digits_like(mrn(digits), digits)
            if fake == digits:
                fake = str((int(digits[0]) % 9) + 1) + fake[1:]
            out.put(m.start(1), m.start(1) + len(digits), "zip", fake)


# -- the other numbers of an address the scan replaced in part ---------------------------------

# After a town the scan replaced and a comma: an Australian state's code and its
# four-digit postcode ("Port Sethville, QLD, 4657"), the address's end after it (not a
# dose: "Dr. Smith, SA, 1200 mg").
_AU_POSTCODE = compile_cached(
    r",[ ]+(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT),?[ ]+(\d{4})(?![\w/%-]|[.,]\d)"
    r"(?=[ ]*(?:\r?\n|\Z|[.,;)]|[ ](?!(?i:mg|mcg|g|gm|kg|ml|cc|l|units?|u|iu|meq|mmol|mls"
    r"|hrs?|hours?|mins?|x|times|doses?|tabs?|caps?|puffs?|drops?|sprays?)(?![^\W_]))))")
# The second part of a house number whose first part the scan replaced after a street's
# name in Title case ("Drubstraße 22/95, 94472 Stade", "Dobesallee 4-5, Kusel"), before a
# comma and the postcode or town (not a reading: "AUGMENTED 81-42, sys unload").
_SECOND_NUMBER = compile_cached(r"[/-](\d{1,4}[A-Za-z]?),[ ]*(?=\d|[A-Z\u00c0-\u00de])")
_STREET_BEFORE = compile_cached(r"[A-Z\u00c0-\u00de][a-z\u00df-\u00ff][\w.'-]*[ ]\Z")
# A house number before a comma and a street's type written first, in lower case, that the
# scan replaced ("9, rue Lucas Mary", "56, boulevard de Bonnin").
_NUMBER_COMMA = compile_cached(r"(?<![\w.,/-])(\d{1,4}[A-Za-z]?),[ ]\Z")
# "E7 8NR", "CM90 7RT", "M8 1DT" (the inward part's letters are never C, I, K, M, O, V);
# Canada's "K1A 0B1".
_UK_CA_POSTCODE = (r"(?<![\w-])([A-Z]{1,2}\d[A-Z\d]?[ ]\d[ABD-HJLNP-UW-Z]{2}"
                   r"|[ABCEGHJ-NPRSTVXY]\d[A-Z][ ]\d[A-Z]\d)(?![\w-])")
# One after a town the scan replaced and a comma or a line's end, perhaps a province's or
# county's code ("Toronto, ON K1A 0B1"; the scan takes one after its label: "ZIP CM90 7RT").
_TOWN_POSTCODE = compile_cached(
    rf"(?:,[ ]*|\n[ ]*)(?:[A-Z]{{2,3}}(?:,[ ]*|[ ]+))?{_UK_CA_POSTCODE}")
_LOWER_TYPES = frozenset(t for t in FIRST_TYPES if t.islower())
_TOWNISH = frozenset(("place", "city", "first_name", "last_name"))
_NUMBER_KINDS = _TOWNISH | {"zip"}
_NUMBER_NEXT = frozenset((",", "\n", "/", "-"))


def address_numbers(text: str, out: Spans, key: bytes) -> None:
    """Numbers of an address whose words the scan replaced: an Australian postcode after
    a town and its state, the second part of a house number, a house number before a
    street's type (keyed digits in the same shape, never a digit back in its place); a
    British or Canadian postcode after a town (keyed letters and digits)."""
    # (a comprehension first: the scan's spans are many, few of them end before a comma,
    # a line's end, a slash or a dash, or start after a comma)
    kinds, ends = _NUMBER_KINDS, _NUMBER_NEXT
    near = [sp for sp in out.spans if sp[3] in kinds and (
        text[sp[2] : sp[2] + 1] in ends or (sp[3] == "place" and text[sp[0] - 2 : sp[0]] == ", "))]
    if not near:
        return
    found: list[tuple[int, int]] = []
    codes: list[tuple[int, int]] = []
    for start, _prio, end, kind, _rep in near:
        if kind in _TOWNISH:
            after = text[end : end + 1]
            if after == "," and (m := _AU_POSTCODE.match(text, end)) is not None:
                found.append(m.span(1))
            elif after in (",", "\n") and (m := _TOWN_POSTCODE.match(text, end)) is not None:
                codes.append(m.span(1))
            if kind == "place" and start >= 3 and text[start - 2 : start] == ", " and \
                    text[start:end] in _LOWER_TYPES:
                m = _NUMBER_COMMA.search(text, max(0, start - 8), start)
                if m is not None:
                    found.append(m.span(1))
        elif kind == "zip" and text[end : end + 1] in ("/", "-") and text[start:end].isdigit():
            m = _SECOND_NUMBER.match(text, end)
            if m is not None and _STREET_BEFORE.search(text, max(0, start - 40), start):
                found.append(m.span(1))
    if not found and not codes:
        return
    starts = {sp[0] for sp in out.spans}
    for s, e in codes:
        # (keyed as the scan keys one after its label: the same code, the same surrogate)
        if s not in starts and not overlaps_across(out, s, e):
            starts.add(s)
            out.put(s, e, "zip", filler(text[s:e], key).upper(), priority=0)
    for s, e in found:
        if s in starts or overlaps_across(out, s, e):
            continue
        value = text[s:e]
        digest = hmac.new(key, b"house\0" + value.encode(), hashlib.sha256).digest()
        chars = []
        for i, c in enumerate(value):
            if c.isdigit():
                f = str(digest[i] % 10)
                if f == c:
                    f = str((digest[i] + 1) % 10)
                chars.append(f)
            else:
                chars.append(c)
        starts.add(s)
        out.put(s, e, "zip", "".join(chars), priority=0)


# -- days of the week beside a date or before a part of the day -----------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A day of the week, in Title case or capitals (the scans tell the late pass when a note
# holds one: see HEAD_WORDS; not "Sat", "Sun", "Wed": the short forms are clinical words
# too: "sat 95%").
_WEEKDAY = compile_cached(
    r"(?<![^\W_])(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|(?:MON|TUES|WEDNES|THURS|FRI"
    r"|SATUR|SUN)DAY)(?![^\W_'\u2019])")
# After a day of the week: a part of the day ("Sunday morning", "MONDAY NIGHT"), or what
# leads to a date the scan replaced ("Tuesday, July 28", "Monday the 3rd").
_DAY_PART = compile_cached(r"[ ](?i:morning|afternoon|evening|night|noon|midday|lunchtime)"
                           r"(?![^\W_])")
_TO_DATE = compile_cached(r",?[ ]+(?:(?i:the)[ ]+)?")
# Before a day of the week, after a date the scan replaced ("July 28, Tuesday").
_FROM_DATE = compile_cached(r",?[ ]+\Z")


def weekdays(text: str, out: Spans, key: bytes) -> None:
    """A day of the week beside a date the scan replaced, or before a part of the day, is
    an element of that date: it becomes another day, keyed by the day's name and the
    note's text.  (Keyed by the name alone, the days would form one substitution of
    seven across the whole dump: a single note whose true day is known would reveal it
    for every note, and with dates shifted per patient, the shift modulo seven.)"""
    note: bytes | None = None
    found: list[re.Match[str]] = []
    size = len(text)
    for tail in ("day", "DAY"):  # (found fast: a pattern tried everywhere costs more)
        i = text.find(tail)
        while i >= 3:
            if text[i - 1] in "nsirNSIR":  # (Mon-, Sun-, Tues-, Wednes-, Thurs-, Fri-, Satur-)
                m = _WEEKDAY.search(text, max(0, i - 6), min(size, i + 4))
                if m is not None:
                    found.append(m)
            i = text.find(tail, i + 3)
    if not found:
        return
    dates_at = {sp[0] for sp in out.spans if sp[3] == "date"}
    dates_end = {sp[2] for sp in out.spans if sp[3] == "date"}
    starts = {sp[0] for sp in out.spans}
    for m in found:
        s, e = m.span()
        if s in starts:
            continue
        lead = _TO_DATE.match(text, e)
        if not (_DAY_PART.match(text, e) or (lead is not None and lead.end() in dates_at)
                or any(_FROM_DATE.match(text, d, s) for d in dates_end if s - 3 <= d < s)):
            continue
        if overlaps_across(out, s, e):
            continue
        value = m.group()
        day = _WEEKDAYS.index(value.lower())
        if note is None:
            note = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
        digest = hmac.new(key, b"weekday\0" + value.lower().encode() + b"\0" + note,
                          hashlib.sha256).digest()
        fake = _WEEKDAYS[(day + 1 + digest[0] % 6) % 7]  # never the same day back
        starts.add(s)
        out.put(s, e, "date", case_like(fake.title(), value), priority=0)
