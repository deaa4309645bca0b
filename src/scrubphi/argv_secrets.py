"""Hide passwords of connection strings in this process's command line.

Why: ``scrubphi refresh --from postgresql://u:secret@prod/clinic`` puts the
password in ``/proc/PID/cmdline``, which ``ps`` shows to every user of the
machine for as long as the refresh runs. Python's ``sys.argv`` is a copy; the
kernel reads the original strings from the process's memory (between
``arg_start`` and ``arg_end`` of ``/proc/self/stat``), so overwriting them in
place is what hides them. The password is replaced by as many ``*`` (a
string can only get shorter in place, never longer); ``sys.argv`` keeps the
real values for the command to use.

The ``scrubphi`` command calls this as its package loads, before the heavier
imports, so the password shows only while the interpreter itself starts
(tens of milliseconds): ``PGPASSWORD``, ``PGPASSFILE`` or ``~/.pgpass`` keep
it off the command line altogether.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["hide_connection_passwords", "mask_passwords"]

# postgresql://user:PASSWORD@host/... (the userinfo part of a URI)
_URI_PASSWORD = re.compile(rb"(postgres(?:ql)?://[^:/@?\s]*:)([^@/?\s]*)(@)")
# ...?password=PASSWORD&... in a URI's query, and password=PASSWORD in key=value strings
_PARAM_PASSWORD = re.compile(rb"((?:^|[\s?&])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)")


def mask_passwords(arg: bytes) -> bytes:
    """``arg`` with every connection-string password replaced by ``*`` of its length."""

    def star(m: re.Match[bytes], group: int) -> bytes:
        parts = [m.group(i) for i in range(1, (m.lastindex or 0) + 1)]
        parts[group - 1] = b"*" * len(parts[group - 1])
        return b"".join(parts)

    arg = _URI_PASSWORD.sub(lambda m: star(m, 2), arg)
    return _PARAM_PASSWORD.sub(lambda m: star(m, 2), arg)


def hide_connection_passwords() -> bool:
    """Overwrite the passwords in ``/proc/self/cmdline``; True when something was hidden.

    Linux only; elsewhere (or when ``/proc`` is not readable) nothing happens.
    """
    try:
        stat = Path("/proc/self/stat").read_text(encoding="ascii", errors="replace")
        # Fields after the command name in parentheses; arg_start and arg_end are
        # fields 48 and 49 of proc(5), i.e. positions 45 and 46 after it.
        fields = stat[stat.rindex(")") + 2 :].split()
        start, end = int(fields[45]), int(fields[46])
        current = Path("/proc/self/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return False
    if end <= start or len(current) != end - start:
        return False  # the area was moved (e.g. by prctl): leave it alone
    masked = b"\0".join(mask_passwords(part) for part in current.split(b"\0"))
    if masked == current:
        return False
    import ctypes  # only when there is a password to hide (2 ms of every start otherwise)

    ctypes.memmove(start, masked, len(masked))
    return True
