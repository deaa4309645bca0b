"""Damaged dumps, generated: hypothesis mutates real pg_dump output, one invariant.

A real database (every PHI value carries ``PHIMARK``; every table has a column
count of its own, so no valid row can move to another table unnoticed: a
damage that swaps whole COPY statements between two tables of one column
count is a valid dump of other data, which no tool can tell) is
dumped by the real ``pg_dump`` as COPY and as INSERTs.  Hypothesis applies one
to three mutations (byte flips, deletions, truncations at statement starts
of every kind and anywhere, CRLF line endings, duplicated and swapped
lines), feeds the result in random chunks to either codec, and checks:

- a run that succeeds has no marked value in its output;
- a run that fails has no marked value in its message, and its output ends
  with the trailer; restored with ``psql -v ON_ERROR_STOP=1
  --single-transaction`` (a sample, in ``test_failed_mutants_commit_nothing``)
  it commits nothing.

The normal run tries a few thousand mutants.  A long run::

    SCRUBPHI_FUZZ_EXAMPLES=200000 pytest tests/test_fuzz_dumps.py -k never_leak
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.dump.forms import TRAILER
from scrubphi.errors import ScrubPhiError
from scrubphi.policy import loads_policy

pytestmark = pytest.mark.postgres

MARK = b"PHIMARK"
KEY = b"fuzz-dumps-test-key-0123456789abcdef"
EXAMPLES = int(os.environ.get("SCRUBPHI_FUZZ_EXAMPLES", "1500"))

SETUP = r"""
CREATE TABLE public.codes (code text PRIMARY KEY, label text, grp integer);
CREATE TABLE public.patients (
    id integer PRIMARY KEY, full_name text NOT NULL, ssn text, email text, born date,
    notes text, tags text[]
);
CREATE TABLE public.sessions (id integer, token text, opened timestamp, hits integer, ua text);
CREATE TABLE public.visits (id integer, patient_id integer REFERENCES public.patients(id),
                            seen date, reason text);
CREATE SEQUENCE public.visit_seq;
SELECT setval('public.visit_seq', 42);
INSERT INTO public.codes VALUES ('E11', 'diabetes', 1), ('I10', 'hypertension', 2),
    ('Z00', 'check-up\twith tab', 3);
INSERT INTO public.patients SELECT g, 'PHIMARK Pat ' || g, 'PHIMARK-' || g,
    'phimark' || g || '@PHIMARK.example', DATE '1950-01-01' + g,
    E'PHIMARK note\nline ' || g, ARRAY['PHIMARK-tag-' || g]
    FROM generate_series(1, 12) g;
INSERT INTO public.sessions VALUES (1, 'PHIMARK-token', '2024-01-01 10:00', 3, 'curl');
INSERT INTO public.visits SELECT g, 1 + g % 12, DATE '2024-01-01' + g, 'PHIMARK reason ' || g
    FROM generate_series(1, 10) g;
"""

POLICY = """
version: 1
scrub:
  tables:
    public.codes: keep
    public.sessions: drop
    public.patients:
      columns:
        id: keep
        full_name: {value: Name}
        ssn: {fake: ssn}
        email: {value: e@example.org}
        born: {date: year}
        notes: {value: note}
        tags: {value: "{t}"}  # an array literal (a bare t is refused: psql would)
    public.visits: {columns: {id: keep, patient_id: keep, seen: keep, reason: {value: r}}}
"""


@pytest.fixture(scope="module")
def dumps(pg: PgServer) -> Iterator[list[bytes]]:
    name = pg.create_database("fuzz")
    pg.psql(name, SETUP)
    yield [pg.pg_dump(name, "--no-owner"), pg.pg_dump(name, "--no-owner", "--inserts")]
    pg.drop_database(name)


def _statement_starts(dump: bytes) -> list[int]:
    """Offsets of every line that begins a statement or a COPY row block."""
    starts, pos = [], 0
    for line in dump.split(b"\n"):
        if line[:1].isalpha() or line[:1] == b"\\":
            starts.append(pos)
        pos += len(line) + 1
    return starts


@st.composite
def mutants(draw: st.DrawFn, dumps: list[bytes]) -> bytes:
    data = draw(st.sampled_from(dumps))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "delete", "truncate", "truncate-statement",
                                     "crlf", "duplicate", "swap"]))
        n = len(data)
        if n == 0:
            break
        if kind == "flip":
            at = draw(st.integers(0, n - 1))
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif kind == "delete":
            at = draw(st.integers(0, n - 1))
            data = data[:at] + data[at + draw(st.integers(1, 24)):]
        elif kind == "truncate":
            data = data[: draw(st.integers(0, n))]
        elif kind == "truncate-statement":
            starts = _statement_starts(data) or [0]
            at = draw(st.sampled_from(starts)) + draw(st.integers(0, 2))
            data = data[:at]
        elif kind == "crlf":
            a = draw(st.integers(0, n))
            data = data[:a] + data[a:].replace(b"\n", b"\r\n")
        else:
            lines = data.split(b"\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "duplicate":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return data


def scrub(data: bytes, codec: ModuleType, chunk: int) -> tuple[bytes, BaseException | None]:
    out = io.BytesIO()
    try:
        scrub_stream(io.BytesIO(data), out, loads_policy(POLICY, "fuzz.yaml"), codec=codec,
                     key=KEY, chunk_size=chunk)
    except ScrubPhiError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_the_undamaged_dumps_scrub_clean(dumps: list[bytes], codec: ModuleType) -> None:
    for dump in dumps:
        assert dump.count(MARK) > 50
        out, error = scrub(dump, codec, 1 << 16)
        assert error is None and MARK not in out


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_damaged_dumps_never_leak(dumps: list[bytes], codec: ModuleType,
                                  data: st.DataObject) -> None:
    mutant = data.draw(mutants(dumps))
    chunk = data.draw(st.sampled_from([1, 7, 64, 509, 4096, 1 << 20]))
    out, error = scrub(mutant, codec, chunk)
    if error is None:
        at = out.find(MARK)
        assert at < 0, f"exit 0 with a marked value in the output: {out[at - 300 : at + 60]!r}"
    else:
        message = str(error).encode("utf-8", "surrogateescape")
        assert MARK not in message, "a marked value in the error message"
        assert out.endswith(TRAILER), "a failed scrub without its trailer"


@pytest.fixture(scope="module")
def target(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("fuzz_dst")
    yield name
    pg.drop_database(name)


@settings(max_examples=max(EXAMPLES // 20, 40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_failed_mutants_commit_nothing(pg: PgServer, dumps: list[bytes], target: str,
                                       codec: ModuleType, data: st.DataObject) -> None:
    mutant = data.draw(mutants(dumps))
    out, error = scrub(mutant, codec, data.draw(st.sampled_from([97, 1 << 20])))
    if error is None:
        return  # a mutant that still is a valid dump: the other test checks it
    result = pg.psql(target, stdin=out, args=["--single-transaction"], check=False)
    assert result.returncode != 0
    assert MARK not in result.stderr
    left = pg.query(target, "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                            "ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
    assert left == [(0,)], "psql committed part of a failed scrub"
