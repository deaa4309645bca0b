#!/usr/bin/env python3
"""Throughput of the free-text redactor (``redact: text``) in MB/s, compiled and pure.

Why a separate benchmark: notes are the slowest column kind to scrub (every
character is scanned), so their speed bounds a dump's speed when a policy
redacts large text columns.  The corpus is generated here with a fixed
seed: clinical sentences, a third of the notes carrying planted identifiers
(names, SSNs, phones, emails, MRNs, dates, addresses, IPs, URLs).  The
PhysioNet nursing notes are measured too when ``shared/corpora`` is there
(``SCRUBPHI_SHARED``, or ``shared/`` beside the checkout).

Both scans run in the same process, one after the other on the same notes:
the pure-Python one (``Redactor._scan``) and the compiled one
(``scrubphi._redact_fast``, when it is built), each with a fresh redactor.
"first pass" is the first pass over the corpus (the redactor's caches of
words, typo checks and surrogates are cold); "best of 3" the fastest of the
passes after it.  Prints sizes, counts and rates only.

Usage: ``PYTHONPATH=src python benchmarks/redact_bench.py [MEGABYTES]`` (default 8).
"""

from __future__ import annotations

import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scrubphi import _redact_impl
from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor

__all__ = ["corpus", "main", "measure", "physionet_notes"]

SEED = 7
CLINICAL = [
    "BP 132/84, HR 76, RR 18, T 98.4 F, SpO2 96% on room air.",
    "Metformin 1000 mg PO BID and Lisinopril 20 mg daily were continued.",
    "Assessment: type 2 diabetes mellitus (E11.9) and hypertension (I10).",
    "Denies chest pain, shortness of breath, fever or chills.",
    "Plan: recheck A1c in 3 months and BMP in 2 weeks; follow up at 10:30.",
    "Labs: WBC 7.2, Hgb 13.1, Plt 250, Na 138, K 4.1, Cr 0.9.",
    "Will continue current regimen. Patient agrees with the plan.",
    "Foley catheter removed; voiding without difficulty.",
]
PHI = [
    "Pt {f} {l} seen with wife {f2}.",
    "SSN {ssn}; call {phone}; email {email}.",
    "MRN: {mrn}. Admitted 03/{d:02d}/2021, discharged March {d}, 2021.",
    "Lives at {n} Oak Avenue Apt 3, Boston, MA 02139. Dr. {l2} reviewed.",
    "Portal https://mychart.example.org/p/{n} from IP 10.1.{d}.{n2}.",
]
FIRST = ["John", "Mary", "Patricia", "Robert", "Linda", "Michael", "Barbara", "David"]
LAST = ["Smith", "Johnson", "Williams", "Garcia", "Miller", "Davis", "Rodriguez", "Wilson"]


def corpus(megabytes: float) -> list[str]:
    """Notes of about 600 characters until ``megabytes`` of text."""
    rng = random.Random(SEED)
    notes: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        parts = rng.sample(CLINICAL, 5)
        if rng.random() < 1 / 3:
            for template in rng.sample(PHI, 3):
                parts.insert(rng.randrange(len(parts) + 1), template.format(
                    f=rng.choice(FIRST), f2=rng.choice(FIRST), l=rng.choice(LAST),
                    l2=rng.choice(LAST), ssn=f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-"
                    f"{rng.randint(1000, 9999)}", phone=f"({rng.randint(200, 989)}) "
                    f"{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    email=f"user{rng.randint(1, 9999)}@gmail.com",
                    mrn=f"{rng.randint(0, 9999999):07d}", d=rng.randint(1, 28),
                    n=rng.randint(1, 9999), n2=rng.randint(1, 254)))
        note = " ".join(parts)
        notes.append(note)
        size += len(note.encode("utf-8"))
    return notes


def _compiled_available() -> bool:
    try:
        _redact_impl.redact_engine(True)
    except ImportError:
        return False
    return True


def physionet_notes() -> list[str] | None:
    """The PhysioNet deid nursing notes, when ``shared/corpora`` is there."""
    beside = Path(__file__).resolve().parents[2] / "shared"
    shared = os.environ.get("SCRUBPHI_SHARED") or str(beside)
    path = Path(shared) / "corpora" / "deid-dev" / "physionet-deid" / "id.text"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    notes = [n for n in re.split(r"START_OF_RECORD=\d+\|\|\|\|\d+\|\|\|\|", text) if n.strip()]
    return [n.replace("||||END_OF_RECORD", "") for n in notes]


def measure(redact: Callable[[str], str], notes: list[str], passes: int = 3
            ) -> tuple[float, float]:
    """Seconds of the first pass over ``notes`` and of the fastest of ``passes`` after it."""
    start = time.perf_counter()
    for note in notes:
        redact(note)
    first = time.perf_counter() - start
    best = float("inf")
    for _ in range(passes):
        start = time.perf_counter()
        for note in notes:
            redact(note)
        best = min(best, time.perf_counter() - start)
    return first, best


def _report(name: str, notes: list[str]) -> None:
    total = sum(len(n.encode("utf-8")) for n in notes) / 1e6
    print(f"redact: text  {name}: {len(notes)} notes, {total:.1f} MB")
    rates: dict[bool, float] = {}
    for compiled in [False, True] if _compiled_available() else [False]:
        redactor = Redactor(TransformContext(key=b"k" * 32), compiled=compiled)
        first, best = measure(redactor.redact, notes)
        rates[compiled] = total / best
        label = "compiled" if compiled else "pure    "
        print(f"  {label}  best of 3: {best:.2f} s = {total / best:6.1f} MB/s "
              f"({len(notes) / best:,.0f} notes/s); first pass {total / first:6.1f} MB/s")
    if True in rates:
        print(f"  compiled / pure: {rates[True] / rates[False]:.1f}x")
    else:
        print(f"  compiled scan not available ({_redact_impl.IMPORT_ERROR})")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    megabytes = float(args[0]) if args else 8.0
    _report("generated", corpus(megabytes))
    notes = physionet_notes()
    if notes is not None:
        _report("PhysioNet nursing notes", notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
