"""The first day with the ``scrubphi`` command: option spellings, usage errors, -q/-v.

Usage problems are run through the real ``scrubphi`` program (as a shell or
cron job sees them): one line on stderr, exit 2, never a traceback or an
"internal error".
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scrubphi import __version__, check_dump
from scrubphi.cli import EXIT_CODES, main
from scrubphi.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = ROOT / "examples" / "phi_fields.yaml"
EXAMPLE_DUMP = ROOT / "examples" / "hospital.sql"
RULES = ROOT / "rollback" / "rules.yaml"
FLAGS = ROOT / "flags" / "flags.yaml"


def _scrubphi(*args: str, stdin: bytes = b"", cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real program, with this checkout first on the path (as the tests' PYTHONPATH)."""
    full = {**os.environ, **(env or {})}
    full["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), full.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "scrubphi", *args], input=stdin,
                          capture_output=True, timeout=120, cwd=cwd, env=full)


USAGE_CASES = [
    ("check-without-policy", ["check"], "give the policy: -c/--config"),
    ("audit-without-policy", ["audit"], "give the policy: -c/--config"),
    ("scrub-without-policy", ["scrub", "-i", str(EXAMPLE_DUMP)], "give the policy: -c/--config"),
    ("bare-without-policy", ["-i", str(EXAMPLE_DUMP)], "give the policy: -c/--config"),
    ("refresh-grace-without-unit", ["refresh", "--from", "postgresql://127.0.0.1:9/a",
                                    "--to", "postgresql://127.0.0.1:9/b", "-c",
                                    str(EXAMPLE_POLICY), "--grace", "5"],
     "Invalid value for --grace: '5' is not a duration"),
    ("parity-tolerance-not-a-fraction", ["parity", "--source", "postgresql://127.0.0.1:9/a",
                                         "--target", "postgresql://127.0.0.1:9/b",
                                         "--tolerance", "5"],
     "Invalid value for --tolerance"),
    ("unknown-option", ["check", "--polcy", "x.yaml"], "No such option '--polcy'"),
    ("missing-gate-plan", ["gate", "-c", str(FLAGS), "--source", "prometheus=http://x"],
     "Missing option '--plan'"),
    ("gate-unknown-plan", ["gate", "-c", str(FLAGS), "--plan", "nope", "--phase", "five",
                           "--started-at", "2024-05-01T00:00:00Z", "--source",
                           "prometheus=http://127.0.0.1:9"], "no rollout plan 'nope'"),
    ("a-dump-given-as-a-command", ["-c", str(EXAMPLE_POLICY), str(EXAMPLE_DUMP)],
     f"is not a command; to scrub a dump file give it with -i (scrubphi -c POLICY -i "
     f"{EXAMPLE_DUMP} -o OUT)"),
]


@pytest.mark.parametrize(("argv", "message"), [c[1:] for c in USAGE_CASES],
                         ids=[c[0] for c in USAGE_CASES])
def test_usage_problems_exit_2_with_one_line(argv: list[str], message: str) -> None:
    """Each usage problem: exit 2, exactly one line on stderr naming it, nothing on stdout."""
    result = _scrubphi(*argv)
    err = result.stderr.decode()
    assert result.returncode == EXIT_CODES["usage"], err
    assert err.count("\n") == 1 and err.startswith("scrubphi: error: "), err
    assert message in err, err
    assert "Traceback" not in err and "internal error" not in err
    assert result.stdout == b""


def _policy_params() -> list[tuple[str, click.Parameter]]:
    """Every option that takes the policy, in every command and subcommand."""
    found: list[tuple[str, click.Parameter]] = []
    ctx = click.Context(main)

    def walk(command: click.Command, path: str) -> None:
        for param in command.params:
            if {"--policy", "--config"} & set(param.opts):
                found.append((path, param))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, f"{path} {name}")

    walk(main, "scrubphi")
    return found


def test_every_command_takes_the_policy_as_c_config() -> None:
    """-c/--config everywhere; where -p/--policy was the spelling it stays as an alias."""
    params = _policy_params()
    paths = {path for path, _ in params}
    for command in ("gate", "rollback-check", "canary run", "flags list", "check", "audit",
                    "refresh", "parity", "scrub"):
        assert f"scrubphi {command}" in paths, command
    for path, param in params:
        assert {"-c", "--config"} <= set(param.opts), path
    old = {path for path, param in params if "--policy" in param.opts}
    assert {"scrubphi gate", "scrubphi rollback-check", "scrubphi canary run"} <= old
    for path, param in params:
        if "--policy" in param.opts:
            assert "-p" in param.opts, path


@pytest.mark.parametrize("spelling", ["-c", "--config", "-p", "--policy"])
def test_rollback_check_reads_the_policy_in_either_spelling(spelling: str) -> None:
    """Both spellings reach the rules: an unreachable source is then inconclusive (10)."""
    result = CliRunner().invoke(main, ["rollback-check", spelling, str(RULES), "--source",
                                       "prometheus=http://127.0.0.1:9", "--now",
                                       "2024-05-01T12:00:00Z"])
    assert result.exit_code == 10, result.output
    assert "inconclusive" in result.output


def test_check_and_audit_take_policy_files_as_arguments(tmp_path: Path) -> None:
    """`scrubphi check policy.yaml` as docs/policy.md shows; several files and folders merge."""
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(EXAMPLE_POLICY)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("policy OK: 1 file(s)")
    (tmp_path / "base.yaml").write_text("version: 1\nscrub:\n  key: env:K\n")
    (tmp_path / "phi.yaml").write_text(
        "version: 1\nscrub:\n  tables:\n    public.t: keep\n")
    result = runner.invoke(main, ["check", str(tmp_path / "base.yaml"),
                                  str(tmp_path / "phi.yaml")])
    assert result.exit_code == 0 and "2 file(s), 1 table rule(s)" in result.output
    result = runner.invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0 and "2 file(s)" in result.output
    result = runner.invoke(main, ["audit", str(EXAMPLE_POLICY), "--dump", str(EXAMPLE_DUMP),
                                  "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policy_sha256"] == load_policy(EXAMPLE_POLICY).digest
    both = runner.invoke(main, ["check", "-c", str(tmp_path / "base.yaml"),
                                str(tmp_path / "phi.yaml")])
    assert both.exit_code == 0 and "2 file(s)" in both.output


def _missing_phone(tmp_path: Path) -> Path:
    text = EXAMPLE_POLICY.read_text().replace("file:example.key", "env:SCRUBPHI_UNUSED")
    lines = [line for line in text.splitlines() if not line.startswith("        phone:")]
    pol = tmp_path / "p.yaml"
    pol.write_text("\n".join(lines) + "\n")
    return pol


def test_check_dump_lists_each_uncovered_column_once(tmp_path: Path) -> None:
    """A full dump: the uncovered column is listed once (CLI and check_dump, which refresh uses)."""
    pol = _missing_phone(tmp_path)
    result = _scrubphi("check", "-c", str(pol), "--dump", str(EXAMPLE_DUMP))
    err = result.stderr.decode()
    assert result.returncode == EXIT_CODES["coverage"], err
    assert err.count("column phone: not in the policy") == 1, err
    assert "(1 problem)" in err
    with open(EXAMPLE_DUMP, "rb") as src:
        problems, _ = check_dump(src, load_policy(pol))
    assert len(problems) == 1 and "column phone" in problems[0]


def test_quiet_and_verbose(tmp_path: Path) -> None:
    """-q: only what fails (audit: the count); -v: what was checked, a summary of a scrub."""
    runner = CliRunner()
    quiet = runner.invoke(main, ["check", "-q", "-c", str(EXAMPLE_POLICY), "--dump",
                                 str(EXAMPLE_DUMP)])
    assert (quiet.exit_code, quiet.output) == (0, "")
    quiet = runner.invoke(main, ["-q", "check", "-c", str(EXAMPLE_POLICY)])
    assert (quiet.exit_code, quiet.output) == (0, "")
    loud = runner.invoke(main, ["check", "-v", "-c", str(EXAMPLE_POLICY), "--dump",
                                str(EXAMPLE_DUMP)])
    assert loud.exit_code == 0 and "  checked public.patients\n" in loud.output
    failing = runner.invoke(main, ["check", "-q", "-c", str(_missing_phone(tmp_path)),
                                   "--dump", str(EXAMPLE_DUMP)])
    assert failing.exit_code == EXIT_CODES["coverage"]
    assert failing.stdout == "" and "column phone" in failing.stderr
    audit = runner.invoke(main, ["audit", "-q", "-c", str(EXAMPLE_POLICY), "--dump",
                                 str(EXAMPLE_DUMP)])
    assert audit.exit_code == 0 and audit.output == "findings: 3\n"
    out = tmp_path / "out.sql"
    run = _scrubphi("-v", "-c", str(EXAMPLE_POLICY), "-i", str(EXAMPLE_DUMP), "-o", str(out),
                    cwd=ROOT)
    err = run.stderr.decode()
    assert run.returncode == 0, err
    assert err.startswith("scrubphi: done: 7 table(s), ") and f"scrubphi {__version__}" in err
    silent = _scrubphi("scrub", "-q", "-c", str(EXAMPLE_POLICY), "-i", str(EXAMPLE_DUMP), "-o",
                       str(out), cwd=ROOT)
    assert (silent.returncode, silent.stderr, silent.stdout) == (0, b"", b"")


def test_report_carries_version_and_timestamps(tmp_path: Path) -> None:
    """The --report JSON says which scrubphi ran, when it started and ended; audit --json too."""
    report = tmp_path / "r.json"
    before = time.time()
    result = CliRunner().invoke(main, ["-c", str(EXAMPLE_POLICY), "-i", str(EXAMPLE_DUMP),
                                       "-o", str(tmp_path / "o.sql"), "--report", str(report)])
    after = time.time()
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["scrubphi_version"] == __version__
    started = dt.datetime.fromisoformat(data["started_at"])
    finished = dt.datetime.fromisoformat(data["finished_at"])
    assert started.tzinfo is not None
    assert before - 0.01 <= started.timestamp() <= finished.timestamp() <= after + 0.01
    audit = CliRunner().invoke(main, ["audit", "-c", str(EXAMPLE_POLICY), "--dump",
                                      str(EXAMPLE_DUMP), "--json"])
    doc = json.loads(audit.stdout)
    assert doc["scrubphi_version"] == __version__
    assert dt.datetime.fromisoformat(doc["generated_at"]).timestamp() >= before


def test_shell_completion_works_as_documented() -> None:
    """The README's completion line prints a bash script; completing `ch` offers check."""
    readme = (ROOT / "README.md").read_text()
    assert 'eval "$(_SCRUBPHI_COMPLETE=bash_source scrubphi)"' in readme
    script = _scrubphi(env={"_SCRUBPHI_COMPLETE": "bash_source"})
    assert script.returncode == 0 and b"_scrubphi_completion" in script.stdout
    words = _scrubphi(env={"_SCRUBPHI_COMPLETE": "bash_complete", "COMP_WORDS": "scrubphi ch",
                           "COMP_CWORD": "1"})
    assert words.returncode == 0 and b"plain,check" in words.stdout
    options = _scrubphi(env={"_SCRUBPHI_COMPLETE": "bash_complete",
                             "COMP_WORDS": "scrubphi gate --con", "COMP_CWORD": "2"})
    assert b"plain,--config" in options.stdout


def test_the_library_check_dump_is_unchanged_for_a_covered_dump() -> None:
    """A covered dump still has no problems (the de-duplication drops nothing real)."""
    problems, report = check_dump(io.BytesIO(EXAMPLE_DUMP.read_bytes()),
                                  load_policy(EXAMPLE_POLICY))
    assert problems == [] and len(report.tables) == 7
