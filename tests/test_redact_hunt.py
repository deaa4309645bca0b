"""The redactor on the suite's own texts, cut, folded and spliced: no crash, twins agree.

Why tested: four faults of the free-text redactor were found outside the suite, by
taking the texts its tests are written around and breaking them the way real notes
are broken: a note that ends in the middle of a firm's name (``Spoke with HR at
Morante y Lamas`` made ``_legal_forms`` index past the end: an ``IndexError`` that
stops a dump's scrub), a month written with a look-alike letter (``7-ſep``: a
``KeyError``), a no-break space after a date (the compiled scan kept what the pure
one replaced).  Hypothesis draws its own texts (tests/test_redact_twins.py); this
hunt starts from the forms each recall round was written for, which is where the
rules' edges are.

Every string literal of the ``test_redact*.py`` modules that reads like a text (a
space in it, 8 to 400 characters) is taken with its variants: cut before and after
each of a few words, one letter swapped for the Unicode letter that folds to it
(long s, Kelvin sign, dotless and dotted i), spaces made no-break spaces, tabs and
line breaks, upper and lower case, and spliced to the next text at a cut.  The
variants are fixed (no randomness): a failure names the text's index and variant,
never its content.  With the compiled scan built, both scans must give the same
text and findings; without it, the pure scan must not fail.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrubphi import _redact_impl
from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor

HERE = Path(__file__).resolve().parent
KEY = b"hunt-test-key-0123456789abcdef01"
CUTS = 4  # word boundaries cut at, spread over the text
FOLDS = {"s": "\u017f", "K": "\u212a", "i": "\u0131", "I": "\u0130"}

# The compiled scan when it is built and not switched off (SCRUBPHI_NO_EXTENSIONS=1: the
# pure scan alone, for crashes).
COMPILED = _redact_impl.IMPLEMENTATION == "compiled"


@functools.cache
def suite_texts() -> tuple[str, ...]:
    """The text-like string literals of the redactor's test modules, sorted."""
    found: set[str] = set()
    for path in sorted(HERE.glob("test_redact*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                s = node.value
                if 8 <= len(s) <= 400 and " " in s and "\0" not in s:
                    found.add(s)
    return tuple(sorted(found))


def _cut_points(text: str) -> list[int]:
    spaces = [i for i, c in enumerate(text) if c == " "]
    if len(spaces) <= CUTS:
        return spaces
    step = len(spaces) / CUTS
    return [spaces[int(k * step)] for k in range(CUTS)]


def variants(text: str, following: str) -> Iterator[tuple[str, str]]:
    """(name, text) of each variant of ``text``; ``following`` is spliced to it."""
    yield "as is", text
    for k, i in enumerate(_cut_points(text)):
        yield f"head {k}", text[:i]
        yield f"head {k} and its space", text[: i + 1]
        yield f"tail {k}", text[i + 1:]
        yield f"spliced {k}", text[:i] + following[len(following) // 2:]
    for plain, folded in FOLDS.items():
        if plain in text:
            yield f"fold {plain!r}", text.replace(plain, folded, 1)
            yield f"fold every {plain!r}", text.replace(plain, folded)
    yield "no-break spaces", text.replace(" ", "\u00a0")
    yield "tabs", text.replace(" ", "\t")
    yield "line breaks", text.replace(" ", "\n")
    yield "upper", text.upper()
    yield "lower", text.lower()
    yield "no punctuation at the end", text.rstrip(".,;:!?)")


CONFIGS: dict[str, dict[str, object]] = {
    "year": {},
    "shift": {"dates": "shift", "days": 30, "per": "patient_id"},
}


def test_the_hunt_has_its_texts() -> None:
    """The hunt reads the suite: a change that empties it must fail, not pass vacuously."""
    texts = suite_texts()
    assert len(texts) > 800
    assert sum(1 for _ in variants(texts[0], texts[1])) >= 10


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_cut_folded_and_spliced_suite_texts(config: str) -> None:
    ctx = TransformContext(key=KEY)
    options = CONFIGS[config]
    pure = Redactor(ctx, compiled=False, **options)  # type: ignore[arg-type]
    fast = Redactor(ctx, compiled=True, **options) if COMPILED else None  # type: ignore[arg-type]
    texts = suite_texts()
    checked = 0
    for n, text in enumerate(texts):
        for name, variant in variants(text, texts[(n + 1) % len(texts)]):
            where = f"text {n}, variant {name}"  # never the text itself
            try:
                out = pure.redact(variant, "p1")
                spans = pure.find(variant)
            except Exception as exc:  # any exception is the finding
                pytest.fail(f"pure scan raised {type(exc).__name__} on {where}")
            if fast is not None:
                try:
                    fast_out = fast.redact(variant, "p1")
                    fast_spans = fast.find(variant)
                except Exception as exc:
                    pytest.fail(f"compiled scan raised {type(exc).__name__} on {where}")
                assert fast_out == out, f"the scans' texts differ on {where}"
                assert fast_spans == spans, f"the scans' findings differ on {where}"
            checked += 1
    assert checked > 10 * len(texts)
