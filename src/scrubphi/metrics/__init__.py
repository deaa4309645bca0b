"""Metric sources for rollback rules and rollout gates: memory, Prometheus, Datadog.

One small interface (:class:`MetricSource`: ``range`` and ``instant``) so the
rule engine and the gates never know which provider answered.  See
``docs/rollback-and-gates.md``.
"""

from __future__ import annotations

from scrubphi.metrics.base import (
    MetricSource,
    MetricSourceError,
    RetryPolicy,
    Series,
    TransientError,
    with_retries,
)
from scrubphi.metrics.datadog import DatadogSource
from scrubphi.metrics.memory import MemorySource
from scrubphi.metrics.prometheus import PrometheusSource

__all__ = [
    "DatadogSource",
    "MemorySource",
    "MetricSource",
    "MetricSourceError",
    "PrometheusSource",
    "RetryPolicy",
    "Series",
    "TransientError",
    "with_retries",
]
