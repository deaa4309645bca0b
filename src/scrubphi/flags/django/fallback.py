"""A rollout state that never fails a request: the last known phase, or "not running".

If the state store cannot be read (the database is down at start-up, or a
file is unreadable), a page that checks a flag must not return 500.  The
Django integration therefore hands the flag client a :class:`FallbackState`
around the store: a failed read serves the plan's last known phase, or
``None`` (not running: the flag is off, its default) when there is none; the
outage is logged **once** (and its end once); and the store is asked again
at most every ``retry_ms`` milliseconds, so the app recovers without a
restart as soon as the store answers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from scrubphi.flags.state import StateStoreError

__all__ = ["FallbackState"]

_log = logging.getLogger("scrubphi.flags.django")


class FallbackState:
    """``phase(plan)`` of ``store``, or the last known / not-running answer while it fails."""

    def __init__(self, store: Any, *, retry_ms: float = 1000.0) -> None:
        self.store = store
        self._retry_s = max(0.0, retry_ms) / 1000.0
        self._known: dict[str, int | None] = {}
        self._down_until = 0.0
        self._down = False
        self._lock = threading.Lock()

    @property
    def failing(self) -> bool:
        """Whether the last read of the store failed."""
        return self._down

    def phase(self, plan_name: str, /) -> int | None:
        if self._down and time.monotonic() < self._down_until:
            return self._known.get(plan_name)
        try:
            index: int | None = self.store.phase(plan_name)
        except (StateStoreError, OSError) as exc:
            with self._lock:
                self._down_until = time.monotonic() + self._retry_s
                if not self._down:
                    self._down = True
                    _log.error(
                        "the rollout state store cannot be read (%s): serving the last known "
                        "phases (plans never read: not running, their flags off) until it answers",
                        exc,
                    )
            return self._known.get(plan_name)
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    _log.warning("the rollout state store answers again: live phases restored")
        self._known[plan_name] = index
        return index
