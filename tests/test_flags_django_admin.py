"""The admin page for flags and rollout plans, and ``manage.py flags``.

The admin page is driven end to end in a real browser: Debian's Chromium,
headless, through Selenium and chromium-driver (``scripts/install-test-services``
installs both; without them this test fails, it never skips).  The app runs in
a real threaded WSGI server on a loopback port with the real PostgreSQL state
store.  The other tests use Django's test client against the same project.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from djangoproject.settings import configure

configure()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.contrib.staticfiles.handlers import StaticFilesHandler  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from http_stub import running  # noqa: E402
from pg_fixtures import PgServer  # noqa: E402
from scrubphi.flags.django import conf  # noqa: E402
from scrubphi.flags.state import FileStateStore, PostgresStateStore  # noqa: E402

PLAN = "staged-release"
PAGE = "/admin/scrubphi_flags/flag/"
MOVE = "/admin/scrubphi_flags/flag/move/"


@pytest.fixture(scope="module", autouse=True)
def django_db() -> None:
    """Users, sessions and the flags app's permissions in the throwaway SQLite file."""
    call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture(scope="module")
def state_dsn(pg: PgServer) -> str:
    return pg.dsn(pg.create_database("flags_django_admin"))


@pytest.fixture
def store(state_dsn: str) -> Iterator[PostgresStateStore]:
    """The app's state store (a fresh table); the test reads it through a second store."""
    table = f"adm_{uuid.uuid4().hex[:8]}"
    config = {"backend": "postgres", "dsn": state_dsn, "table": table, "revalidate_ms": 0}
    reader = PostgresStateStore(state_dsn, table=table, revalidate_ms=0)
    with override_settings(SCRUBPHI_STATE=config):
        yield reader
    reader.close()
    conf.reset()


def _user(*perms: str, email: str = "ops@clinic.example", password: str = "pw") -> Any:
    user = User.objects.create_user(
        username=f"u{uuid.uuid4().hex[:8]}", email=email, password=password, is_staff=True
    )
    for codename in perms:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="scrubphi_flags", codename=codename)
        )
    return user


def _logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response: Any) -> list[str]:
    """The admin's messages on the page (as people read them, lower-cased: admin capitalises)."""
    items = re.findall(r'<ul class="messagelist">(.*?)</ul>', response.content.decode(), re.S)
    found = re.findall(r"<li[^>]*>(.*?)</li>", "".join(items), re.S)
    return [html.unescape(text).strip().lower() for text in found]


# --------------------------------------------------------------------------
# The page through Django's test client
# --------------------------------------------------------------------------


def test_page_shows_flags_plans_phase_share_history_and_exposures(
    store: PostgresStateStore,
) -> None:
    """Every flag with its plan; the plan's phase, share, since when, history and exposures."""
    store.move(PLAN, 1, actor="alice", reason="internal: 3 days, no errors")
    viewer = _user("view_flag")
    for _ in range(3):
        _logged_in(viewer).get("/page/")
    page = _logged_in(viewer).get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("new-scheduling", "always-on", "kill-switch", "acme-only", "staff-only"):
        assert f'id="flag-{name}"' in text
    assert 'data-phase="five"' in text
    assert "5% of users" in text and "segment internal" in text
    assert "alice" in text and "internal: 3 days, no errors" in text
    assert "five: on" in text  # exposures by phase, counted by this process
    assert "Read-only" in text and "move-form" not in text


def test_read_only_users_cannot_move_and_others_cannot_see(store: PostgresStateStore) -> None:
    """view_flag: read-only, a forged POST is refused; no permission: no page at all."""
    viewer = _user("view_flag")
    refused = _logged_in(viewer).post(
        MOVE, {"plan": PLAN, "phase": "all", "reason": "x", "expected_version": "0"}
    )
    assert refused.status_code == 403
    assert store.get(PLAN).version == 0
    assert _logged_in(_user()).get(PAGE).status_code == 403
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


def test_moves_are_checked_and_audited_like_the_cli(store: PostgresStateStore) -> None:
    """A reason is required, unknown phases and stale versions are refused, moves are audited."""
    mover = _user("move_rollout")
    client = _logged_in(mover)
    page = client.get(PAGE).content.decode()
    assert "move-form" in page and "Read-only" not in page

    def post(**data: str) -> Any:
        body = {"plan": PLAN, "expected_version": "0", **data}
        return client.post(MOVE, body, follow=True)

    assert "a reason is required" in " ".join(_messages(post(phase="internal", reason=" ")))
    assert "has no phase 'half'" in " ".join(_messages(post(phase="half", reason="r")))
    assert "unknown rollout plan" in " ".join(
        _messages(post(plan="nope", phase="internal", reason="r"))
    )
    assert store.get(PLAN).version == 0
    done = post(phase="internal", reason="staff first")
    assert f"{PLAN}: not running -> internal" in _messages(done)
    stale = post(phase="all", reason="too late", expected_version="0")
    assert "moved by someone else" in " ".join(_messages(stale))
    skipped = post(phase="all", reason="go", expected_version="1")
    assert "skipped five" in " ".join(_messages(skipped))
    stopped = post(stop="Stop plan", reason="incident 42", expected_version="2")
    assert f"{PLAN}: all -> stopped" in _messages(stopped)
    history = store.history(PLAN)
    assert [(e.to_phase, e.reason) for e in history] == [
        (0, "staff first"),
        (2, "go"),
        (None, "incident 42"),
    ]
    assert {e.actor for e in history} == {f"{mover.get_username()} (Django admin)"}
    assert "incident 42" in stopped.content.decode()


def test_admin_index_lists_the_page_for_viewers_only(store: PostgresStateStore) -> None:
    """The admin index links the page for users who may see it, and only for them."""
    index = _logged_in(_user("view_flag")).get("/admin/").content.decode().lower()
    assert "flags and rollout plans" in index and PAGE in index
    assert PAGE not in _logged_in(_user()).get("/admin/").content.decode()


# --------------------------------------------------------------------------
# manage.py flags
# --------------------------------------------------------------------------


def _manage(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("flags", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_manage_py_flags_list_eval_phase(tmp_path: Path) -> None:
    """The scrubphi flags commands with the project's policy and state store."""
    path = tmp_path / "rollouts.json"
    with override_settings(SCRUBPHI_STATE={"backend": "file", "path": str(path)}):
        code, out, _ = _manage("list")
        assert code == 0 and "new-scheduling" in out and "staged-release" in out
        code, out, _ = _manage("eval", "new-scheduling", "--context", "email=a@clinic.example")
        assert code == 0 and out.splitlines()[0] == "new-scheduling: off"
        code, out, _ = _manage(
            "phase", PLAN, "--set", "internal", "--reason", "staff first", "--actor", "bob"
        )
        assert code == 0 and "-> internal (version 1)" in out
        code, out, _ = _manage("eval", "new-scheduling", "--context", "email=a@clinic.example")
        assert out.splitlines()[0] == "new-scheduling: on"
        code, out, _ = _manage("phase", PLAN, "--history")
        assert "by bob: staff first" in out
        assert FileStateStore(str(path)).get(PLAN).phase == 0
        code, _, err = _manage("phase", PLAN, "--set", "half", "--reason", "r")
        assert code == 8 and "has no phase 'half'" in err
        code, _, err = _manage("phase", PLAN, "--set", "all")
        assert code == 2 and "--reason is required" in err
        with pytest.raises(CommandError, match="come from the settings") as refused:
            _manage("list", "--state", "file:/tmp/elsewhere.json")
        assert refused.value.returncode == 2
    conf.reset()


def test_manage_py_flags_phase_without_a_store_says_so() -> None:
    code, _, err = _manage("phase", PLAN)
    assert code == 2 and "--state is required" in err


# --------------------------------------------------------------------------
# End to end in a real browser
# --------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):  # type: ignore[misc]
    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _live_server() -> Iterator[str]:
    """The project in a threaded WSGI server on a free loopback port."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    try:
        with running(server, join_timeout=10):
            yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        connections.close_all()


@contextlib.contextmanager
def _browser() -> Iterator[Any]:
    """Debian's headless Chromium through chromium-driver; a clear failure without them."""
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail(
            "the admin page's browser test needs Debian's chromium and chromium-driver: "
            "run scripts/install-test-services"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1400",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    # Elements of the page a click leads to may appear late on a loaded machine.
    driver.implicitly_wait(20)
    try:
        yield driver
    finally:
        driver.quit()


def _text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "body").text)


def _submit(driver: Any, button: Any, needle: str) -> None:
    """Click a form's button and wait for the page the post leads to.

    While Chromium swaps documents, a lookup in the old one can fail as a stale
    element or as an inspector error ("Node with given id does not belong to the
    document"); both only mean the new page is not there yet. So: wait until the old
    page's root is gone, then until the new page shows `needle`.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old_root = driver.find_element(By.TAG_NAME, "html")
    button.click()

    def gone(_d: Any) -> bool:
        # (selenium's staleness_of knows only the stale-element error; on a loaded
        # machine the inspector error came first and failed the wait itself)
        try:
            old_root.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(driver, 60, poll_frequency=0.2).until(gone)

    def shown(d: Any) -> bool:
        try:
            return needle in _text(d).lower()
        except WebDriverException:
            return False

    WebDriverWait(driver, 60, poll_frequency=0.2).until(shown)


def test_in_a_browser_log_in_see_the_phase_move_it_and_the_app_changes(
    store: PostgresStateStore, tmp_path: Path
) -> None:
    """Log in, see the plan not running, move it with a reason, see the app page change;
    then stop it from the admin and see the page change back."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    operator = _user("move_rollout", password="s3cret-pw")
    with _live_server() as base, _browser() as driver:
        driver.get(f"{base}/page/")
        assert "[OLD]" in _text(driver)  # anonymous, plan not running

        driver.get(f"{base}/admin/login/?next={PAGE}")
        driver.find_element(By.ID, "id_username").send_keys(operator.get_username())
        driver.find_element(By.ID, "id_password").send_keys("s3cret-pw")
        _submit(driver, driver.find_element(By.CSS_SELECTOR, "input[type=submit]"), PLAN)
        plan = driver.find_element(By.ID, f"plan-{PLAN}")
        assert plan.find_element(By.CLASS_NAME, "current-phase").text == "not running"
        flag_row = driver.find_element(By.ID, "flag-new-scheduling")
        assert "not running" in flag_row.text

        driver.get(f"{base}/page/")
        assert "[OLD]" in _text(driver)  # the operator (staff email) before the move

        driver.get(f"{base}{PAGE}")
        plan = driver.find_element(By.ID, f"plan-{PLAN}")
        Select(plan.find_element(By.NAME, "phase")).select_by_value("internal")
        plan.find_element(By.NAME, "reason").send_keys("staff first, from the browser")
        _submit(driver, plan.find_element(By.NAME, "move"), f"{PLAN}: not running -> internal")
        plan = driver.find_element(By.ID, f"plan-{PLAN}")
        assert plan.find_element(By.CLASS_NAME, "current-phase").text == "internal"
        assert "segment internal" in driver.find_element(By.ID, "flag-new-scheduling").text
        history = plan.find_element(By.CLASS_NAME, "history").text
        assert "staff first, from the browser" in history
        assert f"{operator.get_username()} (Django admin)" in history
        driver.save_screenshot(str(tmp_path / "admin.png"))

        driver.get(f"{base}/page/")
        assert "[NEW]" in _text(driver)  # the same page, served by the app, changed its answer

        driver.get(f"{base}{PAGE}")
        plan = driver.find_element(By.ID, f"plan-{PLAN}")
        plan.find_element(By.NAME, "reason").send_keys("incident 42")
        _submit(driver, plan.find_element(By.NAME, "stop"), f"{PLAN}: internal -> stopped")
        driver.get(f"{base}/page/")
        assert "[OLD]" in _text(driver)
    assert [e.reason for e in store.history(PLAN)] == [
        "staff first, from the browser",
        "incident 42",
    ]


# --------------------------------------------------------------------------
# The documented settings, pasted into a new project
# --------------------------------------------------------------------------


def _docs_settings_block() -> str:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "flags-django.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(# settings\.py\n.*?)```", doc, re.S)
    assert len(blocks) == 1
    return str(blocks[0])


def test_docs_settings_block_runs_in_a_new_project(tmp_path: Path, pg: PgServer) -> None:
    """docs/flags-django.md's settings, appended to a fresh `startproject`: `manage.py check`
    passes and `manage.py flags` reads the policy and the PostgreSQL store it names."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "clinic", str(tmp_path)], check=True
    )
    settings_py = tmp_path / "clinic" / "settings.py"
    settings_py.write_text(
        settings_py.read_text("utf-8") + "\n" + _docs_settings_block(), encoding="utf-8"
    )
    (tmp_path / "flags").mkdir()
    shutil.copy(repo / "flags" / "flags.yaml", tmp_path / "flags" / "flags.yaml")
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "myapp" / "flags.py").write_text(
        "def add_context(request, context):\n    context['properties']['tenant'] = 'acme'\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DATABASE_URL": pg.dsn(pg.create_database("docs_project"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    check = manage("check")
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
    listed = manage("flags", "list")
    assert listed.returncode == 0, listed.stderr
    assert "new-scheduling" in listed.stdout and "not started" in listed.stdout
    moved = manage(
        "flags", "phase", "staged-release", "--set", "internal", "--reason", "from the docs"
    )
    assert moved.returncode == 0, moved.stderr
    assert "-> internal (version 1)" in moved.stdout
    assert env["DATABASE_URL"] not in moved.stdout + moved.stderr
