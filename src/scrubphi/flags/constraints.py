"""Unleash constraints: context lookup, every operator, and the REGEX dialect.

A constraint is compiled once, when a features document is loaded, into a
small callable; evaluating it is then a dictionary lookup and a comparison.
Anything that cannot be evaluated faithfully (an unknown operator, a regular
expression that Unleash's reference engine would reject) raises
:class:`UnsupportedConstraint` at compile time, and the evaluator turns the
whole flag off: a flag must never be *on* because scrubphi guessed.

REGEX dialect
-------------
Unleash evaluates ``REGEX`` with Rust's ``regex`` crate (Yggdrasil).  Python's
``re`` differs in ways that change results, so :func:`translate_regex`
rewrites a Rust pattern into an equivalent ``re`` pattern, and refuses what
Rust refuses or what has no faithful translation:

* POSIX classes ``[[:alpha:]]`` become explicit ASCII sets;
* inline flags (``(?i)``, ``(?m)``, ``(?s)``, ``(?x)``, ``(?U)``, negations)
  apply from where they are written to the end of the enclosing group, as in
  Rust, by wrapping the rest of each alternative in a scoped ``(?i:...)``;
* ``$`` without ``(?m)`` matches only at the very end (Python's ``$`` also
  matches before a final newline); ``\\z`` is the end of text;
* ``\\<``, ``\\>`` and ``\\b{start}``-style word boundaries are rewritten;
* lookaround, backreferences, atomic groups, possessive quantifiers and
  conditionals are rejected (Rust rejects them);
* Unicode property classes (``\\p{...}``), class set operations (``&&``,
  ``--``, ``~~``), nested classes and CRLF mode are rejected: ``re`` has no
  equivalent, and a flag is safer off than evaluated differently.

``\\d``, ``\\w``, ``\\s`` and ``\\b`` are Unicode-aware in both engines.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "BUILTIN_CONTEXT_FIELDS",
    "OPERATORS",
    "Constraint",
    "UnsupportedConstraint",
    "compile_constraint",
    "context_value",
    "parse_date",
    "parse_ip_networks",
    "parse_number",
    "parse_semver",
    "translate_regex",
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
    """An ISO-8601 / RFC 3339 timestamp, or None; without a zone it is UTC."""
    try:
        parsed = dt.datetime.fromisoformat(text.strip())
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


def _regex(_values: list[str], single: str | None, fold: bool) -> _Test:
    if single is None:
        raise UnsupportedConstraint("REGEX needs a value")
    try:
        compiled = re.compile(translate_regex(single), re.IGNORECASE if fold else 0)
    except (ValueError, re.error, OverflowError, RecursionError):
        raise UnsupportedConstraint("the regular expression is not valid") from None
    return lambda text: compiled.search(text) is not None


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


# --------------------------------------------------------------------------
# Rust regex -> Python re
# --------------------------------------------------------------------------

_POSIX_CLASSES: dict[str, str] = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7f",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\x0b\\x0c\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_CLASS_ESCAPES = frozenset("dDwWsS")
_PY_FLAGS = "ims"
_ALL_FLAGS = frozenset("imsxUu")
_QUANT_RE = re.compile(r"\{(\d+)(,(\d*))?\}")
_WORD_BOUNDARIES = {
    "start": r"\b(?=\w)",
    "end": r"\b(?<=\w)",
    "start-half": r"(?<!\w)",
    "end-half": r"(?!\w)",
}


class _Refused(ValueError):
    pass


def translate_regex(pattern: str) -> str:
    """Rewrite a Rust ``regex`` pattern as an equivalent Python ``re`` pattern.

    Raises ``ValueError`` for what Rust would reject or what has no faithful
    translation (see the module docstring).
    """
    return _RegexTranslator(pattern).run()


def _lit(char: str) -> str:
    """A literal character, safe both inside and outside a class."""
    if char.isascii() and char.isalnum():
        return char
    return f"\\U{ord(char):08x}"


class _RegexTranslator:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.groups = 0

    def run(self) -> str:
        out = self.alternation(frozenset(), top=True)
        if self.i != len(self.p):
            raise _Refused("unbalanced parenthesis")
        return out

    # -- structure -------------------------------------------------------

    def peek(self, n: int = 0) -> str:
        j = self.i + n
        return self.p[j] if j < len(self.p) else ""

    def alternation(self, flags: frozenset[str], *, top: bool = False) -> str:
        """A group's body: alternatives separated by |, up to ) or the end."""
        start = flags
        current = flags
        parts: list[str] = []
        while True:
            text, current = self.concat(start, current)
            parts.append(text)
            if self.peek() == "|":
                self.i += 1
                continue
            break
        if self.peek() == ")":
            if top:
                raise _Refused("unbalanced parenthesis")
        elif not top:
            raise _Refused("unclosed group")
        return "|".join(parts)

    def concat(self, start: frozenset[str], flags: frozenset[str]) -> tuple[str, frozenset[str]]:
        out: list[str] = []
        opened = 0
        if flags != start:
            out.append(_scope(start, flags))
            opened += 1
        last_atom = False
        while self.i < len(self.p):
            char = self.p[self.i]
            if char in "|)":
                break
            if "x" in flags and char.isspace():
                self.i += 1
                continue
            if "x" in flags and char == "#":
                end = self.p.find("\n", self.i)
                self.i = len(self.p) if end < 0 else end + 1
                continue
            if char in "*+?{":
                if not last_atom:
                    raise _Refused("repetition without an expression")
                out.append(self.quantifier(flags))
                last_atom = False
                continue
            if char == "(" and self.p.startswith("(?", self.i):
                directive = self.flag_directive(flags)
                if directive is not None:
                    out.append(_scope(flags, directive))
                    opened += 1
                    flags = directive
                    last_atom = False
                    continue
            atom, last_atom = self.atom(flags)
            out.append(atom)
        return "".join(out) + ")" * opened, flags

    def flag_directive(self, flags: frozenset[str]) -> frozenset[str] | None:
        """``(?imsx-imsx)`` at the cursor: consume it and return the new flags."""
        match = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?\)").match(self.p, self.i)
        if match is None:
            return None
        self.i = match.end()
        return _apply_flags(flags, match.group(1), match.group(2))

    def quantifier(self, flags: frozenset[str]) -> str:
        char = self.p[self.i]
        if char == "{":
            match = _QUANT_RE.match(self.p, self.i)
            if match is None:
                raise _Refused("invalid counted repetition")
            low, comma, high = match.groups()
            if comma and high and int(high) < int(low):
                raise _Refused("invalid counted repetition")
            text = match.group(0)
            self.i = match.end()
        else:
            text = char
            self.i += 1
        lazy = False
        if self.peek() == "?":
            lazy = True
            self.i += 1
        if self.peek() and self.peek() in "*+?{":
            raise _Refused("nested repetition")
        if "U" in flags:
            lazy = not lazy
        return text + ("?" if lazy else "")

    def atom(self, flags: frozenset[str]) -> tuple[str, bool]:
        """One item; returns its translation and whether it may be repeated."""
        char = self.p[self.i]
        if char == "(":
            return self.group(flags), True
        if char == "[":
            return self.char_class(flags), True
        if char == "\\":
            return self.escape()
        self.i += 1
        if char == "$":
            return ("$" if "m" in flags else r"\Z"), False
        if char == "^":
            return "^", False
        if char == ".":
            return ".", True
        return _lit(char), True

    def group(self, flags: frozenset[str]) -> str:
        rest = self.p[self.i :]
        if rest.startswith("(?:"):
            self.i += 3
            head, inner = "(?:", flags
        elif rest.startswith(("(?P<", "(?<")) and not rest.startswith(("(?<=", "(?<!")):
            match = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>").match(self.p, self.i)
            if match is None:
                raise _Refused("invalid group name")
            self.i = match.end()
            self.groups += 1
            head, inner = f"(?P<{match.group(1)}>", flags
        elif rest.startswith("(?"):
            match = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?:").match(self.p, self.i)
            if match is None:
                raise _Refused("lookaround, atomic groups and conditionals are not supported")
            self.i = match.end()
            inner = _apply_flags(flags, match.group(1), match.group(2))
            head = _scope(flags, inner)
        else:
            self.i += 1
            self.groups += 1
            head, inner = "(", flags
        body = self.alternation(inner)
        self.i += 1  # the ")"
        return head + body + ")"

    def escape(self) -> tuple[str, bool]:
        self.i += 1
        if self.i >= len(self.p):
            raise _Refused("trailing backslash")
        char = self.p[self.i]
        self.i += 1
        if char in _CLASS_ESCAPES:
            return "\\" + char, True
        if char in "AbB":
            if char == "b" and self.peek() == "{":
                end = self.p.find("}", self.i)
                kind = self.p[self.i + 1 : end] if end > 0 else ""
                if kind not in _WORD_BOUNDARIES:
                    raise _Refused("unknown word boundary")
                self.i = end + 1
                return _WORD_BOUNDARIES[kind], False
            return "\\" + char, False
        if char == "z":
            return r"\Z", False
        if char == "<":
            return _WORD_BOUNDARIES["start"], False
        if char == ">":
            return _WORD_BOUNDARIES["end"], False
        code = self.code_point(char)
        if code is not None:
            return _lit(code), True
        raise _Refused("unsupported escape")

    def code_point(self, char: str) -> str | None:
        """The character an escape names (``\\n``, ``\\x41``, ``\\u{263A}``, ``\\.``), if any."""
        if char in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[char]
        if char in "xuU":
            if self.peek() == "{":
                end = self.p.find("}", self.i)
                digits = self.p[self.i + 1 : end] if end > 0 else ""
                self.i = end + 1 if end > 0 else self.i
            else:
                width = {"x": 2, "u": 4, "U": 8}[char]
                digits = self.p[self.i : self.i + width]
                if len(digits) != width:
                    raise _Refused("short hex escape")
                self.i += width
            if not digits or re.fullmatch(r"[0-9A-Fa-f]{1,8}", digits) is None:
                raise _Refused("bad hex escape")
            value = int(digits, 16)
            if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                raise _Refused("not a Unicode scalar value")
            return chr(value)
        if char.isascii() and not char.isalnum():
            return char  # an escaped meta character or punctuation: literal
        return None  # backreferences, \p, \k, \Z, ... are refused by the caller

    def char_class(self, flags: frozenset[str]) -> str:
        self.i += 1
        out = ["["]
        if self.peek() == "^":
            out.append("^")
            self.i += 1
        first = True
        pending: str | None = None  # the last single character, a range's possible start
        while True:
            if self.i >= len(self.p):
                raise _Refused("unclosed class")
            char = self.p[self.i]
            if char == "]" and not first:
                self.i += 1
                break
            first = False
            if "x" in flags and char.isspace():
                self.i += 1
                continue
            if self.p.startswith(("&&", "--", "~~"), self.i):
                raise _Refused("class set operations are not supported")
            if char == "[":
                match = re.compile(r"\[:(\^?)([a-z]+):\]").match(self.p, self.i)
                if match is None or match.group(2) not in _POSIX_CLASSES or match.group(1):
                    raise _Refused("nested and negated POSIX classes are not supported")
                self.i = match.end()
                out.append(_POSIX_CLASSES[match.group(2)])
                pending = None
                continue
            if char == "-" and pending is not None and self.peek(1) not in ("]", ""):
                self.i += 1
                end = self.class_char()
                if end is None:
                    raise _Refused("invalid class range")
                if ord(end) < ord(pending):
                    raise _Refused("invalid class range")
                out.append("-" + _lit(end))
                pending = None
                continue
            single = self.class_char()
            if single is None:
                out.append("\\" + self.p[self.i - 1])  # \d, \w, \s and their negations
                pending = None
            else:
                out.append(_lit(single))
                pending = single
        out.append("]")
        return "".join(out)

    def class_char(self) -> str | None:
        """One literal character of a class, or None after consuming ``\\d``-like escapes."""
        char = self.p[self.i]
        self.i += 1
        if char != "\\":
            return char
        if self.i >= len(self.p):
            raise _Refused("trailing backslash")
        esc = self.p[self.i]
        self.i += 1
        if esc in _CLASS_ESCAPES:
            return None
        code = self.code_point(esc)
        if code is None:
            raise _Refused("unsupported escape in class")
        return code


def _apply_flags(flags: frozenset[str], on: str, off: str | None) -> frozenset[str]:
    on_set, off_set = set(on), set(off or "")
    unknown = (on_set | off_set) - _ALL_FLAGS
    if unknown or not (on_set or off_set):
        raise _Refused("unsupported inline flag")
    if "u" in off_set:
        raise _Refused("(?-u) is not supported")
    return frozenset((flags | on_set) - off_set - {"u"})


def _scope(old: frozenset[str], new: frozenset[str]) -> str:
    """A Python group that switches from flags ``old`` to ``new`` (x and U are ours)."""
    on = "".join(f for f in _PY_FLAGS if f in new and f not in old)
    off = "".join(f for f in _PY_FLAGS if f in old and f not in new)
    if not on and not off:
        return "(?:"
    return f"(?{on}-{off}:" if off else f"(?{on}:"
