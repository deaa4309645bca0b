"""Load policy files: YAML with positions, merge, references; hand the sections over.

Why it is built this way:

* Every error must say file, line, column, key path and what is allowed, and
  unknown keys are never ignored (a typo must not silently turn a rule off).
  So the YAML is *composed* with ruamel.yaml (which keeps a start mark on
  every node) and turned into a small tree of :class:`_Node` that carries the
  position of each value and of each key (``yaml_reader.py``); scalars are
  built by ruamel's safe constructor (YAML 1.2: ``yes``/``on`` stay strings),
  so no ruamel type leaks out of it.
* ruamel's own duplicate-key error prints the values involved, which could be
  a secret pasted by mistake; duplicate keys are therefore detected there and
  reported with both positions and no value.
* A policy may be split over several files.  Mappings merge recursively; a
  leaf, a list, a table (``scrub.tables.X``) or a named entry of ``flags``,
  ``segments`` or ``rollouts`` is owned by exactly one file, and a second
  definition is an error naming both places.
* Sections owned by other modules (flags, segments, rollouts, rollback,
  canary) are merged with the same rules and handed over as plain Python
  data in :class:`PolicySections`, which still knows where each value was
  written so those modules can report positions too.

The tree's helpers are in ``tree.py``, the ``scrub`` section's reader in
``scrub_reader.py`` (each simple transform's options in
``transform_options.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from scrubphi.errors import PolicyError
from scrubphi.policy.model import Location, Policy
from scrubphi.policy.scrub_reader import TRANSFORMS, _ScrubReader
from scrubphi.policy.tree import (
    _describe,
    _dir_of,
    _error,
    _Index,
    _Node,
    _path_str,
    _PathT,
    _suggest,
    describe_value,
    parse_identifier,
    parse_table_name,
)
from scrubphi.policy.tree_cache import TreeCache

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

# Paths whose children are merged as wholes: defining one twice is an error.
_ATOMIC_PARENTS = frozenset({("scrub", "tables"), ("flags",), ("segments",), ("rollouts",)})


def _parse(text: str, file: str) -> _Node | None:
    """Parse one YAML document; syntax errors become PolicyErrors with position."""
    from scrubphi.policy.yaml_reader import parse  # ruamel.yaml only when a file is read

    return parse(text, file)


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
    trees = TreeCache()
    for file in files:
        data = _read(file)
        blobs.append(data)
        roots.append(_check_top(trees.parse(_decode(data, file), file, _parse), file))
    loaded = {os.path.realpath(f) for f in files}
    for root, file in zip(roots, files, strict=True):
        _resolve_references(root, file, loaded, blobs)
    policy = _assemble(roots, files, Policy.compute_digest(blobs))
    trees.store()  # only once the policy loaded: its key is a reference (see tree_cache.py)
    return policy


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
