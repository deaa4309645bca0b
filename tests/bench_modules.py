"""The benchmark scripts of ``benchmarks/`` as modules, for tests that reuse their data.

Why: the tests hold the scrubber to the same dumps and policies that the
benchmarks measure (``policy_mix.LADDER``, ``gen_dump``, ``redact_bench``'s
notes), so a benchmark and its test cannot drift apart. The scripts import each
other by name, hence the folder on ``sys.path`` while one loads.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def bench_module(name: str) -> ModuleType:
    """``benchmarks/NAME.py``, loaded under a name of its own."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"scrubphi_bench_{name}",
                                                      BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def patients_dump(size: int, seed: int) -> bytes:
    """``gen_dump``'s dump of the ``patients`` table, ``size`` bytes, from ``seed``."""
    out = io.BytesIO()
    bench_module("gen_dump").write_dump(out, size, seed=seed, tables=("patients",))
    return out.getvalue()
