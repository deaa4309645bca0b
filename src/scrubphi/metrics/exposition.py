"""The controller's own metrics for Prometheus to scrape, with ``prometheus-client``.

Two sources, one registry:

* :class:`CanaryExporter` follows a canary run through the controller's two
  callbacks (``on_event`` for every run-log event, ``on_tick`` for the status
  after each tick): the weights, the step, the run's state, every rule's
  value, threshold and state, the analysis decision, rollbacks and how long
  they took.
* :class:`FlagExposureCollector` reads a :class:`~scrubphi.flags.FlagClient`'s
  exposure counts at scrape time (nothing is added to the evaluation's hot
  path): evaluations by flag, result, variant and rollout phase, and each
  plan's live phase.

:func:`serve` exposes a registry over HTTP (``/metrics``) on a loopback port
by default.  Metric names and labels are listed in ``docs/canary.md`` and
``docs/flags.md``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from scrubphi.canary.runlog import CanaryStatus, Event

__all__ = [
    "CanaryExporter",
    "FlagExposureCollector",
    "MetricsServer",
    "serve",
]

RUN_STATES = ("pending", "running", "promoted", "rolled_back", "failed", "aborted")
RULE_STATES = ("ok", "pending", "firing", "inconclusive", "error")
ACTIONS = ("ok", "inconclusive", "alert", "rollback", "rollback_now")


class CanaryExporter:
    """The canary controller's metrics: pass ``on_event`` and ``on_tick`` to the controller.

    ``registry`` defaults to a new one (give the app's to expose them beside
    its own).  Thread-safe: the controller's thread updates, the HTTP
    server's thread reads.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._lock = threading.Lock()
        self.weight = Gauge("scrubphi_canary_weight_percent",
                            "Share of requests the load balancer sends to each version",
                            ["version"], registry=r)
        self.step = Gauge("scrubphi_canary_step",
                          "The flow's current step, from 1 (steps + 1 once every step is done)",
                          registry=r)
        self.steps = Gauge("scrubphi_canary_steps", "Steps in the canary flow", registry=r)
        self.state = Gauge("scrubphi_canary_state", "1 for the run's state, 0 for the others",
                           ["state"], registry=r)
        self.paused = Gauge("scrubphi_canary_paused",
                            "1 while the run is paused (by a person, or stuck)", registry=r)
        self.pause_left = Gauge("scrubphi_canary_pause_left_seconds",
                                "Conclusive time left in the current pause (NaN: no pause)",
                                registry=r)
        self.rule_value = Gauge("scrubphi_canary_rule_value",
                                "Each rollback rule's latest value (NaN: no data)",
                                ["rule", "metric"], registry=r)
        self.rule_threshold = Gauge("scrubphi_canary_rule_threshold",
                                    "Each rollback rule's threshold",
                                    ["rule", "metric", "comparison"], registry=r)
        self.rule_state = Gauge("scrubphi_canary_rule_state",
                                "1 for each rule's state, 0 for the others",
                                ["rule", "state"], registry=r)
        self.decision = Gauge("scrubphi_canary_decision",
                              "1 for the analysis's current decision, 0 for the others",
                              ["action"], registry=r)
        self.decisions = Counter("scrubphi_canary_decisions",
                                 "Decisions logged (the action or a rule's state changed)",
                                 ["action"], registry=r)
        self.events = Counter("scrubphi_canary_events", "Run-log events by kind", ["kind"],
                              registry=r)
        self.rollbacks = Counter("scrubphi_canary_rollbacks",
                                 "Rollbacks done (all traffic on stable)", registry=r)
        self.version_requests = Gauge(
            "scrubphi_canary_version_requests",
            "Requests each version answered in the controller's window (nginx's access log)",
            ["version"], registry=r)
        self.version_5xx_ratio = Gauge(
            "scrubphi_canary_version_5xx_ratio",
            "Share of 5xx answers of each version in the window (NaN: no request)",
            ["version"], registry=r)
        self.version_p99_ms = Gauge(
            "scrubphi_canary_version_latency_p99_ms",
            "p99 upstream response time of each version in the window, ms (NaN: no request)",
            ["version"], registry=r)
        self.rollback_seconds = Gauge("scrubphi_canary_rollback_seconds",
                                      "Seconds from the last rollback's decision to all traffic "
                                      "on stable (NaN: none yet)", registry=r)
        self.pause_left.set(math.nan)
        self.rollback_seconds.set(math.nan)
        self._set_one(self.state, "state", RUN_STATES, "pending")

    @staticmethod
    def _set_one(gauge: Gauge, label: str, values: Iterable[str], current: str | None) -> None:
        for value in values:
            gauge.labels(**{label: value}).set(1.0 if value == current else 0.0)

    def on_event(self, event: Event) -> None:
        """Count the event; weights, decisions and rollbacks update at once."""
        data = event.data
        with self._lock:
            self.events.labels(kind=event.kind).inc()
            if event.kind == "weights":
                self.weight.labels(version="stable").set(float(data["stable"]))
                self.weight.labels(version="canary").set(float(data["canary"]))
            elif event.kind == "decision":
                action = str(data.get("action"))
                self.decisions.labels(action=action).inc()
                self._set_one(self.decision, "action", ACTIONS, action)
                self._rules(data.get("rules") or ())
            elif event.kind == "rollback_done":
                self.rollbacks.inc()
                seconds = data.get("seconds")
                if isinstance(seconds, int | float):
                    self.rollback_seconds.set(float(seconds))
            elif event.kind == "run_started":
                self._set_one(self.state, "state", RUN_STATES, "running")
                steps = data.get("steps")
                if isinstance(steps, list):
                    self.steps.set(len(steps))
            elif event.kind == "run_finished":
                self._set_one(self.state, "state", RUN_STATES, str(data.get("outcome")))

    def on_tick(self, status: CanaryStatus) -> None:
        """The status after a tick: step, state, weights, pause, every rule."""
        with self._lock:
            self.steps.set(status.steps)
            self.step.set(status.steps + 1 if status.step is None else status.step + 1)
            self._set_one(self.state, "state", RUN_STATES, status.state)
            if status.weights is not None:
                self.weight.labels(version="stable").set(float(status.weights.stable))
                self.weight.labels(version="canary").set(float(status.weights.canary))
            self.paused.set(1.0 if status.paused else 0.0)
            self.pause_left.set(math.nan if status.pause_left is None else status.pause_left)
            if status.action is not None:
                self._set_one(self.decision, "action", ACTIONS, status.action)
            self._rules(status.rules)

    def on_versions(self, stats: Mapping[str, Any]) -> None:
        """Each version's window (``VersionStats`` of nginx's access log), after a tick."""
        with self._lock:
            for version, st in stats.items():
                self.version_requests.labels(version=version).set(float(st.requests))
                self.version_5xx_ratio.labels(version=version).set(
                    math.nan if st.ratio_5xx is None else float(st.ratio_5xx))
                self.version_p99_ms.labels(version=version).set(
                    math.nan if st.p99_ms is None else float(st.p99_ms))

    def _rules(self, rules: Iterable[Mapping[str, Any]]) -> None:
        for rule in rules:
            name, metric = str(rule.get("name")), str(rule.get("metric"))
            number = rule.get("number")
            self.rule_value.labels(rule=name, metric=metric).set(
                float(number) if isinstance(number, int | float) else math.nan)
            limit = rule.get("limit")
            if isinstance(limit, int | float):
                self.rule_threshold.labels(rule=name, metric=metric,
                                           comparison=str(rule.get("comparison"))).set(limit)
            for state in RULE_STATES:
                self.rule_state.labels(rule=name, state=state).set(
                    1.0 if state == rule.get("state") else 0.0)


class FlagExposureCollector(Collector):
    """A flag client's exposure counts, read at scrape time.

    ``scrubphi_flag_exposures_total{flag, result, variant, phase}``: evaluations
    (``is_enabled`` and ``get_variant``) by result (``on``/``off``), variant
    (``""`` for ``is_enabled``) and the rollout phase live at evaluation
    (``""`` for a flag without a plan).  ``scrubphi_rollout_phase{plan,
    phase}``: 1 for each plan's live phase as the client sees it.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def collect(self) -> Iterator[Metric]:
        counts = CounterMetricFamily(
            "scrubphi_flag_exposures",
            "Flag evaluations by flag, result, variant and rollout phase",
            labels=["flag", "result", "variant", "phase"])
        totals = self.client.exposure_counts()
        for (flag, phase, variant, enabled), value in sorted(
                totals.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
            counts.add_metric([flag, "on" if enabled else "off", variant or "", phase or ""],
                              float(value))
        yield counts
        phases = GaugeMetricFamily("scrubphi_rollout_phase",
                                   "1 for each rollout plan's live phase",
                                   labels=["plan", "phase"])
        plans = sorted({p for p in (self.client.plan_of(n) for n in
                                     self.client.feature_names()) if p is not None})
        for plan in plans:
            live = self.client.current_phase(plan)
            if live is not None:
                phases.add_metric([plan, live], 1.0)
        yield phases


@dataclass
class MetricsServer:
    """A running ``/metrics`` endpoint; :meth:`close` stops it."""

    address: str
    port: int
    _server: Any
    _thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve(registry: CollectorRegistry, port: int, address: str = "127.0.0.1") -> MetricsServer:
    """Serve ``registry`` on ``http://address:port/metrics`` from a daemon thread.

    Port 0 picks a free port (see ``.port``).  An address in use raises
    ``OSError``.
    """
    server, thread = start_http_server(port, addr=address, registry=registry)
    return MetricsServer(address, int(server.server_address[1]), server, thread)
