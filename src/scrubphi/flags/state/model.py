"""The rollout state's model: what a store holds, what every store answers, and their errors.

A staged rollout plan (``rollouts:`` in the policy) says *which* phases exist;
the state says *which phase is live now* (:class:`RolloutState`), since when,
and how it got there (:class:`Event`, the audit log).  :class:`StateStore` is
the API the flag evaluator, the CLI and the rollout gates use; the backends
(:mod:`~scrubphi.flags.state.postgres`, :mod:`~scrubphi.flags.state.file`)
implement it on top of :class:`MoveMixin`, which holds what they share (reads
from a revalidated cache, ``start``/``stop`` as moves, argument checks), and
register with :func:`watch_forks` to drop what a forked child must not use.

Why apart from the backends: the model is what callers program against, and
it is the same whichever store holds the state.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from scrubphi.errors import ScrubPhiError

__all__ = [
    "NO_STATE_VERSION",
    "Event",
    "ForkAware",
    "MoveMixin",
    "RolloutState",
    "StateConflict",
    "StateStore",
    "StateStoreError",
    "check_move_args",
    "check_plan",
    "never_moved",
    "watch_forks",
]

NO_STATE_VERSION = 0


class StateStoreError(ScrubPhiError):
    """The state store cannot be read or written (database down, corrupt file, bad argument)."""

    exit_code = 6


class StateConflict(StateStoreError):
    """A move lost a race: the plan's version is no longer the one the caller saw.

    Re-read the state (:meth:`StateStore.get`), decide again, and retry with
    the new ``expected_version`` if the move still makes sense.
    """

    def __init__(self, plan: str, expected: int, actual: int) -> None:
        self.plan = plan
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"rollout {plan!r} is at version {actual}, not the expected {expected}: "
            "someone else moved it; re-read the state and decide again"
        )


@dataclass(frozen=True)
class RolloutState:
    """Where one plan stands now.

    ``phase`` is the index of the live phase, or None when the plan is not
    running.  ``started_at`` is when the current phase (or the stop) began,
    None for a plan that was never moved.  ``version`` counts the moves of
    this plan (0 for a plan never moved); pass it back as ``expected_version``
    to make a move conditional on nobody else having moved it since.
    """

    plan: str
    phase: int | None
    started_at: datetime | None
    version: int

    @property
    def running(self) -> bool:
        """True when a phase is live (the flag follows the plan)."""
        return self.phase is not None


@dataclass(frozen=True)
class Event:
    """One move in the audit log of a plan."""

    plan: str
    from_phase: int | None
    to_phase: int | None
    at: datetime
    actor: str
    reason: str


@runtime_checkable
class StateStore(Protocol):
    """What the flag evaluator, the CLI and the rollout gates need from a store."""

    def phase(self, plan: str) -> int | None:
        """The live phase of ``plan`` (None: not running); cheap enough for every request."""
        ...

    def get(self, plan: str) -> RolloutState:
        """The full current state of ``plan``."""
        ...

    def states(self) -> dict[str, RolloutState]:
        """Every plan the store knows, by name."""
        ...

    def history(self, plan: str) -> list[Event]:
        """Every move of ``plan``, oldest first: the audit log."""
        ...

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:
        """Move ``plan`` to ``to_phase`` (None stops it) in one atomic step."""
        ...

    def start(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Move ``plan`` to its first phase (0)."""
        ...

    def stop(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Stop ``plan``: no phase is live and the flag is off."""
        ...


# --------------------------------------------------------------------------
# What the backends share
# --------------------------------------------------------------------------


def check_move_args(plan: str, to_phase: int | None, actor: str, reason: str) -> None:
    """Refuse a move whose plan, phase, actor or reason is missing or malformed."""
    if not isinstance(plan, str) or not plan:
        raise StateStoreError("a plan name must be a non-empty string")
    if to_phase is not None and (
        isinstance(to_phase, bool) or not isinstance(to_phase, int) or to_phase < 0
    ):
        raise StateStoreError(
            f"rollout {plan!r}: a phase is an index >= 0 into the plan's phases, or None to stop"
        )
    if not isinstance(actor, str) or not actor.strip():
        raise StateStoreError(f"rollout {plan!r}: a move needs an actor (who or what moves it)")
    if not isinstance(reason, str) or not reason.strip():
        raise StateStoreError(f"rollout {plan!r}: a move needs a reason (it is the audit log)")


def check_plan(plan: str) -> None:
    """Refuse a plan name that is not a non-empty string."""
    if not isinstance(plan, str) or not plan:
        raise StateStoreError("a plan name must be a non-empty string")


def never_moved(plan: str) -> RolloutState:
    """The state of a plan no store has a record of: version 0, not running."""
    return RolloutState(plan=plan, phase=None, started_at=None, version=NO_STATE_VERSION)


class MoveMixin:
    """What both stores share: reads from their cache, ``start``/``stop`` via ``move``.

    A store provides ``_fresh()`` (every moved plan's state, revalidated as the
    store does it) and ``move``; the rest is the same for all stores.
    """

    def _fresh(self) -> dict[str, RolloutState]:  # pragma: no cover - overridden
        raise NotImplementedError

    def phase(self, plan: str) -> int | None:
        """The live phase of ``plan``, from the store's revalidated cache."""
        state = self._fresh().get(plan)
        return None if state is None else state.phase

    def get(self, plan: str) -> RolloutState:
        """The current state of ``plan`` (version 0 and no phase if never moved)."""
        check_plan(plan)
        state = self._fresh().get(plan)
        return never_moved(plan) if state is None else state

    def states(self) -> dict[str, RolloutState]:
        """Every plan that was ever moved, by name."""
        return dict(self._fresh())

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Move ``plan`` to its first phase (0)."""
        return self.move(plan, 0, actor=actor, reason=reason, expected_version=expected_version)

    def stop(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Stop ``plan``: no phase is live and the flag is off."""
        return self.move(
            plan, None, actor=actor, reason=reason, expected_version=expected_version
        )


# Stores that must drop inherited resources in a forked child.
_FORK_WATCH: weakref.WeakSet[ForkAware] = weakref.WeakSet()


class ForkAware:
    """A store that holds something a forked child must not use (see :func:`watch_forks`)."""

    def _after_fork_in_child(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def watch_forks(store: ForkAware) -> None:
    """Have ``store._after_fork_in_child()`` called in every child forked from now on."""
    _FORK_WATCH.add(store)


def _after_fork_in_child() -> None:
    for store in list(_FORK_WATCH):
        with contextlib.suppress(Exception):
            store._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)
