"""Fetch the series the rules need from a metric source, errors kept as outcomes.

Kept apart from the pure engine: this is the only part of rule evaluation
that talks to a provider.  A provider error for one metric becomes a failed
:class:`~scrubphi.metrics.Series` (its rules are then ``inconclusive``), so
one broken query does not hide what the other rules say.
"""

from __future__ import annotations

import datetime as dt

from scrubphi.errors import PolicyError
from scrubphi.metrics.base import MetricSource, MetricSourceError, Series
from scrubphi.rollback.engine import Decision, as_epoch, evaluate
from scrubphi.rollback.policy import RuleSet

__all__ = ["check", "fetch_series"]


def _dur_text(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds:g}s"


def fetch_series(
    rules: RuleSet, source: MetricSource, now: float | dt.datetime, since: float | None = None
) -> dict[str, Series]:
    """Range-query every metric the rules watch, from ``since`` (default: the lookback) to now.

    The range ends exactly at ``now`` and steps by the rules' interval, so
    the provider's points fall on the evaluation grid.  A metric without a
    query for this provider is a PolicyError: checking nothing must not look
    like a pass.
    """
    end = as_epoch(now)
    step = rules.interval
    lookback = rules.lookback() if since is None else max(end - since, step)
    steps = int(lookback // step + (1 if lookback % step else 0))
    start = end - steps * step
    out: dict[str, Series] = {}
    for metric in dict.fromkeys(rule.metric for rule in rules.rules):
        query = rules.metrics.get(metric)
        text = query.text(source.name, interval=_dur_text(step)) if query is not None else None
        if text is None:
            if source.name == "memory":
                text = metric
            else:
                raise PolicyError(
                    f"metric {metric} has no {source.name} query: add it under "
                    f"rollback.metrics.{metric}.{source.name}",
                    path=f"rollback.metrics.{metric}",
                )
        try:
            out[metric] = source.range(text, start, end, step)
        except MetricSourceError as exc:
            out[metric] = Series.failed(str(exc))
    return out


def check(
    rules: RuleSet, source: MetricSource, now: float | dt.datetime, since: float | None = None
) -> Decision:
    """Fetch and evaluate in one call: what a pipeline step or a cron job runs."""
    return evaluate(rules, fetch_series(rules, source, now, since), now)
