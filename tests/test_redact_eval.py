"""The scoring core of ``benchmarks/redact_eval.py`` on tiny corpora written here.

The evaluation decides which redactor changes land, so its arithmetic must
be exactly right: every number below is counted by hand from the inline
corpora and a fake redactor that rewrites chosen strings (with replacements
of other lengths, so that the alignment is exercised too).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "scrubphi_bench_redact_eval", ROOT / "benchmarks" / "redact_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ev = _load()

# (pid, note, body, [(type, phrase, occurrence)])
PHYSIONET = [
    ("1", "1", "Dr Healey saw pt on 7/22/92 at GH.\nBP 90-100, MI 1992.\n",
     [("HCPName", "Healey", 0), ("Date", "7/22/92", 0), ("Location", "GH", 0),
      ("DateYear", "1992", 0)]),
    ("1", "2", "Wife Mary Smith called 617-555-1234 re Smith.\n",
     [("RelativeProxyName", "Mary Smith", 0), ("Phone", "617-555-1234", 0),
      ("RelativeProxyName", "Smith", 1)]),
]


def _offset(body: str, phrase: str, occurrence: int) -> int:
    start = -1
    for _ in range(occurrence + 1):
        start = body.index(phrase, start + 1)
    return start


def write_physionet(folder: Path, bad_span: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text, phrases = [], []
    for pid, note, body, spans in PHYSIONET:
        text.append(f"START_OF_RECORD={pid}||||{note}||||\n{body}||||END_OF_RECORD\n")
        for kind, phrase, occurrence in spans:
            start = _offset(body, phrase, occurrence)
            phrases.append(f"{pid} {note} {start} {start + len(phrase)} {kind} {phrase}\n")
    if bad_span:
        phrases.append("1 2 0 4 PTName Mary\n")  # "Wife" is at 0..4
    (folder / "id.text").write_text("".join(text), encoding="utf-8")
    (folder / "id-phi.phrase").write_text("".join(phrases), encoding="utf-8")
    return folder


PRESIDIO = [
    ("Call Dr. Ann Lee at www.example.com on 2021-03-04, she is 93.",
     [("TITLE", "Dr."), ("PERSON", "Ann Lee"), ("DOMAIN_NAME", "www.example.com"),
      ("DATE_TIME", "2021-03-04"), ("AGE", "93")]),
    ("Mr Bob, 45, is French.",
     [("TITLE", "Mr"), ("PERSON", "Bob"), ("AGE", "45"), ("NRP", "French")]),
]


def write_presidio(path: Path) -> Path:
    items = []
    for text, spans in PRESIDIO:
        items.append({"full_text": text, "spans": [
            {"entity_type": kind, "entity_value": value,
             "start_position": text.index(value), "end_position": text.index(value) + len(value)}
            for kind, value in spans
        ]})
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def fake_redactor(pairs: list[tuple[str, str]]) -> Callable[[str], str]:
    def redact(text: str) -> str:
        for old, new in pairs:
            text = text.replace(old, new)
        return text

    return redact


PHYSIONET_FAKE = fake_redactor([
    ("Healey", "Xavier Jones"),          # 1 token -> 2
    ("7/22/92", "1/01/92"),              # the year is kept, as dates: year does
    ("BP 90-100", "Bp 90-099"),          # two false changes: ALL-CAPS word, number
    ("Mary Smith", "MARY Smith"),        # first name caught, last name missed
    ("617-", "239-"),                    # 555 shared, 1234 missed
    ("re Smith", "re Jones-Kowalski"),   # 1 token -> 2
])

PRESIDIO_FAKE = fake_redactor([
    ("Ann Lee", "ANN Lee"),
    ("www.example.com", "www.sample.org"),
    ("2021-03-04", "2021-01-01"),
    ("is 93", "is 90"),
    ("Bob, 45", "Robert, XX"),
])


def _rates(tallies: dict[str, object]) -> dict[str, tuple[int, int]]:
    return {k: (v.changed, v.tokens) for k, v in tallies.items()}  # type: ignore[attr-defined]


def test_tokenize_is_unicode_letters_and_digits_with_offsets() -> None:
    tokens = ev.tokenize("Zoë_Ødegaard, 3/4 x2")
    assert [t.text for t in tokens] == ["Zoë", "Ødegaard", "3", "4", "x2"]
    assert [(t.start, t.end) for t in tokens] == [(0, 3), (4, 12), (14, 15), (16, 17), (18, 20)]


def test_align_keeps_equal_blocks_around_replacements_of_other_length() -> None:
    alignment = ev.align(["a", "b", "c", "d", "e"], ["a", "X", "Y", "Z", "c", "e"])
    assert alignment.kept == [True, False, True, False, True]
    assert alignment.target[1] == (1, 4)
    assert alignment.target[3] == (5, 5)  # deleted
    assert ev.align([], ["x"]).kept == []


def test_token_classes() -> None:
    assert [ev.token_class(t) for t in ("0700", "BP", "Dr", "pt", "x2", "ÉTÉ", "²")] == [
        "numbers", "ALL-CAPS words", "other words", "other words", "mixed", "ALL-CAPS words",
        "numbers"]


def test_physionet_reader_offsets_and_format_detection(tmp_path: Path) -> None:
    folder = write_physionet(tmp_path / "physionet-deid")
    for path in (folder, folder / "id.text"):
        corpus = ev.load_corpus(path)
        assert corpus.format == "physionet-deid"
        assert corpus.span_mismatches == 0 and corpus.spans_checked == 7
        assert [d.id for d in corpus.documents] == ["1/1", "1/2"]
        first = corpus.documents[0]
        assert first.text == PHYSIONET[0][2]
        assert [first.text[s.start:s.end] for s in first.spans] == [
            "Healey", "7/22/92", "GH", "1992"]
    assert len(ev.load_corpus(folder, limit=1).documents) == 1

    bad = ev.load_corpus(write_physionet(tmp_path / "bad", bad_span=True))
    assert bad.span_mismatches == 1 and bad.spans_checked == 8
    assert "'Mary'" in bad.mismatch_examples[0] and "'Wife'" in bad.mismatch_examples[0]


def test_physionet_scores_are_exact(tmp_path: Path) -> None:
    corpus = ev.load_corpus(write_physionet(tmp_path / "physionet-deid"))
    scores = ev.evaluate(corpus.documents, PHYSIONET_FAKE, "year")

    assert _rates(scores.categories) == {
        "names": (3, 4),      # Healey, Mary, second Smith; first Smith kept
        "dates": (2, 2),      # 7 and 22 (92 is the year: counted neither way)
        "year": (0, 1),       # 1992 kept
        "phone": (1, 2),      # 617 changed, 1234 kept (555 counted neither way)
        "locations": (0, 1),  # GH kept
    }
    # dates: year keeps years by design: bare years are not in "all PHI".
    assert (scores.all_phi.changed, scores.all_phi.tokens) == (6, 9)
    assert dict(scores.excluded) == {"year of a date": 1, "555 in a phone number": 1}
    assert _rates(scores.types) == {
        "HCPName": (1, 1), "RelativeProxyName": (2, 3), "Date": (2, 2), "DateYear": (0, 1),
        "Phone": (1, 2), "Location": (0, 1)}

    # Dr saw pt on at BP 90 100 MI / Wife called re: only BP and 100 changed.
    assert (scores.non_phi.changed, scores.non_phi.tokens) == (2, 12)
    assert _rates(scores.non_phi_classes) == {
        "numbers": (1, 2), "ALL-CAPS words": (1, 2), "other words": (0, 8)}
    assert scores.missed == {
        "names": {"Smith": 1}, "year": {"1992": 1}, "phone": {"1234": 1}, "locations": {"GH": 1}}
    assert scores.false_changes == {"BP": 1, "100": 1}
    assert "[GH]" in scores.contexts[("locations", "GH")]
    assert scores.contexts[("", "100")].endswith("-> 099")

    assert scores.documents == 2
    assert scores.bytes == sum(len(b.encode()) for _, _, b, _ in PHYSIONET)
    assert scores.seconds >= 0

    # With dates: shift bare years count in "all PHI".
    shifted = ev.evaluate(corpus.documents, PHYSIONET_FAKE, "shift")
    assert (shifted.all_phi.changed, shifted.all_phi.tokens) == (6, 10)


def test_presidio_scores_are_exact(tmp_path: Path) -> None:
    corpus = ev.load_corpus(write_presidio(tmp_path / "synth.json"))
    assert corpus.format == "presidio-synth" and corpus.span_mismatches == 0
    assert ev.load_corpus(tmp_path).format == "presidio-synth"  # a folder with one JSON
    scores = ev.evaluate(corpus.documents, PRESIDIO_FAKE, "year")

    assert _rates(scores.categories) == {
        "names": (2, 3),        # Ann, Bob changed; Lee kept
        "dates": (2, 2),        # 03, 04 (2021 counted neither way)
        "contact/ids": (1, 1),  # example (www and com counted neither way)
        "age": (1, 1),          # 93: over 89
    }
    assert (scores.all_phi.changed, scores.all_phi.tokens) == (6, 7)
    assert dict(scores.excluded) == {
        "year of a date": 1, "shared surrogate piece (com, org, www...)": 2}
    # TITLE, NRP and ages up to 89 are not identifiers: their tokens are non-PHI.
    assert (scores.non_phi.changed, scores.non_phi.tokens) == (1, 10)
    assert scores.false_changes == {"45": 1}
    assert _rates(scores.types) == {
        "PERSON": (2, 3), "DATE_TIME": (2, 2), "DOMAIN_NAME": (1, 1), "AGE": (1, 1),
        "TITLE (not PHI)": (0, 2), "AGE (not PHI)": (1, 1), "NRP (not PHI)": (0, 1)}


def test_year_part_of_dates() -> None:
    text = "On 2000-04-16 11:34:35, '92, 3/4/05 and 12/10 and 3/4/2005."
    spans = tuple(
        ev.Span(text.index(value), text.index(value) + len(value), "DATE_TIME")
        for value in ("2000-04-16 11:34:35", "'92", "3/4/05", "12/10", "3/4/2005"))
    scores = ev.Scores()
    ev.score_document(ev.Document("x", text, spans), text, scores)
    # Years: 2000, 92, 05, 2005.  Not years: the time 11:34:35 nor the day of 12/10.
    assert scores.excluded == {"year of a date": 4}
    assert _rates(scores.categories) == {"dates": (0, 11)}


def test_identity_and_total_redactors() -> None:
    document = ev.Document("x", "Pt John seen 7/22.", (ev.Span(3, 7, "PTName"),))
    kept = ev.evaluate([document], lambda text: text)
    assert (kept.all_phi.changed, kept.non_phi.changed, kept.non_phi.tokens) == (0, 0, 4)
    gone = ev.evaluate([document], lambda text: "")
    assert (gone.all_phi.changed, gone.non_phi.changed) == (1, 4)


def test_main_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_physionet(tmp_path / "physionet-deid")
    synth = write_presidio(tmp_path / "synth.json")
    out = tmp_path / "out.json"
    assert ev.main([str(folder), str(synth), "--no-presidio", "--top", "3",
                    "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "all PHI" in printed and "throughput MB/s" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [c["format"] for c in report["corpora"]] == ["physionet-deid", "presidio-synth"]
    first = report["corpora"][0]
    assert first["documents"] == 2 and first["span_mismatches"] == 0
    numbers = first["systems"]["scrubphi"]
    assert numbers["recall_all_phi"]["tokens"] == 9
    assert numbers["precision_proxy_changed_non_phi"]["tokens"] == 12
    assert numbers["year_in_all_phi"] is False


def test_presidio_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "presidio_analyzer", None)
    setup = ev.build_presidio()
    assert setup.redact is None
    assert "pip install '.[eval]'" in setup.message
