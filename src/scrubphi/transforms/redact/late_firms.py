"""Organisations named by a legal form of another country, whole (a late-pass rule).

Why: Faker's companies of other locales (``benchmarks/faker_probe.py --what company``)
kept a fifth to a third of their tokens: the scan replaced the name before or after a
legal form as a surname, when a name list had it, and kept the form (``PT Thamrin`` ->
``PT Bolton``, ``Zorlu San.`` -> ``Lara San.``, ``Mazilescu CON``, ``van Beek NV``,
``Szczot Sp. z o.o.``, ``Logística AJ S.L.``), and a name no list had, or one that is an
everyday word, stayed with it (``Seven San.``, ``Durdu San.``, ``Dinu Pop SA``).  The form
says how the firm is registered and in which country, the name which firm: both go, as
one ``{fake: company}`` of the whole, what a company column holding it becomes (the same
original gives the same fake under the key).

What is a firm here (mixed-case text only; a note in capitals has no case to tell a
name from a word):

* a **legal form written after the name** (``San.``, ``Tic.``, ``Ltd. Şti.``, ``Tbk``,
  ``(Persero) Tbk``, ``SRL``, ``URL``, ``CON``, ``RA``, ``AS``, ``ASA``, ``BA``, ``RFH``,
  ``BV``, ``NV``, ``Groep``, ``Gruppen``, ``Sp. z o.o.``, ``Sp.j.``, ``i syn s.c.``,
  ``S.L.``, ``S.A.``, ``S.Coop.``, ``Kft.``, ``Bt.``, ``SARL``, ``HB``...) and up to four
  capitalised words before it, with particles between or before them (``van den Berg
  Groep``) and a partner's closer (``y asociados``, ``i syn``, ``og Sønner``); the words
  may be everyday words (``Seven San.``) but for a sentence's first word when others
  follow it;
* a **legal form written before the name** (``PT``, ``CV``, ``UD``, ``PD``, ``Perum``,
  ``Grupa``, ``Fundacja``, ``Stichting``, ``Hnos``...) and up to three capitalised words
  after it, the first of them no everyday word, then perhaps a form after them
  (``PT Ardianto Iswahyudi (Persero) Tbk``).

A form that is a clinical abbreviation or an everyday word too (``PT``, ``CV``, ``PD``,
``SA``, ``AS``, ``AB``, ``RA``, ``CON``, ``ASA``..., all written in capitals) is one only
beside a Title-case word, one space away, that no list of everyday or clinical words has
(``PT Thamrin``, ``Preda RA``; not ``PT eval today``, ``CV stable``, ``PD meds``, ``AS
murmur``, ``Pt CV``, ``Aortic AS``), and a form written before a name is none before a
name of the name lists with no form after it (``PT Smith``: a physical therapist).

The compiled scan tells the late pass when a note can hold one (``late_pass``'s ``heads``
bit :data:`HEAD_FORMS`: a word of :data:`FORM_UPPER` in capitals or of
:data:`FORM_CAP` with a capital, beside a capitalised word, in a text of both cases; the
pure scan reads the same from its words), or when ``late_marks`` saw a dotted form's
``.A.``; every condition the gate asks is one this rule asks too, so the two scans give
the same output.

Never logs or raises with a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.context import _HONORIFICS
from scrubphi.transforms.redact.structured import Spans, overlaps_across
from scrubphi.transforms.redact.vocab import STOP, split_words

__all__ = ["FORM_ANY", "FORM_CAP", "FORM_UPPER", "HEAD_FORMS", "form_firms", "form_gate"]

Fn = Callable[[str], str]

#: The bit of the scans' ``heads`` that says a legal form of :data:`FORM_UPPER`,
#: :data:`FORM_CAP` or :data:`FORM_ANY` stands where this rule can read it (bit 1 is
#: the facilities' head words).
HEAD_FORMS = 2

# -- the forms, as written ------------------------------------------------------------------

# Forms in capitals after a name: Romanian, Norwegian, Dutch, French, Swedish, German,
# Portuguese.  Clinical abbreviations too, most of them: beside a Title-case word that is
# no everyday or clinical word only.
_AFTER_UPPER = split_words("""
SRL SA SCA SNC SCS AFJ ASF CON CRL LOC OC1 OC2 OC3 PFA RA SPI URL
AS ASA BA RFH ANS DA ENK NUF BV NV VOF CV SARL SAS EURL SCI AB HB KB AG KG OHG EIRELI
""")
# Forms in capitals before a name (Indonesian; Polish trades' acronyms).
_BEFORE_UPPER = split_words("PT CV UD PD PPUH FPUH")
# Forms with a capital, before a name: a firm's or a foundation's word (Indonesian,
# Polish, Dutch, Spanish).
_BEFORE_CAP = split_words("""
Perum Persero Koperasi Yayasan Grupa Spółdzielnia Stowarzyszenie Fundacja Gabinety
Przedsiębiorstwo Stichting Koninklijke Hnos Hermanos Grupo
""")
# Forms with a capital after a name, as a pattern each (Indonesian, Turkish, Polish,
# Spanish, Hungarian, Danish, Portuguese, Dutch, Norwegian, Finnish).
_AFTER_CAP = (
    r"\(Persero\)(?:[ ]Tbk)?", r"Tbk", r"San\.", r"Tic\.", r"Şti\.", r"Koll\.", r"Kom\.",
    r"Ltd\.(?=[ ](?:ve[ ])?(?:San|Tic|Şti|Koll|Kom)\.)",
    r"Sp\.[ ]z[ ]o\.o\.(?:[ ]Sp\.k\.)?", r"Sp\.[jk]\.", r"i[ ]syn[ ]s\.c\.",
    r"S\.Coop\.", r"S\.Com\.", r"Kft\.?", r"Kht\.?", r"Zrt\.?", r"Nyrt\.?", r"Bt\.?",
    r"Kkt\.?", r"ApS", r"Ltda\.?", r"Lda\.?", r"Groep", r"Gruppen", r"Oyj", r"Tmi", r"mbH",
)
# Forms written with dots (the late marks' ".A." tells where one can be).
_AFTER_DOTTED = (
    r"S\.A\.(?:R\.L\.|S\.|U\.?|T\.|D\.?)?", r"S\.L\.(?:U\.|L\.|N\.E\.?)?", r"S\.R\.L\.",
    r"S\.r\.l\.", r"S\.p\.A\.", r"S\.N\.C\.", r"B\.V\.", r"N\.V\.",
)
#: Keys (lower case) of the forms in capitals: a gate's word when written in capitals.
FORM_UPPER = frozenset(w.lower() for w in _AFTER_UPPER + _BEFORE_UPPER)
#: Keys of the forms written with a capital: a gate's word when written so.
FORM_CAP = frozenset(w.lower() for w in _BEFORE_CAP) | frozenset(split_words("""
persero tbk san tic şti koll kom sp coop com kft kht zrt nyrt bt kkt aps ltda lda groep
gruppen oyj tmi mbh
"""))
#: Keys of forms in lower case (Polish "i syn s.c."): a gate's word two words after a
#: capitalised one.
FORM_ANY = frozenset(("syn",))

# (and "Tic.", Turkish "Ticaret", a clinical noun too: "Vocal Tic.")
_AMBIGUOUS = frozenset(_AFTER_UPPER + _BEFORE_UPPER + ["Tic."])
_BEFORE = _BEFORE_UPPER + _BEFORE_CAP
_END = r"(?![^\W_]|['\u2019])"
# (every alternative led by a literal, so that a search skips to where one can start;
# what stands before a form is asked in Python: a look-behind first cost a try of every
# alternative at every character, a millisecond a note)
_FORMS = "|".join(sorted(_AFTER_UPPER, key=lambda w: (-len(w), w))) + "|" + "|".join(
    _AFTER_CAP + _AFTER_DOTTED)
_FORM = f"(?:{_FORMS}){_END}"
# A form after the name (several: "San. ve Tic. Ltd. Şti." is one); not the sinoatrial
# node's "S.A.".
_AFTER = compile_cached(
    rf"(?P<a>(?:{_FORMS}){_END}(?:[ ](?:ve[ ])?(?:{_FORMS}){_END})*)"
    r"(?![ ]+(?i:node|nodal|block|exit|arrest|pause|rhythm)(?![^\W_]))")
# A form before the name.
_BEFORE_AT = compile_cached(
    rf"(?P<b>{'|'.join(sorted(_BEFORE, key=lambda w: (-len(w), w)))})[ ](?=[^\W\d_])")
# Dotted forms, where a dot pair is (".A." of "S.A.": the late marks' LM_DOT_PAIR).
_DOTTED_AT = compile_cached(rf"(?:{'|'.join(_AFTER_DOTTED)}){_END}")
_DOT_PAIR = compile_cached(r"\.[APRrLlNnoVp]\.")
_FORM_AFTER_NAME = compile_cached(rf"[ ](?:{_FORM})(?:[ ](?:ve[ ])?(?:{_FORM}))*")
# A partner's closer between the name and the form: "Mate y asociados S.L.L.", "Kostek i
# syn s.c." (its "i syn" is the form's), "Berg og Sønner AS".
_CLOSER = compile_cached(
    r"(?:y|&|og|e|et|és|und|en)[ ](?:asociados|Asociados|Sønner|Filhos|Fils|figli|társa"
    r"|Zonen|Söhne|Hijos|Hermanos)[ ]\Z")
# A name's word: capitalised (parts joined by hyphens or an apostrophe), or an acronym.
_NAME_WORD = compile_cached(r"[^\W\d_][^\W_]*(?:['\u2019-][^\W\d_][^\W_]*)*\Z")
_PARTICLES = frozenset(split_words("van der den de ter ten von da do dos das di du del la le"))
_JOINS = frozenset(split_words("y e i og und et és ve en &"))
_WORDS_BACK = compile_cached(r"\S+")
_TOKEN = compile_cached(r"[^\W\d_]+")


def _title(word: str) -> bool:
    """A capitalised word that is not in capitals (what the scans call Title-case:
    ``str.istitle`` of the scan's word, its hyphen's parts each)."""
    return word.istitle()


def _is_name(word: str, acronyms: bool) -> bool:
    if _NAME_WORD.match(word) is None or word.lower() in STOP:
        return False
    if word.istitle():
        return True
    return acronyms and word.isupper() and 2 <= len(word) <= 5 and word.isalpha()


def _opens(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` opens the text, a line or a sentence (a label's colon
    does not: "Employer: Seven San." is the label's value)."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return not before or before[-1] in ".!?\n\"("


def _last_token(word: str) -> str:
    """The scan's last word in ``word`` (its words split at a hyphen)."""
    return word.rsplit("-", 1)[-1]


def _back(text: str, fs: int, form: str, basic: Container[str]) -> int:
    """Where the firm's name before the form at ``fs`` starts, or -1."""
    if fs < 2 or text[fs - 1] != " ":
        return -1
    window = text[max(0, fs - 120) : fs - 1]
    base = fs - 1 - len(window)
    closer = _CLOSER.search(text, max(0, fs - 30), fs)
    end = closer.start() - 1 if closer is not None else fs - 1
    words = [(base + m.start(), base + m.end(), m.group()) for m in _WORDS_BACK.finditer(window)]
    words = [w for w in words if w[1] <= end]
    ambiguous = form in _AMBIGUOUS
    if not words or words[-1][1] != end:
        return -1
    # the word beside the form: a capitalised one (a clinical abbreviation's form: a
    # Title-case word no list of everyday or clinical words has)
    last = words[-1][2]
    if not _is_name(last, not ambiguous):
        return -1
    if ambiguous and (closer is not None or not _title(_last_token(last))
                      or _last_token(last).lower() in basic):
        return -1
    start = words[-1][0]
    names = 1
    k = len(words) - 2
    while k >= 0 and names < 4 and words[k][1] == words[k + 1][0] - 1:
        w = words[k][2]
        if _is_name(w, not ambiguous) and not (ambiguous and not w.istitle()):
            start = words[k][0]
            names += 1
        elif (w in _PARTICLES or w in _JOINS) and k > 0 and \
                words[k - 1][1] == words[k][0] - 1 and _is_name(words[k - 1][2], False):
            pass  # (a particle or a partner's link between two names)
        elif w in _PARTICLES:
            start = words[k][0]  # a particle opening the name: "van den Berg Groep"
        else:
            break
        k -= 1
    # after a title the words are a person's name ("Dr. Ruiz RA consult")
    before = text[max(0, start - 8) : start].split()
    if before and before[-1].lower().rstrip(".") in _HONORIFICS:
        return -1
    # a sentence's first word, an everyday one, before the name's other words is no
    # part of it ("Today Preda RA called")
    first = text[start : text.find(" ", start)]
    if start < words[-1][0] and first.lower() in basic and first not in _PARTICLES and \
            _opens(text, start):
        start = text.find(" ", start) + 1
        while text[start : text.find(" ", start)] in _PARTICLES:
            start = text.find(" ", start) + 1
    return start


def _forward(text: str, fe: int, form: str, basic: Container[str],
             names: Container[str]) -> int:
    """Where the firm's name after the form ending at ``fe`` ends (its forms after it
    too), or -1."""
    pos = fe + 1
    end = -1
    count = 0
    while count < 3:
        m = _WORDS_BACK.match(text, pos)
        if m is None or (count and _FORM_AFTER_NAME.match(text, pos - 1) is not None):
            break
        w = m.group().rstrip(".,;:!?)")
        if not w or not w.istitle() or _NAME_WORD.match(w) is None or w.lower() in STOP:
            break
        if count == 0 and (_last_token(w).lower() in basic or w.lower() in basic
                           or w.split("-", 1)[0].lower() in basic):
            return -1  # ("PT Eval", "CV Stable", "PD Meds")
        end = pos + len(w)
        count += 1
        if end != m.end():
            break  # (a comma or a full stop ends it)
        pos = m.end() + 1
    if end < 0:
        return -1
    after = _FORM_AFTER_NAME.match(text, end)
    if after is not None:
        return after.end()
    if form in _AMBIGUOUS and count == 1 and text[fe + 1 : end].lower() in names:
        return -1  # ("PT Smith": a physical therapist)
    return end


def form_gate(text: str, words: list[tuple[int, int, str]], keys: list[str],
              basic: Container[str]) -> bool:
    """The pure scan's twin of the compiled gate: a form's word in its case beside a
    capitalised word (for a form in capitals, a Title-case one that is no everyday or
    clinical word, one space away), in a text of both cases."""
    n = len(words)
    hit = False
    for i, key in enumerate(keys):
        if key in FORM_UPPER and words[i][2].isupper() and (
                (i + 1 < n and words[i + 1][0] == words[i][1] + 1 and text[words[i][1]] == " "
                 and words[i + 1][2].istitle() and keys[i + 1] not in basic)
                or (i > 0 and words[i - 1][1] + 1 == words[i][0]
                    and text[words[i - 1][1]] == " " and words[i - 1][2].istitle()
                    and keys[i - 1] not in basic)):
            hit = True
            break
        if key in FORM_CAP and words[i][2][:1].isupper() and not words[i][2].isupper() and (
                (i > 0 and words[i - 1][2][:1].isupper())
                or (i > 2 and words[i - 3][2][:1].isupper())
                or (i + 1 < n and words[i + 1][2][:1].isupper())):
            hit = True
            break
        if key in FORM_ANY and i > 1 and words[i - 2][2][:1].isupper():
            hit = True
            break
    return hit and text.upper() != text and text.lower() != text


def form_firms(text: str, out: Spans, basic: Container[str], names: Container[str],
               company: Fn, services: Container[str], words: bool) -> bool:
    """Put each firm named by a legal form as one ``{fake: company}``; whether it put
    one.  ``services``: a hospital's services' words, which name a team, not a firm
    ("Cardiology S.A.").  ``words``: whether the scan's gate saw a form's word (else only
    the dotted forms at the text's dot pairs are read)."""
    found: list[tuple[int, int]] = []
    done = -1
    if words:
        hits: list[re.Match[str]] = list(_AFTER.finditer(text))
        hits += _BEFORE_AT.finditer(text)
        hits.sort(key=lambda m: m.start())
    else:
        hits = [m for m in (_DOTTED_AT.match(text, d.start() - 1)
                            for d in _DOT_PAIR.finditer(text) if d.start()) if m is not None]
        hits = [m for k, m in enumerate(hits) if k == 0 or m.start() >= hits[k - 1].end()]
        hits = [a for a in (_AFTER.match(text, m.start()) for m in hits) if a is not None]
    if not hits or text.upper() == text or text.lower() == text:
        return False
    for m in hits:
        at = m.start()
        if at < done or (at and (text[at - 1].isalnum() or text[at - 1] in "_.&/-")):
            continue
        if m.lastgroup != "b":
            form = m.group().split(" ")[0]
            s = _back(text, at, form, basic)
            if s > done:
                found.append((s, m.end()))
                done = m.end()
                continue
            b = _BEFORE_AT.match(text, at)
            if b is None:
                continue
            m = b
        form = m.group("b")
        e = _forward(text, m.end("b"), form, basic, names)
        if e < 0:
            continue
        found.append((at, e))
        done = e
    put = False
    for s, e in found:
        value = text[s:e]
        if overlaps_across(out, s, e) or any(
                w.lower() in services for w in _TOKEN.findall(value)):
            continue
        put = put_firm(out, s, e, value, company) or put
    return put


def put_firm(out: Spans, s: int, e: int, value: str, company: Fn) -> bool:
    """The firm at ``[s, e)`` (``value``) as one ``{fake: company}`` in the case it is
    written, in place of the spans inside it; False where the fake cannot be made."""
    fake = _fake(company, value)
    if fake is None:
        return False
    out.spans[:] = [sp for sp in out.spans if not (s <= sp[0] and sp[2] <= e)]
    out.put(s, e, "place", case_like(fake, value), priority=0)
    return True


def _fake(company: Fn, value: str) -> str | None:
    """``{fake: company}`` of the firm, or of it and a counter when the fake holds one of
    its capitalised words (a name or a form back in the surrogate)."""
    words = _capitalised(value)
    for salt in ("", "\0", "\0\0", "\0\0\0"):
        fake = company(value + salt)
        if words.isdisjoint(_capitalised(fake)):
            return fake
    return None


def _capitalised(value: str) -> set[str]:
    return {w.lower() for w in re.split(r"[\W_]+", value) if w[:1].isupper()}
