"""The C allocator's settings for a process that streams one dump (glibc only).

Why: the scrubber reads and writes in chunks of 1 MiB, and glibc's malloc
serves blocks that large by ``mmap`` at first but, after the first such block
is freed, raises its mmap threshold to that size ("dynamic threshold") and
serves every later one from the heap. Chunks of slightly different sizes then
leave the heap fragmented, and the peak RSS keeps creeping up for the first
hundred thousand rows or so before it settles: on 2M rows of unique fakes it
ended 14% above the peak of 20k rows, when the codec's own state does not grow
at all (``benchmarks/unique_rss.py``). Pinning the threshold at glibc's
default of 128 KiB turns the dynamic adjustment off: large buffers are always
mapped and given back whole, and the same run ends within 9% (at no
measurable cost in speed: a few ``mmap`` calls per megabyte).

Only the ``scrubphi`` command calls this, for its own process; a library user
keeps their allocator as they set it. A user's own ``MALLOC_MMAP_THRESHOLD_``
(or ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``, ``MALLOC_MMAP_MAX_``, or a
``glibc.malloc`` tunable) wins: nothing is changed then.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["MMAP_THRESHOLD", "pin_mmap_threshold"]

#: glibc's default mmap threshold, kept fixed (no dynamic adjustment).
MMAP_THRESHOLD = 128 * 1024
_M_MMAP_THRESHOLD = -3  # malloc.h
#: glibc's variables that set the threshold or turn its dynamic adjustment off.
_USER_TUNING = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                "MALLOC_MMAP_MAX_")


def pin_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold for this process; whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    if any(name in os.environ for name in _USER_TUNING) or \
            "malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False  # the user tunes malloc themselves
    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
            return False  # musl or another C library: nothing to pin
        mallopt = libc.mallopt
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False
