"""A policy rule that names no table of the dump is warned about, with the near name.

An operator in a hurry writes ``public.patient:`` for the table
``public.patients``. With ``unknown_tables: keep`` (a policy that keeps what it
does not name, as a first policy for a big schema often does), the patients
passed as they were and the run exited 0 without a word. The rule protects
nothing, so the run now says so, names the table it probably meant, and
``scrubphi check --strict`` fails on it. A warning rather than an error: a dump
of some tables only (``pg_dump -t``) leaves a whole-database policy's other
rules unused.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from scrubphi import scrub_stream
from scrubphi.policy import loads_policy

KEY = "unused-rules-test-key-0123456789abcdef"

DUMP = b"""--
-- PostgreSQL database dump
--

CREATE TABLE public.patients (id integer, name text);
CREATE TABLE public.visits (id integer, seen date);

COPY public.patients (id, name) FROM stdin;
1\tAnna Smith
\\.

COPY public.visits (id, seen) FROM stdin;
1\t2020-01-02
\\.

--
-- PostgreSQL database dump complete
--

"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  unknown_tables: keep
  tables:
    public.patient:
      columns:
        id: keep
        name: {fake: name}
    public.visits: keep
    RULES
"""


def _scrub(policy: str, codec: ModuleType) -> tuple[bytes, list[str]]:
    dst = io.BytesIO()
    report = scrub_stream(io.BytesIO(DUMP), dst, loads_policy(policy, "p.yaml"), codec=codec,
                          key=KEY.encode())
    return dst.getvalue(), report.warnings


def test_a_misspelt_table_is_named_with_the_table_meant(codec: ModuleType) -> None:
    out, warnings = _scrub(POLICY.replace("RULES", ""), codec)
    assert b"Anna Smith" in out  # kept, as unknown_tables: keep says: hence the warning
    assert warnings == [
        "the policy has rules for 1 table(s) the dump does not hold: public.patient (did you "
        "mean public.patients?); such a rule protects nothing (a typo, or a dump of some "
        "tables only: pg_dump -t)"]


def test_many_absent_tables_make_one_warning(codec: ModuleType) -> None:
    extra = "\n    ".join(f"public.t{i}: drop" for i in range(7))
    _, warnings = _scrub(POLICY.replace("RULES", extra), codec)
    assert len(warnings) == 1
    assert warnings[0].startswith("the policy has rules for 8 table(s) the dump does not hold: "
                                  "public.patient (did you mean public.patients?), public.t0, ")
    assert "public.t3 and 3 more;" in warnings[0]


def test_rules_that_all_match_say_nothing(codec: ModuleType) -> None:
    policy = POLICY.replace("public.patient:", "public.patients:").replace("RULES", "")
    out, warnings = _scrub(policy, codec)
    assert warnings == [] and b"Anna Smith" not in out


def test_the_cli_warns_and_check_strict_fails(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY.replace("RULES", ""))
    env = {**os.environ, "SCRUBPHI_KEY": KEY}
    run = subprocess.run([sys.executable, "-m", "scrubphi", "-c", str(path)], input=DUMP,
                         capture_output=True, env=env)
    assert run.returncode == 0
    assert b"scrubphi: warning: the policy has rules for 1 table(s) the dump does not hold: " \
           b"public.patient (did you mean public.patients?)" in run.stderr
    check = subprocess.run([sys.executable, "-m", "scrubphi", "check", "--strict", "-c",
                            str(path), "--dump", "-"], input=DUMP, capture_output=True, env=env)
    assert check.returncode == 3 and b"public.patient (did you mean" in check.stderr
    assert b"Anna" not in run.stderr + check.stderr


def test_a_key_given_as_text_is_named_at_once(codec: ModuleType) -> None:
    """A library caller's ``key="..."`` failed as a TypeError deep in a transform."""
    import pytest

    from scrubphi.refresh import RefreshError, RefreshOptions, refresh

    with pytest.raises(TypeError, match="key must be bytes"):
        scrub_stream(io.BytesIO(DUMP), io.BytesIO(), loads_policy(POLICY.replace("RULES", ""),
                                                                 "p.yaml"),
                     codec=codec, key=KEY)  # type: ignore[arg-type]
    with pytest.raises(RefreshError, match="preflight: the key must be bytes"):
        refresh(RefreshOptions(source_url="host=/nonexistent dbname=a",
                               staging_url="host=/nonexistent dbname=b",
                               configs=("p.yaml",), key=KEY,  # type: ignore[arg-type]
                               log=lambda _msg: None))
