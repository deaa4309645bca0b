"""The Django app: resets the flag client when settings change, and checks the settings."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig  # type: ignore[import-untyped]

__all__ = ["ScrubPhiFlagsConfig", "check_settings", "watch_policy"]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """System check: the policy loads and its flags compile; the state settings are valid.

    Runs with ``manage.py check`` (and before ``runserver``/``migrate``), so a
    broken policy is caught at deploy time rather than by the first request.
    It connects to no database.
    """
    from django.core import checks  # type: ignore[import-untyped]

    from scrubphi.errors import ScrubPhiError
    from scrubphi.flags.django import conf

    errors: list[Any] = []
    try:
        paths = conf.policy_paths()
        from scrubphi.flags.evaluator import FlagClient
        from scrubphi.policy import load_policy

        client = FlagClient.from_policy(load_policy(*paths))
    except (ScrubPhiError, OSError) as exc:
        errors.append(
            checks.Error(str(exc), hint="see docs/flags-django.md", id="scrubphi_flags.E001")
        )
    else:
        from scrubphi.flags.django.names import unknown_flag_warnings

        errors.extend(unknown_flag_warnings(client.feature_names()))
    from django.conf import settings  # type: ignore[import-untyped]

    state = getattr(settings, "SCRUBPHI_STATE", None)
    if state is not None:
        backend = state.get("backend") if isinstance(state, dict) else None
        needs = {"postgres": "dsn", "file": "path"}.get(str(backend))
        if needs is None or not state.get(needs):
            errors.append(
                checks.Error(
                    "SCRUBPHI_STATE must be {'backend': 'postgres', 'dsn': ...} "
                    "or {'backend': 'file', 'path': ...}",
                    id="scrubphi_flags.E002",
                )
            )
    return errors


def watch_policy(sender: Any, **kwargs: Any) -> None:
    """``runserver``'s autoreloader also watches the policy: editing flags.yaml restarts it.

    Connected to ``django.utils.autoreload.autoreload_started``; a file of
    ``SCRUBPHI_POLICY`` is watched as an extra file, a folder for every
    ``*.yaml``/``*.yml`` under it.
    """
    from pathlib import Path

    from scrubphi.flags.django import conf

    try:
        paths = conf.policy_paths()
    except conf.FlagsConfigurationError:
        return  # manage.py check reports it
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_dir():
            sender.watch_dir(path, "**/*.yaml")
            sender.watch_dir(path, "**/*.yml")
        else:
            sender.extra_files.add(path)


class ScrubPhiFlagsConfig(AppConfig):  # type: ignore[misc]
    """``INSTALLED_APPS += ["scrubphi.flags.django"]``."""

    name = "scrubphi.flags.django"
    label = "scrubphi_flags"
    verbose_name = "scrubphi feature flags"

    def ready(self) -> None:
        from django.core import checks
        from django.core.signals import setting_changed  # type: ignore[import-untyped]

        from scrubphi.flags.django import conf

        def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
            if setting.startswith("SCRUBPHI_"):
                conf.reset()

        # Held by the app config: the signal keeps only a weak reference.
        self._on_setting_changed = on_setting_changed
        setting_changed.connect(on_setting_changed)
        checks.register(check_settings)
        from django.utils.autoreload import autoreload_started  # type: ignore[import-untyped]

        autoreload_started.connect(watch_policy, dispatch_uid="scrubphi_flags_watch_policy")
