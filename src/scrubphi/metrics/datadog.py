"""Datadog as a metric source: the metrics query API v1 (``GET /api/v1/query``).

The API key and the application key are never written in a policy: they are
``env:NAME`` or ``file:PATH`` references resolved with
:func:`scrubphi.policy.secrets.resolve_secret` when the source is built, and
they travel only in the ``DD-API-KEY`` and ``DD-APPLICATION-KEY`` headers;
no message raised here contains them.

Datadog answers with ``series[].pointlist`` of ``[milliseconds, value]``
pairs (``null`` where a rollup bucket is empty) at an interval it chooses
from the time range; write ``.rollup(avg, 15)`` in the query to get one
point per evaluation interval of the rules.  ``step`` is therefore not sent:
the query says it.  An instant query asks for the last ``lookback`` seconds
and takes the latest non-null point.

This module is tested against recorded answers in Datadog's documented
format served by a local HTTP stub (``tests/data/datadog/``): the real
service cannot be reached from the development and CI machines.
"""

from __future__ import annotations

import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from scrubphi import jsontext
from scrubphi.metrics.base import (
    MetricSourceError,
    RetryPolicy,
    Series,
    fetch_json,
    with_retries,
)
from scrubphi.policy.secrets import resolve_secret

__all__ = ["DEFAULT_API_KEY", "DEFAULT_APP_KEY", "DEFAULT_URL", "DatadogSource"]

DEFAULT_URL = "https://api.datadoghq.com"
#: Datadog's own conventional variable names (the Agent and datadog-ci read them).
DEFAULT_API_KEY = "env:DD_API_KEY"
DEFAULT_APP_KEY = "env:DD_APP_KEY"
_KEY_HINTS = {
    401: " (check the API and application keys)",
    403: " (check the API and application keys)",
}


class DatadogSource:
    """Metric queries against a Datadog site (``https://api.datadoghq.eu`` ...)."""

    name = "datadog"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str = DEFAULT_API_KEY,
        app_key: str = DEFAULT_APP_KEY,
        base_dir: str = ".",
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        lookback: float = 300.0,
    ) -> None:
        """``api_key``/``app_key`` are secret references (``env:NAME``/``file:PATH``)."""
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise MetricSourceError(f"datadog: {url!r} is not an http(s) URL such as {DEFAULT_URL}")
        self.url = url.rstrip("/")
        self._api_key = resolve_secret(api_key, base_dir, key_path="datadog api key", keyed=False)
        self._app_key = resolve_secret(app_key, base_dir, key_path="datadog application key",
                                       keyed=False)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.lookback = lookback
        self.requests = 0

    def __repr__(self) -> str:
        return f"DatadogSource({self.url!r})"  # never the keys

    def _query(self, query: str, start: float, end: float) -> list[dict[str, Any]]:
        params = urllib.parse.urlencode(
            {"from": str(math.floor(start)), "to": str(math.ceil(end)), "query": query}
        )
        endpoint = f"{self.url}/api/v1/query"

        def once() -> list[dict[str, Any]]:
            self.requests += 1
            request = urllib.request.Request(
                f"{endpoint}?{params}",
                headers={
                    "Accept": "application/json",
                    "DD-API-KEY": self._api_key.decode("latin-1"),
                    "DD-APPLICATION-KEY": self._app_key.decode("latin-1"),
                },
            )
            doc = fetch_json(
                request,
                timeout=self.timeout,
                what=f"datadog {endpoint}",
                detail=_errors,
                hints=_KEY_HINTS,
            )
            if not isinstance(doc, dict):
                raise MetricSourceError(f"datadog {endpoint}: unexpected answer")
            if doc.get("status") not in (None, "ok"):
                raise MetricSourceError(
                    f"datadog {endpoint}: {str(doc.get('error') or doc.get('status'))[:300]}"
                )
            series = doc.get("series") or []
            if not isinstance(series, list):
                raise MetricSourceError(f"datadog {endpoint}: 'series' is not a list")
            return series

        return with_retries(once, self.retry, f"datadog {endpoint}")

    def range(self, query: str, start: float, end: float, step: float) -> Series:
        """Points of ``query`` in ``[start, end]``; the query's ``.rollup()`` sets the step."""
        series = _one(self._query(query, start, end))
        if series is None:
            return Series(())
        points: list[tuple[float, float]] = []
        for pair in series.get("pointlist") or []:
            t_ms, value = pair[0], pair[1]
            t = float(t_ms) / 1000.0
            if start <= t <= end:
                points.append((t, math.nan if value is None else float(value)))
        return Series(tuple(points))

    def instant(self, query: str, at: float) -> float | None:
        """The latest non-null point in the ``lookback`` seconds up to ``at``."""
        series = self.range(query, at - self.lookback, at, 0.0)
        for _t, value in reversed(series.points):
            if not math.isnan(value):
                return value
        return None if not series.points else math.nan


def _one(series: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not series:
        return None
    if len(series) > 1:
        raise MetricSourceError(
            f"datadog: the query returned {len(series)} series; a rule needs one number per "
            "time: aggregate it (sum:, avg:, max: without 'by {...}') in the policy's query"
        )
    return series[0]


def _errors(exc: urllib.error.HTTPError) -> str:
    """Datadog's ``{"errors": [...]}`` text; it names the problem, never the keys."""
    try:
        doc: Mapping[str, Any] = jsontext.loads(exc.read(65536))
    except (ValueError, OSError):
        return ""
    errors = doc.get("errors") if isinstance(doc, dict) else None
    if isinstance(errors, list) and errors:
        return ": " + "; ".join(str(e)[:200] for e in errors[:3])
    return ""
