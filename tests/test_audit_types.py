"""``scrubphi audit`` scans kept columns of every type that can hold text.

Found by auditing a real pg_dump of an EHR-shaped table whose policy kept an
address composite (``home public.addr``), an ``hstore`` of extra fields with an
SSN and a phone, a ``tsvector`` of a note's words, an ``xml`` CDA fragment and
a ``citext`` e-mail: the report said "Kept text columns with PHI-like values: 0",
since only a fixed list of text type names was scanned (``character
varying(n)``'s and ``public.citext``'s spellings were not on it either). Every
kept column is scanned now except numbers, booleans, binary and times; street
addresses the detector finds count as their own kind; a kept range or
multirange of dates is reported as a date column.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from pg_fixtures import PgServer
from scrubphi.audit import audit_dump
from scrubphi.policy import loads_policy

SETUP = """
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE public.addr AS (street text, city text, zip character varying(5));
CREATE TABLE public.patients (id integer PRIMARY KEY, home public.addr, extra public.hstore,
    words tsvector, cda xml, email public.citext, code character varying(20), stays daterange,
    visits datemultirange, weight numeric, active boolean);
INSERT INTO public.patients VALUES
 (1, ROW('12 Oak Street', 'Boston', '02139'), 'ssn=>123-45-6789, phone=>617-555-1234',
  to_tsvector('simple', 'Dr. Smith saw John'),
  '<patient><name><given>Mary</given><family>Johnson</family></name>'
  '<telecom value="tel:617-555-0199"/></patient>',
  'mary.johnson@example.org', '617-555-0188', '[2020-01-01,2020-01-05)',
  '{[2020-01-01,2020-01-05)}', 70.5, true),
 (2, ROW('9 Elm Road', 'Salem', '01970'), 'note=>none', to_tsvector('simple', 'stable'),
  '<patient/>', 'x@example.org', 'A1', NULL, NULL, 80, false);
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.patients:
      columns:
        id: keep
        home: keep
        extra: keep
        words: keep
        cda: keep
        email: keep
        code: keep
        stays: keep
        visits: keep
        weight: keep
        active: keep
"""


@pytest.fixture(scope="module")
def dump(pg: PgServer) -> Iterator[bytes]:
    db = pg.create_database("audit_types")
    pg.psql(db, SETUP)
    yield pg.pg_dump(db, "--no-owner")
    pg.drop_database(db)


@pytest.mark.postgres
def test_kept_columns_of_every_textual_type_are_scanned(dump: bytes) -> None:
    report = audit_dump(io.BytesIO(dump), loads_policy(POLICY, "p.yaml"))
    found = {c.column: {k: n for k, n in c.residual.items() if n} for c in report.columns}
    assert found["home"] == {"address": 2}
    assert found["extra"] == {"ssn": 1, "phone": 1}
    assert found["words"] == {"name": 1}
    assert found["cda"]["phone"] == 1 and found["cda"]["name"] == 1
    assert found["email"] == {"email": 2}
    assert found["code"] == {"phone": 1}
    assert found["weight"] == found["active"] == {}
    scanned = {c.column for c in report.columns if c.scanned}
    assert "weight" not in scanned and "active" not in scanned and "stays" not in scanned
    dates = {c.column for c in report.columns if c.date_type}
    assert dates == {"stays", "visits"}
    text = report.to_text()
    assert "123-45-6789" not in text and "Johnson" not in text and "Oak" not in text
