"""The streaming rewriter on real pg_dump output and on hand-made edge cases.

Every behaviour test here takes the ``codec`` fixture, so it runs on the
pure-Python and on the compiled row codec.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubphi import CoverageError, DumpError, Scrubber, scrub_stream
from scrubphi.api import check_dump
from scrubphi.policy import loads_policy
from scrubphi.policy.model import Policy
from shared_paths import PGDUMP_FIXTURES

FIXTURES = PGDUMP_FIXTURES

KEY = b"k" * 32

KEEP_ALL = """
version: 1
scrub:
  large_objects: keep
  tables:
    '"Weird Schema"."Pat,ients"': keep
    public.UPPER: keep
    public.idcol: keep
    public.measurements: keep
    "public.new\\nline": keep
    public.nocols: keep
"""

# The same tables with real transforms on the PHI columns.
SCRUB_EDGE = """
version: 1
scrub:
  tables:
    '"Weird Schema"."Pat,ients"':
      columns:
        id: keep
        First Name: {fake: first_name}
        '"a""b"': {mask: {keep_last: 2}}
        notes: {value: "[redacted]"}
        tags: keep
        doc: null
        photo: null
        dob: {date: shift, days: 30, per: id}
        full_name: keep
    public.UPPER:
      columns:
        Id: keep
        sp ace: hash
    public.idcol: keep
    public.measurements:
      columns:
        id: keep
        city: {fake: city}
        logdate: keep
    "public.new\\nline":
      columns:
        "col\\ttab": {tokenize: alnum}
        x y: keep
    public.nocols: keep
"""


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*.sql") if "pg_dump" in p.name)


def policy(text: str) -> Policy:
    return loads_policy(text, "test.yaml")


def run(data: bytes, pol: Policy, codec: ModuleType, chunks: list[int] | None = None,
        out: list[bytes] | None = None) -> bytes:
    """Scrub ``data`` fed in pieces of the given sizes (the rest in one piece); what each
    piece gave is appended to ``out`` as it comes (so it is there after an error)."""
    scrubber = Scrubber(pol, codec=codec, key=KEY)
    out = [] if out is None else out
    pos = 0
    for size in chunks or []:
        out.append(scrubber.feed(data[pos : pos + size]))
        pos += size
    out.append(scrubber.feed(data[pos:]))
    out.append(scrubber.close())
    return b"".join(out)


def fail(data: bytes, pol: Policy, codec: ModuleType) -> tuple[Exception, bytes]:
    """Scrub through scrub_stream and return the error and everything written."""
    dst = io.BytesIO()
    with pytest.raises(Exception) as info:
        scrub_stream(io.BytesIO(data), dst, pol, codec=codec, key=KEY, chunk_size=97)
    return info.value, dst.getvalue()


# -- identity on real dumps ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [p for p in fixture_files() if "statistics" not in p.name],
    ids=lambda p: p.name,
)
def test_keep_all_is_byte_identical(path: Path, codec: ModuleType) -> None:
    """A policy that keeps every table reproduces each real dump byte for byte."""
    data = path.read_bytes()
    assert run(data, policy(KEEP_ALL), codec) == data
    assert run(data, policy(KEEP_ALL), codec, chunks=[1] * 300 + [7] * 400) == data


def test_statistics_are_dropped(codec: ModuleType) -> None:
    """pg_dump 18 --statistics entries carry column values: the default policy drops them."""
    data = (FIXTURES / "patients.pg_dump-18.6.statistics.sql").read_bytes()
    out = run(data, policy(KEEP_ALL), codec)
    assert b"pg_restore_attribute_stats" not in out
    assert b"pg_restore_relation_stats" not in out
    assert b"Jane" not in out.split(b"\\.\n", 1)[1]  # values after the data block are gone
    stripped = re.sub(
        rb"SELECT \* FROM pg_catalog\.pg_restore_\w+\(.*?\n\);", b"", data, flags=re.S
    )
    assert out == stripped


def test_statistics_fail_policy(codec: ModuleType) -> None:
    """statistics: fail stops the run at the first statistics entry."""
    data = (FIXTURES / "patients.pg_dump-18.6.statistics.sql").read_bytes()
    pol = policy(KEEP_ALL.replace("large_objects: keep", "statistics: fail"))
    err, _ = fail(data, pol, codec)
    assert isinstance(err, DumpError)
    assert "statistics" in str(err)


def test_large_objects_dropped_by_default(codec: ModuleType) -> None:
    """large_objects: drop removes the lowrite calls (the data) and keeps a restorable script."""
    data = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    pol = policy(KEEP_ALL.replace("  large_objects: keep\n", ""))
    out = run(data, pol, codec)
    assert b"lowrite" not in out
    assert b"lo_open" in out and b"lo_close" in out
    assert b"7365637265742070617469656e74207363616e" not in out


def test_large_objects_fail(codec: ModuleType) -> None:
    """large_objects: fail stops the run when the dump has any."""
    data = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    err, _ = fail(data, policy(KEEP_ALL.replace("keep\n", "fail\n", 1)), codec)
    assert isinstance(err, DumpError) and "large objects" in str(err)


# -- transforms applied through the stream ---------------------------------


def copy_block(out: bytes, header_start: bytes) -> list[list[bytes]]:
    start = out.index(header_start)
    body = out[out.index(b"FROM stdin;\n", start) + len(b"FROM stdin;\n") :]
    rows = body[: body.index(b"\\.\n")]
    return [line.split(b"\t") for line in rows.split(b"\n")[:-1]]


@pytest.mark.parametrize("name", ["edge.pg_dump-15.18.sql", "edge.pg_dump-18.6.sql"])
def test_edge_dump_scrubbed(name: str, codec: ModuleType) -> None:
    """PHI columns change, kept columns and everything outside the data stay identical."""
    data = (FIXTURES / name).read_bytes()
    out = run(data, policy(SCRUB_EDGE), codec)
    before = copy_block(data, b'COPY "Weird Schema"."Pat,ients"')
    after = copy_block(out, b'COPY "Weird Schema"."Pat,ients"')
    assert len(before) == len(after) == 3
    for old, new in zip(before, after, strict=True):
        assert new[0] == old[0]  # id kept
        assert new[4] == old[4]  # tags kept
        assert new[3] == b"[redacted]"
        assert new[5] == b"\\N" and new[6] == b"\\N"
        if old[1] != b"\\N":
            assert new[1] != old[1]
        if old[7] != b"\\N":
            assert new[7] != old[7] and re.fullmatch(rb"\d{4}-\d\d-\d\d", new[7])
    upper = copy_block(out, b'COPY public."UPPER"')
    assert upper[0][0] == b"1" and upper[0][1] != b"\\\\."
    newline = copy_block(out, b'COPY public."new\nline"')
    assert newline[0][1] == b"1" and len(newline[0][0]) == 1
    # outside the COPY blocks, nothing changed
    strip = re.compile(rb"FROM stdin;\n.*?\n\\\.\n", re.S)
    lowrite = re.compile(rb"SELECT pg_catalog\.lowrite\(.*?\);")
    assert strip.sub(b"", out) == lowrite.sub(b"", strip.sub(b"", data))
    assert b"Tab\\there" not in out and b"Line1\\nLine2" not in out


def test_partition_rule_covers_leaves_with_and_without_root(codec: ModuleType) -> None:
    """A rule for a partitioned table applies to its leaves, and to COPY into the root."""
    for name in ["edge.pg_dump-15.18.sql", "edge.pg_dump-15.18.load-via-root.quote-all.sql"]:
        data = (FIXTURES / name).read_bytes()
        out = run(data, policy(SCRUB_EDGE), codec)
        assert b"Boston" not in out and b"Quincy" not in out, name


def test_pg_dumpall_policy_applies_to_each_database(codec: ModuleType) -> None:
    """pg_dumpall output: the policy is checked and applied in every database."""
    data = (FIXTURES / "cluster.pg_dumpall-15.18.sql").read_bytes()
    out = run(data, policy(SCRUB_EDGE.replace("version: 1\n", "version: 1\n", 1)), codec)
    assert b"Boston" not in out
    assert out.count(b"\\connect") == data.count(b"\\connect")


def parse_identifier_bytes(raw: bytes) -> str:
    text = raw.decode()
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def table_values(dump: bytes) -> dict[str, list[tuple[str | None, ...]]]:
    """Every table's rows as text values, from COPY blocks or INSERT statements."""
    from scrubphi import _impl
    from scrubphi.dump.inserts import literal_value, parse_insert
    from scrubphi.dump.schema import parse_copy
    from scrubphi.policy.model import TableName

    tables: dict[str, list[tuple[str | None, ...]]] = {}
    copy_blocks = re.finditer(
        rb"(?<=\n\n)(COPY [^;]*? FROM stdin;)\n(.*?)^\\\.$", dump, re.M | re.S
    )
    for m in copy_blocks:
        name = str(parse_copy(m.group(1).decode(), 0).table)
        rows = tables.setdefault(name, [])
        for line in m.group(2).split(b"\n")[:-1]:
            fields = [_impl.unescape_field(f) for f in line.split(b"\t")] if line else []
            rows.append(tuple(None if f is None else f.decode() for f in fields))
    for m in re.finditer(rb"(?<=\n)INSERT INTO .*?;$(?=\n)", dump, re.M | re.S):
        stmt = parse_insert(m.group(0))
        assert stmt.schema is not None
        unquote = parse_identifier_bytes
        name = str(TableName(unquote(stmt.schema), unquote(stmt.table)))
        rows = tables.setdefault(name, [])
        if stmt.default_values:
            rows.append(())
        for row in stmt.rows:
            values = [literal_value(m.group(0), lit) for lit in row if lit.kind != "default"]
            rows.append(tuple(values))
    return {k: sorted(v, key=repr) for k, v in tables.items()}


@pytest.mark.parametrize(
    "form",
    ["edge.pg_dump-15.18.inserts.sql", "edge.pg_dump-15.18.column-inserts-rows2.sql"],
)
def test_insert_forms_scrub_to_the_same_values_as_copy(form: str, codec: ModuleType) -> None:
    """The same data dumped as COPY and as INSERTs scrubs to the same values."""
    copy_out = run((FIXTURES / "edge.pg_dump-15.18.sql").read_bytes(), policy(SCRUB_EDGE), codec)
    insert_dump = (FIXTURES / form).read_bytes()
    insert_out = run(insert_dump, policy(SCRUB_EDGE), codec)
    assert b"INSERT INTO" in insert_out and b"FROM stdin;\n1" not in insert_out
    expected = table_values(copy_out)
    got = table_values(insert_out)
    assert got.keys() == expected.keys()
    for table, rows in expected.items():
        assert got[table] == rows, table
    assert b"Boston" not in insert_out and b"Tab\there" not in insert_out
    # outside the changed literals, the statements are untouched
    assert insert_out.count(b"INSERT INTO") == insert_dump.count(b"INSERT INTO")
    assert b"OVERRIDING SYSTEM VALUE VALUES" in insert_out


def test_inserts_keep_all_identical(codec: ModuleType) -> None:
    """A keep-everything policy reproduces --inserts dumps byte for byte."""
    for name in ["edge.pg_dump-15.18.inserts.sql", "edge.pg_dump-15.18.column-inserts-rows2.sql"]:
        data = (FIXTURES / name).read_bytes()
        assert run(data, policy(KEEP_ALL), codec) == data


INSERT_DUMP = b"""CREATE TABLE public.p (
    id integer NOT NULL,
    name text,
    born date
);

INSERT INTO public.p VALUES (1, 'O''Brien
the second', '1970-01-02'), (2, NULL, '1980-03-04') ON CONFLICT DO NOTHING;
INSERT INTO public.p (id, name, born) VALUES (3, E'tab\\there', NULL);

--
-- PostgreSQL database dump complete
--
"""


def test_insert_literals_quoting_nulls_and_on_conflict(codec: ModuleType) -> None:
    """Doubled quotes, raw newlines, E'' strings, NULLs and ON CONFLICT all survive scrubbing."""
    out = run(INSERT_DUMP, policy(SMALL_POLICY), codec)
    assert b"O''Brien" not in out and b"tab" not in out.split(b"VALUES (3")[1].split(b";")[0]
    assert b"ON CONFLICT DO NOTHING;" in out
    assert b"(2, NULL," in out and b"', NULL);" in out


@pytest.mark.parametrize(
    "statement",
    [
        b"INSERT INTO public.p SELECT 1, 'x', NULL;\n",
        b"INSERT INTO public.p VALUES (1, upper('x'), NULL);\n",
        b"INSERT INTO public.p VALUES (1, 'x');\n",
    ],
)
def test_insert_forms_not_understood_stop_the_run(statement: bytes, codec: ModuleType) -> None:
    """INSERT ... SELECT, function calls and short rows are refused, never passed through."""
    data = (
        b"CREATE TABLE public.p (\n    id integer,\n    name text,\n    born date\n);\n" + statement
    )
    err, out = fail(data, policy(SMALL_POLICY), codec)
    assert isinstance(err, DumpError)
    assert b"'x'" not in out


# -- failing closed --------------------------------------------------------


def test_uncovered_tables_and_columns_listed_at_once(codec: ModuleType) -> None:
    """Every uncovered table and column is listed, and no data row has been written."""
    pol = policy("""
version: 1
scrub:
  tables:
    '"Weird Schema"."Pat,ients"':
      columns:
        id: keep
        notes: keep
""")
    data = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    err, out = fail(data, pol, codec)
    assert isinstance(err, CoverageError)
    text = "\n".join(err.uncovered)
    for name in ['"First Name"', "tags", "dob", "UPPER", "idcol", "nocols", "measurements_2020"]:
        assert name in text, name
    assert "full_name" not in text  # generated: not in the data
    assert b"Data for Name" not in out and b"Boston" not in out
    assert out.endswith(b"END $scrubphi$;\n")


def test_null_on_not_null_column_refused(codec: ModuleType) -> None:
    """null on a NOT NULL column is refused before any row leaves."""
    pol = policy(SCRUB_EDGE.replace("        id: keep\n", "        id: null\n", 1))
    err, _out = fail((FIXTURES / "edge.pg_dump-15.18.sql").read_bytes(), pol, codec)
    assert isinstance(err, CoverageError) and "NOT NULL" in str(err)


def test_check_dump_lists_problems_without_writing() -> None:
    """check_dump reads the schema, lists problems, and never needs the key."""
    pol = policy("version: 1\nscrub:\n  tables:\n    public.idcol: keep\n")
    data = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    problems, _report = check_dump(io.BytesIO(data), pol)
    assert any("UPPER" in p for p in problems)
    assert not any("idcol" in p for p in problems)
    problems, _ = check_dump(io.BytesIO(data), policy(SCRUB_EDGE))
    assert problems == []


SMALL = b"""--
-- PostgreSQL database dump
--

CREATE TABLE public.p (
    id integer NOT NULL,
    name text,
    born date
);

COPY public.p (id, name, born) FROM stdin;
1\tAlice Example\t1970-01-02
2\tBob Example\t1980-03-04
\\.

--
-- PostgreSQL database dump complete
--

"""

SMALL_POLICY = """
version: 1
scrub:
  tables:
    public.p:
      columns:
        id: keep
        name: {fake: name}
        born: {date: shift, days: 10}
"""


def assert_poisoned(out: bytes) -> None:
    assert out.endswith(b"END $scrubphi$;\n")
    assert b"Alice Example" not in out


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[: d.index(b"2\tBob")], "ended inside COPY"),
        (lambda d: d[: d.index(b"--\n-- PostgreSQL database dump complete")], "truncated"),
        (lambda d: d[: d.index(b"id integer") + 4], "ended inside"),
        (
            lambda d: d.replace(b"2\tBob Example\t1980-03-04", b"2\tBob Example"),
            "expected 3 fields",
        ),
        (lambda d: d.replace(b"Bob Example", b"Bob \\q"), "bad escape"),
        (lambda d: d.replace(b"Bob Example", b"Bob \\377"), "invalid UTF-8"),
        (lambda d: d.replace(b"Bob Example", b"B" * 5000), "longer than"),
    ],
    ids=[
        "truncated-copy",
        "truncated-at-statement",
        "truncated-in-statement",
        "field-count",
        "bad-escape",
        "invalid-utf8",
        "long-row",
    ],
)
def test_bad_input_fails_closed(mutate: object, message: str, codec: ModuleType) -> None:
    """Bad input stops with a DumpError naming the place, never the value, and a poison pill."""
    data = mutate(SMALL)  # type: ignore[operator]
    pol = policy(SMALL_POLICY.replace("scrub:\n", "scrub:\n  max_row_size: 1KiB\n"))
    err, out = fail(data, pol, codec)
    assert isinstance(err, DumpError), err
    assert message in str(err)
    assert "Bob" not in str(err) and "\\377" not in str(err)
    if "fields" in message or "escape" in message or "UTF-8" in message:
        assert err.line == 13 and err.table == "public.p"
    if "escape" in message or "UTF-8" in message:
        assert err.column == "name"
    assert out.endswith(b"END $scrubphi$;\n")
    if "COPY" in message or "fields" in message:
        assert b"\\.\n\n-- scrubphi" in out


def _tar(data: bytes) -> bytes:
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("toc.dat")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _compressed(kind: str) -> bytes:
    import bz2
    import gzip
    import lzma

    return {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress,
            "custom-format": lambda d: b"PGDMP\x01\x0f\x00\x04\x08\x01\x01" + d,
            "tar-format": _tar,
            # (the frame magics of zstd and lz4, which the standard library cannot write)
            "zstd": lambda d: b"\x28\xb5\x2f\xfd" + d, "lz4": lambda d: b"\x04\x22\x4d\x18" + d,
            "binary": lambda d: d[:40] + b"\x00" + d[40:]}[kind](SMALL)


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz", "zstd", "lz4", "custom-format",
                                  "tar-format", "binary"])
@pytest.mark.parametrize("chunks", [None, [1] * 400], ids=["whole", "bytewise"])
def test_archives_and_compressed_input_are_named(kind: str, chunks: list[int] | None,
                                                 codec: ModuleType) -> None:
    """An archive or a compressed dump is named at line 1 with what to run instead, before
    any byte is written (it was "an unknown statement" or a pass-through of its bytes)."""
    written: list[bytes] = []
    with pytest.raises(DumpError) as info:
        run(_compressed(kind), policy(SMALL_POLICY), codec, chunks, written)
    assert not b"".join(written)
    assert info.value.line == 1
    assert (kind if kind != "binary" else "NUL bytes") in str(info.value)
    assert ("pg_restore -f -" if "format" in kind else "binary" if kind == "binary"
            else "decompress it first") in str(info.value)


def test_short_input_is_held_for_its_first_bytes_then_read(codec: ModuleType) -> None:
    """Input shorter than the bytes that tell its form is read at close as before."""
    with pytest.raises(DumpError, match="before pg_dump's 'dump complete' line"):
        run(b"--\n-- PostgreSQL database dump\n--\n", policy(SMALL_POLICY), codec,
            chunks=[1] * 10)
    with pytest.raises(DumpError, match="SELECT statement"):
        run(b"SELECT 1;\n", policy(SMALL_POLICY), codec)
    with pytest.raises(DumpError, match="not a whole pg_dump"):
        run(b"", policy(SMALL_POLICY), codec)
    assert run(SMALL, policy(SMALL_POLICY), codec, chunks=[1] * len(SMALL)) == \
        run(SMALL, policy(SMALL_POLICY), codec)


@pytest.mark.parametrize("chunk_size", [1, 5, 97, 1 << 20])
def test_error_line_counts_the_rows_of_rewritten_blocks(chunk_size: int, codec: ModuleType) -> None:
    """A line number after a rewritten COPY block counts its rows, however the input is cut."""
    rows = b"".join(b"%d\tName %d\t1970-01-02\n" % (i, i) for i in range(3, 60))
    data = SMALL.replace(b"1980-03-04\n", b"1980-03-04\n" + rows).replace(
        b"\n--\n-- PostgreSQL database dump complete",
        b"\nCOPY public.p (id, name, born) FROM stdin;\n70\tA\t1970-01-02\n71\tEve\n\\.\n"
        b"\n--\n-- PostgreSQL database dump complete",
    )
    expected = data[: data.index(b"71\tEve")].count(b"\n") + 1
    dst = io.BytesIO()
    with pytest.raises(DumpError) as info:
        scrub_stream(io.BytesIO(data), dst, policy(SMALL_POLICY), codec=codec, key=KEY,
                     chunk_size=chunk_size)
    assert "expected 3 fields" in str(info.value)
    assert info.value.line == expected == 75


@pytest.mark.parametrize(
    "statement",
    [
        b"UPDATE public.p SET name = 'x';\n",
        b"DO $$ BEGIN INSERT INTO public.p VALUES (9, 'x', NULL); END $$;\n",
        b"SELECT 'Alice Example';\n",
        b"\\copy public.p from stdin\n",
        b"COPY public.p (id, name, born) FROM stdin WITH (FORMAT csv);\n",
    ],
)
def test_unknown_data_forms_stop_the_run(statement: bytes, codec: ModuleType) -> None:
    """A statement that may carry rows and is not understood is never passed through."""
    data = SMALL.replace(b"COPY public.p", statement + b"COPY public.p", 1)
    err, out = fail(data, policy(SMALL_POLICY), codec)
    assert isinstance(err, DumpError)
    assert statement not in out


# -- the lexer is not fooled ---------------------------------------------


TRAPS = b"""CREATE FUNCTION public.h() RETURNS void
    LANGUAGE plpgsql
    AS $_$
BEGIN
EXECUTE $q$
COPY public.p (id, name, born) FROM stdin;
$q$;
END $_$;

CREATE FUNCTION public.s() RETURNS text LANGUAGE sql AS '
SELECT ''COPY public.p (id) FROM stdin;'';
';
COMMENT ON TABLE public.p IS E'it''s \\'; COPY x FROM stdin; -- not a comment';
CREATE RULE r AS ON INSERT TO public.p DO INSTEAD (SELECT 1; SELECT 2);
"""


def test_lexer_not_fooled_by_bodies_strings_and_comments(codec: ModuleType) -> None:
    """COPY text inside function bodies, strings and comments is not a COPY statement."""
    data = SMALL.replace(
        b"COPY public.p", TRAPS.replace(b"CREATE RULE", b"CREATE RULE") + b"COPY public.p", 1
    )
    data = data.replace(
        b"CREATE RULE r AS ON INSERT TO public.p DO INSTEAD (SELECT 1; SELECT 2);\n", b""
    )
    out = run(data, policy(SMALL_POLICY), codec)
    assert out.count(b"FROM stdin;\n") == data.count(b"FROM stdin;\n")
    assert b"Alice Example" not in out
    assert out.replace(
        out[out.index(b"COPY public.p (id, name, born) FROM stdin;\n1") :], b""
    ) == data.replace(data[data.index(b"COPY public.p (id, name, born) FROM stdin;\n1") :], b"")


@pytest.mark.parametrize(
    "comment",
    [
        b"/* a /* nested */ comment; COPY public.p FROM stdin; */\n",
        b"-- COPY public.p (id, name, born) FROM stdin;\n",
        b"--1\tAlice Example\t1970-01-02\n",  # a row joined to a comment by a lost newline
        b"-- Name: p; Type: TABLE; Schema: public; Owner: -\tAlice Example\n",
        # An INSERT joined to the end of a header comment (found by tests/test_fuzz_dumps.py)
        b"-- Dumped by pg_dump version 15.20 (INSERT INTO public.p VALUES (1, 'Alice Example', "
        b"NULL);\n",
        b"-- Name: p; Type: TABLE; Schema: public; Owner: -INSERT INTO public.p VALUES "
        b"(1, 'Alice Example', NULL);\n",
    ],
)
def test_comments_pg_dump_does_not_write_stop_the_run(comment: bytes, codec: ModuleType) -> None:
    """Between statements only pg_dump's own comment lines pass: data joined to a comment
    line would otherwise pass through as a comment."""
    data = SMALL.replace(b"COPY public.p", comment + b"COPY public.p", 1)
    exc, out = fail(data, policy(SMALL_POLICY), codec)
    assert "a comment pg_dump does not write" in str(exc) and b"Alice" not in out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_output_independent_of_chunking(data: st.DataObject, codec: ModuleType) -> None:
    """Output is the same however the input is split into chunks."""
    dump = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    pol = policy(SCRUB_EDGE)
    whole = run(dump, pol, codec)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(dump)), max_size=40)))
    sizes = [b - a for a, b in zip([0, *cuts], cuts, strict=False)]
    assert run(dump, pol, codec, chunks=sizes) == whole


# Rows that look like the end-of-data line, or begin like it, without being it.
# Rows of a one-column table that pg_dump can write and that look like the end line.
_TRICKY_ROWS = [b"\\\\.", b"a\\\\.", b".", b"\\\\", b"x\\t\\\\.\\\\.", b"\\N", b"",
                b"\\\\.\\t1"]

PASS_THROUGH = """
version: 1
scrub:
  tables:
    public.k: keep
    public.d: drop
    public.p:
      columns:
        id: keep
        name: {fake: name}
        born: {date: shift, days: 10}
"""


def _pass_through_dump(rows: list[bytes]) -> bytes:
    body = b"".join(r + b"\n" for r in rows)
    head = SMALL.split(b"COPY public.p", 1)[0]
    tables = b"CREATE TABLE public.k (v text);\nCREATE TABLE public.d (v text);\n\n"
    blocks = (
        b"COPY public.k (v) FROM stdin;\n" + body + b"\\.\n\n"
        b"COPY public.d (v) FROM stdin;\n" + body + b"\\.\n\n"
        b"COPY public.p" + SMALL.split(b"COPY public.p", 1)[1]
    )
    return head + tables + blocks


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_kept_and_dropped_blocks_end_exactly_at_their_end_line(
    data: st.DataObject, codec: ModuleType
) -> None:
    """However the input is cut, a kept block passes byte for byte, a dropped one vanishes,
    and the block after them is still scrubbed: no row that merely looks like the
    end-of-data line ends a block early, and the real one is found across any cut."""
    rows = data.draw(st.lists(st.sampled_from(_TRICKY_ROWS), max_size=12))
    dump = _pass_through_dump(rows)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(dump)), max_size=30)))
    sizes = [b - a for a, b in zip([0, *cuts], cuts, strict=False)]
    scrubber = Scrubber(policy(PASS_THROUGH), codec=codec, key=KEY)
    pieces, pos = [], 0
    for size in [*sizes, len(dump)]:
        pieces.append(scrubber.feed(dump[pos : pos + size]))
        pos += size
    out = b"".join(pieces) + scrubber.close()
    counts = {t.table: (t.rows, t.rows_dropped) for t in scrubber.report.tables}
    assert counts["public.k"] == (len(rows), 0) and counts["public.d"] == (0, len(rows))
    body = b"".join(r + b"\n" for r in rows)
    assert b"COPY public.k (v) FROM stdin;\n" + body + b"\\.\n" in out
    assert b"COPY public.d (v) FROM stdin;\n\\.\n" in out
    assert b"Alice Example" not in out and b"Bob Example" not in out
    assert out == run(dump, policy(PASS_THROUGH), codec)


def test_two_runs_identical_and_other_key_differs(codec: ModuleType) -> None:
    """Same key, policy and input give identical bytes; another key gives other output."""
    dump = (FIXTURES / "edge.pg_dump-15.18.sql").read_bytes()
    pol = policy(SCRUB_EDGE)
    assert run(dump, pol, codec) == run(dump, pol, codec)
    other = Scrubber(pol, codec=codec, key=b"x" * 32)
    out = other.feed(dump) + other.close()
    assert out != run(dump, pol, codec)


def test_report_counts_without_values(codec: ModuleType) -> None:
    """The report counts rows and values per column, and holds no value."""
    scrubber = Scrubber(policy(SMALL_POLICY), codec=codec, key=KEY)
    scrubber.feed(SMALL)
    scrubber.close()
    report = scrubber.report.to_dict()
    (table,) = report["tables"]
    assert table["table"] == "public.p" and table["rows"] == 2
    assert table["columns"]["name"]["transformed"] == 2
    assert table["columns"]["id"]["kept"] == 2
    assert "Alice" not in scrubber.report.to_json()


def test_transform_failure_names_the_place_not_the_value(codec: ModuleType) -> None:
    """A value a transform cannot handle stops the run at its line, table and column."""
    data = SMALL.replace(b"1980-03-04", b"Bob-was-here")
    err, out = fail(data, policy(SMALL_POLICY), codec)
    assert isinstance(err, DumpError)
    assert err.line == 13 and err.table == "public.p" and err.column == "born"
    assert "date transform cannot handle this value" in str(err)
    assert "Bob" not in str(err)
    assert_poisoned(out)


def test_check_dump_on_schema_only_dump() -> None:
    """A schema-only dump (no data rows) is still checked: CI can run check on pg_dump -s."""
    schema_only = (
        SMALL[: SMALL.index(b"COPY public.p")]
        + SMALL[SMALL.index(b"--\n-- PostgreSQL database dump complete") :]
    )
    partial = policy(
        "version: 1\nscrub:\n  tables:\n    public.p:\n      columns:\n        id: keep\n"
    )
    problems, _ = check_dump(io.BytesIO(schema_only), partial)
    assert problems == [
        "table public.p, column name: not in the policy (unknown_columns: fail)",
        "table public.p, column born: not in the policy (unknown_columns: fail)",
    ]
    problems, _ = check_dump(io.BytesIO(schema_only), policy(SMALL_POLICY))
    assert problems == []


_ENCODED = b"""--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET client_encoding = 'NAME';
SET standard_conforming_strings = on;

CREATE TABLE public.t (
    id integer,
    name text
);

COPY public.t (id, name) FROM stdin;
1\tJane Doe
\\.

--
-- PostgreSQL database dump complete
--
"""
_NAME_POLICY = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        id: keep
        name: {fake: name}
"""


@pytest.mark.parametrize("name", [b"UTF8", b"utf8", b"UTF-8", b"UNICODE", b"SQL_ASCII"])
def test_utf8_and_sql_ascii_dumps_are_read(codec: ModuleType, name: bytes) -> None:
    """UTF-8 under each of its names, and SQL_ASCII (a server that converts nothing:
    its bytes are checked as UTF-8 value by value) are read."""
    scrubber = Scrubber(loads_policy(_NAME_POLICY, "p.yaml"), codec=codec, key=KEY)
    out = scrubber.feed(_ENCODED.replace(b"NAME", name)) + scrubber.close()
    assert b"Jane Doe" not in out and b"1\t" in out


@pytest.mark.parametrize("name", [b"LATIN1", b"WIN1252", b"SJIS", b"latin9", b""])
def test_a_dump_in_another_encoding_stops_at_its_set(codec: ModuleType, name: bytes) -> None:
    """Any other client_encoding stops the run at its SET (line 6), before a row."""
    scrubber = Scrubber(loads_policy(_NAME_POLICY, "p.yaml"), codec=codec, key=KEY)
    with pytest.raises(DumpError) as info:
        scrubber.feed(_ENCODED.replace(b"NAME", name))
    assert info.value.line == 6 and "--encoding=UTF8" in str(info.value)


def test_an_array_nested_past_postgresqls_six_dimensions_stops_the_run(codec: ModuleType
                                                                       ) -> None:
    """PostgreSQL arrays have at most 6 dimensions; a damaged stream's thousands of "{"
    in an array field made the array reader recurse out of the stack (an internal error,
    exit 1, nothing named). It stops the run at its row and column instead."""
    deep = b"{" * 5000 + b"a" + b"}" * 5000
    dump = (_ENCODED.replace(b"NAME", b"UTF8").replace(b"name text", b"name text[]")
            .replace(b"1\tJane Doe", b"1\t" + deep))
    policy = _NAME_POLICY.replace("{fake: name}", "{fake: first_name}")
    scrubber = Scrubber(loads_policy(policy, "p.yaml"), codec=codec, key=KEY)
    with pytest.raises(DumpError) as info:
        scrubber.feed(dump)
        scrubber.close()
    assert info.value.line == 15 and info.value.column == "name"
