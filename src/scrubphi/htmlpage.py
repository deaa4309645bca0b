"""One self-contained HTML page with a plotly timeline: the shell of every run report.

Why plotly (with its JavaScript inlined) rather than matplotlib's SVG: a run
report is read during or after an incident, on a timeline of minutes (a
canary) to weeks (a staged rollout), and people need the exact value and
reason at one check, not a picture of it: hover, zoom on a time range and
toggling a series are what they do with it.  plotly draws that from a JSON
figure in the page, so a browser test can read back the numbers a plot drew
(``graphDiv.data`` and the drawn points) and compare them with the run log.
Its only dependencies are small and pure Python (no numpy); the price is the
size of the page (about 4.5 MB, the library itself), which is fine for a file
kept beside an incident.

The page loads nothing: the library, the figure and the styles are inline,
and a Content-Security-Policy forbids every network fetch, so it opens the
same from a laptop on a plane, an artifact store or an air-gapped network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from scrubphi.errors import ScrubPhiError

__all__ = ["PAGE_CSP", "ReportError", "escape", "page", "plotly_modules", "table"]

#: No fetch of any kind; inline scripts and styles, and data: images (plotly's icons).
PAGE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src data:; font-src data:")


class ReportError(ScrubPhiError):
    """A run log or history that cannot be read, or no plotting library to draw it."""

    exit_code = 2


def plotly_modules() -> tuple[Any, Any, Any]:
    """``(plotly.graph_objects, plotly.subplots.make_subplots, plotly.io)``, or a clear error."""
    try:
        import plotly.graph_objects as go
        import plotly.io as pio
        from plotly.subplots import make_subplots
    except ImportError:
        raise ReportError(
            "the HTML report needs plotly: pip install 'scrubphi[reports]'"
        ) from None
    return go, make_subplots, pio


def escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, css: str = "") -> str:
    """A plain HTML table, every cell escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    cls = f' class="{escape(css)}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.6em 0}
.summary dt{font-weight:600}.summary dd{margin:0}
.outcome-bad{color:#b00020;font-weight:700}.outcome-good{color:#1b7a1b;font-weight:700}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}
"""


def page(*, title: str, summary: Mapping[str, str], figure: Any, sections: Sequence[str],
         data: Mapping[str, Any], good: bool | None = None) -> str:
    """The whole page: title, a summary list, the plot, further sections, the data as JSON.

    ``data`` (what the plot was drawn from) is embedded as
    ``<script type="application/json" id="report-data">`` for scripts and tests.
    """
    _go, _subplots, pio = plotly_modules()
    plot = pio.to_html(
        figure, full_html=False, include_plotlyjs=True, include_mathjax=False,
        div_id="timeline", validate=True, config={"displaylogo": False, "responsive": True},
    )
    items = []
    for key, value in summary.items():
        css = ""
        if key == "outcome" and good is not None:
            css = ' class="outcome-good"' if good else ' class="outcome-bad"'
        items.append(f"<dt>{escape(key)}</dt><dd{css}>{escape(value)}</dd>")
    payload = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{PAGE_CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><dl class=\"summary\">{''.join(items)}</dl>"
        f"{plot}{''.join(sections)}"
        f"<script type=\"application/json\" id=\"report-data\">{payload}</script>"
        "</body></html>\n"
    )
