"""``scrubphi flags``: list, eval (and ``FlagClient.explain``), export, phase; the team's plan.

The commands run through click's ``CliRunner``; ``phase`` moves plans through
a real :class:`FileStateStore` and a real :class:`PostgresStateStore` (the
``pg`` fixture), and what it wrote is read back through the library, so a
command that prints the right words but stores nothing fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import pytest
from click.testing import CliRunner, Result
from psycopg import conninfo as pg_conninfo

from pg_fixtures import PgServer
from scrubphi.cli.flags import EXIT_CONFLICT, EXIT_UNKNOWN, flags, parse_state
from scrubphi.flags import FlagClient, StaticState, export_unleash, load_unleash, rollout_plans
from scrubphi.flags.state import FileStateStore, PostgresStateStore
from scrubphi.policy import load_policy

REPO = Path(__file__).resolve().parent.parent
TEAM_PLAN = REPO / "flags" / "flags.yaml"

POLICY = """\
version: 1
segments:
  internal:
    constraints:
      - {context: email, operator: STR_ENDS_WITH, values: ["@clinic.example"]}
flags:
  new-scheduling:
    description: the 6-month scheduling rewrite
    enabled: true
    plan: staged-release
  checkout:
    enabled: true
    type: experiment
    strategies:
      - name: flexibleRollout
        parameters: {rollout: 50, stickiness: userId}
        constraints:
          - {context: plan, operator: IN, values: [gold, silver]}
        segments: [internal]
    variants:
      - {name: red, weight: 50, stickiness: userId, overrides: [{context: userId, values: ["7"]}]}
      - {name: blue, weight: 50, payload: {type: string, value: hello}}
  checkout-banner:
    enabled: true
    dependencies: [{feature: checkout, enabled: true}]
  kill-switch:
    enabled: false
    type: kill-switch
rollouts:
  staged-release:
    stickiness: userId
    phases:
      - {name: internal, audience: {segment: internal}, min_duration: 3d}
      - {name: five, percent: 5, min_duration: 3d}
      - {name: quarter, percent: 25}
      - {name: all, percent: 100}
"""

STAFF = ["--context", "userId=1", "--context", "email=dr@clinic.example"]


@pytest.fixture()
def policy_file(tmp_path: Path) -> Path:
    """The test policy as a file."""
    path = tmp_path / "flags.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> Result:
    """``scrubphi flags ARGS`` in-process; never raises."""
    try:  # click 8.1 mixes stderr into output unless told not to; 8.2+ always separates
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        runner = CliRunner()
    return runner.invoke(flags, [os.fspath(a) for a in args], env=env)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------
# Item 8: the team's plan, as policy as code
# --------------------------------------------------------------------------


def test_team_plan_file_holds_exactly_the_teams_plan() -> None:
    """flags/flags.yaml: the 6-month feature behind a flag that is off, four gated phases.

    Protects the plan itself: a phase dropped, a gate loosened (a higher
    error rate, fewer requests, a shorter soak) or a different stickiness
    fails here, as does anything that lets the feature out before the plan
    is started.
    """
    policy = load_policy(TEAM_PLAN)
    client = FlagClient.from_policy(policy)
    assert client.feature_names() == ["new-scheduling"]
    document = client.to_unleash()
    (feature,) = document["features"]
    assert "6-month" in feature["description"]
    # Off: not started, so nobody (staff included) sees it, and the export says off.
    assert feature["enabled"] is False and feature["strategies"] == []
    users = [{"userId": str(i), "email": f"u{i}@clinic.example"} for i in range(2000)]
    assert not any(client.is_enabled("new-scheduling", u) for u in users)
    assert not any(
        FlagClient.from_policy(policy, state=StaticState()).is_enabled("new-scheduling", u)
        for u in users
    )

    plans = rollout_plans(policy)
    assert list(plans) == ["staged-release"]
    plan = plans["staged-release"]
    assert plan.stickiness == "userId"
    assert plan.on_failure == "rollback"
    days3 = 3 * 86400.0
    gate = {"error_rate": {"below": 0.001}, "min_requests": 1000}
    got = [
        (p.name, p.audience, p.percent, p.min_duration, dict(p.proceed_when)) for p in plan.phases
    ]
    assert got == [
        ("internal", "internal", None, days3, {"error_rate": {"max": 0.0}, "min_requests": 200}),
        ("five", None, 5, days3, gate),
        ("quarter", None, 25, days3, gate),
        ("all", None, 100, None, {}),
    ]
    # The internal audience is clinic staff, and the flag follows this plan.
    staff_only = FlagClient.from_policy(policy, state=StaticState({"staged-release": 0}))
    assert staff_only.is_enabled("new-scheduling", {"userId": "1", "email": "a@clinic.example"})
    assert not staff_only.is_enabled("new-scheduling", {"userId": "1", "email": "a@else.org"})


def test_team_plan_through_the_cli_is_off_until_started(tmp_path: Path) -> None:
    """`flags list` on the team's file shows the plan not started and the flag off."""
    out = _json(run("list", "-p", TEAM_PLAN, "--json"))
    (entry,) = out["flags"]
    assert entry["name"] == "new-scheduling"
    assert entry["plan"]["name"] == "staged-release"
    assert entry["plan"]["phase"] is None
    assert [p["name"] for p in entry["plan"]["phases"]] == ["internal", "five", "quarter", "all"]
    evaluated = _json(run("eval", "new-scheduling", "-p", TEAM_PLAN, *STAFF, "--json"))
    assert evaluated["enabled"] is False
    assert evaluated["decided_by"] == {"kind": "plan-not-started", "plan": "staged-release"}


# --------------------------------------------------------------------------
# list
# --------------------------------------------------------------------------


def test_list_text_and_json(policy_file: Path, tmp_path: Path) -> None:
    """Each flag with its switch, and its plan and phase or its strategies."""
    state = tmp_path / "state.json"
    FileStateStore(state).move("staged-release", 1, actor="t", reason="test")
    text = run("list", "-p", policy_file, "--state", f"file:{state}")
    assert text.exit_code == 0, text.output
    assert "new-scheduling: enabled" in text.stdout
    assert "plan staged-release: phase five (2 of 4) since " in text.stdout
    assert "1. flexibleRollout rollout=50 stickiness=userId" in text.stdout
    assert "segment internal" in text.stdout
    assert "kill-switch: disabled" in text.stdout
    assert "depends on checkout being on" in text.stdout

    out = _json(run("list", "-p", policy_file, "--state", f"file:{state}", "--json"))
    by_name = {f["name"]: f for f in out["flags"]}
    assert sorted(by_name) == ["checkout", "checkout-banner", "kill-switch", "new-scheduling"]
    assert by_name["new-scheduling"]["plan"]["phase"] == "five"
    assert by_name["new-scheduling"]["plan"]["phase_index"] == 1
    assert by_name["new-scheduling"]["plan"]["version"] == 1
    assert by_name["checkout"]["strategies"][0]["segments"] == ["internal"]
    assert by_name["checkout"]["variants"] == ["red", "blue"]
    assert by_name["kill-switch"]["enabled"] is False
    assert out["state"] == f"file:{state}"


def test_list_without_state_says_not_started(policy_file: Path) -> None:
    """Without --state every plan counts as not started, and the output says why."""
    result = run("list", "-p", policy_file)
    assert result.exit_code == 0, result.output
    assert "not started: the flag is off (no --state given)" in result.stdout


# --------------------------------------------------------------------------
# eval and FlagClient.explain
# --------------------------------------------------------------------------


def test_eval_says_which_phase_and_strategy_decided(policy_file: Path) -> None:
    """The result, the variant and the why: phase, matched strategy, the user's bucket."""
    staff = run(
        "eval", "new-scheduling", "-p", policy_file, "--phase", "staged-release=five", *STAFF
    )
    assert staff.exit_code == 0, staff.output
    lines = staff.stdout.splitlines()
    assert lines[0] == "new-scheduling: on"
    assert lines[1].startswith("variant: disabled")
    assert "phase 'five' (2 of 4)" in lines[2]
    assert "strategy 1 (default) matched" in lines[2]
    assert 'email STR_ENDS_WITH ["@clinic.example"] (segment internal): true' in staff.stdout

    client = FlagClient.from_policy(
        load_policy(policy_file), state=StaticState({"staged-release": 1})
    )
    outsider = next(
        str(i)
        for i in range(1000)
        if not client.is_enabled("new-scheduling", {"userId": str(i), "email": "x@else.org"})
    )
    off = _json(
        run(
            "eval",
            "new-scheduling",
            "-p",
            policy_file,
            "--phase",
            "staged-release=five",
            "--context",
            f"userId={outsider}",
            "--context",
            "email=x@else.org",
            "--json",
        )
    )
    assert off["enabled"] is False
    assert off["decided_by"] == {"kind": "no-match"}
    rollout = off["strategies"][1]
    assert rollout["name"] == "flexibleRollout"
    assert rollout["rollout"] == 5 and rollout["bucket"] > 5
    assert rollout["stickiness"] == "userId" and rollout["group_id"] == "staged-release"
    assert off["strategies"][0]["constraints"][0]["segment"] == "internal"
    assert off["strategies"][0]["constraints"][0]["result"] is False


def test_eval_variant_and_constraint_reasons(policy_file: Path) -> None:
    """A variant flag names its variant and how it was chosen; a failed constraint is shown."""
    override = _json(
        run(
            "eval",
            "checkout",
            "-p",
            policy_file,
            "--context",
            "userId=7",
            "--context",
            "plan=gold",
            "--context",
            "email=a@clinic.example",
            "--json",
        )
    )
    if override["enabled"]:
        assert override["variant"]["name"] == "red"
        assert override["variant_choice"]["override"] == "userId"
    failed = run(
        "eval", "checkout", "-p", policy_file, "--context", "userId=7", "--context", "plan=free"
    )
    assert failed.exit_code == 0, failed.output
    assert failed.stdout.startswith("checkout: off\n")
    assert 'plan IN ["gold", "silver"]: false' in failed.stdout
    assert "[not in the context]" in failed.stdout  # email was not given
    banner = _json(run("eval", "checkout-banner", "-p", policy_file, "--json"))
    assert banner["decided_by"] == {"kind": "dependency", "feature": "checkout"}
    killed = _json(run("eval", "kill-switch", "-p", policy_file, "--json"))
    assert killed["decided_by"] == {"kind": "flag-disabled"}


def test_explain_agrees_with_is_enabled_and_get_variant_and_counts_nothing(
    policy_file: Path,
) -> None:
    """explain() answers what is_enabled/get_variant answer, and leaves exposures untouched."""
    policy = load_policy(policy_file)
    state = StaticState({"staged-release": 1})
    client = FlagClient.from_policy(policy, state=state)
    contexts = [
        {
            "userId": str(i),
            "email": f"u{i}@clinic.example" if i % 5 == 0 else f"u{i}@else.org",
            "plan": ("gold", "silver", "free")[i % 3],
        }
        for i in range(600)
    ]
    client.clear_exposures()
    explained = [
        (name, ctx, client.explain(name, ctx))
        for name in ("new-scheduling", "checkout", "checkout-banner", "kill-switch", "nope")
        for ctx in contexts
    ]
    assert client.exposures() == {}
    for name, ctx, why in explained:
        assert why["enabled"] == client.is_enabled(name, ctx), (name, ctx["userId"])
        assert why["variant"] == client.get_variant(name, ctx), (name, ctx["userId"])
    assert {why["enabled"] for _, _, why in explained} == {True, False}
    # Context values never appear in an explanation: it is safe to log.
    assert "u5@clinic.example" not in json.dumps([w for _, _, w in explained])


def test_eval_errors_have_their_exit_codes(policy_file: Path, tmp_path: Path) -> None:
    """Unknown flag 8, bad --context 2, invalid policy 3 (with file:line), bad --state 2."""
    unknown = run("eval", "nope", "-p", policy_file)
    assert unknown.exit_code == EXIT_UNKNOWN == 8
    assert "unknown flag 'nope'" in unknown.stderr
    assert run("eval", "checkout", "-p", policy_file, "--context", "userId").exit_code == 2
    assert run("eval", "checkout", "--context", "userId=1").exit_code == 2  # no --policy
    assert run("eval", "checkout", "-p", policy_file, "--state", "redis://x").exit_code == 2
    bad_pin = run("eval", "new-scheduling", "-p", policy_file, "--phase", "staged-release=ten")
    assert bad_pin.exit_code == 8 and "no phase 'ten'" in bad_pin.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(POLICY.replace("operator: IN", "operator: INN"), encoding="utf-8")
    invalid = run("eval", "checkout", "-p", broken)
    assert invalid.exit_code == 3
    assert f"{broken}:" in invalid.stderr and "operator" in invalid.stderr


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------


def test_export_is_the_unleash_document_as_it_stands(policy_file: Path, tmp_path: Path) -> None:
    """stdout and -o give export_unleash's document for the store's phase; it loads back."""
    state_path = tmp_path / "state.json"
    store = FileStateStore(state_path)
    store.move("staged-release", 2, actor="t", reason="test")
    policy = load_policy(policy_file)
    expected = export_unleash(policy, store)
    assert _json(run("export", "-p", policy_file, "--state", f"file:{state_path}")) == expected
    out = tmp_path / "out" / "features.json"
    out.parent.mkdir()
    result = run("export", "-p", policy_file, "--state", f"file:{state_path}", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document == expected
    assert [p.name for p in out.parent.iterdir()] == ["features.json"]  # no temporaries
    rollout = document["features"][
        [f["name"] for f in document["features"]].index("new-scheduling")
    ]
    assert rollout["strategies"][-1]["parameters"]["rollout"] == "25"
    # Unleash semantics survive the trip: same answers from the exported document.
    ours = FlagClient.from_policy(policy, state=store)
    theirs = load_unleash(document)
    for i in range(500):
        ctx = {"userId": str(i), "email": "x@else.org", "plan": "gold"}
        for name in ("new-scheduling", "checkout", "checkout-banner"):
            assert ours.is_enabled(name, ctx) == theirs.is_enabled(name, ctx)
    # Not started: the plan flag is exported off.
    plain = _json(run("export", "-p", policy_file))
    (flag,) = [f for f in plain["features"] if f["name"] == "new-scheduling"]
    assert flag["enabled"] is False and flag["strategies"] == []


# --------------------------------------------------------------------------
# phase, on the file store and on PostgreSQL
# --------------------------------------------------------------------------


def _pg_uri(pg: PgServer, dbname: str) -> str:
    params = pg_conninfo.conninfo_to_dict(pg.dsn(dbname))
    auth = quote(str(params["user"]), safe="")
    if params.get("password"):
        auth += ":" + quote(str(params["password"]), safe="")
    return f"postgresql://{auth}@{params['host']}:{params['port']}/{dbname}"


@pytest.fixture(scope="module")
def cli_db(pg: PgServer) -> str:
    """One database for this module's PostgreSQL stores (a table prefix per test)."""
    return pg.create_database("cli_flags")


_tables = iter(range(1_000_000))


@pytest.fixture(params=["file", "postgres"])
def state_args(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[list[str], Any]]:
    """``--state ...`` arguments for one backend, and a store reading the same state."""
    if request.param == "file":
        path = tmp_path / "rollouts.json"
        yield ["--state", f"file:{path}"], FileStateStore(path)
        return
    pg: PgServer = request.getfixturevalue("pg")
    dbname: str = request.getfixturevalue("cli_db")
    table = f"cli{next(_tables)}_{os.getpid()}"
    store = PostgresStateStore(pg.dsn(dbname), table=table, revalidate_ms=0)
    try:
        yield ["--state", _pg_uri(pg, dbname), "--state-table", table], store
    finally:
        store.close()


def test_phase_moves_the_plan_and_records_history(
    policy_file: Path, state_args: tuple[list[str], Any]
) -> None:
    """--set moves the plan in the store by phase name; --history is the audit log."""
    args, store = state_args
    base = ["phase", "staged-release", "-p", policy_file, *args]
    shown = run(*base)
    assert shown.exit_code == 0, shown.output
    assert "staged-release: (not running) (version 0)" in shown.stdout
    start = run(*base, "--set", "internal", "--reason", "staff first", "--actor", "alice")
    assert start.exit_code == 0, start.output
    assert "(not running) -> internal (version 1)" in start.stdout
    assert store.get("staged-release").phase == 0
    five = _json(
        run(*base, "--set", "five", "--reason", "3 days clean", "--actor", "bob", "--json")
    )
    assert five["moved"] is True and five["phase"] == "five" and five["version"] == 2
    assert store.phase("staged-release") == 1
    again = run(*base, "--set", "five", "--reason", "again", "--actor", "bob")
    assert again.exit_code == 0 and "already in five; nothing recorded" in again.stdout
    jump = run(*base, "--set", "all", "--reason", "hotfix for all", "--actor", "carol")
    assert jump.exit_code == 0, jump.output
    assert "skipped phase(s) quarter" in jump.stderr
    stop = run(*base, "--stop", "--reason", "error spike", "--actor", "pager")
    assert stop.exit_code == 0 and "all -> (not running)" in stop.stdout
    assert store.get("staged-release").phase is None

    history = _json(run(*base, "--history", "--json"))
    assert [(h["from"], h["to"], h["actor"], h["reason"]) for h in history["history"]] == [
        (None, "internal", "alice", "staff first"),
        ("internal", "five", "bob", "3 days clean"),
        ("five", "all", "carol", "hotfix for all"),
        ("all", None, "pager", "error spike"),
    ]
    assert len(store.history("staged-release")) == 4
    text = run(*base, "--history")
    assert text.exit_code == 0
    assert "internal -> five  by bob: 3 days clean" in text.stdout
    # The flags follow the store: list and eval see the move.
    run(*base, "--set", "quarter", "--reason", "resume", "--actor", "alice")
    listed = _json(run("list", "-p", policy_file, *args, "--json"))
    (flag,) = [f for f in listed["flags"] if f["name"] == "new-scheduling"]
    assert flag["plan"]["phase"] == "quarter" and flag["plan"]["version"] == 5


def test_phase_refuses_what_it_cannot_do(
    policy_file: Path, state_args: tuple[list[str], Any]
) -> None:
    """Unknown plan/phase 8, lost race 9, missing reason or state 2; nothing recorded."""
    args, store = state_args
    base = ["phase", "staged-release", "-p", policy_file, *args]
    assert run(*base, "--set", "internal", "--reason", "go", "--actor", "a").exit_code == 0
    unknown_plan = run("phase", "big-bang", "-p", policy_file, *args)
    assert unknown_plan.exit_code == EXIT_UNKNOWN
    assert "unknown rollout plan 'big-bang'" in unknown_plan.stderr
    unknown_phase = run(*base, "--set", "half", "--reason", "x")
    assert unknown_phase.exit_code == EXIT_UNKNOWN
    assert "its phases: internal, five, quarter, all" in unknown_phase.stderr
    stale = run(*base, "--set", "five", "--reason", "x", "--expect-version", "0")
    assert stale.exit_code == EXIT_CONFLICT == 9
    assert "state conflict" in stale.stderr
    fresh = run(*base, "--set", "five", "--reason", "x", "--expect-version", "1")
    assert fresh.exit_code == 0, fresh.output
    assert run(*base, "--set", "quarter").exit_code == 2  # no reason
    assert run(*base, "--set", "quarter", "--reason", "  ").exit_code == 2
    assert run(*base, "--set", "quarter", "--stop", "--reason", "x").exit_code == 2
    assert (
        run("phase", "staged-release", "-p", policy_file, "--set", "all", "--reason", "x").exit_code
        == 2
    )
    assert store.get("staged-release").version == 2
    assert [e.to_phase for e in store.history("staged-release")] == [0, 1]


def test_state_from_env_keeps_the_dsn_off_the_command_line(
    policy_file: Path, pg: PgServer, cli_db: str
) -> None:
    """--state env:NAME reads the store URI from the environment; output never shows it."""
    table = f"clienv_{os.getpid()}"
    uri = _pg_uri(pg, cli_db)
    env = {"ROLLOUT_DB": uri}
    moved = run(
        "phase",
        "staged-release",
        "-p",
        policy_file,
        "--state",
        "env:ROLLOUT_DB",
        "--state-table",
        table,
        "--set",
        "internal",
        "--reason",
        "start",
        env=env,
    )
    assert moved.exit_code == 0, moved.output
    store = PostgresStateStore(pg.dsn(cli_db), table=table, revalidate_ms=0)
    try:
        assert store.phase("staged-release") == 0
        (event,) = store.history("staged-release")
        assert event.actor.endswith("(scrubphi flags phase)")
    finally:
        store.close()
    listed = run(
        "list",
        "-p",
        policy_file,
        "--state",
        "env:ROLLOUT_DB",
        "--state-table",
        table,
        "--json",
        env=env,
    )
    assert _json(listed)["state"] == "env:ROLLOUT_DB"
    assert uri not in listed.output
    assert run("list", "-p", policy_file, "--state", "env:NOT_SET_ANYWHERE").exit_code == 2


def test_unreachable_store_is_exit_6(policy_file: Path) -> None:
    """A database that does not answer is a state store error (6), not a crash."""
    # Port 1 on loopback refuses at once: no timeout to wait for.
    result = run(
        "phase",
        "staged-release",
        "-p",
        policy_file,
        "--state",
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
    )
    assert result.exit_code == 6, result.output
    assert "state store" in result.stderr
    assert "Traceback" not in result.output


def test_parse_state_forms(tmp_path: Path) -> None:
    """file:, postgresql://, postgres: and env: give the right stores; the rest is refused."""
    assert isinstance(parse_state(f"file:{tmp_path / 's.json'}"), FileStateStore)
    uri = parse_state("postgresql://u@127.0.0.1:1/db")
    keyvalue = parse_state("postgres:host=127.0.0.1 port=1 dbname=db")
    assert isinstance(uri, PostgresStateStore) and isinstance(keyvalue, PostgresStateStore)
    for bad in ("", "file:", "postgres:", "sqlite:///x.db", "/var/lib/state.json"):
        with pytest.raises(click.BadParameter):
            parse_state(bad)


def test_the_group_registers_on_a_main_command(policy_file: Path) -> None:
    """The lead adds it with main.add_command(flags): it must work as a subcommand."""
    main = click.Group("scrubphi")
    main.add_command(flags)
    result = CliRunner().invoke(main, ["flags", "list", "-p", os.fspath(policy_file)])
    assert result.exit_code == 0, result.output
    assert "new-scheduling: enabled" in result.stdout


# --------------------------------------------------------------------------
# The fast paths added for the benchmark keep Unleash's answers
# --------------------------------------------------------------------------


def test_murmur3_twins_agree() -> None:
    """The active murmur3 (mmh3's C code when installed) and the pure twin give equal hashes.

    Buckets decide who sees a flag; a twin that differs on some length or
    seed would silently move users in or out of a rollout.
    """
    import random

    from scrubphi.flags import murmur

    rng = random.Random(20240601)
    for _ in range(3000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 80)))
        seed = rng.choice([0, murmur.VARIANT_SEED, rng.randrange(2**32)])
        assert murmur.murmur3_32(data, seed) == murmur.murmur3_32_pure(data, seed)
    # MurmurHash3_x86_32 reference values (SMHasher).
    assert murmur.murmur3_32_pure(b"", 0) == 0
    assert murmur.murmur3_32_pure(b"", 1) == 0x514E28B7
    assert murmur.murmur3_32_pure(b"Hello, world!", 1234) == 0xFAF6CDB3
    assert murmur.murmur3_32_pure(b"The quick brown fox jumps over the lazy dog", 0) == 0x2E4FF723
    if os.environ.get("SCRUBPHI_NO_EXTENSIONS", "") not in ("", "0"):
        assert murmur.IMPLEMENTATION == "pure"


def test_context_fast_path_keeps_missing_and_non_string_values() -> None:
    """None means missing (static appName stays), numbers and booleans compare as strings."""
    client = load_unleash(
        {
            "version": 2,
            "features": [
                {
                    "name": "f",
                    "enabled": True,
                    "strategies": [
                        {
                            "name": "flexibleRollout",
                            "parameters": {"rollout": "100", "stickiness": "tenant"},
                            "constraints": [
                                {"contextName": "appName", "operator": "IN", "values": ["app"]},
                                {"contextName": "beta", "operator": "IN", "values": ["true"]},
                                {"contextName": "age", "operator": "NUM_GT", "value": "17"},
                            ],
                        }
                    ],
                }
            ],
        },
        app_name="app",
    )
    assert client.is_enabled("f", {"appName": None, "beta": True, "age": 18, "tenant": 7})
    assert client.is_enabled("f", {"properties": {"beta": "true", "age": "30", "tenant": "x"}})
    assert not client.is_enabled("f", {"beta": True, "age": 18})  # no stickiness field
    assert not client.is_enabled("f", {"beta": False, "age": 18, "tenant": 7})
    assert not client.is_enabled("f", {"appName": "other", "beta": True, "age": 18, "tenant": 7})


def test_eval_says_a_flag_with_only_disabled_strategies_is_off(tmp_path: Path) -> None:
    """Every strategy disabled: `flags eval` says off, and why; the export says enabled: false."""
    path = tmp_path / "flags.yaml"
    path.write_text(
        "version: 1\n"
        "flags:\n"
        "  paused:\n"
        "    enabled: true\n"
        "    strategies:\n"
        "      - {name: flexibleRollout, parameters: {rollout: 50}, disabled: true}\n",
        encoding="utf-8",
    )
    result = run("eval", "paused", "-p", path, "--context", "userId=42")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "paused: off"
    assert "every strategy of the flag is disabled" in result.stdout
    exported = json.loads(run("export", "-p", path).stdout)
    assert exported["features"][0]["enabled"] is False
    assert exported["features"][0]["strategies"] == []
