"""How the scrubber reads a dump: small chunks, and rows longer than a chunk in growing reads.

Why tested: the chunk size is what keeps memory constant (every buffer of a
chunk under glibc's mmap threshold is reused from malloc's free lists, see
``DEFAULT_CHUNK_SIZE``), and a small chunk must not make a long row (a note of
megabytes) quadratic: each feed copies what is held back, so the reads must
grow with it. Real pg_dump output, restored with the real psql; both codecs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.api import check_dump
from scrubphi.audit import audit_dump
from scrubphi.dump.rewriter import DEFAULT_CHUNK_SIZE, learn_schema
from scrubphi.policy import loads_policy

KEY = b"chunking-test-key-0123456789abcdef"
LONG = 3 << 20  # a 3 MiB note: 48 chunks

SETUP = f"""
CREATE TABLE public.notes (id integer PRIMARY KEY, author text NOT NULL, body text NOT NULL);
INSERT INTO public.notes
  SELECT i, 'Author ' || i, repeat('stable vitals, afebrile. ', 4) FROM generate_series(1, 200) i;
INSERT INTO public.notes VALUES (201, 'Author 201', repeat('x', {LONG}));
"""

POLICY = """
version: 1
scrub:
  tables:
    public.notes:
      columns:
        id: keep
        author: {fake: name}
        body: keep
"""


class CountingReader(io.BytesIO):
    """A source that counts the reads asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


@pytest.fixture(scope="module")
def dump(pg: PgServer) -> Iterator[bytes]:
    name = pg.create_database("chunking")
    pg.psql(name, SETUP)
    yield pg.pg_dump(name, "--no-owner")
    pg.drop_database(name)


def test_the_chunk_and_its_joined_line_stay_under_glibcs_mmap_threshold() -> None:
    # A chunk plus a held-back line of up to a chunk must stay below 128 KiB, or
    # malloc maps and unmaps every buffer (page faults) or lets the heap creep.
    assert 2 * DEFAULT_CHUNK_SIZE <= 128 * 1024


def test_a_row_longer_than_a_chunk_is_read_in_growing_reads(
        dump: bytes, codec: ModuleType, pg: PgServer) -> None:
    src = CountingReader(dump)
    dst = io.BytesIO()
    report = scrub_stream(src, dst, loads_policy(POLICY, "p.yaml"), codec=codec, key=KEY)
    assert report.rows == 201
    # Fixed-size reads would take len(dump) / chunk (~50) reads; growing ones take
    # about log2(row / chunk) more than the rows around it need.
    chunks = math.ceil(len(dump) / DEFAULT_CHUNK_SIZE)
    assert chunks > 40
    assert len(src.reads) <= 16, src.reads
    assert max(src.reads) >= LONG // 2  # it grew
    assert min(src.reads) == DEFAULT_CHUNK_SIZE
    name = pg.create_database("chunking_dst")
    try:
        pg.psql(name, stdin=dst.getvalue(), args=["--single-transaction"])
        done = pg.psql(name, "COPY (SELECT id, author, length(body), md5(body) "
                             "FROM public.notes ORDER BY id) TO STDOUT")
        rows = [line.split("\t") for line in done.stdout.decode().splitlines()]
        assert len(rows) == 201
        assert rows[-1][2] == str(LONG)  # the long note went through whole
        assert sum(1 for r in rows if r[1] == f"Author {r[0]}") == 0  # every author faked
    finally:
        pg.drop_database(name)


def test_checks_and_audits_read_long_rows_the_same_way(dump: bytes, codec: ModuleType) -> None:
    pol = loads_policy(POLICY, "p.yaml")
    src = CountingReader(dump)
    problems, report = check_dump(src, pol)
    assert problems == [] and report.rows == 201
    assert len(src.reads) <= 16
    src = CountingReader(dump)
    audit_dump(src, pol)
    assert len(src.reads) <= 16
    src = CountingReader(dump)
    schema = learn_schema(src, pol)
    assert len(src.reads) <= 16
    assert any(str(t).endswith("notes") for t in schema.tables)
