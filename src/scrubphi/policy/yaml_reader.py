"""Read one policy file's YAML into the positioned tree (:class:`~.tree._Node`).

The YAML is *composed* with ruamel.yaml (which keeps a start mark on every
node) and each node becomes a ``_Node`` that carries the position of its
value and of its key; scalars are built by ruamel's safe constructor (YAML
1.2: ``yes``/``on`` stay strings), so no ruamel type leaks out of this
module.  Duplicate keys are detected here and reported with both positions
and no value (ruamel's own error prints the values, which could be a secret
pasted by mistake).

Why a module of its own: ruamel.yaml costs ~12 ms to import and its pure
composer ~20 ms on a 200-line policy; the loader imports this module only
for a file whose tree is not in the per-user cache
(:mod:`scrubphi.policy.tree_cache`).
"""

from __future__ import annotations

import warnings
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from scrubphi.errors import PolicyError
from scrubphi.policy.model import Location
from scrubphi.policy.tree import _error, _Index, _Node, _PathT

__all__ = ["parse"]

_ALLOWED_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
_MERGE_TAG = "tag:yaml.org,2002:merge"
# Alias expansion is bounded so a hostile file cannot exhaust memory.
_MAX_NODES = 200_000
# So is nesting: a policy is a few levels deep (scrub, tables, a table, columns, a
# column, a transform, its cases...); a file of thousands of "[" is not a policy, and
# reading it would exhaust Python's recursion (an internal error, not a policy error).
_MAX_DEPTH = 64


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
        if len(path) > _MAX_DEPTH:
            raise _error(f"values nested more than {_MAX_DEPTH} levels deep", loc, path)
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


def parse(text: str, file: str) -> _Node | None:
    """Parse one YAML document; syntax errors become PolicyErrors with position."""
    if text.startswith("\ufeff"):
        text = text[1:]
    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # Redefining an anchor is legal YAML; ruamel only warns about it.
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            node = yaml.compose(text)
    except RecursionError:
        # (ruamel composes recursively: a few hundred levels of "[" or "{" exhaust it)
        raise PolicyError(
            f"YAML error: values nested more than {_MAX_DEPTH} levels deep", file=file
        ) from None
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
