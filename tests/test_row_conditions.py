"""Row conditions (``{when: [...], else: ...}``) on an EAV table dumped by the real pg_dump.

The source is shaped like Synthea's ``observations``: the home address is an
answer whose ``code`` is the LOINC address question, next to clinical answers
such as languages and heights.  Every PHI answer carries the marker
``PHIMARK`` so a leak is a grep; clinical answers must come through as they
were.  Checked in COPY and both INSERT forms, on both codecs, restored with
the real psql.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.api import check_dump
from scrubphi.errors import CoverageError, PolicyError
from scrubphi.policy import loads_policy

pytestmark = pytest.mark.postgres

KEY = b"row-conditions-test-key-0123456789abcdef"
MARK = b"PHIMARK"
ADDRESS = "56799-0"  # LOINC: What address do you live at?

SETUP = rf"""
CREATE TABLE public.observations (
    id integer PRIMARY KEY, patient_id integer NOT NULL, code text, value text NOT NULL,
    device uuid);
CREATE TABLE public.devices (id text PRIMARY KEY, serial text);
INSERT INTO public.observations VALUES
    (1, 10, '{ADDRESS}', 'PHIMARK 12 Elm Street, Springfield', NULL),
    (2, 10, '8302-2', '172.4', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
    (3, 11, '69150-1', 'English', NULL),
    (4, 11, '{ADDRESS}', 'PHIMARK 9 Oak Avenue, Boston', NULL),
    (5, 12, NULL, 'PHIMARK Alice Smith called', NULL),
    (6, 12, 'DOB', '1950-03-04', NULL),
    (7, 12, 'PHONE-1', 'PHIMARK 617-555-0134', NULL),
    (8, 12, 'PHONE-2', 'PHIMARK 617-555-0135', NULL),
    (9, 13, 'NOTE', 'German', NULL);
INSERT INTO public.devices VALUES ('0', 'placeholder'), ('PHIMARK-77', 'x'), ('', 'empty');
"""

POLICY = f"""
version: 1
scrub:
  tables:
    public.observations:
      columns:
        id: keep
        patient_id: keep
        code: keep
        device: keep
        value:
          when:
            - if: {{code: "{ADDRESS}"}}
              then: {{fake: street_address}}
            - if: {{code: DOB}}
              then: {{date: shift, days: 30, per: patient_id, format: "%Y-%m-%d"}}
            - if: {{code: {{matches: "PHONE-[0-9]+"}}}}
              then: {{fake: phone_number}}
            - if: {{code: null}}
              then: {{value: removed}}
            - if: {{code: {{in: ["8302-2", "69150-1"]}}, patient_id: {{not_in: ["99"]}}}}
              then: keep
          else: {{redact: text}}
    public.devices:
      columns:
        serial: keep
        id:
          when:
            - if: {{id: ["0", ""]}}
              then: keep
          else: {{hash: {{length: 12}}}}
"""


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("conditions")
    pg.psql(name, SETUP)
    yield name
    pg.drop_database(name)


def scrub(dump: bytes, codec: ModuleType, policy: str = POLICY) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "conditions.yaml"), codec=codec,
                 key=KEY, chunk_size=61)
    return dst.getvalue()


def restored_rows(pg: PgServer, data: bytes) -> dict[str, list[tuple[str, ...]]]:
    name = pg.create_database("conditions_dst")
    try:
        pg.psql(name, stdin=data, args=["--single-transaction"])
        out = {}
        for table, order in (("observations", "id"), ("devices", "serial")):
            done = pg.psql(name, f"COPY (SELECT * FROM public.{table} ORDER BY {order}) TO STDOUT")
            text = done.stdout.decode("utf-8")
            out[table] = [tuple(line.split("\t")) for line in text.splitlines()]
        return out
    finally:
        pg.drop_database(name)


@pytest.mark.parametrize("flags", [(), ("--inserts",), ("--column-inserts",)],
                         ids=["copy", "inserts", "column-inserts"])
def test_each_row_gets_its_case(pg: PgServer, source: str, codec: ModuleType,
                               flags: tuple[str, ...]) -> None:
    out = scrub(pg.pg_dump(source, "--no-owner", *flags), codec)
    assert MARK not in out
    rows = restored_rows(pg, out)
    obs = {int(r[0]): r for r in rows["observations"]}
    # Clinical answers (kept by their case, or by the redactor, which keeps words) stay.
    assert obs[2][3] == "172.4"
    assert obs[3][3] == "English"
    assert obs[9][3] == "German"
    # The address rows got street addresses, the phone rows phone numbers.
    for row in (1, 4):
        assert obs[row][3][0].isdigit() and "Springfield" not in obs[row][3]
    for row in (7, 8):
        assert sum(ch.isdigit() for ch in obs[row][3]) >= 10
    assert obs[5][3] == "removed"
    # The date moved by at most 30 days, keyed by the patient.
    assert obs[6][3] != "1950-03-04" and obs[6][3].startswith("1950-0")
    devices = {r[1]: r[0] for r in rows["devices"]}
    assert devices["placeholder"] == "0"
    assert devices["empty"] == ""
    assert len(devices["x"]) == 12 and MARK.decode() not in devices["x"]


def test_copy_and_insert_forms_and_codecs_agree(pg: PgServer, source: str,
                                                codec: ModuleType) -> None:
    from scrubphi import _impl

    dump = pg.pg_dump(source, "--no-owner")  # one dump: its \restrict key is random
    copy = scrub(dump, codec)
    pure = scrub(dump, _impl.load("pure"))
    assert copy == pure
    inserts = scrub(pg.pg_dump(source, "--no-owner", "--column-inserts"), codec)
    assert restored_rows(pg, copy) == restored_rows(pg, inserts)


def test_a_case_shift_matches_the_patients_other_dates(pg: PgServer, codec: ModuleType) -> None:
    """A date answer shifted per patient moves like the patient's date column."""
    name = pg.create_database("conditions_shift")
    try:
        pg.psql(name, """
            CREATE TABLE public.obs (id int PRIMARY KEY, pid int NOT NULL, code text,
                                     value text NOT NULL, taken date NOT NULL);
            INSERT INTO public.obs VALUES (1, 5, 'DOB', '1960-06-15', '1960-06-15'),
                                          (2, 6, 'DOB', '1960-06-15', '1960-06-15');
        """)
        policy = """
version: 1
scrub:
  tables:
    public.obs:
      columns:
        id: keep
        pid: keep
        code: keep
        taken: {date: shift, days: 300, per: pid}
        value:
          when:
            - if: {code: DOB}
              then: {date: shift, days: 300, per: pid, format: "%Y-%m-%d"}
          else: {redact: text}
"""
        out = scrub(pg.pg_dump(name, "--no-owner"), codec, policy)
        lines = [line.split(b"\t") for line in out.split(b"\n") if line[:1] in (b"1", b"2")
                 and b"\t" in line]
        assert len(lines) == 2
        for fields in lines:
            assert fields[3] == fields[4]  # same patient, same spec: same shift
        assert lines[0][3] != lines[1][3]  # another patient, another shift
    finally:
        pg.drop_database(name)


def test_check_and_audit_understand_conditions(pg: PgServer, source: str, tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_bytes(pg.pg_dump(source, "--no-owner"))
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    problems, _report = check_dump(io.BytesIO(dump.read_bytes()), loads_policy(POLICY))
    assert problems == []
    env_key = {"SCRUBPHI_KEY": KEY.decode()}
    import os

    env = {**os.environ, **env_key}
    done = subprocess.run([sys.executable, "-m", "scrubphi", "check", "-c", str(policy),
                           "--dump", str(dump)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    audit = subprocess.run([sys.executable, "-m", "scrubphi", "audit", "-c", str(policy),
                            "--dump", str(dump), "--json"], capture_output=True, text=True, env=env)
    assert MARK.decode() not in audit.stdout + audit.stderr
    import json

    report = json.loads(audit.stdout)
    columns = {(c["table"], c["column"]): c for c in report["columns"]}
    value = columns[("public.observations", "value")]
    assert value["transform"].startswith("{when: [{if: {code: \"56799-0\"}, then: {fake: ")
    # Some rows of observations.value are kept by a case: the audit says so, and
    # counts it as covering no Safe Harbor kind.
    assert value["partly_kept"] is True
    assert columns[("public.devices", "id")]["partly_kept"] is True
    assert columns[("public.observations", "code")]["partly_kept"] is False
    covering = [c for kind in report["safe_harbor"].values() for c in kind["covered_by"]]
    assert not any(c.startswith("public.observations.value ") for c in covering)


def test_a_condition_on_a_missing_column_is_a_coverage_problem(pg: PgServer, source: str,
                                                               codec: ModuleType) -> None:
    policy = POLICY.replace("code: keep", "code: keep\n        lab: keep").replace(
        "if: {code: DOB}", "if: {lab: DOB}")
    with pytest.raises(CoverageError) as info:
        scrub(pg.pg_dump(source, "--no-owner"), codec, policy)
    assert "lab" in str(info.value.uncovered)


def test_null_branch_on_a_not_null_column_refused(pg: PgServer, source: str,
                                                  codec: ModuleType) -> None:
    policy = POLICY.replace("then: {value: removed}", "then: null")
    with pytest.raises(CoverageError) as info:
        scrub(pg.pg_dump(source, "--no-owner"), codec, policy)
    assert "NOT NULL" in " ".join(info.value.uncovered)


BASE = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        code: keep
        other: keep
        value: {when}
"""


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("{when: [{if: {code: A}, then: keep}]}", "needs else"),
        ("{when: [], else: keep}", "list of cases"),
        ("{when: [{then: keep}], else: keep}", "needs if"),
        ("{when: [{if: {code: A}}], else: keep}", "needs then"),
        ("{when: [{if: {code: {like: A}}, then: keep}], else: keep}",
         "unknown condition operator like"),
        ("{when: [{if: {code: {matches: '('}}, then: keep}], else: keep}",
         "not a valid regular expression"),
        ("{when: [{if: {code: true}, then: keep}], else: keep}", "write 't' or 'f'"),
        ("{when: [{if: {code: {in: []}}, then: keep}], else: keep}", "non-empty list"),
        ("{when: [{if: {code: {null: maybe}}, then: keep}], else: keep}", "null takes true"),
        ("{when: [{if: {code: {in: [A], matches: B}}, then: keep}], else: keep}",
         "exactly one operator"),
        ("{when: [{if: {nope: A}, then: keep}], else: keep}", "tests column nope"),
        ("{when: [{if: {code: A}, then: {when: [{if: {code: B}, then: keep}], else: keep}}], "
         "else: keep}", "do not nest"),
        ("{when: [{if: {code: A}, then: {fake: nonsense}}], else: keep}",
         "unknown fake provider"),
        ("{when: [{if: {code: A}, then: {date: shift, days: 3, per: nope}}], else: keep}",
         "per names column nope"),
        ("{when: [{if: {code: A}, then: keep, else: keep}], else: keep}", "unknown key else"),
    ],
)
def test_policy_errors_point_at_the_case(when: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        loads_policy(BASE.replace("{when}", when), "bad.yaml")
    text = str(info.value)
    assert message in text
    assert "bad.yaml:" in text
    assert "value" in text


def test_labels_and_keys(tmp_path: Path) -> None:
    policy = loads_policy(BASE.replace(
        "{when}", "{when: [{if: {code: [A, B], other: null}, then: {fake: city}}], else: keep}"))
    assert policy.scrub is not None
    assert policy.scrub.needs_key()
    only_words = loads_policy(BASE.replace(
        "{when}", "{when: [{if: {code: A}, then: {value: x}}], else: keep}"))
    assert only_words.scrub is not None and not only_words.scrub.needs_key()


# Per plan entry (in plan order): values changed, values nulled.
COUNTS = [1, 0, 2, 0]


def test_codec_passes_every_read_column_in_order(codec: ModuleType) -> None:
    """A plan entry with a tuple of indexes gets the original values of those fields."""
    seen: list[tuple[str | None, ...]] = []

    def fn(value: str | None, *read: str | None) -> str | None:
        seen.append((value, *read))
        return "X" if read[1] == "a" else value

    rewriter = codec.CopyRewriter(4, [(2, fn, (3, 0, 2), False), (0, lambda v: "Z", -1, False)],
                                  10_000)
    out, _pos, done = rewriter.process(b"a\tb\tc\t\\N\nq\tr\ts\tt\\tu\n\\.\n", 0)
    assert done
    assert out == b"Z\tb\tX\t\\N\nZ\tr\ts\tt\\tu\n\\.\n"
    # NULL decoded as None, escapes decoded, the field's own original value included.
    assert seen == [("c", None, "a", "c"), ("s", "t\tu", "q", "s")]
    assert list(rewriter.counts) == COUNTS


@pytest.mark.parametrize("per", [(), (4,), (-1,), (0, 9)])
def test_codec_refuses_bad_read_indexes(codec: ModuleType, per: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        codec.CopyRewriter(4, [(1, lambda v, *r: v, per, False)], 10_000)


def test_matches_runs_in_linear_time_and_refuses_backtracking_features() -> None:
    """A hostile cell cannot stall a run: (a+)+$ on 100,000 a's and a ! is answered at once
    (Python's re would backtrack for ever); look-around and back-references are refused."""
    from scrubphi.policy.conditions import condition_from_yaml

    nested = condition_from_yaml("v", {"matches": "(a+)+$"})
    assert nested.test("a" * 100_000 + "!") is False
    assert nested.test("aaaa") is True
    assert condition_from_yaml("v", {"matches": "PHONE-[0-9]+"}).test("xPHONE-1") is False
    for pattern, why in (("(?<=a)b", "look-around"), (r"(a)\1", "backreferences")):
        with pytest.raises(ValueError, match=why):
            condition_from_yaml("v", {"matches": pattern})



_WHEN_POLICY = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        code: keep
        kind: keep
        value:
          when:
            - if: {code: "A1", kind: {not_in: [x, ""]}}
              then: {hash: {length: 6}}
            - if: {code: {in: ["B2", "é"]}}
              then: keep
            - if: {kind: null}
              then: {mask: {keep_last: 1}}
            - if: {code: {null: false}, kind: "t"}
              then: {redact: text}
            - if: {code: "x"}
              then: {fake: first_name}
            - if: {code: "N"}
              then: null
            - if: {code: "nm"}
              then: {fake: name}
            - if: {code: {matches: "[A-Z][0-9]"}, kind: {matches: "t|q"}}
              then: {hash: {length: 4}}
          else: {tokenize: alnum}
"""
# Mostly the tokens the conditions name, their near misses, NULL, escapes and non-ASCII.
_FIELD = st.one_of(
    st.sampled_from([b"A1", b"B2", b"x", b"t", b"", b"\\N", b"\\\\N", b"C\\t3",
                     "é".encode(), b"a1", b"A1 ", b"Mary", b"ab", b"N", b"nm"]),
    st.text(alphabet="AB12xt \\é", max_size=4).map(lambda t: t.encode("utf-8")),
)


@settings(max_examples=400, deadline=None)
@given(rows=st.lists(st.tuples(_FIELD, _FIELD, _FIELD), min_size=1, max_size=12))
@example(rows=[(b"A1", b"\\N", b"ab"), (b"A1", b"", b"ab"), (b"A1", b"q", b"ab"),
               (b"\\N", b"t", b"ab"), (b"x", b"t", b"Mary"), (b"x", b"q", b"Mary"),
               ("é".encode(), b"q", b"ab"), (b"B2", b"q", "é".encode()), (b"A1 ", b"q", b"ab")])
@example(rows=[(b"N", b"t", b"ab"), (b"nm", b"t", b"Mary Ann"), (b"\\N", b"t", b"Mary"),
               (b"N", b"t", b"ab"), (b"nm", b"t", b"Mary Ann"), (b"\\N", b"t", b"Mary"),
               (b"\\N", b"t", b"ab"), (b"\\N", b"t", b"ab")])
@example(rows=[(b"B2", b"q", b"\\N"), (b"B2", b"\\N", b"\\N"), (b"B2", b"q", b"\\\\N"),
               (b"B2", b"q", b"C\\t3")])  # a keep case: NULL kept in C, escapes by fn
def test_when_in_c_equals_the_pure_twin(rows: list[tuple[bytes, bytes, bytes]]) -> None:
    """The compiled codec's conditions and branch kernels give the pure twin's bytes,
    whatever the fields hold (NULLs, escapes, non-ASCII, near misses), or the same error;
    so do its memoised Python branches (redact, null, a full name), repeated values
    included, and the counts of values changed and nulled agree."""
    from scrubphi.transforms.base import ColumnInfo

    columns = [ColumnInfo("code", "text"), ColumnInfo("kind", "text"), ColumnInfo("value", "text")]
    entry = _twins_agree(_WHEN_POLICY, columns, rows)
    assert entry[4] is not None and entry[4][0] == "when"


_SHIFT_WHEN_POLICY = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        code: keep
        pid: keep
        d:
          when:
            - if: {code: "A"}
              then: {date: shift, days: 400, per: pid}
            - if: {code: "B"}
              then: {date: shift, days: 30}
            - if: {code: "K"}
              then: keep
          else: {date: year}
"""
_DATE_FIELD = st.one_of(
    st.dates().map(lambda d: str(d).encode()),
    st.sampled_from([b"\\N", b"2024-02-29", b"0001-01-01", b"9999-12-31", b"1950-08-14 BC",
                     b"infinity", b"", b"x"]),
)
_PID_FIELD = st.one_of(st.sampled_from([b"1", b"2", b"\\N", b"", "é".encode(), b"a\\tb"]),
                       st.integers(0, 50).map(lambda n: str(n).encode()))


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from([b"A", b"B", b"K", b"Z", b"\\N"]),
                               _PID_FIELD, _DATE_FIELD), min_size=1, max_size=12))
@example(rows=[(b"A", b"1", b"2000-01-01"), (b"A", b"1", b"2000-06-01"),
               (b"A", b"\\N", b"2000-01-01"), (b"B", b"1", b"2000-01-01"),
               (b"A", "é".encode(), b"2000-01-01"), (b"Z", b"1", b"2000-01-01")])
def test_when_branch_shift_per_in_c_equals_the_pure_twin(
        rows: list[tuple[bytes, bytes, bytes]]) -> None:
    """A `when` branch shifting dates per another column runs the shift kernel in C,
    keyed by that column's value as the pure twin keys it (NULL and non-ASCII per
    values included), and gives the same bytes and counts."""
    from scrubphi.transforms.base import ColumnInfo

    columns = [ColumnInfo("code", "text"), ColumnInfo("pid", "text"), ColumnInfo("d", "date")]
    when = _twins_agree(_SHIFT_WHEN_POLICY, columns, rows)[4]
    assert when is not None and when[0] == "when"
    assert when[1][0][1][0] == "kernel" and len(when[1][0][1]) == 3  # the per shift in C


_CODES = [f"C{i}" for i in range(20)]
_LIST_WHEN_POLICY = f"""
version: 1
scrub:
  tables:
    public.t:
      columns:
        code: keep
        kind: keep
        value:
          when:
            - if: {{code: {{in: [{", ".join(_CODES)}]}}, kind: {{matches: "[a-c]+"}}}}
              then: {{hash: {{length: 5}}}}
            - if: {{code: {{not_in: [{", ".join(_CODES[:12])}, ""]}}, kind: {{matches: "q.*"}}}}
              then: {{mask: {{keep_last: 2}}}}
            - if: {{kind: {{in: [a, b, c, d, e, f, g, h, i, j]}}}}
              then: null
          else: keep
"""


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(
    st.one_of(st.sampled_from([c.encode() for c in _CODES]),
              st.sampled_from([b"C20", b"C1 ", b"c1", b"", b"\\N", "C\u00e91".encode(), b"C01"])),
    st.one_of(st.sampled_from([b"a", b"abc", b"q", b"qz", b"k", b"j", b"\\N", b"", b"ab "]),
              st.text(alphabet="abcqj", max_size=3).map(str.encode)),
    st.sampled_from([b"value1", b"\\N", b"v"])), min_size=1, max_size=40))
@example(rows=[(b"C3", b"ab", b"value1")] * 5 + [(b"C13", b"qq", b"value1")] * 5
         + [(b"C30", b"j", b"v"), (b"\\N", b"q", b"v"), (b"C3", b"\\N", b"v")])
def test_long_lists_and_memoised_patterns_in_c_equal_the_pure_twin(
        rows: list[tuple[bytes, bytes, bytes]]) -> None:
    """Long `in`/`not_in` lists (hash sets in C) and `matches` tests whose answers the
    codec memoises by value give the pure twin's bytes and counts, repeated values,
    NULLs, near misses and non-ASCII included."""
    from scrubphi.transforms.base import ColumnInfo

    columns = [ColumnInfo("code", "text"), ColumnInfo("kind", "text"), ColumnInfo("value", "text")]
    when = _twins_agree(_LIST_WHEN_POLICY, columns, rows)[4]
    assert when is not None and when[0] == "when"
    assert len(when[1][0][0][0][2]) == 20  # the long list reaches the codec whole


def _plan(policy_text: str, columns: list[Any]) -> Any:
    """The plan of the policy's one table over ``columns``."""
    from scrubphi.dump.coverage import Coverage
    from scrubphi.dump.schema import Schema
    from scrubphi.transforms.base import TransformContext

    policy = loads_policy(policy_text)
    assert policy.scrub is not None
    cov = Coverage(policy.scrub, TransformContext(key=KEY), Schema())
    return cov.compile(next(iter(policy.scrub.tables)), columns, 1, strict=True)


def _twins_agree(policy_text: str, columns: list[Any], rows: list[tuple[bytes, ...]]
                 ) -> tuple[Any, ...]:
    """The plan of the policy's one table over ``columns``, and the rows rewritten by
    every loaded codec twin: each gives the same bytes and counts, or the same error."""
    from scrubphi import _impl
    from scrubphi.errors import ScrubPhiError

    codecs = [_impl.load("pure")] + ([] if _impl.NO_EXTENSIONS else [_impl.load("compiled")])
    plan = _plan(policy_text, columns)
    data = b"".join(b"\t".join(r) + b"\n" for r in rows) + b"\\.\n"
    results: list[tuple[Any, ...]] = []
    for codec in codecs:
        try:
            rewriter = codec.CopyRewriter(len(columns), plan.entries, 10_000)
            out, _pos, done = rewriter.process(data, 0)
            results.append((out, done, rewriter.counts))
        except (ScrubPhiError, ValueError) as exc:
            results.append((type(exc).__name__, str(exc)))
    assert all(r == results[0] for r in results)
    return tuple(plan.entries[0])


_CONST_POLICY = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        code: keep
        gone: null
        fixed: {value: "n/a"}
        tabbed: {value: "a\\tb\\\\c"}
        empty: {value: ""}
        chosen:
          when:
            - if: {code: "N"}
              then: null
            - if: {code: "V"}
              then: {value: "x y"}
            - if: {code: "E"}
              then: {value: ""}
          else: keep
"""
# The constants themselves (as COPY writes them), other spellings of them, NULL,
# escapes, non-ASCII and near misses.
_CONST_FIELD = st.one_of(
    st.sampled_from([b"\\N", b"", b"n/a", b"n/a ", b"a\\tb\\\\c", b"a\\x09b\\\\c", b"a\tb",
                     b"x y", b"x\\040y", b"\\\\N", b"N", "é".encode(), b"\\t"]),
    st.text(alphabet="an/ \\é\t", max_size=5).map(lambda t: t.encode("utf-8")),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.tuples(st.sampled_from([b"N", b"V", b"E", b"K", b"\\N"]),
                               *[_CONST_FIELD] * 5), min_size=1, max_size=16))
@example(rows=[(b"N", b"\\N", b"\\N", b"\\N", b"\\N", b"\\N"),
               (b"V", b"v", b"n/a", b"a\\tb\\\\c", b"", b"x y"),
               (b"E", b"a\\x09b", b"a\\x09b\\\\c", b"a\\x09b\\\\c", b"\\x41", b""),
               (b"K", b"", b"", b"", b"x", b"\\\\N")])
def test_null_and_value_in_c_equal_the_pure_twin(rows: list[tuple[bytes, ...]]) -> None:
    """``null`` and ``value`` columns and when branches (constants the compiled codec
    writes without calling Python) give the pure twin's bytes and counts: NULL in, the
    constant already there, another spelling of it (kept, as the pure twin compares
    decoded text), constants that need escapes, the empty string."""
    from scrubphi.transforms.base import ColumnInfo

    columns = [ColumnInfo(n, "text") for n in ("code", "gone", "fixed", "tabbed", "empty",
                                               "chosen")]
    entry = _twins_agree(_CONST_POLICY, columns, rows)
    assert entry[4] == ("const", False, -1, (None,))  # the subject: a kernel description


def test_null_and_value_columns_call_no_python_in_c() -> None:
    """The compiled codec writes ``null`` and ``value`` (columns and branches) itself:
    their Python functions are never called for plain fields, NULLs included."""
    from scrubphi import _impl
    from scrubphi.transforms.base import ColumnInfo

    if _impl.NO_EXTENSIONS:
        pytest.skip("the pure twin has no kernels (its functions are the reference)")
    columns = [ColumnInfo(n, "text") for n in ("code", "gone", "fixed", "tabbed", "empty",
                                               "chosen")]
    plan = _plan(_CONST_POLICY, columns)
    calls = []

    def refuse(*args: Any) -> None:
        calls.append(len(args))

    entries = [(e[0], refuse, *e[2:]) for e in plan.entries]
    rows = [b"N\tv\t\\N\tq\tz\tw", b"V\t\\N\tn/a\ta\\tb\\\\c\t\tw", b"E\tx\ty\tz\t\\N\tw"] * 50
    data = b"".join(r + b"\n" for r in rows) + b"\\.\n"
    rewriter = _impl.load("compiled").CopyRewriter(len(columns), entries, 10_000)
    out, _pos, done = rewriter.process(data, 0)
    assert done and calls == []
    assert out.splitlines()[:3] == [b"N\t\\N\tn/a\ta\\tb\\\\c\t\t\\N",
                                    b"V\t\\N\tn/a\ta\\tb\\\\c\t\tx y",
                                    b"E\t\\N\tn/a\ta\\tb\\\\c\t\t"]
