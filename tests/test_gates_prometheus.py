"""The team's gate queries and long rollback-check ranges against a real Prometheus.

What Prometheus really returns decides these: a clean cohort has no 5xx series
at all, and a range over 11,000 points is refused with HTTP 400 unless it is
fetched in chunks.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from prom_fixtures import PromServer, openmetrics, prometheus_servers
from scrubphi.cli.deploy import gate, rollback_check
from scrubphi.metrics import PrometheusSource, RetryPolicy
from scrubphi.metrics.prometheus import MAX_POINTS

ROOT = Path(__file__).resolve().parents[1]
RULES = str(ROOT / "rollback" / "rules.yaml")
FLAGS = str(ROOT / "flags" / "flags.yaml")
STEP = 15.0
HOUR = 3600.0
# The data ends three hours ago, behind Prometheus's (empty) head block.
END = math.floor((time.time() - 3 * HOUR) / STEP) * STEP


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()


def _internal_phase(with_traffic: bool) -> str:
    """Three days and two hours of the internal phase: 200 OK responses only, never a 5xx.

    Without traffic only an unrelated series exists, so every gate query is empty.
    """
    series: dict[str, list[tuple[float, float]]] = {}
    n = int((3 * 24 + 2) * HOUR // 60)
    start = END - n * 60
    for i in range(n + 1):
        t = start + i * 60
        if with_traffic:
            series.setdefault('http_requests_total{flag_new_scheduling="on",code="200"}',
                              []).append((t, float(i)))
        series.setdefault('http_requests_total{flag_new_scheduling="none",code="200"}',
                          []).append((t, float(i)))
    return openmetrics(series, {"http_requests": "counter"})


@pytest.mark.parametrize(("traffic", "code", "action"), [(True, 0, "promote"),
                                                         (False, 10, "hold")],
                         ids=["clean-cohort-promotes", "no-denominator-holds"])
def test_team_error_rate_query_promotes_a_clean_cohort(prometheus_server,  # type: ignore[no-untyped-def]
                                                       traffic: bool, code: int,
                                                       action: str) -> None:
    """With no 5xx series the team's error_rate is 0 (promote); with no traffic it is unknown.

    Three days of the internal phase with only 200 responses: the numerator is
    empty, `or vector(0)` makes it 0, so the gate promotes. Without any flag-on
    traffic the denominator is empty and the gate holds: a missing denominator
    never promotes.
    """
    server = prometheus_server(_internal_phase(traffic))
    now = END
    started = now - 3 * 24 * HOUR - HOUR
    result = CliRunner().invoke(gate, [
        "--config", FLAGS, "-c", RULES, "--plan", "staged-release",
        "--source", f"prometheus={server.url}", "--phase", "internal",
        "--started-at", _iso(started), "--now", _iso(now), "--json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.output)
    assert data["action"] == action
    check = next(c for c in data["checks"] if c["name"] == "error_rate max")
    if traffic:
        assert check["ok"] is True and check["value"] == 0.0
        requests = next(c for c in data["checks"] if c["name"] == "min_requests")
        assert requests["ok"] is True and requests["value"] > 200
    else:
        assert check["ok"] is None and "no value" in check["detail"]


def _health_failing(hours: float) -> str:
    """``hours`` of the team's metrics every 30 s; health checks fail at 30% in the last 5 min."""
    series: dict[str, list[tuple[float, float]]] = {}
    counters = {"ok": 0.0, "fast": 0.0, "hok": 0.0, "hfail": 0.0}
    n = int(hours * HOUR // 30)
    start = END - n * 30
    for i in range(n + 1):
        t = start + i * 30
        failing = t > END - 300
        counters["ok"] += 100
        counters["fast"] += 100
        counters["hok"] += 7 if failing else 10
        counters["hfail"] += 3 if failing else 0
        for key, value in {
            'http_requests_total{code="200"}': counters["ok"],
            'http_request_duration_seconds_bucket{le="0.1"}': counters["fast"],
            'http_request_duration_seconds_bucket{le="+Inf"}': counters["fast"],
            "http_request_duration_seconds_count": counters["fast"],
            "http_request_duration_seconds_sum": counters["fast"] * 0.05,
            'health_checks_total{result="ok"}': counters["hok"],
            'health_checks_total{result="fail"}': counters["hfail"],
        }.items():
            series.setdefault(key, []).append((t, value))
    return openmetrics(series, {"http_requests": "counter",
                                "http_request_duration_seconds": "histogram",
                                "health_checks": "counter"})


@pytest.fixture(scope="module")
def long_prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromServer]:
    """One Prometheus with 50 hours of the team's metrics (module-wide: loading takes a while)."""
    with prometheus_servers(tmp_path_factory.mktemp("longprom")) as start:
        yield start(_health_failing(50))


def test_range_longer_than_the_point_limit_is_fetched_in_chunks(long_prom: PromServer) -> None:
    """48 hours at 15 s (11,521 points) come back whole, on the grid, in two requests."""
    source = PrometheusSource(long_prom.url, retry=RetryPolicy(attempts=2, base_delay=0.01))
    start = END - 48 * HOUR
    series = source.range('sum(health_checks_total{result="ok"})', start, END, STEP)
    expected = int(48 * HOUR / STEP) + 1
    assert expected > 11_000 and source.requests == math.ceil(expected / MAX_POINTS)
    times = [t for t, _ in series.points]
    assert times == [start + i * STEP for i in range(expected)]
    values = [v for _, v in series.points]
    assert values == sorted(values) and not any(math.isnan(v) for v in values)


def test_rollback_check_since_two_days_rolls_back_now(long_prom: PromServer) -> None:
    """`--since` 48 h before `--now` with health checks failing at 30%: exit 12, not 10."""
    result = CliRunner().invoke(rollback_check, [
        "-c", RULES, "--source", f"prometheus={long_prom.url}",
        "--since", _iso(END - 48 * HOUR), "--now", _iso(END), "--json"])
    assert result.exit_code == 12, result.output
    data = json.loads(result.output)
    health = next(r for r in data["rules"] if r["name"] == "health")
    assert (data["action"], health["state"]) == ("rollback_now", "firing")
    assert not any(r["state"] == "error" for r in data["rules"]), result.output
