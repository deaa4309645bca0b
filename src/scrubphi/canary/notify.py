"""Webhook notifications of a canary run: step, alert, rollback, promotion, end.

Each notification is one JSON ``POST`` (``Content-Type: application/json``)
to every configured URL::

    {"run_id": "...", "notification": "rollback", "text": "rolling back: ...",
     "event": {"t": 12.5, "wall": "...Z", "kind": "rollback_started", ...}}

``notification`` is ``step`` (a weight change of the flow), ``alert`` (the
analysis turned to alert), ``rollback`` (a rollback started, and when it is
done), ``promotion`` (the canary got all traffic), ``paused`` or
``finished`` (with the outcome).  Notifications are sent from a background
thread in order, so a slow or dead receiver never delays a rollback; a
failed POST is retried twice and then given up, with a line on stderr.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from scrubphi.canary.runlog import Event

__all__ = ["Notifier", "notification_for"]


def notification_for(event: Event) -> str | None:
    """The notification an event gives, or None when it gives none."""
    if event.kind == "weights":
        why = event.data.get("why")
        return {"weight": "step", "promotion": "promotion"}.get(str(why))
    if (event.kind == "decision" and event.data.get("action") == "alert"
            and event.data.get("previous") != "alert"):
        return "alert"
    if event.kind in ("rollback_started", "rollback_done"):
        return "rollback"
    if event.kind == "paused":
        return "paused"
    if event.kind == "run_finished":
        return "finished"
    return None


class Notifier:
    """POST notifications to ``urls`` from a background thread (see the module docstring)."""

    def __init__(self, urls: Iterable[str], *, timeout: float = 5.0, attempts: int = 3) -> None:
        self.urls = tuple(urls)
        for url in self.urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"a webhook is an http:// or https:// URL, not {url!r}")
        self.timeout = timeout
        self.attempts = attempts
        self.failed = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="canary-webhook", daemon=True)
        self._thread.start()

    def event(self, event: Event, run_id: str) -> None:
        kind = notification_for(event)
        if kind is None:
            return
        self._queue.put({"run_id": run_id, "notification": kind, "text": event.message,
                         "event": event.as_dict()})

    def close(self, wait: float = 10.0) -> None:
        """Send what is queued (up to ``wait`` seconds), then stop."""
        self._queue.put(None)
        self._thread.join(timeout=wait)

    def _work(self) -> None:
        while True:
            payload = self._queue.get()
            if payload is None:
                return
            body = json.dumps(payload).encode()
            for url in self.urls:
                self._post(url, body)

    def _post(self, url: str, body: bytes) -> None:
        for attempt in range(self.attempts):
            request = urllib.request.Request(
                url, data=body, method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "scrubphi-canary"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                    if 200 <= response.status < 300:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5 * (attempt + 1))
        self.failed += 1
        print(f"scrubphi canary: webhook {url} did not accept a notification", file=sys.stderr)
