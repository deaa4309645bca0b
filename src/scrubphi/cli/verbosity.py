"""``-q/--quiet`` and ``-v/--verbose``: one setting for every command, given before or after it.

``scrubphi -q refresh ...`` and ``scrubphi refresh -q ...`` both set it on the
root context; each command reads it with :func:`_verbosity`: -1 (quiet: errors
only, the exit code says the rest), 0 (the default), 1 or more (say more).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

__all__ = ["_verbosity", "_verbosity_options"]


def _verbosity(ctx: click.Context | None = None) -> int:
    """-1 with -q, 0 by default, 1 or more with -v (set on the group or the command)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return 0
    return int(ctx.find_root().meta.get(_VERBOSITY, 0))


_VERBOSITY = "scrubphi.verbosity"


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[_VERBOSITY] = -1


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    if value and ctx.find_root().meta.get(_VERBOSITY, 0) >= 0:
        ctx.find_root().meta[_VERBOSITY] = value


def _verbosity_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-q/--quiet`` and ``-v/--verbose``, accepted before or after the command."""
    func = click.option("-v", "--verbose", count=True, expose_value=False,
                        callback=_set_verbose,
                        help="Say more: a summary of the run on stderr.")(func)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set_quiet,
                        help="Errors only: no progress line, no summary lines.")(func)
