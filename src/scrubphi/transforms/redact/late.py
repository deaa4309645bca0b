"""The late pass of ``{redact: text}``: classes of identifier found after either scan.

Why a pass of its own: these rules look at a few words around a rare anchor (a
facility's head words, a device address's shape), not at every word, so they
need neither the scan's per-word tables nor a twin in C.  They run on the text
and the spans either scan left, in :meth:`Redactor.redact` and
:meth:`Redactor.find`, so the compiled and the pure scan give the same output by
construction (``tests/test_redact_twins.py`` still holds them to it).

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
* **MAC addresses**: six pairs of hex digits joined by ``:`` or ``-`` (with a
  letter among them when joined by ``-``: six numbers so joined are readings), and the
  dotted form of three groups of four (``001A.2B3C.4D5E``); a device's
  identifier (Safe Harbor's 13th).  Replaced by keyed hex digits in the same
  shape and case.

Never logs or raises with a value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Container

from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.structured import Spans
from scrubphi.transforms.redact.vocab import STOP, split_words

__all__ = ["late_pass"]

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
_HEAD_LAST = ("Living", "LIVING", "Home", "HOME", "Center", "CENTER", "Centre", "CENTRE",
              "Facility", "FACILITY", "Community", "COMMUNITY", "Village", "VILLAGE",
              "General", "GENERAL")
#: A facility's head words, Title-case or in capitals, with the word ``General``.
_HEAD = re.compile(rf"(?<=[ ])(?:(?P<t>{_HEADS})|(?P<c>(?i:{_HEADS}))"
                   r"|(?P<g>General|GENERAL))(?![^\W_])")
# A name's word: Title-case (or "St." and a word), up to three, single spaces between.
_TITLE_WORD = r"(?:(?:St|Ste|Mt)\.?[ ]|Saint[ ])?[A-Z][a-z\u00df-\u00ff][^\W\d_]*(?:['\u2019]s)?"
_CAPS_WORD = r"(?:(?:ST|STE|MT)\.?[ ]|SAINT[ ])?[A-Z][A-Z\u00c0-\u00de]+(?:['\u2019]S)?"
_TITLE_RUN = re.compile(rf"{_TITLE_WORD}(?:[ ]{_TITLE_WORD}){{0,2}}[ ]\Z")
_CAPS_RUN = re.compile(rf"{_CAPS_WORD}(?:[ ]{_CAPS_WORD}){{0,2}}[ ]\Z")
_WORD_IN = re.compile(r"[^\W\d_][\w'\u2019.]*")
#: Before a facility's name: a place's preposition (and "the").
_PREP_BEFORE = re.compile(r"(?<![^\W_])(?i:at|to|from|in|into|via|by|of|the)[ ]\Z")
_FACILITY_PREPS = frozenset(split_words("at to from in into via by of"))
# After "General": what makes it a clinical word, not a hospital's.
_NOT_AFTER_GENERAL = re.compile(
    r"(?::|['\u2019]|[ ]+(?i:surgery|surgical|surgeon|medicine|medical|anesthesia"
    r"|anaesthesia|anesthetic|appearance|practitioner|practice|ward|floor|condition"
    r"|health|care|exam|examination|pediatrics|paediatrics|population|public|consent"
    r"|instructions|malaise|weakness|state|status|service|team|impression|review)"
    r"(?![^\W_]))"
)
_CAPITAL_AFTER = re.compile(r"[ ]+[A-Z]")
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


def _facilities(text: str, out: Spans, basic: Container[str], name: Fn) -> None:
    for m in _HEAD.finditer(text):
        hs = m.start()
        caps = m.group("c") is not None
        general = m.group("g") is not None
        if caps and not m.group().isupper():
            continue  # neither Title-case nor in capitals
        if general:
            caps = m.group().isupper()
            if _NOT_AFTER_GENERAL.match(text, m.end()) or (
                    not caps and _CAPITAL_AFTER.match(text, m.end())):
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
        if _overlaps_across(out, s, e):
            continue
        value = text[s:e]
        out.put(s, e, "place", case_like(name(value.title()), value), priority=0)


def _opens_sentence(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens the text, a line or a sentence."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return not before or before[-1] in ".!?:;\n\"("


def _overlaps_across(out: Spans, s: int, e: int) -> bool:
    """Whether a span already put reaches out of ``[s, e)`` from inside it (or in from
    before it): replacing the name would drop that span's other part."""
    for start, _prio, end, _kind, _rep in out.spans:
        if start < e and end > s and (start < s or end > e):
            return True
    return False


# -- MAC addresses ------------------------------------------------------------------------

_MAC = re.compile(
    r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-]|\.\w)"
)
_MAC_MAY = re.compile(r"[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]")
_CISCO_MAY = re.compile(r"\.[0-9A-Fa-f]{4}\.")
_HEX = "0123456789abcdef"


def _macs(text: str, out: Spans, key: bytes) -> None:
    for m in _MAC.finditer(text):
        value = m.group()
        if not any(c.isdigit() for c in value) or (
                value[2:3] == "-" and not any(c in "abcdefABCDEF" for c in value)):
            continue  # (six numbers joined by dashes are readings: "12-14-15-16-18-20")
        s, e = m.span()
        if _overlaps_across(out, s, e):
            continue
        digest = hmac.new(key, b"mac\0" + value.lower().encode(), hashlib.sha256).digest()
        fake = [_HEX[digest[i % len(digest)] % 16] for i in range(len(value))]
        if fake == list(value.lower()):  # never the same address back
            fake[0] = _HEX[(_HEX.index(fake[0]) + 1) % 16]
        upper = value != value.lower()
        chars = [c if c in ":-." else (f.upper() if upper else f)
                 for c, f in zip(value, fake, strict=True)]
        out.put(s, e, "id", "".join(chars), priority=0)


def late_pass(text: str, out: Spans, basic: Container[str], fns: dict[str, Fn],
              key: bytes) -> None:
    """Add the late pass's findings to ``out`` (see the module's description)."""
    # (cheap tests first: a substring search is a hundred times faster than a pattern
    # tried at every space, and most notes hold no facility's head word)
    if any(word in text for word in _HEAD_LAST):
        _facilities(text, out, basic, fns["last_name"])
    if _MAC_MAY.search(text) is not None or _CISCO_MAY.search(text) is not None:
        _macs(text, out, key)
