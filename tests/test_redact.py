"""Tests of ``redact: text``: recall and precision on a labelled corpus, and consistency.

The corpus is generated here with a fixed seed: notes with planted
identifiers of every kind (positions recorded while the note is built) and
notes with none.  A planted identifier counts as found when the findings
cover every letter and digit of it; a finding that touches no planted
identifier is a false positive.  Nothing here prints a planted value, only
counts and rates.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import civil_from_days, days_from_civil
from scrubphi.transforms.redact import (
    Redactor,
    build_redactor,
    check_redact_spec,
    surrogate_specs,
)
from scrubphi.transforms.redact.structured import Spans

KEY = b"0123456789abcdef0123456789abcdef"
TEXT = ColumnInfo("notes", "text")
SEED = 20240917
ROOT = Path(__file__).resolve().parent.parent
STRUCTURED = ("ssn", "phone", "email", "mrn", "date", "ipv4", "url")


def _pool(name: str) -> list[str]:
    text = (
        resources.files("scrubphi.transforms")
        .joinpath("pools", f"en_US.{name}.txt")
        .read_text(encoding="utf-8")
    )
    return [line for line in text.split("\n") if line]


def redact_spec(**params: object) -> TransformSpec:
    base: dict[str, object] = {"mode": "text", "dates": "year", "days": None, "per": None}
    base.update(params)
    return TransformSpec("redact", base)


# -- the labelled corpus ---------------------------------------------------------------

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

CLEAN_SENTENCES = [
    "BP 120/80, HR 72, RR 16, T 98.6 F, SpO2 97% on room air.",
    "Metformin 500 mg PO BID; Lisinopril 10 mg daily; Atorvastatin 40 mg at bedtime.",
    "Assessment: type 2 diabetes mellitus (E11.9), essential hypertension (I10).",
    "Plan: recheck A1c in 3 months, BMP in 2 weeks, follow up at 10:30.",
    "Denies chest pain, shortness of breath, nausea or vomiting.",
    "Foley catheter placed at 14:00 without complication.",
    "Labs: WBC 7.2, Hgb 13.1, Plt 250, Na 138, K 4.1, Cr 0.9, glucose 112.",
    "Will continue current regimen and reassess at next visit.",
    "Patient tolerated the procedure well. Wound clean, dry and intact.",
    "Ibuprofen 400 mg q6h PRN pain, max 1200 mg per day.",
    "Chest X-ray: no acute cardiopulmonary process. EKG: NSR, rate 68.",
    "Glasgow Coma Scale 15. Pupils equal, round, reactive to light.",
    "Hx of Parkinson disease and Crohn disease, stable on current therapy.",
    "Insulin glargine 20 units SC nightly; sliding scale insulin with meals.",
    "Pain 3/10, improved from 7/10 yesterday. Ambulating with walker.",
    "ROS otherwise negative. Physical exam unremarkable except as noted.",
    "Discussed risks, benefits and alternatives; patient agrees with plan.",
    "Cardiology consult requested. Echo shows EF 55-60%.",
    "Wt 82.5 kg, Ht 175 cm, BMI 26.9. Temp 37.2 C.",
    "Continue Eliquis 5 mg BID. Hold Lasix if SBP below 100.",
    "Return to clinic in 4-6 weeks or sooner if symptoms worsen.",
    "Urine culture pending. Started Keflex 500 mg QID for 7 days.",
    "Hemoglobin A1c 7.4% (goal below 7%). LDL 96 mg/dL.",
    "Mental status: alert and oriented x3. Mood good, affect congruent.",
    "ICD-10 codes: M54.5, J45.909, K21.9, F41.1, Z79.4.",
    "Vitamin D3 2000 IU daily. Calcium 600 mg twice daily.",
    "Spoke with nursing staff; IV access in left forearm, 20 gauge.",
    "Will follow up with Cardiology and Endocrinology next week.",
]


@dataclass
class Note:
    text: str
    planted: list[tuple[int, int, str]]


class NoteBuilder:
    """Builds one note piece by piece, recording where each identifier went."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.planted: list[tuple[int, int, str]] = []

    def text(self, s: str) -> None:
        self.parts.append(s)
        self.length += len(s)

    def phi(self, s: str, kind: str) -> None:
        self.planted.append((self.length, self.length + len(s), kind))
        self.text(s)

    def build(self) -> Note:
        return Note("".join(self.parts), self.planted)


class Corpus:
    """Seeded generator of clinical notes with planted identifiers."""

    def __init__(self, seed: int, patients: int = 400) -> None:
        self.rng = random.Random(seed)
        firsts, lasts = _pool("first_name"), _pool("last_name")
        self.patients = [(self.rng.choice(firsts), self.rng.choice(lasts)) for _ in range(patients)]
        self.streets = _pool("street_name")
        self.cities = _pool("city")

    # identifier makers

    def ssn(self) -> str:
        r = self.rng
        sep = r.choice(["-", "-", "-", " "])
        return f"{r.randint(1, 899):03d}{sep}{r.randint(1, 99):02d}{sep}{r.randint(1, 9999):04d}"

    def phone(self) -> str:
        r = self.rng
        a, b, c = r.randint(201, 989), r.randint(200, 999), r.randint(0, 9999)
        return r.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}",
                         f"+1 {a} {b} {c:04d}", f"1-{a}-{b}-{c:04d}"])

    def email(self, first: str, last: str) -> str:
        r = self.rng
        domain = r.choice(["gmail.com", "yahoo.com", "hotmail.com", "clinic-mail.org", "aol.com"])
        local = r.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}{r.randint(1, 99)}",
                          f"{last}_{first}"]).lower()
        return f"{local}@{domain}"

    def mrn(self) -> tuple[str, str]:
        r = self.rng
        label = r.choice(["MRN: ", "MRN ", "MRN#", "Acct #", "Account number: ", "Member ID: ",
                          "Medical Record Number: ", "Policy # "])
        value = r.choice([f"{r.randint(0, 9999999):07d}", f"{r.randint(10**7, 10**8 - 1)}",
                          f"{r.choice('ABCDEFGHJK')}{r.choice('XYZQRT')}"
                          f"{r.randint(10**5, 10**6 - 1)}"])
        return label, value

    def date(self) -> str:
        r = self.rng
        y, m, d = r.randint(1935, 2024), r.randint(1, 12), r.randint(1, 28)
        return r.choice([
            f"{m:02d}/{d:02d}/{y}", f"{m}/{d}/{y}", f"{y}-{m:02d}-{d:02d}",
            f"{MONTHS[m - 1]} {d}, {y}", f"{d} {MONTHS[m - 1][:3]} {y}", f"{m}/{d}/{y % 100:02d}",
            f"{MONTHS[m - 1][:3]} {d}, {y}", f"{d} {MONTHS[m - 1]} {y}", f"{MONTHS[m - 1]} {d}",
            f"{m:02d}-{d:02d}-{y}", f"{MONTHS[m - 1]} {d}th", f"{d}{'th'} of {MONTHS[m - 1]} {y}",
            f"{MONTHS[m - 1]} {y}", f"{y}/{m:02d}/{d:02d}",
        ])

    def ipv4(self) -> str:
        r = self.rng
        return ".".join(str(r.randint(1, 254)) for _ in range(4))

    def url(self, last: str) -> str:
        r = self.rng
        return r.choice([f"https://www.{last.lower()}family.com/photos",
                         f"http://portal.stmarys.org/patient?id={r.randint(1000, 99999)}",
                         f"www.{last.lower()}-blog.net"])

    def address(self) -> str:
        r = self.rng
        base = f"{r.randint(1, 9999)} {r.choice(self.streets)}"
        unit = r.choice(["", "", f" Apt {r.randint(1, 40)}", f" Suite {r.randint(100, 999)}"])
        return base + unit

    def zip_line(self, b: NoteBuilder) -> None:
        r = self.rng
        b.phi(r.choice(self.cities), "city")
        b.text(f", {r.choice(['MA', 'NY', 'CA', 'TX', 'OH'])} ")
        b.phi(f"{r.randint(1000, 99999):05d}", "zip")

    # notes

    def note(self, with_phi: bool) -> Note:
        r = self.rng
        b = NoteBuilder()
        sentences = r.sample(CLEAN_SENTENCES, r.randint(2, 5))
        if not with_phi:
            b.text(" ".join(sentences))
            return b.build()
        first, last = r.choice(self.patients)
        for kind in r.sample(["intro", "ssn", "phone", "email", "mrn", "date", "ip", "url",
                              "addr", "family", "doctor", "dob"], r.randint(3, 8)):
            if sentences:
                b.text(sentences.pop() + " ")
            if kind == "intro":
                style = r.randint(0, 6)
                if style == 0:
                    b.text("Pt ")
                    b.phi(first, "name")
                    b.text(" ")
                    b.phi(last, "name")
                    b.text(" is a 64 yo with HTN. ")
                elif style == 1:
                    b.text(r.choice(["Mr. ", "Mrs. ", "Ms. "]))
                    b.phi(last, "name")
                    b.text(" presents for follow-up. ")
                elif style == 2:
                    b.phi(first, "name")
                    b.text(" ")
                    b.phi(last, "name")
                    b.text(" was seen today in clinic. ")
                elif style == 3:
                    b.text("Seen with patient ")
                    b.phi(first, "name")
                    b.text(", who reports improvement. ")
                elif style == 4:
                    b.text("Spoke with ")
                    b.phi(first, "name")
                    b.text(" about the plan. ")
                elif style == 5:
                    b.text("Name: ")
                    b.phi(last.upper(), "name")
                    b.text(", ")
                    b.phi(first.upper(), "name")
                    b.text(". ")
                else:
                    b.phi(last, "name")
                    b.text(", ")
                    b.phi(first, "name")
                    b.text(" called the office. ")
            elif kind == "ssn":
                b.text(r.choice(["SSN ", "SSN: ", "social security number "]))
                b.phi(self.ssn(), "ssn")
                b.text(". ")
            elif kind == "phone":
                b.text(r.choice(["Call back at ", "Phone: ", "Cell ", "Fax: ", "reachable on ",
                                 ""]))
                b.phi(self.phone(), "phone")
                b.text(". ")
            elif kind == "email":
                b.text("Email ")
                b.phi(self.email(first, last), "email")
                b.text(" for the portal. ")
            elif kind == "mrn":
                label, value = self.mrn()
                b.text(label)
                b.phi(value, "mrn")
                b.text(". ")
            elif kind == "date":
                b.text(r.choice(["Last visit ", "Admitted on ", "Surgery ", "Seen "]))
                b.phi(self.date(), "date")
                b.text(". ")
            elif kind == "dob":
                b.text("DOB: ")
                b.phi(self.date(), "date")
                b.text(". ")
            elif kind == "ip":
                b.text("Telehealth session from IP ")
                b.phi(self.ipv4(), "ipv4")
                b.text(". ")
            elif kind == "url":
                b.text("Shared a link ")
                b.phi(self.url(last), "url")
                b.text(" with staff. ")
            elif kind == "addr":
                b.text("Lives at ")
                b.phi(self.address(), "address")
                b.text(", ")
                self.zip_line(b)
                b.text(". ")
            elif kind == "family":
                rel_first, _ = r.choice(self.patients)
                b.text(r.choice(["Wife ", "Husband ", "Son ", "Daughter ", "Mother "]))
                b.phi(rel_first, "name")
                b.text(" ")
                b.phi(last, "name")
                b.text(" at bedside. ")
            elif kind == "doctor":
                _, doc_last = r.choice(self.patients)
                b.text("Discussed with Dr. ")
                b.phi(doc_last, "name")
                b.text(". ")
        b.text(" ".join(sentences))
        return b.build()


def _covered(findings: list[tuple[int, int]], start: int, end: int, text: str) -> bool:
    marks = [False] * (end - start)
    for fs, fe in findings:
        for i in range(max(fs, start), min(fe, end)):
            marks[i - start] = True
    return all(marks[i] for i in range(end - start) if text[start + i].isalnum())


def _evaluate(redactor: Redactor, notes: list[Note]) -> tuple[Counter[str], Counter[str], int, int]:
    """(found per kind, planted per kind, true-positive findings, all findings)."""
    found: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    tp = total = 0
    for note in notes:
        spans = [(f.start, f.end) for f in redactor.find(note.text)]
        for start, end, kind in note.planted:
            planted[kind] += 1
            if _covered(spans, start, end, note.text):
                found[kind] += 1
        for fs, fe in spans:
            total += 1
            if any(fs < pe and ps < fe for ps, pe, _ in note.planted):
                tp += 1
    return found, planted, tp, total


@pytest.fixture(scope="module")
def corpus() -> list[Note]:
    gen = Corpus(SEED)
    notes = [gen.note(with_phi=True) for _ in range(1500)]
    notes += [gen.note(with_phi=False) for _ in range(500)]
    return notes


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(TransformContext(key=KEY))


# -- recall and precision -----------------------------------------------------------------


def test_recall_structured_identifiers(corpus: list[Note], redactor: Redactor) -> None:
    """At least 99% of planted SSNs, phones, emails, MRNs, dates, IPs and URLs are found."""
    found, planted, _, _ = _evaluate(redactor, corpus)
    for kind in STRUCTURED:
        assert planted[kind] >= 100, kind
        recall = found[kind] / planted[kind]
        print(f"recall {kind}: {recall:.4f} ({found[kind]}/{planted[kind]})")
        assert recall >= 0.99, kind
    for kind in ("address", "zip", "city"):
        recall = found[kind] / planted[kind]
        print(f"recall {kind}: {recall:.4f} ({found[kind]}/{planted[kind]})")
        assert recall >= 0.95, kind


def test_recall_patient_names(corpus: list[Note], redactor: Redactor) -> None:
    """At least 95% of the planted names from the patient list are found."""
    found, planted, _, _ = _evaluate(redactor, corpus)
    recall = found["name"] / planted["name"]
    print(f"recall names: {recall:.4f} ({found['name']}/{planted['name']})")
    assert planted["name"] >= 500
    assert recall >= 0.95


def test_precision(corpus: list[Note], redactor: Redactor) -> None:
    """Findings that touch no planted identifier stay rare, and notes without PHI stay intact.

    The floor (95%) is set so that a regression that starts eating clinical
    text (vital signs, doses, ICD codes, drug names, eponyms) fails: each
    clean sentence in the corpus appears hundreds of times, so one sentence
    misread costs several points.
    """
    _, _, tp, total = _evaluate(redactor, corpus)
    precision = tp / total
    print(f"precision: {precision:.4f} ({tp}/{total})")
    assert precision >= 0.95
    clean = [n for n in corpus if not n.planted]
    unchanged = sum(redactor.redact(n.text) == n.text for n in clean)
    print(f"clean notes unchanged: {unchanged}/{len(clean)}")
    assert unchanged / len(clean) >= 0.98


def test_clinical_text_stays_readable(redactor: Redactor) -> None:
    """Vital signs, doses, ICD codes, times, lab values and eponyms pass unchanged."""
    for sentence in CLEAN_SENTENCES:
        assert redactor.redact(sentence) == sentence, CLEAN_SENTENCES.index(sentence)


def test_planted_values_do_not_survive(corpus: list[Note], redactor: Redactor) -> None:
    """No planted structured identifier appears verbatim in the redacted note."""
    leaks: Counter[str] = Counter()
    for note in corpus[:600]:
        out = redactor.redact(note.text)
        for start, end, kind in note.planted:
            # A date may map to itself in year mode (1 January stays 1 January).
            if kind in STRUCTURED and kind != "date" and note.text[start:end] in out:
                leaks[kind] += 1
    assert sum(leaks.values()) <= 3, dict(leaks)


# -- consistency with column transforms ---------------------------------------------------


def _column(spec: TransformSpec, value: str, type_name: str = "text") -> str:
    out = build_transform(spec, ColumnInfo("c", type_name), TransformContext(key=KEY)).fn(value)
    assert out is not None
    return out


def test_ssn_in_note_equals_column_fake() -> None:
    """The SSN inside a note becomes exactly what {fake: ssn} gives it in patients.ssn."""
    fn = build_redactor(redact_spec(), TEXT, TransformContext(key=KEY)).fn
    column = _column(TransformSpec("fake", {"provider": "ssn", "unique": False,
                                            "locale": "en_US"}), "123-45-6789")
    assert fn("SSN 123-45-6789 on file.") == f"SSN {column} on file."
    # unique: true is another construction (a keyed bijection, docs/redact.md): the note
    # keeps the never-issued 9XX surrogate, the unique column its own one-to-one fake.
    unique = _column(TransformSpec("fake", {"provider": "ssn", "unique": True,
                                            "locale": "en_US"}), "123-45-6789")
    assert unique != column and column.startswith("9")


@pytest.mark.parametrize(
    ("kind", "value", "template"),
    [
        ("first_name", "Margaret", "Wife {} at bedside."),
        ("last_name", "Wilkinson", "Mr. {} seen."),
        ("phone", "(617) 555-1234", "Call {} today."),
        ("fax", "617-555-9876", "Fax: {} now."),
        ("email", "mwilk@gmail.com", "Email {} please."),
        ("mrn", "0012345", "MRN: {} noted."),
        ("url", "https://www.wilkinsonfamily.com/photos", "See {} for more."),
        ("ipv4", "10.1.2.3", "From IP {} today."),
        ("address", "45 Oak Avenue Apt 3", "Lives at {} now."),
        ("zip", "02139", "zip {} on file."),
        ("date", "2021-03-04", "Seen {} in clinic."),
    ],
)
def test_every_kind_matches_its_column_transform(kind: str, value: str, template: str) -> None:
    """Each surrogate is the output of the column transform of its kind on the same text."""
    fn = build_redactor(redact_spec(), TEXT, TransformContext(key=KEY)).fn
    spec = surrogate_specs()[kind]
    expected = _column(spec, value, "date" if kind == "date" else "text")
    assert fn(template.format(value)) == template.format(expected)


def test_date_shift_with_per_matches_date_column() -> None:
    """With dates: shift and per, a note's dates move like the patient's date column."""
    ctx = TransformContext(key=KEY)
    spec = redact_spec(dates="shift", days=180, per="id")
    built = build_redactor(spec, TEXT, ctx)
    assert built.per == "id" and not built.cacheable
    col = build_transform(
        TransformSpec("date", {"mode": "shift", "days": 180, "per": "id", "format": None}),
        ColumnInfo("dob", "date"), ctx,
    )
    shifted = col.fn("2021-03-04", "42")
    assert shifted is not None and shifted != "2021-03-04"
    assert built.fn("Admitted 2021-03-04.", "42") == f"Admitted {shifted}."
    y, m, d = shifted.split("-")
    note = built.fn("Admitted 03/04/2021 and March 4, 2021.", "42")
    assert note == (f"Admitted {m}/{d}/{y} and {MONTHS[int(m) - 1]} {int(d)}, {y}.")


def test_every_shifted_date_matches_the_date_column() -> None:
    """A note's date moves by the patient's offset, found once per patient: the same
    date as the date column's shift gives, over the calendar's edges too (leap days,
    year ends, the first and last years)."""
    ctx = TransformContext(key=KEY)
    days = 3000
    redactor = Redactor(ctx, dates="shift", days=days, per="id")
    col = build_transform(
        TransformSpec("date", {"mode": "shift", "days": days, "per": "id", "format": None}),
        ColumnInfo("dob", "date"), ctx,
    ).fn
    rng = random.Random(11)
    out = Spans("", None, record=False)
    dates = [(2000, 2, 29), (1999, 12, 31), (1, 1, 1), (1, 12, 31), (9999, 12, 31),
             (9990, 6, 1), (2021, 2, 29), (2021, 4, 31)]
    dates += [(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 31)) for _ in range(400)]
    for i, (y, mo, d) in enumerate(dates):
        out.per_value = f"p{i % 37}"
        # What the handler did before: the date column's transform on the ISO text.
        if civil_from_days(days_from_civil(y, mo, d)) != (y, mo, d):
            want = (y, 1, 1)  # not a real date ("2021-02-29"): the year stays
        else:
            shifted = col(f"{y:04d}-{mo:02d}-{d:02d}", out.per_value)
            assert shifted is not None
            want = (int(shifted[0:4]), int(shifted[5:7]), int(shifted[8:10]))
        assert redactor._date_surrogate(y, mo, d, out) == want, i


def test_year_mode_keeps_only_the_year() -> None:
    """The default dates: year writes 1 January of the same year, in the note's own format."""
    fn = build_redactor(redact_spec(), TEXT, TransformContext(key=KEY)).fn
    assert fn("On 03/04/2021, 4 Mar 2021, March 4th, 2021.") == \
        "On 01/01/2021, 1 Jan 2021, January 1st, 2021."


def test_deterministic_and_key_dependent() -> None:
    """Same key and text give the same output; another key gives another one."""
    text = "Mr. Wilkinson, SSN 123-45-6789, MRN 0012345, email mwilk@gmail.com."
    a = build_redactor(redact_spec(), TEXT, TransformContext(key=KEY)).fn(text)
    b = build_redactor(redact_spec(), TEXT, TransformContext(key=KEY)).fn(text)
    c = build_redactor(redact_spec(), TEXT, TransformContext(key=b"x" * 32)).fn(text)
    assert a == b != c


@pytest.mark.parametrize("compiled", [False, True], ids=["pure", "compiled"])
def test_output_does_not_depend_on_what_was_redacted_before(compiled: bool) -> None:
    """A note's output is a function of the note and the key only: redacted in order,
    shuffled, or by a fresh redactor, every note of a mixed list (names, towns,
    firms, streets, phones in eight locales) comes out the same. The redactor keeps
    caches of surrogates and of words' classes; none may leak one note into another."""
    from faker import Faker

    from scrubphi import _redact_impl

    if compiled and _redact_impl._COMPILED is None:
        pytest.skip("the compiled scan is not built")
    texts = []
    for locale in ("en_US", "de_DE", "fr_FR", "es_ES", "pl_PL", "it_IT", "sv_SE", "pt_BR"):
        fake = Faker(locale)
        fake.seed_instance(77)
        for _ in range(12):
            texts.append(f"{fake.name()} from {fake.city()} works at {fake.company()} on "
                         f"{fake.street_address()}, {fake.city()} {fake.postcode()}.")
            texts.append(f"Seen by Dr. {fake.last_name()}; lives in {fake.city()}. "
                         f"{fake.company()} pays. Call {fake.phone_number()}.")
    ctx = TransformContext(key=KEY)
    in_order = Redactor(ctx, compiled=compiled)
    expected = [in_order.redact(t) for t in texts]
    assert sum(a != t for a, t in zip(expected, texts, strict=True)) == len(texts)
    order = list(range(len(texts)))
    random.Random(5).shuffle(order)
    shuffled = Redactor(ctx, compiled=compiled)
    assert {i: shuffled.redact(texts[i]) for i in order} == dict(enumerate(expected))
    for i in order[:10]:
        assert Redactor(ctx, compiled=compiled).redact(texts[i]) == expected[i]


def test_null_array_and_types() -> None:
    """NULL stays NULL, arrays are redacted element by element, non-text columns are refused."""
    ctx = TransformContext(key=KEY)
    fn = build_redactor(redact_spec(), TEXT, ctx).fn
    assert fn(None) is None
    arr = build_redactor(redact_spec(), ColumnInfo("n", "text", array_dims=1), ctx).fn
    out = arr('{"SSN 123-45-6789",NULL,ok}')
    assert out is not None and "123-45-6789" not in out and ",NULL,ok}" in out
    with pytest.raises(ValueError, match="text column"):
        build_redactor(redact_spec(), ColumnInfo("n", "integer"), ctx)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mode": "json"}, "redact must be one of"),
        ({"dates": "month"}, "dates must be one of"),
        ({"dates": "shift", "days": None}, "needs days"),
        ({"dates": "shift", "days": 0}, "needs days"),
        ({"dates": "year", "days": 5}, "only to dates: shift"),
    ],
)
def test_check_redact_spec_refuses_bad_params(params: dict[str, object], message: str) -> None:
    """Bad redact parameters are refused with a message that says what is allowed."""
    with pytest.raises(ValueError, match=message):
        check_redact_spec(redact_spec(**params))


def test_dictionaries_are_what_the_script_makes(tmp_path: Path) -> None:
    """The script is deterministic, and the shipped dictionaries are what it writes.

    The byte comparison with the shipped files holds for the Faker version
    named in the manifest (Faker's name lists change between releases); with
    another version the script must still reproduce itself exactly.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_names", ROOT / "scripts/build_names.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = ROOT / "src/scrubphi/transforms/redact_data"
    manifest = (shipped / "_manifest.txt").read_text(encoding="utf-8")
    import faker

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert module.main([str(first)]) == 0
    assert module.main([str(second)]) == 0
    made = sorted(p.name for p in first.iterdir())
    assert made and made == sorted(p.name for p in second.iterdir())
    for name in made:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        if f"faker={faker.VERSION}\n" in manifest:
            assert (first / name).read_bytes() == (shipped / name).read_bytes(), name


def test_no_value_in_errors() -> None:
    """A refused column's error names the type, never anything from the data."""
    with pytest.raises(ValueError) as info:
        build_redactor(redact_spec(), ColumnInfo("n", "bytea"), TransformContext(key=KEY))
    assert re.search(r"\d{3}-\d{2}-\d{4}", str(info.value)) is None


def test_digits_like_never_raises_on_digits_int_cannot_read() -> None:
    """A superscript or subscript digit kept by the token ("₄") used to raise ValueError
    with the character in its message; it gives a digit like any other now."""
    from scrubphi.transforms.redact.structured import digits_like

    assert digits_like("₄²a", "12345").isdigit()
    assert digits_like("7", "12") == "77"
    redactor = Redactor(TransformContext(key=b"k" * 32))
    assert "₄" not in redactor.redact("Allika ₄ and Koskikatu")
