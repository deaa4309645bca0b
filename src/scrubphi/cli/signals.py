"""SIGTERM and SIGHUP unwind a command like Ctrl-C, so its cleanup runs.

Why: a CI job's cancellation, ``timeout`` and a closed terminal send SIGTERM or
SIGHUP, whose default action ends the process at once: ``scrubphi -o FILE`` left
its hidden ``.FILE.*.partial`` behind and said nothing, and a canary would not
move traffic back.  Raised as :class:`Terminated` (a ``KeyboardInterrupt``), the
signal takes every path Ctrl-C takes (temporary files removed, traffic moved to
stable, the error line written) and the process exits ``128 + signal``, as a
shell reports a process the signal ended.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["Terminated", "exit_code", "terminations_unwind"]

#: Exit status of Ctrl-C (SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_code(exc: BaseException | None) -> int:
    """128 + the signal for a :class:`Terminated` (also as a cause or context), else 130."""
    while exc is not None:
        if isinstance(exc, Terminated):
            return 128 + exc.signum
        exc = exc.__cause__ or exc.__context__
    return EXIT_INTERRUPTED


@contextlib.contextmanager
def terminations_unwind() -> Iterator[list[int]]:
    """While inside, the first SIGTERM or SIGHUP raises :class:`Terminated`; later ones
    are recorded (in the list yielded) and wait for the cleanup the first one started.
    Outside the main thread, where Python cannot set handlers, nothing changes."""
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def handler(signum: int, frame: object) -> None:
        got.append(signum)
        if len(got) == 1:
            raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield got
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
