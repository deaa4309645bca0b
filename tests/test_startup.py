"""Start-up work done once per run or per process, not per column or table.

Why: a run on a small dump with the EHR policy spent most of its time before
the first row (issue 13): the first-name tables were rebuilt for every name
column, the redactor for every redacted column, and the audit module was
imported by every command.  These tests hold the sharing to what it must not
change: the same outputs, and the lazily loaded parts still load when needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.names import name_kernel
from scrubphi.transforms.redact import build_redactor

KEY = b"k" * 32
SRC = Path(__file__).resolve().parent.parent / "src"
NOTE = "Seen by Dr. John Smith on 2019-03-04; call 555-123-4567 (MRN 1234567)."


def _redact(**params: object) -> TransformSpec:
    return TransformSpec("redact", {"mode": "text", **params})


def test_columns_that_redact_alike_share_one_redactor() -> None:
    """Two columns with the same redact options get one redactor; other options another.
    Each gives what a redactor of its own gives."""
    ctx = TransformContext(key=KEY)
    a = build_redactor(_redact(), ColumnInfo("value", "text"), ctx)
    b = build_redactor(_redact(), ColumnInfo("birthplace", "text"), ctx)
    c = build_redactor(_redact(dates="shift", days=365, per="patient_id"),
                       ColumnInfo("body", "text"), ctx)
    redactors = [k for k in ctx.shared if k.startswith("redactor|")]
    assert len(redactors) == 2
    alone = build_redactor(_redact(), ColumnInfo("value", "text"), TransformContext(key=KEY))
    assert a.fn(NOTE) == b.fn(NOTE) == alone.fn(NOTE)
    assert a.fn(NOTE) != NOTE
    alone_c = build_redactor(_redact(dates="shift", days=365, per="patient_id"),
                             ColumnInfo("body", "text"), TransformContext(key=KEY))
    assert c.fn(NOTE, "17") == alone_c.fn(NOTE, "17")


def test_first_name_tables_are_built_once_per_run() -> None:
    """The first-name kernel's name lists are one object per run and locale (the
    compiled codec builds its sex table once per process from them)."""
    ctx = TransformContext(key=KEY)
    one = name_kernel("first_name", "en_US", ctx.shared, _prf(ctx, "first_name"))
    two = name_kernel("first_name", "en_US", ctx.shared, _prf(ctx, "first_name"))
    assert one is not None and two is not None
    assert one[3] is two[3]
    assert one[3][4] and one[3][5]  # the female and male names the table is built from


def test_name_kernels_agree_across_columns(codec: ModuleType) -> None:
    """Columns whose first-name kernels share the cached tables write what one alone
    writes (the compiled twin copies the sex table it built for the first column)."""
    ctx = TransformContext(key=KEY)
    spec = TransformSpec("fake", {"provider": "first_name", "unique": False,
                                  "locale": "en_US"})
    first = build_transform(spec, ColumnInfo("first", "text"), ctx)
    second = build_transform(spec, ColumnInfo("nick", "text"), ctx)
    body = b"".join(b"%s\t%s\n" % (n, n) for n in (b"Mary", b"JOHN", b"kim", b"Alex"))
    plan = [(0, first.fn, -1, True, first.kernel), (1, second.fn, -1, True, second.kernel)]
    out, _, _ = codec.CopyRewriter(2, plan, 1000).process(body, 0)
    again, _, _ = codec.CopyRewriter(2, plan, 1000).process(body, 0)
    assert out == again
    for line in out.splitlines():
        left, right = line.split(b"\t")
        assert left == right
    expected = b"".join((first.fn(n) or "").encode() + b"\n"
                        for n in ("Mary", "JOHN", "kim", "Alex"))
    assert b"".join(line.split(b"\t")[0] + b"\n" for line in out.splitlines()) == expected


def test_cli_imports_the_audit_module_only_for_audit() -> None:
    """``scrubphi`` start-up does not import the audit; ``scrubphi audit`` still works."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = ("import sys, scrubphi.cli; "
            "print('scrubphi.audit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "False"
    help_text = subprocess.run([sys.executable, "-m", "scrubphi", "audit", "--help"], env=env,
                               capture_output=True, text=True, check=True).stdout
    assert "audit" in help_text


def _prf(ctx: TransformContext, provider: str):  # type: ignore[no-untyped-def]
    from scrubphi.transforms import _prf as prf_of

    return prf_of(TransformSpec("fake", {"provider": provider, "unique": False,
                                         "locale": "en_US"}), ctx)


#: Modules the scrub command must not import: other commands' (flags, canary, gates,
#: rollback, refresh, dashboards, metrics, audit) and their libraries, the parallel
#: paths' (multiprocessing), and what click imports only to suggest a spelling.
NOT_FOR_SCRUB = (
    "scrubphi.audit", "scrubphi.canary", "scrubphi.cli.canary", "scrubphi.cli.dashboard",
    "scrubphi.cli.deploy", "scrubphi.cli.flags", "scrubphi.cli.lookup", "scrubphi.cli.refresh",
    "scrubphi.cli.rollback", "scrubphi.dashboards", "scrubphi.flags", "scrubphi.gates",
    "scrubphi.metrics", "scrubphi.refresh", "scrubphi.rollback", "dask", "distributed",
    "django", "psycopg", "psycopg2", "multiprocessing", "difflib", "ruamel.yaml",
)
EXAMPLES = SRC.parent / "examples"


def test_scrub_command_imports_only_what_scrubbing_needs(tmp_path: Path) -> None:
    """A whole ``scrubphi -c POLICY -i DUMP -o OUT`` run (issue 13's start-up): none of
    the other commands' modules or libraries, and pglast's AST classes and enumerations
    deferred, never run (the schema is read from libpg_query's JSON).  Run twice: the
    first may build the per-user caches (``ruamel.yaml`` reads the policy then)."""
    listing = tmp_path / "modules.txt"
    code = ("import atexit, json, sys\n"
            "def _dump():\n"
            "    kinds = {m: type(sys.modules[m]).__name__ for m in ('pglast.ast', 'pglast.enums')"
            " if m in sys.modules}\n"
            f"    with open({str(listing)!r}, 'w') as fh:\n"
            "        json.dump([sorted(sys.modules), kinds], fh)\n"
            "atexit.register(_dump)\n"
            "from scrubphi.cli import main\n"
            "main(prog_name='scrubphi')\n")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    args = [sys.executable, "-c", code, "-c", str(EXAMPLES / "phi_fields.yaml"),
            "-i", str(EXAMPLES / "hospital.sql"), "-o", str(tmp_path / "out.sql")]
    for _ in range(2):
        subprocess.run(args, env=env, check=True, capture_output=True)
    modules, kinds = json.loads(listing.read_text())
    assert (tmp_path / "out.sql").stat().st_size > 0
    imported = [m for m in modules if m in NOT_FOR_SCRUB
                or m.startswith(tuple(f"{n}." for n in NOT_FOR_SCRUB))]
    assert imported == []
    assert kinds == {"pglast.ast": "_Deferred", "pglast.enums": "_Deferred"}
    assert not [m for m in modules if m.startswith("pglast.enums.")]


def test_deferred_pglast_modules_load_when_used() -> None:
    """After scrubphi's parser import, pglast's own API works in the same process as
    ever (the deferred modules run on first use); imported first, pglast is untouched."""
    code = ("import sys\n"
            "from scrubphi.dump import pgparse\n"
            "import pglast, pglast.enums\n"
            "from pglast.enums import ConstrType\n"
            "stmt = pglast.parse_sql('CREATE TABLE t (a int NOT NULL)')[0].stmt\n"
            "con = stmt.tableElts[0].constraints[0]\n"
            "assert con.contype == ConstrType.CONSTR_NOTNULL, con\n"
            "assert 'ConstrType' in dir(pglast.enums) and isinstance(stmt, pglast.ast.Node)\n"
            "print(type(sys.modules['pglast.ast']).__name__,"
            " pgparse.parse_statements('SET a = 1'))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out.startswith("module [('VariableSetStmt', ")
    first = ("import sys, pglast\n"
             "from scrubphi.dump import pgparse\n"
             "print(type(sys.modules['pglast.ast']).__name__,"
             " type(sys.modules['pglast.enums']).__name__)")
    out = subprocess.run([sys.executable, "-c", first], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "module module"
