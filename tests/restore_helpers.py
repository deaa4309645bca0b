"""Restoring a scrubbed dump the strict way, and filling policy templates (test helpers).

``psql -v ON_ERROR_STOP=1 --single-transaction`` is how a pipeline should restore:
the first error fails the whole restore, which is what the tests of restore
failures (keys, CHECKs, column types) look for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest

from pg_fixtures import PgServer, PsqlError

__all__ = ["fill", "restore_error", "restored"]


@contextmanager
def restored(pg: PgServer, dump: bytes, prefix: str = "restored") -> Iterator[str]:
    """A scratch database with ``dump`` restored strictly (dropped afterwards)."""
    db = pg.create_database(prefix)
    try:
        pg.psql(db, stdin=dump, args=["-v", "ON_ERROR_STOP=1", "--single-transaction"])
        yield db
    finally:
        pg.drop_database(db)


def restore_error(pg: PgServer, dump: bytes, prefix: str = "restored") -> bytes:
    """psql's stderr from the strict restore of ``dump``, which must fail."""
    with pytest.raises(PsqlError) as failed, restored(pg, dump, prefix):
        pass
    return failed.value.stderr


def fill(template: str, defaults: Mapping[str, str], **changes: str) -> str:
    """``template`` with each ``{NAME}`` replaced by ``changes`` or ``defaults``."""
    for name, spec in {**defaults, **changes}.items():
        template = template.replace("{" + name + "}", spec)
    return template
