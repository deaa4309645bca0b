"""Round and noise at the limits of their column's type, restored with the real psql.

A hunt of the compiled generalisation kernels found three ways to break them:

- ``{round: 1}`` on ``numeric(5,2)`` at 999.99 wrote ``1000``, ``{round: 1000}`` on a
  smallint at 32767 wrote ``33000``, noise on an integer near 2**31 wrote past it:
  scrubphi exited 0 and psql refused the row mid-restore. Now the output always fits:
  round takes the next multiple toward zero, noise subtracts its offset instead.
- a value with more than 28 significant digits (``numeric(40,10)``, a ``real`` of
  ``3.4e+38``) stopped the run (Decimal's default precision): now exact.
- ``{round: 0.01}`` or ``{noise: 0.5}`` on an integer column (``{noise: 0.001}`` on
  numeric(5,2)) left every value unchanged: the originals reached staging. Refused
  when the policy meets the schema (exit 3).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext

KEY = b"generalize-limits-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.m (
    id integer PRIMARY KEY, pid integer, code text,
    n52 numeric(5,2), s smallint, i integer, b bigint, n30 numeric(3,0),
    big numeric(40,10), r real, d double precision, arr numeric(5,2)[],
    wn numeric(5,2));
INSERT INTO public.m
SELECT g, g % 7, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END,
       CASE WHEN g % 2 = 0 THEN 999.99 - (g % 5) * 0.01 ELSE -999.99 + (g % 5) * 0.01 END,
       CASE WHEN g % 2 = 0 THEN 32767 - g % 4 ELSE -32768 + g % 4 END,
       CASE WHEN g % 2 = 0 THEN 2147483647 - g % 3 ELSE -2147483648 + g % 3 END,
       CASE WHEN g % 2 = 0 THEN 9223372036854775807 ELSE -9223372036854775808 END,
       CASE WHEN g % 2 = 0 THEN 999 ELSE -999 END,
       CASE WHEN g % 2 = 0 THEN 123456789012345678901234567890.1234567891
            ELSE -999999999999999999999999999999.9999999999 END,
       CASE WHEN g % 3 = 0 THEN 3.4e38 WHEN g % 3 = 1 THEN -1.5e-40 ELSE 'NaN' END,
       CASE WHEN g % 3 = 0 THEN 1.7e308 ELSE '-Infinity' END,
       ARRAY[999.99, -999.99, NULL, 0.5]::numeric(5,2)[],
       CASE WHEN g % 2 = 0 THEN 999.99 ELSE -999.99 END
FROM generate_series(1, 60) g;
"""

POLICY = """
version: 1
scrub:
  tables:
    public.m:
      columns:
        id: keep
        pid: keep
        code: keep
        n52: {generalize: {noise: 0.5}}
        s: {generalize: {round: 1000}}
        i: {generalize: {noise: 50}, per: pid}
        b: {generalize: {round: 1000}}
        n30: {generalize: {noise: 5}}
        big: {generalize: {noise: 0.5}}
        r: {generalize: {round: 0.01}}
        d: {generalize: {round: 1}}
        arr: {generalize: {round: 1}}
        wn:
          when:
            - if: {code: a}
              then: {generalize: {noise: 0.05}, per: pid}
          else: {generalize: {round: 0.1}}
"""


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("limits")
    pg.psql(name, SETUP)
    yield name
    pg.drop_database(name)


def _scrub(dump: bytes, codec: ModuleType) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(POLICY, "l.yaml"), codec=codec, key=KEY,
                 chunk_size=61)
    return dst.getvalue()


def _table(pg: PgServer, db: str, table: str) -> list[list[str]]:
    done = pg.psql(db, f"COPY (SELECT * FROM public.{table} ORDER BY id) TO STDOUT")
    return [line.split("\t") for line in done.stdout.decode().splitlines()]


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_round_and_noise_fit_the_column_type(pg: PgServer, source: str, codec: ModuleType,
                                             flags: tuple[str, ...]) -> None:
    from scrubphi import _impl

    dump = pg.pg_dump(source, "--no-owner", *flags)
    out = _scrub(dump, codec)
    assert out == _scrub(dump, _impl.load("pure"))
    db = pg.create_database("limits_dst")
    try:
        # psql stops at the first row it refuses (it used to: numeric field overflow)
        pg.psql(db, stdin=out, args=["-v", "ON_ERROR_STOP=1", "--single-transaction"])
        before, after = _table(pg, source, "m"), _table(pg, db, "m")
    finally:
        pg.drop_database(db)
    assert len(after) == 60
    for old, new in zip(before, after, strict=True):
        n52, s, i, b, n30, big = (Decimal(new[k]) for k in range(3, 9))
        assert abs(n52 - Decimal(old[3])) <= Decimal("0.5")
        assert abs(s) <= 32000 and s % 1000 == 0
        assert abs(i - int(old[5])) <= 50
        assert abs(b) <= 9223372036854775000 and b % 1000 == 0
        assert abs(n30 - int(old[7])) <= 5
        assert abs(big - Decimal(old[8])) <= Decimal("0.5")
        assert new[11] == "{999,-999,NULL,0}" or new[11] == "{999.00,-999.00,NULL,0.00}"
        assert abs(Decimal(new[12]) - Decimal(old[12])) <= Decimal("0.1")
    assert {row[9] for row in after} >= {"3.4e+38", "NaN"}
    for k in (3, 5, 8):  # noise moved the values (an offset may be 0 now and then)
        assert sum(o[k] != n[k] for o, n in zip(before, after, strict=True)) > 40


@pytest.mark.parametrize(
    ("column", "numeric", "step", "value", "want"),
    [
        ("numeric", (5, 2), "1", "999.99", "999"),
        ("numeric", (5, 2), "0.1", "-999.99", "-999.9"),
        ("smallint", None, "1000", "32767", "32000"),
        ("smallint", None, "10", "-32768", "-32760"),
        ("integer", None, "10", "2147483647", "2147483640"),
        ("bigint", None, "10", "9223372036854775807", "9223372036854775800"),
        ("bigint", None, "10", "-9223372036854775808", "-9223372036854775800"),
        ("numeric", (3, 0), "1000", "999", "0"),
        ("real", None, "1", "3.4e+38", "340000000000000000000000000000000000000"),
        ("numeric", None, "0.01", "1234567890123456789012345678901.235",
         "1234567890123456789012345678901.24"),
        ("numeric", None, "0.01", "-0.005", "0.00"),
        ("numeric", (5, 2), "1", "998.5", "998"),
    ],
)
def test_round_at_the_limits(column: str, numeric: tuple[int, int] | None, step: str, value: str,
                             want: str) -> None:
    spec = TransformSpec("generalize", {"method": "round", "amount": step})
    fn = build_transform(spec, ColumnInfo("c", column, numeric=numeric),
                         TransformContext(key=KEY)).fn
    assert fn(value) == want


_BOUNDED = [("smallint", None), ("integer", None), ("numeric", (5, 2)), ("numeric", (3, 0)),
            ("numeric", (7, 3))]
_NEAR = st.one_of(
    st.sampled_from(["32767", "-32768", "32760", "-32761", "2147483647", "-2147483648",
                     "999.99", "-999.99", "999.49", "-999.50", "999", "-999", "9999.999",
                     "-9999.999", "0", "0.00", "-0.00", "NaN", "99999999999999999999.99"]),
    st.integers(-40000, 40000).map(str),
    st.integers(-99999, 99999).map(lambda i: f"{i / 100:.2f}"),
)


@pytest.mark.parametrize(("column", "numeric"), _BOUNDED)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.sampled_from(["round", "noise"]),
       amount=st.sampled_from(["1000", "7", "2.5", "0.3", "50", "0.07"]),
       value=_NEAR, per=st.sampled_from([None, "1", "\\N"]))
def test_bounded_kernels_equal_the_python_transform(column: str, numeric: tuple[int, int] | None,
                                                    method: str, amount: str, value: str,
                                                    per: str | None) -> None:
    """The kernels decline what is past the column's type; the Python function answers."""
    from scrubphi import _impl

    if _impl.NO_EXTENSIONS:
        pytest.skip("the pure twin has no kernels")
    fast = _impl.load("compiled")
    params: dict[str, object] = {"method": method, "amount": amount}
    if method == "noise" and per is not None:
        params["per"] = "pid"
    col = ColumnInfo("c", column, numeric=numeric)
    try:
        built = build_transform(TransformSpec("generalize", params), col,
                                TransformContext(key=KEY))
    except ValueError as exc:
        assert "unchanged" in str(exc)
        return
    assert built.kernel is not None
    key = per if "per" in params else None
    got = fast._kernel_apply(built.kernel, value.encode(),
                             *(() if key is None else (key.encode(),)))
    try:
        want = built.fn(value) if key is None else built.fn(value, None if key == "\\N" else key)
    except ValueError:
        assert got is None
        return
    if got is not None:
        assert got.decode() == want


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "scrubphi", *args], input=stdin,
                          capture_output=True,
                          env={**os.environ, "SCRUBPHI_KEY": "limits-test-key-0123456789abcdef"})


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("column", "spec", "words"),
    [
        ("qty", "{generalize: {round: 0.01}}", "round step of 0.01 leaves every value of an "
                                              "integer column unchanged"),
        ("qty", "{generalize: {round: 1}}", "unchanged; use a step larger than 1"),
        ("qty", "{generalize: {noise: 0.5}}", "noise amount of 0.5 leaves every value"),
        ("weight", "{generalize: {noise: 0.001}}", "scale 2 column unchanged"),
        ("weight", "{generalize: {round: 0.005}}", "scale 2 column unchanged"),
    ],
)
def test_a_transform_that_changes_nothing_is_refused(pg: PgServer, tmp_path: Path, column: str,
                                                     spec: str, words: str) -> None:
    db = pg.create_database("limits_refuse")
    try:
        pg.psql(db, "CREATE TABLE public.v (qty integer, weight numeric(5,2)); "
                    "INSERT INTO public.v VALUES (31337, 81.25);")
        dump = pg.pg_dump(db, "--no-owner")
    finally:
        pg.drop_database(db)
    other = "weight" if column == "qty" else "qty"
    policy = tmp_path / "p.yaml"
    policy.write_text(f"version: 1\nscrub:\n  key: env:SCRUBPHI_KEY\n  tables:\n    public.v:\n"
                      f"      columns:\n        {column}: {spec}\n        {other}: null\n")
    done = _run(["--config", str(policy)], dump)
    assert done.returncode == 3, done.stderr
    err = done.stderr.decode()
    assert words in err and f"column {column}" in err and "public.v" in err
    assert b"31337" not in done.stdout + done.stderr and b"81.25" not in done.stdout


@pytest.mark.parametrize("method", ["round", "noise"])
@pytest.mark.parametrize("value", ["1e999999999", "-1E-999999999", "0.5e1000"])
def test_a_huge_exponent_is_a_row_error_not_a_billion_digits(method: str, value: str) -> None:
    """Exact arithmetic follows the number's span: a text cell's ``1e999999999`` would
    ask for a billion digits. It is an error at the row (as it was under the default
    precision), while double precision's extremes still work."""
    spec = TransformSpec("generalize", {"method": method, "amount": "0.5"})
    fn = build_transform(spec, ColumnInfo("c", "text"), TransformContext(key=KEY)).fn
    with pytest.raises(ValueError, match="exponent is out of range"):
        fn(value)
    assert Decimal(fn("1.7976931348623157e308")) > 10**308
    assert abs(Decimal(fn("4.9e-324"))) <= 1


def test_the_extreme_of_a_wide_numeric_fits_it() -> None:
    """Noise whose amount is over half the type's range ends at the type's extreme,
    computed at the type's digits (it rounded to 10**28, past numeric(30,2))."""
    from scrubphi.transforms.generalize import Limits

    limits = Limits(numeric=(30, 2))
    top = limits.nearest(Decimal("1e40"))
    assert top == Decimal("9999999999999999999999999999.99") and limits.fits(top)
    assert limits.nearest(Decimal("-1e40")) == top.copy_negate()


def test_a_wide_numeric_just_under_its_limit_is_not_pulled_back() -> None:
    """``Limits.fits`` compared ``abs()`` of the value, which rounds to the context's
    digits (28 outside the arithmetic's own context, where round calls it): a
    numeric(30,2) result in [10**28 - 0.5, 10**28), which the type holds, was judged
    past it and pulled back a step. Now it is what an unbounded numeric gets, and the
    kernel agrees where it answers."""
    from scrubphi import _impl

    ctx = TransformContext(key=KEY)
    for method, amount in (("round", "0.1"), ("noise", "0.5")):
        spec = TransformSpec("generalize", {"method": method, "amount": amount})
        bounded = build_transform(spec, ColumnInfo("c", "numeric", numeric=(30, 2)), ctx)
        free = build_transform(spec, ColumnInfo("c", "numeric"), ctx)
        values = [f"{10**28 - 1}.{j:02d}" for j in range(50)]  # + 0.5 stays under 10**28
        assert [bounded.fn(v) for v in values] == [free.fn(v) for v in values]
        if not _impl.NO_EXTENSIONS:
            fast = _impl.load("compiled")
            for value in [f"{10**28 - k}.{j:02d}" for k in (1, 2, 3) for j in (0, 49, 99)]:
                got = fast._kernel_apply(bounded.kernel, value.encode())
                assert got is None or got.decode() == bounded.fn(value)
