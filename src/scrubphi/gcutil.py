"""The cyclic garbage collector, paused while long-lived structures are built.

Why: building a policy's transforms allocates millions of container objects
that live for the whole run (the redactor's word sets, compiled patterns,
name pools, kernels). Each allocation burst triggers collections that walk
the ever larger young generations again: on the EHR example's 50 MB dump the
collector took 0.44 s of a 1.8 s run, all of it while building. Nothing built
there is garbage worth collecting early, so the collector waits until the
build is over; what did become garbage is collected later as usual.

A one-shot process (the ``scrubphi`` command) also *freezes* what was built
(:func:`gc.freeze`): the collector then never walks those objects again,
which saves another 0.13 s on the same run. Long-lived processes that scrub
many streams (a refresh worker, a library user) must not freeze: objects
of one run that become garbage later would never be freed, so freezing is
off unless :func:`one_shot` was called.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused", "one_shot"]

_FREEZE = False


def one_shot() -> None:
    """This process scrubs one stream and exits: freeze what each build makes."""
    global _FREEZE
    _FREEZE = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block (nesting is fine)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _FREEZE:
            gc.freeze()
        if was:
            gc.enable()
