"""``manage.py flags list|eval|phase|export ...``: ``scrubphi flags`` with the project's settings.

The policy comes from ``SCRUBPHI_POLICY`` and the state store from
``SCRUBPHI_STATE``, so an operator on the app's host needs neither path nor
DSN on the command line::

    python manage.py flags list
    python manage.py flags eval new-scheduling --context userId=42
    python manage.py flags phase staged-release --set five --reason "3 days, no errors"
    python manage.py flags phase staged-release --history

Options, output and exit codes are those of ``scrubphi flags`` (docs/flags.md),
which runs in-process: the DSN never appears in a process listing.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Mapping
from typing import Any

import click
from django.conf import settings  # type: ignore[import-untyped]
from django.core.management.base import BaseCommand, CommandError  # type: ignore[import-untyped]

from scrubphi.flags.django import conf

__all__ = ["Command", "state_spec"]

_SUBCOMMANDS = ("list", "eval", "phase", "export")


def state_spec(config: Any) -> tuple[list[str], str | None]:
    """``SCRUBPHI_STATE`` as ``--state``/``--state-table`` arguments, and a problem if any."""
    if config is None:
        return [], None
    if not isinstance(config, Mapping):
        return [], "SCRUBPHI_STATE must be a mapping"
    backend = config.get("backend")
    if backend == "file" and config.get("path"):
        return ["--state", f"file:{config['path']}"], None
    if backend == "postgres" and config.get("dsn"):
        dsn = str(config["dsn"])
        spec = dsn if dsn.startswith(("postgresql://", "postgres://")) else f"postgres:{dsn}"
        table = config.get("table")
        return ["--state", spec, *(["--state-table", str(table)] if table else [])], None
    return [], (
        "SCRUBPHI_STATE must be {'backend': 'postgres', 'dsn': ...} "
        "or {'backend': 'file', 'path': ...}"
    )


class Command(BaseCommand):  # type: ignore[misc]
    help = "scrubphi flags (list, eval, phase, export) with SCRUBPHI_POLICY and SCRUBPHI_STATE."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("subcommand", choices=_SUBCOMMANDS)
        parser.add_argument("rest", nargs=argparse.REMAINDER, help="options of scrubphi flags")

    def run_from_argv(self, argv: list[str]) -> None:
        # Django's parser would take --help, --version or -v meant for scrubphi flags.
        if len(argv) > 2 and argv[2] in _SUBCOMMANDS:
            self._run(argv[2], argv[3:])
            return
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        self._run(options["subcommand"], list(options.get("rest") or []))

    def _run(self, subcommand: str, rest: list[str]) -> None:
        from scrubphi.cli.flags import flags

        if any(a in ("-p", "--policy", "-c", "--config", "--state") for a in rest):
            raise CommandError(
                "the policy and the state store come from the settings "
                "(SCRUBPHI_POLICY, SCRUBPHI_STATE)",
                returncode=2,
            )
        try:
            policies = conf.policy_paths()
        except conf.FlagsConfigurationError as exc:
            raise CommandError(str(exc), returncode=2) from None
        state, problem = state_spec(getattr(settings, "SCRUBPHI_STATE", None))
        if problem:
            raise CommandError(problem, returncode=2)
        args = [subcommand, *rest]
        if "-h" not in rest and "--help" not in rest:
            for policy in policies:
                args += ["-p", policy]
            args += state
        # The streams under Django's OutputWrapper, which would add a newline to every write.
        out = getattr(self.stdout, "_out", self.stdout)
        err = getattr(self.stderr, "_out", self.stderr)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                flags.main(args=args, prog_name="manage.py flags", standalone_mode=False)
            except click.exceptions.Exit as exc:
                if exc.exit_code:
                    sys.exit(exc.exit_code)
            except click.ClickException as exc:
                exc.show()
                sys.exit(exc.exit_code)
            except click.exceptions.Abort:
                sys.exit(130)
