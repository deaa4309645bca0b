"""Organisations named after a strong cue, whole (a late-pass rule).

Why: brand names that are everyday words (``Target``, ``Swift Transport``, ``Acme
Foods``, ``Adaptive``) were kept wherever no role word and preposition stood before
them, and a name the scan replaced word by word as a town or a surname came out as a
town (``employed by Walmart`` -> ``employed by Nichols``).  Some cues say an
organisation follows (or precedes) whatever its words are; a firm found so becomes one
``{fake: company}`` of the whole, as :mod:`.late_firms` does.

The cues (mixed-case text only; a note in capitals has no case to tell a name from a
word), and the name they read: up to four capitalised words (Title case, ``McKesson``,
an acronym no list of everyday or clinical words has, a dotted acronym ``U.N.``, a
leading ``The``), joined by single spaces, hyphens, ``&`` or ``of``, with an English
legal form after them (``Inc.``, ``LLC``...):

* a **label**: ``Employer:``, ``Insurance:``, ``Insurer:``, ``Insurance company:``,
  ``Place of employment:``, ``Company:`` (or ``Employer -``), the name on the same line
  (``Employer: Acme Foods``, ``Insurance: Blue Cross``); not a status or a programme
  (``Employer: retired``, ``none``, ``Self``, ``Disabled``; ``Insurance: Medicare``,
  ``Self Pay``, ``Pending``);
* **employment**: ``employed by/at/with``, ``hired by``, ``works/worked/working/work at``
  or ``for``, with a trade or a job's title between (``works as a nurse at``, ``works as
  Engineer, civil at``, ``works part time for``), ``volunteers at``, ``his/a/new job
  at/with``, ``laid off from``; not ``works at home``, ``employed by the hospital`` (lower
  case), ``works for Social Services`` (a service's word), ``works for Dr. Smith``;
* **a firm's history**: ``which/that later (eventually, subsequently) became``, ``was
  (later) renamed``, ``was acquired by``, ``merged with/into``; the name's words none of a
  clinical list (``which later became Septic`` stays);
* **an office at an address**: ``the X office is (located) at/in/on`` before a digit or
  a capitalised word (``The Lucid office is at 12 Main Street``); not an acronym in
  capitals (``The GI office``, ``PT office``), a service (``The Cardiology office``) or
  a word of an office's kind (``Main``, ``Billing``, ``Front``);
* **a legal form after a comma** (``Acme, Inc.``, ``Globex, LLC``): the name before it;
  a sentence's first word that an everyday or clinical list has is none (``Denies,
  Inc.``);
* in text of any case but capitals, **one word in lower case after the strongest cues**
  (``employer:``, ``employed by``, ``works at``, ``works as a nurse at``) that no list of
  everyday, clinical or personal names has and the scan did not replace (``works at
  foursquare``; not ``works at home``, ``employed by self``).

A name the cue reads in part (another capitalised word after it, a comma or a partner's
link before one: ``Hall, Soto and Trujillo``, ``Bauer Stiftung & Co. KG``) is left to the
rules that read the firm whole.

The gate: both scans read, from the words they read anyway, whether a cue's word stands
in the text (a bit of the late pass's ``heads``: the compiled scan's word bits
``K_CUE`` and ``K_CUEFORM`` with the case bit ``W_TITLE``, and :func:`cue_gate` in the
pure scan); every cue the rule
reads holds such a word, so the scans agree.  The rule then looks only around its cues'
words (:func:`_matches`), not along the whole text.

Never logs or raises with a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from functools import lru_cache

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.redact.context import _HONORIFICS, _RELATIONS
from scrubphi.transforms.redact.late_firms import put_firm
from scrubphi.transforms.redact.structured import Spans, overlaps_across
from scrubphi.transforms.redact.vocab import STOP, _lines, split_words

__all__ = ["CUE_FORMS", "CUE_WORDS", "HEAD_CUES", "cue_firms", "cue_gate"]

Fn = Callable[[str], str]

#: The bit of the scans' ``heads`` that says a cue's word stands in the text (bit 1 is
#: the facilities' head words, 2 the legal forms of :mod:`.late_firms`).
HEAD_CUES = 4
#: Keys (lower case) of the cues' words, in any case: a text holds a cue only when it
#: holds one of them (the scans tell it from the words they read anyway).
CUE_WORDS = frozenset(split_words("""
employer employed employment insurer insurance company hired works worked working work
volunteer volunteers job jobs laid became renamed acquired merged office offices llc
address addresses joined rejoined
"""))
#: Keys of the legal forms after a comma (``Acme, Inc.``), in Title case (``INC`` and
#: ``inc`` are a nurse's "incontinent", ``CO`` a cardiac output: no gate's words).
CUE_FORMS = frozenset(split_words("inc incorporated ltd corp"))


def cue_gate(words: list[tuple[int, int, str]], keys: list[str]) -> bool:
    """The pure scan's twin of the compiled gate: a word of :data:`CUE_WORDS`, or one of
    :data:`CUE_FORMS` in Title case."""
    return any(key in CUE_WORDS or (key in CUE_FORMS and word[2].istitle())
               for word, key in zip(words, keys, strict=True))


# -- the name after (or before) a cue --------------------------------------------------------

_WORD = (r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:['\u2019][a-z]{1,2})?(?:-[A-Z][a-z]+)*|[A-Z]{2,5}"
         r"|(?:[A-Z]\.){2,4})")
_FORM = r"(?:Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Corp\.?|Corporation|Co\.|Company|Group|PLC)"
_NAME = (rf"(?P<n>(?:The[ ](?=[A-Z]))?{_WORD}(?:(?:[ ](?:&[ ]|of[ ](?:the[ ])?)?|-){_WORD}){{0,3}}"
         rf"(?:,?[ ]{_FORM})?)(?![\w&'\u2019-])")

_LABEL = compile_cached(
    r"(?:Employer|employer|EMPLOYER|Insurer|insurer|INSURER|Insurance(?:[ ]company|[ ]carrier)?"
    r"|insurance|INSURANCE|Place[ ]of[ ]employment|Company|COMPANY)(?:[ ]?:|[ ]-)[ ]*" + _NAME)
# (a trade between: "works as a nurse at", "works as an ICU nurse for", a job's title of
# several words and a comma: the last "at" or "for" before a name, in the sentence)
_TRADE = r"(?:[ ]as[ ][^.\n;:!?]{1,60})?"
# (the patterns are matched at the starts of words near their cues' words only: see
# _matches)
_EMPLOY = compile_cached(
    r"(?:(?:employed|Employed|hired|Hired)(?:[ ]full[- ]time|[ ]part[- ]time)?[ ](?:by|at|with)"
    r"|(?:works|Works|worked|Worked|working|Working|work|Work)"
    r"(?:[ ]full[- ]time|[ ]part[- ]time)?" + _TRADE + r"[ ](?:at|for)"
    r"|(?:volunteer|Volunteer)s?(?:[ ]part[- ]time)?[ ]at"
    r"|(?:his|His|her|Her|their|Their|a|A|new|New|old|Old)[ ]jobs?[ ](?:at|with)"
    r"|(?:laid|Laid)[ ]off[ ](?:from|by))[ ]" + _NAME)
_HISTORY = compile_cached(
    r"(?:(?:which|that)[ ](?:later|eventually|subsequently)[ ]became"
    r"|was[ ](?:later[ ])?renamed(?:[ ]to|[ ]as)?|was[ ](?:later[ ])?acquired[ ]by"
    r"|merged[ ](?:with|into))[ ]" + _NAME)
_OFFICE = compile_cached(
    r"(?:The|the)[ ]" + _NAME.replace("(?![\\w&'\\u2019-])", "")
    + r"[ ]offices?[ ](?:is|was|are|were)[ ](?:located[ ])?(?:at|in|on)[ ](?=\d|[A-Z])")
# An organisation's address ("The address of Persint is ...") and joining one ("Last
# year she joined Card View as an analyst"; "joined by" is a visitor, in lower case).
_ADDRESS_OF = compile_cached(
    r"(?:The|the|An|an)[ ](?:address|Address)[ ]of[ ]" + _NAME.replace("(?![\\w&'\\u2019-])", "")
    + r"(?=[ ](?:is|was)[ ])")
_JOINED = compile_cached(r"(?:joined|Joined|rejoined|Rejoined)[ ]" + _NAME)
# A dotted legal form after the name joined ("joined Viola s.r.l."): the firms' rule reads
# the firm whole, form and all.
_DOTTED_FORM = compile_cached(r"[ ]+[^\W\d_]{1,4}\.[^\W\d_]{1,4}\.")
# A name in lower case after the strongest cues ("employed by walmart", "employer:
# foursquare"): one word of four letters or more that no list of everyday or clinical
# words has, nor the name lists.
_LOWER = compile_cached(
    r"(?:(?:employer|Employer)[ ]?:|(?:employed|Employed)[ ](?:by|at|with)"
    r"|(?:work|Work)(?:s|ed|ing)?[ ](?:as[ ]an?[ ][a-z]+[ ])?(?:at|for))"
    r"[ ]+(?P<n>[a-z][a-z\d]{3,}(?:\.com)?)(?![\w&'\u2019-])(?=\Z|[ ]+[a-z\d]|[.,;:!?)\n])")
_COMMA_FORM = compile_cached(
    r",[ ](?:Inc\.?|Incorporated|LLC|Ltd\.?|Corp\.?|Co\.)(?![\w&-])")
# What may follow a cue's name: not another capitalised word, nor a partner's link before
# one ("Hall, Soto and Trujillo", "Berg og Sønner", "Bauer GmbH & Co. KG"): a name read
# in part is left to the rules that read it whole.
_CUT = compile_cached(
    r",?[ ]+(?:(?:and|&|og|och|et|und|y|e|i|en|ve|és)[ ]+)?[^\W\d_]*[A-Z&]|[&-]"
    r"|\.[ ]+[A-Z]{2,4}(?![\w.])")
_DOTTED = (" Inc", " Ltd", " Corp", " Co")
_SENTENCE_END = compile_cached(r"\Z|\n|[ ]+[A-Z\d]")
_BEFORE = compile_cached(
    rf"(?:(?<=[^\w&'\u2019.-])|^)(?P<n>{_WORD}(?:[ ](?:&[ ]|of[ ])?{_WORD}){{0,3}})\Z")

#: Words that say what a place or a person is, not which firm: no name of a cue's.
_NOT_FIRM = frozenset(split_words("""
home homes night nights day days evening evenings weekend weekends present time times
work school church college university hospital hospitals clinic clinics office offices
rehab nursing retired retiree none no yes unemployed self disabled disability homemaker
housewife student students unknown pending private medicare medicaid medi-cal medigap
masshealth free tricare vna champva va ssi ssdi hmo ppo epo pos uninsured commercial na
same various multiple several local previous prior current former full part the a an
this that his her their its our my your main front billing business admissions admitting
head central regional home doctor doctors doctor's physician physicians dentist dental
medical surgeon surgeons state federal city county government police fire military army
navy marines army's nurse nurses aide aides pharmacist pharmacy lab farm factory store
shop restaurant bank office construction family mother father son daughter wife husband
himself herself themselves
"""))
# Lower-case words a name may hold between capitalised ones (their case says so).
_LINKS = frozenset(("&", "of", "the"))
_FORMS = frozenset(split_words("""
inc inc. incorporated llc l.l.c. ltd ltd. corp corp. corporation co. company group plc
"""))


#: The patterns, what a text must hold for each to match, and whether it is the office's.
_CUES = ((_LABEL, ("mploy", "MPLOY", "nsur", "NSUR", "ompany", "OMPANY"), False),
         (_EMPLOY, ("mploy", "ork", "ired", "olunteer", "job", "aid off"), False),
         (_HISTORY, ("became", "renamed", "acquired", "merged"), False),
         (_OFFICE, ("office",), True),
         (_ADDRESS_OF, ("ddress",), True),
         (_JOINED, ("oined",), False))


def _matches(pat: re.Pattern[str], text: str, anchors: tuple[str, ...]) -> list[re.Match[str]]:
    """The matches of ``pat`` at the starts of words up to 40 characters before each of
    ``anchors`` in ``text`` (the cues' words: ``employed``, ``became``...).  A search of
    the whole text tried every alternative at every character (a tenth of a millisecond
    a note); the anchors' substring searches skip to the few places a cue can be."""
    found: dict[int, re.Match[str]] = {}
    for anchor in anchors:
        i = text.find(anchor)
        while i >= 0:
            for ws in range(max(0, i - 40), i + 1):
                if ws in found or not text[ws].isalpha() or (
                        ws and (text[ws - 1].isalnum() or text[ws - 1] in "_-")):
                    continue
                m = pat.match(text, ws)
                if m is not None:
                    found[ws] = m
            i = text.find(anchor, i + 1)
    return [found[k] for k in sorted(found)]


@lru_cache(maxsize=1)
def _clinical() -> frozenset[str]:
    """Clinical words and eponyms (lower case): a firm's history names none of them."""
    words: set[str] = set()
    for stem in ("medical_words", "drugs", "clinical_abbrev", "eponyms"):
        words.update(w.lower() for w in _lines(stem))
    return frozenset(words)


def _words(value: str) -> list[str]:
    return [w.rstrip(",") for w in value.replace("-", " ").split(" ") if w.rstrip(",")]


def _acceptable(value: str, basic: Container[str], services: Container[str],
                clinical: Container[str] | None, office: bool) -> str | None:
    """The name (a legal form after it kept), or None when it is no firm's."""
    if "-" in value and " " not in value:
        return None  # (a double-barrelled name: the late pass's own rule, hyphen kept)
    words = _words(value)
    # (a legal form ends it, but for a name of the form alone)
    names = [w for w in words if w.lower() not in _LINKS]
    core = [w for w in names if w.lower() not in _FORMS] or names
    if not core:
        return None
    lows = [w.lower().rstrip(".") for w in core]
    if any(low in STOP or low in _HONORIFICS or low in _RELATIONS for low in lows):
        return None
    # (a service's word: a team, not a firm, when every word is one or the name is an
    # office's or in a firm's history; "Amazon Web Services", "General Motors" are firms
    # after an employer's cue, "Social Services", "Physical Therapy" none)
    team = [low in services or low in _NOT_FIRM for low in lows]
    if all(team) or ((office or clinical is not None) and any(team)):
        return None
    if lows[0] in _NOT_FIRM or (len(core) == 1 and lows[0].replace(".", "") in _NOT_FIRM):
        return None
    for w, low in zip(core, lows, strict=True):
        if w.isupper() and "." not in w and (low in basic or office):
            return None  # (a clinical abbreviation: "works with PT", "The GI office")
        if clinical is not None and low in clinical:
            return None
        if office and low in _NOT_FIRM:
            return None
    if words[-1].lower() in ("of", "the", "&"):
        return None
    return value


def cue_firms(text: str, out: Spans, basic: Container[str], names: Container[str],
              company: Fn, services: Container[str]) -> bool:
    """Put each organisation a cue names as one ``{fake: company}``; whether it put one."""
    if text.upper() == text:
        return False
    found: list[tuple[int, int]] = []
    mixed = text.lower() != text
    for pat, anchors, office in _CUES if mixed else ():
        clinical = _clinical() if pat is _HISTORY else None
        for m in _matches(pat, text, anchors):
            s, e = m.span("n")
            value = text[s:e]
            if not office and _CUT.match(text, e) is not None:
                continue
            if pat is _JOINED and _DOTTED_FORM.match(text, e) is not None:
                continue
            if _acceptable(value, basic, services, clinical, office) is None:
                continue
            found.append((s, e))
    for m in _matches(_LOWER, text, ("mploy", "ork")):
        s, e = m.span("n")
        low = m.group("n")
        if low in basic or low in names or low in STOP or low in _NOT_FIRM or low in services:
            continue
        if any(start < e and end > s for start, _p, end, _k, _r in out.spans):
            continue  # (the scan read it)
        found.append((s, e))
    for m in _COMMA_FORM.finditer(text) if mixed and ", " in text else ():
        b = _BEFORE.search(text, max(0, m.start() - 80), m.start())
        if b is None:
            continue
        s = b.start("n")
        first = text[s : m.start()].split(" ")[0]
        before = text[max(0, s - 3) : s].rstrip(" ")
        if (not before or before[-1] in ".!?\n\"(:") and first.lower() in basic:
            if " " not in text[s : m.start()]:
                continue  # (a sentence's first word: "Denies, Inc.")
            s = text.index(" ", s) + 1
        value = text[s : m.end()]
        if _acceptable(value, basic, services, None, False) is None:
            continue
        found.append((s, m.end()))
    if not found:
        return False
    found.sort()
    put = False
    done = -1
    for s, e in found:
        if s < done:
            continue
        if text[e : e + 1] == "." and text[s:e].endswith(_DOTTED):
            e += 1  # ("Acme Inc." read as a name of three words)
        if text[e - 1] == "." and _SENTENCE_END.match(text, e) is not None:
            e -= 1  # (the sentence's full stop stays: "works for Acme Inc. He")
        value = text[s:e]
        if overlaps_across(out, s, e):
            continue
        if not put_firm(out, s, e, value, company):
            continue
        done = e
        put = True
    return put
