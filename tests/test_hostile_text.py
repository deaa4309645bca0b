"""Text built to be slow: a value of one long token must not take quadratic time.

Why tested: a note is a cell like any other, up to ``max_row_size`` bytes, and
whoever writes the production data writes it.  Reading a token from each of
its digits to its end made a megabyte of "x1x1x1..." or ")1)1)1..." take
tens of minutes in the compiled scan, and the audit's e-mail test tried every
letter of a long word as the start of a local part.  Each case runs on a
megabyte in a child process with a generous limit: linear work takes well
under a second, the quadratic one took over twenty minutes (the pure scan: a
quarter megabyte, linear in about a second a unit).  (A hang guard, not
a speed target: speed is measured in benchmarks/.)
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from scrubphi import _redact_impl
from scrubphi.audit import _RESIDUAL
from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact.detector import Redactor

LIMIT_S = 120  # linear: well under 1 s; quadratic: more than 20 minutes
UNITS = ["x1", ")1", "(1", "1xxxxxxx", "x1-", "9\u20190", "1)", "a@", "1/", "1 "]
# Digit-heavy texts for the dates read in C (_redact_digits.pxi): each number reads a
# window around it (forty-odd characters) and its runs of digits once.
DIGIT_UNITS = ["7/22 ", "1/1/", "on 7-8 ", "1-1-", "1/1.11 ", "12/5/2020 ", "\u00e91/2 ",
               "100-200cc ", "1/1.1/", "psv 1/2 ", "pain 3/10 ", "3/4;", "1/" + "1" * 999]


def _run_child(code: str) -> None:
    try:
        subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                       timeout=LIMIT_S, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {LIMIT_S} s: quadratic on one long token")


@pytest.mark.skipif(_redact_impl._COMPILED is None,
                    reason="the compiled scan is not built")
@pytest.mark.parametrize("unit", UNITS + DIGIT_UNITS)
def test_the_compiled_scan_reads_a_megabyte_token_in_linear_time(unit: str) -> None:
    _run_child(f"""
        from scrubphi.transforms.base import TransformContext
        from scrubphi.transforms.redact.detector import Redactor
        r = Redactor(TransformContext(key=b"k" * 32), compiled=True)
        text = ({unit!r} * (1 << 20))[: 1 << 20]
        assert len(r.redact(text)) > 0
    """)


def test_the_pure_scan_reads_a_long_token_in_linear_time() -> None:
    """The pure scan (machines without a compiler, ``SCRUBPHI_NO_EXTENSIONS=1``) on a
    quarter megabyte of each unit, in one child: linear work takes about 15 s in all;
    the phone-before-its-word pattern read every digit of ")1)1)1..." to the end of
    the run, which at this size took minutes a unit."""
    _run_child(f"""
        from scrubphi.transforms.base import TransformContext
        from scrubphi.transforms.redact.detector import Redactor
        r = Redactor(TransformContext(key=b"k" * 32), compiled=False)
        for unit in {UNITS + DIGIT_UNITS!r}:
            text = (unit * (1 << 18))[: 1 << 18]
            assert len(r.redact(text)) > 0
    """)


@pytest.mark.parametrize("unit", UNITS + DIGIT_UNITS)
def test_both_scans_agree_on_long_tokens(unit: str) -> None:
    ctx = TransformContext(key=b"k" * 32)
    text = (unit * 4000)[:4000]
    pure = Redactor(ctx, compiled=False)
    assert pure.redact(text) == pure.redact(text)
    if _redact_impl._COMPILED is not None:
        assert Redactor(ctx, compiled=True).redact(text) == pure.redact(text)
        assert Redactor(ctx, compiled=True).find(text) == pure.find(text)


def test_the_audits_residual_patterns_read_a_megabyte_word_in_linear_time() -> None:
    _run_child("""
        from scrubphi.audit import _RESIDUAL
        for text in ("x" * (1 << 20), "a@" + "x" * (1 << 20), "1" * (1 << 20)):
            for pattern in _RESIDUAL.values():
                pattern.search(text)
    """)


@pytest.mark.parametrize("text, found", [
    ("write to ana.lima+1@clinic.org today", True),
    ("x" * 50 + "@mail.example.com", True),
    ("(ana_b@host.io)", True),
    ("user@localhost", False),
    ("no address here", False),
])
def test_the_audits_email_pattern_still_finds_addresses(text: str, found: bool) -> None:
    assert (_RESIDUAL["email"].search(text) is not None) == found
