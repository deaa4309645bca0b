"""Address blocks: what follows a street address is address too.

Why a pass of its own: the pattern pass finds a street address by its shape
(a house number, words, a street type) and the word rules find names no list
has, but the rest of an address block is made of pieces that mean nothing
alone and everything together: the unit (``Suite 321``), the town
(``LONDON``, ``Porto Alegre``, ``Caxias do Sul``), a region's code (``RS``,
``QC``), the country (``United Kingdom``, ``New Zealand``) and the postcode
(``75419``, ``394 13``).  Once an address is found, this pass walks on from
its end over such pieces, in any of the ways they are separated (commas,
spaces, line breaks, ``>``), and replaces every one; and a number just before
the address (a second house or flat number) too, and in a letterhead or a
signature the organisation's line between a person's name and the address.
It runs on the findings of both scans (pure and compiled) in plain Python,
and only on texts that hold an address, so the common clinical note does not
pay for it.

Never logs or raises with a value.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Container
from itertools import accumulate
from typing import Protocol
from weakref import WeakKeyDictionary

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.patterns import STATES
from scrubphi.transforms.redact.structured import (
    Fn,
    Spans,
    digits_like,
    place_fake,
    unit_word,
)
from scrubphi.transforms.redact.vocab import STOP, split_words

__all__ = ["address_blocks"]

# The findings an address block grows from: streets, units, P.O. boxes, postcodes.
_ANCHORS = frozenset(("address", "zip"))
# Between two pieces: spaces, and a comma, ">", "|", ";", a parenthesis or a line
# break (three at most: "\n>", ") ,", ")\n, ").
_SEP = compile_cached(r"[ \t]*(?:(?:[,>|;()]|\r?\n)[ \t]*){0,3}")
_UNIT = compile_cached(
    r"(?P<uw>(?i:apt|apartment|suite|ste|unit|flat|fl|floor|rm|room|bldg|building"
    # other languages' doors, floors and flats ("Puerta 6", "Piano 0", "Whg. 4")
    r"|puerta|pta|piso|planta|escalera|esc|piano|porta|andar|etage|étage|whg|wohnung"
    r"|lok|lokal"
    # a level, a studio; Spanish and Italian buildings, flats and inner numbers ("Level 6",
    # "Edif. 685", "Depto. 832", "Interior 615", "Appartamento 51", "Scala 2")
    r"|level|studio|interior|int|edif|edificio|depto|dpto|departamento|appartamento|interno"
    r"|scala|apto|bloco|lote"
    # Romanian blocks, stairs, flats and floors ("Bl. 20  Sc. 98 Ap. 873", "Et. 4")
    r"|bl|bloc|sc|scara|ap|et|etaj))"
    r"(?![^\W\d_])\.?[ ]*\#?[ ]*(?P<un>\d[\w-]*|[A-Z](?![\w]))"
)
# Units named by everyday words ("Level 3 trauma center", "Interior 3 cm lesion"): only
# after a comma or a line break, or right after the house number ("894 Interior 723").
_EVERYDAY_UNITS = frozenset(split_words("level studio interior int scala lote bloco"))
# A postcode: digit groups ("75419", "394 13", "1386", "02139-1234"), British and
# Canadian forms ("SW1A 1AA", "K1A 0B1").
_POSTCODE = compile_cached(
    # Dutch ("8760XZ", "6322 US") and Irish ("K50 4VWV") forms first: digits and letters
    r"\d{4}[ ]?[A-Z]{2}(?![\w])|[A-Z]\d[\dW][ ][A-Z\d]{4}(?![\w])"
    r"|\d{3,6}(?:[ -]\d{2,4})?(?![\w])"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[A-Z]{2}(?![\w])"
    r"|[A-Z]\d[A-Z][ ]?\d[A-Z]\d(?![\w])"
)
# The second part of a postcode another pass took the first part of ("15395-569").
_SECOND_PART = compile_cached(r"-(?P<d>\d{2,4})(?![\w-])")
# A region's or country's code: two or three capitals ("RS", "QC", "NSW").
_CODE = compile_cached(r"[A-Z]{2,3}(?![\w])")
# A word of a town's, region's or country's name: a capital first, in any script
# ("Porto", "SEINÄJOKI", "Fort-de-France"); or a particle inside one ("Caxias do
# Sul", "Torroella de Montgrí").
_WORD = compile_cached(r"(?P<w>[^\W\d_][\w'\u2019-]*)(?P<dot>\.)?")
_PARTICLES = frozenset(split_words("""
de del della dei di da do dos das du des la le les el al van von der den am an im sur
upon on en y i
"""))
# A number just before an address ("638 2229 Wolmarans St", "3378 > 217 Lovers Lane"),
# or the first of a house number's two ("33/376 Robin Rue": a flat and its building).
_BEFORE = compile_cached(r"(?<![\w.,/:-])(?P<n>\d{1,6})(?:/|[ \t]*(?:>|\r?\n)?[ \t]*)$")
# Before a postcode: ", RS  Brazil ", ", NI  Cyprus (Greek) " (see _region_before).
_LEFT = compile_cached(
    r",[ \t]*(?P<c>[A-Z]{2,3})(?![\w])"
    r"(?:[ \t]+\(?[^\W\d_][\w'\u2019-]*\)?){0,3}[ \t]*$"
)
# The pieces, in the order they are tried: a unit, a postcode, a region's code, a word.
_PIECE = compile_cached(
    rf"(?P<unit>{_UNIT.pattern})|(?P<post>(?:{_POSTCODE.pattern}))|(?P<code>{_CODE.pattern})"
    rf"|(?P<word>{_WORD.pattern})"
)
# The same without the unit: what _PIECE matches where no unit's word can start (the
# groups all there, the unit's never matching), and the letters a unit's word starts
# with, in lower case (ASCII only: IGNORECASE folds "\u017f" to "s", so a character
# that is not ASCII takes _PIECE).
_PIECE_NO_UNIT = compile_cached(
    rf"(?P<unit>(?!)(?P<uw>)(?P<un>))|(?P<post>(?:{_POSTCODE.pattern}))|(?P<code>{_CODE.pattern})"
    rf"|(?P<word>{_WORD.pattern})"
)
_UNIT_FIRST = frozenset(w[0] for w in compile_cached(r"[^\W\d_]+").findall(
    _UNIT.pattern.split("(?P<uw>(?i:", 1)[1].split("))", 1)[0]))
# What _SEP can start with; elsewhere it matches nothing.
_SEP_FIRST = frozenset(" \t,>|;()\r\n")
# A postcode right after a piece (spaces or a comma between): what makes a short word
# before it a region's code ("KNIVSTA, nan 18237", "Dusino San Michele, AT 31295").
_POST_AFTER = compile_cached(rf"(?:{_SEP.pattern})(?:{_POSTCODE.pattern})")
_MOST_PIECES = 12
_STATES = frozenset(STATES)
# A country's name, then a postcode, after a region's code: a code that is also a US
# state's ("CO", "GU") is another country's region when a country other than the US
# follows it ("Arrenillos, CO  Uruguay 61420").
_COUNTRY_AFTER = compile_cached(
    rf"(?:{_SEP.pattern})(?P<country>[A-Z][\w'\u2019-]*(?:[ ][A-Z][\w'\u2019-]*){{0,2}})"
    rf"(?:{_SEP.pattern})(?:{_POSTCODE.pattern})"
)
_US_NAMES = frozenset(("US", "USA", "United States", "United States of America", "America"))
# What a data export writes where a value is missing ("Pirano nan"): where a
# region's name or code would be in an address block, it goes like one.
_PLACEHOLDERS = frozenset(("nan", "NaN", "NAN", "null", "NULL"))


def address_blocks(text: str, out: Spans, fns: dict[str, Fn], basic: Container[str],
                   taken_of: Callable[[list[tuple[int, int, int, str, str]]], Taken] | None
                   = None) -> None:
    """Replace the rest of every address block found in ``text`` (see the module).

    ``taken_of``: what makes the walk's :class:`_Taken` of the spans (the compiled
    scan's ``Engine.taken``, a twin in C), else ``_Taken``."""
    spans = out.spans
    anchors = [(s, e, kind) for s, _p, e, kind, _r in spans if kind in _ANCHORS]
    if not anchors:
        return
    anchors.sort()
    # (the spans before this pass's: a copy, or the C twin's array)
    taken = _Taken(spans[:]) if taken_of is None else taken_of(spans)
    done = -1
    for start, end, kind in anchors:
        if end <= done:
            continue
        # (the search below tries every place of its window: first the cheap test that
        # a digit ends the text before the address, spaces, ">" and line breaks aside)
        lo = max(0, start - 16)
        if text[lo:start].rstrip(" \t\r\n>/")[-1:].isdigit():
            before = _BEFORE.search(text, lo, start)
            if before is not None and not taken.covered(*before.span("n")):
                number = before.group("n")
                out.put(*before.span("n"), "address", digits_like(fns["mrn"](number), number))
        if kind == "zip":
            _region_before(text, start, out, fns, taken)
        if start > done and _opens_line(text, start, kind):
            _org_line(text, start, out, fns, taken)
        elif start > done and text[start - 2 : start] == ", ":
            _venue(text, start, out, fns, taken)
        done = _tail(text, end, out, fns, basic, taken)


class Taken(Protocol):
    """What the walk asks of the spans found before it (``_Taken``, ``Engine.taken``)."""

    def found_at(self, pos: int, /) -> int: ...

    def covered(self, start: int, end: int, /) -> bool: ...


#: Up to this many findings, _Taken reads them through instead of building its tables.
_FEW = 12


class _Taken:
    """The spans already replaced: where one starts, and whether a range overlaps one.

    Built on first use (a note's address walk often asks only where a finding starts):
    the starts as a dict, the overlaps by bisection in O(log n); a note of a few
    findings (:data:`_FEW`) is read through instead, which costs less than the tables.
    ``spans`` are the Spans' own tuples (start, priority, end, kind, replacement).
    """

    __slots__ = ("_ends", "_found", "_starts", "spans")

    def __init__(self, spans: list[tuple[int, int, int, str, str]]) -> None:
        self.spans = spans
        self._found: dict[int, int] | None = None
        self._starts: list[int] = []
        self._ends: list[int] = []

    def found_at(self, pos: int) -> int:
        """The end of the longest finding that starts at ``pos``, else -1."""
        found = self._found
        if found is None and len(self.spans) <= _FEW:
            best = -1  # (a note's few findings: read through, no table)
            for s, _p, e, _k, _r in self.spans:
                if s == pos and e > best:
                    best = e
            return best
        if found is None:
            found = self._found = {}
            for s, _p, e, _k, _r in self.spans:
                if found.get(s, -1) < e:
                    found[s] = e
        return found.get(pos, -1)

    def covered(self, start: int, end: int) -> bool:
        """Whether ``start:end`` overlaps a finding."""
        if len(self.spans) <= _FEW:
            for s, _p, e, _k, _r in self.spans:  # noqa: SIM110 (any() costs twice as much)
                if s < end and e > start:
                    return True
            return False
        if not self._starts:
            pairs = sorted((s, e) for s, _p, e, _k, _r in self.spans)
            self._starts = [s for s, _ in pairs]
            # The furthest end of the spans up to each one.
            self._ends = list(accumulate((e for _, e in pairs), max))
        k = bisect_left(self._starts, end)
        return k > 0 and self._ends[k - 1] > start


# A line of a letterhead or a signature: what opens it (">", "???", "|", "*", "-"), then
# up to four words; and one word of it.
_LINE = compile_cached(r"[ \t>?|*-]*(?P<v>[^\n]*?)[ \t]*\Z")
_LINE_WORD = compile_cached(r"[^\W\d_][\w'\u2019.&-]*")
_ORG_LINE = compile_cached(r"[A-Z][\w'\u2019.&-]*(?:[ ]+(?:[A-Z&][\w'\u2019.&-]*|and|of|de|for))"
                       r"{0,3}\Z")
# A letter's first line that is no letterhead ("Hello", "Dear Sir", "Regards").
_GREETINGS = frozenset(split_words("""
hello hi hey dear greetings regards thanks thank sincerely best cheers attn attention re
subject note notes memo
"""))
# A job's title on a line of its own, between a person's name and the organisation's
# line: a capitalised word, then words in lower case ("Leasing consultant", "Engineer,
# civil", "Scientist, research (physical sciences)").
_TITLE_LINE = compile_cached(r"[A-Z][a-z]+(?:,?[ ]+\(?[a-z]+\)?){1,5}\Z")
# Lines of a hospital's own: its services, not an organisation's name.
_NOT_ORG_LINE = frozenset(split_words("""
social work case management nursing pharmacy billing admitting patient patients home
address contact phone fax email mail office department dept service services unit
rn md do np pa pa-c lpn bsn msn cna rrt phd lcsw licsw mph facs ccrn
"""))


# What may stand between a line's start and an address found on it: a letterhead's or a
# quotation's marks (">", "> ", "??? ", "| ") and a house number the street's pattern left
# before it ("3378 217 Lovers Lane"); a postcode read where a house number opens the line
# ("79367 Nybyvägen 65") when a capitalised word follows it.
_LINE_OPEN = compile_cached(r"\n[ \t>?|*-]{0,6}(?:\d{1,6}[ ]+)?\Z")
_HOUSE_LINE = compile_cached(r"\d{1,6}[ ]+[^\W\d_]")


def _opens_line(text: str, start: int, kind: str) -> bool:
    """Whether an address found at ``start`` opens its line (marks and a house number
    aside), so that an organisation's line may be above it; a postcode only where a
    capitalised word follows it (a house number read as one).  (The compiled walk asks
    first whether a line break is among the 24 characters before ``start``:
    ``_redact_fast._newline_near`` follows this window.)"""
    return _LINE_OPEN.search(text, max(0, start - 24), start) is not None and \
        (kind != "zip" or _HOUSE_LINE.match(text, start) is not None)


def _org_line(text: str, start: int, out: Spans, fns: dict[str, Fn], taken: Taken) -> None:
    """An organisation's line in a letterhead or a signature: the line right above an
    address's first line, of up to four capitalised words that no pass replaced, between
    the address and a line the scan replaced whole (a person's name): "Dreux Joly\n
    Choice\nPSC 3294, Box 9168", ">Esat Jeknic\n>Ask\n>Esat Jeknic\n>3378 Lovers Lane"
    (the name's line may come twice), a job's title between them ("Karin Beike\n
    Leasing consultant\nChoice\n12 Oak Street"); or the text's first line, a blank line
    perhaps between ("Card View\n\n12 Oak Street")."""
    end = text.rfind("\n", 0, start)
    lines: list[tuple[int, int]] = []  # (start, end) of the lines above, nearest first
    while end > 0 and len(lines) < 4:
        s = text.rfind("\n", 0, end) + 1
        lines.append((s, end))
        end = s - 1
    org: tuple[int, int] | None = None
    title = False
    blank = False
    for s, e in lines:
        m = _LINE.match(text, s, e)
        if m is None or m.start("v") == m.end("v"):
            if org is None and not blank and (s, e) == lines[0]:
                blank = True  # (one blank line below a letterhead's first line)
                continue
            return
        vs, ve = m.span("v")
        words = list(_LINE_WORD.finditer(text, vs, ve))
        if not words:
            return
        covered = sum(taken.covered(*w.span()) for w in words)
        if covered == len(words) or (org is not None and 2 * covered >= len(words)):
            # (a name's line, a label or a title beside the name: "From: Emma Luna")
            if org is not None:  # a name's line above the organisation's
                value = text[org[0] : org[1]]
                out.put(org[0], org[1], "place", case_like(fns["last_name"](value), value),
                        priority=0)
                return
            continue  # a name's line (again) below it
        if org is not None and not title and not covered and \
                _TITLE_LINE.match(text, vs, ve) is not None:
            title = True  # (a job's title between the name and the organisation)
            continue
        if org is not None or covered or \
                _ORG_LINE.match(text, vs, ve) is None or \
                any(w.group().lower().rstrip(".") in _NOT_ORG_LINE for w in words):
            return
        org = (vs, ve)
        if not text[:s].strip(" \t\r\n>?|*-") and (blank or len(words) > 1) and \
                not any(w.group().lower() in STOP or w.group().lower() in _GREETINGS
                        for w in words):
            # A letterhead: the organisation's line opens the text, right above the
            # address or a blank line above it ("Card View\n\n12 Oak Street").
            out.put(vs, ve, "place", case_like(fns["last_name"](text[vs:ve]), text[vs:ve]),
                    priority=0)
            return


# A place met at, named before its address ("We'll meet at Card View, 12 Oak Street"):
# up to four capitalised words after a lower-case "at", a comma, then the address.
_VENUE = compile_cached(
    r"(?:(?<=[ (])|^)at[ ](?P<v>[A-Z][\w'\u2019&-]*(?:[ ]+(?:[A-Z&][\w'\u2019&-]*|of|de|the))"
    r"{0,3}),[ ]\Z")


def _venue(text: str, start: int, out: Spans, fns: dict[str, Fn], taken: Taken) -> None:
    """The place named after ``at`` and before the address at ``start`` and a comma, as
    an organisation's line is: no pass replaced any of its words, none a hospital's
    service's ("at Case Management, 12 Oak Street" stays)."""
    m = _VENUE.search(text, max(0, start - 80), start)
    if m is None:
        return
    vs, ve = m.span("v")
    words = list(_LINE_WORD.finditer(text, vs, ve))
    if not words or any(taken.covered(*w.span()) for w in words) or \
            words[-1].group().lower() in ("of", "de", "the") or \
            any(w.group().lower().rstrip(".") in _NOT_ORG_LINE or w.group().lower() in STOP
                for w in words if w.group()[:1].isupper()):
        return
    value = text[vs:ve]
    out.put(vs, ve, "place", case_like(fns["last_name"](value), value), priority=0)


def _region_before(text: str, start: int, out: Spans, fns: dict[str, Fn],
                   taken: Taken) -> None:
    """"Porto Alegre , RS  Brazil 95828": a region's code after a comma, then at most
    three capitalised words before a postcode, on one line; the code goes (a US
    state's code stays) and so do the words (the country)."""
    m = _LEFT.search(text, max(0, start - 60), start)
    if m is None:
        return
    code = m.group("c")
    if code not in _STATES and not taken.covered(*m.span("c")):
        out.put(*m.span("c"), "address", _like(code, fns["mrn"](code)))
    for w in _WORD.finditer(text, m.end("c"), m.end()):
        word = w.group("w")
        if word[:1].isupper() and not taken.covered(*w.span("w")):
            out.put(*w.span("w"), "place", _place_like(fns["city"], word))


def _tail(text: str, pos: int, out: Spans, fns: dict[str, Fn], basic: Container[str],
          taken: Taken) -> int:
    """Replace the pieces after an address that ends at ``pos``; returns where they end."""
    pieces = 0
    word_end = -1  # where the last word of a name ended
    while pieces < _MOST_PIECES:
        if text[pos : pos + 1] in _SEP_FIRST:
            sep = _SEP.match(text, pos)
            p = sep.end() if sep is not None else pos
        else:
            p = pos  # (what _SEP matches there: nothing)
        if p >= len(text) or (p == pos and pieces and text[p - 1 : p] not in (" ", ".")):
            break
        found = taken.found_at(p)
        # (a unit's word is a finding that starts here: the pattern only then)
        unit = _UNIT.match(text, p) if found > p and text[p : p + 1].isalpha() else None
        if unit is not None and taken.covered(*unit.span("uw")) and \
                found == unit.end("uw") and \
                (unit.group("uw").lower() not in _EVERYDAY_UNITS or _unit_framed(text, pos, p)):
            # A unit whose word another pass replaced as a name ("Edif. 685", "Puerta 9"):
            # its number goes too.
            number = unit.group("un")
            if number[:1].isdigit() and not taken.covered(*unit.span("un")):
                out.put(*unit.span("un"), "address", digits_like(fns["mrn"](number), number))
            pos = unit.end()
            pieces += 1
            continue
        if found > p and text[found - 1 : found].isalnum():
            # A piece another pass has replaced ("Boston" of "Boston, MA"): on past it,
            # and past the second part of a postcode it took the first of ("15395-569").
            pos = found
            if text[found : found + 1] == "-" and text[p:found].isdigit():
                second = _SECOND_PART.match(text, found)
                if second is not None and not taken.covered(*second.span("d")):
                    value = second.group("d")
                    out.put(*second.span("d"), "zip", _like(value, fns["mrn"](value)))
                    pos = second.end()
            if text[p].isalpha():
                word_end = found
            pieces += 1
            continue
        # One match: the first kind that fits, in order (where no unit's word can start,
        # the pattern without that alternative: the same match, in half the time).
        c = text[p]
        piece = (_PIECE_NO_UNIT if c.isascii() and c.lower() not in _UNIT_FIRST
                 else _PIECE).match(text, p)
        if piece is None:
            break
        # (the alternative that matched: its group closes last, so it is the last group)
        kind = piece.lastgroup
        if kind == "unit":
            if piece.group("uw").lower() in _EVERYDAY_UNITS and not _unit_framed(text, pos, p):
                break
            if not taken.covered(*piece.span("unit")):
                number = piece.group("un")
                fake = fns["mrn"](number)
                new = digits_like(fake, number) if number[:1].isdigit() else number
                out.put(*piece.span("unit"), "address",
                        f"{unit_word(fake, piece.group('unit'))} {new}")
            pos = piece.end()
            pieces += 1
            continue
        if kind == "post":
            value = piece.group("post")
            if not taken.covered(*piece.span("post")):
                out.put(*piece.span("post"), "zip", _like(value, fns["mrn"](value)))
            pos = piece.end()
            pieces += 1
            continue
        if kind == "code":
            code = piece.group("code")
            if code.lower() in STOP and not (
                    "," in text[pos:p] and _POST_AFTER.match(text, piece.end())):
                break  # "AT", "NO" are words unless a comma and a postcode frame them
            # A US state's code stays (Safe Harbor keeps states); another region's goes,
            # and so does one that another country's name follows.
            if (code not in _STATES or _foreign_after(text, piece.end())) and \
                    not taken.covered(*piece.span("code")):
                out.put(*piece.span("code"), "address", _like(code, fns["mrn"](code)))
            pos = piece.end()
            pieces += 1
            continue
        word = piece
        w = word.group("w")
        low = w.lower()
        if pieces and w.islower() and 2 <= len(w) <= 3 and w.isalpha() and \
                low not in STOP and not word.group("dot") and \
                _POST_AFTER.match(text, word.end()):
            # A region's code in lower case, or a placeholder where one would be, before
            # the postcode ("delmas, mp 35739"): it goes, and the walk goes on.
            if not taken.covered(*word.span("w")):
                out.put(*word.span("w"), "address", _like(w, fns["mrn"](w)))
            pos = word.end()
            pieces += 1
            continue
        if pieces and w in _PLACEHOLDERS and not word.group("dot"):
            # A missing value's placeholder where the region would be ("TROMSVIK nan").
            if not taken.covered(*word.span("w")):
                out.put(*word.span("w"), "address", _like(w, fns["mrn"](w)))
            pos = word.end()
            pieces += 1
            continue
        # A word in parentheses after a place qualifies it ("Belgium (Flemish)").
        qualifier = pieces > 0 and text[p - 1 : p] == "(" and \
            text[word.end("w") : word.end("w") + 1] == ")"
        if low in _PARTICLES and pieces:
            nxt = _WORD.match(text, word.end() + 1) if text[word.end() : word.end() + 1] == " " \
                else None
            if nxt is None or not nxt.group("w")[:1].isupper():
                break
        elif not w[:1].isupper() or low in STOP:
            break
        elif low in basic and not w.isupper() and not qualifier and \
                not (word_end == pos and text[pos:p] == " "):
            # An everyday word ("Upper", "New", "United", "Kingdom") only as part of a
            # name of two words or more: another capitalised word is beside it.
            nxt = _WORD.match(text, word.end() + 1) if text[word.end() : word.end() + 1] == " " \
                else None
            if nxt is None or not nxt.group("w")[:1].isupper() or \
                    nxt.group("w").lower() in STOP:
                break
        if not taken.covered(*word.span("w")):
            out.put(*word.span("w"), "place", _place_like(fns["city"], w))
        pos = word_end = word.end("w")
        pieces += 1
        if word.group("dot") and len(w) > 3:
            break  # a full stop after a word of four letters or more ends the sentence
        if word.group("dot"):
            pos = word.end()
    return pos


#: Town words' surrogates remembered per redactor (its city function, held weakly: a
#: long-lived process that builds many redactors keeps neither them nor their keys).
_PLACE_CACHES: WeakKeyDictionary[Fn, dict[str, str]] = WeakKeyDictionary()
_PLACES_KEPT = 1 << 12


def _place_like(city: Fn, word: str) -> str:
    """The surrogate of one word of a place's name as written (``place_fake`` in its
    case): remembered, as a town is met again in the next note's address (up to
    _PLACES_KEPT words a redactor, then forgotten all at once)."""
    cache = _PLACE_CACHES.get(city)
    if cache is None:
        cache = _PLACE_CACHES[city] = {}
    hit = cache.get(word)
    if hit is None:
        if len(cache) >= _PLACES_KEPT:
            cache.clear()
        hit = cache[word] = case_like(place_fake(city, word), word)
    return hit


def _unit_framed(text: str, pos: int, p: int) -> bool:
    """Whether the separator ``text[pos:p]`` before a unit holds a comma or a line break,
    or is spaces after a digit (the house number)."""
    between = text[pos:p]
    return "," in between or "\n" in between or (
        pos > 0 and text[pos - 1].isdigit() and not between.strip(" \t"))


def _foreign_after(text: str, pos: int) -> bool:
    """Whether a country's name other than the US's, then a postcode, follow ``pos``."""
    m = _COUNTRY_AFTER.match(text, pos)
    return m is not None and m.group("country") not in _US_NAMES and \
        m.group("country") not in _STATES


def _like(value: str, fake: str) -> str:
    """Keyed digits and capitals in ``value``'s shape (separators kept)."""
    digits = digits_like(fake, "".join(c for c in value if c.isdigit()) or "0")
    letters = "".join(chr(65 + int(c, 36) % 26) for c in fake
                      if c.isascii() and c.isalnum()) or "X"
    di = li = 0
    parts: list[str] = []
    for c in value:
        if c.isdigit():
            parts.append(digits[di % len(digits)])
            di += 1
        elif c.isalpha():
            new = letters[li % len(letters)]
            li += 1
            if new == c.upper():
                new = chr(65 + (ord(new) - 64) % 26)
            parts.append(new if c.isupper() else new.lower())
        else:
            parts.append(c)
    return "".join(parts)
