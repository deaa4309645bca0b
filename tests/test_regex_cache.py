"""The per-user cache of compiled regular expressions (``scrubphi.regex_cache``).

A pattern rebuilt from the cache must behave exactly as ``re.compile`` of it;
a second process must take the redactor's patterns from the cache instead of
compiling them; and a damaged, foreign or world-writable file, or an entry
whose code ``_sre`` refuses, must fall back to compiling, never fail or match
differently.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrubphi import regex_cache
from scrubphi.transforms.redact.patterns import pattern

PATTERNS = [
    (r"(?P<phone>\(?\d{3}\)?[ .-]?\d{3}[.-]\d{4})(?:\s*x(?P<ext>\d+))?", 0),
    (r"(?<![^\W_])(?=[^\W\d_])(?:(?P<street>[A-Z][a-z]+ (?:Street|Road|Vale))|(?P<w>\w+))", 0),
    (r"dr\.?\s+(?P<name>[a-z]+)", re.IGNORECASE),
    (r"(?m)^\s*MRN[:#]?\s*(\d{5,})$", 0),
]
TEXTS = [
    "Call (555) 123-4567 x12 or 555.987.6543.", "Lives at 12 Oak Street, Elm Vale.",
    "DR. Healey saw pt; dr smith aware.", "MRN: 1234567\nMRN 12\n  MRN#987654",
    "", "ünïcödé Straße 5 — 555-123-4567",
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    regex_cache._reset_for_tests()
    yield tmp_path
    regex_cache._reset_for_tests()


def _same(a: re.Pattern[str], b: re.Pattern[str]) -> None:
    assert (a.pattern, a.flags, a.groups, a.groupindex) == (b.pattern, b.flags, b.groups,
                                                            b.groupindex)
    for text in TEXTS:
        assert [m.span() for m in a.finditer(text)] == [m.span() for m in b.finditer(text)]
        assert [m.groupdict() for m in a.finditer(text)] == \
            [m.groupdict() for m in b.finditer(text)]
        assert [m.lastgroup for m in a.finditer(text)] == [m.lastgroup for m in b.finditer(text)]


def test_a_pattern_from_the_cache_behaves_as_re_compile(cache: Path) -> None:
    fresh = [regex_cache.compile_cached(p, f) for p, f in PATTERNS]
    assert regex_cache.stats() == {"hits": 0, "misses": len(PATTERNS)}
    regex_cache.flush()
    files = list(cache.glob("regex-*.marshal"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o077 == 0
    regex_cache._reset_for_tests()
    again = [regex_cache.compile_cached(p, f) for p, f in PATTERNS]
    assert regex_cache.stats() == {"hits": len(PATTERNS), "misses": 0}
    for (p, f), a, b in zip(PATTERNS, fresh, again, strict=True):
        _same(a, re.compile(p, f))
        _same(b, re.compile(p, f))


def test_the_redactor_patterns_come_from_the_cache_in_the_next_process(cache: Path) -> None:
    """The first run compiles and stores; the second compiles none of them."""
    code = ("from scrubphi.transforms.base import TransformContext\n"
            "from scrubphi.transforms.redact import Redactor\n"
            "from scrubphi import regex_cache\n"
            "r = Redactor(TransformContext(key=b'k' * 32))\n"
            "assert r.redact('Pt John Smith, MRN 1234567, 555-123-4567.') != ''\n"
            "s = regex_cache.stats(); print(s['hits'], s['misses'])\n")
    env = {**os.environ, "SCRUBPHI_CACHE_DIR": str(cache)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True).stdout.split()
    assert int(first[1]) > 5  # the scan's patterns were compiled...
    assert int(second[1]) == 0 and int(second[0]) == int(first[0]) + int(first[1])  # ...once


def test_redactor_patterns_rebuilt_equal_the_compiled_ones(cache: Path) -> None:
    from scrubphi.transforms.redact.vocab import vocab

    suffixes = vocab().suffixes
    first = pattern(suffixes)
    regex_cache.flush()
    regex_cache._reset_for_tests()
    second = pattern(suffixes)
    assert regex_cache.stats()["misses"] == 0
    for a, b in [(first.web, second.web), (first.digits, second.digits),
                 (first.codes, second.codes)] + [
            (x[1], y[1]) for x, y in zip(first.words, second.words, strict=True)]:
        _same(a, re.compile(a.pattern, a.flags & ~re.UNICODE))
        _same(b, a)


@pytest.mark.parametrize("damage", ["garbage", "bad code", "other pattern", "world writable",
                                    "bad code, good checksum"])
def test_a_damaged_or_untrusted_file_falls_back_to_compiling(cache: Path, damage: str) -> None:
    p, f = PATTERNS[0]
    regex_cache.compile_cached(p, f)
    regex_cache.flush()
    path = next(cache.glob("regex-*.marshal"))
    if damage == "garbage":
        path.write_bytes(b"\x00not marshal")
    elif damage in ("bad code", "other pattern"):
        data = path.read_bytes()
        [(flags, entry)] = marshal.loads(data[32:])
        if damage == "bad code":
            entry = (entry[0], entry[1], [99999] * 7, entry[3], entry[4], entry[5])
        else:  # an entry filed under this pattern whose code is another pattern's
            other = regex_cache._entry(r"x+", 0)
            entry = (entry[0], *other[1:])
        path.write_bytes(data[:32] + marshal.dumps([(flags, entry)]))  # the old checksum
    elif damage == "world writable":
        path.chmod(0o666)
    else:  # a well-formed file whose code _sre's validator refuses
        [(flags, entry)] = marshal.loads(path.read_bytes()[32:])
        payload = marshal.dumps([(flags, (entry[0], entry[1], [99999] * 7, *entry[3:]))])
        path.write_bytes(hashlib.sha256(payload).digest() + payload)
    regex_cache._reset_for_tests()
    compiled = regex_cache.compile_cached(p, f)
    assert regex_cache.stats()["misses"] == 1
    _same(compiled, re.compile(p, f))


def test_off_means_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    regex_cache._reset_for_tests()
    try:
        _same(regex_cache.compile_cached(*PATTERNS[1]), re.compile(*PATTERNS[1]))
        regex_cache.flush()
        assert not any(tmp_path.rglob("regex-*"))
    finally:
        regex_cache._reset_for_tests()


def test_a_full_cache_keeps_what_is_used_and_drops_the_oldest(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file full of an older version's patterns took no new pattern: every changed
    pattern was compiled at every start. Now the oldest unused ones make room."""
    monkeypatch.setattr(regex_cache, "MAX_ENTRIES", 6)
    stale = [(f"stale{i}[a-z]+", 0) for i in range(6)]
    for p, f in stale:
        regex_cache.compile_cached(p, f)
    regex_cache.flush()
    regex_cache._reset_for_tests()
    regex_cache.compile_cached(*stale[4])  # still used by this version
    for p, f in PATTERNS:
        regex_cache.compile_cached(p, f)
    assert regex_cache.stats() == {"hits": 1, "misses": len(PATTERNS)}
    regex_cache.flush()
    regex_cache._reset_for_tests()
    for p, f in [*PATTERNS, stale[4]]:
        _same(regex_cache.compile_cached(p, f), re.compile(p, f))
    assert regex_cache.stats() == {"hits": len(PATTERNS) + 1, "misses": 0}
    regex_cache.compile_cached(*stale[5])  # the newest unused one had room
    assert regex_cache.stats()["misses"] == 0
    regex_cache.compile_cached(*stale[0])  # the oldest went past the cap
    assert regex_cache.stats()["misses"] == 1
