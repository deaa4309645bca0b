"""An extension's configuration table: data in the dump, no CREATE TABLE for it.

pg_dump writes the rows of an extension's configuration tables (those the
extension's script registers with ``pg_extension_config_dump``: pg_cron's
``cron.job``, PostGIS's user rows of ``spatial_ref_sys``) after ``CREATE
EXTENSION``, which is what creates the table; the dump has no ``CREATE TABLE``
for it. scrubphi stopped every such dump ("a --data-only dump?"), and no policy
could help: ``--schema`` does not create the table either. A whole-table rule
(``keep`` or ``drop``) needs no column, so it now applies; a rule that
transforms columns still needs the schema, and the error says both ways out.

No extension shipped with PostgreSQL's contrib registers a configuration table,
so the dump below is written in pg_dump's shape for pg_cron's (the COPY header
carries the column list, as pg_dump always writes it) rather than made by
pg_dump.
"""

from __future__ import annotations

import io
from types import ModuleType

import pytest

from scrubphi import scrub_stream
from scrubphi.errors import DumpError
from scrubphi.policy import loads_policy

KEY = b"extension-config-test-key-0123456789"

COPY_FORM = b"""--
-- PostgreSQL database dump
--

CREATE EXTENSION IF NOT EXISTS pg_cron WITH SCHEMA pg_catalog;

CREATE TABLE public.patients (id integer, name text);

--
-- Data for Name: job; Type: TABLE DATA; Schema: cron; Owner: -
--

COPY cron.job (jobid, schedule, command, nodename, nodeport, database, username, active, \
jobname) FROM stdin;
1\t0 3 * * *\tVACUUM\tlocalhost\t5432\tclinic\tpostgres\tt\tnightly
\\.

COPY public.patients (id, name) FROM stdin;
1\tAnna Smith
\\.

--
-- PostgreSQL database dump complete
--

"""

INSERT_FORM = COPY_FORM.replace(
    b"COPY cron.job (jobid, schedule, command, nodename, nodeport, database, username, active, "
    b"jobname) FROM stdin;\n1\t0 3 * * *\tVACUUM\tlocalhost\t5432\tclinic\tpostgres\tt\tnightly\n"
    b"\\.\n",
    b"INSERT INTO cron.job (jobid, schedule, command, nodename, nodeport, database, username, "
    b"active, jobname) VALUES (1, '0 3 * * *', 'VACUUM', 'localhost', 5432, 'clinic', "
    b"'postgres', true, 'nightly');\n")

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    cron.job: RULE
    public.patients:
      columns:
        id: keep
        name: {fake: name}
"""


def _scrub(dump: bytes, rule: str, codec: ModuleType) -> tuple[bytes, list[str]]:
    dst = io.BytesIO()
    report = scrub_stream(io.BytesIO(dump), dst, loads_policy(POLICY.replace("RULE", rule), "p"),
                          codec=codec, key=KEY)
    return dst.getvalue(), report.warnings


@pytest.mark.parametrize("dump", [COPY_FORM, INSERT_FORM], ids=["copy", "inserts"])
def test_a_whole_table_rule_applies(dump: bytes, codec: ModuleType) -> None:
    assert (b"COPY cron.job" in dump) != (b"INSERT INTO cron.job" in dump)  # one form each
    kept, warnings = _scrub(dump, "keep", codec)
    assert b"'VACUUM'" in kept or b"\tVACUUM\t" in kept
    assert b"Anna Smith" not in kept
    assert warnings == []  # the rule is used: no "rules for tables the dump does not hold"
    dropped, _ = _scrub(dump, "drop", codec)
    assert b"VACUUM" not in dropped and b"Anna Smith" not in dropped


def test_a_column_rule_still_needs_the_schema(codec: ModuleType) -> None:
    with pytest.raises(DumpError) as failed:
        _scrub(COPY_FORM, "{columns: {command: {value: x}}}", codec)
    message = str(failed.value)
    assert "an extension's configuration table" in message
    assert "--schema FILE" in message and "a whole-table rule (keep or drop)" in message
