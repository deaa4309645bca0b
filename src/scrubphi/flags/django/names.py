"""Flag names the policy does not define: a warning at run time and from ``manage.py check``.

A misspelt flag name renders the off branch, which looks like a flag that is
simply off.  So the first evaluation of an unknown name in a process logs a
warning (once per name), and ``manage.py check`` reports every literal flag
name in templates (``{% flag "name" %}``) and code (``flag_is_active(request,
"name")``, ``flag_required("name")``, ``flag_variant(request, "name")``,
``override_flag("name", ...)``) that the policy does not define
(``scrubphi_flags.W001``).  Code is searched under ``SCRUBPHI_CHECK_PATHS``
(default: ``BASE_DIR``, else the package of ``ROOT_URLCONF``); templates in
every ``DIRS`` of the Django template engines and in the apps' ``templates``
folders.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["find_flag_names", "unknown_flag_warnings", "warn_if_unknown"]

_log = logging.getLogger("scrubphi.flags.django")
_warned: set[str] = set()
_warned_lock = threading.Lock()

_TEMPLATE_RE = re.compile(r"""\{%\s*flag\s+(["'])!?([^"'\s]+)\1""")
_CODE_RE = re.compile(
    r"""\b(?:flag_is_active|flag_variant)\(\s*[\w.\[\]"']+\s*,\s*(["'])!?([^"'\s]+)\1"""
    r"""|\b(?:flag_required|override_flag)\(\s*(["'])!?([^"'\s]+)\3"""
)


def warn_if_unknown(name: str, known: Iterable[str]) -> None:
    """Log once per process and name when ``name`` is not a flag of the policy."""
    if name in _warned or name in known:
        return
    with _warned_lock:
        if name in _warned:
            return
        _warned.add(name)
    _log.warning(
        "flag %r is not defined in the flag policy: it is off (check its spelling; "
        "manage.py check lists every unknown flag name in templates and code)",
        name,
    )


def _template_dirs() -> list[Path]:
    from django.template import engines  # type: ignore[import-untyped]
    from django.template.utils import get_app_template_dirs  # type: ignore[import-untyped]

    dirs: list[Path] = [Path(d) for d in get_app_template_dirs("templates")]
    for engine in engines.all():
        dirs.extend(Path(d) for d in getattr(engine, "dirs", []) or [])
    return dirs


def _code_dirs() -> list[Path]:
    import importlib.util

    from django.conf import settings  # type: ignore[import-untyped]

    configured = getattr(settings, "SCRUBPHI_CHECK_PATHS", None)
    if configured is not None:
        return [Path(p) for p in configured]
    base = getattr(settings, "BASE_DIR", None)
    if base is not None:
        return [Path(base)]
    urlconf = getattr(settings, "ROOT_URLCONF", None)
    if urlconf:
        spec = importlib.util.find_spec(str(urlconf).partition(".")[0])
        if spec is not None and spec.origin:
            return [Path(spec.origin).parent]
    return []


def find_flag_names(
    paths: Iterable[Path], pattern: re.Pattern[str], suffixes: tuple[str, ...]
) -> Iterator[tuple[Path, int, str]]:
    """(file, line, flag name) for every literal flag name under ``paths``."""
    seen: set[Path] = set()
    for root in paths:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix not in suffixes or path in seen or not path.is_file():
                continue
            if any(part in ("site-packages", "node_modules", ".git") for part in path.parts):
                continue
            seen.add(path)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for match in pattern.finditer(text):
                name = match.group(2) or match.group(4)
                yield path, text.count("\n", 0, match.start()) + 1, name


def unknown_flag_warnings(known: Iterable[str]) -> list[Any]:
    """``scrubphi_flags.W001`` for every flag name in templates or code that is not defined."""
    from django.core import checks  # type: ignore[import-untyped]

    names = set(known)
    found = [
        *find_flag_names(_template_dirs(), _TEMPLATE_RE, (".html", ".txt", ".xml")),
        *find_flag_names(_code_dirs(), _CODE_RE, (".py",)),
    ]
    return [
        checks.Warning(
            f"{path}:{line}: flag {name!r} is not defined in the flag policy "
            "(it is always off: a misspelling?)",
            id="scrubphi_flags.W001",
        )
        for path, line, name in found
        if name not in names
    ]
