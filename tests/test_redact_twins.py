"""The compiled scan of the free-text redactor against its pure twin, byte for byte.

``scrubphi._redact_fast`` (the compiled scan) must give exactly what
``Redactor._scan`` (pure Python) gives, for every input: the same text from
``redact`` and the same findings from ``find``.  Held here on the PhysioNet
nursing notes (when ``shared/corpora`` is there), on the benchmark's
generated corpus and on hypothesis-generated hostile text; and, piece by
piece, the compiled scan's own readings of a text (words, where a number or
a code can start, whether the web pattern can match, which alternatives can
match after a number) against the regular expressions they stand for.

Only the comparisons skip when the extension is not built; the chooser's
test runs everywhere.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi import _impl, _redact_impl
from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.detector import _WORD
from scrubphi.transforms.redact.late_firms import FORM_ANY, FORM_CAP, FORM_UPPER
from scrubphi.transforms.redact.lookup import Lookup
from scrubphi.transforms.redact.patterns import CODE_START, DIGIT_START, matches_at, needs_web
from shared_paths import SHARED

ROOT = Path(__file__).resolve().parents[1]
KEY = b"twin-test-key-0123456789abcdef01"
PHYSIONET = SHARED / "corpora" / "deid-dev" / "physionet-deid" / "id.text"

try:
    from scrubphi import _redact_fast as fast
except ImportError:  # not built: only the comparisons below skip
    fast = None  # type: ignore[assignment]

needs_compiled = pytest.mark.skipif(fast is None, reason="scrubphi._redact_fast is not built")


def test_chooser_follows_the_environment() -> None:
    """Pure when SCRUBPHI_NO_EXTENSIONS says so; compiled whenever the row codec's
    build (the same setup.py run) is, so a broken build does not go unnoticed."""
    if _impl.NO_EXTENSIONS:
        assert _redact_impl.IMPLEMENTATION == "pure"
        assert Redactor(TransformContext(key=KEY))._engine is None
    elif _impl.IMPLEMENTATION == "compiled":
        assert _redact_impl.IMPORT_ERROR is None
        assert _redact_impl.IMPLEMENTATION == "compiled"
        assert Redactor(TransformContext(key=KEY))._engine is not None
    assert Redactor(TransformContext(key=KEY), compiled=False)._engine is None


# -- the texts -----------------------------------------------------------------------------


def _physionet_notes() -> list[str]:
    text = PHYSIONET.read_text(encoding="utf-8")
    notes = [n for n in re.split(r"START_OF_RECORD=\d+\|\|\|\|\d+\|\|\|\|", text) if n.strip()]
    return [n.replace("||||END_OF_RECORD", "") for n in notes]


def _bench() -> ModuleType:
    path = ROOT / "benchmarks" / "redact_bench.py"
    spec = importlib.util.spec_from_file_location("redact_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("redact_bench", module)
    spec.loader.exec_module(module)
    return module


# Pieces that reach the rules and the patterns' corners: context words, names,
# initials, apostrophes, numbers of every shape, and characters whose case or
# class is unusual (combining marks, U+2028, long s, Kelvin sign, dotted I,
# non-ASCII digits, superscripts).
PIECES = [
    "Dr.", "dr", "Dr", "MR", "Mr.", "Ms", "ms", "son", "Son", "wife", "daughter-", "name is",
    "RN", "rrt", "MD", "Hospital", "HOSPITAL", "Memorial", "Union", "St.", "ST.", "Saint",
    "Via", "Rue", "de", "la", "U", "Univ.", "of", "the", "and", "to", "at", "from", "GH",
    "gh", "VAMC", "vamc", "Beach", "Shore", "Daytona", "Smith", "SMITH", "smith", "Bill",
    "bill", "Grace", "Hope", "Walker", "Mary", "J.", "j.", "q.", "T.", "A", "I", "a", "i",
    "O'Rourke", "O'Rourke's", "pt's", "Smith's", "SMITH'S", "can't", "they'll", "o’clock",
    "Kowalczyk", "Horiguchi", "Cyprus", "Brazil", "Renna", "LANDER", "resp", "amts",
    "dopplerable", "sedated", "cholecystitis", "DRNG", "fio2", "q4h", "Allika", "46",
    "Koskikatu", "6750", "Estonia", "62488", "12345", "617-555-1234", "(617) 555-1234",
    "555-1234", "03/04/2021", "3/4", "7/22", "11/21.93", "10/03/10/04", "7-8", "2-3",
    "on 7-8", "2021-03-04", "2021-03-04 10:30", "March 3", "3 March 2021", "March of 1993",
    "May", "may", "Sept.", "JAN", "12th", "the 11th", "1st", "92 yo", "92yo", "aged 101",
    "age: 95", "MRN: 1234567", "#123456", "12 Oak Street", "Apt. 4", "Suite 501",
    "Boston, MA 02139", "zip 02139", "PSC 6293, Box 8158 APO AP 04336", "AB123456",
    "a1b2c3d4e5", "DE89370400440532013000", "x" * 40, "9" * 70, "user@example.com",
    "www.example.org", "http://a.b/c", "10.1.2.3", "fe80::1", "cell.ca", "comfortable.pt",
    "+1 617 555 1234", "0044 20 7946 0958", "(0)20 7946 0958", "06 12 34 56 78",
    "71-33-52-22", "(301 273 45166)", "788-063-Office", "Pager 83554", "call 911",
    "call at 0700-1930", "pain 3/10", "PSV 12/5", "BP130-140", "100-200cc", "98.6", "76,",
    "20 mg", "1000 mg", "5L", "10AM", "2nd", "4 doses", "3 of may", "12-Jan", "12B Main St",
    "98.6 fax", "98.6 F", "12 5th Ave", "1(800)555-1234", "617/555/1234", "0.9", "0700",
    "SpO2 96%", "(E11.9)", "BP 132/84", "# 12345", "( 5", "+1", "Office", "fax", "ext",
    "pt id", "Acct #", "med rec no.", "Medical Record Number:", "SS#", "ssn:\n", "social",
    "member id", "ID", "case",
    "ß", "İ", "ſ", "\u212a", "ﬁ", "\u0301", "e\u0301", "\u2028", "\u2029", "\x0b", "\x1c",
    "\x85", "'", "\u2019", "''", "’s", "٣٤٥", "١٢/٣", "²", "₄", "Ⅻ", "_", "-", ".", ",", ":",
    "::", "@", "#", "+", "(", ")", "/", "%", "Ǆ", "ǅ", "ǆ", "Σ", "ς", "ŉ", "\u0345", "µ",
    "ı", "Ⅸ", "\u00c0", "\u00de", "\u00df",
]
SEPARATORS = [" ", " ", " ", "", ", ", ". ", "\n", "\t", "-", "'", ":", ".  ", " - ", "/"]


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 30))):
        parts.append(draw(st.one_of(
            st.sampled_from(PIECES),
            st.sampled_from(PIECES).map(str.upper),
            st.sampled_from(PIECES).map(str.title),
            st.text(st.characters(blacklist_characters="\0"), max_size=6),
            st.from_regex(r"[0-9]{1,7}[-./ ]?[0-9a-zA-Z]{0,5}", fullmatch=True),
        )))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


# -- the compiled readings of a text, against the expressions they stand for ---------------

HYPOTHESIS = settings(max_examples=400, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@needs_compiled
@given(st.one_of(hostile_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("O'Rourke’s x'' y'z 'a b'")
@example("sats @ 95%, mail a.b@c.org, http://x.y www.Z.com fe80::1 1:2:3:4:5:6:7:8 x.COM")
@example("K.//:com//WWWwww.com")  # a domain after www. ("WWW.io")
@example("x'y@z.com a.b-c.co.uk. HTTPS://x ftp://y Www.z.de fe80::1 ab:cd::ef g::1 ::1")
@example("1:2:3:4:5:6:7:8 at a.com; 1:2:3:4:5:6:7 x@y.org _a::1 ſ@k.com httpſ://a")
@example("\u0661\u0662\u00b2 ab_cd \u2160\u2161")
def test_readings_match_their_patterns(text: str) -> None:
    assert fast is not None
    words, digits, codes, web, web_starts = fast.read(text)
    assert words == [m.span() for m in _WORD.finditer(text)]
    assert [p for p, _ in digits] == [m.start() for m in DIGIT_START.finditer(text)]
    assert codes == [
        c.start() for c in CODE_START.finditer(text) if sum(ch.isdigit() for ch in c.group()) >= 5
    ]
    if not web & fast.WEB_TRIGGER:
        assert not needs_web(text)
    if web & fast.WEB_SURE:
        assert needs_web(text)
    full, webs = _web_patterns()
    part = webs[web & 15]
    found = [(m.span(), m.lastgroup) for m in full.finditer(text)]
    assert found == ([] if part is None else [(m.span(), m.lastgroup) for m in part.finditer(text)])
    # The web pattern tried only where _read says a match can start finds the same.
    assert web_starts == sorted(set(web_starts))
    if web & fast.WEB_TRIGGER and part is not None:
        assert [(m.span(), m.lastgroup) for m in matches_at(part, text, web_starts)] == found


@functools.cache
def _web_patterns() -> tuple[re.Pattern[str], tuple[re.Pattern[str] | None, ...]]:
    assert fast is not None
    pats = Redactor(TransformContext(key=KEY), compiled=False)._re
    return pats.web, fast.web_patterns(pats.web, pats.web_alternatives)


@functools.cache
def _digit_patterns() -> tuple[re.Pattern[str], tuple[re.Pattern[str] | None, ...]]:
    assert fast is not None
    # (compiled: the engine gives the scan the street suffixes it reads numbers with)
    pats = Redactor(TransformContext(key=KEY), compiled=True)._re
    return pats.digits, fast.shape_patterns(pats.digits, pats.digit_alternatives)


@needs_compiled
@given(st.one_of(hostile_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("12 March 3 of may 92 yo 12-Jan 2nd 98.6 fax 1(800)555-1234 12B Main St")
@example("7-8 10-20% 3-4. 11-12, (12-34) 10-20 fax 12-14  Main St 12-34ab5 7-8.5 1-2\u0663 9-9")
@example("120-130/70 120-130/7080 617-555/1234 555-1234/5 1-800.555 2L NC 5L  Main St 12B-14 "
         "40s 2nd 21ST 3rd. 4TH 5n 11\u017ft 12B\u00c9lan 2nd-3rd 1st\u0663 617-555.123\u0663")
@example("5-fold 12-Jan 92-year-old 12-AB345 1-(800) 120-130/70-80 12-of 92-Yo 7-\u017fep "
         "123-4/5 12-34/ 617-555/1234 2-x 100-12345ab 12-345678-")
@example("100-120/60 2010-2012 555-1234 617-555.1234 1-800 555 12-34-56 1234-5678a 12-345_ "
         "12-345- 12-345.6 12-345. a12-34567 .12-34567 12-3456\u0663 120-140 mmHg 12-3456ab7")
@example("12/5 98/60 1/2% 3/31 4/32 13/1 2/45 02/09, 1/1/ 7/22.5 ١٢/٣ 12/5\u0663 0/1 10/3")
@example("on 7-8.\xa0 since 1-2.\u2028 on 7-8.\u0663 on 7-8.\u00e9 3-4.\u3000x")
@example("12 N. Oak Elm St, 4 West 5th Ave 7 A B C Street 80 NSR HR 9 Big Straße 3 Via Roma "
         "5 Piroska u. 9 2 Lake Oak Pine Elm Rd 6 C/ Mayor 8 Main STREET 12 Oakst.")
@example("Call 555-0001 with (555-0001) 155-0001 Oak Street 055-1234 office 555-1234-5 "
         "555-1234. 555-1234/5 555-1234ab 555-1234\u0663 x555-1234 (555-1234 ext 12) 555-12345")
@example("1 Oak Street, 3 Main St 12 Oak 5 Of May 3 of may 92 Years 1 Yo 7 Maple Ave 2 NE "
         "4 Mayfair Rd 1 \u0130stanbul Cd 30 Junction Rd 1 Jan Street")
def test_each_number_shape_finds_what_the_whole_pattern_finds(text: str) -> None:
    """Where a number's shape rules every alternative out, the digit pattern does not
    match; where it names some, their pattern matches exactly as the whole one."""
    assert fast is not None
    full, shapes = _digit_patterns()
    for p, shape in fast.read(text)[1]:
        whole = full.match(text, p)
        if shape == fast.NO_MATCH:
            assert whole is None, (text, p)
            continue
        if shape == fast.ID_ONLY:  # the ID alternative alone, its end read in C
            end = fast.idnum_end(text, p)
            assert (whole is None) == (end < 0), (text, p)
            assert whole is None or (whole.lastgroup == "idnum" and whole.end() == end)
        pat = shapes[shape]
        assert pat is not None
        part = pat.match(text, p)
        assert (part is None) == (whole is None), (text, p, shape)
        if whole is not None and part is not None:
            assert part.span() == whole.span() and part.lastgroup == whole.lastgroup
            assert {k: v for k, v in part.groupdict().items() if v is not None} == {
                k: v for k, v in whole.groupdict().items() if v is not None}


@needs_compiled
@given(st.one_of(hostile_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("P.O. Box 12 po box x apt 4 Apt. #5 suite  7 unit no zip: 02139 postal code code is 1 "
         "PSC 6293, Box 8158 APO AP 04336 p 3 post op 5 ap\u212a 4")
def test_postal_group_is_tried_only_near_a_digit(text: str) -> None:
    """Where _digit_near says no, the postal group's pattern does not match."""
    assert fast is not None
    groups = Redactor(TransformContext(key=KEY), compiled=False)._re.words
    triggers, pat = next((t, p) for t, p in groups if "apt" in t and "zip" in t)
    for start, end in fast.read(text)[0]:
        if text[start:end].lower() in triggers and not fast.digit_near(text, start):
            assert pat.match(text, start) is None, (start, end)


@needs_compiled
@given(st.one_of(hostile_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("pt id: 12345 PT ID AB12345 medical record number is: 1234567 med rec no. 12345 "
         "Pt resting 80 mr# 12345 MR NO 1234 acct #: 99-1234567 patient id x4455 "
         "insurance id 123456 Medical Record Number:\n1234567 id AB1234 plan id\u0663 pt \u212a1")
def test_label_group_is_tried_only_after_label_words(text: str) -> None:
    """Where _label_may says no (and the word is no SSN label), the label group's
    pattern does not match."""
    fast_r, _ = _hostile_twins("year")
    assert fast_r._engine is not None
    triggers, pat = next((t, p) for t, p in fast_r._re.words if "mrn" in t and "ssn" in t)
    for start, end in fast.read(text)[0]:
        word = text[start:end].lower()
        if word in triggers and word not in ("ssn", "ss", "social") and \
                not fast_r._engine.label_may(text, start):
            assert pat.match(text, start) is None, (start, end)


@functools.cache
def _typo_twins() -> tuple[Callable[[str], bool], Callable[[str], bool], list[str]]:
    fast_r, pure_r = _twins()
    assert fast_r._engine is not None
    return fast_r._engine.typo, pure_r._is_typo, sorted(pure_r._v.common)[::97]


@needs_compiled
@given(st.data())
@HYPOTHESIS
def test_typo_check_agrees(data: st.DataObject) -> None:
    """The compiled typo check (no str per candidate edit) answers as _is_typo does: on
    edits of common words, on random ASCII and on any text."""
    fast_typo, pure_typo, common = _typo_twins()
    word = data.draw(st.sampled_from(common))
    i = data.draw(st.integers(0, len(word)))
    edit = data.draw(st.sampled_from(["", "x", "q", "'", "é", "zz"]))
    cut = data.draw(st.integers(0, 2))
    for text in (word, word[:i] + edit + word[i + cut:], word.upper(),
                 data.draw(st.text("abcdefghijklmnopqrstuvwxyz'-", max_size=34)),
                 data.draw(st.text(max_size=12))):
        assert fast_typo(text) == pure_typo(text), text


@functools.cache
def _classify_twins() -> tuple[Redactor, Redactor, list[str]]:
    fast_r, pure_r = _twins()
    v = pure_r._v
    words: set[str] = set()
    for pool in (v.common, v.names, v.places, v.rare, v.prefixes, v.safe, pure_r._ambiguous):
        words.update(sorted(pool)[::211])
    return fast_r, pure_r, sorted(words)


_EDITS = ["", "s", "es", "ing", "ed", "ly", "able", "ology", "itis", "x", "q", "h", "mc",
          "2", "47", "'s", "é", "ß", "İ", "\u2019s", "ı"]


@needs_compiled
@given(st.data())
@HYPOTHESIS
def test_word_classification_agrees(data: st.DataObject) -> None:
    """A word first seen is classified in C (Engine.classify) as _classify_title does
    in Python: list words, their edits and suffixes, glued digits, any text."""
    fast_r, pure_r, words = _classify_twins()
    assert fast_r._engine is not None
    word = data.draw(st.sampled_from(words))
    i = data.draw(st.integers(0, len(word)))
    edit = data.draw(st.sampled_from(_EDITS))
    cut = data.draw(st.integers(0, 2))
    for key in (word, word[:i] + edit + word[i + cut:], word + edit, word[:i],
                data.draw(st.text("abcdefghijklmnopqrstuvwxyz'0123456789", max_size=12)),
                data.draw(st.text(max_size=10))):
        for title in (False, True):
            assert fast_r._engine.classify(key, title) == pure_r._classify_title(key, title), \
                (len(key), title)


def _reference_bits(fast_r: Redactor, word: str) -> tuple[str, dict[str, bool]]:
    """What _Info's case and key bits stand for, with str's own methods."""
    from scrubphi.transforms.redact import word_rules as d

    low = word.lower()
    key, adj = low, 0
    if low not in fast_r._quiet and ("'" in key or "\u2019" in key):
        base, _, tail = key.replace("\u2019", "'").rpartition("'")
        if tail in ("s", "t", "ll", "re", "ve", "d", "m", "ed", "ing", "es", "ng", "g",
                    "n") and (base in fast_r._v.safe or not base):
            key = base
        elif tail == "s":
            key, adj = base, 2

    def habbr(k: str) -> bool:
        return k.endswith(("h", "mc")) and 2 <= len(k) <= 5 and k not in d._NOT_HOSPITALS

    return key, {
        "K_ALPHA": key.isalpha(), "K_DIGITS": key.isdigit(), "K_FIRSTDIGIT": key[:1].isdigit(),
        "K_CODE": not key.isalpha() and not key.replace("'", "").isalpha()
        and d._GLUED.fullmatch(key) is None,
        "K_HABBR": habbr(key),
        "K_PREPABBR": habbr(key) and (key not in fast_r._v.basic or len(key) <= 3),
        "W_UPPER": word.isupper(), "W_LOWER": word.islower(), "W_TITLE": word.istitle(),
        "W_CAP": word[:1].isupper(), "W_ALPHA": word.isalpha(),
        "W_TUPPER": word[: len(word) - adj].isupper(),
        "W_ABBRDOT": word + "." in d._ABBR_FIRST_TYPES,
        "W_ABBRSLASH": word + "/" in d._ABBR_FIRST_TYPES,
        "W_FORM": (key in FORM_UPPER and word.isupper()) or (key in FORM_CAP
                                                             and word[:1].isupper())
        or key in FORM_ANY,
    }


@needs_compiled
@given(st.data())
@HYPOTHESIS
def test_word_bits_agree_with_str_methods(data: st.DataObject) -> None:
    """A word's case and shape bits, read off an ASCII word's bytes in C, are what
    str's methods say (isupper, istitle, isalpha...), for any word _WORD can give."""
    fast_r, _pure_r, words = _classify_twins()
    assert fast_r._engine is not None
    names = fast_r._engine.bit_names()
    word = data.draw(st.sampled_from(words))
    candidates = [word, word.upper(), word.title(), word[:1].upper() + word[1:],
                  data.draw(st.text("abcXYZ019'_\u2019é", min_size=1, max_size=8)),
                  data.draw(st.sampled_from(["Av", "C", "ul", "AL", "pt's", "O'Rourke's",
                                             "GH", "vamc", "dh", "X2", "2x", "a'", "'"]))]
    for text in candidates:
        for m in _WORD.finditer(text):
            w = m.group()
            key, kbits, wflags = fast_r._engine.word_bits(w)
            ref_key, ref = _reference_bits(fast_r, w)
            assert key == ref_key, len(w)
            for name, want in ref.items():
                bits = wflags if name.startswith("W_") else kbits
                assert bool(bits & names[name]) == want, (name, len(w))


# -- the whole scan, compiled against pure --------------------------------------------------


def _lookup() -> Lookup:
    lk = Lookup.new(KEY)
    for name in ("Hope Walker", "Grace Park", "Bill Smith", "Mary Jones", "Will Bond"):
        lk.add("name", name)
    lk.add("phone", "(617) 555-1234")
    lk.add("id", "48213")
    lk.add("street", "12 Oak Street")
    lk.add("city", "Springfield")
    return lk


def _twins(**kwargs: object) -> tuple[Redactor, Redactor]:
    ctx = TransformContext(key=KEY)
    return (Redactor(ctx, compiled=True, **kwargs),  # type: ignore[arg-type]
            Redactor(ctx, compiled=False, **kwargs))  # type: ignore[arg-type]


CONFIGS: dict[str, Callable[[], dict[str, object]]] = {
    "year": dict,
    "shift": lambda: {"dates": "shift", "days": 30, "per": "patient_id"},
    "lookup": lambda: {"lookup": _lookup()},
}


def _assert_twins(fast_r: Redactor, pure_r: Redactor, texts: list[str]) -> None:
    for i, text in enumerate(texts):
        # Not the text in the message: an index is enough to find it again.
        assert fast_r.redact(text, "p1") == pure_r.redact(text, "p1"), f"text {i}"
        assert fast_r.find(text) == pure_r.find(text), f"text {i}"


@needs_compiled
@pytest.mark.skipif(not PHYSIONET.is_file(), reason="shared/corpora is not there (optional)")
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_twins_agree_on_physionet_notes(config: str) -> None:
    _assert_twins(*_twins(**CONFIGS[config]()), _physionet_notes())


@needs_compiled
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_twins_agree_on_the_bench_corpus(config: str) -> None:
    _assert_twins(*_twins(**CONFIGS[config]()), _bench().corpus(0.3))


@functools.cache
def _hostile_twins(config: str) -> tuple[Redactor, Redactor]:
    return _twins(**CONFIGS[config]())


@needs_compiled
@given(st.sampled_from(sorted(CONFIGS)), hostile_text())
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("year", "Allika ₄ and Koskikatu 46, Estonia 62488")
@example("year", "son bill, Smokey, Morris and Roger visited. Dr. O'Rourke's wife-KRISSY")
@example("year", "pt id\nAB12345; SSN:\n123456789; Acct #: 99-1234567, mr no. x4455")
@example("year", "on 7-8, since\t10-12; UNTIL 3-4 HR 7-8 xon 1-2 100-120/60 12--345 1234567-8")
@example("lookup", "Hope Walker called; grace park at 12 Oak Street, Springfield")
@example("lookup", "www.example.org\ud800 ")  # a lone surrogate in a URL's surrogate's key
def test_twins_agree_on_hostile_text(config: str, text: str) -> None:
    _assert_twins(*_hostile_twins(config), [text])


@needs_compiled
def test_twins_agree_past_the_word_table_limit() -> None:
    """More distinct words than the compiled scan keeps (its table grows, then is
    cleared between two texts): the answers stay the pure scan's."""
    fast_r, pure_r = _twins()
    sample = "Dr. Horiguchi saw pt's wife Grace at 12 Oak Street on 3/4; MRN 1234567."
    for chunk in range(0, 150_000, 10_000):
        text = " ".join(f"w{i}z" for i in range(chunk, chunk + 10_000)) + " " + sample
        assert fast_r.redact(text) == pure_r.redact(text), f"chunk {chunk}"
    assert fast_r.redact(sample) == pure_r.redact(sample)
