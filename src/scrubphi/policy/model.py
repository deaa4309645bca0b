"""The validated policy, as plain frozen data.

The loader (``scrubphi.policy.loader``) turns YAML files into these objects;
every other part of scrubphi reads only these.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Location",
    "Policy",
    "Reviewed",
    "ScrubPolicy",
    "TableName",
    "TableRule",
    "TransformSpec",
    "quote_ident",
]

UnknownTables = Literal["fail", "drop", "keep"]
UnknownColumns = Literal["fail", "null", "keep"]
LargeObjects = Literal["drop", "fail", "keep"]
Statistics = Literal["drop", "fail"]
Comments = Literal["keep", "drop", "fail"]


@dataclass(frozen=True)
class Location:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class TableName:
    """A table as PostgreSQL names it: schema and relation, unquoted."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


_SIMPLE_IDENT = re.compile(r"[a-z_][a-z0-9_$]*\Z")


def quote_ident(name: str) -> str:
    """Quote a name like PostgreSQL's quote_ident, for messages and reports.

    Simple lower-case names stay bare; anything else is double-quoted with
    ``""`` for each ``"``.  (Reserved words are not special-cased: the
    result names the object unambiguously, which is all messages need.)
    """
    if _SIMPLE_IDENT.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class TransformSpec:
    """One column's transform, normalised.

    ``kind`` is one of keep, null, value, hash, fake, mask, tokenize, date.
    ``params`` holds the normalised parameters (defaults filled in), e.g.
    ``fake``: {"provider": "ssn", "unique": True, "locale": "en_US"};
    ``hash``: {"length": 16, "alphabet": "hex"}; ``date``: {"mode": "shift",
    "days": 30, "per": "patient_id"}.
    """

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = field(default=None, compare=False, hash=False)

    def canonical(self, *, exclude: tuple[str, ...] = ()) -> str:
        """Canonical JSON of kind and params: the domain separator of keyed transforms."""
        body = {k: v for k, v in self.params.items() if k not in exclude}
        return json.dumps([self.kind, body], sort_keys=True, separators=(",", ":"))

    @property
    def is_keep(self) -> bool:
        return self.kind == "keep"

    def leaves(self) -> tuple[TransformSpec, ...]:
        """The transforms that really run: a when transform's branches, else itself."""
        if self.kind == "when":
            branches = [then for _, then in self.params["cases"]] + [self.params["else"]]
            return tuple(leaf for branch in branches for leaf in branch.leaves())
        if self.kind == "split":
            return (*self.params["parts"], self.params["other"])
        return (self,)


@dataclass(frozen=True)
class TableRule:
    """What happens to one table: keep all, drop all rows, or per column."""

    table: TableName
    action: Literal["keep", "drop", "columns"]
    columns: Mapping[str, TransformSpec] = field(default_factory=dict)
    location: Location | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class ScrubPolicy:
    """The ``scrub`` section."""

    key_ref: str = "env:SCRUBPHI_KEY"
    unknown_tables: UnknownTables = "fail"
    unknown_columns: UnknownColumns = "fail"
    large_objects: LargeObjects = "drop"
    statistics: Statistics = "drop"
    #: COMMENT ON statements (schema text that people write, and may fill with PHI).
    comments: Comments = "keep"
    max_row_size: int = 64 * 1024 * 1024
    tables: Mapping[TableName, TableRule] = field(default_factory=dict)
    location: Location | None = field(default=None, compare=False, hash=False)
    # Base directory for relative ``file:`` secrets (the policy file's folder).
    base_dir: str = "."

    def needs_key(self) -> bool:
        """True when any rule uses a keyed transform."""
        return any(
            leaf.kind in KEYED_KINDS
            for rule in self.tables.values()
            for spec in rule.columns.values()
            for leaf in spec.leaves()
        )


KEYED_KINDS = frozenset({"hash", "fake", "tokenize", "date", "json", "redact"})


@dataclass(frozen=True)
class Reviewed:
    """One ``audit.reviewed`` entry: an audit finding a person looked at, and why it stays.

    ``target`` is the column (``schema.table.column``, as the audit prints it)
    or the schema object's label; ``kind`` says which.
    """

    kind: Literal["column", "object"]
    target: str
    reason: str
    location: Location | None = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Policy:
    """A whole merged policy: the sections scrubphi understands so far.

    ``other`` keeps the raw contents of sections owned by modules that
    validate them themselves (flags, segments, rollouts, rollback, canary).
    ``reviewed`` is the ``audit`` section's list of reviewed findings.
    """

    version: int = 1
    scrub: ScrubPolicy | None = None
    other: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    digest: str = ""
    reviewed: tuple[Reviewed, ...] = ()

    @staticmethod
    def compute_digest(texts: list[bytes]) -> str:
        h = hashlib.sha256()
        for text in texts:
            h.update(len(text).to_bytes(8, "big"))
            h.update(text)
        return h.hexdigest()
