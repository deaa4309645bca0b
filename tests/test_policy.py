"""The policy loader: positions in every error, merging, names, secrets, units.

A policy error that does not say where, or a typo that is silently ignored,
turns a scrub rule off without anyone noticing; these tests pin the
file:line:column and key path of each error and the parsed shape of every
transform.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from scrubphi.errors import PolicyError
from scrubphi.policy import (
    Location,
    Policy,
    PolicySections,
    TableName,
    TransformSpec,
    is_secret_ref,
    load_policy,
    loads_policy,
    parse_duration,
    parse_percent,
    parse_size,
    parse_table_name,
    resolve_secret,
)
from scrubphi.policy import loader as loader_module
from scrubphi.policy import scrub_reader as scrub_reader_module

HEAD = "version: 1\nscrub:\n  tables:\n"


def yaml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def where(text: str, needle: str, nth: int = 1, start: int = 0) -> tuple[int, int]:
    """1-based line and column of the nth occurrence of ``needle`` in ``text[start:]``."""
    index = start - 1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def fails(text: str, name: str = "p.yaml") -> PolicyError:
    with pytest.raises(PolicyError) as info:
        loads_policy(text, name)
    return info.value


def assert_at(exc: PolicyError, text: str, needle: str, path: str | None, nth: int = 1) -> None:
    line, column = where(text, needle, nth)
    assert (exc.file, exc.line, exc.column, exc.path) == ("p.yaml", line, column, path), str(exc)
    assert str(exc).startswith(f"p.yaml:{line}:{column}: ")


def table(columns: str) -> str:
    """A policy with one table public.t whose columns block is ``columns``."""
    body = textwrap.indent(textwrap.dedent(columns).strip("\n"), " " * 8)
    return HEAD + "    public.t:\n      columns:\n" + body + "\n"


def spec_of(columns: str, column: str) -> TransformSpec:
    policy = loads_policy(table(columns))
    assert policy.scrub is not None
    return policy.scrub.tables[TableName("public", "t")].columns[column]


# ---------------------------------------------------------------------------
# The example of policy.md
# ---------------------------------------------------------------------------

POLICY_MD_EXAMPLE = yaml(
    """
    version: 1
    scrub:
      key: env:SCRUBPHI_KEY         # secret behind every keyed transform (HMAC-SHA256)
      unknown_tables: fail          # fail | drop | keep     (default fail)
      unknown_columns: fail         # fail | null | keep     (default fail)
      large_objects: drop           # drop | fail | keep     (default drop)
      statistics: drop              # drop | fail
      tables:
        public.icd_codes: keep      # every column kept, on purpose
        public.sessions: drop       # no rows at all (the table itself stays)
        public.patients:
          columns:
            id: keep
            first_name: {fake: first_name}
            last_name: {fake: last_name}
            ssn: {fake: ssn, unique: true}
            dob: {date: safe_harbor}          # year only, ages over 89 collapsed to 90
            phone: {fake: phone_number}
            email: {fake: email, unique: true}
            zip: {generalize: zip3}
            mrn: {tokenize: alnum}            # format kept, one-to-one, consistent everywhere
            insurance_member_id: hash
        public.claims:
          columns:
            member_ssn: {fake: ssn, unique: true}   # same spec as patients.ssn -> same output
    """
)


def test_policy_md_scrub_example_parses() -> None:
    """The documented example (without redact/json) loads with the documented meaning."""
    policy = loads_policy(POLICY_MD_EXAMPLE, "p.yaml")
    scrub = policy.scrub
    assert scrub is not None
    assert (scrub.key_ref, scrub.unknown_tables, scrub.unknown_columns) == (
        "env:SCRUBPHI_KEY",
        "fail",
        "fail",
    )
    assert (scrub.large_objects, scrub.statistics, scrub.max_row_size) == ("drop", "drop", 64 << 20)
    assert list(scrub.tables) == [
        TableName("public", "icd_codes"),
        TableName("public", "sessions"),
        TableName("public", "patients"),
        TableName("public", "claims"),
    ]
    assert scrub.tables[TableName("public", "icd_codes")].action == "keep"
    assert scrub.tables[TableName("public", "sessions")].action == "drop"
    patients = scrub.tables[TableName("public", "patients")]
    assert patients.action == "columns"
    cols = patients.columns
    assert cols["id"] == TransformSpec("keep", {})
    assert cols["first_name"] == TransformSpec(
        "fake", {"provider": "first_name", "unique": False, "locale": "en_US"}
    )
    assert cols["ssn"] == TransformSpec(
        "fake", {"provider": "ssn", "unique": True, "locale": "en_US"}
    )
    assert cols["dob"] == TransformSpec(
        "date", {"mode": "safe_harbor", "as_of": None, "format": None}
    )
    assert cols["zip"] == TransformSpec("generalize", {"method": "zip3"})
    assert cols["mrn"] == TransformSpec("tokenize", {"alphabet": "alnum"})
    assert cols["insurance_member_id"] == TransformSpec("hash", {"length": 16, "alphabet": "hex"})
    claims = scrub.tables[TableName("public", "claims")].columns
    # Same spec in two tables -> equal canonical form -> same replacement.
    assert claims["member_ssn"].canonical() == cols["ssn"].canonical()
    assert cols["ssn"].location == Location("p.yaml", 16, 14)
    assert patients.location == Location("p.yaml", 11, 5)
    assert scrub.location == Location("p.yaml", 2, 1)
    assert policy.sources == ("p.yaml",)
    assert policy.digest == Policy.compute_digest([POLICY_MD_EXAMPLE.encode()])
    assert policy.other == {}


def test_defaults_when_scrub_is_minimal() -> None:
    """An empty scrub section fails closed: unknown tables and columns fail."""
    policy = loads_policy("version: 1\nscrub:\n")
    assert policy.scrub is not None
    assert policy.scrub.key_ref == "env:SCRUBPHI_KEY"
    assert policy.scrub.unknown_tables == "fail"
    assert policy.scrub.unknown_columns == "fail"
    assert policy.scrub.large_objects == "drop"
    assert policy.scrub.tables == {}
    assert loads_policy("version: 1\n").scrub is None


def test_unknown_columns_null_word() -> None:
    """``unknown_columns: null`` means the null option although YAML reads it as null."""
    policy = loads_policy("version: 1\nscrub:\n  unknown_columns: null\n  unknown_tables: keep\n")
    assert policy.scrub is not None
    assert (policy.scrub.unknown_columns, policy.scrub.unknown_tables) == ("null", "keep")


def test_max_row_size_units() -> None:
    """max_row_size takes a size with unit and reports it in bytes."""
    policy = loads_policy("version: 1\nscrub:\n  max_row_size: 512KiB\n")
    assert policy.scrub is not None
    assert policy.scrub.max_row_size == 512 * 1024


# ---------------------------------------------------------------------------
# Transforms: every form and its defaults
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind", "params"),
    [
        ("keep", "keep", {}),
        ("null", "null", {}),
        ("~", "null", {}),
        ("'null'", "null", {}),
        ("", "null", {}),
        ("hash", "hash", {"length": 16, "alphabet": "hex"}),
        ("{hash: {length: 8, alphabet: digits}}", "hash", {"length": 8, "alphabet": "digits"}),
        ("{hash: {}}", "hash", {"length": 16, "alphabet": "hex"}),
        ("{hash: {length: 64}}", "hash", {"length": 64, "alphabet": "hex"}),
        ("mask", "mask", {"keep_last": 4, "keep_first": 0, "char": "*"}),
        (
            "{mask: {keep_last: 2, keep_first: 1, char: '#'}}",
            "mask",
            {"keep_last": 2, "keep_first": 1, "char": "#"},
        ),
        ("{value: REDACTED}", "value", {"value": "REDACTED"}),
        ("{value: 42}", "value", {"value": "42"}),
        ("{value: 1.5}", "value", {"value": "1.5"}),
        ("{value: true}", "value", {"value": "true"}),
        ("{value: false}", "value", {"value": "false"}),
        ("{value: 2020-01-02}", "value", {"value": "2020-01-02"}),
        ("{value: ''}", "value", {"value": ""}),
        ("{value: null}", "null", {}),
        (
            "{fake: city, locale: en_US}",
            "fake",
            {"provider": "city", "unique": False, "locale": "en_US"},
        ),
        ("{tokenize: digits}", "tokenize", {"alphabet": "digits"}),
        ("{tokenize: upper}", "tokenize", {"alphabet": "upper"}),
        ("{date: year}", "date", {"mode": "year", "format": None}),
        (
            "{date: safe_harbor, as_of: 2024-06-30}",
            "date",
            {"mode": "safe_harbor", "as_of": "2024-06-30", "format": None},
        ),
        (
            "{date: safe_harbor, as_of: '2024-06-30', format: '%m/%d/%Y'}",
            "date",
            {"mode": "safe_harbor", "as_of": "2024-06-30", "format": "%m/%d/%Y"},
        ),
        (
            "{date: shift, days: 30}",
            "date",
            {"mode": "shift", "days": 30, "per": None, "format": None},
        ),
        ("{generalize: zip3}", "generalize", {"method": "zip3"}),
    ],
)
def test_transform_forms(written: str, kind: str, params: dict[str, Any]) -> None:
    """Each documented spelling gives the normalised spec with defaults filled in."""
    spec = spec_of(f"c: {written}\nid: keep", "c")
    assert (spec.kind, dict(spec.params)) == (kind, params)


def test_date_shift_per_column() -> None:
    """per names another listed column; quoted spellings of it are unquoted."""
    spec = spec_of(
        """
        patient id: keep
        seen: {date: shift, days: 3650, per: '"patient id"', format: '%Y%m%d'}
        """,
        "seen",
    )
    assert dict(spec.params) == {
        "mode": "shift",
        "days": 3650,
        "per": "patient id",
        "format": "%Y%m%d",
    }


def test_quoted_and_plain_column_names() -> None:
    """Column names are literal; one level of double quotes is removed, "" unescaped."""
    policy = loads_policy(table("""'"First Name"': keep\nLast Name: keep\n'"a""b"': keep\n"""))
    assert policy.scrub is not None
    assert list(policy.scrub.tables[TableName("public", "t")].columns) == [
        "First Name",
        "Last Name",
        'a"b',
    ]


def test_aliases_reuse_a_spec() -> None:
    """YAML anchors and aliases let two columns share one written spec."""
    policy = loads_policy(table("a: &ssn {fake: ssn, unique: true}\nb: *ssn"))
    assert policy.scrub is not None
    cols = policy.scrub.tables[TableName("public", "t")].columns
    assert cols["a"] == cols["b"]
    assert cols["a"].params["unique"] is True


# ---------------------------------------------------------------------------
# Errors: position, key path, what is allowed
# ---------------------------------------------------------------------------

COLS = "scrub.tables.public.t.columns"


@pytest.mark.parametrize(
    ("columns", "needle", "path", "message"),
    [
        ("c: hsh", "hsh", f"{COLS}.c", "did you mean 'hash'"),
        ("c: Keep", "Keep", f"{COLS}.c", "allowed: keep, null, hash, mask"),
        ("c: fake", "fake", f"{COLS}.c", "fake needs parameters"),
        ("c: 12", "12", f"{COLS}.c", "not a number"),
        ("c: [keep]", "[keep]", f"{COLS}.c", "not a list"),
        ("c: {fak: name}", "fak", f"{COLS}.c.fak", "unknown transform fak (did you mean 'fake'?)"),
        ("c: {}", "{}", f"{COLS}.c", "empty transform mapping"),
        ("c: {keep: true}", "keep:", f"{COLS}.c.keep", "bare word"),
        ("c: {fake: ssn, hash: {}}", "hash", f"{COLS}.c.hash", "one transform per column"),
        ("c: {fake: ssn, uniqe: true}", "uniqe", f"{COLS}.c.uniqe", "allowed: fake, unique"),
        ("c: {fake: ssn, unique: yes}", "yes", f"{COLS}.c.unique", "true or false"),
        ("c: {fake: 3}", "3", f"{COLS}.c.fake", "Faker provider name"),
        ("c: {fake: ssn, locale: 'en US'}", "'en US'", f"{COLS}.c.locale", "Faker locale"),
        ("c: {value: [1, 2]}", "[1", f"{COLS}.c.value", "single text"),
        ("c: {value: x, length: 3}", "length", f"{COLS}.c.length", "allowed: value"),
        ("c: {hash: {length: 0}}", "0", f"{COLS}.c.hash.length", "from 1 to 64, not 0"),
        ("c: {hash: {length: 65}}", "65", f"{COLS}.c.hash.length", "from 1 to 64, not 65"),
        ("c: {hash: {length: true}}", "true", f"{COLS}.c.hash.length", "not a boolean"),
        ("c: {hash: {alphabet: b64}}", "b64", f"{COLS}.c.hash.alphabet", "hex, digits, alnum"),
        ("c: {hash: {len: 3}}", "len", f"{COLS}.c.hash.len", "allowed: length, alphabet"),
        ("c: {hash: 8}", "8", f"{COLS}.c.hash", "{length: N"),
        ("c: {hash: {}, length: 8}", "length", f"{COLS}.c.length", "{hash: {length: N}}"),
        ("c: {mask: {char: '**'}}", "'**'", f"{COLS}.c.mask.char", "exactly one character"),
        ("c: {mask: {keep_last: -1}}", "-1", f"{COLS}.c.mask.keep_last", "0 or more"),
        ("c: {mask: {keep: 1}}", "keep:", f"{COLS}.c.mask.keep", "keep_last, keep_first, char"),
        ("c: {tokenize: letters}", "letters", f"{COLS}.c.tokenize", "digits, alnum, upper"),
        ("c: {date: month}", "month", f"{COLS}.c.date", "shift, year, safe_harbor"),
        ("c: {date: shift}", "{date", f"{COLS}.c", "needs days: N"),
        ("c: {date: shift, days: 0}", "0", f"{COLS}.c.days", "from 1 to 3650"),
        ("c: {date: shift, days: 3651}", "3651", f"{COLS}.c.days", "from 1 to 3650"),
        ("c: {date: shift, days: '30'}", "'30'", f"{COLS}.c.days", "not a string"),
        ("c: {date: year, days: 3}", "days", f"{COLS}.c.days", "allowed: date, format"),
        ("c: {date: shift, days: 3, per: c}", "c}", f"{COLS}.c.per", "another column"),
        ("c: {date: shift, days: 3, per: pid}", "pid", f"{COLS}.c.per", "not listed"),
        ("c: {date: safe_harbor, as_of: 2024-13-01}", "2024-13", f"{COLS}.c.as_of", "YYYY-MM-DD"),
        (
            "c: {date: safe_harbor, as_of: 2024-01-01 10:00:00}",
            "2024-01-01 10",
            f"{COLS}.c.as_of",
            "YYYY-MM-DD",
        ),
        ("c: {date: year, format: '%Q'}", "'%Q'", f"{COLS}.c.format", "unknown directive %Q"),
        ("c: {date: year, format: 'YYYY'}", "'YYYY'", f"{COLS}.c.format", "at least one %"),
        ("c: {generalize: zip5}", "zip5", f"{COLS}.c.generalize", "must be one of zip3"),
        ("c: redact", "redact", f"{COLS}.c", "write {redact: text}"),
        ("c: {redact: html}", "html", f"{COLS}.c.redact", "must be one of text"),
        ("c: {redact: text, days: 3}", "days", f"{COLS}.c.days", "only to dates: shift"),
        ("c: {json: {a: keep}}", "a: keep", f"{COLS}.c.json.a", "starts with $"),
        ("'c\"d': keep", "'c", f'{COLS}.c"d', "must be quoted as a whole"),
        ("'\"c': keep", "'\"c", f'{COLS}."c', "must be quoted as a whole"),
        ('\'"a"b"\': keep', "'\"a", f'{COLS}."a"b"', "must be doubled"),
        ("'\"\"': keep", "'\"\"'", f'{COLS}.""', "empty name"),
        ("' c': keep", "' c'", f"{COLS}. c", "leading or trailing spaces"),
        ("1: keep", "1:", f"{COLS}.1", "column name must be text"),
        ("c: keep\n'\"c\"': null", "'\"c\"'", f'{COLS}."c"', "column c is defined twice"),
    ],
)
def test_transform_errors(columns: str, needle: str, path: str, message: str) -> None:
    """Each bad transform names its position, key path and what is allowed."""
    text = table(columns)
    exc = fails(text)
    assert message in exc.message
    # Search after "columns:" so that needles like "keep" match the column block.
    line, column = where(text, needle, start=text.index("columns:"))
    assert (exc.file, exc.line, exc.column, exc.path) == ("p.yaml", line, column, path), str(exc)


def test_error_position_is_exact() -> None:
    """A hand-counted position, so the helper that finds positions is itself checked."""
    text = table("ssn: {fake: ssn, uniqe: true}")
    exc = fails(text)
    # line 6: "        ssn: {fake: ssn, uniqe: true}" -> "uniqe" starts at column 26.
    assert (exc.line, exc.column) == (6, 26)
    assert str(exc).startswith(
        "p.yaml:6:26: scrub.tables.public.t.columns.ssn.uniqe: unknown key uniqe"
    )
    assert where(text, "uniqe") == (6, 26)


@pytest.mark.parametrize(
    ("text", "needle", "path", "message"),
    [
        ("scrub: {}\n", "scrub", None, "missing version"),
        ("version: 2\n", "2", "version", "unsupported version 2"),
        ("version: '1'\n", "'1'", "version", "unsupported version a string"),
        ("version: 1\nscrubb: {}\n", "scrubb", "scrubb", "did you mean 'scrub'"),
        ("version: 1\nflag: {}\n", "flag", "flag", "allowed: version, scrub, flags, segments"),
        ("version: 1\nscrub: keep\n", "keep", "scrub", "must be a mapping"),
        ("version: 1\nscrub:\n  tabels: {}\n", "tabels", "scrub.tabels", "did you mean 'tables'"),
        (
            "version: 1\nscrub:\n  unknown_tables: ignore\n",
            "ignore",
            "scrub.unknown_tables",
            "one of fail, drop, keep",
        ),
        (
            "version: 1\nscrub:\n  unknown_columns: drop\n",
            "drop",
            "scrub.unknown_columns",
            "one of fail, null, keep",
        ),
        (
            "version: 1\nscrub:\n  large_objects: null\n",
            "null",
            "scrub.large_objects",
            "one of drop, fail, keep, not null",
        ),
        (
            "version: 1\nscrub:\n  statistics: keep\n",
            "keep",
            "scrub.statistics",
            "one of drop, fail",
        ),
        ("version: 1\nscrub:\n  max_row_size: 1000\n", "1000", "scrub.max_row_size", "1KiB"),
        ("version: 1\nscrub:\n  max_row_size: 1PB\n", "1PB", "scrub.max_row_size", "unit"),
        ("version: 1\nscrub:\n  key: 'env:'\n", "'env:'", "scrub.key", "variable name"),
        ("version: 1\nscrub:\n  key: env:A-B\n", "env:A", "scrub.key", "variable name"),
        ("version: 1\nscrub:\n  key: 'file:'\n", "'file:'", "scrub.key", "followed by a path"),
        ("version: 1\nscrub:\n  tables: [a]\n", "[a]", "scrub.tables", "mapping of table name"),
        (HEAD + "    public.x: keepp\n", "keepp", "scrub.tables.public.x", "did you mean 'keep'"),
        (HEAD + "    public.x:\n", "public.x", "scrub.tables.public.x", "not null"),
        (
            HEAD + "    public.x: {colums: {}}\n",
            "colums",
            "scrub.tables.public.x.colums",
            "did you mean 'columns'",
        ),
        (
            HEAD + "    public.x: {}\n",
            "{}",
            "scrub.tables.public.x",
            "needs columns:",
        ),
        (
            HEAD + "    public.x: {columns: keep}\n",
            "keep",
            "scrub.tables.public.x.columns",
            "mapping of column name",
        ),
        (
            HEAD + "    'public.\"x': keep\n",
            "'public",
            'scrub.tables.public."x',
            "quoted as a whole",
        ),
        (
            HEAD + "    public.: keep\n",
            "public.",
            "scrub.tables.public.",
            "empty name",
        ),
        (HEAD + "    2: keep\n", "2:", "scrub.tables.2", "table name must be text"),
        (
            HEAD + "    public.patients: keep\n    patients: drop\n",
            "patients: drop",
            "scrub.tables.patients",
            "table public.patients is defined twice: first at p.yaml:4:5",
        ),
        (
            HEAD + "    clinic.Lab Results: keep\n    'clinic.\"Lab Results\"': drop\n",
            "'clinic",
            'scrub.tables.clinic."Lab Results"',
            'table clinic."Lab Results" is defined twice',
        ),
        (
            HEAD + '    \'"public"."t"\': keep\n    public.t: drop\n',
            "public.t:",
            "scrub.tables.public.t",
            "first at p.yaml:4:5",
        ),
    ],
)
def test_policy_errors(text: str, needle: str, path: str | None, message: str) -> None:
    """Top-level, scrub option and table errors name position, key path and what is allowed."""
    exc = fails(text)
    assert message in exc.message, str(exc)
    line, column = where(text, needle)
    assert (exc.file, exc.line, exc.column, exc.path) == ("p.yaml", line, column, path), str(exc)


def test_literal_key_refused_without_echo() -> None:
    """A key pasted into the policy is refused, with how to pass it, and never repeated."""
    text = "version: 1\nscrub:\n  key: hunter2-very-secret-value\n"
    exc = fails(text)
    assert_at(exc, text, "hunter2", "scrub.key")
    assert "hunter2" not in str(exc)
    assert "key: env:SCRUBPHI_KEY" in exc.message
    assert "key: file:path/to/keyfile" in exc.message
    exc = fails("version: 1\nscrub:\n  key: 12345678901234567890\n")
    assert "12345678901234567890" not in str(exc)
    assert "env:SCRUBPHI_KEY" in exc.message


def test_duplicate_key_in_one_file() -> None:
    """A key written twice in one mapping is an error naming both places, not last-wins."""
    text = table("ssn: keep\nname: keep\nssn: {fake: ssn}")
    exc = fails(text)
    assert_at(exc, text, "ssn:", f"{COLS}.ssn", nth=2)
    assert "first at p.yaml:6:9, again at p.yaml:8:9" in exc.message


def test_duplicate_secret_key_does_not_echo_values() -> None:
    """ruamel prints duplicate values; ours must not, they may be a pasted secret."""
    text = "version: 1\nscrub:\n  key: topsecretliteral\n  key: env:K\n"
    exc = fails(text)
    assert "topsecretliteral" not in str(exc)
    assert (exc.line, exc.column, exc.path) == (4, 3, "scrub.key")


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("version: 1\nscrub:\n  tables: {a: keep\n", 4, 1, "YAML syntax error"),
        ("version: 1\nscrub:\n\ttables: {}\n", 3, 1, "YAML syntax error"),
        ("version: 1\nscrub: [a, b\n", 3, 1, "YAML syntax error"),
        ("version: 1\n---\nversion: 1\n", 2, 1, "YAML syntax error"),
        ("version: 1\nscrub: *nothing\n", 2, 8, "YAML syntax error"),
    ],
)
def test_yaml_syntax_errors_have_positions(text: str, line: int, column: int, message: str) -> None:
    """Malformed YAML is a PolicyError with the file and the position ruamel found."""
    exc = fails(text)
    assert message in exc.message
    assert (exc.file, exc.line, exc.column) == ("p.yaml", line, column), str(exc)


def test_unsupported_yaml_features() -> None:
    """Merge keys and non-standard tags are refused rather than half-understood."""
    text = "version: 1\nbase: &b {x: keep}\n"
    assert "unknown top-level key base" in fails(text).message
    text = table("a: &b {fake: ssn}\nc:\n  <<: *b\n  unique: true")
    exc = fails(text)
    assert "merge keys" in exc.message
    assert (exc.line, exc.column) == where(text, "<<")
    text = table("c: !!binary aGVsbG8=")
    exc = fails(text)
    assert "tag:yaml.org,2002:binary" in exc.message
    assert (exc.line, exc.column) == where(text, "!!binary")


def test_hostile_yaml_is_a_policy_error() -> None:
    """A file built to exhaust the reader is refused as a policy error (exit 3), never
    an internal error: aliases that expand past a bound, and values nested deeper than
    any policy (a few hundred "[" exhausted ruamel's recursive reader: RecursionError,
    exit 1)."""
    bomb = "version: 1\na: &a [x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]\n"
    exc = fails(bomb)
    assert "expands to more than" in exc.message and exc.file == "p.yaml"
    exc = fails("version: 1\na: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested more than 64 levels" in exc.message and exc.file == "p.yaml"
    text = table("c: " + "[" * 70 + "keep" + "]" * 70)
    exc = fails(text)
    assert "nested more than 64 levels" in exc.message
    assert exc.line == where(text, "keep")[0]
    # A policy's own depth is far below the bound.
    assert loads_policy(table("d: keep\nc: {when: [{if: {d: [a, b]}, then: keep}], else: null}"),
                        "p.yaml").scrub is not None


def test_empty_and_non_mapping_files() -> None:
    """An empty file or a list at the top is refused with a position."""
    exc = fails("")
    assert (exc.file, exc.line, exc.column) == ("p.yaml", 1, 1)
    assert "empty" in exc.message
    exc = fails("# only a comment\n- version: 1\n")
    assert (exc.line, exc.column) == (2, 1)
    assert "mapping" in exc.message


def test_other_sections_are_plain_data_with_locations() -> None:
    """flags/rollback/... reach their modules as plain dicts that still know positions."""
    text = yaml(
        """
        version: 1
        flags:
          new-scheduling:
            enabled: true
            since: 2024-05-01
        rollback:
          rules:
            - {name: error-spike, above: 1%, for: 2m}
        canary:
        """
    )
    policy = loads_policy(text, "p.yaml")
    assert policy.scrub is None
    other = policy.other
    assert isinstance(other, PolicySections)
    assert other == {
        "flags": {"new-scheduling": {"enabled": True, "since": dt.date(2024, 5, 1)}},
        "rollback": {"rules": [{"name": "error-spike", "above": "1%", "for": "2m"}]},
        "canary": {},
    }
    assert type(other["rollback"]) is dict
    assert type(other["rollback"]["rules"]) is list
    assert type(other["flags"]["new-scheduling"]["enabled"]) is bool
    assert type(next(iter(other["flags"]))) is str
    assert other.location("rollback", "rules", 0, "for") == Location("p.yaml", *where(text, "2m"))
    assert other.key_location("flags", "new-scheduling") == Location("p.yaml", 3, 3)
    exc = other.error("bad duration", "rollback", "rules", 0, "for")
    assert str(exc) == f"p.yaml:{where(text, 'for:')[0]}:{where(text, 'for:')[1]}: " + (
        "rollback.rules[0].for: bad duration"
    )


def test_check_spec_errors_become_policy_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ValueError from scrubphi.transforms.check_spec is reported at the column's spec."""
    seen: list[TransformSpec] = []

    def check_spec(spec: TransformSpec) -> None:
        seen.append(spec)
        if spec.kind == "fake" and spec.params["provider"] == "frist_name":
            raise ValueError("unknown Faker provider frist_name")

    monkeypatch.setattr(scrub_reader_module, "_find_check_spec", lambda: check_spec)
    text = table("id: keep\nname: {fake: frist_name}")
    exc = fails(text)
    assert exc.message == "unknown Faker provider frist_name"
    assert_at(exc, text, "{fake", f"{COLS}.name")
    assert [s.kind for s in seen] == ["keep", "fake"]


def test_missing_check_spec_is_tolerated(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without scrubphi.transforms.check_spec the loader still validates its own rules."""
    monkeypatch.setattr(scrub_reader_module, "_find_check_spec", lambda: None)
    assert spec_of("c: {fake: anything_at_all}", "c").params["provider"] == "anything_at_all"
    assert dict(spec_of("c: {fake: city, locale: de_DE}", "c").params) == {
        "provider": "city",
        "unique": False,
        "locale": "de_DE",
    }


def test_not_quite_a_date_stays_text() -> None:
    """2024-13-01 is not a date; it stays text instead of crashing the YAML reader."""
    assert dict(spec_of("c: {value: 2024-13-01}", "c").params) == {"value": "2024-13-01"}


# ---------------------------------------------------------------------------
# Table names
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "schema", "name"),
    [
        ("public.patients", "public", "patients"),
        ("patients", "public", "patients"),
        ("clinic.Lab Results", "clinic", "Lab Results"),
        ('clinic."Lab Results"', "clinic", "Lab Results"),
        ('"Weird Schema"."Pat,ients"', "Weird Schema", "Pat,ients"),
        ('public."a.b"', "public", "a.b"),
        ('"a.b".c', "a.b", "c"),
        ("Public.Patients", "Public", "Patients"),
        ('"we""ird"."x"', 'we"ird', "x"),
        ('"Lab Results"', "public", "Lab Results"),
        ("public.a.b", "public", "a.b"),
    ],
)
def test_table_name_spellings(written: str, schema: str, name: str) -> None:
    """Every documented spelling reaches the same (schema, name), not case-folded."""
    assert parse_table_name(written) == TableName(schema, name)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ('public."a', "quoted as a whole"),
        ('pub"lic.a', "not closed"),
        ('"public.a', "not closed"),
        ('public.a"b', "quoted as a whole"),
        (".a", "empty name"),
        ('"".a', "empty name"),
        ("public. a", "leading or trailing spaces"),
    ],
)
def test_bad_table_names(written: str, message: str) -> None:
    """Ambiguous table names are refused instead of guessed."""
    with pytest.raises(ValueError, match=message):
        parse_table_name(written)


def test_table_spellings_in_yaml() -> None:
    """Quoted YAML keys reach the same TableName as the plain spelling."""
    text = HEAD + '    \'clinic."Lab Results"\': keep\n    \'"Weird Schema"."Pat,ients"\': drop\n'
    policy = loads_policy(text)
    assert policy.scrub is not None
    assert list(policy.scrub.tables) == [
        TableName("clinic", "Lab Results"),
        TableName("Weird Schema", "Pat,ients"),
    ]
    assert str(TableName("clinic", "Lab Results")) == 'clinic."Lab Results"'


# ---------------------------------------------------------------------------
# Files, directories, merging
# ---------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml(text), encoding="utf-8")
    return path


def test_merge_two_files(tmp_path: Path) -> None:
    """Two files merge: scrub options from one, tables from both, sources and digest in order."""
    a = write(
        tmp_path / "a.yaml",
        """
        version: 1
        scrub:
          unknown_tables: drop
          tables:
            public.a: keep
        flags:
          one: {enabled: true}
        """,
    )
    b = write(
        tmp_path / "keys" / "b.yaml",
        """
        version: 1
        scrub:
          key: file:scrub.key
          tables:
            public.b:
              columns: {id: keep}
        flags:
          two: {enabled: false}
        """,
    )
    policy = load_policy(a, b)
    assert policy.scrub is not None
    assert policy.scrub.unknown_tables == "drop"
    assert policy.scrub.key_ref == "file:scrub.key"
    assert list(policy.scrub.tables) == [TableName("public", "a"), TableName("public", "b")]
    assert policy.scrub.tables[TableName("public", "b")].location == Location(str(b), 5, 5)
    # Relative key files are found next to the file that names them.
    assert policy.scrub.base_dir == str(tmp_path / "keys")
    assert policy.sources == (str(a), str(b))
    assert policy.digest == Policy.compute_digest([a.read_bytes(), b.read_bytes()])
    assert policy.digest != Policy.compute_digest([b.read_bytes(), a.read_bytes()])
    assert policy.other == {"flags": {"one": {"enabled": True}, "two": {"enabled": False}}}


def test_base_dir_defaults_to_first_file(tmp_path: Path) -> None:
    """Without key:, relative secrets resolve next to the first policy file."""
    a = write(tmp_path / "x" / "a.yaml", "version: 1\n")
    b = write(tmp_path / "y" / "b.yaml", "version: 1\nscrub: {}\n")
    policy = load_policy(a, b)
    assert policy.scrub is not None
    assert policy.scrub.base_dir == str(tmp_path / "x")


@pytest.mark.parametrize(
    ("first", "second", "path", "first_at", "second_at"),
    [
        (
            "scrub:\n  tables:\n    public.t: keep\n",
            "scrub:\n  tables:\n    public.t:\n      columns: {id: keep}\n",
            "scrub.tables.public.t",
            (4, 5),
            (4, 5),
        ),
        (
            "scrub:\n  tables:\n    public.t: keep\n",
            "scrub:\n  tables:\n    t: drop\n",
            "scrub.tables.t",
            (4, 5),
            (4, 5),
        ),
        (
            "scrub:\n  unknown_tables: fail\n",
            "scrub:\n  tables: {}\n  unknown_tables: fail\n",
            "scrub.unknown_tables",
            (3, 3),
            (4, 3),
        ),
        (
            "flags:\n  f: {enabled: true}\n",
            "flags:\n  f: {description: x}\n",
            "flags.f",
            (3, 3),
            (3, 3),
        ),
        (
            "rollback:\n  rules: []\n",
            "rollback:\n  missing_data: ignore\n  rules: []\n",
            "rollback.rules",
            (3, 3),
            (4, 3),
        ),
    ],
)
def test_merge_duplicates_name_both_places(
    tmp_path: Path,
    first: str,
    second: str,
    path: str,
    first_at: tuple[int, int],
    second_at: tuple[int, int],
) -> None:
    """A setting, table or named entry defined in two files names both file:line:col."""
    a = write(tmp_path / "a.yaml", "version: 1\n" + first)
    b = write(tmp_path / "b.yaml", "version: 1\n" + second)
    with pytest.raises(PolicyError) as info:
        load_policy(a, b)
    exc = info.value
    assert (exc.file, exc.line, exc.column, exc.path) == (str(b), *second_at, path), str(exc)
    assert f"{a}:{first_at[0]}:{first_at[1]}" in exc.message
    assert f"{b}:{second_at[0]}:{second_at[1]}" in exc.message


def test_directory_loading(tmp_path: Path) -> None:
    """A directory means its *.yaml and *.yml files, sorted, not recursive, no dotfiles."""
    write(tmp_path / "p" / "b.yml", "version: 1\nscrub:\n  tables: {public.b: keep}\n")
    write(tmp_path / "p" / "a.yaml", "version: 1\nscrub:\n  tables: {public.a: keep}\n")
    write(tmp_path / "p" / "notes.txt", "not yaml: [")
    write(tmp_path / "p" / ".a.yaml.swp.yaml", "garbage: [")
    write(tmp_path / "p" / "sub" / "c.yaml", "version: 1\nscrub:\n  tables: {public.a: drop}\n")
    policy = load_policy(tmp_path / "p")
    assert policy.sources == (str(tmp_path / "p" / "a.yaml"), str(tmp_path / "p" / "b.yml"))
    assert policy.scrub is not None
    assert list(policy.scrub.tables) == [TableName("public", "a"), TableName("public", "b")]


def test_every_file_needs_version(tmp_path: Path) -> None:
    """version: 1 is required in each file, not only in the first."""
    a = write(tmp_path / "a.yaml", "version: 1\n")
    b = write(tmp_path / "b.yaml", "scrub: {}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(a, b)
    assert (info.value.file, info.value.line, info.value.column) == (str(b), 1, 1)
    assert "missing version" in info.value.message


@pytest.mark.parametrize("case", ["missing", "empty_dir", "twice", "none", "not_utf8"])
def test_file_level_errors(tmp_path: Path, case: str) -> None:
    """Missing files, empty directories, a file given twice and bad encodings are errors."""
    a = write(tmp_path / "a.yaml", "version: 1\n")
    args: tuple[Path, ...]
    if case == "missing":
        args, message = (tmp_path / "nope.yaml",), "does not exist"
    elif case == "empty_dir":
        (tmp_path / "empty").mkdir()
        args, message = (tmp_path / "empty",), "no *.yaml"
    elif case == "twice":
        args, message = (a, tmp_path), "given twice"
    elif case == "none":
        args, message = (), "no policy file"
    else:
        (tmp_path / "bad.yaml").write_bytes(b"version: 1\n# caf\xe9\n")
        args, message = (tmp_path / "bad.yaml",), "UTF-8"
    with pytest.raises(PolicyError, match=message.replace("*", r"\*")) as info:
        load_policy(*args)
    if case == "not_utf8":
        assert (info.value.line, info.value.column) == (2, 6)


# ---------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------

KEY = "0123456789abcdef0123456789abcdef"


def test_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """env:NAME returns the variable's bytes."""
    monkeypatch.setenv("SCRUBPHI_TEST_KEY", KEY)
    assert resolve_secret("env:SCRUBPHI_TEST_KEY", "/nonexistent") == KEY.encode()


@pytest.mark.parametrize("value", [None, ""])
def test_secret_env_missing_or_empty(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    """A missing or empty variable is an error that names the variable."""
    if value is None:
        monkeypatch.delenv("SCRUBPHI_TEST_KEY", raising=False)
    else:
        monkeypatch.setenv("SCRUBPHI_TEST_KEY", value)
    with pytest.raises(PolicyError) as info:
        resolve_secret("env:SCRUBPHI_TEST_KEY", ".")
    assert "environment variable SCRUBPHI_TEST_KEY" in str(info.value)
    assert ("not set" if value is None else "empty") in str(info.value)


def test_secret_from_relative_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """file:PATH is relative to the policy file's folder, not the cwd; one newline stripped."""
    policy_file = write(
        tmp_path / "conf" / "policy.yaml", "version: 1\nscrub:\n  key: file:k.txt\n"
    )
    (tmp_path / "conf" / "k.txt").write_bytes(KEY.encode() + b"\n")
    monkeypatch.chdir(tmp_path)
    policy = load_policy(policy_file.relative_to(tmp_path))
    assert policy.scrub is not None
    assert policy.scrub.base_dir == str(tmp_path / "conf")
    assert resolve_secret(policy.scrub.key_ref, policy.scrub.base_dir) == KEY.encode()
    (tmp_path / "conf" / "k.txt").write_bytes(KEY.encode() + b"\r\n")
    assert resolve_secret("file:k.txt", str(tmp_path / "conf")) == KEY.encode()
    (tmp_path / "conf" / "k.txt").write_bytes(KEY.encode() + b" \n\n")
    assert resolve_secret("file:k.txt", str(tmp_path / "conf")) == KEY.encode() + b" \n"


def test_secret_file_missing(tmp_path: Path) -> None:
    """A missing key file is an error that names the resolved path."""
    with pytest.raises(PolicyError, match="does not exist") as info:
        resolve_secret("file:missing.key", str(tmp_path))
    assert str(tmp_path / "missing.key") in str(info.value)
    with pytest.raises(PolicyError, match="is a directory"):
        resolve_secret(f"file:{tmp_path}", "/")


def test_short_key_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keys under 16 bytes are refused, and the message does not show the key."""
    monkeypatch.setenv("SCRUBPHI_TEST_KEY", "short-key-15byt")
    with pytest.raises(PolicyError, match="15 bytes; at least 16") as info:
        resolve_secret("env:SCRUBPHI_TEST_KEY", ".")
    assert "short-key" not in str(info.value)
    (tmp_path / "k").write_bytes(b"0123456789abcdef\n")
    assert resolve_secret("file:k", str(tmp_path)) == b"0123456789abcdef"
    (tmp_path / "k").write_bytes(b"0123456789abcde\n")
    with pytest.raises(PolicyError, match="15 bytes"):
        resolve_secret("file:k", str(tmp_path))


@pytest.mark.parametrize("placeholder", [b"x" * 32, b"0" * 64, b"ab" * 16, b"1234" * 4,
                                         b"\x00" * 32])
def test_placeholder_key_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 placeholder: bytes) -> None:
    """A key of fewer than five distinct bytes is a placeholder: refused from a file or
    the environment, naming where it came from and never showing it."""
    (tmp_path / "k").write_bytes(placeholder + b"\n")
    with pytest.raises(PolicyError, match="distinct byte values") as info:
        resolve_secret("file:k", str(tmp_path))
    assert str(tmp_path / "k") in str(info.value)
    assert placeholder.decode("latin-1") not in str(info.value)
    if b"\x00" not in placeholder:
        monkeypatch.setenv("SCRUBPHI_TEST_KEY", placeholder.decode())
        with pytest.raises(PolicyError, match="environment variable SCRUBPHI_TEST_KEY"):
            resolve_secret("env:SCRUBPHI_TEST_KEY", ".")


def test_generated_keys_accepted(tmp_path: Path) -> None:
    """Generated keys pass the placeholder check, many times over: 32 random hex digits
    (``openssl rand -hex 16``) and 16 random bytes in base64."""
    import secrets as random_keys

    for i in range(2000):
        key = (random_keys.token_hex(16) if i % 2 else random_keys.token_urlsafe(16)).encode()
        (tmp_path / "k").write_bytes(key)
        assert resolve_secret("file:k", str(tmp_path)) == key


def test_resolve_literal_refused() -> None:
    """resolve_secret refuses a literal, explains how, and never echoes it."""
    with pytest.raises(PolicyError) as info:
        resolve_secret("correct-horse-battery-staple", ".")
    assert "correct-horse" not in str(info.value)
    assert "env:SCRUBPHI_KEY" in str(info.value)


def test_resolve_secret_error_location(monkeypatch: pytest.MonkeyPatch) -> None:
    """Callers can attach the policy position to a secret error."""
    monkeypatch.delenv("SCRUBPHI_TEST_KEY", raising=False)
    with pytest.raises(PolicyError) as info:
        resolve_secret(
            "env:SCRUBPHI_TEST_KEY", ".", location=Location("p.yaml", 3, 8), key_path="scrub.key"
        )
    assert str(info.value).startswith("p.yaml:3:8: scrub.key: environment variable")


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("env:SCRUBPHI_KEY", True),
        ("env:_k1", True),
        ("file:keys/scrub.key", True),
        ("file:/abs/key", True),
        ("env:", False),
        ("env:1ABC", False),
        ("env:A-B", False),
        ("file:", False),
        ("file:  ", False),
        ("ENV:X", False),
        ("literal", False),
        (None, False),
        (12, False),
    ],
)
def test_is_secret_ref(ref: object, expected: bool) -> None:
    """Only well-formed env:/file: references count as references."""
    assert is_secret_ref(ref) is expected


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90.0),
        ("2m", 120.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("3d", 259200.0),
        ("500ms", 0.5),
        ("1w", 604800.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("0s", 0.0),
        (" 60s ", 60.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Prometheus-style durations become seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "bad", ["", "5", "5 m", "m", "-1s", "1y", "30m1h", "1m1m", 5, 1.5, True, None]
)
def test_parse_duration_errors(bad: object) -> None:
    """Bare numbers, unknown units and disorder are refused with what is allowed."""
    with pytest.raises(ValueError, match="ms, s, m, h, d or w"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        ("1%", 0.01),
        ("0.1%", 0.001),
        ("100%", 1.0),
        ("0%", 0.0),
        (0.01, 0.01),
        (0, 0.0),
        (1, 1.0),
        ("0.25", 0.25),
        ("20 %", 0.2),
    ],
)
def test_parse_percent(value: object, fraction: float) -> None:
    """Percentages and fractions become a fraction between 0 and 1."""
    assert parse_percent(value) == fraction


@pytest.mark.parametrize("bad", ["101%", "-1%", 1.5, 5, -0.1, "abc", "%", True, None, float("nan")])
def test_parse_percent_errors(bad: object) -> None:
    """Out-of-range or malformed percentages are refused with what is allowed."""
    with pytest.raises(ValueError, match=re.escape("1%, 0.1% or 100%")):
        parse_percent(bad)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("64MiB", 64 * 1024**2),
        ("1GB", 10**9),
        ("512KiB", 512 * 1024),
        ("1kB", 1000),
        ("1.5KiB", 1536),
        ("10B", 10),
        ("123", 123),
        (123, 123),
        ("2 GiB", 2 * 1024**3),
    ],
)
def test_parse_size(value: object, size: int) -> None:
    """SI and IEC sizes become whole bytes."""
    assert parse_size(value) == size


@pytest.mark.parametrize("bad", ["64mb", "1.5B", "-1KiB", "MiB", "1PB", -5, 1.5, True, None])
def test_parse_size_errors(bad: object) -> None:
    """Unknown units, fractions of a byte and negatives are refused with what is allowed."""
    with pytest.raises(ValueError, match="KiB, MiB"):
        parse_size(bad)


def test_public_names_exist() -> None:
    """The package exports what its __all__ promises."""
    import scrubphi.policy as pkg

    for name in pkg.__all__:
        assert hasattr(pkg, name), name
    assert os.path.basename(loader_module.__file__ or "") == "loader.py"
