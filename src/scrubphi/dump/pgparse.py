"""PostgreSQL's parser (pglast's libpg_query), without pglast's AST classes at start-up.

Why: the dump's CREATE TABLE, COPY, SET and other statements are parsed with
:func:`pglast.parser.parse_sql_json` into plain JSON (dicts and lists), which
needs none of pglast's Python AST classes (``pglast.ast``) or enumerations
(``pglast.enums``).  Yet importing ``pglast.parser`` runs ``pglast/__init__``
(``from . import enums``) and the extension's own ``from . import ast, enums``:
a few hundred enum and node classes built at every start, about 150M
instructions, the biggest single piece of the ``scrubphi`` command's start-up.

So when pglast is not imported yet, those two modules are put in
``sys.modules`` as *deferred* modules: real module objects with their spec,
file and package path, whose code runs (once, into the same module object)
on the first access to any attribute the module does not have yet, such as
``pglast.enums.ConstrType`` or a node class that :func:`pglast.parse_sql`
builds.  Whoever uses them later in the same process (a library user's own
pglast code) sees them load then, with the same contents; nothing here ever
touches them.  When pglast was imported before, it is used as it is.
"""

from __future__ import annotations

import json
import sys
import threading
import types
from importlib.machinery import ModuleSpec, PathFinder
from importlib.util import module_from_spec
from typing import Any

__all__ = ["ParseError", "parse_statements"]

_LOCK = threading.RLock()


class _Deferred(types.ModuleType):
    """A module whose code runs on the first access to a name it does not have yet."""

    def _load(self) -> None:
        with _LOCK:
            if type(self) is not _Deferred:  # another thread loaded it meanwhile
                return
            spec = self.__spec__
            assert spec is not None and spec.loader is not None
            module: types.ModuleType = self
            module.__class__ = types.ModuleType
            try:
                spec.loader.exec_module(module)
            except BaseException:
                module.__class__ = _Deferred
                raise

    def __getattr__(self, name: str) -> Any:
        self._load()
        return getattr(self, name)

    def __dir__(self) -> list[str]:
        self._load()
        return dir(self)


def _defer(name: str, locations: list[str] | None) -> bool:
    spec = PathFinder.find_spec(name, locations)
    if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
        return False
    module = module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module
    return True


def _parser_module() -> Any:
    """``pglast.parser``, imported with ``pglast.ast`` and ``pglast.enums`` deferred."""
    if "pglast" not in sys.modules:
        with _LOCK:
            if "pglast" not in sys.modules:
                top: ModuleSpec | None = PathFinder.find_spec("pglast")
                locations = top.submodule_search_locations if top is not None else None
                if locations is not None:
                    deferred = [name for name in ("pglast.enums", "pglast.ast")
                                if name not in sys.modules
                                and _defer(name, list(locations))]
                    try:
                        import pglast.parser
                    except BaseException:
                        for name in deferred:  # leave no half-made package behind
                            sys.modules.pop(name, None)
                        raise
                    package = sys.modules["pglast"]
                    for name in deferred:
                        # what an import of the submodule does: the package names it
                        child = name.rpartition(".")[2]
                        if child not in vars(package):
                            setattr(package, child, sys.modules[name])
    import pglast.parser

    return pglast.parser


_parser = _parser_module()
ParseError: type[Exception] = _parser.ParseError
_parse_sql_json = _parser.parse_sql_json


def parse_statements(sql: str) -> list[tuple[str, dict[str, Any]]]:
    """Each statement of ``sql`` as (node name, fields), e.g. ``("CreateStmt", {...})``.

    The fields are libpg_query's JSON: a field that is NULL, false, zero or an
    empty list is absent; enumerations are their names (``"CONSTR_NOTNULL"``);
    a field that may hold any node is ``{"NodeName": {...}}``.  Raises
    :class:`ParseError` for SQL PostgreSQL's parser refuses.
    """
    tree = json.loads(_parse_sql_json(sql))
    out = []
    for raw in tree.get("stmts") or ():
        ((kind, fields),) = raw["stmt"].items()
        out.append((kind, fields))
    return out
