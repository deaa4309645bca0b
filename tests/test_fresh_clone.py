"""A fresh clone (no ``shared/`` beside it) collects every test: the data is in the repository."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _collected(cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider"], cwd=cwd, env=env, capture_output=True,
                         timeout=300)
    out = run.stdout.decode() + run.stderr.decode()
    assert run.returncode == 0, out[-3000:]
    match = re.search(r"(\d+) tests? collected", out)
    assert match, out[-3000:]
    return int(match.group(1)), out


def test_a_clone_without_shared_collects_every_test(tmp_path: Path) -> None:
    """`git clone` of this commit into a folder with no ../shared: no error, nothing missing.

    Collection imports every test module, and with it ``shared_paths``, which
    raises when the data it needs is nowhere; the count must equal this
    checkout's (so no module was skipped for want of data).
    """
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        raise RuntimeError("this test needs git and a git checkout")
    clone = tmp_path / "lonely" / "scrubphi"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True, capture_output=True, timeout=120)
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "SCRUBPHI_SHARED"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    fresh, out = _collected(clone, env)
    here, _ = _collected(ROOT, {**env, "SCRUBPHI_SHARED": "repo"})
    committed = set(subprocess.run(["git", "ls-files", "tests"], cwd=ROOT, check=True,
                                   capture_output=True).stdout.decode().split())
    if all(f"tests/{p.name}" in committed for p in (ROOT / "tests").glob("test_*.py")):
        assert fresh == here, out[-2000:]
    assert fresh > 1000
