"""Person-name fakes that agree with each other: first, last and full names.

Why: a clinic's tables hold a person's name several ways at once (``first``,
``last``, a "First Last" ``ownername``, ``"Last, First"`` in a report column,
upper case in one table and lower case in a note), and a staging copy is only
realistic when they still agree. So:

- ``{fake: first_name}`` and ``{fake: last_name}`` key on the name in title
  case (``JOHN``, ``john`` and ``John`` are one name) and write the fake in the
  original's case (``JOHN`` -> ``MARIO``, ``john`` -> ``mario``), which is
  also what ``{redact: text}`` does with a name in a note.
- ``{fake: first_name}`` keeps the sex of the original name where it is clear:
  a name that is only female (or only male) in Faker's first-name lists of
  every locale gets a fake from the female (male) pool, others the mixed
  pool. ``{fake: first_name_female}`` and ``{fake: first_name_male}`` draw
  from one pool: with a ``when`` transform on a kept ``gender`` column they
  make the fake follow the patient's recorded sex.
- ``{fake: name}`` is composed of the part fakes: each part of "First Middle
  Last", "Last, First", "Dr. Van Leeuwen Jr." gets exactly what
  ``{fake: first_name}`` / ``{fake: last_name}`` gives it alone; titles,
  suffixes, particles and punctuation stay; hyphenated parts are faked part
  by part; an initial becomes another initial.

Every choice is ``pool[PRF(key, spec, title-cased part) mod len(pool)]``
under the part's own spec (``{fake: first_name}``'s for a first name inside
``{fake: name}``), so the columns and the notes agree by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import compress, repeat
from operator import eq, methodcaller
from pathlib import Path
from typing import Any

from scrubphi.derived_cache import cached, file_stamps
from scrubphi.transforms.keyed import Prf
from scrubphi.transforms.pooldata import load_pool, pool_file

__all__ = ["NAME_PROVIDERS", "case_like", "make_name_fake", "name_kernel", "title_key"]

#: Providers built here (their compiled kernel is the codec's memo plus this Python).
NAME_PROVIDERS = frozenset({"first_name", "last_name", "first_name_female", "first_name_male",
                            "name"})

_TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "fr", "sr", "sra",
    "srta", "herr", "frau", "mme", "mlle", "m", "capt", "col", "lt", "sgt",
})
_SUFFIXES = frozenset({
    "jr", "sr", "ii", "iii", "iv", "v", "md", "phd", "rn", "np", "pa", "do", "dds", "dmd",
    "esq", "lpn", "cnm", "crna", "mba", "mph", "facs", "facp",
})
_PARTICLES = frozenset({
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "das", "du", "la",
    "le", "bin", "ibn", "al", "el", "ten", "ter", "st",
})
#: What the ``full`` name kernel leaves to Python, sorted once.
_STOP_WORDS = tuple(sorted(_TITLES | _SUFFIXES | _PARTICLES))
_WORD = re.compile(r"[^\W\d_]", re.UNICODE)
_SPLIT = re.compile(r"(\s+)")
_INITIAL = re.compile(r"([^\W\d_])(\.?)\Z", re.UNICODE)


def title_key(part: str) -> str:
    """The form a name is keyed by: title case for ASCII, as written otherwise."""
    return part.title() if part.isascii() else part


def case_like(fake: str, like: str) -> str:
    """``fake`` in the case pattern of ``like`` (upper, lower, or the pool's)."""
    if like.isupper() and len(like) > 1:
        return fake.upper()
    if like.islower():
        return fake.lower()
    return fake


#: The sex table's entries in the derived cache: (table, female names, male names).
_Sexes = tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]


def _build_sexes(locale: str) -> _Sexes:
    # map/methodcaller: the 30,000 lines split in C, not a generator's frame each
    table = dict(map(methodcaller("split", "\t", 1), load_pool("name_sex", locale)))
    return (table, tuple(compress(table, map(eq, table.values(), repeat("F")))),
            tuple(compress(table, map(eq, table.values(), repeat("M")))))


def _load_sexes(data: Any) -> _Sexes:
    table, female, male = data
    if not (isinstance(table, dict) and isinstance(female, tuple) and isinstance(male, tuple)
            and len(female) + len(male) <= len(table)):
        raise ValueError("not a sex table")
    return table, female, male


def _sexes(locale: str, shared: dict[str, Any]) -> _Sexes:
    """The name -> sex table of ``name_sex`` and its female and male names in its order,
    once per run and locale.

    Built from the 30,000 lines it costs about 110M instructions (a third of a small
    dump's run before its first row); it depends only on the shipped list and this
    code, so it comes from the per-user derived cache (:mod:`scrubphi.derived_cache`,
    keyed by this file's bytes and the list's name, size and time): about 45M.
    """
    key = f"names:sex:{locale}"
    hit = shared.get(key)
    if hit is None:
        source = pool_file("name_sex", locale)
        inputs = [Path(__file__).read_bytes(), file_stamps(source.parent, source.name)]
        hit = cached(f"namesex_{locale}", inputs, lambda: _build_sexes(locale),
                     lambda sexes: sexes, _load_sexes)
        shared[key] = hit
    return hit  # type: ignore[no-any-return]


def _sex_table(locale: str, shared: dict[str, Any]) -> dict[str, str]:
    return _sexes(locale, shared)[0]


def _lowered(locale: str, shared: dict[str, Any], mixed: tuple[str, ...],
             last_pool: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The first-name and surname pools in lower case, built once per run and locale
    (every ``{fake: name}`` column and the redactor's name surrogates share them)."""
    key = f"names:lowered:{locale}"
    hit = shared.get(key)
    if hit is None:
        hit = (frozenset(n.lower() for n in mixed), frozenset(n.lower() for n in last_pool))
        shared[key] = hit
    return hit


def _first_shape(locale: str, shared: dict[str, Any]) -> tuple[Any, ...]:
    """The ``first`` kernel's pools and its female/male name lists, once per run and locale
    (built per column before: two passes over some 30,000 names each time)."""
    key = f"names:first-shape:{locale}"
    hit = shared.get(key)
    if hit is None:
        _, female, male = _sexes(locale, shared)
        hit = ("first", load_pool("first_name", locale, shared),
               load_pool("first_name_female", locale, shared),
               load_pool("first_name_male", locale, shared), female, male)
        shared[key] = hit
    return hit


def make_name_fake(provider: str, locale: str, shared: dict[str, Any],
                   prf_of: Callable[[str], Prf]) -> Callable[[str], str]:
    """The element function of ``{fake: PROVIDER}`` for a name provider.

    ``prf_of(provider)`` is the keyed function of ``{fake: PROVIDER}`` with this
    locale: a full name's parts use the part providers' own.
    """
    mixed = load_pool("first_name", locale, shared)
    female = load_pool("first_name_female", locale, shared)
    male = load_pool("first_name_male", locale, shared)
    last_pool = load_pool("last_name", locale, shared)
    sex = _sex_table(locale, shared)

    def picker(pool: tuple[str, ...], prf: Prf) -> Callable[[str], str]:
        size = len(pool)

        def pick(key: str) -> str:
            return pool[int.from_bytes(prf.value(key), "big") % size]

        return pick

    prf_first = prf_of("first_name")
    by_sex = {"F": picker(female, prf_first), "M": picker(male, prf_first)}
    any_first = picker(mixed, prf_first)

    def first(part: str) -> str:
        key = title_key(part)
        return case_like(by_sex.get(sex.get(key.lower(), ""), any_first)(key), part)

    pick_last = picker(last_pool, prf_of("last_name"))

    def last(part: str) -> str:
        return case_like(pick_last(title_key(part)), part)

    if provider in ("first_name_female", "first_name_male"):
        # Keyed as first_name is: where the sex table knows the name, the fake equals
        # {fake: first_name}'s, {fake: name}'s first part and the notes' surrogate.
        pick_one = picker(female if provider == "first_name_female" else male, prf_first)

        def one(value: str) -> str:
            return _each_part(value, lambda p: case_like(pick_one(title_key(p)), p))

        return one
    if provider == "first_name":
        return lambda value: _each_part(value, first)
    if provider == "last_name":
        return lambda value: _each_part(value, last)
    common_first, surnames = _lowered(locale, shared, mixed, last_pool)

    def is_first(word: str) -> bool:
        key = word.lower()
        return key in common_first or (key in sex and key not in surnames)

    return lambda value: _full_name(value, first, last, is_first)


def name_kernel(provider: str, locale: str, shared: dict[str, Any], prf: Prf,
                part_prf: Callable[[str], Prf] | None = None) -> tuple[Any, ...] | None:
    """The compiled codec's description of a name fake.

    ``first_name`` and the one-pool providers cover one word of ASCII letters (the
    common case); ``name`` covers two to four such words without titles, suffixes
    or particles, composed from the part kernels (``part_prf`` gives their keyed
    functions). Anything else goes to the Python function.
    """
    if provider in ("last_name", "first_name_female", "first_name_male"):
        # One pool, the title-cased key, the original's case; the one-sex pools are
        # keyed as first_name is (make_name_fake).
        shape: tuple[Any, ...] = ("last", load_pool(provider, locale, shared))
        if provider != "last_name" and part_prf is not None:
            prf = part_prf("first_name")
    elif provider == "first_name":
        shape = _first_shape(locale, shared)
    elif provider == "name" and part_prf is not None:
        first = name_kernel("first_name", locale, shared, part_prf("first_name"))
        last = name_kernel("last_name", locale, shared, part_prf("last_name"))
        assert first is not None and last is not None
        stop = _STOP_WORDS
        shape = ("full", first[1:], last[1:], stop)
    else:
        return None
    return ("fake", prf.key, b"v\x00", shape)


def _each_part(value: str, fake: Callable[[str], str]) -> str:
    """A one-name value: surrounding blanks kept; ``Mary-Kate`` faked part by part."""
    core = value.strip()
    if not core or not _WORD.search(core):
        return value
    head = value[: len(value) - len(value.lstrip())]
    tail = value[len(value.rstrip()):]
    parts = core.split("-")
    if len(parts) > 1 and all(_WORD.search(p) for p in parts):
        return head + "-".join(fake(p) for p in parts) + tail
    return head + fake(core) + tail


def _full_name(value: str, first: Callable[[str], str], last: Callable[[str], str],
               is_first: Callable[[str], bool]) -> str:
    """``First [Middle...] Last``, ``Last, First [Middle]``, with titles and suffixes kept."""
    pieces = _SPLIT.split(value)
    words = [i for i, piece in enumerate(pieces) if piece and not piece.isspace()]
    roles: dict[int, str] = {}
    named: list[int] = []
    for i in words:
        core = pieces[i].strip(".,;:()\"'")
        low = core.lower()
        if not _WORD.search(core):
            continue  # numbers, punctuation: not a name
        if low in _TITLES and not named:
            continue
        if low in _SUFFIXES and named:
            continue
        if low in _PARTICLES and i != words[-1]:
            continue
        named.append(i)
    comma = next((i for i in named[:-1] if pieces[i].rstrip().endswith(",")), None)
    for k, i in enumerate(named):
        if comma is not None:
            roles[i] = "last" if i <= comma else "first"
        elif len(named) == 1:  # one word: a first name if it is one, else a surname
            roles[i] = "first" if is_first(pieces[i].strip(".,;:()\"'")) else "last"
        else:
            roles[i] = "last" if k == len(named) - 1 else "first"
    out = list(pieces)
    for i, role in roles.items():
        piece = pieces[i]
        match = re.match(r"([.,;:()\"']*)(.*?)([.,;:()\"']*)\Z", piece, re.DOTALL)
        assert match is not None
        lead, core, trail = match.groups()
        initial = _INITIAL.match(core + trail[:1]) if len(core) == 1 else None
        if initial is not None:
            out[i] = lead + _initial(core, first) + trail
            continue
        fn = last if role == "last" else first
        parts = core.split("-")
        if len(parts) > 1 and all(_WORD.search(p) for p in parts):
            out[i] = lead + "-".join(fn(p) for p in parts) + trail
        else:
            out[i] = lead + fn(core) + trail
    return "".join(out)


def _initial(letter: str, first: Callable[[str], str]) -> str:
    """Another initial, keyed: the first letter of a first-name fake, never the letter."""
    for times in range(1, 6):
        fake = first(letter * times)[:1]
        if fake.lower() != letter.lower():
            return fake.upper() if letter.isupper() else fake.lower()
    return "X" if letter.upper() != "X" else "Q"
