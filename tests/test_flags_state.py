"""Rollout state stores: the shared "where does each plan stand" and its audit log.

The same behaviour tests run on the file store and on the PostgreSQL store
(a real server from the ``pg`` fixture), then each store's own guarantees:
concurrent moves from several processes, fork safety, cheap cached reads.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pg_fixtures import PgServer
from scrubphi.flags.state import (
    Event,
    FileStateStore,
    PostgresStateStore,
    RolloutState,
    StateConflict,
    StateStore,
    StateStoreError,
    open_state_store,
)

StoreFactory = Callable[[], Any]

_FORK = multiprocessing.get_context("fork")


@pytest.fixture(scope="module")
def state_db(pg: PgServer) -> str:
    """One database for this module's PostgreSQL stores (tables are per-test prefixes)."""
    return pg.dsn(pg.create_database("flags_state"))


_counter = iter(range(1_000_000))


@pytest.fixture(params=["file", "postgres"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StoreFactory]:
    """A factory of stores sharing one backing state (as two worker processes would)."""
    made: list[Any] = []
    if request.param == "file":
        path = tmp_path / "rollouts.json"

        def factory() -> Any:
            store = FileStateStore(path)
            made.append(store)
            return store
    else:
        dsn = request.getfixturevalue("state_db")
        table = f"t{next(_counter)}_{os.getpid()}"

        def factory() -> Any:
            store = PostgresStateStore(dsn, table=table, revalidate_ms=0)
            made.append(store)
            return store

    yield factory
    for store in made:
        if isinstance(store, PostgresStateStore):
            store.close()


# --------------------------------------------------------------------------
# The common API, on both stores
# --------------------------------------------------------------------------


def test_never_moved_plan_is_not_running(make_store: StoreFactory) -> None:
    """A plan nobody moved is off (phase None, version 0) and has an empty audit log."""
    store = make_store()
    assert isinstance(store, StateStore)
    assert store.phase("staged-release") is None
    assert store.get("staged-release") == RolloutState("staged-release", None, None, 0)
    assert store.history("staged-release") == []
    assert store.states() == {}


def test_moves_update_state_and_history(make_store: StoreFactory) -> None:
    """start, move and stop change the phase, bump the version and append to the audit log."""
    store = make_store()
    before = datetime.now(UTC)
    s1 = store.start("plan", actor="alice", reason="internal users first")
    assert (s1.phase, s1.version) == (0, 1)
    assert s1.started_at is not None and s1.started_at.tzinfo is not None
    s2 = store.move("plan", 2, actor="gate", reason="error rate 0.01% < 0.1%")
    s3 = store.stop("plan", actor="bob", reason="pager: latency")
    assert (s2.phase, s2.version) == (2, 2)
    assert (s3.phase, s3.version) == (None, 3)
    assert store.phase("plan") is None
    assert store.get("plan") == s3
    history = store.history("plan")
    assert [(e.from_phase, e.to_phase, e.actor, e.reason) for e in history] == [
        (None, 0, "alice", "internal users first"),
        (0, 2, "gate", "error rate 0.01% < 0.1%"),
        (2, None, "bob", "pager: latency"),
    ]
    assert all(isinstance(e, Event) and e.plan == "plan" for e in history)
    ats = [e.at for e in history]
    assert ats == sorted(ats)
    # Clocks may differ a little between the database server and this process.
    assert abs((ats[0] - before).total_seconds()) < 60
    assert history[-1].at == s3.started_at
    assert store.states() == {"plan": s3}


def test_plans_are_independent(make_store: StoreFactory) -> None:
    """Moving one plan leaves every other plan's state and history alone."""
    store = make_store()
    store.start("a", actor="x", reason="go")
    store.move("b", 3, actor="x", reason="jump")
    assert (store.phase("a"), store.phase("b")) == (0, 3)
    assert [e.to_phase for e in store.history("a")] == [0]
    assert [e.to_phase for e in store.history("b")] == [3]


def test_stale_expected_version_is_a_conflict(make_store: StoreFactory) -> None:
    """A move conditioned on a version someone else already moved past changes nothing."""
    store = make_store()
    seen = store.get("plan")
    store.start("plan", actor="alice", reason="start", expected_version=seen.version)
    with pytest.raises(StateConflict) as info:
        store.move("plan", 1, actor="bob", reason="late", expected_version=seen.version)
    assert (info.value.expected, info.value.actual) == (0, 1)
    assert "someone else moved it" in str(info.value)
    assert store.phase("plan") == 0
    assert len(store.history("plan")) == 1
    ok = store.move("plan", 1, actor="bob", reason="retry", expected_version=1)
    assert ok.version == 2


def test_moving_to_the_current_phase_records_nothing(make_store: StoreFactory) -> None:
    """Re-applying the live phase is idempotent: no new version, no audit event."""
    store = make_store()
    first = store.move("plan", 1, actor="a", reason="r")
    again = store.move("plan", 1, actor="a", reason="r again")
    assert again == first
    assert len(store.history("plan")) == 1


def test_stopping_a_plan_that_never_ran_is_recorded(make_store: StoreFactory) -> None:
    """An explicit stop of a never-started plan is a decision worth auditing (version 1)."""
    store = make_store()
    s = store.stop("plan", actor="ops", reason="freeze")
    assert (s.phase, s.version) == (None, 1)
    assert [(e.from_phase, e.to_phase) for e in store.history("plan")] == [(None, None)]


def test_another_worker_sees_a_move(make_store: StoreFactory) -> None:
    """A move made through one store instance is read by another (revalidation)."""
    a, b = make_store(), make_store()
    assert b.phase("plan") is None
    a.move("plan", 2, actor="a", reason="r")
    assert b.phase("plan") == 2
    assert b.get("plan").version == 1
    assert [e.to_phase for e in b.history("plan")] == [2]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("plan", -1), {"actor": "a", "reason": "r"}, "index >= 0"),
        (("plan", True), {"actor": "a", "reason": "r"}, "index >= 0"),
        (("plan", "two"), {"actor": "a", "reason": "r"}, "index >= 0"),
        (("plan", 1), {"actor": " ", "reason": "r"}, "needs an actor"),
        (("plan", 1), {"actor": "a", "reason": ""}, "needs a reason"),
        (("", 1), {"actor": "a", "reason": "r"}, "non-empty"),
    ],
)
def test_bad_moves_are_refused(
    make_store: StoreFactory, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    """A move without a valid phase, actor or reason never reaches the audit log."""
    store = make_store()
    with pytest.raises(StateStoreError, match=message):
        store.move(*args, **kwargs)
    assert store.states() == {}


# --------------------------------------------------------------------------
# Races between processes
# --------------------------------------------------------------------------


def _race(store: Any, barrier: Any, results: Any, expected: int, target: int) -> None:
    barrier.wait(timeout=30)
    try:
        store.move("plan", target, actor=f"worker-{target}", reason="race",
                   expected_version=expected)
        results.put(("ok", target))
    except StateConflict:
        results.put(("conflict", target))
    except BaseException as exc:  # reported to the parent, which fails the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def _run_race(store: Any, n: int) -> list[tuple[str, Any]]:
    seen = store.get("plan")
    barrier = _FORK.Barrier(n)
    results = _FORK.Queue()
    procs = [
        _FORK.Process(target=_race, args=(store, barrier, results, seen.version, i + 1))
        for i in range(n)
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return out


def test_racing_processes_exactly_one_move_wins(make_store: StoreFactory) -> None:
    """Processes moving the same plan from the same version at once: one wins, all others
    get StateConflict, and the audit log holds exactly the winner's move."""
    store = make_store()
    store.start("plan", actor="setup", reason="start")
    store.get("plan")  # the parent holds an open connection / warm cache before forking
    out = _run_race(store, 6)
    assert not [r for r in out if r[0] == "error"], out
    winners = [t for kind, t in out if kind == "ok"]
    assert len(winners) == 1, out
    assert sum(kind == "conflict" for kind, _ in out) == 5
    fresh = make_store()
    assert fresh.get("plan").phase == winners[0]
    assert fresh.get("plan").version == 2
    assert [e.actor for e in fresh.history("plan")] == ["setup", f"worker-{winners[0]}"]
    # The parent's own store still works after its children used theirs.
    assert store.phase("plan") == winners[0]


# --------------------------------------------------------------------------
# File store specifics
# --------------------------------------------------------------------------


def test_file_store_writes_atomically_and_leaves_no_temporaries(tmp_path: Path) -> None:
    """The state file is complete JSON after every move, replaced by rename (new inode)."""
    path = tmp_path / "state.json"
    store = FileStateStore(path)
    store.start("plan", actor="a", reason="r")
    inode = path.stat().st_ino
    store.move("plan", 1, actor="a", reason="r")
    assert path.stat().st_ino != inode
    doc = json.loads(path.read_text("utf-8"))
    assert doc["plans"]["plan"]["phase"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.lock"]


def test_file_store_rejects_a_corrupt_file(tmp_path: Path) -> None:
    """A damaged state file is an error, never silently "every plan off"."""
    path = tmp_path / "state.json"
    path.write_text("{not json", "utf-8")
    with pytest.raises(StateStoreError, match="not valid JSON"):
        FileStateStore(path).phase("plan")
    path.write_text('{"format": 99, "plans": {}}', "utf-8")
    with pytest.raises(StateStoreError, match="format 1"):
        FileStateStore(path).phase("plan")


def test_file_store_rereads_only_after_a_change(tmp_path: Path) -> None:
    """Reads parse the file once; a later external replacement is noticed by stat()."""
    path = tmp_path / "state.json"
    store = FileStateStore(path)
    FileStateStore(path).move("plan", 1, actor="a", reason="r")
    assert store.phase("plan") == 1
    doc_before = store._doc
    assert store.phase("plan") == 1
    assert store._doc is doc_before  # not re-parsed: nothing changed
    FileStateStore(path).move("plan", 2, actor="a", reason="r")
    assert store.phase("plan") == 2


def test_file_store_revalidation_interval(tmp_path: Path) -> None:
    """With revalidate_ms, reads inside the interval are served from memory."""
    path = tmp_path / "state.json"
    reader = FileStateStore(path, revalidate_ms=300)
    assert reader.phase("plan") is None
    FileStateStore(path).move("plan", 1, actor="a", reason="r")
    assert reader.phase("plan") is None
    time.sleep(0.35)
    assert reader.phase("plan") == 1


# --------------------------------------------------------------------------
# PostgreSQL store specifics
# --------------------------------------------------------------------------


def _backend_pid(store: PostgresStateStore) -> int:
    conn = store._conn
    assert conn is not None
    return int(conn.info.backend_pid)


def test_pg_reads_are_cached_between_revalidations(state_db: str) -> None:
    """Within revalidate_ms a worker serves its cache (no query); after it, it sees moves."""
    reader = PostgresStateStore(state_db, table="cache_t", revalidate_ms=300)
    writer = PostgresStateStore(state_db, table="cache_t", revalidate_ms=0)
    try:
        assert reader.phase("plan") is None
        writer.move("plan", 1, actor="a", reason="r")
        assert reader.phase("plan") is None  # still inside the interval
        time.sleep(0.35)
        assert reader.phase("plan") == 1
        # The writer's own move is visible to it at once.
        writer.move("plan", 2, actor="a", reason="r")
        assert writer.phase("plan") == 2
    finally:
        reader.close()
        writer.close()


def test_pg_serves_last_state_when_revalidation_fails(
    state_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A lost connection does not break requests: the last state is served, a warning logged,
    and the next read reconnects."""
    store = PostgresStateStore(state_db, table="lost_t", revalidate_ms=0)
    try:
        store.move("plan", 3, actor="a", reason="r")
        assert store.phase("plan") == 3
        victim = _backend_pid(store)
        with psycopg.connect(state_db, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (victim,))
        with caplog.at_level(logging.WARNING, logger="scrubphi.flags.state"):
            assert store.phase("plan") == 3
        assert "serving the last known state" in caplog.text
        assert store.phase("plan") == 3
        assert _backend_pid(store) != victim
    finally:
        store.close()


def test_pg_unreachable_without_cache_is_an_error() -> None:
    """A store that never read its state refuses to guess: StateStoreError, no DSN in it."""
    store = PostgresStateStore(
        "host=127.0.0.1 port=1 user=u password=hunter2 connect_timeout=2", revalidate_ms=0
    )
    with pytest.raises(StateStoreError, match="cannot connect") as info:
        store.phase("plan")
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in repr(store)


def test_pg_migrate_is_idempotent_and_honours_schema(state_db: str) -> None:
    """migrate() creates the tables in the given schema, and running it again is harmless."""
    store = PostgresStateStore(state_db, table="mig", schema="rollouts_audit")
    try:
        store.migrate()
        store.migrate()
        store.start("plan", actor="a", reason="r")
        with psycopg.connect(state_db, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'rollouts_audit' ORDER BY 1"
            ).fetchall()
            events = conn.execute(
                "SELECT count(*) FROM rollouts_audit.mig_events"
            ).fetchone()
        assert [r[0] for r in rows] == ["mig_events", "mig_generation", "mig_state"]
        assert events == (1,)
    finally:
        store.close()


def _migrate_child(dsn: str, barrier: Any, results: Any) -> None:
    store = PostgresStateStore(dsn, table="first_use")
    barrier.wait(timeout=30)
    try:
        results.put(("ok", store.phase("plan")))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        store.close()


def test_pg_first_use_from_many_processes_at_once(state_db: str) -> None:
    """Workers starting together all create-if-missing the tables without an error."""
    barrier = _FORK.Barrier(5)
    results = _FORK.Queue()
    procs = [
        _FORK.Process(target=_migrate_child, args=(state_db, barrier, results)) for _ in range(5)
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert out == [("ok", None)] * 5


def _fork_child(store: PostgresStateStore, results: Any) -> None:
    try:
        store._checked_at = float("-inf")
        phase = store.phase("plan")
        results.put(("ok", phase, _backend_pid(store)))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}", 0))


def test_pg_connection_is_not_shared_across_fork(state_db: str) -> None:
    """A child never talks on its parent's connection, and the parent's session survives
    the child's exit (no Terminate message sent on the shared socket)."""
    store = PostgresStateStore(state_db, table="fork_t", revalidate_ms=0)
    try:
        store.move("plan", 1, actor="a", reason="r")
        parent_pid = _backend_pid(store)
        results = _FORK.Queue()
        child = _FORK.Process(target=_fork_child, args=(store, results))
        child.start()
        kind, phase, child_backend = results.get(timeout=60)
        child.join(timeout=30)
        assert (kind, phase) == ("ok", 1)
        assert child_backend != parent_pid
        assert child.exitcode == 0
        # The parent's connection is the same session and still answers.
        assert store.phase("plan") == 1
        assert _backend_pid(store) == parent_pid
    finally:
        store.close()


def test_pg_history_survives_a_new_store(state_db: str) -> None:
    """The audit log is in the database, not in the process: a new store reads it whole."""
    table = "hist_t"
    first = PostgresStateStore(state_db, table=table)
    first.start("plan", actor="alice", reason="internal")
    first.move("plan", 1, actor="gate", reason="5%")
    first.close()
    second = PostgresStateStore(state_db, table=table)
    try:
        assert [(e.actor, e.to_phase) for e in second.history("plan")] == [
            ("alice", 0),
            ("gate", 1),
        ]
    finally:
        second.close()


# --------------------------------------------------------------------------
# Construction from settings
# --------------------------------------------------------------------------


def test_open_state_store_from_settings(tmp_path: Path, state_db: str) -> None:
    """The settings mapping picks the backend and passes options through."""
    file_store = open_state_store({"backend": "file", "path": str(tmp_path / "s.json")})
    assert isinstance(file_store, FileStateStore)
    pg_store = open_state_store({"backend": "postgres", "dsn": state_db, "revalidate_ms": 5})
    assert isinstance(pg_store, PostgresStateStore)
    with pytest.raises(StateStoreError, match="unknown state store backend"):
        open_state_store({"backend": "redis"})
    with pytest.raises(StateStoreError, match="needs a 'dsn'"):
        open_state_store({"backend": "postgres"})
    with pytest.raises(StateStoreError, match="unknown option"):
        open_state_store({"backend": "file", "path": "x", "colour": "blue"})
