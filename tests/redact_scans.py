"""What the free-text redactor's class tests share (a plugin of conftest.py): both scans
as the ``redact`` fixture, the "gone" and "kept" checks (which name a secret by its
position, never its text), and "both", which holds every scan built to one output."""

from __future__ import annotations

import re

import pytest

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.redact import Redactor

KEY = b"0123456789abcdef0123456789abcdef"

try:
    from scrubphi import _redact_fast  # noqa: F401
    SCANS = [False, True]
except ImportError:  # not built: the pure scan only
    SCANS = [False]


@pytest.fixture(scope="module", params=SCANS, ids=lambda c: "compiled" if c else "pure")
def redact(request: pytest.FixtureRequest) -> Redactor:
    return Redactor(TransformContext(key=KEY), compiled=request.param)


def gone(redact: Redactor, text: str, *secrets: str) -> str:
    """The redacted text, none of ``secrets`` left in it as a word."""
    out = redact.redact(text)
    for i, secret in enumerate(secrets):
        left = re.search(rf"(?<![^\W_]){re.escape(secret)}(?![^\W_])", out)
        assert left is None, f"secret {i} left in place"
    return out


def kept(redact: Redactor, text: str, *words: str) -> None:
    """Every one of ``words`` still in the redacted text as a word."""
    out = redact.redact(text)
    for i, word in enumerate(words):
        assert re.search(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", out), f"word {i} changed"


def both(text: str, **options: object) -> str:
    """The text redacted by every scan built (Redactor ``options`` as given), which must
    agree."""
    outs = {Redactor(TransformContext(key=KEY), compiled=c, **options).redact(text)  # type: ignore[arg-type]
            for c in SCANS}
    assert len(outs) == 1, "the scans disagree"
    return outs.pop()


def column_fake(provider: str, value: str) -> str:
    """``{fake: PROVIDER}`` of ``value`` in a text column under the tests' key: what a
    name replaced in a note must equal."""
    spec = TransformSpec("fake", {"provider": provider, "unique": False, "locale": "en_US"})
    out = build_transform(spec, ColumnInfo("c", "text"), TransformContext(key=KEY)).fn(value)
    assert out is not None
    return out
