"""The canary controller: run the ``canary:`` steps against a router, one tick at a time.

Why ticks: a deploy flow lasts minutes (``pause: 5m``), yet every step and
every rollback path must be testable in milliseconds.  The controller never
sleeps and never reads the time itself: ``tick()`` looks at an injected
clock, does whatever is due (a health check attempt, a weight change, the end
of a pause, a rollback) and returns.  ``run()`` is the thin loop around it.

The order inside a tick is the safety argument:

1. While the canary receives traffic and ``analysis: rollback`` is set, the
   canary's metrics are sampled, fed to the rollback monitor and the monitor
   decides.  ``rollback``/``rollback_now`` move **all** traffic to stable
   first (retrying until ``rollback_within`` is used up) and only then
   record how long the switch took against ``rollback_within``; the
   remaining steps, pauses and analysis are skipped.  ``alert`` is logged
   and the flow goes on.  ``inconclusive`` (or a metric source that cannot
   answer) holds the flow where it is: a pause does not end and no weight
   goes up until the rules can decide again; it is never a pass.
2. Otherwise the current step advances: a health check attempt (a failure
   after its ``attempts`` rolls back), a weight change, or a pause that ends
   when its time is up.  Steps that need no waiting follow each other in the
   same tick.
3. After the last step the canary gets 100% (promotion), as in Argo
   Rollouts, even when the flow's last weight was lower.

Every step and decision goes into a :class:`RunLog` (readable text after an
incident, and JSON).  ``start()`` begins a clean run: a fresh monitor and
log, the metric source skipping older data, and all traffic on stable.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from scrubphi.canary.policy import CanaryPolicy, HealthCheckStep, PauseStep, Step, WeightStep
from scrubphi.canary.routers import Router, RouterError, Weights, parse_hostport
from scrubphi.errors import ScrubPhiError

__all__ = [
    "EXIT_CODES",
    "CanaryController",
    "CanaryMetrics",
    "CanaryResult",
    "CanaryStatus",
    "Event",
    "HealthChecker",
    "Monitor",
    "Outcome",
    "QueryMetrics",
    "RunLog",
    "http_health_check",
]

Outcome = Literal["running", "promoted", "rolled_back", "failed", "aborted"]
State = Literal["pending", "running", "promoted", "rolled_back", "failed", "aborted"]
ROLLBACK_ACTIONS = frozenset({"rollback", "rollback_now"})

#: Exit codes of ``scrubphi canary run`` / ``rollback`` (see docs/canary.md).
EXIT_CODES: Mapping[str, int] = {
    "promoted": 0,
    "rolled_back": 11,
    "rollback_slow": 12,
    "router_error": 13,
    "aborted": 14,
}


class Monitor(Protocol):
    """What the controller needs from ``scrubphi.rollback.RollbackMonitor``."""

    def observe(self, metric: str, t: float, value: float | None) -> None: ...

    def tick(self) -> Any: ...


class CanaryMetrics(Protocol):
    """A source of the canary's current metric values (access log, Prometheus, ...).

    ``start`` forgets earlier data (a new run); ``sample`` returns the
    canary's metrics now, leaving out a metric with no data, and raises
    :class:`~scrubphi.errors.ScrubPhiError` when the provider cannot answer.
    """

    def start(self) -> None: ...

    def sample(self) -> Mapping[str, float]: ...


class QueryMetrics:
    """Canary metrics from a query source such as ``scrubphi.metrics.PrometheusSource``.

    ``queries`` maps a rule's metric name to the provider's query for the
    canary (``{"http_5xx_ratio": 'sum(rate(...{version="v2",code=~"5.."}[1m])) / ...'}``).
    Each sample asks ``source.instant(query, now)``; no data (None or NaN)
    leaves the metric out, and a provider error propagates, which the
    controller turns into ``inconclusive``, never a pass.
    """

    def __init__(
        self,
        source: Any,
        queries: Mapping[str, str],
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not queries:
            raise ValueError("queries maps at least one metric name to a query")
        self.source = source
        self.queries = dict(queries)
        self.wall_clock = wall_clock

    def start(self) -> None:
        """Nothing to forget: every sample is a fresh query."""

    def sample(self) -> Mapping[str, float]:
        now = self.wall_clock()
        out: dict[str, float] = {}
        for name, query in self.queries.items():
            value = self.source.instant(query, now)
            if value is not None and math.isfinite(value):
                out[name] = float(value)
        return out


#: ``(url_path, timeout_seconds) -> (passed, detail)``.
HealthChecker = Callable[[str, float], tuple[bool, str]]


def http_health_check(canary: str) -> HealthChecker:
    """GET ``http://CANARY{path}``; any 2xx within the timeout passes."""
    host, port = parse_hostport(canary)

    def check(path: str, timeout: float) -> tuple[bool, str]:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            return 200 <= response.status < 300, f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            return False, type(exc).__name__
        finally:
            conn.close()

    return check


@dataclass(frozen=True)
class Event:
    """One line of the run log: when (run-relative and UTC), what, and its numbers."""

    t: float
    wall: str
    kind: str
    message: str
    step: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 6),
            "wall": self.wall,
            "kind": self.kind,
            "step": self.step,
            "message": self.message,
            "data": dict(self.data),
        }


class RunLog:
    """Everything one canary run did, in order: for the live display and after an incident."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def text(self) -> str:
        """One line per event: UTC time, seconds into the run, step, message."""
        lines = []
        for e in self.events:
            step = f"step {e.step + 1}" if e.step is not None else "      "
            lines.append(f"{e.wall}  +{e.t:8.2f}s  {step:<7}  {e.message}")
        return "\n".join(lines) + ("\n" if lines else "")

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.events]


@dataclass(frozen=True)
class CanaryStatus:
    """A snapshot after a tick, for the live display and callers."""

    state: State
    step: int | None
    steps: int
    step_text: str
    weights: Weights | None
    action: str | None
    detail: str
    rules: tuple[Mapping[str, Any], ...] = ()
    pause_left: float | None = None


@dataclass(frozen=True)
class CanaryResult:
    """The end of a run: outcome, rollback timing against the budget, the log."""

    outcome: Outcome
    reason: str
    rollback_seconds: float | None
    rollback_within: float
    log: RunLog

    @property
    def rollback_in_time(self) -> bool | None:
        if self.rollback_seconds is None:
            return None
        return self.rollback_seconds <= self.rollback_within

    @property
    def exit_code(self) -> int:
        if self.outcome == "promoted":
            return EXIT_CODES["promoted"]
        if self.outcome == "failed":
            return EXIT_CODES["router_error"]
        if self.rollback_in_time is False:
            return EXIT_CODES["rollback_slow"]
        if self.outcome == "aborted":
            return EXIT_CODES["aborted"]
        return EXIT_CODES["rolled_back"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "rollback_seconds": self.rollback_seconds,
            "rollback_within": self.rollback_within,
            "rollback_in_time": self.rollback_in_time,
            "events": self.log.as_list(),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False)


def _decision_parts(decision: Any) -> tuple[str, str, tuple[Mapping[str, Any], ...]]:
    """Action, a one-line reason and per-rule states of a ``scrubphi.rollback.Decision``.

    Per rule: name, metric, state (ok | pending | firing | inconclusive |
    error), action, the latest value as the threshold was written, and the
    engine's reason.  The reason of the whole decision names the rules that
    decided it.
    """
    action = str(getattr(decision, "action", decision))
    rules: list[Mapping[str, Any]] = []
    deciding: list[str] = []
    for result in getattr(decision, "results", None) or ():
        values = getattr(result, "values", ())
        latest = values[-1][1] if values else None
        fmt = getattr(result, "fmt", None)
        entry = {
            "name": str(result.name),
            "metric": str(result.rule.metric),
            "state": str(result.state),
            "action": str(result.action),
            "value": fmt(latest) if fmt is not None else latest,
            "reason": str(result.reason),
        }
        rules.append(entry)
        if result.action == action and action != "ok":
            deciding.append(f"{entry['name']}: {entry['state']}, {entry['reason']}")
    if not deciding:
        deciding = [f"{r['name']} {r['state']} {r['value']}" for r in rules]
    reason = "; ".join(deciding) if deciding else action
    return action, reason, tuple(rules)


class CanaryController:
    """Run one canary of ``policy`` through ``router``; see the module docstring.

    ``monitor_factory(clock)`` builds a fresh rollback monitor per run
    (``lambda clock: RollbackMonitor(rules, clock)``); it is required when
    ``policy.analysis`` is ``rollback``.  ``metrics`` feeds it; ``watch``
    names the metrics the rules use (None: all that are sampled).  ``clock``
    gives epoch seconds (the run log shows it as UTC, and the rollback
    decision carries it); tests pass a fake one.
    """

    def __init__(
        self,
        policy: CanaryPolicy,
        router: Router,
        *,
        monitor_factory: Callable[[Callable[[], float]], Monitor] | None = None,
        metrics: CanaryMetrics | None = None,
        health_check: HealthChecker | None = None,
        watch: Iterable[str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        if policy.analysis == "rollback" and (monitor_factory is None or metrics is None):
            raise ValueError("analysis: rollback needs a monitor_factory and a metrics source")
        if health_check is None and any(isinstance(s, HealthCheckStep) for s in policy.steps):
            raise ValueError("the flow has a health_check step: pass health_check=")
        self.policy = policy
        self.router = router
        self.monitor_factory = monitor_factory
        self.metrics = metrics
        self.health_check = health_check
        self.watch = frozenset(watch) if watch is not None else None
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event
        self.state: State = "pending"
        self.log = RunLog()
        self._reset()

    @classmethod
    def from_policy(
        cls,
        policy: Any,
        router: Router,
        *,
        metrics: CanaryMetrics | None = None,
        health_check: HealthChecker | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[Event], None] | None = None,
    ) -> CanaryController:
        """A controller for a loaded policy: its ``canary:`` flow and ``rollback:`` rules."""
        from scrubphi.canary.policy import canary_from_policy
        from scrubphi.rollback import RollbackMonitor, rules_from_policy

        canary = canary_from_policy(policy)
        factory: Callable[[Callable[[], float]], Monitor] | None = None
        watch: frozenset[str] | None = None
        if canary.analysis == "rollback":
            rules = rules_from_policy(policy)
            watch = frozenset(rule.metric for rule in rules.rules)

            def factory(clock: Callable[[], float]) -> Monitor:
                return RollbackMonitor(rules, clock)

        return cls(
            canary, router, monitor_factory=factory, metrics=metrics, health_check=health_check,
            watch=watch, clock=clock, sleep=sleep, on_event=on_event,
        )

    # -- lifecycle ------------------------------------------------------------

    def _reset(self) -> None:
        self.index = 0
        self.monitor: Monitor | None = None
        self._t0 = self.clock()
        self._health_attempts = 0
        self._next_attempt: float | None = None
        self._pause_started: float | None = None
        self._action: str | None = None
        self._detail = ""
        self._rules: tuple[Mapping[str, Any], ...] = ()
        self._reason = ""
        self._rollback_seconds: float | None = None

    def start(self) -> CanaryStatus:
        """Begin a clean run: new log and monitor, old metrics skipped, all traffic on stable."""
        self._reset()
        self.log = RunLog()
        self.state = "running"
        if self.monitor_factory is not None and self.policy.analysis == "rollback":
            self.monitor = self.monitor_factory(self.clock)
        if self.metrics is not None:
            self.metrics.start()
        self._emit(
            "run_started",
            f"canary run started: {len(self.policy.steps)} steps, analysis "
            f"{self.policy.analysis}, rollback_within {self.policy.rollback_within:g}s, "
            f"router {self.router.describe()}",
            data={"steps": [s.describe() for s in self.policy.steps]},
        )
        try:
            self._set(Weights(100, 0), "baseline")
        except RouterError as exc:
            self._finish("failed", f"cannot put all traffic on stable: {exc}")
        return self.status()

    def tick(self) -> CanaryStatus:
        """Do whatever is due now; return where the run stands."""
        if self.state == "pending":
            raise RuntimeError("call start() before tick()")
        if self.state != "running":
            return self.status()
        now = self.clock()
        hold = False
        current = self.router.current()
        if self.monitor is not None and current is not None and current.canary > 0:
            action = self._analyse(now)
            if action in ROLLBACK_ACTIONS:
                self._rollback(f"rule fired: {self._detail}", fired_at=now, outcome="rolled_back")
                return self.status()
            hold = action == "inconclusive"
        if not hold:
            self._advance(now)
        return self.status()

    def abort(self, reason: str = "rolled back by a person") -> CanaryStatus:
        """Roll back now (a human wants out): all traffic to stable, the run ends."""
        if self.state in ("running", "pending"):
            if self.state == "pending":
                self._reset()
                self.state = "running"
            self._rollback(reason, fired_at=self.clock(), outcome="aborted")
        return self.status()

    def run(
        self, *, interval: float = 1.0, on_tick: Callable[[CanaryStatus], None] | None = None
    ) -> CanaryResult:
        """``start()``, then ``tick()`` every ``interval`` seconds until the run ends.

        An exception while waiting (Ctrl-C) rolls back before it propagates.
        """
        status = self.start()
        try:
            while status.state == "running":
                if on_tick is not None:
                    on_tick(status)
                self.sleep(interval)
                status = self.tick()
        except BaseException:
            self.abort("interrupted: rolled back before exiting")
            raise
        if on_tick is not None:
            on_tick(status)
        return self.result()

    def result(self) -> CanaryResult:
        outcome: Outcome = "running" if self.state == "pending" else self.state
        return CanaryResult(
            outcome=outcome,
            reason=self._reason,
            rollback_seconds=self._rollback_seconds,
            rollback_within=self.policy.rollback_within,
            log=self.log,
        )

    def status(self) -> CanaryStatus:
        step: Step | None = (
            self.policy.steps[self.index] if self.index < len(self.policy.steps) else None
        )
        left = None
        if isinstance(step, PauseStep) and self._pause_started is not None:
            left = max(0.0, step.seconds - (self.clock() - self._pause_started))
        return CanaryStatus(
            state=self.state,
            step=self.index if step is not None else None,
            steps=len(self.policy.steps),
            step_text=step.describe() if step is not None else "done",
            weights=self.router.current(),
            action=self._action,
            detail=self._detail,
            rules=self._rules,
            pause_left=left,
        )

    # -- inside a tick ---------------------------------------------------------

    def _analyse(self, now: float) -> str:
        assert self.monitor is not None and self.metrics is not None
        failed = None
        try:
            values = self.metrics.sample()
        except ScrubPhiError as exc:
            failed = f"metrics unavailable: {exc}"
            values = {}
            observe_error = getattr(self.monitor, "observe_error", None)
            for name in self.watch or ():
                if observe_error is not None:
                    observe_error(name, failed)
        for name, value in values.items():
            if self.watch is None or name in self.watch:
                self.monitor.observe(name, now, float(value))
        action, detail, rules = _decision_parts(self.monitor.tick())
        if failed is not None and action not in ROLLBACK_ACTIONS:
            action, detail = "inconclusive", failed
        # Log a decision when the action or a rule's state changes, not every new value.
        states = [(r["name"], r["state"], r["action"]) for r in rules]
        changed = action != self._action or states != [
            (r["name"], r["state"], r["action"]) for r in self._rules
        ]
        self._action, self._detail, self._rules = action, detail, rules
        if changed:
            self._emit(
                "decision",
                f"analysis: {action} ({detail})",
                step=self.index,
                data={"action": action, "reason": detail, "rules": list(rules),
                      "metrics": {k: round(v, 6) for k, v in values.items()}},
            )
        return action

    def _advance(self, now: float) -> None:
        while self.state == "running":
            if self.index >= len(self.policy.steps):
                self._promote()
                return
            step = self.policy.steps[self.index]
            if isinstance(step, HealthCheckStep):
                if not self._health(step, now):
                    return
            elif isinstance(step, WeightStep):
                try:
                    self._set(Weights(100 - step.percent, step.percent), "weight")
                except RouterError as exc:
                    self._rollback(
                        f"router error at {step.describe()}: {exc}", fired_at=now,
                        outcome="failed",
                    )
                    return
                self._next()
            else:
                if self._pause_started is None:
                    self._pause_started = now
                    self._emit("pause_started", f"{step.describe()} started", step=self.index)
                if now - self._pause_started < step.seconds:
                    return
                self._emit("pause_done", f"{step.describe()} done", step=self.index)
                self._next()

    def _health(self, step: HealthCheckStep, now: float) -> bool:
        """One attempt when due; True when the step passed and the flow moves on."""
        if self._next_attempt is not None and now < self._next_attempt:
            return False
        assert self.health_check is not None
        self._health_attempts += 1
        ok, detail = self.health_check(step.url, step.timeout)
        self._emit(
            "health_check",
            f"{step.describe()} attempt {self._health_attempts}/{step.attempts}: "
            f"{'passed' if ok else 'failed'} ({detail})",
            step=self.index,
            data={"passed": ok, "attempt": self._health_attempts, "detail": detail},
        )
        if ok:
            self._next()
            return True
        if self._health_attempts >= step.attempts:
            self._rollback(
                f"health check {step.url} failed {step.attempts} times",
                fired_at=now,
                outcome="rolled_back",
            )
            return False
        self._next_attempt = now + step.interval
        return False

    def _next(self) -> None:
        self.index += 1
        self._health_attempts = 0
        self._next_attempt = None
        self._pause_started = None

    def _set(self, weights: Weights, why: str) -> None:
        t0 = self.clock()
        self.router.set_weights(stable=weights.stable, canary=weights.canary)
        took = self.clock() - t0
        self._emit(
            "weights",
            f"traffic {weights} ({why}, applied in {took:.3f}s)",
            step=self.index if why == "weight" else None,
            data={"stable": weights.stable, "canary": weights.canary, "seconds": took,
                  "why": why},
        )

    def _promote(self) -> None:
        current = self.router.current()
        if current is None or current.canary != 100:
            try:
                self._set(Weights(0, 100), "promotion")
            except RouterError as exc:
                self._rollback(f"router error at promotion: {exc}", fired_at=self.clock(),
                               outcome="failed")
                return
        self._finish("promoted", "every step passed; the canary has all traffic")

    def _rollback(self, reason: str, *, fired_at: float, outcome: Outcome) -> None:
        """All traffic to stable first (retrying inside the budget); then the bookkeeping."""
        budget = self.policy.rollback_within
        self._emit("rollback_started", f"rolling back: {reason}", step=self.index,
                   data={"reason": reason})
        attempt = 0
        while True:
            attempt += 1
            try:
                self.router.set_weights(stable=100, canary=0)
                break
            except RouterError as exc:
                spent = self.clock() - fired_at
                self._emit("rollback_retry", f"rollback attempt {attempt} failed: {exc}",
                           data={"attempt": attempt, "seconds": spent})
                if spent >= budget:
                    self._rollback_seconds = None
                    self._finish(
                        "failed",
                        f"{reason}; traffic could NOT be moved to stable within "
                        f"{budget:g}s: {exc}",
                    )
                    return
                self.sleep(min(0.5, max(0.0, budget - spent)))
        took = self.clock() - fired_at
        self._rollback_seconds = took
        verdict = "within" if took <= budget else "OVER"
        self._emit(
            "rollback_done",
            f"all traffic on stable {took:.3f}s after the rollback was decided "
            f"({verdict} rollback_within {budget:g}s)",
            data={"seconds": took, "rollback_within": budget, "in_time": took <= budget,
                  "attempts": attempt},
        )
        self._finish(outcome, reason)

    def _finish(self, state: Outcome, reason: str) -> None:
        assert state != "running"
        self.state = state
        self._reason = reason
        self._emit("run_finished", f"{state}: {reason}", data={"outcome": state})

    def _emit(
        self, kind: str, message: str, *, step: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        now = self.clock()
        wall = dt.datetime.fromtimestamp(now, dt.UTC)
        event = Event(
            t=now - self._t0,
            wall=wall.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            kind=kind,
            message=message,
            step=step,
            data=dict(data or {}),
        )
        self.log.add(event)
        if self.on_event is not None:
            self.on_event(event)
