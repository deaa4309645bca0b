"""Structured identifiers that keep their structure: DICOM/ISO OIDs and GS1 UDIs.

Why: ``{tokenize: digits}`` permutes every digit, so a DICOM UID's root
``1.2.840`` becomes ``6.8.118`` and a GS1 UDI's application identifiers
``(01)...(17)...`` become ``(11)...(64)...``: the values no longer parse, and
the parts that identify nobody (the organisation's root, the product's GTIN)
are lost while the parts that do (serial, lot, study instance) are what need
changing.

- ``{tokenize: oid, keep_arcs: N}``: the first N arcs (default 4: ``1.2.840.113619``,
  an organisation's root) stay, never the last one; every later arc is permuted as a whole number of
  the same length (multi-digit arcs keep a non-zero first digit, as OIDs
  require), keyed by the arc's position, so two UIDs that share a prefix still
  share its image. A value that is not dot-separated decimal arcs is tokenized
  like ``{tokenize: alnum}``.
- ``{tokenize: gs1}``: a GS1 element string in parentheses, ``(01)GTIN(17)YYMMDD
  (10)LOT(21)SERIAL``: application identifiers stay; the GTIN (01, 02) names the
  product model and stays; date AIs (11, 12, 13, 15, 16, 17, YYMMDD) move by a
  keyed offset of up to ``days`` (default 30; day ``00``, "end of month", stays);
  every other element (lot, serial, ...) is tokenized like ``{tokenize: alnum}``.
  A value without AIs in parentheses is tokenized like ``{tokenize: alnum}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from scrubphi.transforms.keyed import Prf, offset_in
from scrubphi.transforms.tokenize import make_tokenize

__all__ = ["DEFAULT_GS1_DAYS", "DEFAULT_OID_KEEP", "OID_KERNEL_ARCS", "make_gs1", "make_oid",
           "oid_kernel"]

DEFAULT_OID_KEEP = 4
DEFAULT_GS1_DAYS = 30
_OID = re.compile(r"[0-9]+(\.[0-9]+)*\Z")
_AI = re.compile(r"\((\d{2,4})\)")
_KEEP_AIS = frozenset({"01", "02"})
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
_HUGE = "int:0:" + str(10**80)
#: The years a YYMMDD date element reads as (YY up to 50: 20YY, else 19YY).
_GS1_YEARS = (1951, 2050)


#: Arc positions the compiled kernel has keys for (a DICOM UID has at most 64
#: characters, so at most 32 arcs); a longer OID goes to the Python function.
OID_KERNEL_ARCS = 32


def _arc_prf(prf: Prf, position: int) -> Prf:
    """The key of the arcs at one position (two UIDs sharing a prefix share its image)."""
    return Prf(prf.subkey(f"oid-arc|{position}".encode()), prf.domain)


def oid_kernel(prf: Prf, keep: int) -> tuple[Any, ...] | None:
    """``make_oid``'s kernel description (``_fast_numbers.pxi``'s ``_k_oid``): the alnum
    tokenize's key, the arcs kept, and the key of each later arc position."""
    if keep >= OID_KERNEL_ARCS:
        return None
    return ("oid", prf.key, keep,
            tuple(_arc_prf(prf, p).key for p in range(keep, OID_KERNEL_ARCS)))


def make_oid(prf: Prf, keep: int) -> Callable[[str], str]:
    alnum = make_tokenize(prf, "alnum", "")
    arc_fns: dict[int, Callable[[str], str]] = {}

    def arc_fn(position: int) -> Callable[[str], str]:
        fn = arc_fns.get(position)
        if fn is None:
            fn = arc_fns[position] = make_tokenize(_arc_prf(prf, position), "digits", _HUGE)
        return fn

    def fn(value: str) -> str:
        text = value.strip()
        if not _OID.match(text):
            return alnum(value)
        arcs = text.split(".")
        # the last arc is never kept: an OID of keep_arcs arcs or fewer (a UUID-derived
        # "2.25.<uuid>" under the default 4) would otherwise pass whole
        kept = min(keep, len(arcs) - 1)
        out = arcs[:kept]
        for position in range(kept, len(arcs)):
            arc = arcs[position]
            if len(arc) > 1 and arc.startswith("0"):
                out.append(alnum(arc))  # not a valid arc: keep its shape only
            else:
                out.append(arc_fn(position)(arc))
        return ".".join(out)

    return fn


def _yymmdd(text: str, offset: int) -> str:
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    if dd == 0:
        return text  # "end of the month": no day to move
    year = 2000 + yy if yy <= 50 else 1900 + yy
    try:
        day = date(year, mm, dd)
    except ValueError:
        raise ValueError("gs1: a date element is not a valid YYMMDD date") from None
    moved = day + timedelta(days=offset)
    if not _GS1_YEARS[0] <= moved.year <= _GS1_YEARS[1]:
        # Past the century YY reads back in (2050-12-25 + 10 days would be written 51,
        # read as 1951): as far the other way, where that stays in it.
        back = day - timedelta(days=offset)
        if _GS1_YEARS[0] <= back.year <= _GS1_YEARS[1]:
            moved = back
    return f"{moved.year % 100:02d}{moved.month:02d}{moved.day:02d}"


def make_gs1(prf: Prf, days: int) -> Callable[[str], str]:
    alnum = make_tokenize(prf, "alnum", "")

    def fn(value: str) -> str:
        parts = _AI.split(value)
        # parts: [before, ai1, data1, ai2, data2, ...]; anything before the first AI
        # means this is not an element string in parentheses.
        if len(parts) < 3 or parts[0].strip():
            return alnum(value)
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            ai, data = parts[i], parts[i + 1]
            if ai in _KEEP_AIS:
                new = data
            elif ai in _DATE_AIS and len(data) == 6 and data.isascii() and data.isdigit():
                new = _yymmdd(data, offset_in(prf.digest(data.encode(), b"g"), days))
            else:
                new = alnum(data)
            out.append(f"({ai}){new}")
        return "".join(out)

    return fn
