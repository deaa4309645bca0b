"""Secret references: ``env:NAME`` and ``file:PATH``, never literals.

A policy is code that lives in a repository and is read in reviews, so the
key behind every keyed transform must not be written in it.  The policy
names where the key is; :func:`resolve_secret` fetches it only when a run
needs it, so ``scrubphi check`` works without the key.

No message raised here ever contains the secret (or the literal that was
written where a reference belongs): only the variable name or file path.
"""

from __future__ import annotations

import os
import re

from scrubphi.errors import PolicyError
from scrubphi.policy.model import Location

__all__ = [
    "LITERAL_SECRET_HELP",
    "MIN_KEY_BYTES",
    "MIN_KEY_SYMBOLS",
    "check_secret_ref",
    "is_secret_ref",
    "resolve_secret",
]

#: Shortest key accepted: 128 bits, the floor for an HMAC-SHA256 key.
MIN_KEY_BYTES = 16

#: Fewest distinct byte values a key may use.  Why: length alone let a
#: placeholder through (``xxxxxxxxxxxxxxxx``, ``0000...``, ``abababab...``,
#: ``1234123412341234``), whose handful of guessable forms reverses every fake
#: as surely as a short key.  Generated keys pass: the 32 hex digits of
#: ``openssl rand -hex 16`` use fewer than 5 of the 16 symbols with a probability
#: of 1e-16 (16 hex digits, the shortest key accepted: 4e-7).
MIN_KEY_SYMBOLS = 5

#: What to tell a user who wrote a literal where a secret reference belongs.
LITERAL_SECRET_HELP = (
    "secrets are never written in a policy file: put the key in an environment "
    "variable and write key: env:SCRUBPHI_KEY, or in a file and write "
    "key: file:path/to/keyfile (relative to this policy file's folder)"
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_secret_ref(s: object) -> bool:
    """True when ``s`` is ``env:NAME`` (a valid variable name) or ``file:PATH``."""
    if not isinstance(s, str):
        return False
    if s.startswith("env:"):
        return _ENV_NAME.fullmatch(s[4:]) is not None
    if s.startswith("file:"):
        return s[5:].strip() != ""
    return False


def check_secret_ref(s: object) -> str:
    """Return ``s`` if it is a secret reference, else raise ``ValueError``.

    The message explains how to pass a secret and never repeats ``s``.
    """
    if isinstance(s, str) and s.startswith("env:") and not is_secret_ref(s):
        raise ValueError(
            "env: must be followed by an environment variable name "
            "(letters, digits and _, not starting with a digit), e.g. env:SCRUBPHI_KEY"
        )
    if isinstance(s, str) and s.startswith("file:") and not is_secret_ref(s):
        raise ValueError("file: must be followed by a path, e.g. file:keys/scrubphi.key")
    if not isinstance(s, str) or not is_secret_ref(s):
        raise ValueError(f"a secret must be a reference, not a value; {LITERAL_SECRET_HELP}")
    return s


def resolve_secret(
    ref: str,
    base_dir: str,
    *,
    location: Location | None = None,
    key_path: str | None = None,
    keyed: bool = True,
) -> bytes:
    """Fetch the secret ``ref`` names and return its bytes.

    ``env:NAME`` reads the environment variable (missing or empty is an
    error); ``file:PATH`` reads the file, relative to ``base_dir`` (the
    folder of the policy file that names it) unless absolute, with ``~``
    expanded and one trailing newline removed so ``echo KEY > file`` works.
    A secret shorter than :data:`MIN_KEY_BYTES` is refused: a short HMAC key
    can be brute-forced and every fake value reversed; so is one of fewer than
    :data:`MIN_KEY_SYMBOLS` distinct bytes (a placeholder) when ``keyed`` (the
    secret keys scrubphi's own transforms; a third party's credential, such as a
    Datadog API key, is that service's to judge).  ``location`` and ``key_path``
    only decorate the error.
    """

    def fail(message: str) -> PolicyError:
        if location is None:
            return PolicyError(message, path=key_path)
        return PolicyError(
            message,
            file=location.file,
            line=location.line,
            column=location.column,
            path=key_path,
        )

    try:
        check_secret_ref(ref)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if ref.startswith("env:"):
        name = ref[4:]
        described = f"environment variable {name}"
        raw = os.environ.get(name)
        if raw is None:
            raise fail(f"{described} is not set (the policy reads the key from {ref})")
        if raw == "":
            raise fail(f"{described} is empty (the policy reads the key from {ref})")
        secret = os.fsencode(raw)
    else:
        path = os.path.expanduser(ref[5:].strip())
        if not os.path.isabs(path):
            path = os.path.join(base_dir, path)
        described = f"key file {path}"
        if os.path.isdir(path):
            raise fail(f"{described} is a directory, not a file")
        try:
            with open(path, "rb") as fh:
                secret = fh.read()
        except FileNotFoundError:
            raise fail(f"{described} does not exist") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise fail(f"{described} cannot be read: {reason}") from None
        if secret.endswith(b"\r\n"):
            secret = secret[:-2]
        elif secret.endswith(b"\n"):
            secret = secret[:-1]
    if len(secret) < MIN_KEY_BYTES:
        raise fail(
            f"the key from {described} is {len(secret)} bytes; at least {MIN_KEY_BYTES} "
            "are required (generate one with: openssl rand -hex 32)"
        )
    if keyed and len(set(secret)) < MIN_KEY_SYMBOLS:
        raise fail(
            f"the key from {described} uses only {len(set(secret))} distinct byte values: "
            "it looks like a placeholder, not a random key, and a guessable key lets "
            "anyone reverse every fake (generate one with: openssl rand -hex 32)"
        )
    return secret
