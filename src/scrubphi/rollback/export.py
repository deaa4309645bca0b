"""The policy's rollback rules as Prometheus alerting rules, and its gate metrics as recordings.

One policy, the same alerts twice: ``scrubphi rollback-check`` evaluates the
rules in the library, and ``scrubphi rollback export --format
prometheus-rules`` writes a Prometheus rule file that alerts at the same
evaluations.  :mod:`scrubphi.rollback.promtest` generates ``promtool test
rules`` cases that replay scenarios through both and require them to agree at
every evaluation time.

How a rule is written (one group, evaluated every ``rollback.interval``, so
that the rule's evaluation grid is Prometheus's own):

1. A recording rule per metric, ``scrubphi:METRIC``, runs the metric's
   ``prometheus`` query (``$interval`` filled in).  Rules of one group run in
   order at the same timestamp, so the alerts below read the sample recorded
   at this very evaluation.
2. The value at an evaluation ``e`` is
   ``max(last_over_time(scrubphi:METRIC[INTERVAL - 1ms]))``: the latest sample
   in ``(e - interval, e]``, as in the library; none is a missing evaluation,
   and so is a NaN (``v != v``).
3. The condition: ``V > T`` (``above``, strictly greater) or ``V < T``;
   ``missing_data: breaching`` adds ``or V != V or absent(V)``;
   ``not_breaching`` is Prometheus's own behaviour (no result resets ``for``).
4. The window: ``for: D`` and ``consecutive: N`` are the alert's ``for``
   (``(evaluations - 1) x interval``: the library's ``ceil(D / interval) + 1``
   evaluations, exactly); ``m_of_n: [M, N]`` records a 0/1 breach per
   evaluation (``scrubphi:rule_breaching``) and alerts on
   ``sum_over_time(...[N x interval - 1ms]) >= M``.
5. ``alert_then_rollback`` is two alerts: the rollback one with the rule's
   window, and one that fires from the first breaching evaluation (or, with
   ``grace``, an alert at the window and a rollback one at window + grace).

What Prometheus cannot express is written as a comment on the rule (and
listed in ``docs/rollback-and-gates.md``); the alert is then the nearest rule
Prometheus can evaluate, and :func:`prometheus_rule` returns that nearest
rule, which the generated tests hold the alert to.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from string import Template

from scrubphi.errors import PolicyError
from scrubphi.flags.plans import RolloutPlan
from scrubphi.rollback.policy import MetricQuery, Rule, RuleSet

__all__ = [
    "BREACH_METRIC",
    "GATE_GROUP",
    "RULE_GROUP",
    "ExportOptions",
    "ExportedAlert",
    "alert_annotations",
    "alert_labels",
    "alert_name",
    "alerts_for",
    "duration_text",
    "gate_metrics",
    "prometheus_rule",
    "prometheus_rules",
    "recorded_name",
    "value_expr",
]

RULE_GROUP = "scrubphi-rollback"
GATE_GROUP = "scrubphi-gates"
BREACH_METRIC = "scrubphi:rule_breaching"
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
_SEVERITY = {"alert": "warning", "rollback": "critical", "rollback_now": "critical"}
_ACTION_WORDS = {"alert": "alert", "rollback": "roll back", "rollback_now": "roll back now"}


@dataclass(frozen=True)
class ExportOptions:
    """How to write the rules: runbook link, extra labels, the gate recordings' window.

    ``runbook_url`` may use ``{rule}`` (the rule's name) and ``{alert}`` (the
    alert's name).  ``gate_window`` replaces ``$window`` in gate queries: a
    recording rule cannot know how long a phase has run.
    """

    runbook_url: str
    labels: Mapping[str, str] = dataclasses.field(default_factory=dict)
    gate_window: float = 300.0
    gate_interval: float = 60.0
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportedAlert:
    """One alerting rule written for a policy rule: its name, window and meaning.

    ``kind`` says which library outcome it stands for: ``window`` (the rule's
    own window: pending while breaching, firing when the window fires),
    ``breaching`` (fires while the library's action is alert or rollback:
    ``alert_then_rollback`` without grace) or ``grace`` (fires when the
    library's action is rollback: ``alert_then_rollback`` with grace).
    """

    name: str
    rule: Rule
    kind: str
    action: str
    evaluations: int
    expr: str

    @property
    def for_seconds(self) -> float:
        return (self.evaluations - 1) * self.rule.interval


def duration_text(seconds: float) -> str:
    """A Prometheus duration: ``2m``, ``105s``, ``14999ms``."""
    ms = round(seconds * 1000)
    if ms % 1000:
        return f"{ms}ms"
    s = ms // 1000
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s and s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def _number(value: float) -> str:
    """A threshold as PromQL reads it back to the same double (``repr`` round-trips)."""
    if not math.isfinite(value):
        raise PolicyError(f"threshold {value!r} is not a finite number")
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def alert_name(rule: Rule) -> str:
    """``error-spike`` -> ``ScrubphiErrorSpike``."""
    return "Scrubphi" + _camel(rule.name)


def recorded_name(metric: str) -> str:
    """The recording rule's name for a metric: ``scrubphi:http_5xx_ratio``."""
    name = "scrubphi:" + re.sub(r"[^a-zA-Z0-9_]", "_", metric)
    return name


def value_expr(rule: Rule) -> str:
    """The rule's value at this evaluation: the latest recorded sample in (e - interval, e]."""
    window = duration_text(rule.interval - 0.001)
    return f"max(last_over_time({recorded_name(rule.metric)}[{window}]))"


def prometheus_rule(rule: Rule) -> tuple[Rule, list[str]]:
    """The nearest rule Prometheus can evaluate, and what of ``rule`` it cannot express.

    Prometheus has no *inconclusive*: ``missing_data: inconclusive`` and
    ``ignore`` become ``not_breaching`` (Prometheus's own behaviour: an
    evaluation without a result resets ``for``), and ``min_samples`` is
    dropped (it never changes when a rule fires, only whether a rule that is
    not firing passes).
    """
    notes: list[str] = []
    missing = rule.missing_data
    if missing in ("inconclusive", "ignore"):
        what = ("an evaluation without data is unknown, so the rule can be inconclusive"
                if missing == "inconclusive" else
                "evaluations without data are skipped and the window reaches further back")
        notes.append(
            f"missing_data: {missing} cannot be expressed ({what}); Prometheus has no "
            "unknown state: this alert treats an evaluation without data as not breaching "
            "(it resets the window)")
        missing = "not_breaching"
    if rule.min_samples > 1:
        notes.append(
            f"min_samples: {rule.min_samples} is not expressed: an alert has no "
            "'inconclusive'. It never changes when this alert fires (a window that fires "
            "fires whatever the count); with fewer samples the library says inconclusive "
            "where this alert is pending or inactive")
    if rule.window_kind == "m_of_n":
        notes.append(
            f"m_of_n: [{rule.need}, {rule.size}] has no pending state in Prometheus: the alert "
            "fires when the count is reached (the library's 'pending', breaching now but "
            "not often enough, is inactive here)")
    return dataclasses.replace(rule, missing_data=missing, min_samples=0), notes


def _condition(rule: Rule) -> str:
    value = value_expr(rule)
    op = ">" if rule.comparison == "above" else "<"
    cond = f"{value} {op} {_number(rule.threshold)}"
    if rule.missing_data == "breaching":
        cond = f"{cond} or {value} != {value} or absent({value})"
    return cond


def _breach_record(rule: Rule) -> str:
    """0/1 per evaluation (never absent): the m_of_n count's input."""
    value = value_expr(rule)
    op = ">" if rule.comparison == "above" else "<"
    missing = "1" if rule.missing_data == "breaching" else "0"
    return (f"(({value} {op} bool {_number(rule.threshold)}) unless {value} != {value}) "
            f"or vector({missing})")


def _count(rule: Rule) -> str:
    window = duration_text(rule.size * rule.interval - 0.001)
    return (f'sum(sum_over_time({BREACH_METRIC}{{scrubphi_rule="{rule.name}"}}[{window}]))'
            f" >= {rule.need}")


def alerts_for(rule: Rule) -> list[ExportedAlert]:
    """The alerting rules written for ``rule`` (already :func:`prometheus_rule`'d)."""
    base = alert_name(rule)
    m_of_n = rule.window_kind == "m_of_n"
    window_expr = _count(rule) if m_of_n else _condition(rule)
    window_evals = 1 if m_of_n else rule.size
    if rule.action != "alert_then_rollback":
        return [ExportedAlert(base, rule, "window", rule.action, window_evals, window_expr)]
    if rule.grace_evals:
        return [
            ExportedAlert(base, rule, "window", "alert", window_evals, window_expr),
            ExportedAlert(base + "Rollback", rule, "grace", "rollback",
                          rule.size + rule.grace_evals, window_expr),
        ]
    breaching = _condition(rule)
    if m_of_n:
        breaching = f"{breaching} or {_count(rule)}"
    return [
        ExportedAlert(base, rule, "window", "rollback", window_evals, window_expr),
        ExportedAlert(base + "Breaching", rule, "breaching", "alert", 1, breaching),
    ]


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str, indent: str) -> list[str]:
    words = text.split()
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(indent) + len(line) + len(word) + 3 > 96:
            lines.append(f"{indent}# {line}")
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(f"{indent}# {line}")
    return lines


def _query(rules: RuleSet, metric: str, where: str, **fill: str) -> str:
    query: MetricQuery | None = rules.metrics.get(metric)
    raw = None if query is None else query.queries.get("prometheus")
    if raw is None:
        raise PolicyError(
            f"metric {metric} has no prometheus query: add it under "
            f"rollback.metrics.{metric}.prometheus ({where})",
            path=f"rollback.metrics.{metric}")
    left = [i for i in Template(raw).get_identifiers() if i not in fill]
    if left:
        raise PolicyError(
            f"metric {metric}'s prometheus query uses ${left[0]}, which {where} cannot fill",
            path=f"rollback.metrics.{metric}.prometheus")
    return " ".join(Template(raw).substitute(fill).split())


def _check_options(options: ExportOptions) -> None:
    for key in options.labels:
        if not _LABEL_NAME.match(key) or key.startswith("__"):
            raise ValueError(f"label name {key!r} is not a Prometheus label name")
        if key in ("alertname", "severity", "action", "scrubphi_rule", "metric"):
            raise ValueError(f"label {key!r} is set by the export itself")
    try:
        options.runbook_url.format(rule="r", alert="a")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"runbook URL: only {{rule}} and {{alert}} may be filled in ({exc})") from None
    if not options.runbook_url.startswith(("http://", "https://")):
        raise ValueError("the runbook URL must start with http:// or https://")


def _labels(alert: ExportedAlert, options: ExportOptions, indent: str) -> list[str]:
    labels = alert_labels(alert, options)
    return [f"{indent}labels:", *(f"{indent}  {k}: {_q(v)}" for k, v in labels.items())]


def alert_labels(alert: ExportedAlert, options: ExportOptions) -> dict[str, str]:
    """The labels an exported alert carries (alertname not included)."""
    return {
        **options.labels,
        "severity": _SEVERITY[alert.action],
        "action": alert.action,
        "scrubphi_rule": alert.rule.name,
        "metric": alert.rule.metric,
    }


def alert_annotations(alert: ExportedAlert, options: ExportOptions,
                      original: Rule | None = None) -> dict[str, str]:
    """Summary, description and runbook link of an exported alert."""
    rule = original or alert.rule
    comp = "above" if rule.comparison == "above" else "below"
    threshold = _threshold_text(rule)
    if alert.kind == "breaching":
        window = "now"
    elif rule.window_kind == "m_of_n":
        window = f"at {rule.need} of the last {rule.size} evaluations"
    else:
        window = f"for {duration_text(alert.for_seconds)}"
    summary = (f"{rule.name}: {rule.metric} {comp} {threshold} {window}: "
               f"{_ACTION_WORDS[alert.action]}")
    description = rule.description or summary
    if alert.kind == "breaching":
        when = (f"at {rule.need} of the last {rule.size} evaluations"
                if rule.window_kind == "m_of_n" else
                f"when it has held {duration_text((rule.size - 1) * rule.interval)}")
        description += f" (breaching now; rolls back {when})"
    return {
        "summary": summary,
        "description": description,
        "runbook_url": options.runbook_url.format(rule=rule.name, alert=alert.name),
    }


def _threshold_text(rule: Rule) -> str:
    return f"{rule.threshold * 100:g}%" if rule.percent else f"{rule.threshold:g}"


def _window_text(rule: Rule) -> str:
    if rule.window_kind == "m_of_n":
        return f"m_of_n [{rule.need}, {rule.size}]"
    if rule.window_kind == "consecutive":
        return f"consecutive {rule.size}"
    grace = f", grace {duration_text(rule.grace)}" if rule.grace else ""
    return (f"for {duration_text(rule.duration or 0.0)} ({rule.size} evaluations "
            f"every {duration_text(rule.interval)}){grace}")


def gate_metrics(plans: Iterable[RolloutPlan]) -> dict[str, list[RolloutPlan]]:
    """Metric name -> the plans whose gates read it (``requests`` for ``min_requests``)."""
    out: dict[str, list[RolloutPlan]] = {}
    for plan in plans:
        for phase in plan.phases:
            for metric in phase.proceed_when:
                name = "requests" if metric == "min_requests" else metric
                users = out.setdefault(name, [])
                if plan not in users:
                    users.append(plan)
    return out


def prometheus_rules(
    rules: RuleSet,
    plans: Sequence[RolloutPlan],
    options: ExportOptions,
) -> str:
    """The Prometheus rule file (YAML text, with comments) for ``rules`` and ``plans``."""
    _check_options(options)
    if not rules.rules and not plans:
        raise PolicyError("nothing to export: the policy has no rollback rules and no "
                          "rollout plans")
    out: list[str] = [
        "# Prometheus rules generated by `scrubphi rollback export --format prometheus-rules`",
        *(f"# from {s}" for s in options.sources),
        "# Do not edit: change the policy and export again. See docs/rollback-and-gates.md.",
        *_comment(
            "Everywhere: Prometheus counts only evaluations it made, so for one window after "
            "these rules are loaded (or after a restart that lost the alerts' state) a rule "
            "that treats missing data as breaching fires later here than in `scrubphi "
            "rollback-check`; a query error leaves an alert as it was (the library: "
            "inconclusive); a query returning several series is reduced with max() (the "
            "library refuses it as an error).", ""),
        "groups:",
    ]
    if rules.rules:
        out += _rule_group(rules, options)
    if plans:
        out += _gate_group(rules, plans, options)
    return "\n".join(out) + "\n"


def _rule_group(rules: RuleSet, options: ExportOptions) -> list[str]:
    out = [f"  - name: {RULE_GROUP}", f"    interval: {duration_text(rules.interval)}",
           "    rules:"]
    seen_records: dict[str, str] = {}
    for rule in rules.rules:
        name = recorded_name(rule.metric)
        if not _METRIC_NAME.match(name):
            raise PolicyError(f"metric {rule.metric} gives no Prometheus metric name")
        if seen_records.get(name, rule.metric) != rule.metric:
            raise PolicyError(f"metrics {seen_records[name]} and {rule.metric} would both be "
                              f"recorded as {name}: rename one")
        if name in seen_records:
            continue
        seen_records[name] = rule.metric
        expr = _query(rules, rule.metric, f"rule {rule.name}",
                      interval=duration_text(rules.interval))
        out += [f"      - record: {name}", f"        expr: {_q(expr)}"]
    names: dict[str, str] = {}
    for original in rules.rules:
        rule, notes = prometheus_rule(original)
        alerts = alerts_for(rule)
        if rule.window_kind == "m_of_n":
            out += [f"      # {original.name}: one 0/1 breach per evaluation for the m_of_n count",
                    f"      - record: {BREACH_METRIC}",
                    f"        expr: {_q(_breach_record(rule))}",
                    "        labels:",
                    f"          scrubphi_rule: {_q(rule.name)}"]
        for alert in alerts:
            if alert.name in names:
                raise PolicyError(f"rules {names[alert.name]} and {original.name} both give "
                                  f"the alert name {alert.name}: rename one")
            names[alert.name] = original.name
        for i, alert in enumerate(alerts):
            head = (f"{original.name}: {original.metric} {original.comparison} "
                    f"{_threshold_text(original)}, {_window_text(original)}, "
                    f"action {original.action}, missing_data {original.missing_data}")
            if i == 0:
                out += _comment(head, "      ")
                for note in notes:
                    out += _comment("scrubphi: " + note, "      ")
            if original.duration is not None and i == 0 and not math.isclose(
                    alert.for_seconds, original.duration) and original.window_kind == "for":
                out += _comment(
                    f"for: {duration_text(original.duration)} is {original.size} evaluations "
                    f"every {duration_text(rule.interval)}, so {duration_text(alert.for_seconds)}"
                    " here (the same evaluations)", "      ")
            out += [f"      - alert: {alert.name}", f"        expr: {_q(alert.expr)}"]
            if alert.evaluations > 1:
                out.append(f"        for: {duration_text(alert.for_seconds)}")
            out += _labels(alert, options, "        ")
            out.append("        annotations:")
            out += [f"          {k}: {_q(v)}"
                    for k, v in alert_annotations(alert, options, original).items()]
    return out


def _gate_group(rules: RuleSet, plans: Sequence[RolloutPlan],
                options: ExportOptions) -> list[str]:
    window = duration_text(options.gate_window)
    out = [f"  - name: {GATE_GROUP}", f"    interval: {duration_text(options.gate_interval)}",
           *_comment(
               f"The gate metrics per plan and cohort. scrubphi: a recording rule cannot know "
               f"how long a phase has run, so $window is the fixed window {window} here "
               "(`scrubphi gate` uses the phase's age); thresholds, min_duration and the "
               "comparison with the flag-off cohort stay in `scrubphi gate`.", "    "),
           "    rules:"]
    used = gate_metrics(plans)
    for metric, users in used.items():
        query = rules.metrics.get(metric)
        if query is None or "prometheus" not in query.queries:
            out += _comment(f"scrubphi: gate metric {metric} has no prometheus query in "
                            "rollback.metrics: not recorded", "      ")
            continue
        raw = query.queries["prometheus"]
        idents = set(Template(raw).get_identifiers())
        cohorts = ("on", "off") if "cohort" in idents else (None,)
        for plan in users:
            phases = [p.name for p in plan.phases] if "phase" in idents else [None]
            for phase in phases:
                for cohort in cohorts:
                    fill = {"window": window, "plan": plan.name,
                            "interval": duration_text(options.gate_interval)}
                    labels = {"plan": plan.name, "window": window}
                    if cohort is not None:
                        fill["cohort"] = cohort
                        labels["cohort"] = cohort
                    if phase is not None:
                        fill["phase"] = phase
                        labels["phase"] = phase
                    expr = _query(rules, metric, f"the gate of plan {plan.name}", **fill)
                    out += [f"      - record: {recorded_name('gate_' + metric)}",
                            f"        expr: {_q(expr)}",
                            "        labels:",
                            *(f"          {k}: {_q(v)}" for k, v in labels.items())]
    return out
