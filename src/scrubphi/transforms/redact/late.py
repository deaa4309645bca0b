"""The late pass of ``{redact: text}``: classes of identifier found after either scan.

Why a pass of its own: these rules look at a few words around a rare anchor (a
facility's head words, a device address's shape), not at every word, so they
need neither the scan's per-word tables nor a twin in C.  They run on the text
and the spans either scan left, in :meth:`Redactor.redact` and
:meth:`Redactor.find`, so the compiled and the pure scan give the same output by
construction (``tests/test_redact_twins.py`` still holds them to it).  Only their
gates have a compiled twin: :func:`late_marks` says which of the rare anchors
(``:hh:hh:``, a hyphen before a Title-case pair, ``.A.``...) a text holds and which
rules the scan's spans can set off, in one compiled pass instead of four pattern
searches and five loops over the spans.

* **Care facilities named without the word ``Hospital``**: up to three
  capitalised words before a facility's head words (``Sunrise Assisted
  Living``, ``Cedar Grove Convalescent Home``, ``Pine Ridge Retirement
  Community``) are its name, even when they are everyday words; the head words
  stay (they say what the place is, not which).  A name of everyday words that
  opens a sentence (``The Nursing Home called``, ``Needs Assisted Living``) is
  none, unless a place's preposition stands before it.  ``General`` is a head
  only after a place's preposition (``from Mercy General``, ``TO MASS
  GENERAL``), not before a capitalised word, a colon or a clinical noun
  (``General Surgery``, ``General: NAD``), nor after a rank or an office
  (``Attorney General``).
* **Firms and surnames of two or three surnames joined by hyphens** whose parts
  are everyday words too (``Lord-Bell``, ``Rivers-Berry``, ``Cook-Barker``): the
  scan keeps a word that is also a name without context, but two or three such
  words in Title case joined by hyphens are a double-barrelled name (a firm's or a
  person's), and so are the other parts of one that the scan replaced in part, when
  they are names or no everyday word (``Reed-White``, ``Teter-Bejm``; not
  ``Zorvath-Like``).  Not a medical eponym (``Swan-Ganz``,
  ``Lambert-Eaton``: two parts that are eponyms, or a listed pair), a colour or a
  compass word (``Green-Brown`` sputum), nor in capitals or lower case
  (``FAIR-GOOD``).
* **An organisation after a person's name and ``of``** (``Vilma Holm of Here``,
  ``J. Ruiz of Capital Cube``): up to three Title-case words, even everyday ones,
  unless one is a clinical service's word (``Dr. Smith of Cardiology``).
* **A partner's name**: a Title-case word after a word the scan replaced as a name
  and ``&`` (``Åberg & Palm HB``), or ``and``, ``y``, ``e``, ``et``, ``und``... when
  it is a name too (``Morante y Lamas``);
  not a role, a relation, a service or an eponym (``Dr. Ruiz and Nurse``, ``and
  Son``).
* **Legal forms the scan leaves after a replaced name** (``Sp. z o.o.``,
  ``S.Coop.``, ``o.s.``, ``As Oy``, ``- ME``, ``& Co. KG``): their letters become
  keyed letters in the same shape and case, as the scan does for ``S.A.``; not
  without a name before them (``heparin s.c.``), nor ``Ky`` after a town.
* **A firm of everyday words before a dotted legal form** (``Walk Score S.A.``,
  ``Viola s.r.l.``): its words and the form's letters; not the sinoatrial node
  (``Normal S.A. node``) nor ``s.l.`` (sublingual).
* **An organisation before ``in <place>``**: up to four Title-case words after ``at``,
  ``from``, ``support``, ``join``... and before ``in`` and a replaced place.
* **A firm named by its partners** (``Hodge, Kim and Graham``, ``Dekker & Reimes``,
  ``Acosta and Sons``), whose names the scan replaced one by one: ``{fake: company}`` of
  the whole, as a company column's value; not after a title, nor one of a longer list,
  nor when the fake holds one of the partners' names.
* **A firm named by a legal form of another country** (:mod:`.late_firms`: ``Zorlu
  San.``, ``PT Thamrin``, ``Mazilescu CON``, ``van Beek NV``, ``Szczot Sp. z o.o.``):
  ``{fake: company}`` of the whole, form included; run first, when the scan's ``heads``
  say a form stands beside a capitalised word or ``late_marks`` saw a dotted form.
* **An organisation named after a strong cue** (:mod:`.late_cues`: ``Employer: Acme
  Foods``, ``works as a nurse at Bright Harbor``, ``which later became Adaptive``, ``The
  Lucid office is at``, ``Acme, Inc.``): ``{fake: company}`` of the whole; run after the
  legal forms, when the scan's ``heads`` say a cue's word stands in the text.
* **An organisation before ``'s`` and a person's name** the scan replaced
  (``Bridgewater's Parker Suknović``); not a contraction (``Here's``) nor a relation.
* **Numbers and days** (:mod:`.late_numbers`): MAC addresses, a house number after
  a street named like a person, the other numbers of an address replaced in part, a
  street replaced word by word after a lead to an address or its type (its house
  number and type word), a street named by its type's suffix (``Heringgasse 21-99``:
  every part of its house number), and a day of the week that is part of a date.

Never logs or raises with a value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Container, Iterator
from functools import lru_cache

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.context import _FIRM_CLOSERS, _HONORIFICS, _RELATIONS
from scrubphi.transforms.redact.late_cues import _NOT_FIRM, HEAD_CUES, cue_firms
from scrubphi.transforms.redact.late_cues import _clinical as _cue_clinical
from scrubphi.transforms.redact.late_firms import HEAD_FORMS, form_firms
from scrubphi.transforms.redact.late_numbers import (
    MAC_DASH,
    MAC_MAY,
    NUMBER_KINDS,
    NUMBER_NEXT,
    STREET_KINDS,
    address_numbers,
    house_numbers,
    macs,
    number_follows,
    streets,
    suffix_streets,
    weekdays,
)
from scrubphi.transforms.redact.particles import particle_at, particle_names
from scrubphi.transforms.redact.patterns import matches_at
from scrubphi.transforms.redact.structured import Spans, overlaps_across
from scrubphi.transforms.redact.vocab import STOP, _lines, split_words

__all__ = ["HEAD_WORDS", "LM_COLON_MAC", "LM_DASH", "LM_DOT_MAC", "LM_DOT_PAIR", "late_marks",
           "late_pass"]

Fn = Callable[[str], str]

# -- care facilities --------------------------------------------------------------------

_LIVING = r"(?:Assisted|Senior|Independent|Supportive)[ ]Living"
_HOMES = r"(?:Nursing|Care|Retirement|Convalescent|Rest)[ ]Homes?"
_CENTRES = (
    r"(?:Nursing(?:[ ](?:and|&)[ ]Rehabilitation)?|Care|Health|Healthcare|Medical"
    r"|Rehabilitation|Rehab|Retirement|Senior|Surgery|Surgical|Cancer|Dialysis"
    r"|Convalescent|Treatment|Recovery|Skilled[ ]Nursing)"
    r"[ ](?:Center|Centre|Facility|Community|Village)"
)
_HEADS = f"{_LIVING}|{_HOMES}|{_CENTRES}"
#: The last word of every head, as written in a match (what a note must hold).
#: The last words of the heads in lower case: a note holds a facility's name only when
#: one of them is a word of it written with a capital (either scan tells, from its words);
#: and the days of the week, which the late pass looks for only then too (a search of
#: every note for them cost a twentieth of the compiled scan's time).
HEAD_WORDS = frozenset(split_words("""
living home homes center centre facility facilities community village general
monday tuesday wednesday thursday friday saturday sunday
"""))
#: A facility's head words, Title-case or in capitals, with the word ``General``.
# (found from its last word, which few letters start, then read back from there: a
# pattern of every head tried at every capital letter costs ten times as much)
_HEAD_LAST = compile_cached(r"(?:Living|LIVING|Homes?|HOMES?|Cent(?:er|re)|CENT(?:ER|RE)|Facility"
                            r"|FACILITY|Community|COMMUNITY|Village|VILLAGE|General|GENERAL)"
                            r"(?![\w'\u2019])")
# Where a match of _HEAD_LAST can start: its words' first letters as written (found by
# str.find, in C: the pattern's search tried a charset at every character, 18 us a note).
_HEAD_LAST_STARTS = ("Living", "LIVING", "Home", "HOME", "Cent", "CENT", "Facility",
                     "FACILITY", "Community", "COMMUNITY", "Village", "VILLAGE", "General",
                     "GENERAL")


def _head_starts(text: str) -> list[int]:
    """Where a word of ``_HEAD_LAST_STARTS`` starts in ``text``, ascending (the compiled
    scan's twin, ``_redact_fast.head_starts``, reads them in one pass over the text)."""
    starts = []
    for word in _HEAD_LAST_STARTS:
        i = text.find(word)
        while i >= 0:
            starts.append(i)
            i = text.find(word, i + 1)
    starts.sort()
    return starts


def _head_lasts(text: str, head_starts: Callable[[str], list[int]] = _head_starts,
                ) -> Iterator[re.Match[str]]:
    """What ``_HEAD_LAST.finditer(text)`` finds, tried only where one of its words
    starts (``head_starts``: ``_head_starts`` or its compiled twin)."""
    return matches_at(_HEAD_LAST, text, head_starts(text))


_HEAD = compile_cached(rf"(?:(?P<t>{_HEADS})|(?P<c>{_HEADS.upper()})|(?P<g>General|GENERAL))\Z")
# What _HEAD matches, spelled out (a finite list: the test holds it to the pattern), with
# its group: a search of _HEAD over the 40 characters before a head's last word tried its
# hundred alternatives at every character (about 28 us a head word, most of the late
# pass's time in a note with "HOME"); _head_at looks the text before the word up instead.
_LIVING_FIRSTS = ("Assisted", "Senior", "Independent", "Supportive")
_HOMES_FIRSTS = ("Nursing", "Care", "Retirement", "Convalescent", "Rest")
_CENTRES_FIRSTS = ("Nursing", "Nursing and Rehabilitation", "Nursing & Rehabilitation", "Care",
                   "Health", "Healthcare", "Medical", "Rehabilitation", "Rehab", "Retirement",
                   "Senior", "Surgery", "Surgical", "Cancer", "Dialysis", "Convalescent",
                   "Treatment", "Recovery", "Skilled Nursing")
_CENTRES_LASTS = ("Center", "Centre", "Facility", "Community", "Village")


def _head_phrases() -> dict[str, str]:
    title = [f"{a} Living" for a in _LIVING_FIRSTS] + [
        f"{a} {b}" for a in _HOMES_FIRSTS for b in ("Home", "Homes")] + [
        f"{a} {b}" for a in _CENTRES_FIRSTS for b in _CENTRES_LASTS]
    phrases = {p: "t" for p in title}
    phrases.update((p.upper(), "c") for p in title)
    phrases.update({"General": "g", "GENERAL": "g"})
    return phrases


_HEAD_PHRASES = _head_phrases()
# (longest first: the search's leftmost start is the longest phrase that ends there)
_HEAD_LENGTHS = tuple(sorted({len(p) for p in _HEAD_PHRASES}, reverse=True))


def _head_at(text: str, pos: int, end: int) -> tuple[int, str] | None:
    """What ``_HEAD.search(text, pos, end)`` finds: its start and the name of the group
    that matched (``t``, ``c`` or ``g``; it ends at ``end``), or None."""
    for n in _HEAD_LENGTHS:
        start = end - n
        if start >= pos:
            group = _HEAD_PHRASES.get(text[start:end])
            if group is not None:
                return start, group
    return None
# A name's word: Title-case (or "St." and a word), up to three, single spaces between.
_TITLE_WORD = r"(?:(?:St|Ste|Mt)\.?[ ]|Saint[ ])?[A-Z][a-z\u00df-\u00ff][^\W\d_]*(?:['\u2019]s)?"
_CAPS_WORD = r"(?:(?:ST|STE|MT)\.?[ ]|SAINT[ ])?[A-Z][A-Z\u00c0-\u00de]+(?:['\u2019]S)?"
_TITLE_RUN = compile_cached(rf"{_TITLE_WORD}(?:[ ]{_TITLE_WORD}){{0,2}}[ ]\Z")
_CAPS_RUN = compile_cached(rf"{_CAPS_WORD}(?:[ ]{_CAPS_WORD}){{0,2}}[ ]\Z")
_WORD_IN = compile_cached(r"[^\W\d_][\w'\u2019.]*")
#: Before a facility's name: a place's preposition (and "the").
_PREP_BEFORE = compile_cached(r"(?<![^\W_])(?i:at|to|from|in|into|via|by|of|the)[ ]\Z")
_FACILITY_PREPS = frozenset(split_words("at to from in into via by of"))
# After "General": what makes it a clinical word, not a hospital's.
_NOT_AFTER_GENERAL = compile_cached(
    r"(?::|['\u2019]|[ ]+(?i:surgery|surgical|surgeon|medicine|medical|anesthesia"
    r"|anaesthesia|anesthetic|appearance|practitioner|practice|ward|floor|condition"
    r"|health|care|exam|examination|pediatrics|paediatrics|population|public|consent"
    r"|instructions|malaise|weakness|state|status|service|team|impression|review)"
    r"(?![^\W_]))"
)
_CAPITAL_AFTER = compile_cached(r"[ ]+[A-Z]")
# Ranks and offices before "General" ("Attorney General", "Brigadier General").
_OFFICES = frozenset(split_words("""
attorney surgeon solicitor inspector brigadier major lieutenant secretary postmaster
governor consul director adjutant vicar registrar comptroller accountant auditor paymaster
quartermaster advocate procurator receiver commissary captain colonel
"""))
# Words before a facility's head that say which kind, not which one ("local", "the").
_GENERIC = frozenset(split_words("""
a an the this that his her their our your my its local nearby other another same new
previous prior outside area community county city state veterans private public
"""))


def _facilities(text: str, out: Spans, basic: Container[str], name: Fn,
                head_starts: Callable[[str], list[int]] = _head_starts) -> None:
    for last in _head_lasts(text, head_starts):
        he = last.end()
        head = _head_at(text, max(0, last.start() - 40), he)
        if head is None:
            continue
        hs, group = head
        if hs == 0 or text[hs - 1] != " ":
            continue
        caps = group == "c"
        general = group == "g"
        if general:
            caps = text[hs:he].isupper()
            if _NOT_AFTER_GENERAL.match(text, he) or (
                    not caps and _CAPITAL_AFTER.match(text, he)):
                continue
        window = text[max(0, hs - 80) : hs]
        run = (_CAPS_RUN if caps else _TITLE_RUN).search(window)
        if run is None:
            continue
        start = hs - len(window) + run.start()
        words = [(start + w.start(), start + w.end(), w.group().lower())
                 for w in _WORD_IN.finditer(run.group())]
        # The name begins after the run's last function word (in capitals the run
        # can hold them: "TRANSFERRED FROM MERCY GENERAL"), past generic words.
        prep = False
        for k in range(len(words) - 1, -1, -1):
            if words[k][2] in STOP or words[k][2] in _FACILITY_PREPS:
                prep = words[k][2] in _FACILITY_PREPS or words[k][2] == "the"
                words = words[k + 1 :]
                break
        while words and words[0][2] in _GENERIC:
            words.pop(0)
        if not words:
            continue
        first = words[0][0]
        prep = prep or _PREP_BEFORE.search(text, max(0, first - 8), first) is not None
        if general:
            if not prep or words[-1][2] in _OFFICES:
                continue
        elif not prep:
            # Everyday words that open a sentence (or any, in capitals) name nothing.
            while words and words[0][2].strip(".'\u2019") in basic and (
                    caps or _opens_sentence(text, words[0][0])):
                words.pop(0)
            if not words:
                continue
        s, e = words[0][0], words[-1][1]
        if overlaps_across(out, s, e):
            continue
        value = text[s:e]
        out.put(s, e, "place", case_like(name(value.title()), value), priority=0)


def _opens_sentence(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens the text, a line or a sentence."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return not before or before[-1] in ".!?:;\n\"("


# -- double-barrelled names and organisations after "<name> of" ------------------------------

_NAME_KINDS = frozenset(("first_name", "last_name"))
_WORD_KINDS = _NAME_KINDS | {"place", "city"}


@lru_cache(maxsize=1)
def _eponyms() -> frozenset[str]:
    return frozenset(w.lower() for w in _lines("eponyms"))


# A hospital's services and teams: after "<name> of" they say which team, not which place
# ("Dr. Smith of Cardiology").  (The lists of clinical words hold everyday words too, from
# the codes' descriptions: "Capital", "Walk".)
_SERVICES = frozenset(split_words("""
medicine surgery surgical cardiology cardiac cardiothoracic thoracic vascular renal
nephrology neurology neurosurgery neuro urology oncology onc hematology heme radiology
pathology psychiatry psych pulmonary pulmonology pulm respiratory gastroenterology
hepatology liver transplant orthopedics orthopaedics ortho dermatology derm
ophthalmology otolaryngology pediatrics paediatrics obstetrics gynecology gynaecology
anesthesia anaesthesia anesthesiology nursing pharmacy nutrition dietary social work
case management rehab rehabilitation physical occupational speech therapy infectious
disease diseases endocrinology endocrine rheumatology allergy immunology geriatrics
palliative hospice emergency trauma critical care intensive internal family general
plastics plastic interventional electrophysiology cath admitting ethics chaplaincy
security laboratory lab blood bank dialysis wound ostomy team service services dept
department unit floor ward clinic nephro cardio gi ent
"""))


#: Where a hyphen joins two Title-case words (a literal leads: the engine skips to it).
_HYPHEN_TITLE = compile_cached(r"-[A-Z][a-z\u00df-\u00ff]")
_TITLE_PART = r"[A-Z][a-z\u00df-\u00ff]+"
_HYPHENATED = compile_cached(rf"(?<![\w'\u2019-]){_TITLE_PART}(?:-{_TITLE_PART}){{1,2}}"
                             r"(?![\w-]|['\u2019]\w{2})")
# Colours and compass words: "Green-Brown", "North-West" are no one's name.
_NOT_BARRELLED = frozenset(split_words("""
white black brown green gray grey red blue pink rose gold silver amber north south east west
"""))
# Eponyms of two or three names ("Lambert-Eaton", "Mallory-Weiss"), each part a name.
_EPONYM_PAIRS = frozenset(split_words("""
jackson-pratt stevens-johnson mallory-weiss adams-stokes stokes-adams mayo-robson
smith-petersen lambert-eaton miller-abbott ortolani-barlow ramsay-hunt riley-day
tolosa-hunt weber-christian romano-ward miller-fisher marcus-gunn pierre-robin swan-ganz
cheyne-stokes brown-sequard dubin-johnson wolff-parkinson-white osler-weber-rendu
austin-flint hill-sachs dandy-walker kimmelstiel-wilson arnold-chiari budd-chiari
zollinger-ellison bence-jones graham-steell carey-coombs sturge-weber russell-silver
silver-russell holt-oram treacher-collins parkes-weber klippel-trenaunay
"""))


def _barrelled(text: str, out: Spans, names: Container[str], basic: Container[str], name: Fn,
               pos: int) -> None:
    done = -1
    for hit in _HYPHEN_TITLE.finditer(text, pos):
        if hit.start() < done or not text[hit.start() - 1 : hit.start()].islower():
            continue  # ("O-Neuro", "A/P-Stable": no name's part before the hyphen)
        # back over the letters and hyphens before it to the first part's capital
        b = h = hit.start()
        while b > 0 and h - b < 60 and (text[b - 1].isalpha() or text[b - 1] == "-"):
            b -= 1
        m = _HYPHENATED.match(text, b)
        if m is None or m.end() <= hit.start():
            continue
        done = m.end()
        parts = m.group().split("-")
        lows = [p.lower() for p in parts]
        s, e = m.span()
        if "-".join(lows) in _EPONYM_PAIRS or overlaps_across(out, s, e):
            continue
        taken = {sp[0]: sp[3] for sp in out.spans if s <= sp[0] < e}
        # A part the scan replaced as a name (or a town) makes the others a name's
        # when they are names or no everyday word ("Reed-White", "Teter-Bejm"; not
        # "Zorvath-Like"); else every part must be a name, with at most one eponym
        # ("Fisher-Griffin", not "Mallory-Weiss"), and none a colour.
        if any(k in _WORD_KINDS for k in taken.values()):
            if any(w not in names and w in basic for w in lows):
                continue
        else:
            eponyms = _eponyms()
            if not all(w in names for w in lows) or any(w in _NOT_BARRELLED for w in lows) \
                    or sum(w in eponyms for w in lows) > 1:
                continue
        pos = s
        for part in parts:
            if pos not in taken:
                out.put(pos, pos + len(part), "last_name", case_like(name(part), part),
                        priority=0)
            pos += len(part) + 1


_OF_ORG = compile_cached(rf"[ ]of[ ]((?:{_TITLE_PART})(?:[ ]{_TITLE_PART}){{0,2}})"
                         r"(?![\w-]|['\u2019]\w{2})")


# A person's organisation or place after "<name> from" ("Amadeo Vitorovic from Card View
# is the keynote speaker", "Jouko is from Quiet Meadow").
_FROM_ORG = compile_cached(
    rf"[ ](?:is[ ]|was[ ])?from[ ]((?:{_TITLE_PART})(?:[ ]{_TITLE_PART}){{0,2}})"
    r"(?![\w-]|['\u2019]\w{2}|[ ][A-Z])")
_FROMS = (" from ", " is from ", " was from ")


def _orgs_after_name(text: str, out: Spans, name: Fn, ends: list[int], after: re.Pattern[str],
                     skip: Callable[[list[str]], bool]) -> None:
    """``ends``: where a name the scan replaced ends; ``after`` reads the capitalised
    words that follow (" of X", " from X"), which become a place unless ``skip`` says
    their words are no firm's."""
    starts = {sp[0] for sp in out.spans}
    for end in ends:
        m = after.match(text, end)
        if m is None:
            continue
        s, e = m.span(1)
        if s in starts or skip(m.group(1).split(" ")) or overlaps_across(out, s, e):
            continue
        value = m.group(1)
        starts.add(s)
        out.put(s, e, "place", case_like(name(value), value), priority=0)


def _not_firm_from(words: list[str]) -> bool:
    """After " from " (" is from "): a service's or a place's kind, or only clinical words
    ("Dr. Ruiz from Cardiology", "Anna is from Home Care", "Jon from Renal Transplant")."""
    lows = [w.lower() for w in words]
    clinical = _cue_clinical()
    return all(w in clinical for w in lows) or \
        any(w in _SERVICES or w in _NOT_FIRM or w in STOP for w in lows)


def _not_firm_of(words: list[str]) -> bool:
    """After " of ": a service's name ("Dr. Ruiz of Cardiology")."""
    return any(w.lower() in _SERVICES for w in words)


# -- partners: a name-word joined to a replaced name by "&" or "and" ---------------------------

_AND_AFTER = compile_cached(rf"[ ](&|and|e|et|y|og|och|und|en)[ ]({_TITLE_PART})"
                            r"(?![\w-]|['\u2019]\w{2})")
_AND_BEFORE = compile_cached(
    rf"(?<![\w'\u2019-])({_TITLE_PART})[ ](&|and|e|et|y|og|och|und|en)[ ]\Z")
# Roles and teams after a name and "and": "Dr. Ruiz and Nurse", "Smith and Team".
_ROLES = frozenset(split_words("""
nurse nurses doctor doctors resident residents fellow fellows attending intern interns
staff team family children kids others colleagues associates
""")) | _HONORIFICS | _RELATIONS | _FIRM_CLOSERS | _SERVICES


def _partners(text: str, out: Spans, names: Container[str], name: Fn,
              links: list[tuple[int, int]]) -> list[tuple[int, int, int, str, str]]:
    """A Title-case word after a word the scan replaced as a name and ``&`` (or ``and``,
    ``y``, ``e``... when it is a name too) is a partner's name: "Åberg & Palm HB",
    "Morante y Lamas"; and one before it and ``&`` when the name is followed by another
    link.  ``links``: a name's start and end, where a link follows it.  Returns the spans
    put."""
    found: list[tuple[int, str, str]] = []
    for start, end in links:
        m = _AND_AFTER.match(text, end)
        if m is not None:
            found.append((m.start(2), m.group(2), m.group(1)))
        m = _AND_BEFORE.search(text, max(0, start - 40), start)
        if m is not None and m.group(2) == "&":
            found.append((m.start(1), m.group(1), m.group(2)))
    put: list[tuple[int, int, int, str, str]] = []
    if not found:
        return put
    starts = {sp[0] for sp in out.spans}
    for s, value, link in found:
        if s in starts:
            continue
        low = value.lower()
        if low in STOP or low in _ROLES or (link != "&" and low not in names) or \
                low in _eponyms():
            continue
        e = s + len(value)
        if overlaps_across(out, s, e):
            continue
        starts.add(s)
        span = (s, 0, e, "last_name", case_like(name(value), value))
        out.put(s, e, span[3], span[4], priority=0)
        put.append(span)
    return put


# -- legal forms after a replaced name -----------------------------------------------------

# Legal forms the scan does not take after a name (it takes "S.A.", "s.r.o.", "AG", "Inc"...):
# Spanish, Polish, Czech, Finnish, Brazilian, Mexican and German forms of several parts,
# as written, and the English and dotted forms in lower case ("pearson ltd", "schroeder
# s.a.").  After a word replaced as a name or a place, with a space (or " - ", " & ").
# (in lower case, as a note or a sentence written all in lower case has them: the forms
# that are no word nor clinical abbreviation; "inc", "co", "sa", "ag" are)
_LOWER_FORMS = r"s\.coop\.|s\.com\.|s\.l\.l\.|s\.l\.|s\.a\.|s\.r\.l\.|s\.p\.a\.|ltd\.?|llc|plc|gmbh"
_LOWER_FORM_AFTER = compile_cached(rf"[ ](?:{_LOWER_FORMS})(?![^\W_])")
_FORMS = (
    r"S\.Coop\.|S\.Com\.|S\.C\.P\.?|S\.L\.N\.E\.?|S\.L\.L\.?|S\.A\.[DTU]\.?|S\.L\.U?\.?"
    r"|Sp\.[ ]z[ ]o\.o\.(?:[ ]Sp\.k\.)?|Sp\.[jk]\.|s\.c\."
    r"|v\.o\.s\.|o\.s\.|k\.s\.|As[ ]Oy|Oyj|Oy|Ky|Osk|Tmi|ry"
    r"|Ltda\.?|Lda\.?|S\.A\.[ ]de[ ]C\.V\.|S\.[ ]?R\.L\.[ ]de[ ]C\.V\.|Sàrl\.?|GesbR|CommV"
    r"|(?:AG|GmbH|Stiftung|SE)?[ ]?&[ ]Co\.[ ](?:KGaA|KG|OHG)|Co\.[ ](?:KGaA|KG|OHG)|Cie\."
    r"|" + _LOWER_FORMS
)
_FORM_AFTER = compile_cached(rf"(?:[ ]|[ ]&[ ])({_FORMS})(?![^\W_])|[ ]-[ ](ME|EI|EPP)(?![^\W_])")
# Forms that are a US state's code too: after a town ("Louisville Ky") it stays.
_STATE_LIKE = frozenset(("Ky",))
_FORM_KINDS = _WORD_KINDS | {"initial"}
# A form whose first part the scan took as a word or an initial ("Sp. z o.o.", "S.Coop."):
# its rest goes.
_FORM_AT = compile_cached(rf"(?:{_FORMS})(?![^\W_])")


def _legal_forms(text: str, out: Spans, key: bytes,
                 after: list[tuple[int, int, int, str, str]]) -> None:
    """The letters of a legal form after a replaced name become keyed letters, in the same
    shape and case ("Gabinety Kontny Sp. z o.o.", "Câmara Sá - ME", "Lindholm As Oy").
    ``after``: the spans a form may follow."""
    found: list[tuple[int, int]] = []
    for start, _prio, end, kind, _rep in after:
        if text[end : end + 1] == " " and kind != "initial":
            m = _FORM_AFTER.match(text, end)
            if m is not None and (kind in _NAME_KINDS or m.group(1) not in _STATE_LIKE):
                found.append(m.span(1) if m.start(1) >= 0 else m.span(2))
        elif text[end : end + 1] == ".":
            m = _FORM_AT.match(text, start)
            if m is not None and m.end() > end + 1:
                found.append((end, m.end()))
    if not found:
        return
    starts = {sp[0] for sp in out.spans}
    for s, e in found:
        if s in starts or overlaps_across(out, s, e):
            continue
        starts.add(s)
        out.put(s, e, "place", _keyed_letters(text[s:e], key), priority=0)


def _keyed_letters(value: str, key: bytes) -> str:
    """A legal form's letters as keyed letters, in the same shape and case."""
    digest = hmac.new(key, b"form\0" + value.encode(), hashlib.sha256).digest()
    chars = []
    for i, c in enumerate(value):
        if not c.isalpha():
            chars.append(c)
            continue
        k = digest[i % len(digest)] % 26
        f = chr(ord("a") + k)
        if f == c.lower():  # never a letter back in its place
            f = chr(ord("a") + (k + 1) % 26)
        chars.append(f.upper() if c.isupper() else f)
    return "".join(chars)


# -- a firm's name of everyday words before a dotted legal form ------------------------------

# Legal forms written with dots, as firms write them ("Walk Score S.A.", "Viola s.r.l.",
# "Car Lease B.V."); not forms that are clinical abbreviations too ("s.l.": sublingual,
# "A.S.", "E.V."), nor "S.A." before a node's words (the sinoatrial node).
_DOTTED_FIRM = compile_cached(
    r"(?<=[^\W\d_][ ])(?:S\.A\.(?:R\.L\.|S\.|U\.)?|S\.R\.L\.|S\.r\.l\.|s\.r\.l\.|S\.p\.A\."
    r"|S\.P\.A\.|S\.N\.C\.|s\.n\.c\.|S\.L\.U\.|s\.r\.o\.|S\.R\.O\.|d\.o\.o\.|B\.V\.|N\.V\."
    r"|v\.o\.s\.)(?![^\W_])"
    r"(?![ ]+(?i:node|nodal|block|exit|arrest|pause|rhythm)(?![^\W_]))")
# (found from the dot after a form's first letter, a pattern led by a literal)
_DOT_PAIR = compile_cached(r"\.[APRrLlNnoVp]\.")


def _dotted_firms(text: str, out: Spans, basic: Container[str], name: Fn, key: bytes) -> None:
    """Up to three Title-case words before a dotted legal form name a firm, even everyday
    words ("Walk Score S.A.", "Viola s.r.l."); they and the form's letters are replaced, as
    the scan does after a name (when the scan took the last words and the form, the words
    before them).  Not function words, nor an everyday word that opens a sentence."""
    lead = _DOT_PAIR.search(text)  # (led by the literal ".": fast)
    if lead is None:
        return
    hits: list[re.Match[str]] = []
    for dot in _DOT_PAIR.finditer(text, lead.start()):
        m = _DOTTED_FIRM.match(text, dot.start() - 1) if dot.start() else None
        if m is not None and (not hits or hits[-1].end() <= m.start()):
            hits.append(m)
    for m in hits:
        fs, fe = m.span()
        run = _TITLE_RUN.search(text, max(0, fs - 60), fs)
        if run is None:
            continue
        words = [(run.start() + w.start(), run.start() + w.end(), w.group().lower())
                 for w in _WORD_IN.finditer(run.group())]
        for k in range(len(words) - 1, -1, -1):
            if words[k][2] in STOP or words[k][2] in _FACILITY_PREPS:
                words = words[k + 1 :]
                break
        # (after a label's colon the words are the label's value: "Employer: Green Field S.p.A.")
        while words and (words[0][2] in _GENERIC or (
                words[0][2].strip(".'\u2019") in basic and _opens_sentence(text, words[0][0])
                and text[max(0, words[0][0] - 2) : words[0][0]].strip(" ") != ":")):
            words.pop(0)
        if not words or any(w[2] in _SERVICES for w in words):
            continue
        s = words[0][0]
        covered = [(start, end) for start, _p, end, _k, _r in out.spans
                   if start < fe and end > s]
        if covered:
            # the scan took the form and the last words (after a name it knows): the
            # words before what it took go too
            first = min(start for start, _end in covered)
            if first < s or overlaps_across(out, s, fe):
                continue
            words = [w for w in words if w[1] <= first]
            if not words:
                continue
        e = words[-1][1]
        value = text[s:e]
        out.put(s, e, "place", case_like(name(value), value), priority=0)
        if not covered:
            out.put(fs, fe, "place", _keyed_letters(m.group(), key), priority=0)


# What may follow a name the scan replaced, its first three characters: " of ", a
# partner's link (" & ", " and ", " y "...), a legal form (" Sp. z o.o.", " As Oy",
# " - ME"), or the dot after "S" or "Sp" ("S.Coop.").  (A set look-up per span of a
# name's kind, in a comprehension: the scan's spans are many, one per hundred characters
# of generated notes, and seldom followed by these; what stands before a span is not
# looked at, which would cost a third more: "Frisk & Engberg" keeps "Frisk".)
_LINKS = (" & ", " and ", " y ", " e ", " et ", " og ", " och ", " und ", " en ")
_NEXT = frozenset([" of", " & ", " an", " y ", " e ", " et", " og", " oc", " un", " en", " - ",
                   " fr", " is", " wa", " lt", " ll", " pl", " gm", " s.",
                   " S ", ".Co", ".C.", ".L.", ".A.", ". z", ".j.", ".k."]
                  + [" " + w for w in split_words("""
S. Sp s. v. o. k. As Oy Ky Os Tm ry Lt Ld Sà Ge Co Ci AG Gm St SE""")])


def _after_names(text: str, out: Spans, names: Container[str], name: Fn, key: bytes,
                 company: Fn | None = None) -> None:
    """Organisations after "<name> of" and "<name> (is) from", partners' names and legal
    forms after a name."""
    kinds, after = _FORM_KINDS, _NEXT
    near = [sp for sp in out.spans if sp[3] in kinds and text[sp[2] : sp[2] + 3] in after]
    if not near:
        return
    ofs: list[int] = []
    froms: list[int] = []
    links: list[tuple[int, int]] = []
    forms: list[tuple[int, int, int, str, str]] = []
    for sp in near:
        start, end, kind = sp[0], sp[2], sp[3]
        if not text[start].isupper():
            # (a name in lower case: only a legal form in lower case after it, "pearson
            # ltd", "schroeder s.a.")
            if kind in _WORD_KINDS and _LOWER_FORM_AFTER.match(text, end) is not None:
                forms.append(sp)
            continue
        if kind in _NAME_KINDS:
            if text.startswith(" of ", end):
                ofs.append(end)
            elif text.startswith(_LINKS, end):
                links.append((start, end))
            elif text.startswith(_FROMS, end):
                froms.append(end)
        if (text[end] == " " and kind != "initial") or \
                (text[end] == "." and text[start:end] in ("S", "Sp")):
            forms.append(sp)
    if ofs:
        _orgs_after_name(text, out, name, ofs, _OF_ORG, _not_firm_of)
    if froms:
        _orgs_after_name(text, out, name, froms, _FROM_ORG, _not_firm_from)
    if links:
        forms += _partners(text, out, names, name, links)
    if forms:
        _legal_forms(text, out, key, forms)
    if links and company is not None:
        _firms(text, out, company, links)


# -- a firm named by its partners, whole ---------------------------------------------------

_FIRM_LINK = compile_cached(r"[ ](and|&|e|et|y|og|och|und|en)[ ]")
_FIRM_CLOSER = compile_cached(r"[ ](?:and|&|e|et|y|og|och|und|en)[ ]"
                              rf"({_TITLE_PART}|[a-z\u00e0-\u00ff]+)(?![\w-]|['\u2019]\w{{2}})")
_LIST_BEFORE = compile_cached(r"(?:,|(?<![^\W_])(?:and|&|e|et|y|og|och|und|en))[ ]\Z")
_LIST_GOES_ON = compile_cached(r"(?:,|[ ](?:and|&|e|et|y|og|och|und|en))[ ][A-Z]")
# Before a list of surnames: people, not a firm ("Drs. Smith, Jones and Brown").
_PEOPLE_BEFORE = _HONORIFICS | _RELATIONS | frozenset(split_words("drs doctors dr. drs."))


def _firms(text: str, out: Spans, company: Fn, links: list[tuple[int, int]]) -> None:
    """A firm named by its partners ("Hodge, Kim and Graham", "Accardo, Rusticucci e
    Innocenti", "Dekker & Reimes") or by its owner and a closer ("Acosta and Sons",
    "Dias et Fils"), whose names the scan replaced one by one, becomes a firm as a whole:
    ``{fake: company}`` of it, as a company column's value becomes (the partners' surnames
    and the word between them said how many partners there were)."""
    spans = {sp[0]: sp for sp in out.spans}
    ends = {sp[2]: sp for sp in out.spans}
    found: list[tuple[int, int]] = []
    for start, end in links:
        m = _FIRM_LINK.match(text, end)
        if m is None:
            continue
        first = spans.get(start)
        if first is None or first[3] not in _NAME_KINDS:
            continue
        third = spans.get(m.end())
        s = e = -1
        if third is not None and third[3] in _NAME_KINDS and text[third[0]].isupper() and \
                text[third[0] : third[2]].lower() not in _FIRM_CLOSERS:
            head = ends.get(start - 2) if text[start - 2 : start] == ", " else None
            if head is not None and head[3] == "last_name" and text[head[0]].isupper():
                s, e = head[0], third[2]  # three partners
            elif m.group(1) == "&" and first[3] == third[3] == "last_name":
                s, e = start, third[2]  # two, joined by "&"
            if s >= 0:
                c = _FIRM_CLOSER.match(text, e)
                if c is not None and c.group(1).lower() in _FIRM_CLOSERS:
                    e = c.end()
        else:
            c = _FIRM_CLOSER.match(text, end)
            if c is not None and c.group(1).lower() in _FIRM_CLOSERS and \
                    first[3] == "last_name":
                s, e = start, c.end()  # an owner and sons, partners, fils...
        if s < 0:
            continue
        # (one of a longer list of names: where the firm ends is not known, "Ezxbrl,
        # Henderson, Hicks and Brown and Abt"; "White, Willis and Hoffman, Lucid and...")
        if _LIST_BEFORE.search(text[max(0, s - 5) : s]) or _LIST_GOES_ON.match(text, e):
            continue
        before = text[max(0, s - 12) : s].split()
        if before and before[-1].lower().rstrip(".") in _PEOPLE_BEFORE:
            continue
        found.append((s, e))
    if not found:
        return
    for s, e in found:
        if overlaps_across(out, s, e):
            continue
        value = text[s:e]
        fake = company(value)
        if not _names_of(value).isdisjoint(_names_of(fake)):
            continue  # (a partner's name back in the fake: the names go one by one)
        out.spans[:] = [sp for sp in out.spans if not (s <= sp[0] and sp[2] <= e)]
        out.put(s, e, "place", case_like(fake, value), priority=0)


def _names_of(value: str) -> set[str]:
    """The capitalised words of a firm's name, in lower case (not its "and", "og"...)."""
    return {w.lower() for w in re.split(r"[\W_]+", value) if w[:1].isupper()}


# -- an organisation between a verb or preposition and "in <place>" ------------------------

# "a year at Google Public Data Explorer in Lyon", "looking to support Walk Score in
# Tarvik", "she joined Quill Point in Oslo": up to four Title-case words after "at",
# "from", "support", "join"..., closed by "in" and a place the scan replaced, name an
# organisation (the scan's own rule reads three words, near a word that starts its rules).
# Not after "for" or "with": a diagnosis may follow them ("admitted for Chest Pain in
# Boston").
# (what the scan replaced after "in": a town it read as a place or a name)
_IN_KINDS = frozenset(("place", "city", "address", "first_name", "last_name"))
_ORG_RUN = compile_cached(
    r"(?<![^\W_])(?:at|from|support(?:s|ed|ing)?|join(?:s|ed|ing)?)[ ]"
    rf"({_TITLE_PART}(?:[ ]{_TITLE_PART}){{0,3}})\Z")


def _orgs_before_place(text: str, out: Spans, name: Fn) -> None:
    """Title-case words between an organisation's verb or preposition and "in" and a
    replaced place are the organisation's name, everyday words too; not function words,
    nor a clinical service's words."""
    # (from the scan's spans after " in ": a search of the text for it cost three times as
    # much on the nursing notes)
    kinds = _IN_KINDS
    ats = [sp[0] - 4 for sp in out.spans if sp[3] in kinds and text[sp[0] - 4 : sp[0]] == " in "]
    for at in ats:
        # (a Title-case word before "in": rare)
        w = text.rfind(" ", max(0, at - 40), at)
        if w < 0 or not text[w + 1 : w + 2].isupper() or not text[at - 1 : at].islower():
            continue
        run = _ORG_RUN.search(text, max(0, at - 80), at)
        if run is None:
            continue
        s, e = run.span(1)
        words = run.group(1).split(" ")
        if any(w.lower() in STOP or w.lower() in _SERVICES for w in words):
            continue
        if any(start < e and end > s for start, _p, end, _k, _r in out.spans):
            continue  # (the scan read it)
        value = run.group(1)
        out.put(s, e, "place", case_like(name(value), value), priority=0)


# -- an organisation named before its people ------------------------------------------------

# An organisation's name before "'s" and a person's first name and surname that the scan
# replaced ("Bridgewater's Parker Suknović", "Walk Score's Ann Berg"): not a word of the
# lists of function words ("Here's John Smith": "here is").
_POSSESSOR = compile_cached(rf"(?<![\w'\u2019-])({_TITLE_PART}(?:[ ]{_TITLE_PART}){{0,2}})"
                            r"['\u2019]s[ ]\Z")


# A first name after "'s " (the only spans _org_possessors starts from: the gate's test).
_POSSESSIVES = ("'s ", "\u2019s ")
_FIRST_KINDS = frozenset(("first_name",))

# Whose a person is, not which organisation's ("Patient's Mary Smith").
_CARED = frozenset(split_words("patient patients pt pts client clients resident child baby"))


def _org_possessors(text: str, out: Spans, name: Fn) -> bool:
    """Whether it put a span (the late pass's ``ran``)."""
    if "'s " not in text and "\u2019s " not in text:
        return False  # (no "'s " before a first name can be there: most notes, no loop)
    spans = out.spans
    firsts = [sp for sp in spans if sp[3] == "first_name" and text[sp[0] - 3 : sp[0]] in
              _POSSESSIVES]
    if not firsts:
        return False
    put = False
    starts = {sp[0]: sp for sp in spans}
    for first in firsts:
        last = starts.get(first[2] + 1)
        if last is None or last[3] != "last_name" or text[first[2]] != " ":
            continue
        m = _POSSESSOR.search(text, max(0, first[0] - 60), first[0])
        if m is None:
            continue
        s, e = m.span(1)
        words = m.group(1).split(" ")
        if any(w.lower() in STOP or w.lower() in _ROLES or w.lower() in _CARED
               for w in words):
            continue
        if any(start < e and end > s for start, _p, end, _k, _r in spans):
            continue  # (the scan read it: a person's name)
        value = m.group(1)
        out.put(s, e, "place", case_like(name(value), value), priority=0)
        put = True
    return put


#: The bits of :func:`late_marks`: which rare anchors of the late pass a text holds, and
#: which of its rules a span of the scan's can set off.
LM_COLON_MAC, LM_DASH, LM_DOT_MAC, LM_DOT_PAIR = 1, 2, 4, 8
LM_HOUSE, LM_ADDRESS, LM_AFTER_NAME, LM_IN_PLACE, LM_STREET = 16, 32, 64, 128, 256
LM_PARTICLE = 512
LM_POSSESSOR = 1024
#: The kinds of span each rule starts from (the compiled twin spells them out: a test
#: holds the two to the same sets).
SPAN_GATE_KINDS = {LM_HOUSE: _NAME_KINDS, LM_ADDRESS: NUMBER_KINDS, LM_AFTER_NAME: _FORM_KINDS,
                   LM_IN_PLACE: _IN_KINDS, LM_STREET: STREET_KINDS, LM_PARTICLE: _NAME_KINDS,
                   LM_POSSESSOR: _FIRST_KINDS}


def late_marks(text: str, spans: list[tuple[int, int, int, str, str]]) -> int:
    """Which searches and rules of the late pass can find anything in ``text`` with the
    scan's ``spans``: the anchors the pattern searches start from (a MAC address's
    ``:hh:hh:``, ``-hh-hh-``, ``.hhhh.``, a hyphen before a Title-case pair, a dotted
    legal form's ``.A.``) and, per rule that starts from a span, whether one span passes
    that rule's first test (a name before a number, a town before a comma or a line's
    end, a name before ``of``/``&``/a legal form, a place after `` in ``, a digit beside
    a name or place, a name that is or follows a particle: ``da``, ``van``, a first name
    after ``'s``).  A rule
    whose bit is clear would find nothing, so the late pass skips it; each bit is a
    necessary condition, not the rule itself.  The compiled scan
    has a twin (``_redact_fast.late_marks``: one pass over the text and the spans
    instead of four searches and five loops in Python)."""
    colon, dash, dot = MAC_MAY
    marks = ((LM_COLON_MAC if colon.search(text) else 0) | (LM_DASH if dash.search(text) else 0)
             | (LM_DOT_MAC if dot.search(text) else 0)
             | (LM_DOT_PAIR if _DOT_PAIR.search(text) else 0))
    size = len(text)
    for start, _prio, end, kind, _rep in spans:
        if kind in _NAME_KINDS and end + 2 < size and text[start : start + 1].isupper() and (
                (text[end] == " " and text[end + 1].isdecimal())
                or (text[end : end + 2] == ", " and text[end + 2].isdecimal())):
            marks |= LM_HOUSE  # (house_numbers: _NUMBER_AFTER)
        if kind in NUMBER_KINDS and (text[end : end + 1] in NUMBER_NEXT or (
                kind == "place" and start >= 2 and text[start - 2 : start] == ", ")):
            marks |= LM_ADDRESS
        if kind in _FORM_KINDS and text[end : end + 3] in _NEXT:
            marks |= LM_AFTER_NAME
        if kind in _IN_KINDS and start >= 4 and text[start - 4 : start] == " in ":
            marks |= LM_IN_PLACE
        if kind in _NAME_KINDS and particle_at(text, start, end):
            marks |= LM_PARTICLE
        if kind in STREET_KINDS and (number_follows(text, end) or (
                start >= 3 and text[start - 1] == " " and (
                    text[start - 2].isdigit() or text[start - 3].isdigit()))):
            marks |= LM_STREET
        if kind == "first_name" and start >= 3 and text[start - 3 : start] in _POSSESSIVES:
            marks |= LM_POSSESSOR  # (_org_possessors: a first name after "'s ")
    return marks


def late_pass(text: str, out: Spans, basic: Container[str], fns: dict[str, Fn],
              key: bytes, heads: int, names: Container[str], marks: int,
              head_starts: Callable[[str], list[int]] = _head_starts) -> None:
    """Add the late pass's findings to ``out`` (see the module's description).

    ``heads``: bit 1, whether the scan saw a word of :data:`HEAD_WORDS` written with a
    capital, a facility's head word or a day of the week (the scans tell it from the
    words they read anyway: a pattern tried at every space, or a substring search per
    head word, cost a fifth of the scan's time); bit ``late_firms.HEAD_FORMS``, whether
    it saw a legal form where :func:`late_firms.form_firms` can read one; bit
    ``late_cues.HEAD_CUES``, whether it saw a cue's word of :func:`late_cues.cue_firms`.
    ``names``: the first and last names (lower case), for the double-barrelled names.
    ``marks``: :func:`late_marks` of ``text`` and the scan's spans (or its compiled
    twin's), before any span of this pass.
    ``head_starts``: where the facilities' head words start (:func:`_head_starts`, or the
    compiled scan's twin).
    """
    # (a rule whose bit of ``marks`` is clear finds nothing, unless a rule before it
    # changed the scan's spans, which ``marks`` was read from: every rule appends what it
    # puts, and one that drops spans (_firms) appends the span that replaces them)
    if not heads and not marks:
        # Every rule below is gated by a bit of ``marks`` or ``heads``: none can put a span.
        return
    scanned = len(out.spans), (out.spans[-1] if out.spans else None)
    # Whether a rule may have changed the spans (one has run; _org_possessors says if it
    # put one): until then they are the scan's, and ``ran and changed()`` spares the
    # calls (six a note where no rule runs, as in most notes).
    ran = False

    def changed() -> bool:
        return len(out.spans) != scanned[0] or (
            bool(out.spans) and out.spans[-1] is not scanned[1])

    if heads & 1:
        _facilities(text, out, basic, fns["last_name"], head_starts)
        weekdays(text, out, key)
        ran = True
    if heads & HEAD_FORMS or marks & LM_DOT_PAIR:
        # (before the rules that read a name and a form apart: the firm goes whole)
        company = fns.get("company")
        if company is not None:
            ran = form_firms(text, out, basic, names, company, _SERVICES,
                             bool(heads & HEAD_FORMS)) or ran
    if heads & HEAD_CUES:
        # (after the legal forms of other countries, before the rules that read a name
        # and what follows it apart: the firm goes whole)
        company = fns.get("company")
        if company is not None:
            ran = cue_firms(text, out, basic, names, company, _SERVICES) or ran
    if out.spans and "," in text:
        if marks & LM_HOUSE or (ran and changed()):
            house_numbers(text, out, fns["mrn"])
            ran = True
        if marks & LM_ADDRESS or (ran and changed()):
            address_numbers(text, out, key)
            ran = True
    if marks & LM_PARTICLE:
        particle_names(text, out, fns)
        ran = True
    if out.spans and (marks & LM_AFTER_NAME or (ran and changed())):
        _after_names(text, out, names, fns["last_name"], key, fns.get("company"))
        ran = True
    if marks & LM_DOT_PAIR:
        _dotted_firms(text, out, basic, fns["last_name"], key)
        ran = True
    if out.spans and (marks & LM_IN_PLACE or (ran and changed())):
        _orgs_before_place(text, out, fns["last_name"])
        ran = True
    if out.spans and (marks & LM_POSSESSOR or (ran and changed())) and \
            _org_possessors(text, out, fns["last_name"]):
        ran = True
    # (the dash's search finds the double-barrelled names' hyphens too)
    hyphen = MAC_MAY[1].search(text) if marks & LM_DASH else None
    if hyphen is not None:
        if hyphen.group("t") is not None:
            _barrelled(text, out, names, basic, fns["last_name"], hyphen.start())
            hyphen = MAC_DASH.search(text, hyphen.start())
        else:
            title = _HYPHEN_TITLE.search(text, hyphen.start())
            if title is not None:
                _barrelled(text, out, names, basic, fns["last_name"], title.start())
        ran = True
    if marks & (LM_COLON_MAC | LM_DOT_MAC) or hyphen is not None:
        macs(text, out, key)
        ran = True
    if out.spans and (marks & LM_STREET or (ran and changed())):
        # (after the double-barrelled names: "Tom-Hofmeister-Ring 2")
        streets(text, out, key, fns["city"])
        ran = True
    if marks & LM_DASH or (out.spans and (marks & LM_STREET or (ran and changed()))):
        suffix_streets(text, out, key, fns["last_name"], bool(marks & LM_DASH))
