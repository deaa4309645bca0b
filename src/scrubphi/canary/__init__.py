"""The canary controller: deploy v2 behind a load balancer, shift traffic, roll back fast.

``canary_from_policy(load_policy(...))`` validates the ``canary:`` section;
:class:`CanaryController` runs it one ``tick()`` at a time against a
:class:`Router` (:class:`NginxRouter`, :class:`CallbackRouter`), watching the
canary's metrics (:class:`NginxAccessLog`, or Prometheus through
:class:`QueryMetrics`) with the policy's rollback rules.  See docs/canary.md.
"""

from __future__ import annotations

from scrubphi.canary.controller import COMMANDS, CanaryController, Monitor, Preempted
from scrubphi.canary.nginxlog import NginxAccessLog, VersionStats
from scrubphi.canary.policy import (
    CanaryPolicy,
    HealthCheckStep,
    PauseStep,
    Step,
    WeightStep,
    canary_from_policy,
)
from scrubphi.canary.routers import (
    CallbackRouter,
    NginxRouter,
    Router,
    RouterError,
    Weights,
    command_router,
)
from scrubphi.canary.runlog import EXIT_CODES, CanaryResult, CanaryStatus, Event, RunLog
from scrubphi.canary.sources import (
    HEALTH_METRIC,
    CanaryMetrics,
    HealthChecker,
    HealthProbes,
    QueryMetrics,
    http_health_check,
)

__all__ = [
    "COMMANDS",
    "EXIT_CODES",
    "HEALTH_METRIC",
    "CallbackRouter",
    "CanaryController",
    "CanaryMetrics",
    "CanaryPolicy",
    "CanaryResult",
    "CanaryStatus",
    "Event",
    "HealthCheckStep",
    "HealthChecker",
    "HealthProbes",
    "Monitor",
    "NginxAccessLog",
    "NginxRouter",
    "PauseStep",
    "Preempted",
    "QueryMetrics",
    "Router",
    "RouterError",
    "RunLog",
    "Step",
    "VersionStats",
    "WeightStep",
    "Weights",
    "canary_from_policy",
    "command_router",
    "http_health_check",
]
