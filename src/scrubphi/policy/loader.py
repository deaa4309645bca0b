"""Load policy files: YAML with positions, merge, and validation of ``scrub``.

Why it is built this way:

* Every error must say file, line, column, key path and what is allowed, and
  unknown keys are never ignored (a typo must not silently turn a rule off).
  So the YAML is *composed* with ruamel.yaml (which keeps a start mark on
  every node) and turned into a small tree of :class:`_Node` that carries the
  position of each value and of each key; scalars are built by ruamel's safe
  constructor (YAML 1.2: ``yes``/``on`` stay strings), so no ruamel type
  leaks out of this module.
* ruamel's own duplicate-key error prints the values involved, which could be
  a secret pasted by mistake; duplicate keys are therefore detected here and
  reported with both positions and no value.
* A policy may be split over several files.  Mappings merge recursively; a
  leaf, a list, a table (``scrub.tables.X``) or a named entry of ``flags``,
  ``segments`` or ``rollouts`` is owned by exactly one file, and a second
  definition is an error naming both places.
* Sections owned by other modules (flags, segments, rollouts, rollback,
  canary) are merged with the same rules and handed over as plain Python
  data in :class:`PolicySections`, which still knows where each value was
  written so those modules can report positions too.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scrubphi.errors import PolicyError
from scrubphi.policy.conditions import Condition, condition_from_yaml
from scrubphi.policy.model import (
    Location,
    Policy,
    ScrubPolicy,
    TableName,
    TableRule,
    TransformSpec,
)
from scrubphi.policy.secrets import check_secret_ref
from scrubphi.policy.units import parse_size
from scrubphi.transforms.generalize import parse_amount
from scrubphi.transforms.jsonpath import parse_path

__all__ = [
    "OTHER_SECTIONS",
    "TOP_LEVEL_KEYS",
    "TRANSFORMS",
    "PolicySections",
    "SectionReader",
    "describe_value",
    "load_policy",
    "loads_policy",
    "parse_identifier",
    "parse_table_name",
]

#: Sections validated by other modules; the loader merges them and passes them on.
OTHER_SECTIONS = ("flags", "segments", "rollouts", "rollback", "canary", "audit")
TOP_LEVEL_KEYS = ("version", "scrub", *OTHER_SECTIONS)
SUPPORTED_VERSION = 1

#: Column transforms this version accepts.
TRANSFORMS = (
    "keep",
    "null",
    "value",
    "hash",
    "fake",
    "mask",
    "tokenize",
    "date",
    "generalize",
    "json",
    "redact",
    "when",
    "split",
)
#: Transforms policy.md describes that this version refuses rather than ignores.
_RESERVED_TRANSFORMS: tuple[str, ...] = ()
_NEEDS_PARAMETERS = {
    "value": "{value: X}",
    "fake": "{fake: first_name}",
    "tokenize": "{tokenize: digits}",
    "date": "{date: shift, days: 30} or {date: year} or {date: safe_harbor}",
    "generalize": "{generalize: zip3}",
    "redact": "{redact: text}",
}

_SCRUB_KEYS = (
    "key",
    "unknown_tables",
    "unknown_columns",
    "large_objects",
    "statistics",
    "comments",
    "max_row_size",
    "tables",
)
_DEFAULT_KEY_REF = "env:SCRUBPHI_KEY"
_MIN_ROW_SIZE = 1024

# Paths whose children are merged as wholes: defining one twice is an error.
_ATOMIC_PARENTS = frozenset({("scrub", "tables"), ("flags",), ("segments",), ("rollouts",)})

_HASH_ALPHABETS = ("hex", "digits", "alnum")
_TOKENIZE_ALPHABETS = ("digits", "alnum", "upper", "oid", "gs1")
_DATE_MODES = ("shift", "year", "safe_harbor")
_GENERALIZE_METHODS = ("zip3", "fips_state")
_GENERALIZE_NUMBERS = ("round", "noise")
_REDACT_MODES = ("text",)
_REDACT_DATES = ("year", "shift")
_MAX_HASH_LENGTH = 64
_MAX_SHIFT_DAYS = 3650
_PROVIDER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCALE_RE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})*")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STRFTIME_DIRECTIVES = "aAwdbBmyYHIpMSfzZjUWcxXGuV%"

_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Alias expansion is bounded so a hostile file cannot exhaust memory.
_MAX_NODES = 200_000

_PathT = tuple[Any, ...]


class _Index(int):
    """A list position in a key path (shown ``[0]``), unlike an integer mapping key."""

    __slots__ = ()


# --------------------------------------------------------------------------
# Positioned tree
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    """A YAML value with where it starts, where its key is and its key path.

    ``value`` is ``dict[Any, _Node]`` for a mapping, ``list[_Node]`` for a
    sequence, or a plain Python scalar (str, int, float, bool, None, date).
    """

    value: Any
    loc: Location
    key_loc: Location | None
    path: _PathT

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def here(self) -> Location:
        """Where a problem with this entry *as a whole* is best reported."""
        return self.key_loc or self.loc


def _path_str(path: _PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, _Index):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _error(message: str, loc: Location, path: _PathT) -> PolicyError:
    return PolicyError(
        message,
        file=loc.file,
        line=loc.line,
        column=loc.column,
        path=_path_str(path) or None,
    )


def describe_value(value: Any) -> str:
    """Name a value's YAML type without echoing it (it may be a pasted secret).

    Every policy section's validator uses it, so no error message ever quotes
    what was written.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


_describe = describe_value


def _suggest(word: object, allowed: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Builder:
    """Turn one composed YAML document into a :class:`_Node` tree."""

    def __init__(self, yaml: YAML, file: str) -> None:
        self.yaml = yaml
        self.file = file
        self.count = 0

    def loc(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def scalar(self, node: ScalarNode) -> Any:
        try:
            return self.yaml.constructor.construct_object(node, deep=True)
        except (ValueError, YAMLError):
            # Looks like a date but is none (2024-13-01): keep the text, so the
            # setting that reads it says what it expects instead of a YAML error.
            if node.tag == "tag:yaml.org,2002:timestamp":
                return str(node.value)
            raise _error("this value cannot be read; quote it", self.loc(node), ()) from None

    def build(
        self, node: Node, path: _PathT, key_loc: Location | None, active: frozenset[int]
    ) -> _Node:
        self.count += 1
        loc = self.loc(node)
        if self.count > _MAX_NODES:
            raise _error(
                f"the document expands to more than {_MAX_NODES} values (aliases?)", loc, path
            )
        if node.tag == _MERGE_TAG:
            raise _error("YAML merge keys (<<) are not supported; write the keys out", loc, path)
        if node.tag not in _ALLOWED_TAGS:
            raise _error(
                f"YAML tag {node.tag} is not supported; use plain strings, numbers, "
                "booleans, null, dates, lists and mappings",
                loc,
                path,
            )
        if isinstance(node, ScalarNode):
            value = self.scalar(node)
            if value is None and node.value == "" and key_loc is not None:
                # An empty value has no text to point at; its key is where to look.
                loc = key_loc
            return _Node(value, loc, key_loc, path)
        if id(node) in active:
            raise _error("recursive alias: this value contains itself", loc, path)
        active = active | {id(node)}
        if isinstance(node, SequenceNode):
            items = [
                self.build(child, (*path, _Index(i)), None, active)
                for i, child in enumerate(node.value)
            ]
            return _Node(items, loc, key_loc, path)
        assert isinstance(node, MappingNode)
        entries: dict[Any, _Node] = {}
        for key_node, value_node in node.value:
            kloc = self.loc(key_node)
            if key_node.tag == _MERGE_TAG:
                raise _error(
                    "YAML merge keys (<<) are not supported; write the keys out", kloc, path
                )
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _ALLOWED_TAGS:
                raise _error("a key must be a plain word or quoted string", kloc, path)
            key = self.scalar(key_node)
            if key in entries:
                first = entries[key].key_loc
                raise _error(
                    f"duplicate key {key!s}: first at {first}, again at {kloc}",
                    kloc,
                    (*path, key),
                )
            entries[key] = self.build(value_node, (*path, key), kloc, active)
        return _Node(entries, loc, key_loc, path)


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def _parse(text: str, file: str) -> _Node | None:
    """Parse one YAML document; syntax errors become PolicyErrors with position."""
    if text.startswith("\ufeff"):
        text = text[1:]
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # Redefining an anchor is legal YAML; ruamel only warns about it.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # Only ruamel's short descriptions, never its snippet of the file.
        what = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is None:
            raise PolicyError(f"YAML syntax error: {what}", file=file) from None
        raise PolicyError(
            f"YAML syntax error: {what}", file=file, line=mark.line + 1, column=mark.column + 1
        ) from None
    except YAMLError as exc:
        position = getattr(exc, "position", None)
        reason = getattr(exc, "reason", None) or "unreadable YAML"
        if isinstance(position, int):
            line, col = _line_col(text, position)
            raise PolicyError(f"YAML error: {reason}", file=file, line=line, column=col) from None
        raise PolicyError(f"YAML error: {reason}", file=file) from None
    if node is None:
        return None
    return _Builder(yaml, file).build(node, (), None, frozenset())


# --------------------------------------------------------------------------
# Files and top level
# --------------------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise PolicyError("policy file does not exist", file=path) from None
    except OSError as exc:
        raise PolicyError(
            f"policy file cannot be read: {exc.strerror or type(exc).__name__}", file=path
        ) from None


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise PolicyError(
            "policy files must be UTF-8 (invalid byte here)", file=file, line=line, column=col
        ) from None


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files in load order: each argument, a directory as its sorted *.yaml/*.yml."""
    files: list[str] = []
    seen: dict[str, str] = {}
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            names = sorted(
                name
                for name in os.listdir(path)
                if name.endswith((".yaml", ".yml"))
                and not name.startswith(".")
                and os.path.isfile(os.path.join(path, name))
            )
            if not names:
                raise PolicyError("directory holds no *.yaml or *.yml policy file", file=path)
            found = [os.path.join(path, name) for name in names]
        elif os.path.exists(path):
            found = [path]
        else:
            raise PolicyError("policy file or directory does not exist", file=path)
        for file in found:
            real = os.path.realpath(file)
            if real in seen:
                raise PolicyError(
                    f"the same policy file is given twice (also as {seen[real]})", file=file
                )
            seen[real] = file
            files.append(file)
    return files


def _check_top(root: _Node | None, file: str) -> _Node:
    """One file's top level: a mapping, version: 1, known sections only."""
    if root is None:
        raise PolicyError(
            "the file is empty; a policy file starts with version: 1", file=file, line=1, column=1
        )
    if not root.is_map:
        raise _error(
            f"a policy file is a mapping that starts with version: 1, not {_describe(root.value)}",
            root.loc,
            (),
        )
    for key, child in root.value.items():
        if key not in TOP_LEVEL_KEYS:
            raise _error(
                f"unknown top-level key {key!s}{_suggest(key, TOP_LEVEL_KEYS)}; "
                f"allowed: {', '.join(TOP_LEVEL_KEYS)}",
                child.here,
                (key,),
            )
    version = root.value.get("version")
    if version is None:
        raise _error("missing version: every policy file starts with version: 1", root.loc, ())
    if type(version.value) is not int or version.value != SUPPORTED_VERSION:
        shown = f"{version.value}" if type(version.value) is int else _describe(version.value)
        raise _error(
            f"unsupported version {shown}; this scrubphi reads version: {SUPPORTED_VERSION}",
            version.loc,
            ("version",),
        )
    for key, child in root.value.items():
        if key == "version":
            continue
        if child.value is None:
            # A section with everything under it commented out is an empty section.
            child.value = {}
        elif not child.is_map:
            raise _error(
                f"the {key} section must be a mapping, not {_describe(child.value)}",
                child.loc,
                (key,),
            )
    return root


def _merge(dst: _Node, src: _Node) -> None:
    """Merge mapping ``src`` into ``dst``; a key defined in both is an error."""
    for key, child in src.value.items():
        have = dst.value.get(key)
        if have is None:
            dst.value[key] = child
        elif have.is_map and child.is_map and dst.path not in _ATOMIC_PARENTS:
            _merge(have, child)
        else:
            raise _error(
                f"defined twice: first at {have.here}, again at {child.here}; "
                "each setting, table and named entry belongs to one file only",
                child.here,
                child.path,
            )


def _dir_of(file: str) -> str:
    if file.startswith("<") and file.endswith(">"):
        return "."
    return os.path.dirname(os.path.abspath(file))


def _assemble(roots: list[_Node], files: list[str], digest: str) -> Policy:
    merged = _Node({}, Location(files[0], 1, 1), None, ())
    for root in roots:
        body = _Node({k: v for k, v in root.value.items() if k != "version"}, root.loc, None, ())
        _merge(merged, body)
    scrub = None
    if "scrub" in merged.value:
        scrub = _ScrubReader(files[0]).read(merged.value["scrub"])
    other = PolicySections()
    for name in OTHER_SECTIONS:
        if name in merged.value:
            other._add(name, merged.value[name])
    from scrubphi.policy.audit_section import read_reviewed  # it builds on this module

    return Policy(
        version=SUPPORTED_VERSION, scrub=scrub, other=other, sources=tuple(files), digest=digest,
        reviewed=read_reviewed(other),
    )


def _resolve_references(root: _Node, file: str, loaded: set[str], blobs: list[bytes]) -> None:
    """Replace each ``SECTION: {from: PATH}`` by that section of the file at PATH.

    One source of truth: ``deploy/canary.yaml`` says ``rollback: {from:
    ../rollback/rules.yaml}`` instead of copying the team's rules.  PATH is
    relative to the referring file.  When the referred file is loaded in the
    same call (``scrubphi check flags/ rollback/ deploy/``) the reference is
    dropped: the section comes from that file once, not twice.
    """
    for key in list(root.value):
        child = root.value[key]
        if key == "version" or not child.is_map or set(child.value) != {"from"}:
            continue
        ref = child.value["from"]
        if not isinstance(ref.value, str) or not ref.value.strip():
            raise _error("from: is the path of another policy file (relative to this one)",
                         ref.loc, (key, "from"))
        target = os.path.join(_dir_of(file), ref.value)
        real = os.path.realpath(target)
        if real in loaded:
            del root.value[key]
            continue
        if not os.path.isfile(target):
            raise _error(f"{ref.value}: no such policy file (from: is relative to "
                         f"{os.path.basename(file)})", ref.loc, (key, "from"))
        data = _read(target)
        blobs.append(data)
        other = _check_top(_parse(_decode(data, target), target), target)
        section = other.value.get(key)
        if section is None:
            raise _error(f"{ref.value} has no {key}: section", ref.loc, (key, "from"))
        if section.is_map and set(section.value) == {"from"}:
            raise _error(f"{ref.value} refers on to another file for {key}:; refer to the "
                         "file that defines it", ref.loc, (key, "from"))
        root.value[key] = section


def load_policy(*paths: str | os.PathLike[str]) -> Policy:
    """Load, merge and validate policy files (a directory means its *.yaml/*.yml).

    A section written ``{from: PATH}`` is that section of another file (see
    :func:`_resolve_references`).  Raises :class:`PolicyError` naming file,
    line, column and key path.
    """
    if not paths:
        raise PolicyError("no policy file given")
    files = _expand(paths)
    blobs: list[bytes] = []
    roots: list[_Node] = []
    for file in files:
        data = _read(file)
        blobs.append(data)
        roots.append(_check_top(_parse(_decode(data, file), file), file))
    loaded = {os.path.realpath(f) for f in files}
    for root, file in zip(roots, files, strict=True):
        _resolve_references(root, file, loaded, blobs)
    return _assemble(roots, files, Policy.compute_digest(blobs))


def loads_policy(text: str, name: str = "<string>") -> Policy:
    """Validate one policy given as text; ``name`` stands for the file in errors."""
    root = _check_top(_parse(text, name), name)
    return _assemble([root], [name], Policy.compute_digest([text.encode("utf-8")]))


# --------------------------------------------------------------------------
# Sections for other modules
# --------------------------------------------------------------------------


class PolicySections(dict[str, Any]):
    """``Policy.other``: plain data of the sections other modules validate.

    It is an ordinary dict of dicts, lists and scalars, and additionally
    remembers where every value and key was written, so that the flags,
    rollout, rollback and canary modules can raise ``PolicyError`` with
    file, line and column too.  Paths are keys and list indices:
    ``sections.location("rollback", "rules", 0, "for")``.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self._values: dict[_PathT, Location] = {}
        self._keys: dict[_PathT, Location] = {}

    def _add(self, name: str, node: _Node) -> None:
        self[name] = self._plain(node)

    def _plain(self, node: _Node) -> Any:
        self._values[node.path] = node.loc
        if node.key_loc is not None:
            self._keys[node.path] = node.key_loc
        if isinstance(node.value, dict):
            return {key: self._plain(child) for key, child in node.value.items()}
        if isinstance(node.value, list):
            return [self._plain(child) for child in node.value]
        return node.value

    def location(self, *path: Any) -> Location | None:
        """Where the value at ``path`` starts, or None if the path is unknown."""
        return self._values.get(tuple(path))

    def key_location(self, *path: Any) -> Location | None:
        """Where the key of the entry at ``path`` is written (None for list items)."""
        return self._keys.get(tuple(path))

    def error(self, message: str, *path: Any) -> PolicyError:
        """A PolicyError at ``path`` (key position if it has one), for other modules."""
        typed = self._typed(path)
        loc = self._keys.get(typed) or self._values.get(typed)
        if loc is None:
            return PolicyError(message, path=_path_str(typed) or None)
        return _error(message, loc, typed)

    def _typed(self, path: tuple[Any, ...]) -> _PathT:
        """Mark list positions in ``path`` so they print as ``[0]``."""
        out: list[Any] = []
        current: Any = self
        for part in path:
            if isinstance(current, list) and isinstance(part, int):
                out.append(_Index(part))
                current = current[part] if -len(current) <= part < len(current) else None
            else:
                out.append(part)
                current = current.get(part) if isinstance(current, dict) else None
        return tuple(out)

    def base_dir(self, *path: Any) -> str:
        """Folder of the file that defined ``path``: base for its relative ``file:`` secrets."""
        loc = self.location(*path)
        return _dir_of(loc.file) if loc is not None else "."


class SectionReader:
    """Base of the validators of the sections other modules own (flags, rollback, ...).

    ``sections`` is ``Policy.other`` (a :class:`PolicySections`, whose errors
    carry file:line:column) or a plain mapping (tests, documents made in code),
    whose errors carry the key path only.
    """

    def __init__(self, sections: Mapping[str, Any]) -> None:
        self.sections = sections

    def fail(self, message: str, *path: Any) -> NoReturn:
        """Raise a PolicyError for the value at ``path``."""
        error = getattr(self.sections, "error", None)
        if error is not None:
            raise error(message, *path)
        raise PolicyError(message, path=".".join(str(p) for p in path) or None)

    def where(self, *path: Any) -> Location | None:
        """Where the value at ``path`` was written, when known."""
        location = getattr(self.sections, "location", None)
        return location(*path) if location is not None else None


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def parse_identifier(text: str) -> str:
    """One name part: literal text, or ``"..."`` with ``""`` for a quote inside.

    Unquoted names are taken literally (not case-folded): the policy names
    tables as pg_dump prints them, and ``Lab Results`` is meant as written.
    """
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        inner = text[1:-1]
        if re.fullmatch(r'(?:[^"]|"")*', inner) is None:
            raise ValueError(f'{text!r}: inside a quoted name each " must be doubled ("")')
        name = inner.replace('""', '"')
    else:
        if '"' in text:
            raise ValueError(
                f'{text!r}: a name containing " must be quoted as a whole, '
                'with "" for each " inside'
            )
        if text != text.strip():
            raise ValueError(
                f"{text!r} has leading or trailing spaces; to mean them, quote the name: "
                f"'\"{text}\"'"
            )
        name = text
    if name == "":
        raise ValueError("empty name")
    if "\x00" in name:
        raise ValueError("a name cannot contain the NUL character")
    return name


def parse_table_name(text: str) -> TableName:
    """``schema.table`` as PostgreSQL prints it; no dot means schema ``public``.

    The split is at the first dot outside double quotes; each side follows
    :func:`parse_identifier`.  ``clinic.Lab Results``, ``clinic."Lab Results"``
    and ``public."a.b"`` all work.
    """
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            return TableName(parse_identifier(text[:index]), parse_identifier(text[index + 1 :]))
    if quoted:
        raise ValueError(f"{text!r}: a double quote is not closed")
    return TableName("public", parse_identifier(text))


# --------------------------------------------------------------------------
# The scrub section
# --------------------------------------------------------------------------


CheckSpec = Callable[[TransformSpec], None]


def _find_check_spec() -> CheckSpec | None:
    """``scrubphi.transforms.check_spec`` if that module provides it yet."""
    try:
        module = importlib.import_module("scrubphi.transforms")
    except ImportError:
        return None
    check = getattr(module, "check_spec", None)
    return check if callable(check) else None


def _check_keys(node: _Node, allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    for key, child in node.value.items():
        if key not in allowed:
            raise _error(
                f"unknown key {key!s} in {what}{_suggest(key, allowed)}; "
                f"allowed: {', '.join(allowed)}",
                child.here,
                child.path,
            )


def _choice(node: _Node, allowed: tuple[str, ...], what: str) -> str:
    value = node.value
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else _describe(value)
        raise _error(
            f"{what} must be one of {', '.join(allowed)}, not {shown}{_suggest(value, allowed)}",
            node.loc,
            node.path,
        )
    return value


def _int(node: _Node, low: int, high: int | None, what: str) -> int:
    value = node.value
    bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
    if type(value) is not int or value < low or (high is not None and value > high):
        shown = str(value) if type(value) is int else _describe(value)
        raise _error(f"{what} must be a whole number {bounds}, not {shown}", node.loc, node.path)
    return value


def _bool(node: _Node, what: str) -> bool:
    if not isinstance(node.value, bool):
        raise _error(
            f"{what} must be true or false, not {_describe(node.value)}", node.loc, node.path
        )
    return node.value


def _strftime_format(node: _Node) -> str:
    value = node.value
    if not isinstance(value, str) or value == "":
        raise _error(
            f"format must be a strftime-style text such as '%m/%d/%Y', not {_describe(value)}",
            node.loc,
            node.path,
        )
    directives = 0
    index = 0
    while index < len(value):
        if value[index] == "%":
            code = value[index + 1 : index + 2]
            if code == "" or code not in _STRFTIME_DIRECTIVES:
                raise _error(
                    f"format has an unknown directive %{code}; allowed: "
                    + " ".join("%" + c for c in _STRFTIME_DIRECTIVES),
                    node.loc,
                    node.path,
                )
            directives += code != "%"
            index += 2
        else:
            index += 1
    if directives == 0:
        raise _error(
            "format must contain at least one % directive, e.g. '%m/%d/%Y'", node.loc, node.path
        )
    return value


class _ScrubReader:
    """Validate the merged ``scrub`` section into a :class:`ScrubPolicy`."""

    def __init__(self, first_file: str) -> None:
        self.first_file = first_file
        self.check_spec = _find_check_spec()

    def read(self, node: _Node) -> ScrubPolicy:
        _check_keys(node, _SCRUB_KEYS, "scrub")
        entries: dict[str, _Node] = node.value
        key_ref = _DEFAULT_KEY_REF
        base_dir = _dir_of(self.first_file)
        if "key" in entries:
            key_node = entries["key"]
            try:
                key_ref = check_secret_ref(key_node.value)
            except ValueError as exc:
                raise _error(str(exc), key_node.loc, key_node.path) from None
            base_dir = _dir_of(key_node.loc.file)

        def option(name: str, allowed: tuple[str, ...], default: str) -> str:
            if name not in entries:
                return default
            option_node = entries[name]
            if name == "unknown_columns" and option_node.value is None:
                return "null"  # YAML reads the bare word null as null
            return _choice(option_node, allowed, name)

        unknown_tables = option("unknown_tables", ("fail", "drop", "keep"), "fail")
        unknown_columns = option("unknown_columns", ("fail", "null", "keep"), "fail")
        large_objects = option("large_objects", ("drop", "fail", "keep"), "drop")
        statistics = option("statistics", ("drop", "fail"), "drop")
        comments = option("comments", ("keep", "drop", "fail"), "keep")
        max_row_size = ScrubPolicy.max_row_size
        if "max_row_size" in entries:
            size_node = entries["max_row_size"]
            try:
                max_row_size = parse_size(size_node.value)
            except ValueError as exc:
                raise _error(str(exc), size_node.loc, size_node.path) from None
            if max_row_size < _MIN_ROW_SIZE:
                raise _error(
                    f"max_row_size must be at least 1KiB, not {max_row_size} bytes",
                    size_node.loc,
                    size_node.path,
                )
        tables: dict[TableName, TableRule] = {}
        if "tables" in entries:
            tables = self.tables(entries["tables"])
        return ScrubPolicy(
            key_ref=key_ref,
            unknown_tables=unknown_tables,  # type: ignore[arg-type]
            unknown_columns=unknown_columns,  # type: ignore[arg-type]
            large_objects=large_objects,  # type: ignore[arg-type]
            statistics=statistics,  # type: ignore[arg-type]
            comments=comments,  # type: ignore[arg-type]
            max_row_size=max_row_size,
            tables=tables,
            location=node.key_loc,
            base_dir=base_dir,
        )

    def tables(self, node: _Node) -> dict[TableName, TableRule]:
        if not node.is_map:
            raise _error(
                "tables must be a mapping of table name to keep, drop or {columns: ...}, "
                f"not {_describe(node.value)}",
                node.loc,
                node.path,
            )
        tables: dict[TableName, TableRule] = {}
        seen: dict[TableName, _Node] = {}
        for raw, table_node in node.value.items():
            if not isinstance(raw, str):
                raise _error(
                    f"a table name must be text; quote it ({_describe(raw)} here)",
                    table_node.here,
                    table_node.path,
                )
            try:
                name = parse_table_name(raw)
            except ValueError as exc:
                raise _error(f"bad table name: {exc}", table_node.here, table_node.path) from None
            if name in seen:
                raise _error(
                    f"table {name} is defined twice: first at {seen[name].here} "
                    f"(as {seen[name].path[-1]}), again at {table_node.here}",
                    table_node.here,
                    table_node.path,
                )
            seen[name] = table_node
            tables[name] = self.table(name, table_node)
        return tables

    def table(self, name: TableName, node: _Node) -> TableRule:
        if isinstance(node.value, str) and node.value in ("keep", "drop"):
            return TableRule(name, node.value, {}, node.here)  # type: ignore[arg-type]
        if not node.is_map:
            shown = repr(node.value) if isinstance(node.value, str) else _describe(node.value)
            raise _error(
                f"a table is keep, drop or a mapping with columns:, not {shown}"
                f"{_suggest(node.value, ('keep', 'drop'))}",
                node.loc,
                node.path,
            )
        _check_keys(node, ("columns",), f"table {name}")
        if "columns" not in node.value:
            raise _error(
                "a table mapping needs columns: (or write keep or drop for the whole table)",
                node.loc,
                node.path,
            )
        columns_node: _Node = node.value["columns"]
        if not columns_node.is_map:
            raise _error(
                "columns must be a mapping of column name to transform, "
                f"not {_describe(columns_node.value)}",
                columns_node.loc,
                columns_node.path,
            )
        columns: dict[str, TransformSpec] = {}
        seen: dict[str, _Node] = {}
        for raw, column_node in columns_node.value.items():
            if not isinstance(raw, str):
                raise _error(
                    f"a column name must be text; quote it ({_describe(raw)} here)",
                    column_node.here,
                    column_node.path,
                )
            try:
                column = parse_identifier(raw)
            except ValueError as exc:
                raise _error(
                    f"bad column name: {exc}", column_node.here, column_node.path
                ) from None
            if column in seen:
                raise _error(
                    f"column {column} is defined twice: first at {seen[column].here}, "
                    f"again at {column_node.here}",
                    column_node.here,
                    column_node.path,
                )
            seen[column] = column_node
            columns[column] = self.transform(column_node)
        for column, spec in columns.items():
            if spec.kind == "when":
                _check_when_columns(name, column, spec, seen[column], columns)
            per = spec.params.get("per") if spec.kind in ("date", "generalize") else None
            if per is not None:
                per_node = seen[column].value["per"]
                if per == column:
                    raise _error(
                        "per must name another column of the table (whose value groups the "
                        "shift, e.g. patient_id), not the column itself",
                        per_node.loc,
                        per_node.path,
                    )
                if per not in columns:
                    raise _error(
                        f"per names column {per}, which is not listed under columns of "
                        f"table {name}; listed: {', '.join(columns)}",
                        per_node.loc,
                        per_node.path,
                    )
        if self.check_spec is not None:
            for column, spec in columns.items():
                if spec.kind in ("json", "when", "split"):
                    continue  # their inner transforms were checked one by one
                try:
                    self.check_spec(spec)
                except ValueError as exc:
                    raise _error(str(exc), seen[column].loc, seen[column].path) from None
        return TableRule(name, "columns", columns, node.here)

    # -- transforms ---------------------------------------------------------

    def transform(self, node: _Node) -> TransformSpec:
        value = node.value
        loc = node.loc

        def spec(kind: str, params: dict[str, Any] | None = None) -> TransformSpec:
            return TransformSpec(kind, params or {}, loc)

        if value is None:
            return spec("null")
        if isinstance(value, str):
            if value in ("keep", "null"):
                return spec(value)
            if value == "hash":
                return spec("hash", {"length": 16, "alphabet": "hex"})
            if value == "mask":
                return spec("mask", _MASK_DEFAULTS.copy())
            self._refuse_word(node, value)
        if not isinstance(value, dict):
            raise _error(
                "a transform is a word (keep, null, hash, mask) or a mapping such as "
                f"{{fake: first_name}}, not {_describe(value)}",
                loc,
                node.path,
            )
        named = [key for key in value if key in (*TRANSFORMS, *_RESERVED_TRANSFORMS)]
        for key in named:
            if key in _RESERVED_TRANSFORMS:
                raise _error(_reserved_message(key), value[key].here, value[key].path)
            if key in ("keep", "null"):
                raise _error(
                    f"{key} takes no parameters; write it as a bare word: column: {key}",
                    value[key].here,
                    value[key].path,
                )
        if not named:
            first = next(iter(value), None)
            if first is None:
                raise _error(
                    f"empty transform mapping; allowed transforms: {', '.join(TRANSFORMS)}",
                    loc,
                    node.path,
                )
            raise _error(
                f"unknown transform {first!s}{_suggest(first, TRANSFORMS)}; "
                f"allowed: {', '.join(TRANSFORMS)}",
                value[first].here,
                value[first].path,
            )
        if len(named) > 1:
            raise _error(
                f"one transform per column: both {named[0]} and {named[1]} are given",
                value[named[1]].here,
                value[named[1]].path,
            )
        kind = named[0]
        if kind == "json":
            return self._build_json(node, value, spec)
        if kind == "when":
            return self._build_when(node, value, spec)
        if kind == "split":
            return self._build_split(node, value, spec)
        return _BUILDERS[kind](node, value, spec)

    def _build_split(
        self, node: _Node, entries: dict[str, _Node], spec: _SpecFactory
    ) -> TransformSpec:
        """``{split: SEP, parts: [T, ...], other: T}`` (see transforms/split.py)."""
        _check_keys(node, ("split", "parts", "other"), "the split transform")
        sep_node = entries["split"]
        if not isinstance(sep_node.value, str) or not sep_node.value:
            raise _error("split takes the separator as text, e.g. split: '  '", sep_node.loc,
                         sep_node.path)
        for needed in ("parts", "other"):
            if needed not in entries:
                raise _error(
                    f"a split transform needs {needed}:" + (
                        " the transform of a value with another number of parts"
                        if needed == "other" else " a list of transforms, one per part"),
                    node.here, node.path)
        parts_node = entries["parts"]
        if not isinstance(parts_node.value, list) or len(parts_node.value) < 2:
            raise _error("parts takes a list of at least two transforms, one per part",
                         parts_node.loc, parts_node.path)
        parts = tuple(self._split_part(child) for child in parts_node.value)
        other = self._split_part(entries["other"])
        return spec("split", {"sep": sep_node.value, "parts": parts, "other": other})

    def _split_part(self, node: _Node) -> TransformSpec:
        child = self.transform(node)
        if child.kind in ("when", "split", "json"):
            raise _error(f"a {child.kind} transform cannot be a part of split", node.loc,
                         node.path)
        if child.params.get("per"):
            raise _error("per is not supported inside split", node.loc, node.path)
        if self.check_spec is not None and child.kind not in ("keep", "null", "value"):
            try:
                self.check_spec(child)
            except ValueError as exc:
                raise _error(str(exc), node.loc, node.path) from None
        return child

    def _build_when(
        self, node: _Node, entries: dict[str, _Node], spec: _SpecFactory
    ) -> TransformSpec:
        """``{when: [{if: {COLUMN: TEST, ...}, then: T}, ...], else: T}`` (see conditions.py)."""
        _check_keys(node, ("when", "else"), "the when transform")
        cases_node = entries["when"]
        if not isinstance(cases_node.value, list) or not cases_node.value:
            raise _error(
                "when takes a list of cases, e.g. when: [{if: {code: '75773-1'}, then: "
                "{fake: street_address}}]",
                cases_node.loc,
                cases_node.path,
            )
        if "else" not in entries:
            raise _error(
                "a when transform needs else: the transform of the rows no case matches "
                "(write else: keep to keep them)",
                node.here,
                node.path,
            )
        cases: list[tuple[tuple[Condition, ...], TransformSpec]] = []
        for case in cases_node.value:
            if not case.is_map:
                raise _error(
                    f"a case is a mapping with if: and then:, not {_describe(case.value)}",
                    case.loc,
                    case.path,
                )
            _check_keys(case, ("if", "then"), "a when case")
            for needed in ("if", "then"):
                if needed not in case.value:
                    raise _error(f"a when case needs {needed}:", case.loc, case.path)
            test = case.value["if"]
            if not test.is_map or not test.value:
                raise _error(
                    "if takes a mapping of column names to tests, e.g. if: {code: '75773-1'}",
                    test.loc,
                    test.path,
                )
            conditions: list[Condition] = []
            for raw, cond_node in test.value.items():
                if not isinstance(raw, str):
                    raise _error("a column name must be text; quote it", cond_node.here,
                                 cond_node.path)
                try:
                    column = parse_identifier(raw)
                    conditions.append(condition_from_yaml(column, _plain_value(cond_node)))
                except ValueError as exc:
                    raise _error(str(exc), cond_node.loc, cond_node.path) from None
            cases.append((tuple(conditions), self._when_branch(case.value["then"])))
        otherwise = self._when_branch(entries["else"])
        return spec("when", {"cases": tuple(cases), "else": otherwise})

    def _when_branch(self, node: _Node) -> TransformSpec:
        child = self.transform(node)
        if child.kind == "when":
            raise _error("when transforms do not nest; put every case in one list", node.loc,
                         node.path)
        if self.check_spec is not None and child.kind not in ("keep", "null", "value", "json"):
            try:
                self.check_spec(child)
            except ValueError as exc:
                raise _error(str(exc), node.loc, node.path) from None
        return child

    def _build_json(
        self, node: _Node, entries: dict[str, _Node], spec: _SpecFactory
    ) -> TransformSpec:
        _check_keys(node, ("json", "other_paths"), "the json transform")
        inner = entries["json"]
        if not inner.is_map or not inner.value:
            raise _error(
                'json takes a mapping of JSON paths to transforms, e.g. {"$.patient.name": '
                "{fake: name}}",
                inner.loc,
                inner.path,
            )
        paths: list[tuple[str, TransformSpec]] = []
        for path, path_node in inner.value.items():
            if not isinstance(path, str):
                raise _error(
                    "a JSON path must be text, e.g. $.patient.name", path_node.here, path_node.path
                )
            try:
                parse_path(path)
            except ValueError as exc:
                raise _error(str(exc), path_node.here, path_node.path) from None
            child = self.transform(path_node)
            if child.kind == "json":
                raise _error("json transforms do not nest", path_node.loc, path_node.path)
            if child.kind == "date" and child.params.get("per"):
                raise _error(
                    "per is not supported inside json paths", path_node.loc, path_node.path
                )
            if self.check_spec is not None and child.kind not in ("keep", "null", "value"):
                try:
                    self.check_spec(child)
                except ValueError as exc:
                    raise _error(str(exc), path_node.loc, path_node.path) from None
            paths.append((path, child))
        other = "fail"
        if "other_paths" in entries and entries["other_paths"].value is None:
            other = "null"  # YAML reads a bare null as None
        elif "other_paths" in entries:
            other = _choice(entries["other_paths"], ("keep", "null", "fail"), "other_paths")
        return spec("json", {"paths": tuple(paths), "other_paths": other})

    def _refuse_word(self, node: _Node, word: str) -> NoReturn:
        if word in _RESERVED_TRANSFORMS:
            raise _error(_reserved_message(word), node.loc, node.path)
        if word in _NEEDS_PARAMETERS:
            raise _error(
                f"{word} needs parameters: write {_NEEDS_PARAMETERS[word]}", node.loc, node.path
            )
        shown = repr(word) if len(word) <= 40 else "this text"
        raise _error(
            f"unknown transform {shown}{_suggest(word, TRANSFORMS)}; allowed: "
            "keep, null, hash, mask as words, or {value: X}, {hash: {...}}, {fake: PROVIDER}, "
            "{mask: {...}}, {tokenize: digits|alnum|upper}, {date: shift|year|safe_harbor}, "
            "{generalize: zip3}, {redact: text}, {when: [...], else: ...}",
            node.loc,
            node.path,
        )


def _plain_value(node: _Node) -> Any:
    """A node's value as plain Python data (mappings, lists and scalars)."""
    if isinstance(node.value, dict):
        return {key: _plain_value(child) for key, child in node.value.items()}
    if isinstance(node.value, list):
        return [_plain_value(child) for child in node.value]
    return node.value


def _check_when_columns(
    table: TableName, column: str, spec: TransformSpec, node: _Node,
    columns: Mapping[str, TransformSpec],
) -> None:
    """Every column a when transform reads (its tests, its branches' per) is listed."""
    branches = [then for _, then in spec.params["cases"]] + [spec.params["else"]]
    for index, (conditions, _) in enumerate(spec.params["cases"]):
        for condition in conditions:
            if condition.column != column and condition.column not in columns:
                case = node.value["when"].value[index].value["if"]
                raise _error(
                    f"the condition tests column {condition.column}, which is not listed under "
                    f"columns of table {table}; listed: {', '.join(columns)}",
                    case.loc,
                    case.path,
                )
    for branch in branches:
        per = branch.params.get("per") if branch.kind in ("date", "redact", "generalize") \
            else None
        if per is not None and (per == column or per not in columns):
            raise _error(
                f"per names column {per}, which must be another column listed under columns "
                f"of table {table}",
                node.loc,
                node.path,
            )


def _reserved_message(word: str) -> str:
    return (
        f"the {word} transform is not available yet in this version of scrubphi; "
        "until then give the column another transform; for free text, null or "
        "{value: ...} are the safe choices"
    )


_MASK_DEFAULTS: dict[str, Any] = {"keep_last": 4, "keep_first": 0, "char": "*"}
_SpecFactory = Callable[[str, "dict[str, Any] | None"], TransformSpec]


def _build_value(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    _check_keys(node, ("value",), "the value transform")
    inner = entries["value"]
    value = inner.value
    if value is None:
        return spec("null", None)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | str):
        text = str(value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        raise _error(
            f"value must be a single text, number or boolean, not {_describe(value)}; "
            "quote it to write it as text",
            inner.loc,
            inner.path,
        )
    if "\x00" in text:
        raise _error("value cannot contain the NUL character", inner.loc, inner.path)
    return spec("value", {"value": text})


def _build_hash(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    _check_keys(node, ("hash",), "the hash transform (write {hash: {length: N}})")
    inner = entries["hash"]
    params: dict[str, Any] = {"length": 16, "alphabet": "hex"}
    if inner.value is None:
        return spec("hash", params)
    if not inner.is_map:
        raise _error(
            "hash takes a mapping {length: N, alphabet: hex|digits|alnum}, "
            f"not {_describe(inner.value)}",
            inner.loc,
            inner.path,
        )
    _check_keys(inner, ("length", "alphabet"), "hash")
    if "length" in inner.value:
        params["length"] = _int(inner.value["length"], 1, _MAX_HASH_LENGTH, "length")
    if "alphabet" in inner.value:
        params["alphabet"] = _choice(inner.value["alphabet"], _HASH_ALPHABETS, "alphabet")
    return spec("hash", params)


def _build_fake(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    _check_keys(node, ("fake", "unique", "locale"), "the fake transform")
    provider_node = entries["fake"]
    provider = provider_node.value
    if not isinstance(provider, str) or _PROVIDER_RE.fullmatch(provider) is None:
        raise _error(
            "fake needs a Faker provider name such as first_name, last_name, email, "
            f"phone_number or ssn, not {_describe(provider)}",
            provider_node.loc,
            provider_node.path,
        )
    params: dict[str, Any] = {"provider": provider, "unique": False, "locale": "en_US"}
    if "unique" in entries:
        params["unique"] = _bool(entries["unique"], "unique")
    if "locale" in entries:
        locale_node = entries["locale"]
        locale = locale_node.value
        if not isinstance(locale, str) or _LOCALE_RE.fullmatch(locale) is None:
            raise _error(
                f"locale must be a Faker locale such as en_US or de_DE, not {_describe(locale)}",
                locale_node.loc,
                locale_node.path,
            )
        params["locale"] = locale
    return spec("fake", params)


def _build_mask(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    _check_keys(node, ("mask",), "the mask transform (write {mask: {keep_last: N}})")
    inner = entries["mask"]
    params = _MASK_DEFAULTS.copy()
    if inner.value is None:
        return spec("mask", params)
    if not inner.is_map:
        raise _error(
            'mask takes a mapping {keep_last: 4, keep_first: 0, char: "*"}, '
            f"not {_describe(inner.value)}",
            inner.loc,
            inner.path,
        )
    _check_keys(inner, ("keep_last", "keep_first", "char"), "mask")
    for name in ("keep_last", "keep_first"):
        if name in inner.value:
            params[name] = _int(inner.value[name], 0, None, name)
    if "char" in inner.value:
        char_node = inner.value["char"]
        char = char_node.value
        if not isinstance(char, str) or len(char) != 1:
            raise _error(
                'char must be exactly one character, quoted, e.g. char: "*"',
                char_node.loc,
                char_node.path,
            )
        params["char"] = char
    return spec("mask", params)


def _build_tokenize(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    alphabet = _choice(entries["tokenize"], _TOKENIZE_ALPHABETS, "tokenize")
    if alphabet == "oid":
        _check_keys(node, ("tokenize", "keep_arcs"), "tokenize: oid")
        keep = _int(entries["keep_arcs"], 0, 1000, "keep_arcs") if "keep_arcs" in entries \
            else 4
        return spec("tokenize", {"alphabet": alphabet, "keep_arcs": keep})
    if alphabet == "gs1":
        _check_keys(node, ("tokenize", "days"), "tokenize: gs1")
        days = _int(entries["days"], 1, 3650, "days") if "days" in entries else 30
        return spec("tokenize", {"alphabet": alphabet, "days": days})
    _check_keys(node, ("tokenize",), "the tokenize transform")
    return spec("tokenize", {"alphabet": alphabet})


def _build_date(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    mode = _choice(entries["date"], _DATE_MODES, "date")
    extra = {"shift": ("days", "per"), "year": (), "safe_harbor": ("as_of",)}[mode]
    _check_keys(node, ("date", *extra, "format"), f"date: {mode}")
    params: dict[str, Any] = {"mode": mode}
    if mode == "shift":
        if "days" not in entries:
            raise _error(
                f"date: shift needs days: N (the largest shift, 1 to {_MAX_SHIFT_DAYS})",
                node.loc,
                node.path,
            )
        params["days"] = _int(entries["days"], 1, _MAX_SHIFT_DAYS, "days")
        params["per"] = None
        if "per" in entries:
            per_node = entries["per"]
            if not isinstance(per_node.value, str):
                raise _error(
                    f"per must name a column of this table, not {_describe(per_node.value)}",
                    per_node.loc,
                    per_node.path,
                )
            try:
                params["per"] = parse_identifier(per_node.value)
            except ValueError as exc:
                raise _error(f"bad column name: {exc}", per_node.loc, per_node.path) from None
    elif mode == "safe_harbor":
        params["as_of"] = None
        if "as_of" in entries:
            params["as_of"] = _as_of(entries["as_of"])
    params["format"] = _strftime_format(entries["format"]) if "format" in entries else None
    return spec("date", params)


def _as_of(node: _Node) -> str:
    value = node.value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _error(
        f"as_of must be a date written YYYY-MM-DD, e.g. 2024-01-31, not {_describe(value)}",
        node.loc,
        node.path,
    )


def _build_generalize(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    inner = entries["generalize"]
    if inner.is_map:
        # {generalize: {round: STEP}} or {generalize: {noise: AMOUNT}, per: COLUMN}
        _check_keys(inner, _GENERALIZE_NUMBERS, "generalize")
        if len(inner.value) != 1:
            raise _error("generalize takes one of round: STEP or noise: AMOUNT", inner.loc,
                         inner.path)
        ((method, amount_node),) = inner.value.items()
        try:
            amount = parse_amount(amount_node.value, str(method))
        except ValueError as exc:
            raise _error(str(exc), amount_node.loc, amount_node.path) from None
        params: dict[str, Any] = {"method": method, "amount": str(amount)}
        if method == "noise":
            _check_keys(node, ("generalize", "per"), "generalize: noise")
            params["per"] = None
            if "per" in entries:
                per_node = entries["per"]
                if not isinstance(per_node.value, str) or not per_node.value:
                    raise _error("per must name a column", per_node.loc, per_node.path)
                try:
                    params["per"] = parse_identifier(per_node.value)
                except ValueError as exc:
                    raise _error(f"bad column name in per: {exc}", per_node.loc,
                                 per_node.path) from None
        else:
            _check_keys(node, ("generalize",), "generalize: round")
        return spec("generalize", params)
    _check_keys(node, ("generalize",), "the generalize transform")
    method = _choice(inner, _GENERALIZE_METHODS, "generalize")
    return spec("generalize", {"method": method})


def _build_redact(node: _Node, entries: dict[str, _Node], spec: _SpecFactory) -> TransformSpec:
    _check_keys(node, ("redact", "dates", "days", "per"), "the redact transform")
    mode = _choice(entries["redact"], _REDACT_MODES, "redact")
    params: dict[str, Any] = {"mode": mode, "dates": "year", "days": None, "per": None}
    if "dates" in entries:
        params["dates"] = _choice(entries["dates"], _REDACT_DATES, "dates")
    if params["dates"] != "shift":
        for key in ("days", "per"):
            if key in entries:
                raise _error(
                    f"{key} applies only to dates: shift (by default dates in the text "
                    "keep only their year)",
                    entries[key].here,
                    entries[key].path,
                )
        return spec("redact", params)
    if "days" not in entries:
        raise _error(
            f"dates: shift needs days: N (the largest shift, 1 to {_MAX_SHIFT_DAYS})",
            node.loc,
            node.path,
        )
    params["days"] = _int(entries["days"], 1, _MAX_SHIFT_DAYS, "days")
    if "per" in entries:
        per_node = entries["per"]
        if not isinstance(per_node.value, str):
            raise _error(
                f"per must name a column of this table, not {_describe(per_node.value)}",
                per_node.loc,
                per_node.path,
            )
        try:
            params["per"] = parse_identifier(per_node.value)
        except ValueError as exc:
            raise _error(f"bad column name: {exc}", per_node.loc, per_node.path) from None
    return spec("redact", params)


_BUILDERS: dict[str, Callable[[_Node, dict[str, _Node], _SpecFactory], TransformSpec]] = {
    "value": _build_value,
    "hash": _build_hash,
    "fake": _build_fake,
    "mask": _build_mask,
    "tokenize": _build_tokenize,
    "date": _build_date,
    "generalize": _build_generalize,
    "redact": _build_redact,
}
