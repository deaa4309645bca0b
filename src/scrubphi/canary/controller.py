"""The canary controller: run the ``canary:`` steps against a router, one tick at a time.

Why ticks: a deploy flow lasts minutes (``pause: 5m``), yet every step and
every rollback path must be testable in milliseconds.  The controller never
sleeps and never reads the time itself: ``tick()`` looks at an injected
clock, does whatever is due (a health check attempt or probe, a check of the
rules, a weight change, the end of a pause, a rollback, a person's command)
and returns.  ``run()`` is the thin loop around it.

The order inside a tick is the safety argument:

1. Commands from people (``pause``, ``resume``, ``promote``, ``abort``, a
   manual rollback) are obeyed and recorded first.
2. While the canary receives traffic and ``analysis: rollback`` is set, the
   rules are checked once per ``rollback.interval`` (a *check*, as in
   Prometheus and Flagger; so ``min_samples: 20`` at 15s means five minutes
   of checks, whatever the tick).  ``rollback``/``rollback_now`` move **all**
   traffic to stable first and only then record how long it took against
   ``rollback_within``.  So does a canary that answered no request (or no
   health probe) in ``no_data_limit`` checks in a row: no data is a failure,
   never a pass.
3. The flow moves forward only while every rule is ``ok``: a pending,
   alerting, inconclusive or failing rule holds it (no weight goes up, no
   pause ends, no promotion), and only such *conclusive* time counts toward
   a pause (the bug Argo Rollouts fixed in #3850).  A hold that lasts
   (``inconclusive_limit`` without a conclusive check, or
   ``progress_deadline`` past a step's own pause) makes the run *stuck*:
   it rolls back, or pauses for a person with ``when_stuck: pause``.
4. After the last step the canary gets 100% (promotion), as in Argo
   Rollouts, even when the flow's last weight was lower.

Every step, check, decision and command goes into a :class:`RunLog` as it
happens (``on_event``; the CLI appends each to disk at once).  ``start()``
begins a clean run: a fresh monitor and log, the metric source skipping
older data, and all traffic on stable.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from scrubphi.canary.policy import CanaryPolicy, HealthCheckStep, PauseStep, Step, WeightStep
from scrubphi.canary.routers import Router, RouterError, Weights
from scrubphi.canary.runlog import (
    EXIT_CODES,
    ROLLBACK_ACTIONS,
    CanaryResult,
    CanaryStatus,
    Event,
    Outcome,
    RunLog,
    State,
    decision_parts,
)
from scrubphi.canary.sources import (
    ANSWERS_KEY,
    HEALTH_METRIC,
    CanaryMetrics,
    HealthChecker,
    HealthProbes,
    QueryMetrics,
    http_health_check,
)
from scrubphi.errors import ScrubPhiError

#: What a ``check`` event keeps of each rule (a ``decision`` event keeps all of it).
_CHECK_KEYS = ("name", "metric", "state", "action", "value", "threshold", "number",
               "limit", "comparison")

__all__ = [
    "COMMANDS",
    "EXIT_CODES",
    "CanaryController",
    "CanaryMetrics",
    "CanaryResult",
    "CanaryStatus",
    "Event",
    "HealthChecker",
    "Monitor",
    "Outcome",
    "Preempted",
    "QueryMetrics",
    "RunLog",
    "http_health_check",
]

#: What a person can tell a running controller (``scrubphi canary pause`` ...).
COMMANDS = ("pause", "resume", "promote", "promote_full", "abort", "rollback")


class Monitor(Protocol):
    """What the controller needs from ``scrubphi.rollback.RollbackMonitor``."""

    def observe(self, metric: str, t: float, value: float | None) -> None: ...

    def tick(self) -> Any: ...


class Preempted(RouterError):
    """A person rolled back by hand while this weight change waited: it was not applied."""


Command = tuple[str, Mapping[str, Any]]


class CanaryController:
    """Run one canary of ``policy`` through ``router``; see the module docstring.

    ``monitor_factory(clock)`` builds a fresh rollback monitor per run
    (``lambda clock: RollbackMonitor(rules, clock)``); it is required when
    ``policy.analysis`` is ``rollback``.  ``metrics`` feeds it once per
    ``check_interval`` (the rules' interval; None: every tick); ``watch``
    names the metrics the rules use (None: all that are sampled).  ``clock``
    gives epoch seconds (the run log shows it as UTC, and the rollback
    decision carries it); tests pass a fake one.  ``control`` is polled every
    tick for people's commands (``(name, details)`` pairs, see
    :data:`COMMANDS`).
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
        check_interval: float | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_event: Callable[[Event], None] | None = None,
        control: Callable[[], Iterable[Command]] | None = None,
    ) -> None:
        if policy.analysis == "rollback" and (monitor_factory is None or metrics is None):
            raise ValueError("analysis: rollback needs a monitor_factory and a metrics source")
        if health_check is None and policy.health_check is not None:
            raise ValueError("the flow has a health_check step: pass health_check=")
        if check_interval is not None and not check_interval > 0:
            raise ValueError("check_interval must be more than 0")
        self.policy = policy
        self.router = router
        self.monitor_factory = monitor_factory
        self.metrics = metrics
        self.health_check = health_check
        self.watch = frozenset(watch) if watch is not None else None
        self.check_interval = check_interval
        self.clock = clock
        self.sleep = sleep
        self.on_event = on_event
        self.control = control
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
        control: Callable[[], Iterable[Command]] | None = None,
    ) -> CanaryController:
        """A controller for a loaded policy: its ``canary:`` flow and ``rollback:`` rules."""
        from scrubphi.canary.policy import canary_from_policy
        from scrubphi.rollback import RollbackMonitor, rules_from_policy

        canary = canary_from_policy(policy)
        factory: Callable[[Callable[[], float]], Monitor] | None = None
        watch: frozenset[str] | None = None
        interval: float | None = None
        if canary.analysis == "rollback":
            rules = rules_from_policy(policy)
            watch = frozenset(rule.metric for rule in rules.rules)
            interval = rules.interval

            def factory(clock: Callable[[], float]) -> Monitor:
                return RollbackMonitor(rules, clock)

        return cls(
            canary, router, monitor_factory=factory, metrics=metrics, health_check=health_check,
            watch=watch, check_interval=interval, clock=clock, sleep=sleep, on_event=on_event,
            control=control,
        )

    # -- lifecycle ------------------------------------------------------------

    def _reset(self) -> None:
        self.index = 0
        self.monitor: Monitor | None = None
        self._t0 = self.clock()
        self._last_tick = self._t0
        self._health_attempts = 0
        self._next_attempt: float | None = None
        self._pause_started: float | None = None
        self._pause_elapsed = 0.0
        self._step_started = self._t0
        self._check_now = self._t0
        self._next_check: float | None = None
        self._checked = False  # a check ran at the current weight
        self._no_requests = 0
        self._inconclusive_since: float | None = None
        self._paused: str | None = None
        self._hold = ""
        self._action: str | None = None
        self._detail = ""
        self._rules: tuple[Mapping[str, Any], ...] = ()
        self._reason = ""
        self._rollback_seconds: float | None = None
        step = self.policy.health_check
        self.probes: HealthProbes | None = None
        if step is not None and self.health_check is not None:
            self.probes = HealthProbes(self.health_check, step.url, timeout=step.timeout,
                                       interval=self.policy.probe_interval)

    def start(self) -> CanaryStatus:
        """Begin a clean run: new log and monitor, old metrics skipped, all traffic on stable."""
        self._reset()
        self.log = RunLog()
        self.state = "running"
        if self.monitor_factory is not None and self.policy.analysis == "rollback":
            self.monitor = self.monitor_factory(lambda: self._check_now)
        if self.metrics is not None:
            self.metrics.start()
        p = self.policy
        self._emit(
            "run_started",
            f"canary run started: {len(p.steps)} steps, analysis {p.analysis}, "
            f"rollback_within {p.rollback_within:g}s, router {self.router.describe()}",
            data={"steps": [s.describe() for s in p.steps],
                  "check_interval": self.check_interval, "no_data_limit": p.no_data_limit,
                  "inconclusive_limit": p.inconclusive_limit,
                  "progress_deadline": p.progress_deadline, "when_stuck": p.when_stuck},
        )
        try:
            self._set(Weights(100, 0), "baseline")
        except RouterError as exc:
            self._finish("failed", f"cannot put all traffic on stable: {exc}")
        return self.status()

    def resume(self, index: int, pause_elapsed: float = 0.0, *,
               note: str = "") -> CanaryStatus:
        """Continue a run whose controller died, at step ``index`` (0-based), traffic as it is.

        The monitor starts afresh (``min_samples`` counts again: the flow holds
        until the rules can decide), and ``pause_elapsed`` seconds of the current
        pause count as done.  The router must still hold the weights the run had.
        """
        if not 0 <= index <= len(self.policy.steps):
            raise ValueError(f"step index {index} is outside the flow")
        self._reset()
        self.log = RunLog()
        self.state = "running"
        if self.monitor_factory is not None and self.policy.analysis == "rollback":
            self.monitor = self.monitor_factory(lambda: self._check_now)
        if self.metrics is not None:
            self.metrics.start()
        self.index = index
        step = self._step()
        if isinstance(step, PauseStep) and pause_elapsed > 0:
            self._pause_started = self.clock()
            self._pause_elapsed = min(pause_elapsed, step.seconds)
        self._emit(
            "run_started",
            f"canary run resumed at step {index + 1} ({step.describe() if step else 'done'}), "
            f"traffic {self.router.current()}{': ' + note if note else ''}",
            data={"resumed_at": index, "pause_elapsed": self._pause_elapsed,
                  "steps": [s.describe() for s in self.policy.steps]},
        )
        return self.status()

    def tick(self) -> CanaryStatus:
        """Do whatever is due now; return where the run stands."""
        if self.state == "pending":
            raise RuntimeError("call start() before tick()")
        if self.state == "running":
            self._poll_control()
        if self.state != "running":
            return self.status()
        now = self.clock()
        elapsed = max(0.0, now - self._last_tick)
        self._last_tick = now
        if self.probes is not None and self.index > self._health_index():
            self._probe(now)
            if self.state != "running":
                return self.status()
        current = self.router.current()
        watching = self.monitor is not None and current is not None and current.canary > 0
        if watching:
            if self._check_due(now):
                self._check(self._check_now, decided_at=now)
                if self.state != "running":
                    return self.status()
            clear = self._checked and self._clear()
        else:
            clear = True
            self._inconclusive_since = None
        self._hold = "" if clear else (self._hold_reason() or "waiting for the first check")
        if self._paused is None:
            self._stuck_check(now, clear)
        if self.state != "running" or self._paused is not None:
            return self.status()
        if clear:
            if self._pause_started is not None:
                self._pause_elapsed += elapsed
            self._advance(now)
        return self.status()

    def command(self, name: str, details: Mapping[str, Any] | None = None) -> CanaryStatus:
        """Obey a person: pause, resume, promote, promote_full, abort or rollback; log it."""
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r}; allowed: {', '.join(COMMANDS)}")
        who = dict(details or {})
        by = str(who.get("by") or "a person")
        if self.state != "running":
            self._emit("command", f"{name} by {by} ignored: the run is {self.state}",
                       data={"command": name, **who, "obeyed": False})
            return self.status()
        self._emit("command", f"{name} by {by}", step=self.index,
                   data={"command": name, **who, "obeyed": True})
        now = self.clock()
        if name == "pause":
            self._paused = f"paused by {by}"
            self._emit("paused", self._paused, step=self.index)
        elif name == "resume":
            if self._paused is not None:
                self._paused = None
                self._step_started = now
                self._inconclusive_since = None
                self._emit("resumed", f"resumed by {by}", step=self.index)
        elif name == "promote":
            self._paused = None
            self._step_started = now
            self._inconclusive_since = None
            step = self._step()
            if step is not None:
                self._emit("step_skipped", f"{step.describe()} skipped by {by}", step=self.index)
                self._next()
            self._advance(now)
        elif name == "promote_full":
            self._paused = None
            self._emit("step_skipped", f"every remaining step skipped by {by}", step=self.index)
            self.index = len(self.policy.steps)
            self._promote()
        elif name == "abort":
            self._rollback(f"aborted by {by}", fired_at=now, outcome="aborted")
        else:
            self._rollback(f"rolled back by hand by {by}", fired_at=now, outcome="rolled_back",
                           already=bool(who.get("applied")))
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
        self, *, interval: float = 1.0, on_tick: Callable[[CanaryStatus], None] | None = None,
        resume_at: tuple[int, float] | None = None,
    ) -> CanaryResult:
        """``start()`` (or ``resume(*resume_at)``), then ``tick()`` every ``interval`` seconds.

        An exception while waiting (Ctrl-C, or SIGTERM/SIGHUP turned into one by
        the CLI) rolls back before it propagates.
        """
        try:
            status = self.start() if resume_at is None else self.resume(*resume_at)
            while status.state == "running":
                if on_tick is not None:
                    on_tick(status)
                self.sleep(interval)
                status = self.tick()
        except BaseException:
            if self.state == "running":
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
        step = self._step()
        left = None
        if isinstance(step, PauseStep) and self._pause_started is not None:
            left = max(0.0, step.seconds - self._pause_elapsed)
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
            paused=self._paused,
            hold=self._hold,
        )

    # -- inside a tick ---------------------------------------------------------

    def _step(self) -> Step | None:
        return self.policy.steps[self.index] if self.index < len(self.policy.steps) else None

    def _health_index(self) -> int:
        return next((i for i, s in enumerate(self.policy.steps)
                     if isinstance(s, HealthCheckStep)), -1)

    def _poll_control(self) -> None:
        if self.control is None:
            return
        for name, details in self.control():
            self.command(name, details)
            if self.state != "running":
                return

    def _check_due(self, now: float) -> bool:
        """True (and ``_check_now`` set to the slot) when a check of the rules is due."""
        if self.check_interval is None:
            self._check_now = now
            return True
        if self._next_check is not None and now < self._next_check - 1e-9:
            return False
        slots = math.floor((now - self._t0) / self.check_interval + 1e-9)
        self._check_now = self._t0 + slots * self.check_interval
        self._next_check = self._check_now + self.check_interval
        return True

    def _probe(self, now: float) -> None:
        assert self.probes is not None
        done = self.probes.poll(now)
        if done is None:
            return
        ok, detail = done
        if not ok:
            self._emit("health_probe", f"health probe {self.probes.url} failed ({detail})",
                       step=self.index, data={"passed": False, "detail": detail,
                                              "unanswered": self.probes.unanswered})
        current = self.router.current()
        limit = self.policy.no_data_limit
        if (self.probes.unanswered >= limit and current is not None and current.canary > 0
                and self.policy.analysis == "rollback"):
            self._rollback(
                f"no data from the canary: {self.probes.unanswered} health probes in a row "
                f"got no answer ({detail}; no_data_limit {limit})",
                fired_at=now, outcome="rolled_back",
            )

    def _check(self, now: float, *, decided_at: float | None = None) -> None:
        """One check: sample, feed the monitor, decide; roll back when a rule or no data says so.

        ``now`` is the check's slot on the rules' grid (what the samples are
        recorded at); ``decided_at`` the clock when it ran, from which a
        rollback's duration is measured.
        """
        decided = now if decided_at is None else decided_at
        assert self.monitor is not None and self.metrics is not None
        failed = None
        try:
            values = dict(self.metrics.sample())
        except ScrubPhiError as exc:
            failed = f"metrics unavailable: {exc}"
            values = {}
            observe_error = getattr(self.monitor, "observe_error", None)
            for name in self.watch or ():
                if observe_error is not None and name != HEALTH_METRIC:
                    observe_error(name, failed)
        if self.probes is not None:
            ratio = self.probes.failure_ratio(max(self.check_interval or 0.0,
                                                  self.policy.probe_interval))
            if ratio is not None and HEALTH_METRIC not in values:
                values[HEALTH_METRIC] = ratio  # the metric source's own value wins
        for name, value in values.items():
            if self.watch is None or name in self.watch:
                self.monitor.observe(name, now, float(value))
        self._checked = True
        if failed is None:
            if ANSWERS_KEY in values:
                answered = values[ANSWERS_KEY] > 0
            else:
                answered = any(k in values for k in (self.watch or values) if k != HEALTH_METRIC)
            self._no_requests = 0 if answered else self._no_requests + 1
        action, detail, rules = decision_parts(self.monitor.tick())
        if failed is not None and action not in ROLLBACK_ACTIONS:
            action, detail = "inconclusive", failed
        # Log a decision when the action or a rule's state changes, not every new value.
        states = [(r["name"], r["state"], r["action"]) for r in rules]
        changed = action != self._action or states != [
            (r["name"], r["state"], r["action"]) for r in self._rules
        ]
        previous = self._action
        self._action, self._detail, self._rules = action, detail, rules
        if changed:
            self._emit(
                "decision",
                f"analysis: {action} ({detail})",
                step=self.index,
                data={"action": action, "previous": previous, "reason": detail,
                      "rules": list(rules),
                      "metrics": {k: round(v, 6) for k, v in values.items()}},
            )
        else:
            # Every check's numbers, so a report can plot each rule against its threshold.
            self._emit(
                "check",
                f"check: {action}",
                step=self.index,
                data={"action": action,
                      "rules": [{k: r[k] for k in _CHECK_KEYS} for r in rules],
                      "metrics": {k: round(v, 6) for k, v in values.items()}},
            )
        if action in ROLLBACK_ACTIONS:
            self._rollback(f"rule fired: {detail}", fired_at=decided, outcome="rolled_back")
            return
        limit = self.policy.no_data_limit
        if self._no_requests:
            self._emit("no_data", f"check without data from the canary "
                       f"({self._no_requests} of {limit} in a row)", step=self.index,
                       data={"checks": self._no_requests, "limit": limit})
        if self._no_requests >= limit:
            span = f" ({limit * self.check_interval:g}s)" if self.check_interval else ""
            self._rollback(
                f"no data from the canary: it answered no request in {limit} checks in a "
                f"row{span}; a canary without traffic cannot pass", fired_at=decided,
                outcome="rolled_back",
            )

    def _clear(self) -> bool:
        """Every rule ok, data in the last check: the flow may move on and a pause counts."""
        return (self._action == "ok" and self._no_requests == 0
                and all(r["state"] == "ok" for r in self._rules))

    def _hold_reason(self) -> str:
        if self._no_requests:
            return f"no data from the canary in the last {self._no_requests} check(s)"
        held = [f"{r['name']} {r['state']} ({r['value']})" for r in self._rules
                if r["state"] != "ok"]
        return ("held: " + ", ".join(held)) if held else f"held: analysis {self._action}"

    def _inconclusive(self) -> bool:
        return (self._action == "inconclusive" or self._no_requests > 0
                or any(r["state"] in ("inconclusive", "error") for r in self._rules))

    def _stuck_check(self, now: float, clear: bool) -> None:
        p = self.policy
        if not clear and self._inconclusive():
            if self._inconclusive_since is None:
                self._inconclusive_since = now
            if now - self._inconclusive_since >= p.inconclusive_limit:
                self._stuck(f"the analysis stayed inconclusive for "
                            f"{now - self._inconclusive_since:g}s (inconclusive_limit "
                            f"{p.inconclusive_limit:g}s): {self._hold}", now)
                return
        else:
            self._inconclusive_since = None
        step = self._step()
        if clear or step is None or isinstance(step, HealthCheckStep):
            return
        own = step.seconds if isinstance(step, PauseStep) else 0.0
        if now - self._step_started >= own + p.progress_deadline:
            self._stuck(f"{step.describe()} made no progress for {now - self._step_started:g}s "
                        f"(progress_deadline {p.progress_deadline:g}s past the step's own "
                        f"{own:g}s): {self._hold}", now)

    def _stuck(self, why: str, now: float) -> None:
        if self.policy.when_stuck == "pause":
            self._paused = f"stuck: {why}; waiting for a person (resume, promote or abort)"
            self._emit("paused", self._paused, step=self.index, data={"stuck": True})
        else:
            self._rollback(f"stuck: {why}", fired_at=now, outcome="rolled_back")

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
                except Preempted:
                    self._poll_control()
                    return
                except RouterError as exc:
                    self._rollback(
                        f"router error at {step.describe()}: {exc}", fired_at=now,
                        outcome="failed",
                    )
                    return
                self._next()
                # the new weight is judged afresh before anything else moves
                self._checked = self.monitor is None
                self._next_check = None
                return
            else:
                if self._pause_started is None:
                    self._pause_started = now
                    self._emit("pause_started", f"{step.describe()} started", step=self.index)
                if self._pause_elapsed < step.seconds - 1e-9:
                    return
                self._emit("pause_done", f"{step.describe()} done "
                           f"({self._pause_elapsed:g}s of conclusive checks, "
                           f"{now - self._pause_started:g}s in all)", step=self.index)
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
        self._pause_elapsed = 0.0
        self._step_started = self.clock()

    def _router_warning(self) -> None:
        warning = getattr(self.router, "warning", None)
        if isinstance(warning, str) and warning:
            self._emit("router_warning", warning, step=self.index, data={"warning": warning})

    def _set(self, weights: Weights, why: str) -> None:
        t0 = self.clock()
        self.router.set_weights(stable=weights.stable, canary=weights.canary)
        took = self.clock() - t0
        self._router_warning()
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
            except Preempted:
                self._poll_control()
                return
            except RouterError as exc:
                self._rollback(f"router error at promotion: {exc}", fired_at=self.clock(),
                               outcome="failed")
                return
        self._finish("promoted", "every step passed; the canary has all traffic")

    def _rollback(self, reason: str, *, fired_at: float, outcome: Outcome,
                  already: bool = False) -> None:
        """All traffic to stable first (retrying inside the budget); then the bookkeeping.

        ``already``: a person's ``canary rollback`` moved the traffic itself; the
        controller confirms it once more and records it.
        """
        budget = self.policy.rollback_within
        self._emit("rollback_started", f"rolling back: {reason}", step=self.index,
                   data={"reason": reason, "by_hand": already})
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
        self._router_warning()
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
        self._paused = None
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
