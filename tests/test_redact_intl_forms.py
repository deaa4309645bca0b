"""Classes of miss fixed in issue 11's fifth round: address, company and name forms
of other countries that Faker's locales write (public text the project did not write),
and a speaker's name before a colon (presidio's even half); the dev corpus's held-out
half was not read to find them.

One test per class of form; the texts are written anew, with other names and
numbers.  Each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- a postcode of two groups before its town ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # Polish NN-NNN, Portuguese NNNN-NNN, Brazilian NNNNN-NNN
        ("Her flat: Brzozowa 9\n64-520 Obrzycko, since May.", ["64", "520"]),
        ("Morada: Rua Velha 3\n4452-117 Perafita", ["4452", "117"]),
        ("Endereço: Travessa Lima, 88, 01310-944 Itapevi", ["01310", "944"]),
        # Czech, Slovak, Swedish, Greek NNN NN
        ("Adresa: Lipová 12\n538 21 Slatiňany", ["538", "21"]),
        ("Send it to Kvarngatan 4, 184 62 Åkersberga please", ["184", "62"]),
    ],
)
def test_a_postcode_of_two_groups_before_its_town(redact: Redactor, text: str,
                                                  secrets: list[str]) -> None:
    """Both groups of a postcode that opens a line (or follows a comma) before a
    capitalised town go, not only the group next to the town."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # (the "110" before "ST" is an older, known false change: see docs/redact.md)
        ("CV: Hr 90-110's ST. Stable Bp off neo.", ["90"]),
        ("sats 92-100 Bilat clear, bp 110 60 Overnight", ["92", "100", "110", "60"]),
        ("RR 14-190 Minimal secretions", ["14", "190"]),
    ],
)
def test_clinical_ranges_before_a_capitalised_word_stay(redact: Redactor, text: str,
                                                        words: list[str]) -> None:
    """A range inside a line (after a vital sign's label) is not a postcode."""
    _kept(redact, text, *words)


# -- a street type written first, in lower case ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Ship to 49, rue de Vaucelles\n31346 Montbrison next week.", ["rue", "de", "Vaucelles"]),
        ("He lives at plac Szymanowskiego 25 with his wife.", ["plac", "Szymanowskiego"]),
        ("She moved to boulevard Cordelier 8 last year.", ["boulevard", "Cordelier"]),
        ("Write to aleja Żwirowa 944, 37-140 Kętrzyn.", ["aleja", "Żwirowa", "37", "140"]),
    ],
)
def test_a_lower_case_street_type_before_its_name(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    """"rue de Garcia", "plac Konarskiego": the type written first in lower case, the
    particles and the capitalised name after it are the street's."""
    _gone(redact, text, *secrets)


def test_via_and_lower_case_types_without_a_name_stay(redact: Redactor) -> None:
    _kept(redact, "Tube feeds via Dobhoff at 40cc/hr; the avenue of approach is lateral. "
          "Fed via NGT.", "via", "Dobhoff", "avenue", "of", "approach", "NGT")


# -- a unit of another language after an address --------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Ship it to 5120 Via Rovello 12 Piano 3, Torino.", ["Piano", "3"]),
        ("Envíalo a 77 Calle Serrano Puerta 5\nMadrid", ["Puerta", "5"]),
        ("Bitte an 9 Lindenweg Whg. 14\n80331 München", ["Whg", "14"]),
    ],
)
def test_a_door_or_floor_of_another_language_after_an_address(
        redact: Redactor, text: str, secrets: list[str]) -> None:
    """"Piano 0", "Puerta 6", "Whg. 4": a floor, door or flat after a street goes like
    "Apt. 4" does."""
    _gone(redact, text, *secrets)


# -- a British address opened by its flat or studio -----------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("My new address is Flat 7\nGodwin Causeway\nNew Tallyford\nKT4 9RW.",
         ["Godwin", "Causeway", "Tallyford", "KT4", "9RW"]),
        ("Post it to Studio 31B, 14 Orchard Rise, Pellingham LS12 3QT",
         ["31B", "Orchard", "Pellingham", "LS12", "3QT"]),
    ],
)
def test_a_british_flat_or_studio_opens_an_address_block(
        redact: Redactor, text: str, secrets: list[str]) -> None:
    """"Flat 9\\nRoberts Tunnel\\nNew Garry\\nBT9 4XX": a flat or studio written first,
    its number alone before a line break or a comma, anchors the block walk, which
    takes the street, the town and the postcode after it."""
    _gone(redact, text, *secrets)


def test_flat_in_a_note_stays(redact: Redactor) -> None:
    _kept(redact, "HOB flat 30 degrees. Abd Flat, soft. Lay Flat 30\nok. FLAT 20\nNeuro: ok",
          "flat", "30", "Flat", "20")


# -- the second half of a double-barrelled name in lower case --------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("\"It was the other way round,\" says Pelto-aho.", ["Pelto", "aho"]),
        ("Signed by Ingrid Kessling-moore at noon", ["Kessling", "moore"]),
        # a capitalised second half one letter from a word ("weigh", "bruin"): a
        # hyphen's capital says nothing, so the typo exception kept it
        ("Anna-Lena Pirchegger-Weigl called the unit at noon.", ["Pirchegger", "Weigl"]),
        ("Daughter Bodil Ravn-Bruun visited", ["Ravn", "Bruun"]),
    ],
)
def test_a_lower_case_second_half_of_a_double_barrelled_name(
        redact: Redactor, text: str, secrets: list[str]) -> None:
    """"Hauta-aho", "Retterer-moore", "Schandl-Weigl": after a capitalised sure name
    and one hyphen, a lower-case or capitalised word that is not everyday English
    is the name's second half."""
    _gone(redact, text, *secrets)


def test_a_name_before_an_everyday_suffix_word_keeps_it(redact: Redactor) -> None:
    _kept(redact, "Zorvath-like rash; Kessling-induced; Pt had Swan-ganz placed, non-smoker",
          "like", "induced", "Swan", "ganz", "smoker")
    _kept(redact, "Zorvath-Like rash; on Non-Rebreather; Swan-Ganz placed; X-Ray done",
          "Like", "Non", "Rebreather", "Swan", "Ganz", "X", "Ray")


# -- names of other countries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Spoke with Radek van de Wiel about the plan.", ["van", "de", "Wiel"]),
        ("Daughter Odile Marchetti de la Fontenelle visited.", ["de", "la", "Fontenelle"]),
        ("Meeting with Youssef van der Berg and the team.", ["van", "der", "Berg"]),
    ],
)
def test_particles_of_two_or_three_words_in_a_name(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    """"Milan van de Ven", "Becker de la Noël": two or three particles between a sure
    name and a capitalised word are the name's, and so is the word after them (even
    an everyday one, "Berg")."""
    _gone(redact, text, *secrets)


def test_particles_in_clinical_and_place_names_stay(redact: Redactor) -> None:
    _kept(redact, "Torsades de Pointes noted; Tetralogy of Fallot; cafe au lait spots",
          "de", "Pointes", "of", "au", "lait")


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Follow up with Jan Vrbický in two weeks.", ["Jan", "Vrbický"]),
        ("Spoke with Jan Hoekstraat about the plan.", ["Jan", "Hoekstraat"]),
    ],
)
def test_jan_as_a_first_name_before_a_surname(redact: Redactor, text: str,
                                              secrets: list[str]) -> None:
    """"Jan Jílek": "Jan" before a capitalised word is not a month alone for the date
    pattern; the word pass judges it, and beside a sure surname it is a first name."""
    _gone(redact, text, *secrets)


def test_jan_as_a_month_stays_a_date(redact: Redactor) -> None:
    out = redact.redact("Admitted Jan 5, seen in Jan by the team; back in Jan Pt well.")
    assert "Jan 5" not in out
    _kept(redact, "Seen in Jan by the team; in Jan Pt was well.", "Jan", "Pt")


# -- legal forms of other countries ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("She works for Suministros Arbeloa Ltda now.", ["Suministros", "Arbeloa", "Ltda"]),
        ("The letter came from Hakkarainen Oyj last week.", ["Hakkarainen", "Oyj"]),
        ("He is an engineer at Pölöskei Kft. in the city.", ["Pölöskei", "Kft"]),
        ("They signed with Lindqvist Bruckner KGaA today.", ["Lindqvist", "Bruckner", "KGaA"]),
        ("I work for Casa Ribeiro Lda now.", ["Casa", "Ribeiro", "Lda"]),
    ],
)
def test_legal_forms_of_other_countries(redact: Redactor, text: str,
                                        secrets: list[str]) -> None:
    """"Oy", "Oyj", "Kft", "Zrt", "KGaA", "OHG", "GbR", "Lda", "Ltda", "BVBA", "SPRL":
    legal forms that are no clinical abbreviation name a firm like "GmbH" does (not
    "AG", "AB", "SA", "ASA", which are)."""
    _gone(redact, text, *secrets)


def test_clinical_abbreviations_like_legal_forms_stay(redact: Redactor) -> None:
    _kept(redact, "Labs AG 14, Abd AB soft. Given ASA 81. SA node ok.", "AG", "AB", "ASA",
          "SA", "Labs", "Abd", "Given")


# -- a speaker's name before a colon ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Ronja: Where did you put the keys?", ["Ronja"]),
        ("Then Matthias yelled at Todd: \"Leave it!\"", ["Todd"]),
        ("Grace: \u201cI am fine.\u201d", ["Grace"]),
    ],
)
def test_a_first_name_before_a_colon_speaks(redact: Redactor, text: str,
                                            secrets: list[str]) -> None:
    """"Ella: What a wife.", "shouted at Todd: \\"What...": a first name (also an
    everyday word) before a colon and a capital or a quote is a speaker's name."""
    _gone(redact, text, *secrets)


def test_section_headers_before_a_colon_stay(redact: Redactor) -> None:
    _kept(redact, "Plan: Continue. Neuro: A&Ox3. Will: Pt to be DNR. Note: stable. "
          "Art line: ok. Hope: low", "Plan", "Neuro", "Will", "Note", "Art", "Hope")
