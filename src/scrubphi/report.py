"""The run report: counts, names and timings, never a value."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ColumnStats", "Report", "TableStats", "iso_utc", "keyed_derivation",
           "scrubphi_version"]


@dataclass
class ColumnStats:
    """What happened to one column's values."""

    transform: str
    transformed: int = 0
    nulled: int = 0
    kept: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "transform": self.transform,
            "transformed": self.transformed,
            "nulled": self.nulled,
            "kept": self.kept,
        }


@dataclass
class TableStats:
    """One table's data in the dump (pg_dumpall: per database)."""

    table: str
    action: str
    database: str | None = None
    rows: int = 0
    rows_dropped: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "database": self.database,
            "action": self.action,
            "rows": self.rows,
            "rows_dropped": self.rows_dropped,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }


def scrubphi_version() -> str:
    from . import __version__  # the package imports this module first

    return __version__


def keyed_derivation() -> str:
    """How this build derives keyed choices from the secret (``keyed.DERIVATION``)."""
    from .transforms.keyed import DERIVATION

    return DERIVATION


def iso_utc(epoch: float) -> str:
    """UTC ISO 8601 to the millisecond: ``2026-12-05T16:30:00.123+00:00``."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class Report:
    """What a scrub run did; written by ``--report`` as JSON."""

    codec: str
    policy_digest: str
    tables: list[TableStats] = field(default_factory=list)
    bytes_in: int = 0
    bytes_out: int = 0
    duration_s: float = 0.0
    statements_dropped: dict[str, int] = field(default_factory=dict)
    ok: bool = False
    error: str | None = None
    #: check: how many problems are errors of the policy itself (exit 3, not 5).
    misfits: int = 0
    #: What may fail at the restore without being certain to (a unique key over a
    #: transform that may collide): names and transforms only.
    warnings: list[str] = field(default_factory=list)
    #: When the run started (seconds since the epoch), and which scrubphi ran it.
    started_at: float = field(default_factory=time.time)
    version: str = field(default_factory=scrubphi_version)
    #: Which keyed derivation made the fakes: outputs of two builds that name different
    #: derivations differ under one key (docs/transforms.md, Determinism and the key).
    derivation: str = field(default_factory=keyed_derivation)

    @property
    def rows(self) -> int:
        return sum(t.rows + t.rows_dropped for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "scrubphi_version": self.version,
            "keyed_derivation": self.derivation,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.started_at + self.duration_s),
            "codec": self.codec,
            "policy_sha256": self.policy_digest,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "duration_s": round(self.duration_s, 6),
            "rows": self.rows,
            "statements_dropped": dict(self.statements_dropped),
            "warnings": list(self.warnings),
            "tables": [t.to_dict() for t in self.tables],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"
