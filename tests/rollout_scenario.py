"""Ten days of the team's staged rollout, as metrics and as the state store's audit log.

Used by the report tests, the debugging guide's checked commands and
``scripts/report_screenshots.py``.  The story (``new-scheduling`` on the plan
``staged-release`` of ``flags/flags.yaml``):

* day 0: the plan is started (``internal``: clinic staff, about 150 flag-on
  requests a day, no errors);
* day 3.05: the gate promotes to ``five`` (5% of users, about 1,000 a day,
  0.05% errors like everyone else);
* day 6.05: the gate promotes to ``quarter`` (25%, about 5,000 a day);
* day 7.5: the flag-on cohort's errors rise to 0.5% (a bug behind the flag)
  while the flag-off cohort stays at 0.05%;
* day 7.8: the gate rolls back to ``five``.

The metrics are ``http_requests_total{flag_new_scheduling="on"|"off",
code="200"|"500"}`` counters every 5 minutes, which is what the team's gate
queries (``rollback/rules.yaml``) read.  The moves are made through the real
:class:`FileStateStore`, which stamps each with the wall clock; the file's
times are then set to the story's (the format is the store's own).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scrubphi.flags.state import FileStateStore

__all__ = ["DAY", "DOC_END", "MOVES", "PLAN", "end_time", "openmetrics_text", "write_state"]

DAY = 86400.0
PLAN = "staged-release"
STEP = 300.0
#: (day, to phase index or None, actor, reason)
MOVES: tuple[tuple[float, int | None, str, str], ...] = (
    (0.0, 0, "alice", "start: clinic staff first"),
    (3.05, 1, "ci (scrubphi gate)",
     "gate promote: every check passed after 3d: promote to phase five"),
    (6.05, 2, "ci (scrubphi gate)",
     "gate promote: every check passed after 3d: promote to phase quarter"),
    (7.8, 1, "ci (scrubphi gate)", "gate rollback: error_rate below failed on the flag-on "
     "cohort; on_failure: rollback goes back to phase five"),
)
_ON_PER_DAY = {0: 150.0, 1: 1000.0, 2: 5000.0}
_ALL_PER_DAY = 20000.0


#: The story's end in docs/debugging-in-production.md, whose commands name its times.
DOC_END = dt.datetime(2026, 5, 11, tzinfo=dt.UTC).timestamp()


def end_time() -> float:
    """The story ends at the last whole hour (ten days after it starts)."""
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return now.timestamp()


def _phase_at(day: float) -> int:
    phase = 0
    for at, to, _actor, _reason in MOVES:
        if day >= at and to is not None:
            phase = to
    return phase


#: the day the flag's bug shows; the hour from 10 minutes before it is sampled every 15 s
SPIKE_DAY = 7.5
DENSE = (SPIKE_DAY * DAY - 600.0, SPIKE_DAY * DAY + 3000.0)
_LE = (("0.1", 0.95), ("0.25", 0.997), ("0.5", 0.999), ("1", 1.0), ("+Inf", 1.0))


def openmetrics_text(end: float) -> str:
    """The story's counters: every 5 minutes, every 15 s around the spike (see DENSE).

    Around the spike there are also the series the team's rollback rules read
    (``rollback/rules.yaml``): a latency histogram and the health checks.
    """
    start = end - 10 * DAY
    counters: dict[str, float] = {}
    rows: dict[str, list[str]] = {}

    def add(key: str, increment: float, t: float) -> None:
        counters[key] = counters.get(key, 0.0) + increment
        rows.setdefault(key, []).append(f"{key} {counters[key]!r} {t:.3f}")

    offset = 0.0
    while offset <= 10 * DAY + 1e-6:
        dense = DENSE[0] <= offset < DENSE[1]
        step = 15.0 if dense else STEP
        t = start + offset
        day = offset / DAY
        on = _ON_PER_DAY[_phase_at(day)] * step / DAY
        off = _ALL_PER_DAY * step / DAY - on
        on_errors = 0.0 if day < 3.05 else (0.005 if SPIKE_DAY <= day < 7.8 else 0.0005)
        for cohort, code, share in (
            ("on", "500", on * on_errors), ("on", "200", on * (1 - on_errors)),
            ("off", "500", off * 0.0005), ("off", "200", off * 0.9995),
        ):
            add(f'http_requests_total{{flag_new_scheduling="{cohort}",code="{code}"}}', share, t)
        if dense:
            for le, share in _LE:
                add(f'http_request_duration_seconds_bucket{{le="{le}"}}', (on + off) * share, t)
            add('health_checks_total{result="ok"}', 3.0, t)
            add('health_checks_total{result="fail"}', 0.0, t)
        offset += step
    lines = []
    for family, kind in (("http_requests", "counter"), ("http_request_duration_seconds",
                                                        "histogram"), ("health_checks", "counter")):
        lines.append(f"# TYPE {family} {kind}")
        for key, values in rows.items():
            if key.startswith(family + "_"):
                lines.extend(values)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def write_state(path: Path, end: float) -> None:
    """The plan's moves through the real store, then dated as in the story."""
    store = FileStateStore(path)
    for _day, to, actor, reason in MOVES:
        store.move(PLAN, to, actor=actor, reason=reason)
    start = end - 10 * DAY
    doc = json.loads(path.read_text(encoding="utf-8"))
    entry = doc["plans"][PLAN]
    for event, (day, *_rest) in zip(entry["history"], MOVES, strict=True):
        event["at"] = dt.datetime.fromtimestamp(start + day * DAY, dt.UTC).isoformat()
    entry["started_at"] = entry["history"][-1]["at"]
    path.write_text(json.dumps(doc), encoding="utf-8")
