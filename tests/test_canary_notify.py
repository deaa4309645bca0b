"""Webhook notifications against a real local HTTP receiver (item 8 of issue 14)."""

from __future__ import annotations

import time

import pytest

from nginx_fixtures import Receiver
from scrubphi.canary.notify import Notifier
from test_canary_controller import Harness, healthy


def _url(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def test_step_alert_rollback_and_end_are_posted_in_order(receiver: Receiver) -> None:
    """A canary that alerts, then fires: step, alert, rollback (started, done), finished."""
    receiver.fail_next = 1  # the first POST is refused once and retried
    notifier = Notifier([_url(receiver)])
    h = Harness(values=lambda s, w: {**healthy(s, w),
                                     "http_5xx_ratio": 0.05 if w and s > 150 else 0.0,
                                     "latency_p99_ms": 5000.0 if w else 100.0})
    h.ctrl.on_event = lambda event: notifier.event(event, "run-1")
    assert h.drive() == "rolled_back"
    notifier.close()
    kinds = [r["notification"] for r in receiver.received]
    assert kinds == ["step", "alert", "rollback", "rollback", "finished"]
    assert receiver.content_types == {"application/json"}
    assert all(r["run_id"] == "run-1" for r in receiver.received)
    assert receiver.received[0]["event"]["data"]["canary"] == 10
    assert receiver.received[-1]["event"]["data"]["outcome"] == "rolled_back"
    assert notifier.failed == 0


def test_promotion_is_posted_and_a_dead_receiver_never_delays_the_run(
    receiver: Receiver,
) -> None:
    """A second URL nobody listens on: the run is not slowed; the live one gets everything."""
    notifier = Notifier([_url(receiver), "http://127.0.0.1:9/nobody"], timeout=1.0, attempts=1)
    h = Harness()
    h.ctrl.on_event = lambda event: notifier.event(event, "run-2")
    t0 = time.monotonic()
    assert h.drive() == "promoted"
    assert time.monotonic() - t0 < 5.0
    notifier.close(wait=60)
    kinds = [r["notification"] for r in receiver.received]
    assert kinds == ["step", "step", "step", "finished"]
    assert receiver.received[2]["event"]["data"]["canary"] == 100
    assert notifier.failed == len(kinds)


def test_a_webhook_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        Notifier(["ftp://example.org/hook"])
