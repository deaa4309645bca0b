"""Where each rollout stands: a state store shared by every worker of the app.

A staged rollout plan (``rollouts:`` in the policy) says *which* phases exist;
the state store says *which phase is live now*, since when, and how it got
there.  Every worker process of a web app reads it on (nearly) every request,
and an operator, a CLI or a rollout gate moves it.  Two implementations share
one API:

* :class:`PostgresStateStore` for any number of hosts: three small tables in the
  application's database.  A move is one transaction that locks the plan's
  row, so two workers moving the same plan at once cannot both succeed when
  they pass ``expected_version``.  Reads are served from an in-process cache
  that is revalidated with one single-row query at most every
  ``revalidate_ms`` milliseconds; there is no background thread.
* :class:`FileStateStore` for a single host: one JSON file replaced by atomic
  rename, moves serialised with ``fcntl.flock`` on a sidecar lock file, reads
  revalidated with one ``stat()``.

The history of moves is the audit log: who or what moved a plan, from which
phase to which, when and why.  A phase is an index into the plan's ``phases``
list (0 is the first phase); ``None`` means the plan is not running (never
started, or stopped: the flag is off).

Both stores are fork-safe: a PostgreSQL connection opened before ``fork()`` is
never used by the child (its socket is shared with the parent), and the child
opens its own.

Where each part is: the model every store shares (:class:`RolloutState`,
:class:`Event`, the :class:`StateStore` API, the errors) in
:mod:`~scrubphi.flags.state.model`; the backends in
:mod:`~scrubphi.flags.state.postgres` and :mod:`~scrubphi.flags.state.file`;
here, :func:`open_state_store`, which picks one from settings, and every
public name, importable from ``scrubphi.flags.state`` as before.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from scrubphi.flags.state.file import FileStateStore
from scrubphi.flags.state.model import (
    Event,
    RolloutState,
    StateConflict,
    StateStore,
    StateStoreError,
)
from scrubphi.flags.state.postgres import PostgresStateStore

__all__ = [
    "Event",
    "FileStateStore",
    "PostgresStateStore",
    "RolloutState",
    "StateConflict",
    "StateStore",
    "StateStoreError",
    "open_state_store",
]


def open_state_store(config: Mapping[str, Any]) -> StateStore:
    """A store from a settings mapping: ``{"backend": "postgres", "dsn": ...}`` or
    ``{"backend": "file", "path": ...}``; other keys are passed to the constructor
    (``revalidate_ms``, ``table``, ``schema``).
    """
    if not isinstance(config, Mapping):
        raise StateStoreError("the state store settings must be a mapping with a 'backend' key")
    options = dict(config)
    backend = options.pop("backend", None)
    try:
        if backend == "postgres":
            dsn = options.pop("dsn", None)
            if not isinstance(dsn, str) or not dsn:
                raise StateStoreError("the postgres state store needs a 'dsn'")
            return PostgresStateStore(dsn, **options)
        if backend == "file":
            path = options.pop("path", None)
            if not isinstance(path, str | os.PathLike) or not os.fspath(path):
                raise StateStoreError("the file state store needs a 'path'")
            return FileStateStore(path, **options)
    except TypeError as exc:
        raise StateStoreError(
            f"unknown option for the {backend} state store: {sorted(options)}"
        ) from exc
    raise StateStoreError(
        f"unknown state store backend {backend!r}: expected 'postgres' or 'file'"
    )
