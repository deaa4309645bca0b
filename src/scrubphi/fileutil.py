"""Writing files so that a reader sees the old content or the new, never a mix."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, prefix: str | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename.

    The temporary file lies in the same folder (so the rename is atomic) and is
    removed if anything fails; the folder is fsynced after the rename so the
    new name survives a crash. Raises OSError.
    """
    import tempfile  # only a write needs it (shutil and random with it: ~4 ms of start-up)

    directory = path.parent
    fd, tmp = tempfile.mkstemp(
        prefix=prefix if prefix is not None else f".{path.name}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
