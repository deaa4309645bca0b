"""The ``scrubphi`` command: a thin click shell over the library.

Exit codes (also in the README):

====  ==========================================================
0     success
1     unexpected internal error (a bug: please report it)
2     usage error (bad options)
3     policy error (the YAML is invalid, a secret is missing)
4     dump error (the input cannot be scrubbed safely)
5     coverage failure (the policy does not cover the dump)
6     input/output error (a file cannot be read or written, a broken pipe)
7     audit findings (``scrubphi audit --strict``)
130   interrupted (143 SIGTERM, 129 SIGHUP: the same cleanup)
====  ==========================================================
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import click

from .. import __version__, _impl, gcutil
from ..api import check_dump, load_schema, scrub_stream
from ..dump.rewriter import Progress
from ..dump.row_workers import auto_jobs
from ..dump.schema import Schema
from ..errors import CoverageError, PolicyError, ScrubPhiError
from ..policy import load_policy
from ..policy.model import Policy
from ..policy.secrets import is_secret_ref, resolve_secret
from ..transforms.redact.lookup import Lookup
from .signals import Terminated, exit_code, terminations_unwind
from .verbosity import _verbosity, _verbosity_options

__all__ = ["EXIT_CODES", "main"]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_POLICY = 3
EXIT_DUMP = 4
EXIT_COVERAGE = 5
EXIT_IO = 6
EXIT_FINDINGS = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    "ok": EXIT_OK,
    "internal": EXIT_INTERNAL,
    "usage": EXIT_USAGE,
    "policy": EXIT_POLICY,
    "dump": EXIT_DUMP,
    "coverage": EXIT_COVERAGE,
    "io": EXIT_IO,
    "findings": EXIT_FINDINGS,
    "interrupted": EXIT_INTERRUPTED,
}


def _version_text() -> str:
    from .. import _redact_impl  # only --version needs it at start-up

    codec = _impl.IMPLEMENTATION
    why = f" ({_impl.IMPORT_ERROR})" if codec == "pure" and _impl.IMPORT_ERROR else ""
    scan = _redact_impl.IMPLEMENTATION
    scan_why = (f" ({_redact_impl.IMPORT_ERROR})"
                if scan == "pure" and _redact_impl.IMPORT_ERROR else "")
    from ..report import keyed_derivation

    return (f"scrubphi {__version__}\ncodec: {codec}{why}\n"
            f"redact scan: {scan}{scan_why}\nkeyed derivation: {keyed_derivation()}\n"
            f"python: {sys.version.split()[0]}")


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(_version_text())
    ctx.exit(0)


def _fail(message: str, code: int) -> None:
    click.echo(f"scrubphi: error: {message}", err=True)
    sys.exit(code)


def _load(configs: tuple[str, ...]) -> Policy:
    if not configs:
        raise click.UsageError("give the policy: -c/--config FILE (a file or folder; may repeat)")
    return load_policy(*configs)


class _ProgressLine:
    """A one-line progress display on a terminal's stderr: counts and names only."""

    def __init__(self) -> None:
        self._last = 0.0
        self._shown = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < 0.25:
            return
        self._last = now
        rate = p.bytes_in / p.elapsed_s / 1e6 if p.elapsed_s > 0 else 0.0
        where = f", {p.table}" if p.table else ""
        line = f"{p.bytes_in / 1e6:,.1f} MB in, {p.rows:,} rows{where}, {rate:,.1f} MB/s"
        sys.stderr.write("\r\x1b[2K" + line[:200])
        sys.stderr.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


@contextlib.contextmanager
def _atomic_output(path: str | None) -> Iterator[BinaryIO]:
    """stdout, or a temporary file renamed over ``path`` only on success."""
    if path is None or path == "-":
        yield sys.stdout.buffer
        return
    target = Path(path)
    if target.is_dir():
        raise click.BadParameter(f"{path} is a directory", param_hint="-o/--output")
    directory = target.parent if str(target.parent) else Path(".")
    if target.exists() and not target.is_file():
        # a device or a pipe (e.g. /dev/null): no rename, write straight through
        with open(target, "wb") as fh:
            yield fh
        return
    import tempfile  # only output to a regular file needs it (~4 ms of start-up)

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=directory)
    except OSError as exc:  # named by the output asked for, not the temporary file's name
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _input(path: str | None) -> Iterator[BinaryIO]:
    if path is None or path == "-":
        yield sys.stdin.buffer
        return
    with open(path, "rb") as fh:
        yield fh


_config_option = click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="FILE",
    help="Policy file or folder (repeat to merge several).",
)


@contextlib.contextmanager
def _errors_to_exit_codes() -> Iterator[None]:
    """Map the library's errors to the documented exit codes (check, audit)."""
    try:
        yield
    except click.ClickException:
        raise  # a usage problem: the group prints it on one line, exit 2
    except PolicyError as exc:
        _fail(f"policy: {exc}", EXIT_POLICY)
    except ScrubPhiError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_IO)
    except Exception as exc:
        _internal(exc)


_schema_option = click.option(
    "--schema",
    "schema_path",
    metavar="FILE",
    help="The schema (pg_dump --schema-only) of a --data-only dump, which creates no "
    "table: without it such a dump is refused.",
)


def _load_schema(schema_path: str | None, policy: Policy) -> Schema | None:
    if schema_path is None:
        return None
    with open(schema_path, "rb") as fh:
        return load_schema(fh, policy)


def _jobs_value(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--jobs``: a count of worker processes, or ``auto``."""
    if value is None:
        return None
    if value.strip().lower() == "auto":
        return auto_jobs()
    try:
        jobs = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number of processes or 'auto'") from None
    if not 1 <= jobs <= 64:
        raise click.BadParameter(f"{jobs} is out of range: give 1 to 64, or 'auto'")
    return jobs


def _scrub_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "-c",
            "--config",
            "configs",
            multiple=True,
            metavar="FILE",
            help="Policy file or folder (repeat to merge several).",
        ),
        click.option(
            "-i",
            "--input",
            "input_path",
            metavar="DUMP",
            help="Plain-format pg_dump to read (default: stdin).",
        ),
        click.option(
            "-o",
            "--output",
            "output_path",
            metavar="FILE",
            help="Where to write the scrubbed dump, atomically (default: stdout).",
        ),
        click.option(
            "--key",
            "key_ref",
            metavar="env:NAME|file:PATH",
            help="Where the secret key is; overrides the policy's scrub.key "
            "(default env:SCRUBPHI_KEY).",
        ),
        click.option(
            "--report",
            "report_path",
            metavar="FILE",
            help="Write a JSON run report (counts and names, never values).",
        ),
        click.option(
            "--lookup",
            "lookup_path",
            metavar="FILE",
            help="A lookup made by `scrubphi lookup`: {redact: text} then replaces every "
            "value of the policy's name, street, town, phone and ID columns.",
        ),
        _schema_option,
        click.option(
            "-j",
            "--jobs",
            "jobs",
            metavar="N|auto",
            callback=_jobs_value,
            envvar="SCRUBPHI_JOBS",
            help="Worker processes for the rows of large tables (default 1; auto: the "
            "cores this process may use, at most 4). The output is the same.",
        ),
        click.option(
            "--progress/--no-progress",
            default=None,
            help="Progress line on stderr (default: when stderr is a terminal).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def resolve_key(policy: Policy, key_ref: str | None, *, required: bool = False) -> bytes | None:
    """The key named by ``--key`` or, when ``required``, the policy's ``scrub.key``."""
    if key_ref is not None:
        if not is_secret_ref(key_ref):
            raise click.BadParameter(
                "give where the key is, not the key itself: env:NAME or file:PATH",
                param_hint="--key",
            )
        return resolve_secret(key_ref, os.getcwd())
    if required and policy.scrub is not None:
        return resolve_secret(policy.scrub.key_ref, policy.scrub.base_dir)
    return None


def _run_scrub(
    configs: tuple[str, ...],
    input_path: str | None,
    output_path: str | None,
    key_ref: str | None,
    report_path: str | None,
    progress: bool | None,
    lookup_path: str | None,
    schema_path: str | None,
    jobs: int | None = None,
) -> None:
    gcutil.one_shot()  # this process scrubs one stream: freeze what the builds make
    try:
        policy = _load(configs)
        schema = _load_schema(schema_path, policy)
        key = resolve_key(policy, key_ref, required=lookup_path is not None)
        lookup = None
        if lookup_path is not None:
            assert key is not None
            lookup = Lookup.load(lookup_path, key)
        quiet = _verbosity() < 0
        show = (sys.stderr.isatty() and not quiet) if progress is None else progress
        line = _ProgressLine() if show else None
        report = None
        try:
            with _input(input_path) as src, _atomic_output(output_path) as dst:
                try:
                    report = scrub_stream(src, dst, policy, key=key, progress=line,
                                          lookup=lookup, schema=schema, jobs=jobs or 1)
                finally:
                    if line is not None:
                        line.done()
        except BaseException as exc:
            report = getattr(exc, "report", None)
            raise
        finally:
            if report_path and report is not None:
                Path(report_path).write_text(report.to_json(), encoding="utf-8")
        if report is not None and not quiet:
            _warn(report.warnings)
        if report is not None and _verbosity() > 0:
            click.echo(
                f"scrubphi: done: {len(report.tables)} table(s), {report.rows:,} rows, "
                f"{report.bytes_in:,} bytes in, {report.bytes_out:,} bytes out, "
                f"{report.duration_s:.2f}s, codec {report.codec}, scrubphi {report.version}",
                err=True,
            )
    except click.ClickException:
        raise
    except PolicyError as exc:
        _fail(f"policy: {exc}", EXIT_POLICY)
    except CoverageError as exc:
        _fail(str(exc), exc.exit_code)  # 5, or 3 when a transform cannot fit its column
    except ScrubPhiError as exc:
        _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        # the reader (psql) went away: point stdout at /dev/null so the interpreter's
        # final flush does not fail again, and say so on stderr
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        _fail("broken pipe: the program reading the output exited early", EXIT_IO)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_IO)
    except Terminated as exc:
        _fail(f"terminated by {exc}", exit_code(exc))
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        _internal(exc)


def _internal(exc: Exception) -> None:
    """A bug: name its type only, since an exception's text may quote a value."""
    if os.environ.get("SCRUBPHI_DEBUG"):
        raise exc
    _fail(
        f"internal error ({type(exc).__name__}); set SCRUBPHI_DEBUG=1 to see the traceback "
        "(it may quote data)",
        EXIT_INTERNAL,
    )


def _short_options_direct(parser: Any) -> Any:
    """Click's option parser, sending a short option (``-c``) straight to its handler.

    Click tries every option word as a long option first; for ``-c`` that fails
    by building a ``NoSuchOption`` error, whose message goes through gettext
    (a search for translation catalogues, the locale module) and whose
    spelling suggestions import difflib, only to be caught and dropped before
    the short option is handled.  A word that is no long option and does not
    start with a two-character prefix (``--``) ends up there anyway, so it goes
    there directly: the same outcome and errors, without that detour (about
    12M instructions of every start).  Unless click's internals are not the
    ones this knows (another click version), where the parser is left as it is.
    """
    process = getattr(parser, "_process_opts", None)
    match_short = getattr(parser, "_match_short_opt", None)
    long_opts = getattr(parser, "_long_opt", None)
    prefixes = getattr(parser, "_opt_prefixes", None)
    ctx = getattr(parser, "ctx", None)
    if process is None or match_short is None or not isinstance(long_opts, dict) or \
            not isinstance(prefixes, set) or ctx is None or ctx.token_normalize_func is not None:
        return parser

    def process_opts(arg: str, state: Any) -> None:
        if arg[:2] not in prefixes and arg.split("=", 1)[0] not in long_opts:
            match_short(arg, state)
        else:
            process(arg, state)

    parser._process_opts = process_opts
    return parser


class _Command(click.Command):
    """A command whose short options skip click's long-option detour."""

    def make_parser(self, ctx: click.Context) -> Any:
        return _short_options_direct(super().make_parser(ctx))


class _LazyGroup(click.Group):
    """A group whose other commands are imported only when used.

    The scrub pipeline starts in a fraction of the time when the deploy-side
    commands (and psycopg, which refresh needs) are not imported for it.
    """

    command_class = _Command

    def make_parser(self, ctx: click.Context) -> Any:
        return _short_options_direct(super().make_parser(ctx))

    #: command name -> "module:attribute"; each module documents its exit codes.
    LAZY: ClassVar[dict[str, str]] = {
        "flags": "scrubphi.cli.flags:flags",
        "gate": "scrubphi.cli.deploy:gate",
        "rollback-check": "scrubphi.cli.deploy:rollback_check",
        "rollback": "scrubphi.cli.rollback:rollback",
        "canary": "scrubphi.cli.canary:canary",
        "dashboard": "scrubphi.cli.dashboard:dashboard",
        "refresh": "scrubphi.cli.refresh:refresh_command",
        "parity": "scrubphi.cli.refresh:parity_command",
        "lookup": "scrubphi.cli.lookup:lookup_command",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None and (
            os.path.exists(name) or "/" in name or name.endswith((".sql", ".dump", ".gz"))
        ):
            raise click.UsageError(
                f"{name!r} is not a command; to scrub a dump file give it with -i "
                f"(scrubphi -c POLICY -i {name} -o OUT), or on stdin (< {name})", ctx)
        return super().resolve_command(ctx, args)

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """Click's main, with every usage problem on one line and exit code 2.

        Click would print the usage, a hint and the error on four lines; a
        wrong option in a cron job or a pipeline step reads better as one line
        in the log, in the same shape as every other scrubphi error.
        """
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            with terminations_unwind():  # SIGTERM, SIGHUP: cleaned up like Ctrl-C
                rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "scrubphi"
            message = " ".join(exc.format_message().split())
            click.echo(f"scrubphi: error: {message} (see '{where} --help')", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            code = exit_code(exc)
            why = "interrupted" if code == EXIT_INTERRUPTED else f"terminated by {exc.__context__}"
            click.echo(f"scrubphi: error: {why}", err=True)
            sys.exit(code)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.LAZY.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(
    cls=_LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and the active codec.",
)
@_verbosity_options
@_scrub_options
@click.pass_context
def main(ctx: click.Context, /, **options: Any) -> None:
    """Scrub PHI out of a plain-format pg_dump stream.

    \b
        pg_dump --no-owner prod | scrubphi --config phi_fields.yaml | psql staging

    Without a command, runs `scrub` with the options given.
    """
    given = {k: v for k, v in options.items() if v not in (None, ())}
    if ctx.invoked_subcommand is not None:
        if given:
            raise click.UsageError(
                f"put scrub options after the command: scrubphi {ctx.invoked_subcommand} ..."
            )
        return
    if not given:
        click.echo(ctx.get_help())
        ctx.exit(EXIT_USAGE)
    _run_scrub(**options)


@main.command()
@_verbosity_options
@_scrub_options
def scrub(**options: Any) -> None:
    """Scrub a dump from stdin (or -i) to stdout (or -o)."""
    _run_scrub(**options)


_policy_arguments = click.argument("policy_files", nargs=-1, metavar="[POLICY]...")


@main.command()
@_config_option
@_policy_arguments
@click.option(
    "--dump",
    "dump_path",
    metavar="DUMP",
    help="A plain-format dump (or - for stdin) whose schema the policy must cover.",
)
@_schema_option
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (keys that may collide, CHECKs over new values) as problems: "
    "exit 3 when there is any.",
)
@_verbosity_options
def check(configs: tuple[str, ...], policy_files: tuple[str, ...], dump_path: str | None,
          schema_path: str | None, strict: bool) -> None:
    """Validate the policy; with --dump, list what it does not cover.

    The policy is given with -c/--config or as arguments (files or folders,
    merged): `scrubphi check policy/` or `scrubphi check base.yaml phi.yaml`.
    Reads the dump's schema and data forms, writes nothing, and transforms no
    value. Exit 0 when covered, 5 when something is not, 3 when a transform
    cannot fit its column or would break a key (with --strict: or when
    anything is warned about).
    """
    with _errors_to_exit_codes():
        policy = _load(configs + policy_files)
        _check_sections(policy)
        scrub = policy.scrub
        tables = len(scrub.tables) if scrub is not None else 0
        quiet = _verbosity() < 0
        if not quiet:
            click.echo(
                f"policy OK: {len(policy.sources)} file(s), {tables} table rule(s), "
                f"sha256 {policy.digest[:16]}"
            )
        if dump_path is None:
            return
        schema = _load_schema(schema_path, policy)
        with _input(dump_path) as src:
            problems, report = check_dump(src, policy, schema=schema)
        seen = len({(t.database, t.table) for t in report.tables})
        if strict and report.warnings:
            problems = [*problems, *report.warnings]
            report.misfits += len(report.warnings)
        elif not quiet:
            _warn(report.warnings)
        if _verbosity() > 0:
            for t in report.tables:
                where = f"{t.database}:" if t.database else ""
                click.echo(f"  checked {where}{t.table}")
        if problems:
            click.echo(
                f"the policy does not {'fit' if report.misfits else 'cover'} the dump "
                f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):",
                err=True,
            )
            for problem in problems:
                click.echo(f"  - {problem}", err=True)
            # A transform that cannot work on its column is a policy error (3).
            sys.exit(EXIT_POLICY if report.misfits else EXIT_COVERAGE)
        if not quiet:
            click.echo(f"dump covered: {seen} table(s) with data checked")


def _warn(warnings: list[str]) -> None:
    """What may fail at the restore (names and transforms only), on stderr."""
    for warning in warnings:
        click.echo(f"scrubphi: warning: {warning}", err=True)


def _check_sections(policy: Policy) -> None:
    """Validate the flags, rollouts, rollback and canary sections too (each raises PolicyError)."""
    from scrubphi.canary.policy import canary_from_policy
    from scrubphi.flags.policy import compile_policy, rollout_plans
    from scrubphi.rollback import rules_from_policy

    sections = policy.other
    if "flags" in sections or "segments" in sections:
        compile_policy(policy)
    if "rollouts" in sections:
        rollout_plans(policy)
    if "rollback" in sections:
        rules_from_policy(policy)
    if "canary" in sections:
        canary_from_policy(policy)


@main.command()
@_config_option
@_policy_arguments
@click.option(
    "--dump",
    "dump_path",
    metavar="DUMP",
    help="A plain-format dump to audit against (default: stdin).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Exit 7 when there is any finding (for CI).")
@_verbosity_options
def audit(configs: tuple[str, ...], policy_files: tuple[str, ...], dump_path: str | None,
          as_json: bool, strict: bool) -> None:
    """Audit a policy against a dump: transforms, Safe Harbor coverage, residual PHI.

    Lists every table and column with its transform, which of the 18 HIPAA Safe
    Harbor identifier kinds the policy covers (and with which columns), kept
    columns that look like PHI (by name or date type), date-shifted columns
    (not Safe Harbor), and how many values of kept columns (all but numbers,
    booleans, binary data and times) look like names, street addresses, SSNs,
    phone numbers, emails or dates; findings the policy's
    audit.reviewed lists are reported with their reason instead of counted.
    The policy is given with -c/--config or as arguments. Counts and names
    only: no value is ever printed. Writes nothing. With -q only the count.
    """
    with _errors_to_exit_codes():
        policy = _load(configs + policy_files)
        from ..audit import audit_dump  # only this command needs it (start-up of the others)

        with _input(dump_path) as src:
            report = audit_dump(src, policy)
        if as_json:
            click.echo(report.to_json(), nl=False)
        elif _verbosity() < 0:
            click.echo(f"findings: {report.findings}")
        else:
            click.echo(report.to_text(), nl=False)
        if strict and report.findings:
            sys.exit(EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
