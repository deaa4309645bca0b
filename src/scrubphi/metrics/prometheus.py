"""Prometheus as a metric source: the HTTP API's range and instant queries.

Only the standard library is used (``urllib``): a deploy step should not need
an HTTP client package to ask one question.  The query text is PromQL from
the policy (``rollback.metrics.NAME.prometheus``); the source adds nothing to
it, so what the policy says is exactly what Prometheus evaluates, and a user
can paste it into the Prometheus UI to see the same numbers.

A rule or gate needs one number per time, so a query must return one series
(aggregate it with ``sum``, ``max``, ...): several series are an error rather
than a guess at which one was meant.  An empty result is "no data".  Timeouts,
refused connections, HTTP 429 and 5xx are retried with a bounded backoff;
a query Prometheus refuses (HTTP 400 ``bad_data``) is not, since it would be
refused again.
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

__all__ = ["MAX_POINTS", "PrometheusSource"]

# Points per range request: below Prometheus's limit of 11,000 per series.
MAX_POINTS = 10_000


def _fmt_time(t: float) -> str:
    return repr(round(float(t), 3))


def _value(raw: Any) -> float:
    """Prometheus sends sample values as strings: "1.5", "NaN", "+Inf"."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        return math.nan


class PrometheusSource:
    """Range and instant queries against ``url`` (``http://127.0.0.1:9090``)."""

    name = "prometheus"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise MetricSourceError(
                f"prometheus: {url!r} is not an http(s) URL such as http://127.0.0.1:9090"
            )
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._headers = dict(headers or {})
        self.requests = 0  # how many HTTP requests were made (for tests and logs)

    def __repr__(self) -> str:
        return f"PrometheusSource({self.url!r})"

    # -- HTTP ----------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str]) -> Any:
        endpoint = f"{self.url}{path}"
        data = urllib.parse.urlencode(params).encode()

        def once() -> Any:
            self.requests += 1
            request = urllib.request.Request(
                endpoint,
                data=data,
                method="POST",  # long PromQL does not fit in a URL; the API takes a form body
                headers={"Content-Type": "application/x-www-form-urlencoded", **self._headers},
            )
            doc = fetch_json(
                request,
                timeout=self.timeout,
                what=f"prometheus {endpoint}",
                detail=_error_detail,
            )
            if not isinstance(doc, dict) or doc.get("status") != "success":
                kind = doc.get("errorType", "error") if isinstance(doc, dict) else "error"
                raise MetricSourceError(f"prometheus {endpoint}: {kind}")
            return doc.get("data")

        return with_retries(once, self.retry, f"prometheus {endpoint}")

    # -- queries -------------------------------------------------------------

    def range(self, query: str, start: float, end: float, step: float) -> Series:
        """``/api/v1/query_range``: one point every ``step`` seconds from ``start``.

        Prometheus refuses a range of more than 11,000 points per series
        (HTTP 400), so a longer one is asked for in consecutive chunks of at most
        :data:`MAX_POINTS` points on the same grid and joined: any range works.
        """
        if step <= 0:
            raise MetricSourceError("prometheus: step must be positive")
        points: list[tuple[float, float]] = []
        labels: dict[str, Any] | None = None
        chunk_start = start
        while True:
            chunk_end = min(end, chunk_start + (MAX_POINTS - 1) * step)
            data = self._get(
                "/api/v1/query_range",
                {"query": query, "start": _fmt_time(chunk_start), "end": _fmt_time(chunk_end),
                 "step": repr(step)},
            )
            result = _result(data, ("matrix",), query)
            if result:
                metric = dict(result[0].get("metric") or {})
                if labels is not None and metric != labels:
                    raise MetricSourceError(
                        "prometheus: the query returned 2 series over the range; a rule needs "
                        "one number per time: aggregate it (sum, max, avg ...) in the policy's "
                        "query"
                    )
                labels = metric
                points.extend((float(t), _value(v)) for t, v in result[0].get("values") or [])
            chunk_start = chunk_end + step
            if chunk_end >= end or chunk_start > end:
                break
        return Series(tuple(points))

    def instant(self, query: str, at: float) -> float | None:
        """``/api/v1/query`` at ``at``: the value, or None for an empty result."""
        data = self._get("/api/v1/query", {"query": query, "time": _fmt_time(at)})
        if isinstance(data, dict) and data.get("resultType") == "scalar":
            return _value(data["result"][1])
        result = _result(data, ("vector",), query)
        if not result:
            return None
        return _value(result[0]["value"][1])


def _result(data: Any, kinds: tuple[str, ...], query: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or data.get("resultType") not in kinds:
        kind = data.get("resultType") if isinstance(data, dict) else None
        raise MetricSourceError(f"prometheus: expected a {kinds[0]} result, got {kind}")
    result = data.get("result") or []
    if len(result) > 1:
        raise MetricSourceError(
            f"prometheus: the query returned {len(result)} series; a rule needs one number "
            "per time: aggregate it (sum, max, avg ...) in the policy's query"
        )
    return list(result)


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """Prometheus's error type and message (they name the query problem, not data)."""
    try:
        doc = jsontext.loads(exc.read(65536))
    except (ValueError, OSError):
        return ""
    if isinstance(doc, dict) and doc.get("error"):
        return f" {doc.get('errorType', '')}: {str(doc['error'])[:300]}"
    return ""
