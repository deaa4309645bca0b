"""The per-user cache of policy files' trees (``scrubphi.policy.tree_cache``).

A tree read from the cache must be the tree the YAML reader gives (values and
their types, positions, key paths), so every policy and every error is the
same; a second run must not import ruamel.yaml; nothing is written for a
policy that failed to load (its key may be a literal pasted by mistake) or
for a file with sections other than ``scrub``; an edited file, or a damaged
or foreign entry, is read afresh.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrubphi.errors import PolicyError
from scrubphi.policy import load_policy, tree_cache, yaml_reader
from scrubphi.policy.tree import _Node

SRC = Path(__file__).resolve().parent.parent / "src"

POLICY = """\
version: 1
scrub:
  key: env:SCRUBPHI_TEST_KEY
  unknown_tables: fail
  tables:
    public.patients:
      columns:
        id: keep
        mrn: {tokenize: alnum}
        first_name: {fake: first_name}
        dob: {date: safe_harbor, as_of: 2026-01-01}
        phone: {fake: phone_number}
        email: {fake: email, unique: true}
        zip: {generalize: zip3}
        note: &r {redact: text}
        other_note: *r
    public.vitals: keep
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(folder))
    yield folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("policy-*.marshal")) if folder.exists() else []


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _no_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, file: str) -> _Node | None:
        raise AssertionError("the YAML reader was called for a cached file")

    monkeypatch.setattr(yaml_reader, "parse", refuse)


def _same(a: _Node, b: _Node) -> None:
    assert (a.loc, a.key_loc, a.path) == (b.loc, b.key_loc, b.path)
    assert [type(p) for p in a.path] == [type(p) for p in b.path]
    assert type(a.value) is type(b.value)
    if isinstance(a.value, dict):
        assert list(a.value) == list(b.value)
        assert [type(k) for k in a.value] == [type(k) for k in b.value]
        for key in a.value:
            _same(a.value[key], b.value[key])
    elif isinstance(a.value, list):
        assert len(a.value) == len(b.value)
        for x, y in zip(a.value, b.value, strict=True):
            _same(x, y)
    elif isinstance(a.value, float) and math.isnan(a.value):
        assert math.isnan(b.value)
    else:
        assert a.value == b.value


def test_a_second_load_reads_the_tree_and_gives_the_same_policy(
        cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "policy.yaml", POLICY)
    first = load_policy(path)
    (entry,) = _entries(cache)
    assert entry.stat().st_mode & 0o077 == 0
    _no_reader(monkeypatch)
    assert load_policy(path) == first


def test_a_tree_from_the_cache_is_the_tree_the_reader_gives(cache: Path) -> None:
    """Every kind of value, keys that are not strings, aliases, empty values, lists."""
    text = POLICY + """\
  extra:
    a: 2024-01-02
    b: 2024-01-02 10:00:00
    c: .nan
    3: x
    null: y
    2024-01-01: d
    e:
    f: [1, 2.5, true, ~, 'x', -0.0, 0x1F, 1e400]
    g: &A {h: [1, {i: 2}]}
    j: *A
    "quoted key": 'it''s'
    k: |
      two
      lines
"""
    fresh = yaml_reader.parse(text, "one.yaml")
    assert fresh is not None
    stored = tree_cache._freeze(fresh)
    import marshal

    _same(fresh, tree_cache._thaw(marshal.loads(marshal.dumps(stored)), "one.yaml", ()))


def test_a_second_process_does_not_import_ruamel(cache: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "policy.yaml", POLICY)
    code = ("import sys\nfrom scrubphi.policy import load_policy\n"
            f"load_policy({path!r})\nprint('ruamel.yaml' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(SRC), "SCRUBPHI_CACHE_DIR": str(cache)}
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout.strip() for _ in range(2)]
    assert runs == ["True", "False"]


@pytest.mark.parametrize("bad", [
    "  key: 0123456789abcdef0123456789abcdef\n",   # a literal key: refused, never written
    "  key: env:K\n  no_such_setting: 1\n",
])
def test_nothing_is_written_for_a_policy_that_fails(cache: Path, tmp_path: Path,
                                                    bad: str) -> None:
    path = _write(tmp_path, "bad.yaml", "version: 1\nscrub:\n" + bad)
    with pytest.raises(PolicyError):
        load_policy(path)
    assert _entries(cache) == []


def test_a_file_with_other_sections_is_not_written(cache: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "mixed.yaml", POLICY + "flags: {}\n")
    load_policy(path)
    assert _entries(cache) == []


def test_off_means_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", "off")
    path = _write(tmp_path, "policy.yaml", POLICY)
    assert load_policy(path) == load_policy(path)
    assert not list(tmp_path.rglob("policy-*.marshal"))


def test_an_edited_file_is_read_afresh(cache: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "policy.yaml", POLICY)
    load_policy(path)
    _write(tmp_path, "policy.yaml", POLICY.replace("public.vitals: keep", "public.vitals: drop"))
    edited = load_policy(path)
    assert len(_entries(cache)) == 2
    assert edited.scrub is not None
    assert "drop" in repr(edited.scrub.tables).lower()


@pytest.mark.parametrize("damage", ["garbage", "other shape", "world writable"])
def test_a_damaged_or_untrusted_entry_reads_the_file_afresh(
        cache: Path, tmp_path: Path, damage: str) -> None:
    path = _write(tmp_path, "policy.yaml", POLICY)
    first = load_policy(path)
    (entry,) = _entries(cache)
    if damage == "garbage":
        entry.write_bytes(b"\x00not marshal")
    elif damage == "other shape":
        import marshal

        entry.write_bytes(marshal.dumps((9, 9, 9)))
    else:
        entry.chmod(0o666)
    assert load_policy(path) == first


def test_errors_from_a_cached_tree_name_the_same_places(cache: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Positions come back with the name the file is read by (not the one it was stored
    under): a table defined in two files is reported at both, as without the cache."""
    one = _write(tmp_path, "one.yaml", POLICY)
    other = _write(tmp_path, "copy.yaml", POLICY)
    clash = _write(tmp_path, "clash.yaml",
                   "version: 1\nscrub:\n  tables:\n    public.vitals: drop\n")
    load_policy(one)  # stores the tree of POLICY's text
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", "off")
    with pytest.raises(PolicyError) as fresh:
        load_policy(other, clash)
    monkeypatch.setenv("SCRUBPHI_CACHE_DIR", str(cache))
    read: list[str] = []
    real = yaml_reader.parse

    def recording(text: str, file: str) -> _Node | None:
        read.append(os.path.basename(file))
        return real(text, file)

    monkeypatch.setattr(yaml_reader, "parse", recording)
    with pytest.raises(PolicyError) as cached:
        load_policy(other, clash)
    assert read == ["clash.yaml"]  # copy.yaml's tree came from the cache
    assert str(cached.value) == str(fresh.value)
    assert "copy.yaml" in str(cached.value) and "one.yaml" not in str(cached.value)


def test_only_the_newest_entries_are_kept(cache: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_cache, "KEEP", 2)
    for n in range(4):
        load_policy(_write(tmp_path, "policy.yaml", POLICY + f"# edit {n}\n"))
    assert len(_entries(cache)) == 2
    _no_reader(monkeypatch)
    load_policy(str(tmp_path / "policy.yaml"))  # the newest is still there
