"""The context words of the free-text redactor's word rules (``word_rules.WordRules._decide``).

Honorifics, relation words, credentials, organisations' and places' head words,
street types, geographic features, place prefixes: words whose neighbours the
rules look at; and the word-formation lists of a word's classification (medical
endings, everyday suffixes).  Kept apart from :mod:`.word_rules` so that the rules' code and the
vocabularies they use can each be read whole.  The compiled scan reads them from
here (``context._HONORIFICS``...).
"""

from __future__ import annotations

from functools import lru_cache

from scrubphi.transforms.redact.vocab import PROGRAMMES, STOP, split_words

__all__ = [
    "_CREDENTIALS",
    "_DOTTED_FORMS",
    "_EPONYM_PLACES",
    "_FEATURES",
    "_FIRM_ANDS",
    "_FIRM_CLOSERS",
    "_GENERIC_PLACE",
    "_HONORIFICS",
    "_HOSPITAL_WORDS",
    "_LEGAL_ABBREVS",
    "_LEGAL_FORMS",
    "_NAME_PARTICLES",
    "_NOT_EMPLOYERS",
    "_NOT_HOSPITALS",
    "_ORG_PREPS",
    "_ORG_WORDS",
    "_PATIENT_LABELS",
    "_PERSON_NEXT",
    "_PLACE_LINKS",
    "_PLACE_NAME_PARTS",
    "_PLACE_PREFIXES",
    "_PLACE_PREPS",
    "_PLACE_WORDS",
    "_RELATIONS",
    "_ROLE_PREPS",
    "_ROLE_WORDS",
    "_SAINTS",
    "_STREET_TYPES",
    "_UNIVERSITY",
    "_VISIT_VERBS",
    "_WEAK_HONORIFICS",
    "_WORK_PREPS",
    "_WORK_WORDS",
]

_HONORIFICS = frozenset(split_words("dr drs mr mrs ms miss mx prof doctor dra herr frau mme mlle"))
# Honorifics that are clinical abbreviations too ("MS changes", "MR 2+", "drs" for
# dressings): written without a dot and not Title-case, the next word must look like a
# name.
_WEAK_HONORIFICS = frozenset(split_words("mr ms miss drs"))
_RELATIONS = frozenset(split_words("""
son sons daughter daughters dtr dtrs wife husband hus spouse partner boyfriend girlfriend
fiance fiancee mother mom mum mother-in-law father dad brother bro sister sis sibling
siblings niece nephew aunt uncle cousin grandson granddaughter grandaughter grandmother
grandfather grandma grandpa granddaughters grandsons friend friends neighbor neighbour
proxy hcp spokesperson guardian caregiver named called sister-in-law brother-in-law
son-in-law daughter-in-law stepson stepdaughter stepmother stepfather godson goddaughter
name names hi hello hey
"""))
# Words after which a capitalised word opening a sentence is a person: a verb of a
# person's life ("Brenna lives on...", "Marisol spent a year") or what follows a name
# called at the start ("Tovald, can I...").
_PERSON_NEXT = frozenset(split_words("""
lives lived spent began begins works worked moved grew studied can could would please
"""))
# Verbs of a visit or a call: a first name in lower case opening a clause before one is
# a person's, an everyday word too ("social: bill called once"; twelfth round).
_VISIT_VERBS = frozenset(split_words("called calls visited visits phoned telephoned"))
# Labels of the patient's name when a colon follows: "Patient: Smith, Anna", "Pt: BAKER,
# JOHN" (a surname, a comma and a sure first name written alike after one are a name).
_PATIENT_LABELS = frozenset(split_words("patient pt"))
_CREDENTIALS = frozenset(split_words("rn rrt md np pa lpn cna lcsw msw rph pharmd phd do crna"))
# Legal forms and the head words of organisations' names: the words before one
# name the organisation ("Civic Impulse LLC", "Allstate Insurance Group", "Kroll
# Bond Ratings Agency"), and the word itself is part of the name.
_ORG_WORDS = frozenset(split_words("""
inc incorporated llc llp ltd corp corporation gmbh plc sarl srl aps pty pvt
group technologies technology bank company associates solutions global capital partners
holdings systems services enterprises industries consulting international labs
laboratories pharmaceuticals pharma bioscience biosciences insurance agency unlimited
analytics ventures networks studios foundation investments securities logistics motors
airlines brands software research resources transit media communications telecom energy
electronics entertainment publishing publishers realty properties construction
manufacturing marketing consultants advisors bancorp financial movers
oy oyj kft zrt nyrt kgaa ohg gbr lda ltda bvba sprl
groep gruppe gruppen grupa grupo gruppo groupe
"""))
# Legal forms: part of an organisation's name in any case ("orvell kestrane
# inc."), unlike its other head words ("recheck labs").
_LEGAL_FORMS = frozenset(split_words("""
inc incorporated llc llp ltd corp gmbh plc sarl srl aps pty pvt bancorp
oy oyj kft zrt nyrt kgaa ohg gbr lda ltda bvba sprl
"""))
# Legal forms that are also clinical abbreviations or everyday words ("AB", "AG",
# "SA", "KG", "SpA"): part of an organisation's name only right after a word already
# replaced as a name ("Gustafsson AB", "Hug AG"), written with a capital.
_LEGAL_ABBREVS = frozenset(split_words("""
ab ag sa kg bv nv asa hb vof spa og kkt kht bt aps ky tmi sca sas commv cvba pfa spi
ehf scs afj
"""))
# Legal forms written with a dot after each letter (or a slash between them), without
# the dots: "S.A.", "s.r.o.", "d.o.o.", "a.s.", "S.p.A.", "e.V.", "A/S"; after a name,
# their letters go too.
_DOTTED_FORMS = frozenset(split_words("""
sa sas sarl srl spa sl slne slu sau sat snc sro doo jdoo dd as ks vos bv nv ag kg eg ab
ohg ev
"""))
# A firm named by its owner and what follows "and": "Martin and Sons", "Widmer &
# Partner", "Barracco e figli", "Lemoine et Fils", "Hajdu és társa".
_FIRM_ANDS = frozenset(split_words("and e et y og och és en und"))
_FIRM_CLOSERS = frozenset(split_words("""
sons co company partner partners partnere figli fils filhos søn sønner zonen
söhne sohn asociados hijos hermanos társa társai
"""))
# Lower-case words inside a town's name of several words, between its capitalised
# words: "Saalfelden am Steinernen Meer", "Raabs an der Thaya", "Chlumec nad
# Cidlinou", "Biograd na Moru", "Legros-les-Bains", "Leconte-sur-Mer".
_PLACE_LINKS = frozenset(split_words("am an der im nad pod na sur sous les lès en upon"))
# An employer after a work word and "for", "at" or "by": "I work for Capital Cube",
# "employed by Walk Score" (its capitalised words, up to three).
_WORK_WORDS = frozenset(split_words("work works worked employed employer employee job"))
_WORK_PREPS = frozenset(split_words("for at by"))
# An employer or an insurer after a word of a person's place in an organisation, of
# joining or leaving one, or of an insurer, and "of", "from", "through", "for", "at" or
# "by": "the CEO of Capital Cube", "retired from Bethlehem Steel", "hired by Option
# Works", "insurance through Blue Shield" (twelfth round). Not when a word of the run is
# a service's, a department's or a programme's (_NOT_EMPLOYERS, with
# vocab.PROGRAMMES): "President of Medical
# Staff", "hired by Nursing Home", "retired from Teaching" stay.
_ROLE_WORDS = frozenset(split_words("""
hired retired volunteer volunteers volunteered ceo founder founders cofounder president
chairman chairwoman employee employees employer insurance insured insurer
"""))
_ROLE_PREPS = frozenset(split_words("of from through for at by"))
_NOT_EMPLOYERS = frozenset(split_words("""
admitting allergy anaesthesia anesthesia anesthesiology bank blood cardiac cardiology care
case chaplaincy clinic critical department dept dermatology dialysis dietary emergency
endocrinology ethics family floor gastroenterology geriatrics gynecology hematology
hospice icu infectious intensive internal medical medicine management nephrology
neurology neurosurgery nursing nutrition obstetrics occupational oncology pathology
pediatrics pharmacy physical psychiatry pulmonary radiology rehab rehabilitation renal
respiratory service services social speech staff surgery surgical team therapy transplant
trauma unit urology vascular ward work wound home house teaching school military army
navy disability
""")) | PROGRAMMES
# Words before an organisation's name that "in" and a place close ("a year at Quill
# Point in Tarvik").
_ORG_PREPS = frozenset(split_words("at for from with"))
_PLACE_WORDS = frozenset(split_words("""
hospital hosp memorial rehab rehabilitation clinic center centre ctr infirmary hospice
manor healthcare institute sanatorium sanitarium regional campus
university college school church
""")) | _ORG_WORDS
# Parts of a hospital's or an organisation's name that are replaced with the words
# before them.
_PLACE_NAME_PARTS = frozenset(split_words("memorial general regional rehab")) | _ORG_WORDS
_SAINTS = frozenset(split_words("st saint ste san santa sacred holy"))
_UNIVERSITY = frozenset(split_words("u univ university"))
# Words before "hospital" that do not name one ("outside hospital", "the rehab").
_GENERIC_PLACE = frozenset(split_words("""
outside local community previous prior other same another different university state
county city private psychiatric veterans teaching regional rehab nearby closest nearest
new old this that his her their our your my main acute chronic long term short day
children childrens women womens
"""))
# Words before a place: "referred to GH", "followed at gh", "from the VAMC".
_PLACE_PREPS = frozenset(split_words("to at from in into via by"))
# Towns and countries of the gazetteer that an eponym has too, and no name list (the
# gazetteer's words less the eponyms' are places written with a capital; these are
# clinical words): after a place's preposition and before the clause's end or a stop
# word they are places ("moved to Philadelphia.", "lives in Miami with"), not the eponym
# ("in Miami J collar", "Philadelphia collar", "factor V Leiden"). Twelfth round; a test
# holds the list to places.txt & eponyms.txt less the name lists.
_EPONYM_PLACES = frozenset(split_words("""
chiari glasgow hashimoto huntington kawasaki leiden levin miami norwood philadelphia salem
texas unna
"""))
# Hospital words whose word before is a name in any case ("UNION HOSPITAL").
_HOSPITAL_WORDS = frozenset(split_words("hospital hosp memorial regional"))
# Street types written before the street's name ("Via Roma", "Rue de la Paix").
_STREET_TYPES = frozenset(split_words("""
via viale piazza corso largo vicolo rue avenue boulevard chemin allee calle avenida paseo
camino carrera plaza rua travessa praca estrada ulica aleja strada strasse
plac quai alameda rambla pasaje callejon praça callejón allée
"""))
_NAME_PARTICLES = frozenset(
    split_words("de del della dei degli delle dello di da do dos das la le les van von der den"
                " du des ten ter")
)
# Geographic features that end a place's name ("Daytona Beach", "Franklin Square").
_FEATURES = frozenset(split_words("""
beach shore square county island isle lake valley heights hills springs falls bay city
town village harbor harbour point mountain mount
kingdom republic emirates federation states
"""))
# Words that begin a place's name of two words or more ("New Zealand", "South
# Africa", "Port Whangarei", "Upper Austria", "Los Angeles"): before a capitalised
# name, one is part of it.
_PLACE_PREFIXES = frozenset(split_words("""
new north south east west northern southern eastern western upper lower central
great greater little old united port fort mount cape lake los las el san santa
"""))
# Two-to-five-letter words ending in H that are labs, hormones or wards, not hospitals.
_NOT_HOSPITALS = frozenset(split_words("""
ph tsh ldh pth acth adh fsh lh hgh bnh mch hh nh ch sh th dh rh ah oh uh eh ish ugh
hch hhh bph mph kph cph dph sch tch ach ech ich och bch psh ash osh
"""))
_VOWELS = frozenset("aeiouy")
# Longer "words" are not misspellings of a word (and their edits would be many).
_LONGEST_WORD = 30
# Endings that build medical words and never names.
_MEDICAL_ENDINGS = (
    "ology", "ologist", "ologic", "ological", "itis", "osis", "oses", "ectomy", "ectomies",
    "otomy", "ostomy", "oscopy", "plasty", "emia", "aemia", "algia", "opathy", "opathic",
    "ogram", "ography", "graphic", "iasis", "lysis", "lytic", "genic", "trophy", "plegia",
    "paresis", "phagia", "pnea", "rrhea", "rrhage", "megaly", "sclerosis", "cytosis",
    "penia", "philia", "phobia", "uria", "oma", "omas", "otic", "ectasis", "ostasis",
    "therapy", "mycin", "cillin", "azole", "olol", "pril", "sartan", "statin", "tidine",
    "prazole", "dipine", "health",
)
_SUFFIXES = ("able", "ible", "ing", "ed", "ly", "ness", "er", "ers", "es", "s", "ally")


@lru_cache(maxsize=2)
def _suffix_words(suffixes: tuple[str, ...]) -> frozenset[str]:
    """Street types of four letters or more, in lower case, that are not context words
    of another rule ("Loop", "Trail", "Pass"; not "Dr", "St")."""
    return frozenset(s.lower() for s in suffixes if len(s) >= 4 and s.isalpha()) - \
        _HONORIFICS - _CREDENTIALS - _SAINTS - STOP
