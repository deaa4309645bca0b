"""The collector pause around builds (gcutil.py): restored however the build ends,
and freezing only in a one-shot process."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from scrubphi.gcutil import gc_paused


def test_paused_inside_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not re-enable early
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("build failed")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_no_freeze_unless_one_shot() -> None:
    """A library user or refresh worker scrubs many streams: nothing is frozen for it
    (garbage of one run must stay collectable); the command freezes what it built."""
    code = (
        "import gc, io, sys\n"
        "from scrubphi import gcutil, scrub_stream\n"
        "from scrubphi.policy import loads_policy\n"
        "policy = loads_policy('version: 1\\nscrub:\\n  tables:\\n    public.t:\\n"
        "      columns:\\n        a: {redact: text}\\n')\n"
        "dump = b'CREATE TABLE public.t (a text);\\nCOPY public.t (a) FROM stdin;\\n"
        "Call Mary at 555-0101\\n\\\\.\\n\\n-- PostgreSQL database dump complete\\n'\n"
        "if sys.argv[1] == 'one-shot':\n"
        "    gcutil.one_shot()\n"
        "out = io.BytesIO()\n"
        "scrub_stream(io.BytesIO(dump), out, policy, key=b'k' * 32)\n"
        "assert b'Mary' not in out.getvalue() and gc.isenabled()\n"
        "print(gc.get_freeze_count())\n"
    )
    counts = {}
    for mode in ("library", "one-shot"):
        done = subprocess.run([sys.executable, "-c", code, mode], capture_output=True,
                              text=True, check=True)
        counts[mode] = int(done.stdout.strip())
    assert counts["library"] == 0
    assert counts["one-shot"] > 10_000
