"""Classes of miss fixed in issue 11's fourth round (presidio-research's synthetic
sentences, even half): address blocks, phone groupings, names and organisations.

One test per class of form; the texts are written anew, with other names and
numbers.  Each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import KEY, SCANS
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor

# -- address blocks ------------------------------------------------------------------------


def test_a_country_qualified_in_parentheses_and_its_postcode(redact: Redactor) -> None:
    """"Belgium (French) 41207": a word in parentheses after a place qualifies it, and the
    walk goes on to the postcode; three separators may stand between two pieces
    (")\\n, ") and a block may have more pieces than the street's."""
    _gone(redact, "Kurt Vell\n5120 Osna Verdi 812\nKALMORA (KALMORI)\n, KX\n"
          " Belgium (French) 41207\n", "KX", "French", "41207")


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Ship to 6104 Pelkatu 19 Apt. 221\nArrenillos\n, CO\n Uruguay 61420", ["CO", "61420"]),
        ("Write to 3307 Brodska 88\nTravosa\n, GU\n Portugal 44610 soon", ["GU", "44610"]),
    ],
)
def test_a_region_code_that_is_a_us_states_before_another_country(
        redact: Redactor, text: str, secrets: list[str]) -> None:
    """A code equal to a US state's ("CO", "GU") is another country's region when that
    country's name and a postcode follow it."""
    _gone(redact, text, *secrets)


def test_a_us_state_code_before_its_zip_stays(redact: Redactor) -> None:
    _kept(redact, "Lives at 12 Oak Street, Denver, CO 80202 and works here", "CO")
    _kept(redact, "Lives at 12 Oak Street\nDenver\n, CO\n USA 80202", "CO")


@pytest.mark.parametrize(
    "text",
    [
        "The parcel went to 4410 Vasta 23 Suite 274 Pirano nan last week.",
        "Meet me at 8177 Holmvei 41 Apt. 085 TROMSVIK nan",
    ],
)
def test_a_missing_values_placeholder_in_an_address_block(redact: Redactor, text: str) -> None:
    """"Pirano nan": what a data export writes for a missing region goes like one."""
    out = _gone(redact, text, "nan")
    assert out.endswith(text[text.index("nan") + 3 :])


def test_a_placeholder_outside_an_address_stays(redact: Redactor) -> None:
    _kept(redact, "value was nan in the export; Na 140", "nan", "Na", "140")


# -- phones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("you can ring my registered 647 3825 anytime", ["647", "3825"]),
        ("answering at 571 930 264 after six", ["571", "930", "264"]),
        ("It is 328 51 074.", ["328", "51", "074"]),
        ("call (415) 362 9077 or 415.362.9078 ext 31", ["362", "9077", "9078", "31"]),
        ("Ring +44 20 7946 0412 first", ["7946", "0412"]),
    ],
)
def test_a_phone_grouped_with_spaces_and_no_phone_word(redact: Redactor, text: str,
                                                       secrets: list[str]) -> None:
    """Local and national groupings without a phone word ("668 5702", "374 780 163")."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    "text",
    [
        "FS 120 135 180 today",
        "glucose 212 140 163, hr 100 120 140 160",
        "I/O 250 1000 ml; gave 500 1000 mg",
        "Lives at 638 2229 Wolmer Street",  # a second house number, not a phone
    ],
)
def test_clinical_number_groups_are_not_phones(redact: Redactor, text: str) -> None:
    out = redact.redact(text)
    for group in ("120 135 180", "212 140 163", "250 1000", "500 1000"):
        if group in text:
            assert group in out
    assert all(f.kind not in ("phone", "fax") for f in redact.find(text))


# -- names and organisations ---------------------------------------------------------------


def test_a_particle_between_a_name_and_a_capitalised_word(redact: Redactor) -> None:
    """"Annelies ten Bos": a lower-case particle after a name and before a capitalised
    word belongs to the name, and the word after it too (even an everyday one)."""
    _gone(redact, "Annelies ten Bos will call back", "Annelies", "ten", "Bos")


def test_a_particle_in_a_clinical_or_street_name_stays(redact: Redactor) -> None:
    _kept(redact, "Torsades de Pointes noted; he will do Rounds", "Torsades", "de", "Pointes",
          "do", "Rounds")


def test_half_of_a_double_barrelled_name(redact: Redactor) -> None:
    """"alvarado-white": a surname that is a word too, joined by a hyphen to a sure name."""
    _gone(redact, "ines alvarado-white\nunit 4", "alvarado", "white")
    _gone(redact, "Signed: Petra Wren-Maltby, RN", "Wren", "Maltby")


def test_hyphenated_clinical_words_stay(redact: Redactor) -> None:
    _kept(redact, "Swan-Ganz catheter, x-ray, non-smoker, follow-up, Walker-assist",
          "Swan", "Ganz", "ray", "smoker", "follow", "up", "assist")


def test_a_middle_initial_before_a_rare_word(redact: Redactor) -> None:
    """"Katrin P Bramble": after a first name and a capital letter, a capitalised word
    that is not everyday English is the surname."""
    _gone(redact, "Katrin P Bramble lives here", "P", "Bramble")


def test_a_legal_form_in_lower_case_after_a_two_word_name(redact: Redactor) -> None:
    """"orvell kestrane inc.": a legal form belongs to the name in any case
    after two name words; "drip inc. to 200cc" (increased) stays."""
    _gone(redact, "we bought it from orvell kestrane inc. last year", "orvell", "kestrane", "inc")
    _kept(redact, "CBI drip inc. to 200cc", "inc", "200cc")


def test_a_postcode_of_two_groups_after_a_town(redact: Redactor) -> None:
    """"TÄBYHOLM 184 62": the two-digit group of a postcode written "NNN NN"."""
    _gone(redact, "she moved to TÄBYHOLM 184 62 last year", "TÄBYHOLM", "184", "62")
    _kept(redact, "BP 120 80, HR 112 72 and stable", "120", "80", "112", "72")


def test_a_sentence_opened_by_a_name_before_a_persons_verb(redact: Redactor) -> None:
    """"Brenna lives on...", "Tovald, can I...": a capitalised word opening a sentence,
    not everyday English, before a verb of a person's life or a name's comma."""
    _gone(redact, "Brenna lives on 12 Harlow Street.", "Brenna")
    _gone(redact, "Tovald, can I please speak to your manager?", "Tovald")
    _gone(redact, "Fine. Marisol spent a year abroad.", "Marisol")


def test_a_sentence_opened_by_a_clinical_word_stays(redact: Redactor) -> None:
    _kept(redact, "Levophed can be weaned. Lasix would help. Family can call. Resp, can wean",
          "Levophed", "Lasix", "Family", "Resp")


def test_a_possessive_before_a_relation_word(redact: Redactor) -> None:
    """"I'm Hope's daughter": a capitalised name with "'s" before a relation word;
    the "'s" stays."""
    out = _gone(redact, 'She said:"I\'m Hope\'s daughter".', "Hope")
    assert "'s daughter" in out
    _kept(redact, "Pt's daughter and Patient's wife visited", "Pt's", "Patient's")


def test_a_countrys_qualifier_in_parentheses(redact: Redactor) -> None:
    """"from Belgium (Flemish)": a capitalised word in parentheses after a place's name."""
    _gone(redact, "We moved here from Belgium (Flemish) last year", "Belgium", "Flemish")
    _kept(redact, "Seen by Smith (Cardiology) today", "Cardiology")


def test_a_place_opening_a_sentence(redact: Redactor) -> None:
    """"Norway leader gives...": a gazetteer's place is a place at a sentence's start
    too (its capital is not only the sentence's)."""
    _gone(redact, "Norway leader gives a speech. Denver police said so.", "Norway", "Denver")
    _kept(redact, "Mobile x-ray done. Reading glasses at bedside.", "Mobile", "Reading")


def test_a_firm_of_three_surnames_that_are_words(redact: Redactor) -> None:
    """"Stone, Bishop and Walker": three capitalised surnames, each also a word, in
    the form "A, B and C"."""
    _gone(redact, "Her lawyers are Stone, Bishop and Walker now.", "Stone", "Bishop", "Walker")
    _kept(redact, "Lasix, Bumex and Zaroxolyn given; stone, bishop and walker", "Lasix",
          "stone", "walker")


def test_a_house_number_after_a_street_type_written_after_the_name(redact: Redactor) -> None:
    """"Tornai kapu 17.": the number after a type written after the name (Hungarian
    forms), with no house number before the street."""
    _gone(redact, "the corner of Tornai kapu 17. and the square", "Tornai", "17")
    _gone(redact, "he lives in Vörös utca 8.", "Vörös", "8")


def test_an_abbreviated_street_type_written_first(redact: Redactor) -> None:
    """"ul. Sosnowa 12", "C/ Mayor 4": the abbreviated type before a street's name."""
    _gone(redact, "send it to ul. Sosnowa 12 today", "ul", "Sosnowa", "12")
    _gone(redact, "it refers to C/ Alcalde Ruiz 9 street", "C", "Alcalde", "Ruiz")
    _kept(redact, "c/o pain, 10 u insulin, s/p fall; et al. noted", "c", "o", "u", "al")


def test_an_organisation_closed_by_in_and_a_place(redact: Redactor) -> None:
    """"a year at Quill Point in Tarvik": capitalised words after "at", "for", "from",
    "with", then "in" and a place, name an organisation, even when they are words."""
    _gone(redact, "and the following year at Quill Point in TARVIK, which", "Quill", "Point")
    _gone(redact, "She works for Harbor Light in Denver now.", "Harbor", "Light")


def test_capitalised_words_before_in_without_a_place_stay(redact: Redactor) -> None:
    _kept(redact, "Seen at Wound Care in am; report from Night Float in detail.", "Wound",
          "Care", "Night", "Float")


# -- the two scans agree ------------------------------------------------------------------


TEXTS = [
    "Kurt Vell\n5120 Osna Verdi 812\nKALMORA (KALMORI)\n, KX\n Belgium (French) 41207\n",
    "Ship to 6104 Pelkatu 19 Apt. 221\nArrenillos\n, CO\n Uruguay 61420; Denver, CO 80202",
    "The parcel went to 4410 Vasta 23 Suite 274 Pirano nan last week. value was nan",
    "ring 647 3825; at 571 930 264, 328 51 074. FS 120 135 180; 638 2229 Wolmer Street",
    "Annelies ten Bos; Torsades de Pointes; he will do Rounds; Katrin P Bramble lives",
    "ines alvarado-white\nunit 4; Swan-Ganz, x-ray. Signed: Petra Wren-Maltby, RN",
    "we bought it from orvell kestrane inc. last year; CBI drip inc. to 200cc",
    "she moved to TÄBYHOLM 184 62 last year; BP 120 80, HR 112 72",
    "Brenna lives on 12 Harlow Street. Tovald, can I? Levophed can be weaned. Resp, can",
    'She said:"I\'m Hope\'s daughter". Pt\'s wife. We moved from Belgium (Flemish).',
    "Norway leader gives a speech. Seen by Smith (Cardiology). Mobile x-ray done.",
    "Her lawyers are Stone, Bishop and Walker now. Lasix, Bumex and Zaroxolyn given.",
    "the corner of Tornai kapu 17. and the square; he lives in Vörös utca 8.; 10 u insulin",
    "send it to ul. Sosnowa 12 today; it refers to C/ Alcalde Ruiz 9 street; c/o pain",
    "the following year at Quill Point in TARVIK; for Harbor Light in Denver; at Wound Care in am",
]


@pytest.mark.skipif(len(SCANS) < 2, reason="scrubphi._redact_fast is not built")
def test_the_scans_agree_on_these_classes() -> None:
    ctx = TransformContext(key=KEY)
    fast, pure = Redactor(ctx, compiled=True), Redactor(ctx, compiled=False)
    for i, text in enumerate(TEXTS):
        assert fast.redact(text) == pure.redact(text), f"text {i}"
        assert fast.find(text) == pure.find(text), f"text {i}"
