"""The scrub command pins glibc's mmap threshold for its own process (memutil.py).

Why tested: the unique-fakes memory target (RSS at 2M rows within 1.10x of 20k,
``benchmarks/unique_rss.py``) holds only with the threshold pinned; a library
import must not change the allocator, and a user's own MALLOC_ tuning wins.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from scrubphi import memutil

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import ctypes, scrubphi.memutil as m
calls = []
class Fake:
    def __init__(self, real):
        self.gnu_get_libc_version = real.gnu_get_libc_version
        def mallopt(param, value):
            calls.append((param, value))
            return 1
        self.mallopt = mallopt
real = ctypes.CDLL(None)
ctypes.CDLL = lambda name: Fake(real)
print(m.pin_mmap_threshold(), calls)
"""

glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the mmap threshold is glibc's")


def _probe(env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


@glibc
def test_pins_the_threshold_with_mallopt() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    assert _probe(env) == f"True [({memutil._M_MMAP_THRESHOLD}, {memutil.MMAP_THRESHOLD})]"


@glibc
@pytest.mark.parametrize("name, value", [("MALLOC_MMAP_THRESHOLD_", "65536"),
                                         ("MALLOC_TRIM_THRESHOLD_", "1048576"),
                                         ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536")])
def test_a_users_own_malloc_tuning_wins(name: str, value: str) -> None:
    env = {**os.environ, name: value}
    assert _probe(env) == "False []"


@glibc
def test_the_real_call_succeeds_in_a_child() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c",
                          "import scrubphi.memutil as m; print(m.pin_mmap_threshold())"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


def test_the_scrub_command_pins_it_and_the_library_does_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from scrubphi import Scrubber, cli
    from scrubphi.policy import loads_policy

    calls: list[int] = []
    monkeypatch.setattr(memutil, "pin_mmap_threshold", lambda: calls.append(1) or True)
    policy = loads_policy("version: 1\nscrub:\n  tables:\n    public.t:\n      columns:\n"
                          "        a: {fake: first_name}\n", "p.yaml")
    scrubber = Scrubber(policy, key=b"memutil-test-key-0123456789abcdef")
    out = scrubber.feed(b"CREATE TABLE public.t (a text);\nCOPY public.t (a) FROM stdin;\n"
                        b"Ann\n\\.\n\n--\n-- PostgreSQL database dump complete\n--\n")
    out += scrubber.close()
    assert b"Ann\n" not in out and b"COPY public.t" in out
    assert calls == []  # the library leaves the allocator alone
    dump = (ROOT / "examples" / "hospital.sql").read_bytes()
    result = CliRunner().invoke(cli.main, ["--config", str(ROOT / "examples" / "phi_fields.yaml")],
                                input=dump)
    assert result.exit_code == 0, result.output
    assert calls == [1]
