"""Row conditions: ``{when: [{if: {code: X}, then: T}, ...], else: T}``.

Why: EHRs keep answers in entity-attribute-value tables.  ``observations.value``
holds the patient's home address where ``code`` is the address question and a
clinical value everywhere else; one transform for the whole column either
leaks the address or destroys the clinical values.  A ``when`` transform picks
the transform of each row from the *original* values of other columns of the
same row (or of the column itself, e.g. to keep placeholder values), in the
style of Greenmask's ``when``: the first case whose conditions all hold wins,
and ``else`` (required) covers every other row.

A condition tests one column's original value in its text form as it stands in
the dump (``t``/``f`` for booleans, ISO dates, numbers as PostgreSQL prints
them):

- ``column: TEXT``: equal to the text (numbers are compared as written);
- ``column: [A, B]`` or ``column: {in: [A, B]}``: one of the texts;
- ``column: {not_in: [A, B]}``: none of them (and not null);
- ``column: {matches: REGEX}``: the whole value matches the regular
  expression (an SQL NULL never matches). The syntax is Rust's ``regex``
  crate's (through ``paula``, as flag REGEX constraints): matching takes time
  linear in the value, so no cell can stall a run the way a backtracking
  pattern such as ``(a+)+$`` does in Python's ``re``; look-around and
  back-references are refused;
- ``column: null`` or ``column: {null: true}``: SQL NULL; ``{null: false}``:
  not NULL.

Several columns in one ``if`` must all hold.  The parser here turns the YAML
tree into :class:`Condition` tuples; the loader owns positions and errors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import paula

__all__ = ["CONDITION_OPS", "Condition", "condition_from_yaml", "describe_conditions"]

#: The operators a condition may use, as written in the policy.
CONDITION_OPS = ("equals", "in", "not_in", "matches", "null")
#: Longest regular expression accepted (policy text, not data).
MAX_PATTERN = 1000


@dataclass(frozen=True)
class Condition:
    """One test of one column's original value (text form; None is SQL NULL)."""

    column: str
    op: str
    arg: str | tuple[str, ...] | bool
    _regex: paula.Regex | None = field(default=None, compare=False, hash=False, repr=False)

    def test(self, value: str | None) -> bool:
        op = self.op
        if op == "null":
            return (value is None) is self.arg
        if value is None:
            return False
        if op == "equals":
            return value == self.arg
        if op == "in":
            return value in self.arg  # type: ignore[operator]
        if op == "not_in":
            return value not in self.arg  # type: ignore[operator]
        assert self._regex is not None
        return bool(self._regex.is_match(value))

    def label(self) -> str:
        """The condition as the policy writes it (policy text only, never data)."""
        if self.op == "null":
            return f"{self.column}: {{null: {'true' if self.arg else 'false'}}}"
        if self.op == "equals":
            return f"{self.column}: {_show(str(self.arg))}"
        if self.op in ("in", "not_in"):
            items = ", ".join(_show(item) for item in self.arg)  # type: ignore[union-attr]
            return f"{self.column}: {{{self.op}: [{items}]}}"
        return f"{self.column}: {{matches: {_show(str(self.arg))}}}"


def _show(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _text(value: Any) -> str:
    """A YAML scalar as the text it is compared with; raises ValueError for others."""
    if isinstance(value, bool):
        raise ValueError(
            "a boolean cannot be compared: PostgreSQL writes booleans as t and f in a dump; "
            "write 't' or 'f' in quotes"
        )
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise ValueError("compare with text or a number (quote it to be sure it is read as text)")


def _texts(value: Any, op: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{op} takes a non-empty list of texts, e.g. {op}: [A, B]")
    return tuple(dict.fromkeys(_text(item) for item in value))


def condition_from_yaml(column: str, value: Any) -> Condition:
    """One condition from its plain YAML value (scalars, lists and one-key mappings).

    Raises ValueError with a message that quotes policy syntax, never data.
    """
    if value is None:
        return Condition(column, "null", True)
    if isinstance(value, list):
        return Condition(column, "in", _texts(value, "in"))
    if not isinstance(value, dict):
        return Condition(column, "equals", _text(value))
    if len(value) != 1:
        raise ValueError(
            f"a condition on {column} takes exactly one operator ({', '.join(CONDITION_OPS)})"
        )
    ((op, arg),) = value.items()
    if op is None:
        op = "null"  # YAML reads the bare key null as None
    if op not in CONDITION_OPS:
        raise ValueError(f"unknown condition operator {op!s}; allowed: {', '.join(CONDITION_OPS)}")
    if op == "equals":
        return Condition(column, "equals", _text(arg))
    if op in ("in", "not_in"):
        return Condition(column, op, _texts(arg, op))
    if op == "null":
        if not isinstance(arg, bool):
            raise ValueError("null takes true (the value is NULL) or false (it is not)")
        return Condition(column, "null", arg)
    if not isinstance(arg, str) or not arg:
        raise ValueError("matches takes a regular expression as text")
    if len(arg) > MAX_PATTERN:
        raise ValueError(f"the regular expression is longer than {MAX_PATTERN} characters")
    import paula  # only a matches: condition needs the regex crate (start-up)

    try:
        regex = paula.Regex(r"\A(?:" + arg + r")\z")  # the whole value
    except ValueError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        why = lines[-1].removeprefix("error: ") if lines else "cannot be compiled"
        raise ValueError(f"matches: not a valid regular expression ({why})") from None
    return Condition(column, "matches", arg, regex)


def describe_conditions(conditions: tuple[Condition, ...]) -> str:
    """``{code: "x", kind: {null: true}}``: a case's conditions as the policy writes them."""
    return "{" + ", ".join(c.label() for c in conditions) + "}"
