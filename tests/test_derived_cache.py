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


def test_mapped_entries_are_read_only_when_whole_and_trusted(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A mapped entry (the word table's): its payload back, mapped read-only; None for
    a truncated, grown or damaged file, one others may write, another user's, a
    symlink, or no file."""
    entry = tmp_path / "thing-1.table"
    payload = bytes(range(256)) * 64
    derived_cache.write_mapped(entry, payload)
    assert oct(entry.stat().st_mode & 0o777) == oct(0o600)
    view = derived_cache.read_mapped(entry)
    assert view is not None and view.readonly and bytes(view) == payload
    good = entry.read_bytes()
    damaged = [good[:-1], good[:31], good[:32], b"", good + b"x"]
    for at in range(0, len(good), 997):
        flipped = bytearray(good)
        flipped[at] ^= 1
        damaged.append(bytes(flipped))
    for data in damaged:
        entry.write_bytes(data)
        os.chmod(entry, 0o600)
        assert derived_cache.read_mapped(entry) is None
    entry.write_bytes(good)
    for mode in (0o620, 0o602):
        os.chmod(entry, mode)
        assert derived_cache.read_mapped(entry) is None
    os.chmod(entry, 0o600)
    assert derived_cache.read_mapped(entry) is not None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.chown(entry, 4242, -1)
        assert derived_cache.read_mapped(entry) is None
    planted = tmp_path_factory.mktemp("planted") / "planted.table"
    derived_cache.write_mapped(planted, payload)
    entry.unlink()
    entry.symlink_to(planted)
    assert derived_cache.read_mapped(entry) is None
    assert derived_cache.read_mapped(tmp_path / "missing.table") is None


def test_file_stamps_change_with_a_file_s_size_time_or_name(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    (tmp_path / "b.dat").write_text("ignored\n")
    first = derived_cache.file_stamps(tmp_path, ".txt")
    assert first == derived_cache.file_stamps(tmp_path, ".txt")
    assert b"b.dat" not in first
    os.utime(tmp_path / "a.txt", ns=(10**18, 10**18))
    touched = derived_cache.file_stamps(tmp_path, ".txt")
    (tmp_path / "a.txt").write_text("one!\n")
    os.utime(tmp_path / "a.txt", ns=(10**18, 10**18))
    grown = derived_cache.file_stamps(tmp_path, ".txt")
    (tmp_path / "c.txt").write_text("")
    added = derived_cache.file_stamps(tmp_path, ".txt")
    assert len({first, touched, grown, added}) == 4


def test_only_the_newest_entries_of_a_name_are_kept(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(tmp_path))
    (tmp_path / "other-1.marshal").write_bytes(b"")
    calls, build = _counting()
    for n in range(derived_cache.KEEP + 3):
        cached("words", [str(n).encode()], build, lambda v: v, frozenset)  # type: ignore[arg-type]
        os.utime(_newest(tmp_path), ns=(10**18 + n, 10**18 + n))
    assert len(list(tmp_path.glob("words-*.marshal"))) == derived_cache.KEEP
    assert (tmp_path / "other-1.marshal").exists()
    # the newest is the last one written: read, not built again
    cached("words", [str(derived_cache.KEEP + 2).encode()], build, lambda v: v,  # type: ignore[arg-type]
           frozenset)
    assert len(calls) == derived_cache.KEEP + 3


def _newest(folder: Path) -> Path:
    return max(folder.glob("words-*.marshal"), key=lambda p: p.stat().st_ctime_ns)
