#!/usr/bin/env python3
"""Write a pg_dump-shaped plain dump of a chosen size, for the benchmarks.

The benchmarks need gigabytes of input that look like what scrubphi meets in
production, and the same bytes on every run so that numbers compare. This
writes the header, ``CREATE TABLE`` statements exactly as pg_dump 15 prints
them (``--no-owner``), ``COPY ... FROM stdin;`` blocks ended by ``\\.``, the
constraints and the trailer, streaming in constant memory.

Two tables:

- ``public.patients``: 14 columns, 9 of them transformed by
  ``benchmarks/policy.yaml``. Values come from vocabularies of realistic size
  and skew, so scrubphi's memo cache sees realistic hit rates: first and last
  names follow a Zipf law over 5,000 and 20,000 names (they repeat a lot),
  birth dates come from ~36,000 days, ZIP codes from 30,000, while MRNs are
  unique and SSNs, phones, emails and street addresses are almost all distinct.
- ``public.vitals``: eight numeric/timestamp columns that the policy keeps
  whole; about half the bytes, to measure the "nothing to change" fast path.

Usage::

    python benchmarks/gen_dump.py --size 20MB -o /tmp/bench-20MB.sql
    python benchmarks/gen_dump.py --size 2GB --seed 7 > big.sql
    python benchmarks/gen_dump.py --size 100MB --tables patients -o patients.sql

The output depends only on ``--size``, ``--seed`` and ``--tables``.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO

__all__ = [
    "GENERATOR_VERSION",
    "TABLES",
    "Vocabulary",
    "parse_size",
    "write_dump",
]

#: Bumped whenever the bytes for a given (size, seed, tables) change, so cached
#: benchmark inputs are regenerated.
GENERATOR_VERSION = 1
TABLES = ("patients", "vitals")
RESTRICT_KEY = "scrubphiBenchmarkRestrictKey000000000000000000000000000000000"
_BATCH = 2000

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "kib": 2**10,
    "m": 10**6, "mb": 10**6, "mib": 2**20,
    "g": 10**9, "gb": 10**9, "gib": 2**30,
    "t": 10**12, "tb": 10**12, "tib": 2**40,
}


def parse_size(text: str) -> int:
    """``20MB`` -> 20_000_000, ``64MiB`` -> 67_108_864, ``2GB`` -> 2_000_000_000."""
    m = _SIZE_RE.match(text)
    unit = (m.group(2) or "").lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 20MB, 200MB, 2GB, 64MiB)")
    return int(float(m.group(1)) * _UNITS[unit])


HEADER = """--
-- PostgreSQL database dump
--

\\restrict {restrict}

-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

"""

DDL = {
    "patients": """--
-- Name: patients; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.patients (
    id integer NOT NULL,
    mrn text NOT NULL,
    first_name text NOT NULL,
    last_name text NOT NULL,
    ssn text,
    dob date NOT NULL,
    phone text,
    email text,
    street text,
    city text,
    state character(2),
    zip text,
    created_at timestamp without time zone NOT NULL,
    active boolean DEFAULT true NOT NULL
);


""",
    "vitals": """--
-- Name: vitals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vitals (
    id bigint NOT NULL,
    patient_id integer NOT NULL,
    measured_at timestamp without time zone NOT NULL,
    heart_rate smallint,
    systolic smallint,
    diastolic smallint,
    temperature_c numeric(4,1),
    spo2 smallint
);


""",
}

COPY_HEADER = {
    "patients": "--\n-- Data for Name: patients; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n"
    "COPY public.patients (id, mrn, first_name, last_name, ssn, dob, phone, email, street, "
    "city, state, zip, created_at, active) FROM stdin;\n",
    "vitals": "--\n-- Data for Name: vitals; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n"
    "COPY public.vitals (id, patient_id, measured_at, heart_rate, systolic, diastolic, "
    "temperature_c, spo2) FROM stdin;\n",
}

CONSTRAINTS = {
    "patients": """--
-- Name: patients patients_mrn_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_mrn_key UNIQUE (mrn);


--
-- Name: patients patients_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.patients
    ADD CONSTRAINT patients_pkey PRIMARY KEY (id);


""",
    "vitals": """--
-- Name: vitals vitals_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vitals
    ADD CONSTRAINT vitals_pkey PRIMARY KEY (id);


""",
}

TRAILER = """--
-- PostgreSQL database dump complete
--

\\unrestrict {restrict}

"""

_ONSETS = [
    "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
    "p", "pr", "r", "s", "sh", "st", "t", "th", "tr", "v", "w", "z", "", "", "",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "ou", "y"]
_CODAS = ["", "", "", "n", "r", "l", "s", "th", "m", "nd", "rt", "x", "ck", "ll", "tt"]
_STREET_KINDS = ["St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl", "Ter"]
_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY",
]
_DOMAINS = [
    "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "aol.com", "icloud.com",
    "comcast.net", "proton.me", "att.net", "verizon.net",
]


def _words(rng: random.Random, count: int, syllables: tuple[int, int]) -> list[str]:
    """``count`` distinct pronounceable capitalised words, in a seeded order."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        n = rng.randint(*syllables)
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(n)
        )
        word = word.capitalize()
        if len(word) >= 3 and word not in seen:
            seen.add(word)
            out.append(word)
    return out


def _zipf_cum(n: int, s: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


class Vocabulary:
    """The value pools, built once from the seed; realistic sizes and skew."""

    def __init__(self, rng: random.Random) -> None:
        self.first = _words(rng, 5000, (1, 3))
        self.first_cum = _zipf_cum(len(self.first), 1.05)
        last = _words(rng, 20000, (2, 3))
        # A few real-world shapes that need care in COPY text: apostrophes, hyphens.
        for i in range(0, len(last), 97):
            last[i] = "O'" + last[i]
        for i in range(50, len(last), 131):
            last[i] = last[i] + "-" + last[(i * 7) % len(last)]
        self.last = last
        self.last_cum = _zipf_cum(len(self.last), 0.9)
        self.streets = [f"{w} {rng.choice(_STREET_KINDS)}" for w in _words(rng, 2000, (1, 3))]
        cities = _words(rng, 3000, (1, 3))
        self.places = [(c, rng.choice(_STATES)) for c in cities]
        self.zips = [f"{z:05d}" for z in rng.sample(range(501, 99951), 30000)]
        first_day = dt.date(1925, 1, 1).toordinal()
        last_day = dt.date(2023, 12, 31).toordinal()
        self.days = [dt.date.fromordinal(d).isoformat() for d in range(first_day, last_day + 1)]
        start = dt.date(2015, 1, 1).toordinal()
        self.recent_days = [
            dt.date.fromordinal(d).isoformat() for d in range(start, start + 10 * 365)
        ]
        self.total_cum_first = self.first_cum[-1]
        self.total_cum_last = self.last_cum[-1]

    def pick_first(self, u: float) -> str:
        return self.first[bisect.bisect(self.first_cum, u * self.total_cum_first)]

    def pick_last(self, u: float) -> str:
        return self.last[bisect.bisect(self.last_cum, u * self.total_cum_last)]


def _patients(rng: random.Random, vocab: Vocabulary) -> Iterator[list[str]]:
    """Batches of patients COPY lines, forever (the caller stops by size)."""
    rand, randrange = rng.random, rng.randrange
    pick_first, pick_last = vocab.pick_first, vocab.pick_last
    streets, places, zips, days, recent = (
        vocab.streets, vocab.places, vocab.zips, vocab.days, vocab.recent_days
    )
    n_streets, n_places, n_zips, n_days, n_recent = (
        len(streets), len(places), len(zips), len(days), len(recent)
    )
    n_domains = len(_DOMAINS)
    next_id = 1
    while True:
        lines: list[str] = []
        for pid in range(next_id, next_id + _BATCH):
            first = pick_first(rand())
            last = pick_last(rand())
            # MRNs: an affine permutation of the id, so unique (the column is UNIQUE).
            mrn = f"MRN-{(pid * 7_368_787 + 1_234_567) % 100_000_000:08d}"
            area = randrange(1, 900)
            if area == 666:
                area = 667
            ssn = f"{area:03d}-{randrange(1, 100):02d}-{randrange(1, 10000):04d}"
            if rand() < 0.03:
                ssn = "\\N"
            phone = (
                f"({randrange(201, 990)}) {randrange(200, 1000)}-{randrange(0, 10000):04d}"
                if rand() < 0.92 else "\\N"
            )
            if rand() < 0.9:
                local = f"{first}.{last}".lower().replace("'", "")
                email = f"{local}{randrange(0, 1000)}@{_DOMAINS[randrange(n_domains)]}"
            else:
                email = "\\N"
            if rand() < 0.97:
                street = f"{randrange(1, 10000)} {streets[randrange(n_streets)]}"
                city, state = places[randrange(n_places)]
                zip_code = zips[randrange(n_zips)]
            else:
                street, city, state, zip_code = "\\N", "\\N", "\\N", "\\N"
            created = (
                f"{recent[randrange(n_recent)]} {randrange(24):02d}:{randrange(60):02d}:"
                f"{randrange(60):02d}"
            )
            active = "t" if rand() < 0.85 else "f"
            lines.append(
                f"{pid}\t{mrn}\t{first}\t{last}\t{ssn}\t{days[randrange(n_days)]}\t{phone}\t"
                f"{email}\t{street}\t{city}\t{state}\t{zip_code}\t{created}\t{active}\n"
            )
        next_id += _BATCH
        yield lines


def _vitals(rng: random.Random, vocab: Vocabulary) -> Iterator[list[str]]:
    """Batches of vitals COPY lines, forever: numbers and timestamps only."""
    randrange, rand = rng.randrange, rng.random
    recent, n_recent = vocab.recent_days, len(vocab.recent_days)
    next_id = 1
    while True:
        lines: list[str] = []
        for vid in range(next_id, next_id + _BATCH):
            systolic = randrange(95, 181)
            temp = f"{randrange(355, 401) / 10:.1f}" if rand() < 0.8 else "\\N"
            lines.append(
                f"{vid}\t{randrange(1, 1_000_000)}\t{recent[randrange(n_recent)]} "
                f"{randrange(24):02d}:{randrange(60):02d}:00\t{randrange(45, 131)}\t"
                f"{systolic}\t{systolic - randrange(30, 61)}\t{temp}\t{randrange(88, 101)}\n"
            )
        next_id += _BATCH
        yield lines


_GENERATORS: dict[str, Callable[[random.Random, Vocabulary], Iterator[list[str]]]] = {
    "patients": _patients,
    "vitals": _vitals,
}


def write_dump(
    out: BinaryIO,
    size: int,
    *,
    seed: int = 1,
    tables: Sequence[str] = TABLES,
    restrict: bool = True,
) -> int:
    """Write a dump of about ``size`` bytes (never less) to ``out``; return bytes written.

    With both tables, ``patients`` and ``vitals`` get about half the data
    bytes each. Each table's rows come from their own seeded stream, so a
    table's rows do not depend on which other tables are written.
    """
    unknown = [t for t in tables if t not in _GENERATORS]
    if unknown or not tables:
        raise ValueError(f"tables must be among {', '.join(TABLES)}; got {list(tables)}")
    ordered = [t for t in TABLES if t in tables]
    vocab = Vocabulary(random.Random(f"{seed}:vocabulary"))
    key = RESTRICT_KEY
    written = 0

    def emit(text: str) -> None:
        nonlocal written
        data = text.encode("utf-8")
        out.write(data)
        written += len(data)

    header = HEADER.format(restrict=key)
    if not restrict:
        header = header.replace(f"\\restrict {key}\n\n", "")
    emit(header)
    for table in ordered:
        emit(DDL[table])
    fixed = sum(len(COPY_HEADER[t]) + len("\\.\n\n\n") for t in ordered)
    fixed += sum(len(CONSTRAINTS[t]) for t in ordered) + len(TRAILER.format(restrict=key))
    budget = max(0, size - written - fixed)
    for i, table in enumerate(ordered):
        target = written + (budget // (len(ordered) - i) if i < len(ordered) - 1 else budget)
        start = written
        emit(COPY_HEADER[table])
        rows = _GENERATORS[table](random.Random(f"{seed}:{table}"), vocab)
        while written < target + len(COPY_HEADER[table]):
            emit("".join(next(rows)))
        emit("\\.\n\n\n")
        budget -= written - start
        budget = max(0, budget)
    for table in ordered:
        emit(CONSTRAINTS[table])
    trailer = TRAILER.format(restrict=key)
    if not restrict:
        trailer = trailer.replace(f"\\unrestrict {key}\n\n", "")
    emit(trailer)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--size``, ``--seed``, ``--tables``, ``-o``."""
    parser = argparse.ArgumentParser(description="Write a pg_dump-shaped benchmark dump.")
    parser.add_argument("--size", default="20MB", help="target size: 20MB, 200MB, 2GB, 64MiB")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tables", default=",".join(TABLES), help="comma-separated: patients,vitals"
    )
    parser.add_argument(
        "--no-restrict", action="store_true",
        help="omit the \\restrict/\\unrestrict lines (for psql older than 15.14)",
    )
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        parser.error(str(exc))
    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    if args.output:
        with open(args.output, "wb", buffering=1 << 20) as fh:
            n = write_dump(fh, size, seed=args.seed, tables=tables, restrict=not args.no_restrict)
    else:
        n = write_dump(
            sys.stdout.buffer, size, seed=args.seed, tables=tables, restrict=not args.no_restrict
        )
        sys.stdout.buffer.flush()
    print(f"wrote {n} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
