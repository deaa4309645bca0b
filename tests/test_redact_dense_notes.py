"""The free-text redactor's shortcuts for notes dense with identifiers (the EHR
example's notes: a name, a date, an address, a town and a phone each), each
against what it stands for.

* A patient's date shift is the date transform's keyed offset, read directly
  (``transforms.per_shift_offset``): the number that shifting "2000-01-01" with
  the date column's transform and reading the date back gave before, for any
  per value and any ``days``.
* The street addresses' handler runs in C (``Engine._address_at``), and so does
  the phone handlers' common path (``Engine._phone_at``, ``_labelled_at``,
  ``_put_phone``: a "local" or "phone" number with no prefix before it, a number of
  six digits or more after a phone word), Python's handlers elsewhere: the
  compiled scan writes what the pure one writes on texts dense with numbers,
  phone words, "fax" in any case at any distance and the prefixes ``_with_prefix``
  takes, and street addresses.
* The address walk's loop over its anchors and its commonest first piece (a comma,
  then one word of a town's name that a full stop ends: "1 Oak Street, Town1.") run
  in C (``Engine.address_walk``, ``_tail_word``): the spans it puts, in their order,
  are those ``blocks.address_blocks`` puts with either Taken, on notes dense with
  addresses and what follows them.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform, per_shift_offset
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import days_from_civil, parse_pg_date
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.blocks import address_blocks
from scrubphi.transforms.redact.late import late_pass
from scrubphi.transforms.redact.structured import Spans

try:
    from scrubphi import _redact_fast as fast
except ImportError:  # not built: the twin tests are about the compiled scan only
    fast = None  # type: ignore[assignment]

needs_compiled = pytest.mark.skipif(fast is None, reason="scrubphi._redact_fast is not built")

KEY = b"dense-notes-test-key-0123456789a"

HYPOTHESIS = settings(max_examples=200, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@cache
def _redactor(days: int, compiled: bool | None) -> Redactor:
    return Redactor(TransformContext(key=KEY), dates="shift", days=days, per="pid",
                    compiled=compiled)


@given(per_value=st.text(max_size=12), days=st.sampled_from([1, 2, 365, 3650, 1_000_000]))
@HYPOTHESIS
@example(per_value="", days=1)
@example(per_value="\ud800", days=365)  # a lone surrogate (surrogatepass)
@example(per_value="1920", days=1_000_000)  # 2000-01-01 moved into the years BC
def test_the_patients_offset_is_the_date_transforms(per_value: str, days: int) -> None:
    ctx = TransformContext(key=KEY)
    spec = TransformSpec("date", {"mode": "shift", "days": days, "per": "pid", "format": None})
    column = build_transform(spec, ColumnInfo("d", "date"), ctx).fn
    # What the redactor did before: the column's shift of a known date, read back.
    shifted = column("2000-01-01", per_value)
    assert shifted is not None
    y, m, d, _ = parse_pg_date(shifted)
    want = days_from_civil(y, m, d) - days_from_civil(2000, 1, 1)
    assert per_shift_offset(spec, ctx)(per_value) == want
    for compiled in (None, False):
        redactor = _redactor(days, compiled)
        assert redactor._shift_offset(per_value) == want
        assert redactor._shift_offset(per_value) == want  # (remembered)


# Numbers of every phone alternative and of what looks like one (hours, dates, amounts,
# Hungarian area codes, nine-character locals, other scripts' digits), and what can
# stand before and after them.
NUMBERS = [
    "555-0001", "555-12-34", "12-3456-7890", "617-555-1234", "(617) 555-1234", "617.555.1234",
    "617 555 1234", "1-617-555-1234", "+1 617 555 1234", "555-0001 x12", "30/166-1318",
    "(06)18/320-5182", "06-71/019-0115", "(41)/266-1817", "0700-1930", "1987-04-26",
    "1987-04-26T19:20", "123456", "12345", "0490 75 40 81", "(64) 3591-3246", "8 (529) 170-34-23",
    "(+30) 2101 901153", "+(370) 41266181", "(351) 964126618",
    "\u0665\u0665\u0665-\u0661\u0662\u0663\u0664",
    "555\u20130001", "2-3", "10/500 1000", "210-98-95", "07-24-1964", "555-00012",
    # and street addresses (the "addr" handler, in C too)
    "1 Oak Street", "12 N. Main St.", "35108 ul. Zamkowa 33", "33 avenue de Provence",
    "4 Oak Street, Town4", "221B Baker Street", "7 Rue du Bac", "1600 Pennsylvania Avenue NW",
]
BEFORE = [
    "", "(", "(+", " ", ") ", "1 ", "+1 ", "8 ", "fax ", "Fax: ", "FAX#", "fAx no. ", "fa x ",
    "f\u0430x ", "fax number is ", "tel ", "call ", "Call me on ", "pager ", "Pager #: ",
    "home ", "work: ", "office\t", "ext ", "phone\n", "x", "\u212a ", "\u0130 ", "HR ",
    "I/O ", "FS ", "on ", "Lives at 1 Oak Street, Town1. Call ", "Pt Mary seen on 2/2. ",
]
AFTER = ["", " ", " ml", ".", "-", "/", "x", "\n", " with results.", ")", " mg", "5"]


@st.composite
def phone_notes(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 6))):
        parts.append(draw(st.one_of(st.sampled_from(BEFORE),
                                    st.text(st.characters(blacklist_characters="\0"),
                                            max_size=4))))
        parts.append(draw(st.sampled_from(NUMBERS)))
        parts.append(draw(st.sampled_from(AFTER)))
    return "".join(parts)


@cache
def _twins() -> tuple[Redactor, Redactor]:
    ctx = TransformContext(key=KEY)
    return (Redactor(ctx, dates="shift", days=365, per="pid", compiled=True),
            Redactor(ctx, dates="shift", days=365, per="pid", compiled=False))


@needs_compiled
@given(phone_notes())
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("Pt Mary seen on 2/2 for follow-up. Lives at 1 Oak Street, Town1. Call 555-0001 "
         "with results.")
@example("fax 555-0001 Fax: (617) 555-1234, FAX#617.555.1234 phone 555-1234 fa x 555-4321")
@example("call 0700-1930 home 1987-04-26T19:20 pager 12345 call 123456 work 2101 901153")
@example("(+30) 2101 901153 8 (529) 170-34-23 1 555-0001 ) 555-0001 (555-0001")
@example("617-555-1234-\u0665\u0665\u0665-\u0661\u0662\u0663\u0664 12-\u0665 1-\u0663")
def test_twins_agree_on_dense_phones(text: str) -> None:
    fast_r, pure_r = _twins()
    assert fast_r.redact(text, "p1") == pure_r.redact(text, "p1")
    assert fast_r.find(text) == pure_r.find(text)


STREETS = ["1 Oak Street", "4 Oak Street", "12 N. Main St.", "221B Baker Street", "7 Rue du Bac",
           "35108 ul. Zamkowa 33", "PO Box 12", "Apt 3", "02139", "1600 Pennsylvania Ave NW"]
# What follows an address: towns (with a full stop or not, of every length, case and
# script), units, codes, postcodes, words of the lists, particles.
TOWNS = ["Town1", "Boston", "Flatbush", "Springfield", "The", "Main", "Town-Name", "O'Hare",
         "Z\u00fcrich", "Caxias do Sul", "TOWN", "Ab", "Abc", "Abcd", "St", "New York", "Town_1",
         "Apt", "Aptos", "Suite", "Level", "Upper", "Kingdom", "Rome\u2019s", "Town1x", "Tz",
         "MA 02139", "RS", "nan", "KNIVSTA, nan 18237", "Porto Alegre , RS  Brazil 95828"]
JOINS = [", ", ",  ", ",\t", ",", " ", "\n", ", (", " > ", ",\n", ""]
ENDS = [".", ". ", ".\n", "", ",", " with results.", "., MA", ".5", "..", "!"]


@st.composite
def address_notes(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        parts.append(draw(st.sampled_from(["", "Lives at ", "3378 > ", "12 ", "Acme\n",
                                           "Dr Ann Lee\nAcme Corp\n", "Pt Mary seen on 2/2. "])))
        parts.append(draw(st.sampled_from(STREETS)))
        parts.append(draw(st.sampled_from(JOINS)))
        parts.append(draw(st.one_of(st.sampled_from(TOWNS),
                                    st.from_regex(r"[A-Z][a-z][A-Za-z0-9_'\-]{0,6}",
                                                  fullmatch=True),
                                    st.text(st.characters(blacklist_characters="\0"),
                                            max_size=4))))
        parts.append(draw(st.sampled_from(ENDS)))
    return "".join(parts)


@needs_compiled
@given(address_notes())
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("Pt Mary seen on 2/2 for follow-up. Lives at 1 Oak Street, Town1. Call 555-0001 "
         "with results.")
@example("Lives at 1 Oak Street, Aptos. 4 Oak Street, The. 7 Rue du Bac, Z\u00fcrich. "
         "12 N. Main St., Abc. 221B Baker Street, Town_1. 1 Oak Street,\tO'Hare.")
def test_the_compiled_address_walk_is_blocks(text: str) -> None:
    redactor = _twins()[0]
    engine = redactor._engine
    assert engine is not None
    found = Spans(text, "p1", record=False)
    heads = bool(engine.scan(text, found))
    late_pass(text, found, redactor._v.basic, redactor._fns, redactor._filler_key, heads,
              redactor._v.names, engine.late_marks(text, found.spans))
    walks = []
    for how in ("compiled", "engine.taken", "python"):
        out = Spans(text, "p1", record=False)
        out.spans = found.spans[:]
        if how == "compiled":
            engine.address_walk(text, out, redactor._fns, redactor._v.basic)
        else:
            address_blocks(text, out, redactor._fns, redactor._v.basic,
                           engine.taken if how == "engine.taken" else None)
        walks.append(out.spans)
    assert walks[0] == walks[1] == walks[2]  # (None: blocks._Taken, the pure walk's)
