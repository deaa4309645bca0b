"""The one small interface every metric source implements, and its shared pieces.

Rollback rules and rollout gates need two questions answered: "what did this
metric do between ``start`` and ``end``, one point every ``step`` seconds"
(``range``) and "what is it now" (``instant``).  Everything a provider adds
(PromQL, Datadog's query language, retries, authentication) stays behind
these two calls, so the rule engine and the gates are pure functions of
plain :class:`Series` and can be tested without any server.

A provider that cannot answer raises :class:`MetricSourceError` after its
bounded retries.  That is deliberately *not* an empty series: an empty
result is "no data" (handled by ``missing_data``), an error is "we do not
know", and the callers turn it into ``inconclusive``, never a pass.
"""

from __future__ import annotations

import math
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from scrubphi import jsontext
from scrubphi.errors import ScrubPhiError

__all__ = [
    "MetricSource",
    "MetricSourceError",
    "RetryPolicy",
    "Series",
    "TransientError",
    "as_mapping",
    "fetch_json",
    "latest_at",
    "with_retries",
]

T = TypeVar("T")


class MetricSourceError(ScrubPhiError):
    """A metric provider could not answer (after retries): its own outcome, never a pass.

    ``retryable`` says whether the last failure was of the kind that is
    retried (timeouts, connection errors, HTTP 429 and 5xx); ``attempts`` is
    how many requests were made.  The message names the provider, the
    endpoint and the failure, never a credential.
    """

    exit_code = 10

    def __init__(self, message: str, *, attempts: int = 1, retryable: bool = False) -> None:
        self.message = message
        self.attempts = attempts
        self.retryable = retryable
        super().__init__(message)


class TransientError(Exception):
    """Raised inside a source's request function for a failure worth retrying."""


@dataclass(frozen=True)
class Series:
    """Timestamped samples of one metric, oldest first: ``((t, value), ...)``.

    ``t`` is seconds since the epoch (float).  Values may be NaN (a provider
    answered "not a number", e.g. 0/0 when there was no traffic); the rule
    engine treats NaN like a missing sample, never as a pass.  ``error`` is
    set instead of points when the provider failed (see
    :class:`MetricSourceError`).
    """

    points: tuple[tuple[float, float], ...] = ()
    error: str | None = None

    @classmethod
    def of(cls, points: Iterable[tuple[float, float]] | Series) -> Series:
        """Normalise ``points`` (any iterable of pairs) to a sorted :class:`Series`."""
        if isinstance(points, Series):
            return points
        out: list[tuple[float, float]] = []
        for t, v in points:
            out.append((float(t), float(v) if v is not None else math.nan))
        out.sort(key=lambda p: p[0])
        return cls(tuple(out))

    @classmethod
    def failed(cls, message: str) -> Series:
        """A series standing for a provider error."""
        return cls((), message)

    def __len__(self) -> int:
        return len(self.points)

    @property
    def finite(self) -> int:
        """How many samples carry a real number (not NaN, not infinite)."""
        return sum(1 for _, v in self.points if math.isfinite(v))


@runtime_checkable
class MetricSource(Protocol):
    """A metric provider: Prometheus, Datadog, or samples held in memory.

    ``name`` selects the query text of a policy metric
    (``rollback.metrics.NAME.prometheus``).  Both calls raise
    :class:`MetricSourceError` when the provider cannot answer.
    """

    name: str

    def range(self, query: str, start: float, end: float, step: float) -> Series:
        """Samples of ``query`` from ``start`` to ``end`` (epoch seconds), every ``step`` s."""
        ...

    def instant(self, query: str, at: float) -> float | None:
        """The value of ``query`` at ``at``; None when the provider has no data."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, waits capped at ``max_delay``.

    The worst case is bounded (``attempts`` requests, each with the source's
    timeout, and at most ``attempts - 1`` waits) so that a deploy step never
    hangs on a provider that is down.
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 4.0
    jitter: float = 0.1
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delays(self) -> Sequence[float]:
        """The waits between attempts (without jitter)."""
        return [min(self.max_delay, self.base_delay * 2**i) for i in range(self.attempts - 1)]


def with_retries(call: Callable[[], T], retry: RetryPolicy, describe: str) -> T:
    """Run ``call``, retrying :class:`TransientError` per ``retry``; raise MetricSourceError.

    A :class:`MetricSourceError` raised by ``call`` (a bad query, a refused
    key) is not retried: asking again would get the same answer.
    """
    delays = retry.delays()
    last = ""
    for attempt in range(1, retry.attempts + 1):
        try:
            return call()
        except TransientError as exc:
            last = str(exc)
            if attempt == retry.attempts:
                break
            delay = delays[attempt - 1]
            if retry.jitter:
                delay *= 1 + random.uniform(0, retry.jitter)
            retry.sleep(delay)
        except MetricSourceError as exc:
            exc.attempts = attempt
            raise
    raise MetricSourceError(
        f"{describe}: {last} (gave up after {retry.attempts} attempts)",
        attempts=retry.attempts,
        retryable=True,
    )


def latest_at(points: Sequence[tuple[float, float]], at: float, lookback: float) -> float | None:
    """The latest sample at or before ``at`` and no older than ``lookback`` seconds."""
    best: float | None = None
    for t, v in points:
        if t > at:
            break
        if at - t <= lookback:
            best = v
    return best


def as_mapping(series: Mapping[str, Iterable[tuple[float, float]] | Series]) -> dict[str, Series]:
    """Normalise a ``{metric: points}`` mapping to ``{metric: Series}``."""
    return {name: Series.of(points) for name, points in series.items()}


#: An answer larger than this is a runaway query, not something to parse.
MAX_BODY = 64 * 1024 * 1024


def fetch_json(
    request: urllib.request.Request,
    *,
    timeout: float,
    what: str,
    detail: Callable[[urllib.error.HTTPError], str],
    hints: Mapping[int, str] | None = None,
) -> object:
    """Send one HTTP request and return its JSON answer (any JSON value).

    Rate limits, server errors, unreachable servers and answers that are not
    JSON raise :class:`TransientError` (retried by :func:`with_retries`);
    other HTTP errors and oversized answers raise :class:`MetricSourceError`
    naming ``what`` (e.g. ``"prometheus /api/v1/query"``), with ``detail(exc)``
    (the provider's own error text) and, for some status codes, ``hints``.
    """
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        text = detail(exc)
        if exc.code == 429 or exc.code >= 500:
            raise TransientError(f"HTTP {exc.code}{text}") from None
        hint = (hints or {}).get(exc.code, "")
        raise MetricSourceError(f"{what}: HTTP {exc.code}{text}{hint}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientError(f"cannot reach the server ({reason})") from None
    if len(body) > MAX_BODY:
        raise MetricSourceError(f"{what}: answer larger than 64 MiB")
    try:
        doc: object = jsontext.loads(body)
    except ValueError:
        raise TransientError("the answer is not JSON") from None
    return doc
