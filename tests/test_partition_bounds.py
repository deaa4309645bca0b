"""A transformed partition key: rows leave their partition, and the restore fails there.

Found by restoring real pg_dump output of an EHR-shaped table partitioned by
year (``encounters PARTITION BY RANGE (seen)``): with ``seen: {date: shift, per:
patient_id}``, scrubphi exited 0 and psql stopped at the first partition
("new row for relation "enc_2020" violates partition constraint"); without
``ON_ERROR_STOP`` psql goes on, and staging lacks that partition's rows. pg_dump
loads each partition's rows into the partition itself, so a transform that
changes a column of the partition key (a shifted date, a token on a hash key)
is refused before the partition's first row (exit 3) with the remedy: ``pg_dump
--load-via-partition-root`` loads every row through the partitioned table,
which sends it to the partition of its new value. Loaded that way, range and
list partitions without a ``DEFAULT`` one get a warning, and the test shows
the warning is earned.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from restore_helpers import fill, restore_error, restored
from scrubphi import scrub_stream
from scrubphi.dump.schema import Schema, parse_alter_table, parse_create_table
from scrubphi.policy import loads_policy

KEY = "partition-bounds-test-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.enc (id integer, pid integer, seen date NOT NULL, note text)
    PARTITION BY RANGE (seen);
CREATE TABLE public.enc_2020 PARTITION OF public.enc FOR VALUES FROM ('2020-01-01')
    TO ('2021-01-01');
CREATE TABLE public.enc_2021 PARTITION OF public.enc FOR VALUES FROM ('2021-01-01')
    TO ('2022-01-01');
CREATE TABLE public.enc_other PARTITION OF public.enc DEFAULT;
INSERT INTO public.enc SELECT g, g % 40, DATE '2020-01-01' + (g * 3) % 730, 'seen'
    FROM generate_series(1, 300) g;
CREATE TABLE public.obs (id integer, pid integer, code text) PARTITION BY HASH (pid);
CREATE TABLE public.obs_0 PARTITION OF public.obs FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE public.obs_1 PARTITION OF public.obs FOR VALUES WITH (modulus 2, remainder 1);
INSERT INTO public.obs SELECT g, g % 40, 'c' || g FROM generate_series(1, 200) g;
CREATE TABLE public.vis (id integer, seen date) PARTITION BY RANGE ((EXTRACT(year FROM seen)));
CREATE TABLE public.vis_2020 PARTITION OF public.vis FOR VALUES FROM (2020) TO (2021);
INSERT INTO public.vis SELECT g, DATE '2020-01-01' + g FROM generate_series(0, 360, 4) g;
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.enc:
      columns:
        id: keep
        pid: keep
        seen: {SEEN}
        note: keep
    public.obs:
      columns:
        id: keep
        pid: {PID}
        code: keep
    public.vis:
      columns:
        id: keep
        seen: {VIS}
"""

KEPT = {"SEEN": "keep", "PID": "keep", "VIS": "keep"}
SHIFT = "{date: shift, days: 365, per: pid}"


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    db = pg.create_database("partitions")
    pg.psql(db, SETUP)
    yield db
    pg.drop_database(db)


def _cli(args: list[str], stdin: bytes, tmp_path: Path, policy: str
         ) -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / "p.yaml"
    path.write_text(policy)
    return subprocess.run([sys.executable, "-m", "scrubphi", *args, "-c", str(path)],
                          input=stdin, capture_output=True,
                          env={**os.environ, "SCRUBPHI_KEY": KEY})


def test_partition_keys_and_default_partitions_are_read() -> None:
    schema = Schema()
    for sql in ("CREATE TABLE public.a (id int, seen date) PARTITION BY RANGE "
                "(date_trunc('year', seen), id);",
                "CREATE TABLE public.a_x (id int, seen date);",
                "CREATE TABLE public.a_d PARTITION OF public.a DEFAULT;"):
        info = parse_create_table(sql, 1, schema)
        assert info is not None
        schema.add(info)
    root = schema.tables[parse_create_table("CREATE TABLE public.a (id int);", 1).name]
    assert (root.partition_strategy, root.partition_key) == ("range", ("seen", "id"))
    assert [i.default_partition for i in schema.tables.values()] == [False, False, True]
    altered = parse_alter_table("ALTER TABLE ONLY public.a ATTACH PARTITION public.a_x DEFAULT;",
                                1, schema)
    assert [p[2] for p in altered.partitions] == [True]


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_a_changed_hash_key_is_refused_before_the_partitions_rows(
        pg: PgServer, source: str, tmp_path: Path, flags: tuple[str, ...]) -> None:
    dump = pg.pg_dump(source, "--no-owner", *flags)
    policy = fill(POLICY, KEPT, PID="{tokenize: digits}")
    done = _cli([], dump, tmp_path, policy)
    assert done.returncode == 3, done.stderr
    err = done.stderr.decode()
    assert "table public.obs_0 is a partition of public.obs (PARTITION BY HASH), column pid: " \
           "{tokenize: digits}: pg_dump loads a partition's rows into the partition itself, " \
           "and a row whose new values hash to another partition fails" in err
    assert "pg_dump --load-via-partition-root" in err
    for statement in (b"COPY public.", b"INSERT INTO public."):
        assert statement + b"obs_0" not in done.stdout  # none of its rows
    assert b"this output is INCOMPLETE" in done.stdout
    check = _cli(["check", "--dump", "-"], dump, tmp_path, policy)
    assert check.returncode == 3 and "public.obs_0 is a partition" in check.stderr.decode()


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "partition", "words"), [
    ({"SEEN": SHIFT}, "enc_2020", "(PARTITION BY RANGE), column seen: {date: shift, days: 365, "
                                  "per: pid}"),
    ({"VIS": "{date: year}"}, "vis_2020", "(PARTITION BY RANGE), column seen: {date: year}"),
    ({"SEEN": "{when: [{if: {pid: '3'}, then: {date: shift, days: 30}}], else: keep}"},
     "enc_2020", "column seen: {when:"),
], ids=["range-shift", "expression-key", "when-branch"])
def test_a_changed_range_key_is_warned(pg: PgServer, source: str, tmp_path: Path,
                                       change: dict[str, str], partition: str,
                                       words: str) -> None:
    for flags in ((), ("--inserts",)):
        dump = pg.pg_dump(source, "--no-owner", *flags)
        done = _cli([], dump, tmp_path, fill(POLICY, KEPT, **change))
        assert done.returncode == 0, done.stderr
        err = done.stderr.decode()
        assert f"scrubphi: warning: table public.{partition} is a partition of public." in err
        assert words in err and "a row whose new values leave its bounds fails" in err
        assert "pg_dump --load-via-partition-root" in err
        strict = _cli(["check", "--strict", "--dump", "-"], dump, tmp_path,
                      fill(POLICY, KEPT, **change))
        assert strict.returncode == 3 and words in strict.stderr.decode()


@pytest.mark.postgres
def test_the_range_warning_is_earned(pg: PgServer, source: str, tmp_path: Path) -> None:
    """What the warning is about: this policy's rows leave their partitions."""
    done = _cli([], pg.pg_dump(source, "--no-owner"), tmp_path, fill(POLICY, KEPT, SEEN=SHIFT))
    assert done.returncode == 0, done.stderr
    assert b"violates partition constraint" in restore_error(pg, done.stdout, "part_dst")


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_through_the_root_rows_find_their_new_partition(
        pg: PgServer, source: str, codec: ModuleType, flags: tuple[str, ...]) -> None:
    dump = pg.pg_dump(source, "--no-owner", "--load-via-partition-root", *flags)
    dst = io.BytesIO()
    policy = fill(POLICY, KEPT, SEEN=SHIFT, PID="{tokenize: digits}")
    report = scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "p.yaml"), codec=codec,
                          key=KEY.encode(), chunk_size=47)
    assert report.warnings == []  # enc has a DEFAULT partition, obs is hashed
    query = "COPY (SELECT count(*) FROM public.enc) TO STDOUT"
    moved = "COPY (SELECT seen FROM public.enc ORDER BY id) TO STDOUT"
    with restored(pg, dst.getvalue(), "part_dst") as db:
        assert pg.psql(db, query).stdout == pg.psql(source, query).stdout
        assert pg.psql(db, moved).stdout != pg.psql(source, moved).stdout
        assert pg.psql(db, "COPY (SELECT count(*) FROM public.obs) TO STDOUT").stdout == b"200\n"


@pytest.mark.postgres
def test_through_the_root_without_a_default_partition_is_warned(
        pg: PgServer, source: str, tmp_path: Path) -> None:
    dump = pg.pg_dump(source, "--no-owner", "--load-via-partition-root")
    done = _cli([], dump, tmp_path, fill(POLICY, KEPT, VIS="{date: shift, days: 90}"))
    assert done.returncode == 0, done.stderr
    assert b"scrubphi: warning: table public.vis (PARTITION BY RANGE), column seen: " \
           b"{date: shift, days: 90}: a new value may fall outside every partition" in done.stderr
    assert b"no partition of relation" in restore_error(pg, done.stdout, "part_dst")


@pytest.mark.postgres
def test_kept_keys_load_partitions_directly(pg: PgServer, source: str,
                                            codec: ModuleType) -> None:
    dump = pg.pg_dump(source, "--no-owner")
    dst = io.BytesIO()
    policy = fill(POLICY, KEPT).replace("note: keep", "note: {value: x}")
    scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "p.yaml"), codec=codec,
                 key=KEY.encode())
    with restored(pg, dst.getvalue(), "part_dst") as db:
        assert pg.psql(db, "COPY (SELECT DISTINCT note FROM public.enc) TO STDOUT").stdout \
            == b"x\n"

