"""Names joined by a particle: "Maria da Silva", "Emma van Dijk", "Oliver de Jong".

Why a rule of its own (a late-pass rule, shared by both scans): the word rules read a
name word by word, and a particle between a first name and a surname breaks the pair
they look for.  Faker's names of Portuguese, Dutch, Italian and Spanish speakers
(`benchmarks/faker_probe.py --what name`) came out as "Maria hays Tyler" (the particle
"da", which is a surname in the name lists too, replaced as one, the first name kept
because "Maria" is also a word the scan keeps on its own), "Oliver de Lee" (the first
name kept), "Ana lin Sampson".

What it does, after the scan: where a capitalised word, one or two particles and a
capitalised word follow each other, and the scan replaced the word after the particles
(or the particle itself) as a name:

- the surname with its particles goes as one surname, ``{fake: last_name}`` of "da
  Silva" as a column holding it gets (the scan replaced the particle as a name of its
  own, "hays", or left it: "de Lee");
- the word before them goes as a first name (``{fake: first_name}`` of it, as the
  column transform gives) when the first-name lists have it or no list of everyday words
  does ("Keano van den Eerenbeemt"; not "Surgery da Vinci"), unless the scan replaced it
  already, or it is a title, an abbreviation or a relation ("Dr. de Jong");
- nothing after a street's type or a word that leads to a place ("Av de Pinheiro", "Rua
  da Praia", "Hospital de Clinicas", "Rio de Janeiro"): the street and place rules read
  those.

Not found: a name of which the scan read no part ("Jan van der Berg", "Sara dos Reis":
every word of them is also an everyday word or a month); the rule starts from the scan's
spans, as a search of every note for particles would cost more than the rule.

Never logs or raises with a value.
"""

from __future__ import annotations

from collections.abc import Callable

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.names import case_like
from scrubphi.transforms.redact.context import _HONORIFICS, _RELATIONS
from scrubphi.transforms.redact.patterns import FIRST_TYPES
from scrubphi.transforms.redact.structured import Spans
from scrubphi.transforms.redact.vocab import split_words, vocab, word_key

__all__ = ["PARTICLES", "particle_at", "particle_names"]

Fn = Callable[[str], str]

#: Particles of surnames (Portuguese, Spanish, Italian, French, Dutch, German).
PARTICLES = frozenset(split_words("""
da de del della di do dos das du van von der den ter ten
"""))
_NAME_KINDS = frozenset(("first_name", "last_name"))
# A capitalised word, one or two particles, a capitalised word: the name's three parts.
_PARTICLE_NAME = compile_cached(
    r"(?<![^\W\d_])(?P<first>[^\W\d_a-z][^\W\d_]*)(?P<dot>\.)?[ ]"
    rf"(?P<p>(?:{'|'.join(sorted(PARTICLES, key=lambda p: (-len(p), p)))})"
    r"(?:[ ](?:der|den|de|la|le|los|las))?)[ ]"
    r"(?P<last>[^\W\d_a-z][^\W\d_]*(?:-[^\W\d_a-z][^\W\d_]*)?)(?![^\W_])")
# Words that lead to a place's name (a street's type, a town's or a facility's word):
# the particle and what follows are the place's ("Av de Pinheiro", "Rio de Janeiro"),
# which other rules read.
_PLACE_LEADS = frozenset(w.lower().rstrip("./") for w in FIRST_TYPES) | frozenset(split_words("""
saint st san santa santo sao são rio costa porto ponte villa vila casa monte
hospital hospitale clinica clinique centro center centre universidad universidade
university instituto institut college colegio escola escuela school"""))
# Words that lead to a person's name without being a first name (a place's lead never
# gets this far: particle_names passes it by).
_NOT_FIRST = _HONORIFICS | _RELATIONS | frozenset(split_words("""
the a an and or of in at on to for with from by"""))


def _first_name(word: str) -> bool:
    """Whether ``word`` is taken for a first name before a particle: in the first-name
    lists, or in no list of everyday words ("Keano", "Stef": not "Surgery" of "Surgery da
    Vinci"), and no title, relation or word that leads to a name ("Dr", "Mrs")."""
    key = word_key(word)
    v = vocab()
    return (key in v.first or key not in v.safe) and key not in _NOT_FIRST


def particle_at(text: str, start: int, end: int) -> bool:
    """Whether a name span ``[start, end)`` is a particle or follows one (a space
    between): the test of the late pass's gate (``late.late_marks``; its compiled twin
    ``_span_marks`` makes the same test)."""
    if text[start:end] in PARTICLES:
        return True
    if start < 3 or text[start - 1] != " ":
        return False
    b = text.rfind(" ", max(0, start - 8), start - 1)
    return b >= 0 and text[b + 1 : start - 1] in PARTICLES


def particle_names(text: str, out: Spans, fns: dict[str, Fn]) -> None:
    """Put the parts of each name joined by a particle that the scan touched (see the
    module)."""
    spans = out.spans
    starts: dict[int, int] = {}  # a name span's start -> its end
    for start, _prio, end, kind, _rep in spans:
        if kind in _NAME_KINDS:
            starts[start] = end
    if not starts:
        return
    covered = [(sp[0], sp[2]) for sp in spans]
    for m in _PARTICLE_NAME.finditer(text):
        ls, le = m.span("last")
        ps = m.start("p")
        if starts.get(ls) != le and ps not in starts:
            continue  # (the scan read neither the particle nor the word after it)
        if word_key(m.group("first")) in _PLACE_LEADS:
            continue  # (a place's name: "Av de Pinheiro", "Rio de Janeiro")
        # the surname with its particles, as a column holds it ("da Silva"), one span
        # from the particle (priority 0: the scan's spans inside it give way)
        surname = text[ps:le]
        out.put(ps, le, "last_name", case_like(fns["last_name"](surname), surname),
                priority=0)
        first = m.group("first")
        fs, fe = m.span("first")
        # (not a title, an abbreviation, a street's type...: "Dr. de Jong", "Rua da Praia")
        if m.group("dot") is None and _first_name(first) and \
                not any(s < fe and e > fs for s, e in covered):
            out.put(fs, fe, "first_name", case_like(fns["first_name"](first), first),
                    priority=0)
