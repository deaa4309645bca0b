"""JSON from outside nested too deep to read: a parse error where it is read, never a crash.

Why tested: ``json.loads`` recurses once per level, so a few thousand ``[`` raise
``RecursionError``, which the ``except ValueError`` around every parse did not catch.
Found by trying to break the inputs: a rollout state file of nested brackets ended
``scrubphi flags`` with an internal error (exit 1) instead of the state store's error
(exit 6), and the same answer from a metrics server escaped a deploy pipeline's gate
call as an exception instead of a failed series the rules decide on. Each place that
reads JSON someone else wrote now reads it through :func:`scrubphi.jsontext.loads`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from http_stub import serving
from scrubphi.canary.nginxlog import NginxAccessLog
from scrubphi.canary.store import RunStore, StoreError
from scrubphi.cli import main as cli
from scrubphi.jsontext import loads
from scrubphi.metrics import MetricSourceError, PrometheusSource, RetryPolicy
from scrubphi.rollback import check, rules_from_mapping

DEEP = "[" * 100_000 + "]" * 100_000
FLAGS = Path(__file__).resolve().parent / "djangoproject" / "policy.yaml"  # has plans


@pytest.mark.parametrize("depth", [1, 500, 5_000, 100_000])
def test_loads_reads_what_it_can_and_refuses_the_rest(depth: int) -> None:
    text = "[" * depth + "1" + "]" * depth
    if depth < 900:
        doc = loads(text)
        for _ in range(depth):
            doc = doc[0]
        assert doc == 1
        return
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        loads(text)
    with pytest.raises(ValueError):  # what every caller catches
        loads(text.encode())


def test_a_state_file_nested_too_deep_is_a_state_store_error(tmp_path: Path) -> None:
    policy = FLAGS
    state = tmp_path / "state.json"
    state.write_text(DEEP, encoding="utf-8")
    result = CliRunner().invoke(cli, ["flags", "list", "-p", str(policy), "--state",
                                      f"file:{state}"])
    assert result.exit_code == 6, result.output
    assert "not valid JSON" in result.output


def test_a_canary_state_nested_too_deep_is_a_store_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    store.state_path.write_text(DEEP, encoding="utf-8")
    with pytest.raises(StoreError):
        store.read_state()


def test_an_access_log_line_nested_too_deep_is_malformed(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    reader = NginxAccessLog(log, stable="127.0.0.1:8001", canary="127.0.0.1:8002")
    reader.start()
    with log.open("ab") as fh:
        fh.write(DEEP.encode() + b"\n")
    reader.poll()
    assert reader.malformed == 1


class _Deep(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = DEEP.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # (Prometheus's API takes the query as a form body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def deep_server() -> Iterator[str]:
    with serving(_Deep) as url:
        yield url


def test_a_metrics_answer_nested_too_deep_fails_the_series_not_the_gate(deep_server: str
                                                                        ) -> None:
    retry = RetryPolicy(attempts=2, base_delay=0.0, jitter=0.0, sleep=lambda _s: None)
    source = PrometheusSource(deep_server, retry=retry)
    with pytest.raises(MetricSourceError):
        source.range("up", 1714564800.0, 1714564860.0, 15)
    rules = rules_from_mapping({
        "rules": [{"name": "errors", "metric": "ratio", "above": "1%", "for": "1m",
                   "action": "rollback"}],
        "metrics": {"ratio": {"prometheus": "sum(rate(x[1m]))"}},
        "missing_data": "breaching", "min_samples": 1})
    decision = check(rules, source, 1714564860.0, since=1714564800.0)
    assert decision.action == "inconclusive"  # a source that cannot be read is no pass
