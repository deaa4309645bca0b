"""The Prometheus metric source against a real Prometheus loaded with series the test writes."""

from __future__ import annotations

import math
import time

import pytest

from prom_fixtures import openmetrics
from scrubphi.metrics import MetricSourceError, PrometheusSource, RetryPolicy
from scrubphi.rollback import check, rules_from_mapping

STEP = 15.0
# Two hours ago, on the 15s grid: inside retention, behind the (empty) head block.
T0 = math.floor((time.time() - 7200) / STEP) * STEP


def _gauge_data() -> str:
    ratio = [(T0 + i * STEP, 0.005 if i < 20 else 0.05) for i in range(40)]
    nan = [(T0 + i * STEP, math.nan) for i in range(40)]
    two = {f'two_series{{k="{k}"}}': [(T0 + i * STEP, 1.0) for i in range(40)] for k in "ab"}
    return openmetrics({"err_ratio": ratio, "nan_gauge": nan, **two}, {})


@pytest.fixture
def prom(prometheus_server):  # type: ignore[no-untyped-def]
    server = prometheus_server(_gauge_data())
    return PrometheusSource(server.url, retry=RetryPolicy(attempts=2, base_delay=0.01))


def test_range_returns_written_values(prom: PrometheusSource) -> None:
    """A range query on the grid returns exactly the samples written (count and values)."""
    series = prom.range("err_ratio", T0 + 10 * STEP, T0 + 29 * STEP, STEP)
    assert [t for t, _ in series.points] == [T0 + i * STEP for i in range(10, 30)]
    assert [v for _, v in series.points] == [0.005] * 10 + [0.05] * 10


def test_instant_value_empty_and_nan(prom: PrometheusSource) -> None:
    """Instant queries: a value, None for an empty result, NaN kept as NaN (never a pass)."""
    assert prom.instant("err_ratio", T0 + 25 * STEP) == 0.05
    assert prom.instant("no_such_metric", T0 + 25 * STEP) is None
    value = prom.instant("nan_gauge", T0 + 25 * STEP)
    assert value is not None and math.isnan(value)
    assert prom.instant("scalar(err_ratio) * 2", T0 + 5 * STEP) == 0.01


def test_bad_query_is_an_error_not_retried(prom: PrometheusSource) -> None:
    """A query Prometheus refuses raises at once (one request), naming the problem."""
    before = prom.requests
    with pytest.raises(MetricSourceError, match="HTTP 400 bad_data"):
        prom.range("sum(", T0, T0 + 60, STEP)
    assert prom.requests - before == 1


def test_several_series_are_refused(prom: PrometheusSource) -> None:
    """A query returning two series is an error: the rule would otherwise pick one at random."""
    with pytest.raises(MetricSourceError, match="returned 2 series"):
        prom.instant("two_series", T0 + 5 * STEP)


def test_unreachable_server_is_retried_then_inconclusive() -> None:
    """A dead endpoint is retried with bounded backoff, then the rule is inconclusive."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    source = PrometheusSource(
        f"http://127.0.0.1:{port}", timeout=2,
        retry=RetryPolicy(attempts=3, base_delay=0.01, sleep=waits.append),
    )
    with pytest.raises(MetricSourceError) as info:
        source.instant("up", T0)
    assert info.value.attempts == 3 and source.requests == 3 and len(waits) == 2
    rules = rules_from_mapping({"rules": [
        {"name": "r", "metric": "up", "above": 1, "for": "0s", "action": "rollback"}],
        "metrics": {"up": {"prometheus": "up"}}})
    decision = check(rules, source, T0)
    assert decision.action == "inconclusive" and decision.rule("r").state == "error"


def test_rules_on_prometheus_series(prom: PrometheusSource) -> None:
    """The rule engine on a real range query: ok before the breach, rollback after 2 minutes."""
    rules = rules_from_mapping({"rules": [
        {"name": "r", "metric": "ratio", "above": "1%", "for": "2m", "action": "rollback"}],
        "metrics": {"ratio": {"prometheus": "err_ratio"}}, "min_samples": 5})
    assert check(rules, prom, T0 + 19 * STEP).action == "ok"
    assert check(rules, prom, T0 + 27 * STEP).action == "ok"
    assert check(rules, prom, T0 + 28 * STEP).action == "rollback"
