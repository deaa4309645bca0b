"""Reading JSON that someone else wrote: a document nested too deep is a parse error.

Why: ``json.loads`` recurses once per level of arrays and objects, so a document
of a few thousand ``[`` raises ``RecursionError``, which no ``except ValueError``
around a parse catches.  JSON reaches scrubphi from outside at many places (a
metrics server's answer, a load balancer's status page, the rollout state file,
the canary's state and run log, an nginx access log, a flag's payload): each
handles an unparsable document (a transient metrics error, a state store error,
a malformed log line...), and a document nested too deep is one of those, not an
internal error that ends the run or, in a deploy pipeline, escapes a gate's call.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["loads"]


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads``; a document nested too deeply to read raises ``JSONDecodeError``
    (a ``ValueError``) like any other unparsable document."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", "", 0) from None
