"""The ``json`` transform: other transforms applied inside JSON documents.

Policy form::

    payload:
      json:
        "$.patient.name": {fake: name}
        "$.patient.ssn": {fake: ssn, unique: true}
        "$.visits[*].date": {date: shift, days: 30}
        "$..email": {fake: email}
      other_paths: keep          # keep | null | fail   (default: fail)

Paths are a JSONPath subset: ``$`` the document, ``.key`` or ``['key']`` a
member, ``[N]`` an array element, ``[*]`` / ``.*`` every element or member,
``..key`` a member at any depth.  A path that reaches an object or array
applies its transform to every scalar under it.  Each scalar is given to the
transform as text (strings as they are, numbers and booleans as JSON writes
them); the result replaces it as a JSON string, or ``null``.

``other_paths`` says what happens to scalars no path reaches: ``keep`` leaves
them, ``null`` makes them JSON null, ``fail`` stops the run when a document
holds any non-null scalar the policy does not name (the fail-closed
default).  The document is written back as PostgreSQL's jsonb prints it
(``{"a": 1, "b": [1, 2]}``), keys in their original order.

Object keys are data too (``{"family": {"Jane Doe (wife)": {}}}``).  A key
that a path names literally (``patient`` in ``$.patient.name``) is part of
the document's shape and stays.  A key below a node a path reaches follows
that path's transform: ``keep`` keeps it, another transform rewrites it like
a string value (two keys that become equal stop the run), and ``null`` or a
constant replace the whole node.  Any other key (not named, or matched only
by ``*`` or ``..``) follows ``other_paths``: ``keep`` keeps it, ``fail``
stops the run even when its value is empty, and ``null`` removes the member,
since its key may be the identifier.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import TransformError
from ..policy.model import TransformSpec
from ..regex_cache import compile_cached
from .base import BuiltTransform, ColumnInfo, TransformContext

__all__ = ["OTHER_PATHS", "Step", "build_json", "parse_path"]

OTHER_PATHS = ("keep", "null", "fail")

Step = tuple[str, Any]  # ("key", name) | ("index", n) | ("wild", None) | ("descend", name|None)

_TOKEN = compile_cached(
    r"""\.\.(?P<dkey>[A-Za-z_$][\w$-]*|\*)"""
    r"""|\.(?P<key>[A-Za-z_$][\w$-]*|\*)"""
    r"""|\[\s*(?:(?P<index>-?\d+)|(?P<star>\*)|'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)")\s*\]"""
)

Builder = Callable[[TransformSpec, ColumnInfo, TransformContext], BuiltTransform]
Leaf = tuple[Any, ...]


def parse_path(text: str) -> tuple[Step, ...]:
    """Parse a path of the supported JSONPath subset; ValueError says what is wrong."""
    if not text.startswith("$"):
        raise ValueError(f"a JSON path starts with $ (as in $.patient.name), not {text[:1]!r}")
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(
                f"cannot read the JSON path at character {pos + 1}; use .key, ['key'], [N], "
                "[*] or ..key"
            )
        if m.group("dkey") is not None:
            name = m.group("dkey")
            steps.append(("descend", None if name == "*" else name))
        elif m.group("key") is not None:
            name = m.group("key")
            steps.append(("wild", None) if name == "*" else ("key", name))
        elif m.group("index") is not None:
            steps.append(("index", int(m.group("index"))))
        elif m.group("star") is not None:
            steps.append(("wild", None))
        else:
            quoted = m.group("sq") if m.group("sq") is not None else m.group("dq")
            steps.append(("key", re.sub(r"\\(.)", r"\1", quoted)))
        pos = m.end()
    return tuple(steps)


def _children(node: Any, where: Leaf) -> Iterator[tuple[Leaf, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*where, k), v
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*where, i), v


def _match(
    node: Any, steps: tuple[Step, ...], where: Leaf, named: set[Leaf] | None = None
) -> Iterator[tuple[Leaf, Any]]:
    """Nodes ``steps`` reach; ``named`` collects the member paths it names literally."""
    if not steps:
        yield where, node
        return
    kind, arg = steps[0]
    rest = steps[1:]
    if kind == "key":
        if isinstance(node, dict) and arg in node:
            if named is not None:
                named.add((*where, arg))
            yield from _match(node[arg], rest, (*where, arg), named)
    elif kind == "index":
        if isinstance(node, list) and -len(node) <= arg < len(node):
            index = arg % len(node)
            yield from _match(node[index], rest, (*where, index), named)
    elif kind == "wild":
        for at, child in _children(node, where):
            yield from _match(child, rest, at, named)
    else:  # descend: this node and every node below it
        stack = [(where, node)]
        while stack:
            at, current = stack.pop()
            if arg is None:
                yield from _match(current, rest, at, named)
            elif isinstance(current, dict) and arg in current:
                if named is not None:
                    named.add((*at, arg))
                yield from _match(current[arg], rest, (*at, arg), named)
            stack.extend(reversed(list(_children(current, at))))


def _scalars(node: Any, where: Leaf) -> Iterator[tuple[Leaf, Any]]:
    if isinstance(node, dict | list):
        for at, child in _children(node, where):
            yield from _scalars(child, at)
    else:
        yield where, node


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _set(doc: Any, where: Leaf, value: Any) -> Any:
    if not where:
        return value
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = value
    return doc


def build_json(
    spec: TransformSpec, column: ColumnInfo, ctx: TransformContext, build: Builder
) -> BuiltTransform:
    """Build the json transform; ``build`` builds each inner transform."""
    other = spec.params.get("other_paths", "fail")
    if other not in OTHER_PATHS:
        raise ValueError(f"other_paths must be one of {', '.join(OTHER_PATHS)}")
    if column.type_name not in ("json", "jsonb", "", "text", "character varying"):
        raise ValueError(
            f"the json transform needs a json, jsonb or text column, not {column.type_name}"
        )
    # JSON strings have no declared type: dates inside are read as ISO text.
    text_column = ColumnInfo(name=column.name, type_name="")
    rules: list[tuple[tuple[Step, ...], Callable[..., str | None]]] = []
    cacheable = True
    # The compiled codec's description (BuiltTransform.kernel): every path's steps and
    # rule as data; None when a path descends (..) or a transform has no kernel.
    kernel_paths: list[tuple[Any, ...]] | None = []
    for path, inner in spec.params["paths"]:
        steps = parse_path(path)
        rule: tuple[Any, ...] | None
        if inner.kind == "keep":
            rules.append((steps, _identity))
            rule = ("keep",)
        elif inner.kind == "null":
            rules.append((steps, _to_none))
            rule = ("null",)
        elif inner.kind == "value":
            constant = str(inner.params.get("value", ""))
            rules.append((steps, _Constant(constant)))
            rule = ("value", constant.encode("utf-8"))
        else:
            built = build(inner, text_column, ctx)
            if built.per is not None:
                raise ValueError("per is not supported inside json paths")
            cacheable = cacheable and built.cacheable
            rules.append((steps, built.fn))
            rule = ("kernel", built.kernel) if built.kernel is not None else None
        ksteps = _kernel_steps(steps)
        if kernel_paths is not None and rule is not None and ksteps is not None:
            kernel_paths.append((ksteps, rule))
        else:
            kernel_paths = None
    kernel = None
    if kernel_paths and cacheable:
        kernel = ("json", False, -1, (other, tuple(kernel_paths)))

    def fn(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            doc = json.loads(value)
        except ValueError:
            raise TransformError("the json transform met a value that is not JSON") from None
        done: set[Leaf] = set()
        named: set[Leaf] = set()
        reached: list[tuple[Leaf, Callable[..., str | None]]] = []
        for steps, transform in rules:
            for where, node in list(_match(doc, steps, (), named)):
                reached.append((where, transform))
                if isinstance(node, dict | list) and transform is not _identity and (
                        transform is _to_none or getattr(transform, "constant", False)):
                    # null or a constant: the whole node, keys and all
                    if not any(where[: len(d)] == d for d in done):
                        doc = _set(doc, where, transform(None))
                        done.add(where)
                    continue
                for at, scalar in list(_scalars(node, where)):
                    if at in done:
                        continue
                    done.add(at)
                    if transform is _identity:
                        continue
                    text = _as_text(scalar)
                    result = transform(text)
                    if result != text:  # unchanged numbers and booleans keep their type
                        doc = _set(doc, at, result)
        doc = _keys(doc, (), reached, named, other)
        if other != "keep":
            for at, scalar in list(_scalars(doc, ())):
                if at in done or scalar is None or any(at[: len(d)] == d for d in done):
                    continue
                if other == "fail":
                    raise TransformError(
                        "the json transform met a value at a path the policy does not name "
                        "(other_paths: fail)"
                    )
                doc = _set(doc, at, None)
        return json.dumps(doc, ensure_ascii=False)

    return BuiltTransform(fn=fn, cacheable=cacheable, kind="json", kernel=kernel)


def _kernel_steps(steps: tuple[Step, ...]) -> tuple[tuple[str, Any], ...] | None:
    """A path's steps for the compiled kernel (keys as UTF-8); None when it descends."""
    out: list[tuple[str, Any]] = []
    for kind, arg in steps:
        if kind == "key":
            out.append(("key", str(arg).encode("utf-8")))
        elif kind == "index" and -(1 << 30) < int(arg) < (1 << 30):
            out.append(("index", int(arg)))
        elif kind == "wild":
            out.append(("wild", None))
        else:
            return None
    return tuple(out)


class _Constant:
    """``{value: X}`` inside a document: X for any value (and for a whole node)."""

    constant = True

    def __init__(self, value: str) -> None:
        self.value = value

    def __call__(self, _value: str | None) -> str:
        return self.value


def _keys(
    node: Any,
    where: Leaf,
    reached: list[tuple[Leaf, Callable[..., str | None]]],
    named: set[Leaf],
    other: str,
) -> Any:
    """The document with its object keys treated as data (see the module's docstring)."""
    if isinstance(node, list):
        for i, child in enumerate(node):
            node[i] = _keys(child, (*where, i), reached, named, other)
        return node
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, child in node.items():
        at = (*where, key)
        rule = next((t for w, t in reached if len(w) < len(at) and at[: len(w)] == w), None)
        new_key = key
        if rule is _identity:
            pass  # below a keep path: the subtree is kept whole, its keys included
        elif rule is not None:
            result = rule(key)
            if result is None:
                raise TransformError(
                    "the json transform cannot make an object key null; name its object "
                    "with null instead"
                )
            new_key = result
        elif at not in named and other != "keep":
            if other == "fail":
                raise TransformError(
                    "the json transform met an object key at a path the policy does not "
                    "name (other_paths: fail); keys can be data"
                )
            continue  # other_paths: null removes the member: its key may be the identifier
        if new_key in out:
            raise TransformError("the json transform made two keys of one object equal")
        out[new_key] = _keys(child, at, reached, named, other)
    return out


def _identity(value: str | None) -> str | None:
    return value


def _to_none(_value: str | None) -> None:
    return None
