"""The Datadog metric source against recorded answers served by a local stub HTTP server.

Datadog itself cannot be reached from here; the answers in tests/data/datadog/
follow Datadog's documented format for GET /api/v1/query.
"""

from __future__ import annotations

import json
import math
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from http_stub import serving
from scrubphi.errors import PolicyError
from scrubphi.metrics import DatadogSource, MetricSourceError, RetryPolicy
from scrubphi.rollback import check, rules_from_mapping

DATA = Path(__file__).resolve().parent / "data" / "datadog"
API_KEY = "0123456789abcdef0123456789abcdef"
APP_KEY = "fedcba9876543210fedcba9876543210fedcba98"
BASE = 1714564800.0
RATIO_QUERY = json.loads((DATA / "ratio_ok.json").read_text())["query"]

ROUTES: dict[str, list[tuple[int, str | None]]] = {
    RATIO_QUERY: [(200, "ratio_ok.json")],
    "avg:no.such.metric{*}": [(200, "empty.json")],
    "avg:system.load.1{*} by {host}": [(200, "two_series.json")],
    "avg:(": [(400, "bad_query_400.json")],
    "flaky": [(503, None), (429, "rate_limited_429.json"), (200, "ratio_ok.json")],
    "down": [(503, None)] * 10,
}


class _Stub(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, str]]] = []
    served: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(url.query))
        _Stub.calls.append(params)
        if (url.path != "/api/v1/query" or self.headers.get("DD-API-KEY") != API_KEY
                or self.headers.get("DD-APPLICATION-KEY") != APP_KEY):
            self._send(403, "forbidden_403.json")
            return
        plan = ROUTES.get(params.get("query", ""), [(400, "bad_query_400.json")])
        n = _Stub.served.get(params["query"], 0)
        _Stub.served[params["query"]] = n + 1
        self._send(*plan[min(n, len(plan) - 1)])

    def _send(self, code: int, name: str | None) -> None:
        body = (DATA / name).read_bytes() if name else b"upstream unavailable"
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    _Stub.calls, _Stub.served = [], {}
    with serving(_Stub) as url:
        yield url


def _source(url: str, **kw: object) -> DatadogSource:
    retry = RetryPolicy(attempts=3, base_delay=0.0, jitter=0.0, sleep=lambda _s: None)
    return DatadogSource(url, retry=retry, **kw)  # type: ignore[arg-type]


def test_range_parses_pointlist(stub: str) -> None:
    """Milliseconds become seconds, null becomes NaN; from/to are whole seconds."""
    series = _source(stub).range(RATIO_QUERY, BASE, BASE + 19 * 15, 15)
    assert len(series) == 20 and series.points[0] == (BASE, 0.004)
    assert math.isnan(series.points[5][1]) and series.points[-1] == (BASE + 285, 0.03)
    assert _Stub.calls[-1]["from"] == str(int(BASE)) and _Stub.calls[-1]["to"] == str(
        int(BASE + 285))


def test_instant_latest_value_and_empty(stub: str) -> None:
    """An instant query takes the latest non-null point; an empty answer is None."""
    source = _source(stub)
    assert source.instant(RATIO_QUERY, BASE + 285) == 0.03
    assert source.instant("avg:no.such.metric{*}", BASE) is None


def test_errors_are_outcomes(stub: str) -> None:
    """Bad query: one request, Datadog's message; several series refused; keys never shown."""
    source = _source(stub)
    with pytest.raises(MetricSourceError, match="HTTP 400: Error parsing query") as info:
        source.range("avg:(", BASE, BASE + 60, 15)
    assert info.value.attempts == 1
    with pytest.raises(MetricSourceError, match="returned 2 series"):
        source.instant("avg:system.load.1{*} by {host}", BASE)
    assert API_KEY not in repr(source) and APP_KEY not in str(info.value)


def test_retries_then_succeeds_or_gives_up(stub: str) -> None:
    """503 and 429 are retried (bounded); a persistent outage gives up after 3 attempts."""
    source = _source(stub)
    assert len(source.range("flaky", BASE, BASE + 285, 15)) == 20
    assert source.requests == 3
    with pytest.raises(MetricSourceError, match="gave up after 3 attempts") as info:
        source.range("down", BASE, BASE + 60, 15)
    assert info.value.retryable


def test_wrong_key_is_refused_not_retried(stub: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 403 says to check the keys, and is not retried."""
    monkeypatch.setenv("DD_APP_KEY", "x" * 40)
    source = _source(stub)
    with pytest.raises(MetricSourceError, match=r"HTTP 403: Forbidden \(check the API"):
        source.range(RATIO_QUERY, BASE, BASE + 60, 15)
    assert source.requests == 1


def test_missing_key_is_a_policy_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys come from env: references; an unset variable names the variable, not a value."""
    monkeypatch.delenv("DD_API_KEY", raising=False)
    with pytest.raises(PolicyError, match="environment variable DD_API_KEY is not set"):
        DatadogSource("http://127.0.0.1:9")


def test_rule_on_datadog_series(stub: str) -> None:
    """The team's error-spike rule on a recorded Datadog answer: the NaN gap counts as breaching."""
    rules = rules_from_mapping({
        "rules": [{"name": "error-spike", "metric": "ratio", "above": "1%", "for": "2m",
                   "action": "rollback"}],
        "metrics": {"ratio": {"datadog": RATIO_QUERY}},
        "missing_data": "breaching", "min_samples": 5})
    assert check(rules, _source(stub), BASE + 19 * 15, since=BASE).action == "rollback"
    assert check(rules, _source(stub), BASE + 17 * 15, since=BASE).action == "ok"
