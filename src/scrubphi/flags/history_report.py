"""``scrubphi flags history PLAN --html``: one self-contained page with the rollout's timeline.

Rows of the plot (plotly, inlined: see :mod:`scrubphi.htmlpage`):

1. the plan's share of users over time (the live phase's ``percent``; an
   audience phase is drawn at 0% of the general population, named in the
   hover), as steps, with every move marked (who and why in the hover; a
   gate's rollback in red);
2. with a metric source, per ``proceed_when`` metric: the flag-on and
   flag-off cohorts' values at every replayed gate sample, and the phase's
   threshold as a dashed step line;
3. the flag-on request count against ``min_requests``;
4. the gate's verdict at each sample (promote, hold, rollback).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from scrubphi.flags.history import PlanHistory
from scrubphi.htmlpage import page, plotly_modules, table

__all__ = ["html_history", "plot_data"]

_ACTION_Y = {"rollback": 0, "hold": 1, "promote": 2}
_ACTION_COLOURS = {"rollback": "#b00020", "hold": "#e6a700", "promote": "#1b7a1b"}


def _iso(at: float | dt.datetime) -> str:
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromtimestamp(at, dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _share(h: PlanHistory, index: int | None) -> float:
    if index is None or not 0 <= index < len(h.plan.phases):
        return 0.0
    return float(h.plan.phases[index].percent or 0)


def plot_data(h: PlanHistory) -> dict[str, Any]:
    """What the plot draws, as JSON (embedded in the page)."""
    metrics: dict[str, dict[str, Any]] = {}
    requests: dict[str, list[Any]] = {"at": [], "value": [], "min": []}
    for s in h.samples:
        for c in s.checks:
            if c.name == "min_requests":
                requests["at"].append(_iso(s.at))
                requests["value"].append(c.value)
                requests["min"].append(c.threshold)
                continue
            # one row per metric: its threshold (and comparison) may change with the phase
            m = metrics.setdefault(c.name.split(" ")[0], {"at": [], "on": [], "off": [],
                                                          "threshold": [], "comparison": []})
            m["comparison"].append(c.comparison)
            m["at"].append(_iso(s.at))
            m["on"].append(c.value)
            m["off"].append(c.off)
            m["threshold"].append(c.threshold)
    return {
        "plan": h.plan.name,
        "phases": [{"name": p.name, "percent": p.percent} for p in h.plan.phases],
        "moves": [{"at": _iso(m.at), "from": m.from_name, "to": m.to_name,
                   "share": _share(h, m.to_index), "actor": m.actor, "reason": m.reason,
                   "gate": m.by_gate} for m in h.moves],
        "until": _iso(h.until),
        "metrics": metrics,
        "requests": requests,
        "gate": {"at": [_iso(s.at) for s in h.samples],
                 "action": [s.decision.action for s in h.samples],
                 "phase": [s.phase for s in h.samples]},
    }


def figure(h: PlanHistory) -> Any:
    go, make_subplots, _pio = plotly_modules()
    data = plot_data(h)
    metric_names = list(data["metrics"])
    has_requests = bool(data["requests"]["at"])
    has_gate = bool(data["gate"]["at"])
    titles = ["share of users in the live phase (%)"]
    titles += [f"{n} (flag on vs flag off; dashed: the phase's threshold)" for n in metric_names]
    if has_requests:
        titles.append("flag-on requests in the phase vs min_requests")
    if has_gate:
        titles.append("the gate's verdict")
    rows = len(titles)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.07,
                        subplot_titles=titles)
    moves = data["moves"]
    xs = [m["at"] for m in moves] + ([data["until"]] if moves else [])
    ys = [m["share"] for m in moves] + ([moves[-1]["share"]] if moves else [])
    names = [m["to"] for m in moves] + ([moves[-1]["to"]] if moves else [])
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="lines", line_shape="hv", name="share", customdata=names,
        line={"color": "#1f77b4"}, meta={"series": "share"},
        hovertemplate="phase %{customdata}: %{y}%<br>%{x}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=[m["at"] for m in moves], y=[m["share"] for m in moves], mode="markers+text",
        name="moves", text=[m["to"] for m in moves], textposition="top center",
        marker={"size": 11, "symbol": "diamond",
                "color": ["#b00020" if m["gate"] == "rollback" else "#1f77b4" for m in moves]},
        customdata=[[m["from"], m["actor"], m["reason"]] for m in moves],
        meta={"series": "moves"},
        hovertemplate=("%{customdata[0]} -> %{text} by %{customdata[1]}<br>"
                       "%{customdata[2]}<br>%{x}<extra></extra>")), row=1, col=1)
    fig.update_yaxes(range=[-8, 115], title_text="%", row=1, col=1)
    row = 2
    for name in metric_names:
        m = data["metrics"][name]
        for cohort, colour in (("on", "#d62728"), ("off", "#7f7f7f")):
            fig.add_trace(go.Scatter(
                x=m["at"], y=m[cohort], mode="lines+markers", name=f"{name} flag {cohort}",
                line={"color": colour}, meta={"series": f"{name}-{cohort}"},
                hovertemplate=f"flag {cohort}: %{{y:.4%}}<br>%{{x}}<extra></extra>"),
                row=row, col=1)
        fig.add_trace(go.Scatter(
            x=m["at"], y=m["threshold"], mode="lines", line_shape="hv",
            name=f"{name} threshold", line={"color": "#b00020", "dash": "dash"},
            meta={"series": f"{name}-threshold"},
            customdata=m["comparison"],
            hovertemplate="threshold: %{customdata} %{y:.4%}<extra></extra>"),
            row=row, col=1)
        fig.update_yaxes(tickformat=".2%", rangemode="tozero", row=row, col=1)
        row += 1
    if has_requests:
        r = data["requests"]
        fig.add_trace(go.Scatter(x=r["at"], y=r["value"], mode="lines+markers",
                                 name="flag-on requests", meta={"series": "requests"},
                                 line={"color": "#2ca02c"}), row=row, col=1)
        fig.add_trace(go.Scatter(x=r["at"], y=r["min"], mode="lines", line_shape="hv",
                                 name="min_requests", meta={"series": "min_requests"},
                                 line={"color": "#b00020", "dash": "dash"}), row=row, col=1)
        fig.update_yaxes(rangemode="tozero", row=row, col=1)
        row += 1
    if has_gate:
        g = data["gate"]
        fig.add_trace(go.Scatter(
            x=g["at"], y=[_ACTION_Y[a] for a in g["action"]], mode="markers", name="gate",
            marker={"color": [_ACTION_COLOURS[a] for a in g["action"]], "size": 8},
            customdata=list(zip(g["action"], g["phase"], strict=True)),
            meta={"series": "gate"},
            hovertemplate="%{customdata[1]}: %{customdata[0]}<br>%{x}<extra></extra>"),
            row=row, col=1)
        fig.update_yaxes(tickvals=[0, 1, 2], ticktext=["rollback", "hold", "promote"],
                         range=[-0.5, 2.5], row=row, col=1)
    for m in moves:
        if m["gate"] == "rollback":
            fig.add_vline(x=m["at"], line={"color": "#b00020", "width": 2},
                          annotation_text=f"gate rollback {m['at'][:16]}")
    fig.update_layout(height=240 + 230 * rows, margin={"l": 60, "r": 30, "t": 60, "b": 40},
                      hovermode="closest", legend={"orientation": "h", "y": -0.04},
                      template="plotly_white")
    fig.update_xaxes(type="date")
    return fig


def html_history(h: PlanHistory, *, source: str = "") -> str:
    """The whole page (one string, nothing fetched)."""
    plan = h.plan
    where = plan.phases[h.state.phase].name if h.state.phase is not None and \
        0 <= h.state.phase < len(plan.phases) else "off (not running)"
    summary = {
        "plan": plan.name,
        "phases": " -> ".join(f"{p.name} ({p.percent}%)" if p.percent is not None
                              else f"{p.name} (audience)" for p in plan.phases),
        "now": f"{where} (version {h.state.version})",
        "moves": str(len(h.moves)),
        "gate replay": (f"every {h.every:g}s from {source}, {len(h.samples)} samples"
                        if h.every is not None else "none (no --source)"),
    }
    moves = table(["time", "from", "to", "by", "reason"],
                  [(_iso(m.at), m.from_name, m.to_name, m.actor, m.reason) for m in h.moves])
    sections = [f"<h2>Moves ({len(h.moves)})</h2>{moves}"]
    if h.samples:
        changes = []
        last: tuple[str, str | None] | None = None
        for s in h.samples:
            if (s.decision.action, s.phase) != last:
                last = (s.decision.action, s.phase)
                changes.append((_iso(s.at), s.phase, s.decision.action,
                                "; ".join(s.decision.reasons)))
        sections.append("<h2>The gate's verdict when it changed</h2>"
                        + table(["time", "phase", "verdict", "why"], changes))
    return page(title=f"rollout history: {plan.name}", summary=summary, figure=figure(h),
                sections=sections, data=plot_data(h),
                good=None)
