"""The ``scrubphi`` command: options, atomic output, reports and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrubphi import _impl
from scrubphi.cli import EXIT_CODES, main
from scrubphi.transforms.keyed import DERIVATION

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = ROOT / "examples" / "phi_fields.yaml"
EXAMPLE_DUMP = ROOT / "examples" / "hospital.sql"

SMALL = b"""--
-- PostgreSQL database dump
--

CREATE TABLE public.p (
    id integer NOT NULL,
    name text
);

COPY public.p (id, name) FROM stdin;
1\tAlice Example
2\tBob Example
\\.

--
-- PostgreSQL database dump complete
--

"""

POLICY = """version: 1
scrub:
  key: env:SCRUBPHI_TEST_KEY
  tables:
    public.p:
      columns:
        id: keep
        name: {fake: name}
"""


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A tiny dump and its policy, with the key in the environment."""
    monkeypatch.setenv("SCRUBPHI_TEST_KEY", "cli-test-key-0123456789")
    dump = tmp_path / "dump.sql"
    dump.write_bytes(SMALL)
    pol = tmp_path / "policy.yaml"
    pol.write_text(POLICY)
    return dump, pol


def invoke(args: list[str], data: bytes | None = None) -> tuple[int, bytes, str]:
    runner = CliRunner()
    result = runner.invoke(main, args, input=data, catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_version_names_the_codec() -> None:
    """--version says which codec and which free-text scan are active."""
    from scrubphi import _redact_impl

    code, out, _ = invoke(["--version"])
    assert code == 0
    assert f"codec: {_impl.IMPLEMENTATION}" in out.decode()
    assert f"redact scan: {_redact_impl.IMPLEMENTATION}" in out.decode()
    assert f"keyed derivation: {DERIVATION}" in out.decode()


def test_bare_config_scrubs_stdin_to_stdout(small: tuple[Path, Path]) -> None:
    """`scrubphi --config P < dump > out`, the pipeline form, and `scrub` do the same."""
    dump, pol = small
    code, out, err = invoke(["--config", str(pol)], SMALL)
    assert code == 0, err
    assert b"Alice Example" not in out and b"COPY public.p (id, name) FROM stdin;" in out
    code2, out2, _ = invoke(["scrub", "--config", str(pol), "-i", str(dump)])
    assert code2 == 0 and out2 == out


def test_example_from_the_readme(tmp_path: Path) -> None:
    """The README's first command works on the bundled example and changes every patient."""
    out = tmp_path / "scrubbed.sql"
    code, _, err = invoke(
        ["--config", str(EXAMPLE_POLICY), "-i", str(EXAMPLE_DUMP), "-o", str(out)]
    )
    assert code == 0, err
    text = out.read_bytes()
    original = EXAMPLE_DUMP.read_bytes()
    block = original[original.index(b"COPY public.patients") :]
    first_row = block.split(b"\n")[1].split(b"\t")
    for value in first_row[1:6]:  # mrn, names, ssn, ...: none survive
        if value != b"\\N":
            assert value not in text


def test_output_is_atomic(small: tuple[Path, Path], tmp_path: Path) -> None:
    """-o writes nothing on failure, and an existing file is left as it was."""
    dump, pol = small
    target = tmp_path / "out.sql"
    target.write_bytes(b"previous good dump\n")
    bad = tmp_path / "bad.sql"
    bad.write_bytes(SMALL.replace(b"2\tBob Example\n", b"2\tBob\tExtra\n"))
    code, _, _err = invoke(["--config", str(pol), "-i", str(bad), "-o", str(target)])
    assert code == EXIT_CODES["dump"]
    assert target.read_bytes() == b"previous good dump\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    fresh = tmp_path / "fresh.sql"
    code, _, _ = invoke(["--config", str(pol), "-i", str(bad), "-o", str(fresh)])
    assert code == EXIT_CODES["dump"] and not fresh.exists()
    code, _, _ = invoke(["--config", str(pol), "-i", str(dump), "-o", str(fresh)])
    assert code == 0 and fresh.read_bytes().startswith(b"--")


def test_an_output_in_a_missing_folder_is_named_as_asked(small: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    """-o into a folder that does not exist fails before reading (exit 6), naming the
    output asked for, not the temporary file it would have been written to first."""
    dump, pol = small
    target = tmp_path / "missing" / "out.sql"
    code, _, err = invoke(["--config", str(pol), "-i", str(dump), "-o", str(target)])
    assert code == EXIT_CODES["io"], err
    assert str(target) in err and ".partial" not in err


def test_report_has_counts_not_values(small: tuple[Path, Path], tmp_path: Path) -> None:
    """--report writes per-column counts, codec and policy hash, and never a value."""
    dump, pol = small
    report = tmp_path / "r.json"
    code, _, _ = invoke(["--config", str(pol), "-i", str(dump), "--report", str(report)])
    assert code == 0
    data = json.loads(report.read_text())
    assert data["ok"] is True and data["codec"] == _impl.IMPLEMENTATION
    assert len(data["policy_sha256"]) == 64
    # Two builds whose keyed derivations differ give different fakes: the report says which.
    assert data["keyed_derivation"] == DERIVATION
    assert data["bytes_in"] == len(SMALL)
    (table,) = data["tables"]
    assert table["rows"] == 2
    assert table["columns"]["name"] == {
        "transform": "{fake: name}",
        "transformed": 2,
        "nulled": 0,
        "kept": 0,
    }
    assert "Alice" not in report.read_text() and "Bob" not in report.read_text()


def test_failed_run_still_writes_its_report(small: tuple[Path, Path], tmp_path: Path) -> None:
    """A failed run's report says it failed, where, and still holds no value."""
    _dump, pol = small
    report = tmp_path / "r.json"
    bad = SMALL.replace(b"Bob Example", b"Bob \\q")
    code, out, err = invoke(["--config", str(pol), "--report", str(report)], bad)
    assert code == EXIT_CODES["dump"]
    data = json.loads(report.read_text())
    assert data["ok"] is False and "line 12" in data["error"]
    assert "Bob" not in report.read_text() and "Bob" not in err
    assert out.endswith(b"END $scrubphi$;\n")


@pytest.mark.parametrize(
    ("args", "policy_text", "expected"),
    [
        (["--nope"], POLICY, "usage"),
        ([], "version: 2\n", "policy"),
        ([], POLICY.replace("env:SCRUBPHI_TEST_KEY", "sUp3r-s3cret-literal-key"), "policy"),
        ([], POLICY.replace("        name: {fake: name}\n", ""), "coverage"),
        (["-i", "/nonexistent/dump.sql"], POLICY, "io"),
        (["--key", "a-literal-key-value"], POLICY, "usage"),
        (["--key", "env:SCRUBPHI_UNSET_VARIABLE"], POLICY, "policy"),
    ],
    ids=["usage", "policy", "literal-key", "coverage", "io", "literal-key-option", "missing-env"],
)
def test_exit_codes(
    small: tuple[Path, Path], tmp_path: Path, args: list[str], policy_text: str, expected: str
) -> None:
    """Each kind of failure has its own documented exit code, and the message holds no secret."""
    pol = tmp_path / "p.yaml"
    pol.write_text(policy_text)
    code, _, err = invoke(["--config", str(pol), *args], SMALL)
    assert code == EXIT_CODES[expected], err
    assert "sUp3r-s3cret" not in err and "a-literal-key-value" not in err
    assert "Alice" not in err


def test_no_arguments_prints_help_with_usage_code() -> None:
    """Bare `scrubphi` shows the help and exits with the usage code."""
    code, out, _ = invoke([])
    assert code == EXIT_CODES["usage"] and b"--config" in out


def test_check_lists_uncovered_columns(small: tuple[Path, Path], tmp_path: Path) -> None:
    """`check --dump` lists what the policy misses (exit 5) and passes when covered."""
    dump, pol = small
    code, out, _ = invoke(["check", "--config", str(pol)])
    assert code == 0 and b"policy OK" in out
    code, out, _ = invoke(["check", "--config", str(pol), "--dump", str(dump)])
    assert code == 0 and b"dump covered" in out
    partial = tmp_path / "partial.yaml"
    partial.write_text(POLICY.replace("        name: {fake: name}\n", ""))
    code, _, err = invoke(["check", "--config", str(partial), "--dump", str(dump)])
    assert code == EXIT_CODES["coverage"]
    assert "column name" in err and "Alice" not in err


def test_check_needs_no_key(small: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`check` works in CI without the secret: it transforms no value."""
    dump, pol = small
    monkeypatch.delenv("SCRUBPHI_TEST_KEY")
    code, _out, err = invoke(["check", "--config", str(pol), "--dump", str(dump)])
    assert code == 0, err


def test_progress_line_has_counts_only(small: tuple[Path, Path]) -> None:
    """--progress writes bytes, rows and the table to stderr, and no value."""
    _dump, pol = small
    code, _, err = invoke(["--config", str(pol), "--progress"], SMALL)
    assert code == 0
    assert "MB in" in err and "rows" in err and "Alice" not in err


def test_real_process_in_a_pipe(small: tuple[Path, Path]) -> None:
    """The installed entry point works as a filter between two real processes."""
    dump, pol = small
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, "-m", "scrubphi", "--config", str(pol)],
        input=dump.read_bytes(),
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Alice" not in proc.stdout and proc.stdout.count(b"\n") == SMALL.count(b"\n")
