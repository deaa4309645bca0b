"""Worker processes that rewrite a large COPY block's rows on more than one core.

``scrubphi --jobs N`` hands a COPY block's complete rows, a slab of about one
read (64 KiB) at a time, to N worker processes and writes their results back
in the order the rows came in.  Only COPY data is shared out: statements,
``INSERT`` forms, the schema and coverage stay in the main process.

Why processes forked at the block: each worker must hold the block's codec
rewriter, whose kernels (pools, memos, the redactor's tables, the per-run
lookup) are made in the main process and cannot be pickled.  A fork gives the
worker all of it as it is, copy-on-write, in a few milliseconds; a block is
shared out only once it has proved large (:data:`PARALLEL_AFTER` bytes), so
small tables never pay for a fork.

Why the output is the same as with one process: every transform is a keyed
function of the row's own values (unique fakes are a keyed permutation, not a
memo of values seen; memos and caches only remember results), so which
process rewrites a row changes nothing; ``tests/test_jobs.py`` holds the two
byte for byte on every fixture dump.

Failure is as in one process: a damaged row in a worker is a ``DumpError``
naming its line, table and column, raised once every earlier slab has been
written; a worker that dies (killed, out of memory) stops the run with a
``DumpError`` naming the line its slab started on; the workers ignore SIGINT
(the terminal sends it to the whole group) and end when the main process
closes their pipe or terminates them after a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections import deque
from typing import TYPE_CHECKING, Any

from ..errors import CodecError, ScrubPhiError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["PARALLEL_AFTER", "RowWorkers", "WorkerError", "auto_jobs", "can_fork"]

#: Bytes of a block rewritten in the main process before its rows are shared out.
#: Why 1 MiB: a fork costs a few milliseconds, which a block of that size at the
#: slowest policies (about 20 MB/s of notes) repays tenfold; the many small tables
#: of a real dump never fork.
PARALLEL_AFTER = 1 << 20

#: The most worker processes ``--jobs auto`` starts.  Why 4: beyond that the main
#: process (reading, slicing, writing in order) and the pipe's other stages
#: (pg_dump, psql and their two backends) are the limit, not the rewriting.
MAX_AUTO_JOBS = 4

DIED = "a worker process died (killed, or out of memory?)"

_RESET = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_BLOCKED = {signal.SIGINT, *_RESET}


def can_fork() -> bool:
    """Whether this platform can fork workers (not on Windows)."""
    import multiprocessing  # only a run with --jobs > 1 needs it (5 ms of start-up)

    return "fork" in multiprocessing.get_all_start_methods()


def auto_jobs() -> int:
    """``--jobs auto``: the cores this process may run on, at most :data:`MAX_AUTO_JOBS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_AUTO_JOBS))


class WorkerError(ScrubPhiError):
    """A worker failed on the slab starting on ``line``: at its ``row`` (0-based), ``field``."""

    exit_code = 4

    def __init__(self, reason: str, line: int, row: int = 0, field: int = -1) -> None:
        self.reason = reason
        self.line = line
        self.row = row
        self.field = field
        super().__init__(reason)


def _serve(conn: Connection, rewriter: Any, others: list[Connection]) -> None:
    """A worker's loop: rewrite each slab received, send back the bytes and the counts.

    A slab is a run of complete rows with no end-of-data line; an empty message
    (or the main process's end of the pipe closing, when it exits or is killed)
    ends the worker.  Errors are
    sent as their reason, row and field, never as the exception's text, which
    for a bug could quote a value.
    """
    # The main process stops the workers; handlers inherited from it (a clean-up of
    # temporary files on SIGTERM, say) must not run here. The signals were blocked
    # across the fork (see RowWorkers), so none can reach an inherited handler.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _RESET:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
    for other in others:  # the main process's ends of the workers forked before this one
        other.close()
    while True:
        try:
            slab = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not slab:
            return
        rows = int(rewriter.rows)
        counts = list(rewriter.counts)
        try:
            data, pos, done = rewriter.process(slab, 0)
            if done or pos != len(slab):
                raise ScrubPhiError("a slab of rows was not rewritten whole")
        except CodecError as exc:
            conn.send(("codec", exc.reason, exc.row, exc.field))
            return
        except BaseException as exc:  # reported by its type only
            conn.send(("error", f"internal error in a worker process ({type(exc).__name__})",
                       0, -1))
            return
        after = list(rewriter.counts)
        conn.send(("ok", bytes(data), int(rewriter.rows) - rows,
                   [b - a for a, b in zip(counts, after, strict=True)]))


class RowWorkers:
    """``jobs`` forked workers, each holding a copy of ``rewriter``; results in input order.

    ``submit(slab, line)`` sends a run of complete rows starting on ``line``
    and returns the outputs of earlier slabs that are ready (in order);
    ``drain()`` waits for all of them.  ``rows`` and ``counts`` add up what the
    workers rewrote, as ``CopyRewriter.rows`` and ``counts`` do.
    """

    def __init__(self, rewriter: Any, jobs: int) -> None:
        if jobs < 2:
            raise ValueError("RowWorkers needs at least two workers")
        import multiprocessing  # (see can_fork)

        ctx = multiprocessing.get_context("fork")
        self.rows = 0
        self.counts = [0] * len(list(rewriter.counts))
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        self._inflight: deque[tuple[int, int]] = deque()  # (worker, first line of the slab)
        self._next = 0
        try:
            for _ in range(jobs):
                parent, child = ctx.Pipe()
                proc = ctx.Process(target=_serve, args=(child, rewriter, list(self._conns)),
                                   daemon=True, name="scrubphi-rows")
                mask = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
                try:
                    proc.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                child.close()
                self._conns.append(parent)
                self._procs.append(proc)
        except BaseException:
            self.terminate()
            raise

    def submit(self, slab: bytes, line: int) -> list[bytes]:
        """Send ``slab`` (complete rows from ``line``); return the outputs now ready."""
        out: list[bytes] = []
        worker = self._next
        if len(self._inflight) >= len(self._conns):
            out.append(self._collect())  # the oldest slab is this worker's
        try:
            self._conns[worker].send_bytes(slab)
        except OSError:
            raise WorkerError(DIED, line) from None
        self._inflight.append((worker, line))
        self._next = (worker + 1) % len(self._conns)
        while self._inflight and self._conns[self._inflight[0][0]].poll():
            out.append(self._collect())
        return out

    def drain(self) -> list[bytes]:
        """Wait for every slab sent; their outputs in order."""
        return [self._collect() for _ in range(len(self._inflight))]

    def _collect(self) -> bytes:
        worker, line = self._inflight.popleft()
        try:
            status, data, rows, extra = self._conns[worker].recv()
        except (EOFError, OSError):
            raise WorkerError(DIED, line) from None
        if status == "codec":
            raise WorkerError(str(data), line, int(rows), int(extra))
        if status != "ok":
            raise WorkerError(str(data), line)
        self.rows += rows
        for i, n in enumerate(extra):
            self.counts[i] += n
        return bytes(data)

    def close(self) -> None:
        """End the workers after a block whose slabs were all collected."""
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.send_bytes(b"")
            conn.close()
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def terminate(self) -> None:
        """Stop the workers now (after a failure): SIGKILL, as they hold nothing to clean."""
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
        for proc in self._procs:
            proc.join()
        for conn in self._conns:
            conn.close()
        self._inflight.clear()
