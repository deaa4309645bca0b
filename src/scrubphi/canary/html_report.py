"""``scrubphi canary report RUN_LOG --html``: one self-contained page with the run's timeline.

The plot (plotly, inlined: see :mod:`scrubphi.htmlpage` for why) has one
row for the weights (stable and canary, in percent, as steps) and one row
per rollback rule: its value at every check against its threshold (a dashed
line), each point coloured by the rule's state.  Alerts are orange vertical
lines; the decision (the rollback, or the promotion) is a red or green
line with its time.  Under the plot: the summary, the alerts and every event
of the log.  The numbers are the run log's own, unrounded.
"""

from __future__ import annotations

from typing import Any

from scrubphi.canary.report import CanaryRun
from scrubphi.htmlpage import page, plotly_modules, table

__all__ = ["figure", "html_report", "plot_data"]

_STATE_COLOURS = {"ok": "#1b7a1b", "pending": "#e6a700", "firing": "#b00020",
                  "inconclusive": "#777777", "error": "#6a1b9a"}


def _shown(value: float | None, percent: bool) -> str:
    if value is None:
        return "?"
    return f"{value * 100:g}%" if percent else f"{value:g}"


def plot_data(run: CanaryRun) -> dict[str, Any]:
    """What the plot draws, as plain JSON (also embedded in the page for scripts and tests)."""
    rules: dict[str, dict[str, Any]] = {}
    for name in run.rule_names:
        points = [(c.wall, r) for c in run.checks for r in c.rules if r.name == name]
        last = points[-1][1] if points else None
        rules[name] = {
            "metric": last.metric if last else "",
            "comparison": last.comparison if last else "above",
            "threshold": last.threshold if last else None,
            "percent": bool(last and last.percent),
            "wall": [w for w, _ in points],
            "value": [r.value for _, r in points],
            "state": [r.state for _, r in points],
        }
    decision = run.decision
    return {
        "started": run.started,
        "outcome": run.outcome,
        "weights": {"wall": [w[1] for w in run.weights],
                    "stable": [w[2] for w in run.weights],
                    "canary": [w[3] for w in run.weights]},
        "rules": rules,
        "alerts": [{"wall": a["wall"], "message": a["message"]} for a in run.alerts],
        "decision": None if decision is None else {
            "wall": decision["wall"], "t": decision["t"], "kind": decision["kind"],
            "message": decision["message"]},
    }


def figure(run: CanaryRun) -> Any:
    """The plotly figure: weights, then each rule's value against its threshold."""
    go, make_subplots, _pio = plotly_modules()
    data = plot_data(run)
    names = list(data["rules"])
    rows = 1 + len(names)
    titles = ["traffic weights (%)"] + [
        f"{n}: {r['metric']} (rolls back {r['comparison']} {_shown(r['threshold'], r['percent'])})"
        for n, r in data["rules"].items()]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=titles)
    end = run.events[-1]["wall"]
    w = data["weights"]
    for version, colour in (("stable", "#1f77b4"), ("canary", "#d62728")):
        xs, ys = list(w["wall"]), list(w[version])
        fig.add_trace(go.Scatter(
            x=xs, y=ys, name=f"{version} weight", mode="lines+markers", line_shape="hv",
            line={"color": colour}, meta={"series": f"weight-{version}"},
            hovertemplate=f"{version} %{{y}}%<br>%{{x}}<extra></extra>"), row=1, col=1)
        if xs:  # carry the last weight to the end of the run
            fig.add_trace(go.Scatter(
                x=[xs[-1], end], y=[ys[-1], ys[-1]], mode="lines", showlegend=False,
                line={"color": colour, "dash": "dot"}, hoverinfo="skip",
                meta={"series": f"weight-{version}-tail"}), row=1, col=1)
    fig.update_yaxes(range=[-5, 105], row=1, col=1, title_text="%")
    for i, (name, r) in enumerate(data["rules"].items(), start=2):
        fmt = ".3%" if r["percent"] else ".4g"
        fig.add_trace(go.Scatter(
            x=r["wall"], y=r["value"], name=name, mode="lines+markers",
            marker={"color": [_STATE_COLOURS.get(s, "#000") for s in r["state"]], "size": 7},
            line={"color": "#555"}, customdata=r["state"], meta={"series": f"rule-{name}"},
            hovertemplate=(f"{name} %{{y:{fmt}}} (%{{customdata}})<br>%{{x}}<extra></extra>"),
        ), row=i, col=1)
        if r["threshold"] is not None and r["wall"]:
            fig.add_trace(go.Scatter(
                x=[r["wall"][0], end], y=[r["threshold"], r["threshold"]], mode="lines",
                name=f"{name} threshold", line={"color": "#b00020", "dash": "dash"},
                meta={"series": f"threshold-{name}"},
                hovertemplate=(f"threshold: {r['comparison']} %{{y:{fmt}}}<extra></extra>")),
                row=i, col=1)
        fig.update_yaxes(tickformat=".2%" if r["percent"] else "~g", row=i, col=1,
                         rangemode="tozero")
    for alert in data["alerts"]:
        fig.add_vline(x=alert["wall"], line={"color": "#e6a700", "width": 1.5},
                      annotation_text="alert", annotation_position="top left")
    if data["decision"] is not None:
        d = data["decision"]
        colour = "#1b7a1b" if run.outcome == "promoted" else "#b00020"
        label = ("rollback decided" if d["kind"] == "rollback_started"
                 else str(run.outcome or d["kind"]))
        fig.add_vline(x=d["wall"], line={"color": colour, "width": 2.5},
                      annotation_text=f"{label} {d['wall'][11:23]}",
                      annotation_position="top right")
    fig.update_layout(height=260 + 220 * rows, margin={"l": 60, "r": 30, "t": 60, "b": 40},
                      hovermode="closest", legend={"orientation": "h", "y": -0.04},
                      template="plotly_white")
    fig.update_xaxes(type="date")
    return fig


def html_report(run: CanaryRun, *, source: str = "") -> str:
    """The whole page (one string, nothing fetched)."""
    summary = {
        "run log": source or "(given)",
        "started": run.started,
        "steps": ", ".join(run.steps),
        "outcome": f"{run.outcome or 'unfinished'}: {run.reason}",
    }
    if run.decision is not None:
        summary["decision at"] = f"{run.decision['wall']} (+{float(run.decision['t']):.2f}s)"
    if run.rollback_seconds is not None:
        summary["rollback took"] = (f"{run.rollback_seconds:.3f}s "
                                    f"(rollback_within {run.rollback_within or 0:g}s)")
    summary["checks"] = f"{len(run.checks)}, alerts {len(run.alerts)}"
    alerts = table(["time", "+s", "message"],
                   [(a["wall"], f"{float(a['t']):.2f}", a["message"]) for a in run.alerts])
    events = table(["time", "+s", "step", "kind", "message"],
                   [(e["wall"], f"{float(e['t']):.2f}",
                     "" if e.get("step") is None else int(e["step"]) + 1, e["kind"],
                     e.get("message", "")) for e in run.events if e["kind"] != "check"],
                   css="events")
    sections = [f"<h2>Alerts ({len(run.alerts)})</h2>{alerts}",
                "<h2>Events</h2><p>Every event of the run log but the unchanged checks "
                f"(plotted above).</p>{events}"]
    title = f"canary run {run.started}"
    return page(title=title, summary=summary, figure=figure(run), sections=sections,
                data=plot_data(run), good=run.good)
