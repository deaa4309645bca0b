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

__all__ = ["DAY", "MOVES", "PLAN", "end_time", "openmetrics_text", "write_state"]

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


def openmetrics_text(end: float) -> str:
    start = end - 10 * DAY
    counters = {("on", "200"): 0.0, ("on", "500"): 0.0, ("off", "200"): 0.0, ("off", "500"): 0.0}
    rows: dict[tuple[str, str], list[str]] = {k: [] for k in counters}
    t = start
    while t <= end + 1e-6:
        day = (t - start) / DAY
        on = _ON_PER_DAY[_phase_at(day)] * STEP / DAY
        off = _ALL_PER_DAY * STEP / DAY - on
        on_errors = 0.0 if day < 3.05 else (0.005 if 7.5 <= day < 7.8 else 0.0005)
        for (cohort, code), share in (
            (("on", "500"), on * on_errors), (("on", "200"), on * (1 - on_errors)),
            (("off", "500"), off * 0.0005), (("off", "200"), off * 0.9995),
        ):
            counters[(cohort, code)] += share
            rows[(cohort, code)].append(
                f'http_requests_total{{flag_new_scheduling="{cohort}",code="{code}"}} '
                f"{counters[(cohort, code)]!r} {t:.3f}")
        t += STEP
    lines = ["# TYPE http_requests counter"]
    for key in rows:
        lines.extend(rows[key])
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
