"""``scrubphi refresh`` of tables partitioned by a shifted date and a tokenized hash key.

``pg_dump | scrubphi | psql`` by hand gets a warning when a policy changes a
range partition's key and a refusal for a hash key (tests/test_partition_bounds.py):
pg_dump loads each partition's rows into the partition itself, and rows whose new
values belong elsewhere fail the restore. refresh's plain mode runs pg_dump itself,
so it asks for what the warning recommends: ``--load-via-partition-root``, every
row through the partitioned table, which sends it to the partition of its new
value. Before, such a refresh stopped at its policy step (the hash key) or at
its restore (a date near a year's end). Parallel and chunked mode load each
partition by itself: they refuse the hash key before anything is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pg_fixtures import PgServer
from scrubphi.refresh import RefreshError, RefreshOptions, refresh

KEY = "refresh-partitions-test-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.enc (id integer, pid integer, seen date NOT NULL) PARTITION BY RANGE (seen);
CREATE TABLE public.enc_2020 PARTITION OF public.enc FOR VALUES FROM ('2020-01-01')
    TO ('2021-01-01');
CREATE TABLE public.enc_2021 PARTITION OF public.enc FOR VALUES FROM ('2021-01-01')
    TO ('2022-01-01');
CREATE TABLE public.enc_other PARTITION OF public.enc DEFAULT;
INSERT INTO public.enc SELECT g, g % 50, DATE '2020-12-01' + (g % 60)
    FROM generate_series(1, 600) g;
CREATE TABLE public.obs (id integer, pid integer) PARTITION BY HASH (pid);
CREATE TABLE public.obs_0 PARTITION OF public.obs FOR VALUES WITH (modulus 2, remainder 0);
CREATE TABLE public.obs_1 PARTITION OF public.obs FOR VALUES WITH (modulus 2, remainder 1);
INSERT INTO public.obs SELECT g, g % 50 FROM generate_series(1, 300) g;
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
        seen: {date: shift, days: 365, per: pid}
    public.obs:
      columns:
        id: keep
        pid: {tokenize: digits}
"""


@pytest.mark.postgres
def test_rows_go_to_the_partition_of_their_new_value(pg: PgServer, tmp_path: Path) -> None:
    source, staging = pg.create_database("part_src"), pg.create_database("part_stg")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    try:
        pg.psql(source, SETUP)
        result = refresh(_options(pg, source, staging, policy, jobs=1))
        assert result.ok and all(c.ok for c in result.checks), result.to_dict()
        counts = pg.query(staging, "SELECT (SELECT count(*) FROM public.enc), "
                                   "(SELECT count(*) FROM public.obs)")
        assert counts == [(600, 300)]
        moved = pg.query(staging, "SELECT count(*) FROM public.enc_2021 WHERE pid IN "
                                  "(SELECT pid FROM public.enc_2020)")
        assert moved[0][0] > 0  # one patient's dates on both sides of a year's end
        src = pg.query(source, "SELECT array_agg(seen ORDER BY id) FROM public.enc")
        assert pg.query(staging, "SELECT array_agg(seen ORDER BY id) FROM public.enc") != src
    finally:
        pg.drop_database(staging)
        pg.drop_database(source)


@pytest.mark.postgres
@pytest.mark.parametrize("mode", [{"jobs": 2}, {"jobs": 2, "chunked": True, "chunk_rows": 100}],
                         ids=["parallel", "chunked"])
def test_modes_that_load_partitions_directly_refuse_a_hash_key_first(
        pg: PgServer, tmp_path: Path, mode: dict[str, Any]) -> None:
    source, staging = pg.create_database("part_src"), pg.create_database("part_stg")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    try:
        pg.psql(source, SETUP)
        with pytest.raises(RefreshError) as failed:
            refresh(_options(pg, source, staging, policy, **mode))
        assert failed.value.step == "policy"
        assert any("public.obs_0 is a partition of public.obs (PARTITION BY HASH)" in d
                   for d in failed.value.details)
        assert pg.query(staging, "SELECT count(*) FROM pg_class WHERE relname = 'enc'") \
            == [(0,)]  # nothing was created
    finally:
        pg.drop_database(staging)
        pg.drop_database(source)


def _options(pg: PgServer, source: str, staging: str, policy: Path,
             **mode: Any) -> RefreshOptions:
    return RefreshOptions(source_url=pg.dsn(source), staging_url=pg.dsn(staging),
                          configs=(str(policy),), key=KEY.encode(), keep=0, grace_s=0.5,
                          pg_bin=pg.bin_dir, log=lambda _msg: None, **mode)
