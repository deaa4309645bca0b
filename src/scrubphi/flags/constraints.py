"""Unleash constraints: context lookup, every operator, and the REGEX dialect.

A constraint is compiled once, when a features document is loaded, into a
small callable; evaluating it is then a dictionary lookup and a comparison.
Anything that cannot be evaluated faithfully (an unknown operator, a regular
expression that Unleash's reference engine would reject) raises
:class:`UnsupportedConstraint` at compile time, and the evaluator turns the
whole flag off: a flag must never be *on* because scrubphi guessed.

REGEX
-----
Unleash evaluates ``REGEX`` with Rust's ``regex`` crate (Yggdrasil), and so
does scrubphi: patterns are compiled by ``paula``, a Python binding of that
crate, so syntax, Unicode classes (``\\w``, ``\\s``, ``\\b``, ``\\p{L}``),
case folding and refusals are the engine's own, not a translation.
``caseInsensitive: true`` prefixes ``(?i)``, which is the crate's
``case_insensitive`` option.  A pattern the crate refuses raises
:class:`RefusedPattern`: only the strategy holding it is false, as in
Yggdrasil.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import paula

__all__ = [
    "BUILTIN_CONTEXT_FIELDS",
    "OPERATORS",
    "Constraint",
    "RefusedPattern",
    "UnsupportedConstraint",
    "compile_constraint",
    "compile_regex",
    "context_value",
    "parse_date",
    "parse_ip_networks",
    "parse_number",
    "parse_semver",
]

#: The context fields Unleash keeps at the top level; others live in ``properties``.
BUILTIN_CONTEXT_FIELDS = frozenset(
    {"userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime"}
)

_LIST_OPERATORS = ("IN", "NOT_IN", "STR_STARTS_WITH", "STR_ENDS_WITH", "STR_CONTAINS", "IN_CIDR")
_VALUE_OPERATORS = (
    "NUM_EQ",
    "NUM_GT",
    "NUM_GTE",
    "NUM_LT",
    "NUM_LTE",
    "DATE_AFTER",
    "DATE_BEFORE",
    "SEMVER_EQ",
    "SEMVER_GT",
    "SEMVER_GTE",
    "SEMVER_LT",
    "SEMVER_LTE",
    "REGEX",
)
#: Every operator, each mapped to whether it reads ``values`` (True) or ``value``.
OPERATORS: Mapping[str, bool] = {
    **{op: True for op in _LIST_OPERATORS},
    **{op: False for op in _VALUE_OPERATORS},
}

Context = Mapping[str, Any]
Constraint = Callable[[Context], bool]


class UnsupportedConstraint(ValueError):
    """A constraint that cannot be evaluated faithfully; its flag is off."""


class RefusedPattern(UnsupportedConstraint):
    """A REGEX the Rust ``regex`` crate refuses: only its strategy is false (Yggdrasil)."""


# --------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Unleash context values are strings; stringify the rest as JavaScript would."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def context_value(ctx: Context, name: str) -> str | None:
    """``ctx[name]``, else ``ctx["properties"][name]``, as a string; None if missing or null.

    A top-level custom field is honoured as in the Node SDK, so an
    application may pass ``{"userId": ..., "email": ...}`` without nesting.
    """
    value = ctx.get(name)
    if value is None:
        props = ctx.get("properties")
        if props:
            value = props.get(name)
        if value is None:
            return None
    return _text(value)


# --------------------------------------------------------------------------
# Value parsers (shared with the policy validator)
# --------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*\Z")


def parse_number(text: str) -> float | None:
    """A decimal number as Unleash reads one, or None (no ``nan``, ``inf`` or ``1_0``)."""
    if _NUMBER_RE.match(text) is None:
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def parse_date(text: str) -> dt.datetime | None:
    """An ISO-8601 / RFC 3339 timestamp, or None; without a zone it is UTC.

    RFC 3339 allows a lower-case ``t`` and ``z``; Python's parser only the
    upper-case ``Z``, so a final ``z`` is read as ``Z``.
    """
    text = text.strip()
    if text.endswith("z"):
        text = text[:-1] + "Z"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


_SEMVER_RE = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)

_SemverKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def parse_semver(text: str) -> _SemverKey | None:
    """A sort key with SemVer 2.0 precedence, or None for an invalid version.

    A release sorts above its pre-releases; numeric identifiers sort below
    alphanumeric ones; build metadata is ignored.
    """
    match = _SEMVER_RE.match(text)
    if match is None:
        return None
    major, minor, patch, pre, _build = match.groups()
    idents: tuple[tuple[int, int, str], ...] = ()
    if pre is not None:
        idents = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
        )
    return (int(major), int(minor), int(patch), 0 if pre is not None else 1, idents)


_IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip_networks(entries: Sequence[str]) -> tuple[list[_IpNetwork], list[int]]:
    """Networks of IPs and CIDRs (a bare IP is a /32 or /128); also the bad entries' indices."""
    networks: list[_IpNetwork] = []
    bad: list[int] = []
    for index, entry in enumerate(entries):
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            bad.append(index)
    return networks, bad


def ip_in(address: str, networks: Sequence[_IpNetwork]) -> bool:
    """Whether ``address`` (IPv4 or IPv6) is inside any of ``networks``."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


# --------------------------------------------------------------------------
# Compilation
# --------------------------------------------------------------------------


def compile_constraint(raw: Mapping[str, Any]) -> Constraint:
    """Compile one Unleash constraint object; raises UnsupportedConstraint."""
    operator = raw.get("operator")
    name = raw.get("contextName")
    if not isinstance(operator, str) or operator not in OPERATORS:
        raise UnsupportedConstraint("unknown operator")
    if not isinstance(name, str):
        raise UnsupportedConstraint("contextName must be a string")
    inverted = bool(raw.get("inverted", False))
    fold = bool(raw.get("caseInsensitive", False))
    values = [_text(v) for v in (raw.get("values") or []) if v is not None]
    value = raw.get("value")
    single = _text(value) if value is not None else (values[0] if values else None)
    test = _OPERATOR_BUILDERS[operator](values, single, fold)
    missing = operator == "NOT_IN"
    is_time = name == "currentTime"

    def constraint(ctx: Context) -> bool:
        # context_value inlined: constraints run on every evaluation.
        found = ctx.get(name)
        if found is None:
            props = ctx.get("properties")
            if props:
                found = props.get(name)
            if found is None:
                if not is_time:
                    return missing != inverted
                found = dt.datetime.now(dt.UTC).isoformat()
        if found.__class__ is not str:
            found = _text(found)
        return test(found) != inverted

    return constraint


_Test = Callable[[str], bool]


def _never(_: str) -> bool:
    return False


def _in(values: list[str], _single: str | None, _fold: bool) -> _Test:
    allowed = frozenset(v.strip() for v in values if v.strip())
    return allowed.__contains__


def _not_in(values: list[str], single: str | None, fold: bool) -> _Test:
    member = _in(values, single, fold)
    return lambda text: not member(text)


def _str_op(kind: str) -> Callable[[list[str], str | None, bool], _Test]:
    def build(values: list[str], _single: str | None, fold: bool) -> _Test:
        wanted = tuple(v.lower() for v in values) if fold else tuple(values)

        def test(text: str) -> bool:
            subject = text.lower() if fold else text
            if kind == "start":
                return subject.startswith(wanted)
            if kind == "end":
                return subject.endswith(wanted)
            return any(w in subject for w in wanted)

        return test

    return build


def _num_op(
    compare: Callable[[float, float], bool],
) -> Callable[[list[str], str | None, bool], _Test]:
    def build(_values: list[str], single: str | None, _fold: bool) -> _Test:
        target = parse_number(single) if single is not None else None
        if target is None:
            return _never
        bound = target

        def test(text: str) -> bool:
            number = parse_number(text)
            return number is not None and compare(number, bound)

        return test

    return build


def _date_op(after: bool) -> Callable[[list[str], str | None, bool], _Test]:
    def build(_values: list[str], single: str | None, _fold: bool) -> _Test:
        target = parse_date(single) if single is not None else None
        if target is None:
            return _never
        bound = target

        def test(text: str) -> bool:
            when = parse_date(text)
            if when is None:
                return False
            return when > bound if after else when < bound

        return test

    return build


def _semver_op(
    compare: Callable[[_SemverKey, _SemverKey], bool],
) -> Callable[[list[str], str | None, bool], _Test]:
    def build(_values: list[str], single: str | None, _fold: bool) -> _Test:
        target = parse_semver(single) if single is not None else None
        if target is None:
            return _never
        bound = target

        def test(text: str) -> bool:
            version = parse_semver(text)
            return version is not None and compare(version, bound)

        return test

    return build


def compile_regex(pattern: str, case_insensitive: bool = False) -> Callable[[str], bool]:
    """``is_match`` of ``pattern`` compiled by Rust's ``regex`` crate; RefusedPattern if refused.

    The search is unanchored, as Yggdrasil's ``Regex::is_match``.
    """
    try:
        compiled = paula.Regex(("(?i)" if case_insensitive else "") + pattern)
    except (ValueError, OverflowError):
        raise RefusedPattern("the regular expression is not valid in Rust's regex") from None
    test: Callable[[str], bool] = compiled.is_match
    return test


def _regex(_values: list[str], single: str | None, fold: bool) -> _Test:
    if single is None:
        raise RefusedPattern("REGEX needs a value")
    return compile_regex(single, fold)


def _in_cidr(values: list[str], _single: str | None, _fold: bool) -> _Test:
    networks, _bad = parse_ip_networks(values)
    return lambda text: ip_in(text, networks)


_OPERATOR_BUILDERS: dict[str, Callable[[list[str], str | None, bool], _Test]] = {
    "IN": _in,
    "NOT_IN": _not_in,
    "STR_STARTS_WITH": _str_op("start"),
    "STR_ENDS_WITH": _str_op("end"),
    "STR_CONTAINS": _str_op("contains"),
    "NUM_EQ": _num_op(lambda a, b: a == b),
    "NUM_GT": _num_op(lambda a, b: a > b),
    "NUM_GTE": _num_op(lambda a, b: a >= b),
    "NUM_LT": _num_op(lambda a, b: a < b),
    "NUM_LTE": _num_op(lambda a, b: a <= b),
    "DATE_AFTER": _date_op(after=True),
    "DATE_BEFORE": _date_op(after=False),
    "SEMVER_EQ": _semver_op(lambda a, b: a == b),
    "SEMVER_GT": _semver_op(lambda a, b: a > b),
    "SEMVER_GTE": _semver_op(lambda a, b: a >= b),
    "SEMVER_LT": _semver_op(lambda a, b: a < b),
    "SEMVER_LTE": _semver_op(lambda a, b: a <= b),
    "REGEX": _regex,
    "IN_CIDR": _in_cidr,
}
