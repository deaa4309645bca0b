"""The word lists of the free-text redactor, loaded once into sets.

Why sets of lower-case words: the detector's first question about every word
of a note is "is this word known to be safe?", and the fastest way to ask it
for a whole note at once is a set difference (``words - SAFE``) done in C.
What is left is a handful of words a note: names, places, misspellings and
the rare jargon no list has.

The lists (``redact_data/``; sources and licences in docs/redact.md and
``redact_data/LICENSES.txt``):

* ``english_words.txt``: SCOWL's lower-case English words with the size of
  the smallest SCOWL list that has them (10 = the commonest ... 80);
* ``medical_words.txt`` (words of ICD-10-CM and ICD-9-CM descriptions and the
  project's clinical words), ``drugs.txt`` (FDA UNII names),
  ``clinical_abbrev.txt`` (abbreviations, languages), ``eponyms.txt``
  (Glasgow, Foley, Swan-Ganz: ambiguous when also a name);
* ``first_names.txt``, ``last_names.txt``: names (Faker's lists);
* ``street_suffixes.txt``: street suffixes for addresses;
* ``places.txt``: one-word names of countries, US states and towns (GeoNames).

A word that is both safe and a name ("bill", "grace", "king", "walker") is
*ambiguous*: it is kept unless its context makes it a name (an honorific or a
relation word before it, a sure name beside it).  A name that is only a rare
English word (SCOWL size above :data:`COMMON_TIER`: "healey" as a verb,
"murphy") is a name.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from scrubphi.derived_cache import cached

__all__ = ["BASIC_TIER", "COMMON_TIER", "PROGRAMMES", "STOP", "Vocab", "WordSets", "split_words",
           "vocab", "vocab_inputs"]

#: English words of SCOWL sizes up to this one are common enough that a name
#: spelt the same ("Bill", "Hope", "Grace") needs context to count as a name.
COMMON_TIER = 50
#: See :attr:`Vocab.basic`.
BASIC_TIER = 35


def word_key(word: str) -> str:
    """The form a word is looked up by: lower case, without the dot that lower-casing
    Turkish's capital İ leaves (``"İhsanoğlu".lower()`` is ``"i\u0307hsanoğlu"``, which
    is not all letters, so no rule took the word for a name: İbrahim, İsmail and
    İhsanoğlu came through every note).  Both scans key words this way."""
    low = word.lower()
    return low.replace("\u0307", "") if "\u0307" in low else low


def split_words(text: str) -> list[str]:
    """The whitespace-separated words of ``text`` (word lists written as prose blocks)."""
    return text.split()


# The shipped lists' folder (a plain path, as pooldata's pools: no importlib.resources).
_DATA = Path(__file__).parent.parent / "redact_data"


def _data_files() -> list[tuple[str, bytes]]:
    """Every shipped list's name and bytes, in name order (what the sets are made of)."""
    return sorted((f.name, f.read_bytes()) for f in _DATA.iterdir()
                  if f.name.endswith(".txt") and f.is_file())


def _lines(stem: str) -> list[str]:
    path = _DATA / f"{stem}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line for line in text.split("\n") if line and not line.startswith("#")]


@dataclass(frozen=True)
class Vocab:
    """Lower-case word sets; see the module docstring."""

    #: Every word that may stay without context (includes the ambiguous ones).
    safe: frozenset[str]
    #: Common English (SCOWL up to :data:`COMMON_TIER`) and clinical words: what a
    #: misspelling or a truncation ("resp", "amts") is taken to stand for.
    common: frozenset[str]
    #: Rare English words (SCOWL above :data:`COMMON_TIER`) that no clinical list
    #: has: written with a capital inside a sentence, one is a proper noun
    #: ("Cyprus", "Brazil").
    rare: frozenset[str]
    #: Prefixes (3 to 5 letters) of ``common`` words: clinical truncations.
    prefixes: frozenset[str]
    #: The commonest English words (SCOWL up to :data:`BASIC_TIER`) and clinical
    #: words: after "son" or "Dr", a word of these is not a name unless a name
    #: list has it ("son visited", but "son Bill").
    basic: frozenset[str]
    #: Safe words that are also names: kept unless the context says name.
    ambiguous: frozenset[str]
    first: frozenset[str]
    last: frozenset[str]
    #: first | last
    names: frozenset[str]
    suffixes: tuple[str, ...]
    #: One-word names of countries, US states and towns (GeoNames) that are neither
    #: common English nor clinical words: written with a capital inside a sentence,
    #: one is a place ("Miami", "Cyprus"), even when a rarer list has it as a word.
    places: frozenset[str] = frozenset()


class WordSets(Protocol):
    """What the detector asks of a vocabulary: membership of a word in each set (a
    :class:`Vocab`, or the compiled scan's table of them)."""

    @property
    def safe(self) -> Container[str]: ...
    @property
    def common(self) -> Container[str]: ...
    @property
    def rare(self) -> Container[str]: ...
    @property
    def prefixes(self) -> Container[str]: ...
    @property
    def basic(self) -> Container[str]: ...
    @property
    def ambiguous(self) -> Container[str]: ...
    @property
    def first(self) -> Container[str]: ...
    @property
    def last(self) -> Container[str]: ...
    @property
    def names(self) -> Container[str]: ...
    @property
    def places(self) -> Container[str]: ...
    @property
    def suffixes(self) -> tuple[str, ...]: ...


# Function words and the clinical words that follow "Dr" or "wife" in notes
# ("Dr aware", "wife called", "son at bedside"): never a name after a title or
# a relation word, even when a name list has them.
STOP = frozenset(split_words("""
a an the and or but nor of in on at to from by for with without within into onto upon
over under about after before during until since via per as than then so if is are was
were be been being am has have had do does did will would shall should can could may
might must not no yes this that these those it its he she him her his hers they them
their we us our you your i me my who whom whose which what when where why how all any
both each few more most other some such only own same too very just also here there
now again once aware notified called paged informed updated made ordered saw seen
visited visiting present spoke spoken talked came come left stayed stay said says
wants wanted would like reports reported states stated asked requests requested
feels felt given gave took taken plan plans agrees agreed will unable able in at
bedside today tonight tomorrow yesterday home phone cell number re regarding
"""))


@lru_cache(maxsize=1)
def vocab() -> Vocab:
    """The combined lists: once per process, and from the per-user cache of derived
    data when an entry for these very lists and this code is there
    (:mod:`scrubphi.derived_cache`: 0.07 s instead of 0.4 s)."""
    return cached("vocab", vocab_inputs(), _build_vocab, _dump_vocab, _load_vocab)


def vocab_inputs() -> list[bytes]:
    """What the vocabulary is made of, as the cache key: this code's bytes and the
    shipped lists' names, sizes and modification times
    (:func:`scrubphi.derived_cache.file_stamps`: reading and hashing the 4 MB of
    lists took 10 ms of every start)."""
    from scrubphi.derived_cache import file_stamps

    return [Path(__file__).read_bytes(), file_stamps(_DATA, ".txt")]


def _dump_vocab(v: Vocab) -> dict[str, Any]:
    return {f.name: getattr(v, f.name) for f in fields(Vocab)}


def _load_vocab(data: Any) -> Vocab:
    if not isinstance(data, dict) or set(data) != {f.name for f in fields(Vocab)}:
        raise ValueError("not a vocabulary entry")
    out: dict[str, Any] = {}
    for f in fields(Vocab):
        value = data[f.name]
        expected = tuple if f.name == "suffixes" else frozenset
        if not isinstance(value, expected):
            raise ValueError("not a vocabulary entry")
        out[f.name] = value
    return Vocab(**out)


def _build_vocab() -> Vocab:
    """Load and combine the shipped lists."""
    common: set[str] = set()
    rare: set[str] = set()
    basic: set[str] = set()
    for line in _lines("english_words"):
        word, _, tier = line.partition("\t")
        size = int(tier) if tier else 0
        if size > COMMON_TIER:
            rare.add(word)
        else:
            common.add(word)
            if size <= BASIC_TIER:
                basic.add(word)
    for word in _lines("common_words"):
        common.add(word.lower())
    clinical: set[str] = set()
    for stem in ("medical_words", "drugs", "clinical_abbrev", "eponyms"):
        clinical.update(w.lower() for w in _lines(stem))
    clinical |= PROGRAMMES
    first = frozenset(w.lower() for w in _lines("first_names"))
    last = frozenset(w.lower() for w in _lines("last_names"))
    names = first | last
    # A rare English word that is a name is a name; a common one is ambiguous.
    safe = ((common | clinical | (rare - names)) | _SINGLE_LETTERS | _CALENDAR
            | ELISIONS) - STRONG_FIRST
    ambiguous = frozenset((common | clinical) & names) - STRONG_FIRST
    suffixes = tuple(sorted(_lines("street_suffixes") + _EXTRA_SUFFIXES,
                            key=lambda s: (-len(s), s)))
    everyday = (common | clinical) - names
    prefixes = frozenset(w[:k] for w in everyday if len(w) > 5 for k in (3, 4, 5))
    return Vocab(
        safe=frozenset(safe), common=frozenset(everyday), prefixes=prefixes - names,
        rare=frozenset(rare - common - clinical),
        basic=frozenset(basic | clinical), ambiguous=ambiguous, first=first, last=last, names=names,
        suffixes=tuple(dict.fromkeys(suffixes)),
        places=frozenset(_lines("places")) - clinical - common,
    )


#: First names that SCOWL lists as everyday words only in a rare or informal sense (a
#: john, a tom cat, a bobby, a jimmy, terry cloth): in a note they are names, in any
#: case and without context. As ambiguous words they stayed unless a context word stood
#: by: "seen John today", "Name: Smith, John", "Patient: SMITH, JOHN" kept the first
#: name. Left ambiguous: names whose everyday sense a note uses or a place takes ("Mark
#: the site", "roger that", "Grace period", "Dale Street", "Will", "Bill", "Joy"; "MEG",
#: "Corona", "Cocci", "Sol").
STRONG_FIRST = frozenset(split_words("""
beau billy bobby bonnie brad colleen dirk jasper jimmy john josh noel phoebe randy
rick savannah terry tom tony troy
"""))

#: Words written with an apostrophe for the letters left out that no shipped list has
#: ("tom'row" for tomorrow, "add'l", "gov't"): everyday words, not names ("tom'row"
#: became a surname: its "tom" is a first name).
ELISIONS = frozenset(split_words("""
tom'row tom'rrow add'l gov't int'l nat'l ass'n ass't dep't
"""))

_SINGLE_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Weekdays and months are proper nouns to SCOWL; alone they identify nobody (dates
# with a month are the pattern pass's business).
_CALENDAR = frozenset(split_words("""
monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
fri sat sun mondays tuesdays wednesdays thursdays fridays saturdays sundays
january february march april may june july august september october
november december jan feb mar apr jun jul aug sep sept oct nov dec christmas easter
thanksgiving
"""))

#: Public insurance and benefit programmes a note names as often as a drug: they
#: identify nobody, and no shipped list has them ("Pt has Medicare and Medicaid" read
#: as two surnames, "covered by Tricare" as one). Safe words, and never an employer's
#: or an insurer's name to the role rule (context._NOT_EMPLOYERS).
PROGRAMMES = frozenset(split_words("""
medicare medicaid medigap tricare champva masshealth medi cal medical ssi ssdi
"""))

# Street types beyond USPS's list, English and international ("Promenade",
# "Strasse", "Rua"): a house number, words, then one of these is an address.  The
# Australian and New Zealand ones (Australia Post's street types, as Faker's en_AU and
# en_NZ address providers list them) on the last lines, less those a clinical phrase
# puts after a number and a capitalised word: "1 Central Line", "2 Nerve Block",
# "Right Upper Quadrant", "2 Anion Gap", "Emesis Basin", "Rhythm Strip", "Heart Sound",
# "1 Month Follow up" (Line, Block, Quadrant, Gap, Basin, Strip, Sound, Follow, Access,
# Artery, Break, Circuit, Cross, Dip, Edge, Elbow, End, Front, Lower, Upper, Range...).
# Every ASCII type is letters only, ten at most: the compiled scan packs each into a
# 64-bit key to tell where no street can end (_street_may), and one it cannot pack turns
# that test off for every text (Cul-de-sac, Interchange, Intersection and Thoroughfare
# made the nursing notes' scan 5% dearer; tests/test_redact_au_nz_addresses.py).
_EXTRA_SUFFIXES = split_words("""
Promenade Esplanade Byway Approach Gate Gates Vale Highlands Highland Pathway Boulevard
Bvd Bld Walkway Rise Close Crescent Mews Parade Quay Wharf Wynd Chase Grange Green Gardens
Drove Row Strand Broadway Concourse Embankment Circus Arcade Heights Hts Terr Cl Gr Gdns
Strasse Straße Str Weg Gasse Platz Allee Ring Damm Ufer Chaussee Rue Avenue Boulevard Bd
Chemin Impasse Allée Quai Via Viale Piazza Corso Vicolo Largo Calle Avenida Av Carrera
Paseo Plaza Camino Carretera Rua Travessa Praça Estrada Laan Straat Gracht Plein Kade
Dreef Vej Gade Gatan Vägen Gata Katu Tie Kuja Ulica Ul Aleja Utca Út Cesta Sokak Caddesi
Road Lane
Alleyway Amble Anchorage Beach Brae Centre Centreway Circlet Colonnade Copse Courtyard
Crossway Cruiseway Dell Driveway Fairway Firetrail Footway Foreshore Frontage
Glade Gully Highroad Laneway Lees Lookout Meander Mew Nook Outlook
Parklands Quadrangle Quays Ramble Reserve Retreat Ridgeway Riverway Riviera Roadside
Roadway Ronde Rosebowl Siding Steps Subway Tarn Tollway Tor Towers Trunkway
Villas Wade
""")
