"""Settings, the per-process flag client, request contexts and test overrides.

Settings (all read lazily, so ``override_settings`` in tests works):

``SCRUBPHI_POLICY``
    A path, or a list of paths, of policy files or folders (merged as by
    ``scrubphi check``).  Required.
``SCRUBPHI_STATE``
    Where the rollout plans stand: ``{"backend": "postgres", "dsn": ...}``
    or ``{"backend": "file", "path": ...}``, plus store options such as
    ``revalidate_ms``.  ``None`` (the default) means no store: every flag
    driven by a rollout plan is off.
``SCRUBPHI_CONTEXT_HOOK``
    Dotted path of a callable ``hook(request, context) -> dict | None`` that
    adds fields to the Unleash context built for a request (return a new
    dict, or change ``context`` in place and return None).
``SCRUBPHI_STATE_RETRY_MS``
    While the state store cannot be read, how often to ask it again
    (default 1000); meanwhile the last known phases are served (see
    :mod:`scrubphi.flags.django.fallback`).
``SCRUBPHI_APP_NAME`` / ``SCRUBPHI_ENVIRONMENT``
    The static ``appName`` and ``environment`` of every context (defaults
    ``"django"`` and ``"default"``).

The client is built once per process, on first use, never at import or in
``AppConfig.ready``: with a pre-forking server (gunicorn ``--preload``) each
worker then opens its own database connection.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.django.names import warn_if_unknown

if TYPE_CHECKING:
    from scrubphi.flags.evaluator import FlagClient
    from scrubphi.flags.state import StateStore

__all__ = [
    "RequestFlags",
    "build_context",
    "flag_is_active",
    "flag_variant",
    "get_client",
    "get_store",
    "override_value",
    "parse_flag_name",
    "reset",
]

REQUEST_ATTR = "scrubphi_flags"

_lock = threading.Lock()
_client: FlagClient | None = None
_store: StateStore | None = None
_store_built = False
_hook: tuple[str, Callable[..., Any]] | None = None


class FlagsConfigurationError(ScrubPhiError):
    """A ``SCRUBPHI_*`` setting is missing or malformed."""

    exit_code = 3


def _settings() -> Any:
    from django.conf import settings  # type: ignore[import-untyped]

    return settings


def policy_paths() -> list[str]:
    """``SCRUBPHI_POLICY`` as a list of paths; an error names what is missing."""
    value = getattr(_settings(), "SCRUBPHI_POLICY", None)
    if value is None:
        raise FlagsConfigurationError(
            "SCRUBPHI_POLICY is not set: give the path of the policy file (or a list of paths)"
        )
    paths = [value] if isinstance(value, str) or hasattr(value, "__fspath__") else value
    if not isinstance(paths, list | tuple) or not paths:
        raise FlagsConfigurationError("SCRUBPHI_POLICY must be a path or a non-empty list of paths")
    return [str(p) for p in paths]


def get_store() -> StateStore | None:
    """The rollout state store from ``SCRUBPHI_STATE`` (None when unset); one per process."""
    global _store, _store_built
    if _store_built:
        return _store
    with _lock:
        if not _store_built:
            from scrubphi.flags.state import open_state_store

            config = getattr(_settings(), "SCRUBPHI_STATE", None)
            if config is None:
                _store = None
            elif isinstance(config, Mapping):
                _store = open_state_store(config)
            else:
                raise FlagsConfigurationError(
                    "SCRUBPHI_STATE must be a mapping such as "
                    "{'backend': 'postgres', 'dsn': ...} or {'backend': 'file', 'path': ...}"
                )
            _store_built = True
        return _store


def get_client() -> FlagClient:
    """The process's flag client, built from ``SCRUBPHI_POLICY`` and the state store."""
    global _client
    client = _client
    if client is not None:
        return client
    store = get_store()
    with _lock:
        if _client is None:
            from scrubphi.flags.django.fallback import FallbackState
            from scrubphi.flags.evaluator import FlagClient
            from scrubphi.policy import load_policy

            settings = _settings()
            policy = load_policy(*policy_paths())
            retry_ms = float(getattr(settings, "SCRUBPHI_STATE_RETRY_MS", 1000))
            _client = FlagClient.from_policy(
                policy,
                state=None if store is None else FallbackState(store, retry_ms=retry_ms),
                app_name=str(getattr(settings, "SCRUBPHI_APP_NAME", "django")),
                environment=str(getattr(settings, "SCRUBPHI_ENVIRONMENT", "default")),
            )
        return _client


_known: tuple[Any, frozenset[str]] | None = None


def known_names(client: FlagClient) -> frozenset[str]:
    """The flags ``client`` knows (cached per client)."""
    global _known
    cached = _known
    if cached is None or cached[0] is not client:
        cached = (client, frozenset(client.feature_names()))
        _known = cached
    return cached[1]


def reset() -> None:
    """Forget the client, store and hook; the next use rebuilds them from the settings.

    Connected to Django's ``setting_changed`` signal for every ``SCRUBPHI_*``
    setting, so ``override_settings`` takes effect.
    """
    global _client, _store, _store_built, _hook
    with _lock:
        store = _store
        _client, _store, _store_built, _hook = None, None, False, None
    close = getattr(store, "close", None)
    if callable(close):
        close()


def _context_hook() -> Callable[..., Any] | None:
    global _hook
    path = getattr(_settings(), "SCRUBPHI_CONTEXT_HOOK", None)
    if not path:
        return None
    cached = _hook
    if cached is not None and cached[0] == path:
        return cached[1]
    if callable(path):
        func: Callable[..., Any] = path
        _hook = (path, func)
        return func
    from django.utils.module_loading import import_string  # type: ignore[import-untyped]

    try:
        func = import_string(str(path))
    except ImportError as exc:
        raise FlagsConfigurationError(
            f"SCRUBPHI_CONTEXT_HOOK {path!r} cannot be imported: {exc}"
        ) from exc
    _hook = (path, func)
    return func


def _prop(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_context(request: Any) -> dict[str, Any]:
    """The Unleash context of a request.

    ``userId`` is the user's primary key (as a string) for an authenticated
    user; ``properties`` hold ``email``, ``username``, ``isStaff`` and
    ``isSuperuser`` when the user model has them.  ``sessionId`` is the
    session key when the request has a saved session, and ``remoteAddress``
    is ``REMOTE_ADDR`` (behind a proxy, set it from the forwarded header in
    your own middleware or in the hook).  ``SCRUBPHI_CONTEXT_HOOK`` runs last.
    """
    context: dict[str, Any] = {}
    properties: dict[str, str] = {}
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        pk = getattr(user, "pk", None)
        if pk is not None:
            context["userId"] = str(pk)
        email = getattr(user, "email", None)
        if email:
            properties["email"] = str(email)
        get_username = getattr(user, "get_username", None)
        username = get_username() if callable(get_username) else None
        if username:
            properties["username"] = str(username)
        for attr, key in (("is_staff", "isStaff"), ("is_superuser", "isSuperuser")):
            if hasattr(user, attr):
                properties[key] = _prop(getattr(user, attr))
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None) if session is not None else None
    if session_key:
        context["sessionId"] = str(session_key)
    from scrubphi.flags.django.visitor import VISITOR_ATTR, VISITOR_PROPERTY

    visitor = getattr(request, VISITOR_ATTR, None)
    if visitor:
        properties[VISITOR_PROPERTY] = visitor
    meta = getattr(request, "META", None) or {}
    remote = meta.get("REMOTE_ADDR")
    if remote:
        context["remoteAddress"] = str(remote)
    context["properties"] = properties
    hook = _context_hook()
    if hook is not None:
        result = hook(request, context)
        if result is not None:
            if not isinstance(result, Mapping):
                raise FlagsConfigurationError(
                    "SCRUBPHI_CONTEXT_HOOK must return a mapping or None, "
                    f"not {type(result).__name__}"
                )
            context = dict(result)
    return context


class RequestFlags:
    """The flags of one request: its context, built once, and memoised answers.

    A flag asked twice during a request answers the same both times, even if
    a rollout moves in between, so a page never shows half of a feature.
    The middleware puts one on ``request.scrubphi_flags``.
    """

    __slots__ = ("_context", "_request", "_results", "_variants")

    def __init__(self, request: Any) -> None:
        self._request = request
        self._context: dict[str, Any] | None = None
        self._results: dict[str, bool] = {}
        self._variants: dict[str, dict[str, Any]] = {}

    @property
    def context(self) -> dict[str, Any]:
        """The Unleash context, built on first use (so requests without flags pay nothing)."""
        if self._context is None:
            self._context = build_context(self._request)
        return self._context

    def is_active(self, name: str) -> bool:
        """Whether ``name`` is on for this request (overrides first)."""
        forced = override_value(name)
        if forced is not None:
            return forced
        result = self._results.get(name)
        if result is None:
            client = get_client()
            result = client.is_enabled(name, self.context)
            self._results[name] = result
            if not result:
                warn_if_unknown(name, known_names(client))
        return result

    def variant(self, name: str) -> dict[str, Any]:
        """The variant of ``name`` for this request (an override forces on/off only)."""
        forced = override_value(name)
        if forced is False:
            return {"name": "disabled", "enabled": False, "feature_enabled": False}
        found = self._variants.get(name)
        if found is None:
            found = get_client().get_variant(name, self.context)
            self._variants[name] = found
        return found


def request_flags(request: Any) -> RequestFlags:
    """The request's :class:`RequestFlags`, created if the middleware did not run."""
    flags = getattr(request, REQUEST_ATTR, None)
    if not isinstance(flags, RequestFlags):
        flags = RequestFlags(request)
        with contextlib.suppress(AttributeError):  # exotic request objects
            setattr(request, REQUEST_ATTR, flags)
    return flags


def parse_flag_name(name: str) -> tuple[str, bool]:
    """``"!name"`` -> (``"name"``, True): the name and whether the answer is negated."""
    if not isinstance(name, str) or not name.lstrip("!"):
        raise ValueError("a flag name must be a non-empty string")
    negate = name.startswith("!")
    return (name[1:] if negate else name), negate


def flag_is_active(request: Any, name: str) -> bool:
    """Whether flag ``name`` is on for ``request``; ``"!name"`` gives the opposite.

    ``request`` may be None (management commands, Celery tasks): the flag is
    then evaluated with an empty context.  Overrides (:mod:`.testing`) win.
    """
    flag, negate = parse_flag_name(name)
    if request is None:
        forced = override_value(flag)
        if forced is not None:
            active = forced
        else:
            client = get_client()
            active = client.is_enabled(flag, {})
            if not active:
                warn_if_unknown(flag, known_names(client))
    else:
        active = request_flags(request).is_active(flag)
    return active != negate


def flag_variant(request: Any, name: str) -> dict[str, Any]:
    """The Unleash variant (``name``, ``enabled``, ``payload``?, ``feature_enabled``)."""
    if request is None:
        return get_client().get_variant(name, {})
    return request_flags(request).variant(name)


# --------------------------------------------------------------------------
# Overrides (used by scrubphi.flags.django.testing)
# --------------------------------------------------------------------------

# name -> stack of forced values; process-wide (not thread-local) so that a
# live-server test thread sees the override of the test that set it.
_overrides: dict[str, list[bool]] = {}
_overrides_lock = threading.Lock()


def override_value(name: str) -> bool | None:
    """The forced value of ``name``, or None when no override is active."""
    stack = _overrides.get(name)
    return stack[-1] if stack else None


def push_override(name: str, active: bool) -> None:
    """Force ``name`` to ``active`` until the matching :func:`pop_override`."""
    with _overrides_lock:
        _overrides.setdefault(name, []).append(bool(active))


def pop_override(name: str) -> None:
    """Undo the latest :func:`push_override` of ``name``."""
    with _overrides_lock:
        stack = _overrides.get(name)
        if stack:
            stack.pop()
            if not stack:
                del _overrides[name]
