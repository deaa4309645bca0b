#!/usr/bin/env python3
"""Build the synthetic hospital database and write ``examples/hospital.sql``.

The README's first command scrubs a real ``pg_dump``, so the example must be
one: this script loads a small, fully synthetic hospital (about 50 patients,
PHI in every place a real schema keeps it) into PostgreSQL and dumps it with
the real ``pg_dump --no-owner``. Everything is derived from a fixed seed and
the script's own word lists, so a rerun on the same PostgreSQL major version
gives the same file (``--restrict-key`` pins the one random line pg_dump 15.14+
would otherwise add). No real person's data is in it.

Usage::

    python examples/make_hospital.py                      # 127.0.0.1:5432 as postgres
    python examples/make_hospital.py --dsn "host=/tmp port=5433 user=me"
    python examples/make_hospital.py --host db --port 5433 --user me -o /tmp/h.sql
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql

__all__ = ["SEED", "build", "dump", "main"]

SEED = 20240601
N_PATIENTS = 50
DEFAULT_DBNAME = "scrubphi_example_hospital"
RESTRICT_KEY = "scrubphiExampleHospitalRestrictKey0000000000000000000000000000"

FIRST_NAMES = [
    "Aaliyah", "Alejandro", "Amara", "Andre", "Beatriz", "Bennett", "Camila", "Chen",
    "Dmitri", "Eleanor", "Emeka", "Fatima", "Gareth", "Hana", "Ibrahim", "Imani",
    "Jasper", "Keiko", "Liam", "Lucia", "Marcus", "Mei", "Nadia", "Oluwaseun",
    "Priya", "Quentin", "Rosa", "Santiago", "Siobhan", "Tariq", "Ursula", "Vikram",
    "Wendell", "Ximena", "Yusuf", "Zoe", "Margaret", "Harold", "Dolores", "Walter",
]
LAST_NAMES = [
    "Abernathy", "Bergstrom", "Castellanos", "Delacroix", "Eze", "Fitzgerald", "Gonzalez",
    "Haddad", "Ivanova", "Jablonski", "Kowalczyk", "Lindqvist", "Mbeki", "Nakamura",
    "O'Connell", "Petrov", "Quinones", "Rasmussen", "Schultz", "Tanaka", "Underwood",
    "Valdez", "Whitfield", "Xu", "Yamamoto", "Zielinski", "Okafor", "Brennan",
]
STREET_NAMES = [
    "Maple", "Oak", "Cedar", "Elm", "Lakeview", "Hillcrest", "Sunset", "Riverside",
    "Willow", "Birch", "Harbor", "Prospect", "Franklin", "Jefferson",
]
STREET_KINDS = ["St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct"]
# (city, state, 5-digit ZIP); 036 and 059 are restricted three-digit areas under
# Safe Harbor, so zip3 must turn them into 000.
PLACES = [
    ("Springfield", "IL", "62704"), ("Madison", "WI", "53703"), ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"), ("Burlington", "VT", "05401"), ("Claremont", "NH", "03603"),
    ("Norton", "VT", "05907"), ("Albany", "NY", "12207"), ("Tucson", "AZ", "85719"),
    ("Savannah", "GA", "31401"), ("Duluth", "MN", "55802"), ("Boise", "ID", "83702"),
]
DOCTORS = [
    "Dr. Helen Okonkwo", "Dr. Samuel Reyes", "Dr. Ingrid Solberg", "Dr. Arjun Mehta",
    "Dr. Teresa Lindgren", "Dr. Kwame Asante", "Dr. Yuki Sato", "Dr. Robert Klein",
]
ICD_CODES = [
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("I10", "Essential (primary) hypertension"),
    ("J45.909", "Unspecified asthma, uncomplicated"),
    ("M54.5", "Low back pain"),
    ("F32.9", "Major depressive disorder, single episode, unspecified"),
    ("J06.9", "Acute upper respiratory infection, unspecified"),
    ("N39.0", "Urinary tract infection, site not specified"),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("R07.9", "Chest pain, unspecified"),
    ("S52.501A", "Unspecified fracture of the lower end of right radius, initial encounter"),
    ("O80", "Encounter for full-term uncomplicated delivery"),
    ("Z00.00", "Encounter for general adult medical examination without abnormal findings"),
    ("I48.91", "Unspecified atrial fibrillation"),
    ("J18.9", "Pneumonia, unspecified organism"),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"),
]
LAB_TESTS = [
    ("Hemoglobin A1c", "%", 4.8, 9.5),
    ("LDL Cholesterol", "mg/dL", 60, 190),
    ("Potassium", "mmol/L", 3.2, 5.4),
    ("Creatinine", "mg/dL", 0.5, 1.9),
    ("TSH", "mIU/L", 0.3, 6.0),
    ("WBC", "10^3/uL", 3.5, 14.0),
]
NOTE_TEMPLATES = [
    "",
    "",
    "Prefers morning appointments.",
    "Pt {first} {last} called from {phone} asking about refill.",
    "Daughter is emergency contact; see chart. SSN on file {ssn}.",
    "Allergic to penicillin.\tReviewed {date}.",
    "Follow-up with {doctor} in 6 weeks.",
    "Lives alone at {street}; arrange home visit.",
]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
    "PatientPortal/3.2.1 (Android 14)",
]

SCHEMA = r"""
CREATE TABLE public.icd_codes (
    code text PRIMARY KEY,
    description text NOT NULL
);
CREATE TABLE public.patients (
    id serial PRIMARY KEY,
    mrn text NOT NULL UNIQUE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    ssn text UNIQUE,
    dob date NOT NULL,
    phone text,
    email text UNIQUE,
    street text,
    city text,
    state character(2),
    zip text,
    insurance_member_id text,
    notes text NOT NULL DEFAULT ''
);
CREATE TABLE public.encounters (
    id serial PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    admitted_at timestamp without time zone NOT NULL,
    discharged_on date,
    diagnosis_code text REFERENCES public.icd_codes(code),
    attending text
);
CREATE INDEX encounters_patient_id_idx ON public.encounters (patient_id);
CREATE TABLE public.claims (
    id serial PRIMARY KEY,
    encounter_id integer NOT NULL REFERENCES public.encounters(id),
    member_ssn text,
    amount numeric(10,2) NOT NULL
);
CREATE TABLE public.contacts (
    patient_id integer PRIMARY KEY REFERENCES public.patients(id),
    phones text[]
);
CREATE TABLE public.sessions (
    id serial PRIMARY KEY,
    token text NOT NULL,
    user_agent text
);
CREATE SCHEMA clinic;
CREATE TABLE clinic."Lab Results" (
    "Patient ID" integer NOT NULL REFERENCES public.patients(id),
    "Test Name" text NOT NULL,
    "Result Value" text,
    "Collected At" timestamp with time zone NOT NULL
);
"""


def _phone(rng: random.Random) -> str:
    return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def _rows(rng: random.Random) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, in insertion order (ids follow from the serials)."""
    tables: dict[str, list[tuple[object, ...]]] = {
        "icd_codes": list(ICD_CODES), "patients": [], "encounters": [], "claims": [],
        "contacts": [], "sessions": [], "lab": [],
    }
    ssns: list[str | None] = []  # claims carry the same SSNs as patients
    used_ssn: set[str] = set()
    used_email: set[str] = set()
    for pid in range(1, N_PATIENTS + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        while True:
            ssn = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
            if ssn not in used_ssn:
                used_ssn.add(ssn)
                break
        base = re.sub(r"[^a-z]", "", f"{first[0]}{last}".lower())
        email = f"{base}@mail.example.com"
        n = 2
        while email in used_email:
            email, n = f"{base}{n}@mail.example.com", n + 1
        used_email.add(email)
        # A few patients over 89, so Safe Harbor's age collapse has work to do.
        year = rng.randint(1928, 1934) if pid % 12 == 0 else rng.randint(1940, 2018)
        dob = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        city, state, zip_code = rng.choice(PLACES)
        street = f"{rng.randint(10, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_KINDS)}"
        phone = _phone(rng)
        note = rng.choice(NOTE_TEMPLATES).format(
            first=first, last=last, phone=phone, ssn=ssn, street=street,
            doctor=rng.choice(DOCTORS), date=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        )
        insured = rng.random() < 0.9
        stored_ssn = ssn if rng.random() < 0.95 else None
        tables["patients"].append((
            f"MRN-{rng.randint(0, 9_999_999):07d}", first, last, stored_ssn, dob,
            phone if rng.random() < 0.9 else None, email if rng.random() < 0.92 else None,
            street, city, state, zip_code,
            f"{rng.choice('ABCHKQ')}{rng.choice('MXZ')}{rng.randint(0, 999_999_999):09d}"
            if insured else None,
            note,
        ))
        ssns.append(stored_ssn)
        if rng.random() < 0.6:
            phones = [_phone(rng) for _ in range(rng.randint(1, 3))]
            tables["contacts"].append((pid, phones))
    encounter_id = 0
    for pid in range(1, N_PATIENTS + 1):
        for _ in range(rng.randint(1, 4)):
            encounter_id += 1
            admitted = dt.datetime(2023, 1, 1, 0, 0) + dt.timedelta(
                minutes=rng.randint(0, 2 * 365 * 24 * 60)
            )
            stay = rng.choice([0, 0, 1, 2, 3, 5, 9, None])
            discharged = None if stay is None else admitted.date() + dt.timedelta(days=stay)
            tables["encounters"].append((
                pid, admitted, discharged, rng.choice(ICD_CODES)[0], rng.choice(DOCTORS),
            ))
            for _ in range(rng.randint(0, 2)):
                amount = Decimal(rng.randint(2500, 950_000)) / 100
                tables["claims"].append((encounter_id, ssns[pid - 1], amount))
            for _ in range(rng.randint(0, 3)):
                test, unit, lo, hi = rng.choice(LAB_TESTS)
                value = f"{rng.uniform(lo, hi):.1f} {unit}"
                collected = (admitted + dt.timedelta(minutes=rng.randint(20, 600))).replace(
                    tzinfo=dt.UTC
                )
                tables["lab"].append((pid, test, value, collected))
    for _ in range(20):
        token = "".join(rng.choice("0123456789abcdef") for _ in range(40))
        tables["sessions"].append((token, rng.choice(USER_AGENTS)))
    return tables


def build(dsn: str, dbname: str) -> None:
    """(Re)create ``dbname`` on the server of ``dsn`` and load the synthetic hospital."""
    admin = pg_conninfo.make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(pg_sql.SQL("DROP DATABASE IF EXISTS {}").format(pg_sql.Identifier(dbname)))
        conn.execute(
            pg_sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                pg_sql.Identifier(dbname)
            )
        )
    rows = _rows(random.Random(SEED))
    inserts = {
        "icd_codes": "INSERT INTO public.icd_codes (code, description) VALUES (%s, %s)",
        "patients": "INSERT INTO public.patients (mrn, first_name, last_name, ssn, dob, phone, "
        "email, street, city, state, zip, insurance_member_id, notes) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        "encounters": "INSERT INTO public.encounters (patient_id, admitted_at, discharged_on, "
        "diagnosis_code, attending) VALUES (%s, %s, %s, %s, %s)",
        "claims": "INSERT INTO public.claims (encounter_id, member_ssn, amount) "
        "VALUES (%s, %s, %s)",
        "contacts": "INSERT INTO public.contacts (patient_id, phones) VALUES (%s, %s)",
        "sessions": "INSERT INTO public.sessions (token, user_agent) VALUES (%s, %s)",
        "lab": 'INSERT INTO clinic."Lab Results" ("Patient ID", "Test Name", "Result Value", '
        '"Collected At") VALUES (%s, %s, %s, %s)',
    }
    with psycopg.connect(pg_conninfo.make_conninfo(dsn, dbname=dbname)) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(SCHEMA.encode())
        with conn.cursor() as cur:
            for table, statement in inserts.items():
                cur.executemany(statement.encode(), rows[table])
        conn.execute("ANALYZE")


def _pg_dump_for(dsn: str) -> str:
    """A pg_dump of the server's major version when installed, else the one on PATH."""
    with psycopg.connect(pg_conninfo.make_conninfo(dsn, dbname="postgres")) as conn:
        major = conn.info.server_version // 10000
    candidate = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("pg_dump")
    if found is None:
        raise SystemExit("pg_dump not found; pass --pg-dump PATH")
    return found


def dump(dsn: str, dbname: str, out: Path, pg_dump: str | None = None) -> int:
    """Write ``pg_dump --no-owner`` of ``dbname`` to ``out``; returns its size in bytes."""
    exe = pg_dump or _pg_dump_for(dsn)
    argv = [exe, "--no-owner", "-d", pg_conninfo.make_conninfo(dsn, dbname=dbname)]
    help_text = subprocess.run([exe, "--help"], capture_output=True, text=True).stdout
    if "--restrict-key" in help_text:
        argv.insert(1, f"--restrict-key={RESTRICT_KEY}")
    # timestamptz is printed in the session's zone: pin it so the file is reproducible.
    env = {**os.environ, "PGTZ": "UTC"}
    data = subprocess.run(argv, capture_output=True, check=True, env=env).stdout
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return len(data)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: build, dump, and drop the database unless --keep-db."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dsn", help="libpq connection string (overrides --host/--port/--user)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5432)
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--dbname", default=DEFAULT_DBNAME, help="database to (re)create")
    parser.add_argument("--pg-dump", help="pg_dump executable (default: the server's major)")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path(__file__).resolve().parent / "hospital.sql"
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database in place")
    args = parser.parse_args(argv)
    dsn = args.dsn or pg_conninfo.make_conninfo(
        host=args.host, port=str(args.port), user=args.user
    )
    build(dsn, args.dbname)
    try:
        size = dump(dsn, args.dbname, args.output, args.pg_dump)
    finally:
        if not args.keep_db:
            with psycopg.connect(
                pg_conninfo.make_conninfo(dsn, dbname="postgres"), autocommit=True
            ) as conn:
                conn.execute(
                    pg_sql.SQL("DROP DATABASE IF EXISTS {}").format(
                        pg_sql.Identifier(args.dbname)
                    )
                )
    print(f"wrote {args.output} ({size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
