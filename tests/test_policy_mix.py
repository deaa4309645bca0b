"""The policies of ``benchmarks/policy_mix.py`` on a generated patients dump, both codecs.

The benchmark measures what users write (per-patient shifts, unique fakes, row
conditions with pattern tests and memoised redact branches, hash and mask);
here the same policies must load, cover the dump, and give byte-identical
output on the compiled codec and the pure twin, with every name, SSN and
e-mail of the source gone.
"""

from __future__ import annotations

import io
import re

import pytest

from bench_modules import BENCH, bench_module, patients_dump
from scrubphi import _impl, scrub_stream
from scrubphi.policy import loads_policy


@pytest.fixture(scope="module")
def dump() -> bytes:
    return patients_dump(400_000, seed=7)


MIX = bench_module("policy_mix")


@pytest.mark.parametrize(("name", "changes"), MIX.LADDER, ids=[n for n, _ in MIX.LADDER])
def test_ladder_policy_twins_agree_and_leave_nothing(dump: bytes, name: str,
                                                     changes: dict[str, str]) -> None:
    policy = loads_policy(MIX.policy_text(changes), str(BENCH / "policy_mix.yaml"))
    codecs = [_impl.load("pure")] + ([] if _impl.NO_EXTENSIONS else [_impl.load("compiled")])
    outputs = []
    for codec in codecs:
        out = io.BytesIO()
        scrub_stream(io.BytesIO(dump), out, policy, codec=codec)
        outputs.append(out.getvalue())
    assert all(o == outputs[0] for o in outputs), name
    rows = [line.split(b"\t") for line in dump.split(b"\n") if line.count(b"\t") == 13]
    assert len(rows) > 1000
    scrubbed = outputs[0]
    emails = [r[7] for r in rows[:300] if r[7] != b"\\N"]
    ssns = [r[4] for r in rows[:300] if r[4] != b"\\N"]
    assert not [e for e in emails if re.search(rb"\b" + re.escape(e) + rb"\b", scrubbed)]
    assert sum(1 for s in ssns if s in scrubbed) <= 1  # a 9-digit fake may meet a real one
