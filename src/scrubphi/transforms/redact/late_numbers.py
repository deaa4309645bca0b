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
* **A street the scan replaced word by word**: after what leads to an address
  (``Lives at``, ``Address:``) or after a street's type written first (``Av de``,
  ``C.``, ``Calzada``), its house number (``Holbækstræde 5,``, ``Estação Gomes, 8``,
  ``Home address 56/51 Perłowa.``, ``S/N``) and the type word the scan left.
* **A street named by its type's suffix or last word** that the scan replaced as a name
  (``Heringgasse 21-99``, ``Meinolf-Fechner-Allee 16-22``, ``Kargestr. 87-30``,
  ``Chorellin kuja 295``): every part of its house number; the second part of one the
  scan replaced (``Σιτομένων 20-19``); the parts it left of a hyphenated street's name.
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
from scrubphi.transforms.redact.context import _HONORIFICS
from scrubphi.transforms.redact.patterns import FIRST_TYPES
from scrubphi.transforms.redact.structured import (
    Spans,
    digits_like,
    filler,
    overlaps_across,
    place_fake,
)
from scrubphi.transforms.redact.vocab import split_words

__all__ = ["MAC_DASH", "MAC_MAY", "NUMBER_KINDS", "NUMBER_NEXT", "STREET_KINDS", "address_numbers",
           "house_numbers", "macs", "number_follows", "streets", "suffix_streets", "weekdays"]

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
# comma and the postcode or town, or a line break and the postcode, or the text's end
# (not a reading: "AUGMENTED 81-42, sys unload").
_SECOND_NUMBER = compile_cached(
    r"[/-](\d{1,4}[A-Za-z]?)(?:,[ ]*(?=\d|[A-Z\u00c0-\u00de])|(?=[ \t]*(?:\r?\n[ \t]*\d|\Z)))")
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
NUMBER_KINDS = _TOWNISH | {"zip"}
NUMBER_NEXT = frozenset((",", "\n", "/", "-"))


def address_numbers(text: str, out: Spans, key: bytes) -> None:
    """Numbers of an address whose words the scan replaced: an Australian postcode after
    a town and its state, the second part of a house number, a house number before a
    street's type (keyed digits in the same shape, never a digit back in its place); a
    British or Canadian postcode after a town (keyed letters and digits)."""
    # (a comprehension first: the scan's spans are many, few of them end before a comma,
    # a line's end, a slash or a dash, or start after a comma)
    kinds, ends = NUMBER_KINDS, NUMBER_NEXT
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
        starts.add(s)
        out.put(s, e, "zip", _keyed_digits(text[s:e], key), priority=0)


def _keyed_digits(value: str, key: bytes) -> str:
    """A house number's or postcode's digits keyed, in the same shape, never a digit
    back in its place (the other characters stay)."""
    digest = hmac.new(key, b"house\0" + value.encode(), hashlib.sha256).digest()
    chars = []
    for i, c in enumerate(value):
        if c.isdigit():
            f = str(digest[i % len(digest)] % 10)
            if f == c:
                f = str((digest[i % len(digest)] + 1) % 10)
            chars.append(f)
        else:
            chars.append(c)
    return "".join(chars)


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


# -- a street the scan replaced word by word, and its house number --------------------------

# A street's type written before its name, in Title case, that no list of the scan holds
# ("Av de Carvalho, 4", "C. de Fernanda Boada 63", "Vial Hipólito Rosales 10", "Eje vial
# Tonga 500", "Incrocio Zanazzo, 8"): exact spellings; "Via" and "Av" in lower case are
# clinical words.
_TYPES_BEFORE = (
    r"(?:(?:R|C|Cl|Cra)\.|(?:Av|Avda|Avd|Rua|Calle|Vial|Eje[ ]vial|Eje|Calzada|Circuito|Andador"
    r"|Cerrada|Retorno|Prolongación|Privada|Periférico|Diagonal|Alameda|Estação|Travessa"
    r"|Vila|Favela|Ladeira|Rodovia|Incrocio|Stretto|Borgo|Contrada|Rotonda|Vicolo|Viale"
    r"|Piazza|Piazzale|Corso|Largo|Via|Calle|Camino|Carretera|Paseo|Ronda|Pasaje|Plaza"
    r"|Travesía|Avenida|Callejón|Glorieta|Cuesta|Urbanización|Route|Rang|Chemin|Montée"
    r"|Jl|Jln|Gg|Gang|Jalan|Bulevardul|Strada|Str|Intrarea|Aleea|Calea|Splaiul|Șoseaua"
    r"|Soseaua|Piața|Piata)"
    r"\.?)"
)
# Before the street: what leads to an address ("Lives at", "moved to", "Home address",
# "Ship to:", "Address:" and a line break), then perhaps the house number ("Home address
# 56/51 Perłowa"), then perhaps the street's type and particles.
_STREET_LEAD = compile_cached(
    r"(?:(?<![^\W_])(?P<cue>(?i:address|addr|lives|live|living|resides|reside|residing"
    r"|moved|moving|move|ship|shipped|sent|send|mailed|mail|located|relocated|delivered"
    r"|deliver|stays|staying))(?:[ ]+(?:[a-z]+[ ]+){0,2}(?i:at|to|in|on|is))?[ ]*:?[ ]*"
    r"(?:\r?\n[ ]*)?)?"
    r"(?P<num>(?<![\w.,/-])\d{1,5}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)?,?[ ]+)?"
    rf"(?P<type>(?<![^\W_])(?:{_TYPES_BEFORE})[ ]+(?:(?:de|del|da|do|dos|das|di|della"
    r"|la|le|du|des|vial)[ ]+){0,2})?\Z"
)
# After the street: its house number ("Holbækstræde 5", "Estação Gomes, 8", "Langestr.
# 20/70", "Eliassenstykket 99B"), where a piece of an address ends (a comma, a line's
# end, a full stop, a parenthesis; not a unit of measure or time: "Boston 3 days").
_NUMBER_END = (
    r"(?=[ ]*(?:[,;)]|\r?\n|\Z|\.(?:[ \r\n]|\Z))"
    # or, in a sentence, a word that is not a unit of measure, time or count ("She
    # moved to Tom-Hofmeister-Ring 2 last year"; not "Boston 3 days ago")
    r"|[ ]+(?![^\W\d_]*[\d.])(?!(?i:mg|mcg|g|gm|gms|kg|lbs?|ml|mls|cc|l|units?|u|iu|meq|mmol"
    r"|hrs?|hours?|days?|d|weeks?|wks?|months?|mos?|years?|yrs?|y|mins?|minutes?|secs?"
    r"|seconds?|x|times|cm|mm|m|km|miles?|blocks?|of|tabs?|tablets?|caps?|puffs?|drops?"
    r"|doses?|people|persons?|children|kids|sons?|daughters?|and|or|to|beds?|am|pm"
    r"|percent|%)(?![^\W_]))[a-z]"
    r"|[ ]+(?i:apt|apartment|suite|unit|flat|level"
    r"|studio|interior|int|edif|edificio|depto|dpto|piso|puerta|piano|scala|appartamento"
    r"|interno|etage|whg|bl|bloc|sc|scara|ap|et|etaj)(?![^\W\d_])\.?[ ]*\#?[ ]*\d)"
)
# A house number's label between the street and the number ("Jl. Indragiri No. 115",
# "Bulevardul Tabacu Nr. 321"): _STREET_NUMBER reads past it.
_NUMBER_LABEL = r"(?:No|Nr|Nro|N[º°])\.?[ ]*"
_STREET_NUMBER = compile_cached(
    rf"\.?(?:,[ ]*|[ ]+)(?:{_NUMBER_LABEL})?"
    r"(?P<n>\d{1,5}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)?|S/N|s/n)(?![\w/%-]|[.,]\d)"
    + _NUMBER_END)
LABELLED_NUMBER = compile_cached(rf"\.?[ ]+{_NUMBER_LABEL}\d")
# The end of the street when its number came first ("Home address 17 Karnik Chowk.").
_STREET_END = compile_cached(r"[ ]*(?:[,;)]|\r?\n|\Z|\.(?:[ \r\n]|\Z))")
# Between two words of the street's name: a space, a hyphen, an abbreviation's full stop
# ("Gang Moch. Toha No. 3"), a particle.
_STREET_JOIN = compile_cached(
    r"(?:[ -]|\.[ ])(?:(?:de|del|da|do|dos|das|di|della|la|le|du|des|van|von|der)[ ])?")
STREET_KINDS = frozenset(("place", "city", "first_name", "last_name"))
# What the lead's pattern (tried at every place of its window: slow) needs to be
# searched for: a cue among the last words before the street, or a type or particle
# right before it.
_LEAD_CUES = frozenset(split_words("""
address addr lives live living resides reside residing moved moving move ship shipped
sent send mailed mail located relocated delivered deliver stays staying"""))
_LEAD_TYPES = frozenset(re.findall(r"[^\W\d_]+", _TYPES_BEFORE.replace("(?:", " ")) +
                        split_words("de del da do dos das di della la le du des vial"))


def streets(text: str, out: Spans, key: bytes, city: Fn) -> None:
    """A street whose words the scan replaced as names or places, after what leads to an
    address or after a street's type written first: its house number (after the name,
    or before it after a lead), and the type word the scan left, go too; the number as
    an address, so that the address block after it goes as well."""
    # (the cheap test first, for every note with a name or a place: a digit within three
    # characters after a name's or place's span, or before it)
    kinds = STREET_KINDS
    ends: set[int] | None = None
    for start, _prio, end, kind, _rep in out.spans:
        if kind not in kinds:
            continue
        if not number_follows(text, end):
            # (a number right before, a space between: "56/51 Perłowa", "3D Bergtoppen")
            b = text[start - 3 : start] if start >= 3 else ""
            if b[2:] != " " or not (b[1].isdigit() or b[0].isdigit()):
                continue
            if ends is None:
                ends = {sp[2] for sp in out.spans}
            if start - 1 in ends or start - 2 in ends:
                continue
        if _lead_near(text, start, 80):
            break
    else:
        return
    if ends is None:
        ends = {sp[2] for sp in out.spans}
    spans = [sp for sp in out.spans if sp[3] in kinds and text[sp[0] : sp[0] + 1].isupper()]
    spans.sort()
    by_start = {sp[0]: sp[2] for sp in spans}
    # (where a span starts: what it writes there; a number the scan "replaced" by itself,
    # a digit keyed to the same digit, is put again, first)
    starts = {sp[0]: sp[4] for sp in out.spans}
    done = -1
    for start, _prio, end, _kind, _rep in spans:
        if start < done:
            continue
        # the run of the street's words the scan replaced
        while True:
            j = _STREET_JOIN.match(text, end)
            if j is None or j.end() not in by_start:
                break
            end = by_start[j.end()]
        done = end
        # (cheap tests first: a number after the run, or a digit just before it)
        after = _STREET_NUMBER.match(text, end)
        if after is None and not _number_near(text, start, start, ends):
            continue
        if not _lead_near(text, start, 40):
            continue
        lead = _STREET_LEAD.search(text, max(0, start - 60), start)
        if lead is None or (lead.group("type") is None and lead.group("cue") is None):
            continue
        found: list[tuple[int, int]] = []
        num = lead.group("num")
        if after is not None:
            found.append(after.span("n"))
        if num is not None and lead.group("cue") is not None and (
                after is not None or _STREET_END.match(text, end)):
            found.append((lead.start("num"), lead.start("num") + len(num.rstrip(", "))))
        if not found:
            continue
        t = lead.group("type")
        if t is not None and lead.start("type") not in starts and \
                not overlaps_across(out, lead.start("type"), lead.end("type")):
            word = t.rstrip(" .")
            s = lead.start("type")
            e = s + len(t.rstrip(" "))
            out.put(s, e, "place", case_like(place_fake(city, word), word), priority=0)
        for s, e in found:
            value = text[s:e]
            if starts.get(s, value) != value or overlaps_across(out, s, e):
                continue
            if value in ("S/N", "s/n"):  # "sin número": a keyed house number in its place
                digest = hmac.new(key, b"house\0" + value.encode(), hashlib.sha256).digest()
                starts[s] = value
                out.put(s, e, "address", str(1 + digest[0] % 99), priority=0)
                continue
            starts[s] = value
            out.put(s, e, "address", _keyed_digits(value, key), priority=0)


def number_follows(text: str, end: int) -> bool:
    """Whether a house number (or "S/N") may follow ``end``: a digit or an "S" after
    spaces, a comma or a full stop, or a number after its label ("Gang Peta No. 37");
    the first test of ``streets``, and of its gate (``late.late_marks``; the compiled
    ``_span_marks`` makes the same test)."""
    a = text[end : end + 4].lstrip(" ,.")[:1]
    return a.isdigit() or a == "S" or (
        a == "N" and LABELLED_NUMBER.match(text, end) is not None)


def _number_near(text: str, start: int, end: int, ends: set[int]) -> bool:
    """Whether a number (or "S/N") follows ``end`` after a space, a comma or a full stop,
    or one that no span ends with ends just before ``start`` (string methods: this runs
    for every name)."""
    a = text[end : end + 4].lstrip(" ,.")[:1]
    if a.isdigit() or a == "S":
        return True
    lo = max(0, start - 4)
    b = text[lo:start].rstrip(" ,")
    return (b[-1:].isdigit() or b[-2:-1].isdigit()) and lo + len(b) not in ends


def _lead_near(text: str, start: int, width: int) -> bool:
    """Whether a cue is among the words in the ``width`` characters before ``start``, or
    a street's type or particle right before it."""
    words = text[max(0, start - width) : start].split()
    if not words:
        return False
    if words[-1].rstrip(".") in _LEAD_TYPES:
        return True
    return any(w.strip(":,").lower() in _LEAD_CUES for w in words[-8:])


# -- a house number after a street named by its type's suffix ---------------------------------

# Street types that end a street's word, written onto it ("Heringgasse", "Betonitie",
# "Krokerring", "pappilantie") or as its last part ("Ahmet-Conradi-Weg", "Chorellin
# kuja"): German and Austrian, Dutch, Nordic and Finnish.  (Not "str" alone: only before
# its dot, "Kargestr. 87-30".)
_SUFFIX_TYPES = tuple(sorted(split_words("""
straße strasse gasse weg allee platz ring damm ufer chaussee steig pfad
straat laan plein gracht kade dreef singel steeg
gatan vägen gata vej gade veien vegen gaten tie katu kuja polku bulevardi
"""), key=lambda t: (-len(t), t)))
_TYPE_WORDS = frozenset(_SUFFIX_TYPES) | {"str"}
# A street's type as the last part of a hyphenated street's name ("Alexandar-Doppler-Weg
# 115", "Hans-Otto-Dörschner-Allee 3/5"), before a house number.
_HYPHEN_TYPE = compile_cached(
    r"-(?:Straße|Strasse|Str\.|Gasse|Weg|Allee|Platz|Ring|Damm|Ufer|Chaussee|Steig|Pfad"
    r"|Straat|Laan|Plein|Gracht|Kade)(?=(?:,[ ]*|[ ]+)\d)")
_HYPHEN_PARTS = compile_cached(
    r"(?<![\w.-])(?:[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+\.?-|[A-Z]\.-){1,4}\Z")
# The house number after the street: digits and perhaps a letter, a range ("16-22") or a
# second part ("27/71"), where a piece of an address ends or before a word that is not a
# unit (as after a street replaced word by word).
_HOUSE_AFTER = compile_cached(
    r"(?P<dot>\.)?(?:,[ ]*|[ ]+)(?P<n>\d{1,5}[A-Za-z]?)(?:[-/](?P<m>\d{1,4}[A-Za-z]?))?"
    r"(?![\w/%-]|[.,]\d)" + _NUMBER_END)
# The second part of a house number the scan replaced after a street's word ("Σιτομένων
# 20-19" kept "19").
_SECOND_AFTER = compile_cached(r"[-/](?P<m>\d{1,4}[A-Za-z]?)(?![\w/%-]|[.,]\d)" + _NUMBER_END)


def _suffix_street(text: str, start: int, end: int, named: dict[int, str]) -> bool:
    """Whether the word that the span ``[start, end)`` ends is a street's by its type: a
    word or hyphenated name ending in a street type ("Heringgasse", "Luis-Plath-Ring",
    "Kargestr." before its dot), or a type word after a word the scan replaced
    ("Chorellin kuja"); capitalised, or after a capitalised word the scan replaced
    ("Haagan pappilantie")."""
    b = start
    while b > 0 and start - b < 60 and (text[b - 1].isalpha() or text[b - 1] in "-."):
        b -= 1
    word = text[b:end]
    last = word.rsplit("-", 1)[-1].lower()
    after_name = b >= 2 and text[b - 1] == " " and b - 1 in named
    if not (word[:1].isupper() or after_name):
        return False
    before = text[max(0, b - 8) : b].split()
    if before and before[-1].rstrip(".").lower() in _HONORIFICS:
        return False  # (a person: "Dr. Herring 2")
    if last.endswith("str"):
        return text[end : end + 1] == "." and (len(last) >= 6 or (
            last == "str" and ("-" in word or after_name)))
    if last in _TYPE_WORDS:
        return "-" in word or after_name
    # ("-tie" after a vowel or "n": "Betonitie", "pappilantie"; not "Christie", "Beattie")
    return any(last.endswith(t) for t in _SUFFIX_TYPES if len(last) >= len(t) + 3) and (
        not last.endswith("tie") or last[-4] in "aeiouyäön")


def suffix_streets(text: str, out: Spans, key: bytes, name: Fn, dash: bool) -> None:
    """A street named with its type's suffix or last word ("Heringgasse 21-99",
    "Meinolf-Fechner-Allee 16-22", "Kargestr. 87-30", "Betonitie 7", "Chorellin kuja 1")
    that the scan replaced as a name: its house number goes too, every part of a range or
    of a slash (keyed digits, as an address); the second part of a house number the scan
    replaced after a name ("Σιτομένων 20-19"); and, with ``dash`` (the text holds a
    hyphen before a Title-case word), the parts the scan left of a hyphenated street's
    name ("Alexandar-Doppler-Weg 115": "Doppler" and "Weg" go as surnames, as the scan's
    do)."""
    if dash:
        for t in _HYPHEN_TYPE.finditer(text):
            m = _HYPHEN_PARTS.search(text, max(0, t.start() - 80), t.start() + 1)
            if m is None:
                continue
            s, e = m.start(), t.end()
            if text[e - 1] == ".":
                e -= 1
            covered = [sp for sp in out.spans if sp[0] < e and sp[2] > s]
            if any(sp[0] < s or sp[2] > e for sp in covered) or (
                    not covered and "-" not in text[s : t.start()]):
                continue  # (one word before the type, none read as a name: "Billroth-Ring")
            pos = s
            for part in text[s:e].split("-"):
                ps, pe = pos, pos + len(part.rstrip("."))
                pos += len(part) + 1
                if pe - ps > 1 and not any(sp[0] < pe and sp[2] > ps for sp in covered):
                    out.put(ps, pe, "last_name", case_like(name(text[ps:pe]), text[ps:pe]),
                            priority=0)
    kinds = STREET_KINDS
    near = [sp for sp in out.spans if (sp[3] in kinds or sp[3] == "zip") and
            text[sp[2] : sp[2] + 4].lstrip(" ,.-/")[:1].isdigit()]
    if not near:
        return
    # (where a word the scan replaced ends; for a second part, one in Title case: not a
    # reading's label in capitals, "AUGMENTED 58-42")
    named = {sp[2]: text[sp[0] : sp[2]] for sp in out.spans if sp[3] in kinds}
    found: list[tuple[int, int]] = []
    for start, _prio, end, kind, _rep in near:
        if kind == "zip":
            # (the scan's house number after a word it replaced, then a range's or a
            # slash's second part)
            if text[end : end + 1] in ("-", "/") and start >= 2 and text[start - 1] == " " \
                    and not named.get(start - 1, "A").isupper() and text[start:end].isdigit():
                m = _SECOND_AFTER.match(text, end)
                if m is not None:
                    found.append(m.span("m"))
            continue
        if not text[start : start + 1].isalpha() or not _suffix_street(text, start, end, named):
            continue
        m = _HOUSE_AFTER.match(text, end)
        if m is None:
            continue
        found.append(m.span("n"))
        if m.group("m") is not None:
            found.append(m.span("m"))
    if not found:
        return
    spans = out.spans
    for s, e in found:
        value = text[s:e]
        # (a number the scan "replaced" by itself, a digit keyed to the same digit, is
        # put again, first, as late_numbers.streets does)
        if any(sp[0] < e and sp[2] > s and not (sp[0] == s and sp[2] == e and sp[4] == value)
               for sp in spans):
            continue
        out.put(s, e, "address", _keyed_digits(value, key), priority=0)
