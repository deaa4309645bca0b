"""The Django integration, through a real Django project (tests/djangoproject/).

Django is configured by ``djangoproject.settings.configure()`` (shared with
the admin tests), in the Django test modules only.  Requests go through
Django's test client and the real middleware stack; rollouts are moved in
the real PostgreSQL state store by "another worker" (a second store), and
the next request must follow.
"""

from __future__ import annotations

import asyncio
import unittest
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from djangoproject.settings import configure

configure()

from django.contrib.auth.models import User  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template import Context, Template, TemplateSyntaxError  # noqa: E402
from django.test import AsyncClient, Client, override_settings  # noqa: E402

from pg_fixtures import PgServer  # noqa: E402
from scrubphi.flags.django import conf, flag_is_active, flags_client  # noqa: E402
from scrubphi.flags.django.testing import FlagOverrides, override_flag  # noqa: E402
from scrubphi.flags.state import FileStateStore, PostgresStateStore  # noqa: E402

# The documented way to get the ``scrubphi_flags`` fixture (top-level conftest.py in an app).
pytest_plugins = ["scrubphi.flags.django.pytest_plugin"]

PLAN = "staged-release"
INTERNAL, FIVE, ALL = 0, 1, 2


@pytest.fixture(scope="module", autouse=True)
def django_db() -> None:
    """The project's tables (users, sessions) in a throwaway SQLite file."""
    call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture(scope="module")
def state_dsn(pg: PgServer) -> str:
    """A PostgreSQL database for the rollout state of this module's tests."""
    return pg.dsn(pg.create_database("flags_django"))


@pytest.fixture
def operator_store(state_dsn: str) -> Iterator[PostgresStateStore]:
    """The app reads a fresh PostgreSQL state store; the test moves plans through another one
    (as an operator's CLI or another worker would)."""
    table = f"dj_{uuid.uuid4().hex[:8]}"
    config = {"backend": "postgres", "dsn": state_dsn, "table": table, "revalidate_ms": 0}
    operator = PostgresStateStore(state_dsn, table=table)
    with override_settings(SCRUBPHI_STATE=config):
        yield operator
    operator.close()
    conf.reset()


def _user(email: str, *, staff: bool = False) -> Any:
    name = f"u{uuid.uuid4().hex[:10]}"
    return User.objects.create_user(username=name, email=email, password="x", is_staff=staff)


def _client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --------------------------------------------------------------------------
# Rollout phases from the PostgreSQL store drive views
# --------------------------------------------------------------------------


def test_rollout_phases_drive_flag_required(operator_store: PostgresStateStore) -> None:
    """Not started: 404 for all; internal phase: staff of the clinic only; all: everyone;
    stopped: nobody. Each move is seen by the very next request."""
    insider = _client_for(_user("ann@clinic.example"))
    outsider = _client_for(_user("bob@patients.example"))
    anonymous = _client_for(None)

    def codes() -> tuple[int, int, int]:
        return tuple(c.get("/schedule/").status_code for c in (insider, outsider, anonymous))

    assert codes() == (404, 404, 404)
    operator_store.start(PLAN, actor="alice", reason="internal users first")
    assert codes() == (200, 404, 404)
    operator_store.move(PLAN, ALL, actor="gate", reason="all gates passed")
    # Anonymous users have no userId: a userId-sticky plan never includes them.
    assert codes() == (200, 200, 404)
    operator_store.stop(PLAN, actor="bob", reason="incident")
    assert codes() == (404, 404, 404)


def test_five_percent_phase_matches_the_evaluator(operator_store: PostgresStateStore) -> None:
    """In a percentage phase a user is in exactly when the evaluator says so for the context
    the middleware built (userId = pk), and the cohort is stable across requests."""
    users = [_user(f"p{i}@patients.example") for i in range(30)]
    operator_store.move(PLAN, FIVE, actor="gate", reason="5%")
    client = flags_client()
    expected = [
        client.is_enabled("new-scheduling", {"userId": str(u.pk)}) for u in users
    ]
    got = [
        _client_for(u).get("/schedule/").status_code == 200 for u in users
    ]
    assert got == expected
    assert sum(got) < len(users)  # 5% of 30: not everybody


def test_negated_flag_and_class_based_view(operator_store: PostgresStateStore) -> None:
    """"!name" serves the legacy page only while the flag is off; method_decorator works."""
    insider = _client_for(_user("cy@clinic.example"))
    assert insider.get("/legacy/").status_code == 200
    assert insider.get("/schedule-cbv/").status_code == 404
    operator_store.start(PLAN, actor="a", reason="r")
    assert insider.get("/legacy/").status_code == 404
    response = insider.get("/schedule-cbv/")
    assert (response.status_code, response.content) == (200, b"class-based new scheduling")


def test_redirect_when_off() -> None:
    """redirect_to= sends visitors of a view whose flag is off to the named URL."""
    response = Client().get("/beta/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_async_views() -> None:
    """@flag_required also guards async views (served through ASGI)."""

    async def fetch() -> tuple[int, int]:
        client = AsyncClient()
        on = await client.get("/async/")
        off = await client.get("/async-off/")
        return on.status_code, off.status_code

    assert asyncio.run(fetch()) == (200, 404)


# --------------------------------------------------------------------------
# The context the middleware builds
# --------------------------------------------------------------------------


def test_context_from_user_session_address_and_hook() -> None:
    """userId is the pk, the session key is sessionId, REMOTE_ADDR is remoteAddress, user
    fields go to properties, and the settings hook adds the tenant."""
    user = _user("dee@clinic.example", staff=True)
    client = _client_for(user)
    response = client.get("/context/", REMOTE_ADDR="10.1.2.3", HTTP_X_TENANT="acme")
    ctx = response.json()
    assert ctx["userId"] == str(user.pk)
    assert ctx["sessionId"] == client.session.session_key
    assert ctx["remoteAddress"] == "10.1.2.3"
    assert ctx["properties"] == {
        "email": "dee@clinic.example",
        "username": user.username,
        "isStaff": "true",
        "isSuperuser": "false",
        "tenant": "acme",
    }


def test_anonymous_context_has_no_user() -> None:
    """An anonymous visitor without a session gets only the address (and hook fields)."""
    ctx = Client().get("/context/", REMOTE_ADDR="192.0.2.9").json()
    assert ctx == {"remoteAddress": "192.0.2.9", "properties": {}}


@pytest.mark.parametrize(
    ("name", "kwargs", "active"),
    [
        ("acme-only", {"HTTP_X_TENANT": "acme"}, True),
        ("acme-only", {"HTTP_X_TENANT": "globex"}, False),
        ("office-network", {"REMOTE_ADDR": "10.1.200.7"}, True),
        ("office-network", {"REMOTE_ADDR": "10.2.0.1"}, False),
        ("always-on", {}, True),
        ("kill-switch", {}, False),
        ("!kill-switch", {}, True),
        ("no-such-flag", {}, False),
    ],
)
def test_flag_is_active_sees_the_context(name: str, kwargs: dict[str, str], active: bool) -> None:
    """Flags constrained on the hook's field and on the address follow the request."""
    response = Client().get(f"/check/{name}/", **kwargs)
    assert response.json() == {"active": active, "again": active}


def test_user_properties_reach_constraints() -> None:
    """isStaff from request.user is a context property constraints can use."""
    assert _client_for(_user("e@x.example", staff=True)).get(
        "/check/staff-only/"
    ).json()["active"] is True
    assert _client_for(_user("f@x.example")).get("/check/staff-only/").json()["active"] is False


def test_answers_are_stable_within_a_request(operator_store: PostgresStateStore) -> None:
    """A flag asked twice in one request gives the same answer even if the rollout moves
    in between (no half-rendered feature)."""
    from django.test import RequestFactory

    from scrubphi.flags.django.middleware import FlagsMiddleware

    user = _user("gil@clinic.example")
    request = RequestFactory().get("/")
    request.user = user
    seen: list[bool] = []

    def view(req: Any) -> Any:
        seen.append(flag_is_active(req, "new-scheduling"))
        operator_store.start(PLAN, actor="a", reason="mid-request")
        seen.append(flag_is_active(req, "new-scheduling"))
        return None

    FlagsMiddleware(view)(request)
    assert seen == [False, False]
    again = RequestFactory().get("/")
    again.user = user
    assert flag_is_active(again, "new-scheduling") is True


def test_flag_is_active_without_a_request() -> None:
    """Background code (no request) evaluates with an empty context."""
    assert flag_is_active(None, "always-on") is True
    assert flag_is_active(None, "acme-only") is False


# --------------------------------------------------------------------------
# Template tags
# --------------------------------------------------------------------------


def test_template_tag_branches(operator_store: PostgresStateStore) -> None:
    """{% flag %} renders the true or the else branch, with literal, negated and variable
    names, and follows the rollout."""
    client = _client_for(_user("hal@clinic.example"))
    body = client.get("/page/").content.decode().strip()
    assert body == "[OLD][ON][NOKILL][DYN]"
    operator_store.start(PLAN, actor="a", reason="r")
    body = client.get("/page/?name=kill-switch").content.decode().strip()
    assert body == "[NEW][ON][NOKILL][NODYN]"


def test_template_tag_without_request_and_syntax_errors() -> None:
    """Without a request in the context the tag still works; a wrong call is a syntax error."""
    tpl = Template('{% load scrubphi_flags %}{% flag "always-on" %}yes{% endflag %}')
    assert tpl.render(Context({})) == "yes"
    with pytest.raises(TemplateSyntaxError, match="exactly one argument"):
        Template('{% load scrubphi_flags %}{% flag "a" "b" %}x{% endflag %}')
    with pytest.raises(TemplateSyntaxError):
        Template('{% load scrubphi_flags %}{% flag "a" %}x')


# --------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------


def test_override_flag_as_context_manager_nests_and_restores() -> None:
    """Overrides win over evaluation, stack when nested, and unwind in order."""
    client = Client()
    assert client.get("/schedule/").status_code == 404
    with override_flag("new-scheduling", active=True):
        assert client.get("/schedule/").status_code == 200
        assert client.get("/legacy/").status_code == 404
        with override_flag("new-scheduling", active=False):
            assert client.get("/schedule/").status_code == 404
        assert client.get("/schedule/").status_code == 200
    assert client.get("/schedule/").status_code == 404


@override_flag("kill-switch", active=True)
def test_override_flag_as_decorator() -> None:
    """@override_flag on a test function forces the flag for the whole test."""
    assert Client().get("/beta/").status_code == 200
    assert flag_is_active(None, "kill-switch") is True


def test_override_flag_decorator_undoes_itself() -> None:
    """After a decorated test (or function) the override is gone, even after an exception."""

    @override_flag("kill-switch", active=True)
    def boom() -> None:
        assert flag_is_active(None, "kill-switch")
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError):
        boom()
    assert flag_is_active(None, "kill-switch") is False

    @override_flag("always-on", active=False)
    async def coro() -> bool:
        await asyncio.sleep(0)
        return flag_is_active(None, "always-on")

    assert asyncio.run(coro()) is False
    assert flag_is_active(None, "always-on") is True


class _BaseCase(unittest.TestCase):
    seen: ClassVar[list[tuple[str, bool]]] = []

    def setUp(self) -> None:
        self.seen.append(("setUp", flag_is_active(None, "kill-switch")))

    def test_inherited(self) -> None:
        self.seen.append(("inherited", flag_is_active(None, "kill-switch")))


@override_flag("kill-switch", active=True)
class _DecoratedCase(_BaseCase):
    def test_own(self) -> None:
        self.seen.append(("own", flag_is_active(None, "kill-switch")))


def test_override_flag_on_a_testcase_class_covers_setup_and_inherited_tests() -> None:
    """As django-waffle's: the override holds in setUp() and in inherited test methods."""
    _BaseCase.seen.clear()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_DecoratedCase)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful() and result.testsRun == 2
    assert sorted(_BaseCase.seen) == [
        ("inherited", True),
        ("own", True),
        ("setUp", True),
        ("setUp", True),
    ]
    assert flag_is_active(None, "kill-switch") is False  # undone after each test
    _BaseCase.seen.clear()
    unittest.defaultTestLoader.loadTestsFromTestCase(_BaseCase).run(unittest.TestResult())
    assert _BaseCase.seen == [("setUp", False), ("inherited", False)]  # the base is untouched


@override_flag("kill-switch", active=True)
class TestOverrideOnAPytestClass:
    """On a plain pytest class the override spans setup_method to teardown_method."""

    def setup_method(self, method: Any) -> None:
        self.in_setup = flag_is_active(None, "kill-switch")

    def test_setup_and_test_see_it(self) -> None:
        assert self.in_setup is True
        assert flag_is_active(None, "kill-switch") is True


def test_override_flag_refuses_negation() -> None:
    """override_flag("!x") is ambiguous: refused with a message saying what to do."""
    with pytest.raises(ValueError, match="active=False"):
        override_flag("!kill-switch", active=True)


def test_pytest_fixture(scrubphi_flags: FlagOverrides) -> None:
    """The scrubphi_flags fixture forces flags for one test; later calls win."""
    scrubphi_flags.set("new-scheduling", True)
    assert Client().get("/schedule/").status_code == 200
    scrubphi_flags.set("new-scheduling", False)
    assert Client().get("/schedule/").status_code == 404
    scrubphi_flags.reset()
    assert conf.override_value("new-scheduling") is None


def test_overrides_do_not_leak_between_tests() -> None:
    """Runs after the fixture test above: nothing it forced is still forced."""
    assert conf._overrides == {}


# --------------------------------------------------------------------------
# Settings, checks, file store
# --------------------------------------------------------------------------


def test_file_state_store_backend(tmp_path: Path) -> None:
    """SCRUBPHI_STATE with the file backend drives the flags just as PostgreSQL does."""
    path = tmp_path / "rollouts.json"
    insider = _client_for(_user("ivy@clinic.example"))
    with override_settings(SCRUBPHI_STATE={"backend": "file", "path": str(path)}):
        assert insider.get("/schedule/").status_code == 404
        FileStateStore(path).start(PLAN, actor="ops", reason="go")
        assert insider.get("/schedule/").status_code == 200
    assert insider.get("/schedule/").status_code == 404


def test_system_checks_report_bad_settings(tmp_path: Path) -> None:
    """manage.py check catches a missing or broken policy and a malformed state setting."""
    assert [e.id for e in checks.run_checks() if e.id.startswith("scrubphi")] == []
    with override_settings(SCRUBPHI_POLICY=None):
        errors = [e for e in checks.run_checks() if e.id.startswith("scrubphi")]
        assert [e.id for e in errors] == ["scrubphi_flags.E001"]
        assert "SCRUBPHI_POLICY is not set" in errors[0].msg
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nflags:\n  x:\n    enabeld: true\n", "utf-8")
    with override_settings(SCRUBPHI_POLICY=str(bad)):
        errors = [e for e in checks.run_checks() if e.id.startswith("scrubphi")]
        assert [e.id for e in errors] == ["scrubphi_flags.E001"]
        assert "bad.yaml:4" in errors[0].msg
    with override_settings(SCRUBPHI_STATE={"backend": "redis"}):
        ids = [e.id for e in checks.run_checks() if e.id.startswith("scrubphi")]
        assert ids == ["scrubphi_flags.E002"]


def test_settings_changes_rebuild_the_client(tmp_path: Path) -> None:
    """override_settings of SCRUBPHI_POLICY takes effect (the cached client is dropped)."""
    other = tmp_path / "other.yaml"
    other.write_text("version: 1\nflags:\n  kill-switch:\n    enabled: true\n", "utf-8")
    assert flag_is_active(None, "kill-switch") is False
    with override_settings(SCRUBPHI_POLICY=[str(other)]):
        assert flag_is_active(None, "kill-switch") is True
    assert flag_is_active(None, "kill-switch") is False


def test_unreachable_state_store_serves_defaults_logs_once_and_recovers(
    pg: PgServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The state database is missing at start-up: pages answer (plans not running, flags off)
    instead of 500, the outage is logged once, and the first read that works restores the
    live phase without a restart."""
    import logging

    import psycopg
    from psycopg import sql

    name = f"late_{uuid.uuid4().hex[:10]}"
    config = {"backend": "postgres", "dsn": pg.dsn(name), "revalidate_ms": 0}
    staff = _client_for(_user("doc@clinic.example"))
    caplog.set_level(logging.WARNING, logger="scrubphi.flags.django")
    try:
        with override_settings(SCRUBPHI_STATE=config, SCRUBPHI_STATE_RETRY_MS=0):
            for _ in range(3):
                page = staff.get("/page/")
                assert page.status_code == 200
                assert page.content.decode().startswith("[OLD]")
            outage = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert len(outage) == 1 and "cannot be read" in outage[0].getMessage()
            assert pg.dsn(name) not in outage[0].getMessage()  # never the DSN

            with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            operator = PostgresStateStore(pg.dsn(name))
            operator.move(PLAN, INTERNAL, actor="ops", reason="database is back")
            operator.close()
            assert staff.get("/page/").content.decode().startswith("[NEW]")
            assert any("answers again" in r.getMessage() for r in caplog.records)
        conf.reset()
    finally:
        pg.drop_database(name)


def test_anonymous_visitors_are_bucketed_by_a_visitor_cookie_and_cohorts_nest(
    tmp_path: Path,
) -> None:
    """SCRUBPHI_VISITOR_COOKIE: every browser gets a random id; a plan sticky by visitorId
    lets anonymous visitors in at its percentages, the same browser always gets the same
    answer, and whoever is in at 10% is still in at 50%."""
    path = tmp_path / "rollouts.json"
    operator = FileStateStore(path)
    browsers = [Client() for _ in range(150)]
    with override_settings(
        SCRUBPHI_STATE={"backend": "file", "path": str(path)},
        SCRUBPHI_VISITOR_COOKIE="scrubphi_visitor",
    ):
        first = browsers[0].get("/check/visitor-beta/")
        cookie = first.cookies["scrubphi_visitor"]
        assert len(cookie.value) >= 16 and cookie["httponly"] and cookie["samesite"] == "Lax"
        assert "scrubphi_visitor" not in browsers[0].get("/check/visitor-beta/").cookies
        assert browsers[0].get("/context/").json()["properties"]["visitorId"] == cookie.value

        def cohort() -> set[int]:
            return {
                i for i, b in enumerate(browsers) if b.get("/check/visitor-beta/").json()["active"]
            }

        assert cohort() == set()  # plan not running
        operator.move("visitor-release", 0, actor="ops", reason="10%")
        ten = cohort()
        assert cohort() == ten  # sticky: the same browsers, request after request
        operator.move("visitor-release", 1, actor="ops", reason="50%")
        half = cohort()
        assert ten < half  # nested, and wider
        assert 3 <= len(ten) <= 30 and 50 <= len(half) <= 100
        operator.move("visitor-release", 2, actor="ops", reason="all")
        assert cohort() == set(range(len(browsers)))
    assert "scrubphi_visitor" not in Client().get("/check/visitor-beta/").cookies  # off by default


def test_unknown_flag_names_warn_once_at_run_time(caplog: pytest.LogCaptureFixture) -> None:
    """A misspelt name is off, as Unleash says, and logged once per process; a known flag
    that is off is not."""
    import logging

    caplog.set_level(logging.WARNING, logger="scrubphi.flags.django")
    for _ in range(3):
        assert flag_is_active(None, "new-schedulng") is False
        assert Client().get("/check/new-schedulng/").json()["active"] is False
        assert flag_is_active(None, "kill-switch") is False
    warnings = [r.getMessage() for r in caplog.records if "not defined" in r.getMessage()]
    assert len(warnings) == 1 and "'new-schedulng'" in warnings[0]


def test_manage_py_check_lists_unknown_flag_names_in_templates_and_code(tmp_path: Path) -> None:
    """scrubphi_flags.W001 names the file and line of every flag the policy does not define."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "home.html").write_text(
        '{% load scrubphi_flags %}\n{% flag "always-on" %}a{% endflag %}\n'
        '{% flag "!kil-switch" %}b{% endflag %}\n',
        encoding="utf-8",
    )
    code = tmp_path / "app"
    code.mkdir()
    (code / "views.py").write_text(
        "def view(request):\n"
        '    if flag_is_active(request, "new-schedulng"):\n'
        "        pass\n"
        '@flag_required("always-on")\n'
        "def other(request): ...\n",
        encoding="utf-8",
    )
    engine = {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(templates)],
        "APP_DIRS": True,
    }
    with override_settings(TEMPLATES=[engine], SCRUBPHI_CHECK_PATHS=[str(code)]):
        found = sorted(
            e.msg for e in checks.run_checks() if e.id == "scrubphi_flags.W001"
        )
    assert found == [
        f"{code / 'views.py'}:2: flag 'new-schedulng' is not defined in the flag policy "
        "(it is always off: a misspelling?)",
        f"{templates / 'home.html'}:3: flag 'kil-switch' is not defined in the flag policy "
        "(it is always off: a misspelling?)",
    ]


def test_runserver_autoreload_watches_the_policy(tmp_path: Path) -> None:
    """Django's own reloader, once started, watches SCRUBPHI_POLICY (a file, or a folder's
    YAML files), so flags.yaml edited under runserver restarts it."""
    from django.conf import settings
    from django.utils.autoreload import StatReloader, autoreload_started

    reloader = StatReloader()
    autoreload_started.send(sender=reloader)
    assert Path(settings.SCRUBPHI_POLICY).resolve() in set(reloader.watched_files())

    folder = tmp_path / "flags"
    (folder / "more").mkdir(parents=True)
    (folder / "flags.yaml").write_text("version: 1\n", encoding="utf-8")
    (folder / "more" / "extra.yml").write_text("version: 1\n", encoding="utf-8")
    with override_settings(SCRUBPHI_POLICY=str(folder)):
        reloader = StatReloader()
        autoreload_started.send(sender=reloader)
        watched = set(reloader.watched_files())
    assert {folder.resolve() / "flags.yaml", folder.resolve() / "more" / "extra.yml"} <= watched
