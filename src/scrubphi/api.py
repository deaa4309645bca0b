"""Library entry points: scrub a whole stream, or check a dump against a policy."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType
from typing import BinaryIO

from .dump.rewriter import DEFAULT_CHUNK_SIZE, Progress, Scrubber, learn_schema, next_read
from .dump.schema import Schema
from .policy.model import Policy
from .report import Report
from .transforms.redact.lookup import Lookup

__all__ = ["DEFAULT_CHUNK_SIZE", "check_dump", "load_schema", "read_through", "scrub_stream"]


def scrub_stream(
    src: BinaryIO,
    dst: BinaryIO,
    policy: Policy,
    *,
    codec: ModuleType | None = None,
    key: bytes | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[Progress], None] | None = None,
    lookup: Lookup | None = None,
    schema: Schema | None = None,
    jobs: int = 1,
) -> Report:
    """Scrub the plain-format dump read from ``src`` into ``dst`` (binary files).

    ``jobs`` > 1 rewrites the rows of large COPY blocks in that many worker
    processes (see :mod:`scrubphi.dump.row_workers`); the output is the same.

    ``lookup`` (see :mod:`scrubphi.lookup`) makes ``{redact: text}`` replace every
    value of the policy's scrubbed name, street, town, phone and ID columns.
    ``schema`` (see :func:`load_schema`) gives a ``--data-only`` dump its tables.

    On any error the partial output is followed by a trailer that makes
    ``psql -v ON_ERROR_STOP=1`` fail, and the error is raised again; the
    report (``exc.report``) says how far the run got.
    """
    scrubber = Scrubber(policy, codec=codec, key=key, progress=progress, lookup=lookup,
                        schema=schema, jobs=jobs)
    try:
        while True:
            chunk = src.read(next_read(scrubber, chunk_size))
            if not chunk:
                break
            out = scrubber.feed(chunk)
            if out:
                dst.write(out)
        dst.write(scrubber.close())
        dst.flush()
    except BaseException as exc:
        scrubber.report.error = type(exc).__name__ + (f": {exc}" if str(exc) else "")
        try:
            dst.write(scrubber.abort_trailer())
            dst.flush()
        except OSError:
            pass  # the reader is gone (a broken pipe): nothing more can reach it
        exc.report = scrubber.report  # type: ignore[attr-defined]
        raise
    return scrubber.report


def check_dump(
    src: BinaryIO,
    policy: Policy,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    schema: Schema | None = None,
) -> tuple[list[str], Report]:
    """Read a dump's schema and list everything the policy does not cover.

    Writes nothing and transforms no value; returns the problems (empty when
    the policy covers the dump) and the report (tables seen, rows counted).
    """
    started = time.monotonic()
    scrubber = read_through(src, Scrubber(policy, check_only=True, schema=schema), chunk_size)
    scrubber.report.duration_s = time.monotonic() - started
    scrubber.report.misfits = scrubber.misfit_count()
    # A table is checked before the first data row of the dump and again at its
    # own data: each problem is listed once.
    return list(dict.fromkeys(scrubber.problems)), scrubber.report


def read_through(
    src: BinaryIO, scrubber: Scrubber, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Scrubber:
    """Feed a whole stream to a check-only scrubber, discarding output; return it."""
    while True:
        chunk = src.read(next_read(scrubber, chunk_size))
        if not chunk:
            break
        scrubber.feed(chunk)
    scrubber.close()
    return scrubber


def load_schema(src: BinaryIO, policy: Policy) -> Schema:
    """The schema of a ``pg_dump --schema-only`` file, for a ``--data-only`` dump."""
    return learn_schema(src, policy)
