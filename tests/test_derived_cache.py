"""The per-user cache of derived data (the redactor's vocabulary).

It must give exactly what building gives, rebuild when an input changes, and
never trust an entry someone else could have written: a word slipped into the
safe list would let a patient's name through.
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scrubphi import derived_cache
from scrubphi.derived_cache import cache_dir, cached


def _counting() -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> frozenset[str]:
        calls.append(1)
        return frozenset({"alpha", "beta"})

    return calls, build


def _entry(folder: Path) -> Path:
    (entry,) = folder.glob("words-*.marshal")
    return entry


def test_second_call_reads_the_entry_and_inputs_key_it(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    calls, build = _counting()
    first = cached("words", [b"list v1"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    second = cached("words", [b"list v1"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    assert first == second == frozenset({"alpha", "beta"})
    assert len(calls) == 1
    assert oct(_entry(tmp_path).stat().st_mode & 0o777) == oct(0o600)
    cached("words", [b"list v2"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    assert len(calls) == 2
    assert len(list(tmp_path.glob("words-*.marshal"))) == 2


def test_entries_others_may_write_are_not_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    calls, build = _counting()
    cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    entry = _entry(tmp_path)
    entry.write_bytes(marshal.dumps(frozenset({"alpha", "beta", "smith"})))
    os.chmod(entry, 0o666)
    value = cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    assert "smith" not in value and len(calls) == 2
    # Rewritten by the rebuild, owner-only again.
    assert oct(entry.stat().st_mode & 0o777) == oct(0o600)


def test_symlinked_entries_are_not_followed(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path / "cache"))
    calls, build = _counting()
    cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    entry = _entry(tmp_path / "cache")
    planted = tmp_path / "planted.marshal"
    planted.write_bytes(marshal.dumps(frozenset({"alpha", "beta", "smith"})))
    os.chmod(planted, 0o600)
    entry.unlink()
    entry.symlink_to(planted)
    value = cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    assert "smith" not in value and len(calls) == 2


def test_damaged_or_foreign_entries_are_rebuilt(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    calls, build = _counting()

    def load(data: object) -> frozenset[str]:
        if not isinstance(data, frozenset):
            raise ValueError("not a set")
        return data

    cached("words", [b"x"], build, lambda v: v, load)  # type: ignore[arg-type]
    entry = _entry(tmp_path)
    for junk in (b"", b"\xff\x00garbage", marshal.dumps({"a": 1})):
        entry.write_bytes(junk)
        os.chmod(entry, 0o600)
        assert cached("words", [b"x"], build, lambda v: v, load) == frozenset(  # type: ignore[arg-type]
            {"alpha", "beta"})
    assert len(calls) == 4


def test_off_and_unwritable_folders_still_build(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", "off")
    assert cache_dir() is None
    calls, build = _counting()
    cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(blocked / "sub"))
    cached("words", [b"x"], build, lambda v: v, frozenset)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SCRUBPHI_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "scrubphi"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "scrubphi"


def test_cached_vocabulary_equals_the_built_one(tmp_path: Path) -> None:
    """In fresh processes: the first builds and stores, the second loads; both give
    exactly the vocabulary built from the lists."""
    code = (
        "from scrubphi.transforms.redact import vocab as V\n"
        "import sys\n"
        "v = V.vocab()\n"
        "sys.exit(0 if v == V._build_vocab() else 3)\n"
    )
    env = {**os.environ, "SCRUBPHI_CACHE_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
    (entry,) = tmp_path.glob("vocab-*.marshal")
    assert entry.stat().st_size > 1_000_000
    assert derived_cache._read_trusted(entry) is not None
