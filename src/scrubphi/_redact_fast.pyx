"""The free-text redactor's scan, compiled: the fast twin of ``Redactor._scan``.

Why it exists: ``{redact: text}`` looks at every word of every note, and in
Python the per-word work (a tuple per token, a dozen set look-ups, string
methods) and a regular expression tried at every number made it the slowest
column kind by far.  Here a note is read once in C over the ``str``'s own
buffer (``_redact_read.pxi``): its words (exactly ``detector._WORD``), the
places a digit-led pattern can start (``patterns.DIGIT_START``) with the
shape of the number there (``_redact_shapes.pxi``), and the code-like words
(``patterns.CODE_START``).
A number's shape ("20 mg", "12/", "98.6 F") says which alternatives of the
digit-led pattern can match after it: none (most numbers: no match is tried)
or a few, joined into a smaller pattern that finds the same matches.  Each
distinct word is looked up once per redactor in an open-addressing table
keyed by a hash of its code points (``_redact_text.pxi``) and gets an
:class:`_Info`: its lower-case key, one bitmask of every word set the rules
test, and its case; the context rules (``_redact_rules.pxi``) run on C
arrays of those (the twin of ``word_rules.WordRules._decide``).  A word's
classification (``WordRules._classify_title``) and
its typo check are done here in C on the same sets, once per distinct word;
anything rare (the structured patterns' handlers, the surrogates) calls the
same Python code as the pure scan.

Semantics are those of ``detector.Redactor._scan`` (the pure twin), byte for
byte; ``tests/test_redact_twins.py`` holds the two to it, and each reading of
a text to the regular expression it stands for.  Never logs or raises with a
value.
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.unicode cimport (
    Py_UNICODE_ISALNUM, Py_UNICODE_ISALPHA, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISDIGIT,
    Py_UNICODE_ISSPACE, Py_UNICODE_ISUPPER, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ,
)
from libc.stdint cimport int32_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport qsort
from libc.string cimport memcmp, memcpy, memset

import re

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.redact.late import HEAD_WORDS
from scrubphi.transforms.redact.late_cues import CUE_FORMS, CUE_WORDS, HEAD_CUES
from scrubphi.transforms.redact.late_firms import FORM_ANY, FORM_CAP, FORM_UPPER, HEAD_FORMS

if HEAD_FORMS != 2 or HEAD_CUES != 4:
    raise ImportError("late_firms.HEAD_FORMS or late_cues.HEAD_CUES changed: update Engine.scan")
from scrubphi.transforms.redact.vocab import word_key

IMPLEMENTATION = "compiled"
#: The shape ``read`` gives a number after which no digit-led alternative matches.
NO_MATCH = 0
#: The bit of ``read``'s web value that says ``patterns.needs_web`` can be True.
WEB_TRIGGER = 16
#: The bit of ``read``'s web value that says ``patterns.needs_web`` is True.
WEB_SURE = 32
#: The shape ``read`` gives a number where only the ``idnum`` alternative can match.
ID_ONLY = 16

include "_redact_text.pxi"
include "_redact_shapes.pxi"
include "_redact_read.pxi"
include "_redact_rules.pxi"
include "_redact_table.pxi"
include "_redact_digits.pxi"


cdef bint _digits_and_hyphens(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether ``text[s:e]`` is ASCII digit runs of fewer than seven digits joined by
    single hyphens: an ``idnum`` match that ``StructuredPass._idnum`` leaves as it is
    (``_MEASURE`` matches it whole: an amount or a range)."""
    cdef Py_ssize_t p, run = 0
    cdef Py_UCS4 c
    if e <= s or t.at(s) == u'-' or t.at(e - 1) == u'-':
        return False
    for p in range(s, e):
        c = t.at(p)
        if c >= u'0' and c <= u'9':
            run += 1
            if run >= 7:
                return False
        elif c == u'-' and run > 0:
            run = 0
        else:
            return False
    return True


cdef bint _dash_date_word(_Text t, Py_ssize_t s) noexcept:
    """Whether ``StructuredPass._mdash`` can take the month-day at ``s`` for a date: the
    last word of ``text[s - 16:s].lower().split()`` is "on", "since", "until" or a verb
    of the stay (``structured._DASH_DATE_VERBS``); any character that is not ASCII
    there is a maybe."""
    cdef Py_ssize_t lo = s - 16 if s > 16 else 0, b = s, a, n, i
    cdef char low[12]
    cdef Py_UCS4 c
    for i in range(lo, s):
        if t.at(i) >= 128:
            return True
    while b > lo and _in(t.at(b - 1), b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"):
        b -= 1
    a = b
    while a > lo and not _in(t.at(a - 1), b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"):
        a -= 1
    n = b - a
    if n < 2 or n > 11:
        return False
    for i in range(n):
        c = t.at(a + i)
        low[i] = <char>(<uint32_t>c | 0x20) if c >= u'A' and c <= u'Z' else <char>c
    low[n] = 0
    if n == 2:
        return low[0] == b'o' and low[1] == b'n'
    if n == 4:
        return memcmp(low, b"seen", 4) == 0
    if n == 5:
        return memcmp(low, b"since", 5) == 0 or memcmp(low, b"until", 5) == 0
    if n == 8:
        return memcmp(low, b"admitted", 8) == 0
    if n == 9:
        return memcmp(low, b"intubated", 9) == 0 or memcmp(low, b"extubated", 9) == 0
    if n == 10:
        return memcmp(low, b"readmitted", 10) == 0 or memcmp(low, b"discharged", 10) == 0
    if n == 11:
        return memcmp(low, b"transferred", 11) == 0 or memcmp(low, b"reintubated", 11) == 0
    return False


cdef bint _az(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether ``text[s:e]`` is three or more letters a to z (pairs.lower_name_pairs)."""
    cdef Py_ssize_t p
    cdef Py_UCS4 c
    if e - s < 3:
        return False
    for p in range(s, e):
        c = t.at(p)
        if c < u'a' or c > u'z':
            return False
    return True


cdef bint _concat(_WordSet words, const char *buf, Py_ssize_t n) noexcept:
    """Whether ``buf[:n]`` is one or more of ``words`` end to end (n <= 32)."""
    cdef bint ok[33]
    cdef Py_ssize_t i, j
    ok[0] = True
    for i in range(1, n + 1):
        ok[i] = False
        for j in range(i):
            if ok[j] and words.has(buf + j, i - j):
                ok[i] = True
                break
    return ok[n]


cdef bint _label_may(_Text t, Py_ssize_t q, _WordSet words) noexcept:
    """Whether the label group's ID alternative can match at ``q`` (a label's word):
    a label is words of the pattern (``words``: the runs of letters of its source,
    "rec" and "ord" of ``rec(?:ord)?``) joined by spaces, ``.``, ``:`` and ``#``,
    five at most, and the ID after it starts with letters and a digit, or a digit.
    So each run of letters before that digit is made of the pattern's words (in
    any case), and only those characters come between.  Anything not ASCII is a
    maybe."""
    cdef char buf[32]
    cdef Py_ssize_t n, k
    cdef Py_UCS4 c
    for k in range(8):
        n = 0
        while q < t.length:
            c = t.at(q)
            if c >= 128:
                return True
            if not _ascii_letter(c):
                break
            if n < 32:
                buf[n] = <char>(<uint32_t>c | 0x20)
            n += 1
            q += 1
        if q >= t.length:
            return False
        if _is_decimal(t.at(q)):
            return True  # letters and a digit: the ID itself ("AB12345")
        if n > 32 or not _concat(words, buf, n):
            return False
        while q < t.length and _in(t.at(q), b" .:#"):
            q += 1
        if q >= t.length:
            return False
        c = t.at(q)
        if c >= 128 or _is_decimal(c):
            return True
        if not _ascii_letter(c):
            return False
    return False


cdef bint _ends_with_any(const char *w, Py_ssize_t n, tuple endings) except -1:
    """Whether the ASCII ``w[:n]`` ends with one of ``endings`` (bytes)."""
    cdef bytes e
    cdef Py_ssize_t k
    for e in endings:
        k = len(e)
        if k <= n and memcmp(w + n - k, <const char *>e, k) == 0:
            return True
    return False


cdef int _pair_cmp(const void *a, const void *b) noexcept nogil:
    """(start, end) pairs in ascending order, as tuples sort."""
    cdef const Py_ssize_t *x = <const Py_ssize_t *>a
    cdef const Py_ssize_t *y = <const Py_ssize_t *>b
    if x[0] != y[0]:
        return -1 if x[0] < y[0] else 1
    if x[1] != y[1]:
        return -1 if x[1] < y[1] else 1
    return 0


cdef Py_ssize_t _plain_prefix(_Text t, Py_ssize_t start) noexcept:
    """``structured._with_prefix`` where it needs no pattern: where a phone number found
    at ``start`` begins, or -1 when a prefix may stand before it (Python's search)."""
    cdef Py_UCS4 c, b
    if start == 0:
        return start
    c = t.at(start - 1)
    if c != u' ' and c != u'(' and c != u')':
        return start
    if c == u'(':
        return start - 1 if t.at(start) == u'+' else start
    if c == u' ':
        if start < 2:
            return start
        b = t.at(start - 2)
        if b != u')' and not Py_UNICODE_ISDECIMAL(b):
            return start
    return -1


cdef bint _fax_before(_Text t, Py_ssize_t start) noexcept:
    """``structured._fax_or_phone``: "fax" in the twelve characters before ``start``, in
    any case (``str.lower`` makes an ASCII "f", "a" or "x" of no other character)."""
    cdef Py_ssize_t i = start - 12 if start > 12 else 0
    cdef Py_UCS4 c
    while i + 3 <= start:
        c = t.at(i)
        if (c == u'f' or c == u'F') and (t.at(i + 1) == u'a' or t.at(i + 1) == u'A') and \
                (t.at(i + 2) == u'x' or t.at(i + 2) == u'X'):
            return True
        i += 1
    return False


cdef bint _digit_ends(_Text t, Py_ssize_t lo, Py_ssize_t start) noexcept:
    """``text[lo:start].rstrip(" \\t\\r\\n>/")[-1:].isdigit()`` (blocks.address_blocks)."""
    cdef Py_ssize_t i = start - 1
    while i >= lo and _in(t.at(i), b" \t\r\n>/"):
        i -= 1
    return i >= lo and Py_UNICODE_ISDIGIT(t.at(i))


cdef bint _newline_near(_Text t, Py_ssize_t start) noexcept:
    """Whether a line break is among the 24 characters before ``start``: without one,
    ``blocks._opens_line`` cannot hold (its pattern wants one there), and the walk of
    most notes' addresses ("Lives at 1 Oak Street") needs no Python call for it."""
    cdef Py_ssize_t lo = start - 24 if start > 24 else 0, i = start - 1
    while i >= lo:
        if t.at(i) == u'\n':
            return True
        i -= 1
    return False


cdef inline bint _capital(Py_UCS4 c) noexcept:
    return u'A' <= c <= u'Z'


cdef inline bint _small(Py_UCS4 c) noexcept:
    return u'a' <= c <= u'z'


cdef int _matches_at(match, str text, _Vec *starts, handlers, out) except -1:
    """``patterns.matches_at`` over ``starts`` (ascending), each match to its handler."""
    cdef Py_ssize_t k, pos, end = -1
    for k in range(starts.n):
        pos = starts.v[k]
        if pos < end:
            continue
        m = match(text, pos)
        if m is not None:
            end = m.end()
            handlers[m.lastgroup or ""](m, out)
    return 0


cdef struct _Slot:
    # One cache line a word: what the scan copies into its _Tok, and the word's
    # characters when it is a Latin-1 word of up to 15 (most words), so that finding a
    # word touches neither its _Info nor its str.
    uint64_t hash
    PyObject *info  # (an _Info, owned; NULL: free)
    uint64_t kbits
    uint64_t lbits
    uint32_t wflags
    int32_t length
    int32_t klen
    int32_t adj
    unsigned char chars[15]
    unsigned char inl  # chars holds the word


cdef extern from *:
    """
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define RF_LITTLE_ENDIAN 1
    #else
    #define RF_LITTLE_ENDIAN 0
    #endif
    """
    const bint _LITTLE_ENDIAN "RF_LITTLE_ENDIAN"


cdef inline _Slot *_hit(_Slot *slots, Py_ssize_t mask, _Text t, Py_ssize_t s, Py_ssize_t e,
                        uint64_t h) noexcept:
    """The slot of the word ``text[s:e]`` when it is the first probed and holds the
    word inline, and the text has one byte a character and 16 bytes to read at ``s``:
    most words of a warm scan, compared as two 64-bit words instead of a call of
    Engine._info and memcmp.  NULL otherwise (not a miss: Engine._info decides)."""
    cdef _Slot *slot
    cdef Py_ssize_t n = e - s
    cdef uint64_t a0, a1, b0, b1, m0, m1
    if not _LITTLE_ENDIAN or slots is NULL or t.kind != 1 or s + 16 > t.length:
        return NULL
    slot = &slots[h & mask]
    if slot.hash != h or slot.length != n or not slot.inl or slot.info is NULL:
        return NULL
    memcpy(&a0, <const char *>t.data + s, 8)
    memcpy(&a1, <const char *>t.data + s + 8, 8)
    memcpy(&b0, slot.chars, 8)
    memcpy(&b1, slot.chars + 8, 8)  # (its last byte is inl: n <= 15 leaves it out)
    # (little-endian: the first characters are the low bytes)
    if n >= 8:
        m0 = ~(<uint64_t>0)
        m1 = ((<uint64_t>1) << (8 * (n - 8))) - 1
    else:
        m0 = ((<uint64_t>1) << (8 * n)) - 1
        m1 = 0
    if ((a0 ^ b0) & m0) | ((a1 ^ b1) & m1):
        return NULL
    return slot


cdef class Taken:
    """``blocks._Taken`` in C, for the compiled scan's address walk: the spans found
    before the walk as (start, end) pairs in a C array, sorted, with the furthest end
    up to each; where a finding starts and whether a range overlaps one by bisection.
    Why: on a note dense with identifiers the Python twin's loops over the spans cost
    a fifth of the address walk.  The same answers (``test_redact_speed_paths.py``)."""

    cdef Py_ssize_t *pairs  # start, end; sorted
    cdef Py_ssize_t *reach  # the furthest end of the pairs up to each
    cdef Py_ssize_t n

    def __cinit__(self, list spans):
        cdef Py_ssize_t i
        cdef tuple span
        self.n = PyList_GET_SIZE(spans)
        self.pairs = <Py_ssize_t *>PyMem_Malloc((3 * self.n + 1) * sizeof(Py_ssize_t))
        if self.pairs is NULL:
            raise MemoryError()
        self.reach = self.pairs + 2 * self.n
        for i in range(self.n):
            span = <tuple>PyList_GET_ITEM(spans, i)
            self.pairs[2 * i] = span[0]
            self.pairs[2 * i + 1] = span[2]
        qsort(self.pairs, self.n, 2 * sizeof(Py_ssize_t), _pair_cmp)
        for i in range(self.n):
            self.reach[i] = self.pairs[2 * i + 1] if i == 0 or \
                self.pairs[2 * i + 1] > self.reach[i - 1] else self.reach[i - 1]

    def __dealloc__(self):
        PyMem_Free(self.pairs)

    cdef Py_ssize_t _below(self, Py_ssize_t pos) noexcept:
        """How many pairs start before ``pos``."""
        cdef Py_ssize_t lo = 0, hi = self.n, mid
        while lo < hi:
            mid = (lo + hi) // 2
            if self.pairs[2 * mid] < pos:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def found_at(self, Py_ssize_t pos):
        """The end of the longest finding that starts at ``pos``, else -1."""
        cdef Py_ssize_t k = self._below(pos), best = -1
        while k < self.n and self.pairs[2 * k] == pos:
            best = self.pairs[2 * k + 1]  # (sorted: the last is the longest)
            k += 1
        return best

    def covered(self, Py_ssize_t start, Py_ssize_t end):
        """Whether ``start:end`` overlaps a finding."""
        cdef Py_ssize_t k = self._below(end)
        return k > 0 and self.reach[k - 1] > start


cdef class Engine:
    """The compiled ``_scan`` of one :class:`~scrubphi.transforms.redact.Redactor`."""

    cdef object r
    # The words seen, as an open-addressing table of _Info (strong references) keyed
    # by a hash of the word's code points, so that finding a word's _Info costs
    # neither a str nor a dict look-up; cleared when it holds CACHE_LIMIT words.
    cdef _Slot *slots  # (a word's hash beside its _Info: one cache line a probe)
    cdef Py_ssize_t mask, used
    cdef object triggers, flagged
    cdef object flag_first, flag_last, stop, names_words, glued, abbr_types
    cdef object medical_endings, abbr_dot, abbr_slash
    cdef tuple medical_bytes
    cdef tuple sets
    cdef tuple groups
    cdef object web, digits, codes, handlers, needs_web, matches_at
    cdef object fns, digits_like, case_like, upper_word, not_hospitals, place_fake
    cdef tuple group_pats, shapes, webs
    cdef dict small_key, small_low
    cdef _WordSet label_words
    cdef WordTable words  # the vocabulary and the redactor's sets (_redact_table.pxi)
    cdef Py_ssize_t longest_word
    cdef bint has_lookup
    cdef Py_ssize_t label_group, post_group, phone_group, month_group, obmail_group
    cdef int busy  # scans under way
    # The text of the last scan and its anchors' bits for the late pass (_Reading.late).
    cdef object marks_text
    cdef int marks_value
    # The vectors of the last scan's _Reading, emptied: the next scan fills them again
    # instead of growing new ones from nothing (one reallocation a vector a scan).
    cdef _Reading spare
    cdef _Dates dates  # the commonest dates' handlers, in C (_redact_digits.pxi)
    # The phone handlers' common path (_phone_at, _labelled_at): the phone and fax
    # surrogate functions, what they remember, and _phone's Hungarian pattern.
    cdef object phone_fn, fax_fn, hu_slash
    cdef dict phone_cache, fax_cache
    cdef bint fast_phones
    cdef _WordSet range_labels  # structured._RANGE_LABELS: "WBC 200-1000" is no phone
    # The street addresses' handler ("addr": the whole match, the address transform's
    # surrogate), in C (_address_at) where it is StructuredPass._group's.
    cdef object address_fn
    cdef dict address_cache
    cdef bint fast_addresses
    # The address walk (blocks.address_blocks, address_walk): its module, the letters a
    # unit's word starts with (bit k: chr(97 + k)) and the words that end a town's name.
    cdef object blocks
    cdef uint32_t unit_first

    def __init__(self, redactor):
        from scrubphi.transforms.redact import context as d
        from scrubphi.transforms.redact import word_rules as wr
        from scrubphi.transforms.redact import patterns as pt
        from scrubphi.transforms.redact import structured as st
        from scrubphi.transforms.redact import vocab as vc

        r = redactor
        v = r._v
        self.r = r
        self._table(1 << 12)
        self.words = r._words_table
        self.triggers = r._triggers
        self.flagged = r._flagged
        self.flag_first = r._flag_first
        self.flag_last = r._flag_last
        self.stop = vc.STOP
        self.glued = wr._GLUED
        self.abbr_types = wr._ABBR_FIRST_TYPES
        # (word + "." in abbr_types is word in abbr_dot: no str made per new word)
        self.abbr_dot = frozenset(w[: len(w) - 1] for w in wr._ABBR_FIRST_TYPES
                                  if w.endswith("."))
        self.abbr_slash = frozenset(w[: len(w) - 1] for w in wr._ABBR_FIRST_TYPES
                                    if w.endswith("/"))
        # What _classify reads besides the word table's bits.
        self.medical_endings = d._MEDICAL_ENDINGS
        self.medical_bytes = tuple(e.encode("ascii") for e in d._MEDICAL_ENDINGS)
        if tuple(x.encode() for x in d._SUFFIXES) != _DERIVED_SUFFIXES:
            raise ValueError("context._SUFFIXES changed: update _DERIVED_SUFFIXES")
        # (set, bit) of the key: the vocabulary's sets are bits of the word table
        # (_new_info), the lookup's are Python sets, the small ones one dict below.
        sets = (
            (r._flagged, K_FLAGGED), (r._flag_first, K_FFIRST), (r._flag_last, K_FLAST),
            (vc.STOP, K_STOP), (r._triggers, K_TRIG),
            (d._HONORIFICS, K_HON), (d._WEAK_HONORIFICS, K_WEAKHON), (d._RELATIONS, K_REL),
            (d._CREDENTIALS, K_CRED), (d._PLACE_WORDS, K_PLACEW),
            (d._PLACE_NAME_PARTS, K_PLACEPART), (d._HOSPITAL_WORDS, K_HOSP),
            (d._FEATURES, K_FEAT), (d._STREET_TYPES, K_STREET), (d._UNIVERSITY, K_UNIV),
            (d._SAINTS, K_SAINT), (d._PLACE_PREPS, K_PREP), (d._GENERIC_PLACE, K_GENERIC),
            (d._NAME_PARTICLES, K_PARTICLE), (frozenset(("name", "names")), K_NAMEWORD),
            (frozenset(("is", "was", "are")), K_ISWAS), (frozenset(("and",)), K_AND),
            (frozenset(("of",)), K_OF), (frozenset(("the",)), K_THE),
            (frozenset(("a", "i")), K_AI), (d._PLACE_PREFIXES, K_PPREFIX),
            (d._ORG_WORDS, K_ORGW), (r._suffix_words, K_SUFFIX), (d._LEGAL_FORMS, K_LEGAL),
            (d._PERSON_NEXT, K_PNEXT), (wr._AFTER_TYPE_WORDS, K_AFTERTYPE),
            (d._ORG_PREPS, K_ORGPREP), (d._LEGAL_ABBREVS, K_LEGALABBR),
            (d._FIRM_ANDS, K_FIRMAND), (d._FIRM_CLOSERS, K_FIRMCLOSE),
            (d._PLACE_LINKS, K_PLINK), (d._WORK_WORDS, K_WORK), (d._WORK_PREPS, K_WORKPREP),
            (HEAD_WORDS, K_FACHEAD), (d._ROLE_WORDS, K_ROLE), (d._ROLE_PREPS, K_ROLEPREP),
            (d._NOT_EMPLOYERS, K_NOTEMP), (d._EPONYM_PLACES, K_EPLACE),
            (d._VISIT_VERBS, K_VISIT), (FORM_UPPER, K_FORMUP), (FORM_CAP, K_FORMCAP),
            (FORM_ANY, K_FORMANY), (CUE_WORDS, K_CUE), (CUE_FORMS, K_CUEFORM),
            (d._PATIENT_LABELS, K_PTLABEL),
        )
        big = (r._flagged, r._flag_first, r._flag_last)
        self.sets = tuple((words, bit) for words, bit in sets
                          if any(words is b for b in big) and words)
        small: dict = {}
        for words, bit in sets:
            if not any(words is b for b in big):
                for w in words:
                    small[w] = small.get(w, 0) | bit
        self.small_key = small
        self.not_hospitals = d._NOT_HOSPITALS
        pats = r._re
        self.groups = tuple(triggers for triggers, _ in pats.words)
        if len(self.groups) > 24:
            raise ValueError("too many word-led pattern groups for the compiled redactor")
        self.group_pats = tuple(pat for _, pat in pats.words)
        small = {w: L_TRIG for w in r._triggers}
        for g, triggers in enumerate(self.groups):
            for w in triggers:
                small[w] = small.get(w, 0) | (L_GROUP0 << g)
        for w in ("ssn", "ss", "social"):
            small[w] = small.get(w, 0) | L_SSNWORD
        self.small_low = small
        # The group of labels ("MRN:", "Acct #", "pt id"): its ID alternative wants the
        # label's words and a digit on the label's line (_label_may); only the SSN label
        # may cross lines.
        self.label_group = next((g for g, triggers in enumerate(self.groups)
                                 if "mrn" in triggers and "ssn" in triggers), -1)
        # The words of that group's pattern (_label_may): the runs of letters of its
        # source once the syntax is taken out ("(?i:", "(?P<mv>", "\\d", "[A-Za-z0-9]").
        source = self.group_pats[self.label_group].pattern if self.label_group >= 0 else ""
        source = re.sub(r"\(\?P<\w+>|\(\?P=\w+\)|\(\?[aiLmsux-]*:|\(\?<?[=!]|\\[A-Za-z]"
                        r"|\[[^\]]*\]|\{[^}]*\}", " ", source)
        self.label_words = _word_set(frozenset(
            w.lower() for w in re.findall(r"[A-Za-z]+", source) if len(w) <= 32))
        # The postal group ("Apt 4", "P.O. Box 12", "zip 02139"): a digit near (_digit_near).
        self.post_group = next((g for g, triggers in enumerate(self.groups)
                                if "apt" in triggers and "zip" in triggers), -1)
        # The phone words' group ("pager 83554", "call me on (64) 3591-3246"): a digit
        # after its words (_phone_digit_near).
        self.phone_group = next((g for g, triggers in enumerate(self.groups)
                                 if "pager" in triggers and "call" in triggers), -1)
        # The obfuscated e-mails' group ("jane dot doe at gmail dot com"): after its "at",
        # a label and a dot or a written "dot" (_obmail_may); "at" is a common word.
        self.obmail_group = next((g for g, triggers in enumerate(self.groups)
                                  if triggers == frozenset(["at"])), -1)
        # The month words' group ("May 3", "Dec. '98"): a digit after the word, unless
        # the word can be a date alone (_month_may).
        self.month_group = next((g for g, triggers in enumerate(self.groups)
                                 if "may" in triggers and "dec" in triggers), -1)
        self.web = pats.web
        self.webs = web_patterns(pats.web, pats.web_alternatives)
        self.digits = pats.digits
        self.shapes = shape_patterns(pats.digits, pats.digit_alternatives)
        global _SUFFIXES_CAPITAL
        _SUFFIXES_CAPITAL = _SUFFIXES_CAPITAL and all(
            ("A" <= s[:1] <= "Z") or ("\u00c0" <= s[:1] <= "\u00de") for s in v.suffixes)
        _fill_suffixes(v.suffixes)
        self.codes = pats.codes
        self.handlers = r._handlers
        self.needs_web = pt.needs_web
        self.fns = r._fns
        self.digits_like = st.digits_like
        self.place_fake = st.place_fake
        self.case_like = wr.case_like
        self.upper_word = wr.upper_word
        self.has_lookup = r._lookup is not None
        self.longest_word = d._LONGEST_WORD
        self.dates = _Dates(r)
        self.phone_fn = r._fns["phone"]
        self.fax_fn = r._fns["fax"]
        self.phone_cache = r._caches["phone"]
        self.fax_cache = r._caches["fax"]
        self.hu_slash = st._HU_SLASH.match
        self.range_labels = _word_set(st._RANGE_LABELS)
        # (only where the handlers are StructuredPass's own)
        self.fast_phones = all(
            getattr(r._handlers[group], "__func__", None) is fn
            for group, fn in (("local", st.StructuredPass._phone),
                              ("phone", st.StructuredPass._phone),
                              ("phonel", st.StructuredPass._labelled_phone)))
        from scrubphi.transforms.redact import blocks as bl
        self.blocks = bl
        self.unit_first = 0
        for c in bl._UNIT_FIRST:
            if "a" <= c <= "z":
                self.unit_first |= (<uint32_t>1) << (ord(c) - 97)
        if bl._ANCHORS != frozenset(("address", "zip")) or \
                bl._SEP.pattern != r"[ \t]*(?:(?:[,>|;()]|\r?\n)[ \t]*){0,3}":
            raise ValueError("blocks' anchors or separator changed: update address_walk")
        self.address_fn = r._fns["address"]
        self.address_cache = r._caches["address"]
        address = r._handlers["addr"]
        model = r._group("addr", "address")
        self.fast_addresses = getattr(address, "__code__", None) is model.__code__ and \
            [c.cell_contents for c in address.__closure__] == \
            [c.cell_contents for c in model.__closure__]

    def typo(self, str word):
        """``Redactor._is_typo``: whether ``word`` is one edit (delete, swap, replace,
        insert of a-z) away from a common word, with no str per candidate."""
        return self._typo(word)

    cdef bint _typo(self, str word) except -1:
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(word), i
        cdef const char *w
        cdef char buf[64]
        cdef char c
        cdef WordTable common
        # The table's hash is polynomial (h(ab) = h(a) * PB**len(b) + h(b), mod 2**64):
        # an edit's hash is its prefix's, the edited bytes' and its suffix's, composed
        # in a few multiplications instead of read again from every candidate's bytes.
        cdef uint64_t pre[64]
        cdef uint64_t suf[64]
        cdef uint64_t pw[64]
        cdef uint64_t h
        if not 5 <= n <= self.longest_word or not PyUnicode_IS_ASCII(word) or n > 60:
            return False
        w = <const char *>PyUnicode_DATA(word)
        common = self.words
        pw[0] = 1
        pre[0] = 0
        for i in range(n + 1):
            pw[i + 1] = pw[i] * _PB
        for i in range(n):
            pre[i + 1] = pre[i] * _PB + <uint8_t>w[i] + 1
        suf[n] = 0
        i = n
        while i > 0:
            i -= 1
            suf[i] = (<uint64_t>(<uint8_t>w[i]) + 1) * pw[n - 1 - i] + suf[i + 1]
        for i in range(n):  # deletes
            memcpy(buf, w, i)
            memcpy(buf + i, w + i + 1, n - i - 1)
            if common.find_h(buf, n - 1, pre[i] * pw[n - 1 - i] + suf[i + 1]) & T_COMMON:
                return True
        for i in range(n - 1):  # swaps
            memcpy(buf, w, n)
            buf[i] = w[i + 1]
            buf[i + 1] = w[i]
            h = (pre[i] * _PB + <uint8_t>w[i + 1] + 1) * _PB + <uint8_t>w[i] + 1
            if common.find_h(buf, n, h * pw[n - 2 - i] + suf[i + 2]) & T_COMMON:
                return True
        memcpy(buf, w, n)
        for i in range(n):  # replaces
            for c in range(97, 123):  # a-z
                buf[i] = c
                h = (pre[i] * _PB + <uint8_t>c + 1) * pw[n - 1 - i] + suf[i + 1]
                if common.find_h(buf, n, h) & T_COMMON:
                    return True
            buf[i] = w[i]
        for i in range(n + 1):  # inserts
            memcpy(buf, w, i)
            memcpy(buf + i + 1, w + i, n - i)
            for c in range(97, 123):  # a-z
                buf[i] = c
                h = (pre[i] * _PB + <uint8_t>c + 1) * pw[n - i] + suf[i]
                if common.find_h(buf, n + 1, h) & T_COMMON:
                    return True
        return False

    def classify(self, str key, bint title):
        """_classify, for the twin tests."""
        return self._classify(key, title)

    def word_bits(self, str word):
        """(key, kbits, wflags) of a word first seen, for the twin tests."""
        cdef _Info info = self._new_info(word)
        return info.key, info.kbits, info.wflags

    @staticmethod
    def bit_names():
        """The names of the kbits and wflags bits ``word_bits`` gives, for the tests."""
        return {"K_ALPHA": K_ALPHA, "K_DIGITS": K_DIGITS, "K_FIRSTDIGIT": K_FIRSTDIGIT,
                "K_CODE": K_CODE, "K_HABBR": K_HABBR, "K_PREPABBR": K_PREPABBR,
                "W_UPPER": W_UPPER, "W_LOWER": W_LOWER, "W_TITLE": W_TITLE, "W_CAP": W_CAP,
                "W_ALPHA": W_ALPHA, "W_TUPPER": W_TUPPER, "W_ABBRDOT": W_ABBRDOT,
                "W_ABBRSLASH": W_ABBRSLASH, "W_FORM": W_FORM}

    def label_may(self, str text, Py_ssize_t pos):
        """_label_may with this engine's words, for the twin tests."""
        return _label_may(_text(text), pos, self.label_words)

    cdef _Info _new_info(self, str word):
        cdef _Info info = _Info.__new__(_Info)
        cdef uint64_t lb = 0, kb = 0
        cdef uint32_t wf = 0
        cdef PyObject *hit
        cdef uint32_t tl, tk
        cdef Py_ssize_t klen
        low = word_key(word)
        key = low
        info.adj = 0
        tl = self.words.of_str(low)
        # Redactor._quiet: plain - rare - flagged
        if tl & T_QUIET and not (self.flagged and low in self.flagged):
            lb |= L_QUIET
        else:
            # The apostrophe rule of _decide ("pt's", "O'Rourke's").
            if "'" in key or "\u2019" in key:
                base, _, tail = key.replace("\u2019", "'").rpartition("'")
                if tail in _APOSTROPHE_TAILS and (
                        not base or self.words.of_str(base) & T_SAFE):
                    key = base
                elif tail == "s":
                    key = base
                    info.adj = 2
        tk = tl if key is low else self.words.of_str(key)
        if tl & T_RSAFE:
            lb |= L_SAFE
        if low in self.flagged:
            lb |= L_FLAGGED
        if _habbr(low, self.not_hospitals):
            lb |= L_HABBR
        hit = PyDict_GetItem(self.small_low, low)
        if hit is not NULL:
            lb |= <uint64_t><object>hit
        hit = PyDict_GetItem(self.small_key, key)
        if hit is not NULL:
            kb |= <uint64_t><object>hit
        for words, bit in self.sets:
            if key in words:
                kb |= <uint64_t>bit
        if tk & T_PLAIN:
            kb |= K_PLAIN
        if tk & T_RARE:
            kb |= K_RARE
        if tk & T_FIRST:
            kb |= K_FIRST
        if tk & T_LAST:
            kb |= K_LAST
        if tk & T_BASIC:
            kb |= K_BASIC
        if tk & T_PLACES:
            kb |= K_GAZ
        klen = PyUnicode_GET_LENGTH(key)
        if PyUnicode_IS_ASCII(word):
            # (str's own methods, read off the bytes: most words are ASCII)
            kb |= _ascii_key_bits(<const char *>PyUnicode_DATA(key), klen)
            wf = _ascii_case_bits(<const char *>PyUnicode_DATA(word),
                                  PyUnicode_GET_LENGTH(word), info.adj)
        else:
            if key.isalpha():
                kb |= K_ALPHA
            if key.isdigit():
                kb |= K_DIGITS
            if key[:1].isdigit():
                kb |= K_FIRSTDIGIT
            if not key.isalpha() and not key.replace("'", "").isalpha():
                kb |= K_CODE
            if word.isupper():
                wf |= W_UPPER
            if word.islower():
                wf |= W_LOWER
            if word.istitle():
                wf |= W_TITLE
            if word[:1].isupper():
                wf |= W_CAP
            if word.isalpha():
                wf |= W_ALPHA
            if self.upper_word(word[: len(word) - info.adj]):
                wf |= W_TUPPER
        if kb & K_CODE and self.glued.fullmatch(key) is not None:
            kb &= ~K_CODE  # (a word glued to a number is classified: "quartermain2")
        if _habbr(key, self.not_hospitals):
            kb |= K_HABBR
            if not tk & T_BASIC or klen <= 3:
                kb |= K_PREPABBR
        if word in self.abbr_dot:  # word + "." is an abbreviated street type
            wf |= W_ABBRDOT
        if word in self.abbr_slash:
            wf |= W_ABBRSLASH
        if (kb & K_FORMUP and wf & W_UPPER) or (kb & K_FORMCAP and wf & W_CAP) or \
                kb & K_FORMANY:
            wf |= W_FORM  # (a legal form's word in its case: late_firms.form_gate)
        info.word = word
        info.key = key
        info.lbits = lb
        info.kbits = kb
        info.wflags = wf
        info.klen = klen
        info.cls[0] = -1
        info.cls[1] = -1
        return info

    cdef int _classify(self, str key, bint title) except -1:
        """``Redactor._classify_title`` of a word first seen, without Python's frames
        (``test_redact_twins.py`` holds the two equal on every word of its texts)."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(key), i
        cdef int kind = PyUnicode_KIND(key)
        cdef void *data = PyUnicode_DATA(key)
        cdef bint ascii = PyUnicode_IS_ASCII(key)
        cdef bint digit = False
        cdef Py_UCS4 c
        cdef uint32_t tb = self.words.of_str(key)
        if title and tb & T_PLACES:
            return UNKNOWN  # "Cyprus", "Baltimore": a town's or country's name, capitalised
        if tb & T_AMBIG:
            return AMBIG
        if tb & T_RSAFE:
            return KEEP
        for i in range(n):
            if Py_UNICODE_ISDIGIT(PyUnicode_READ(kind, data, i)):
                digit = True
                break
        if digit:
            glued = self.glued.fullmatch(key)
            if glued is not None and self._classify(glued.group(1), False) == UNKNOWN:
                return UNKNOWN  # a name no list has, glued to a number: "quartermain2"
            return KEEP  # "fio2", "q4h", "mso4": codes
        if tb & T_NAMES:
            return NAME
        if n > 6 and (_ends_with_any(<const char *>data, n, self.medical_bytes) if ascii
                      else key.endswith(self.medical_endings)):
            return KEEP  # "Cardiology", "cholecystitis": word-formation of medicine
        if title and tb & T_RARE:
            return UNKNOWN
        if ascii and n <= 5:
            for i in range(n):
                c = PyUnicode_READ(kind, data, i)
                if _in(c, b"aeiouy"):
                    break
            else:
                return KEEP  # "DRNG", "NBP", "sxn": no English name lacks every vowel
        if not title and ascii:
            if n <= 3 and not (n >= 1 and PyUnicode_READ(kind, data, n - 1) == u'h') and \
                    not (n >= 2 and PyUnicode_READ(kind, data, n - 2) == u'm'
                         and PyUnicode_READ(kind, data, n - 1) == u'c'):
                return KEEP
            if n >= 1 and PyUnicode_READ(kind, data, n - 1) == u's':
                stem = key[: n - 1]
                if self.words.of_str(stem) & T_SAFE and not self.words.of_str(stem) & T_NAMES:
                    return KEEP
            if 3 <= n <= 5 and tb & T_PREFIXES:
                return KEEP
            if self._typo(key) or self._derived(key):
                return KEEP
        return UNKNOWN

    cdef bint _derived(self, str key) except -1:
        """``Redactor._derived`` of an ASCII key: an everyday word with a suffix."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(key), ls, m
        cdef const char *w = <const char *>PyUnicode_DATA(key)
        cdef char buf[64]
        cdef bytes suffix
        if n > 60:
            return self.r._derived(key)
        for suffix in _DERIVED_SUFFIXES:
            ls = len(suffix)
            m = n - ls
            if m >= 4 and memcmp(w + m, <const char *>suffix, ls) == 0:
                if self.words.find(w, m) & T_COMMON:
                    return True
                memcpy(buf, w, m)
                buf[m] = b'e'
                if self.words.find(buf, m + 1) & T_COMMON:
                    return True
        return False

    def __dealloc__(self):
        self._release()
        _forget(&self.spare)

    cdef void _release(self) noexcept:
        cdef Py_ssize_t i
        if self.slots is not NULL:
            for i in range(self.mask + 1):
                Py_XDECREF(self.slots[i].info)
        PyMem_Free(self.slots)
        self.slots = NULL
        self.mask = -1
        self.used = 0

    cdef int _table(self, Py_ssize_t size) except -1:
        """A new empty table of ``size`` slots (a power of two)."""
        self._release()
        self.slots = <_Slot *>PyMem_Malloc(size * sizeof(_Slot))
        if self.slots is NULL:
            raise MemoryError()
        memset(self.slots, 0, size * sizeof(_Slot))
        self.mask = size - 1
        return 0

    cdef int _grow(self) except -1:
        """Twice the slots, the same words."""
        cdef _Slot *old = self.slots
        cdef Py_ssize_t old_size = self.mask + 1, i, j
        self.slots = NULL
        try:
            self._table(old_size * 2)
        except MemoryError:
            self.slots, self.mask = old, old_size - 1
            raise
        for i in range(old_size):
            if old[i].info is not NULL:
                j = old[i].hash & self.mask
                while self.slots[j].info is not NULL:
                    j = (j + 1) & self.mask
                self.slots[j] = old[i]
                self.used += 1
        PyMem_Free(old)
        return 0

    cdef _Slot *_info(self, str text, _Text t, Py_ssize_t s, Py_ssize_t e,
                      uint64_t h) except NULL:
        """The slot of the word ``text[s:e]`` (``h``: its hash), its _Info built on its
        first sight; valid until the next call (the table may grow)."""
        cdef Py_ssize_t j = h & self.mask, n = e - s, k
        cdef _Slot *slot
        cdef _Info info
        cdef const unsigned char *w
        while True:
            slot = &self.slots[j]
            if slot.info is NULL:
                break
            if slot.hash == h and slot.length == n:
                if not slot.inl:
                    if _same((<_Info>slot.info).word, t, s, e):
                        return slot
                elif t.kind == 1:
                    if memcmp(slot.chars, <const char *>t.data + s, n) == 0:
                        return slot
                else:
                    for k in range(n):
                        if t.at(s + k) != slot.chars[k]:
                            break
                    else:
                        return slot
            j = (j + 1) & self.mask
        info = self._new_info(text[s:e])
        if 2 * (self.used + 1) > self.mask + 1:
            self._grow()
            j = h & self.mask
            while self.slots[j].info is not NULL:
                j = (j + 1) & self.mask
        Py_INCREF(info)
        slot = &self.slots[j]
        slot.info = <PyObject *>info
        slot.hash = h
        slot.kbits = info.kbits
        slot.lbits = info.lbits
        slot.wflags = info.wflags
        slot.length = <int32_t>n
        slot.klen = <int32_t>info.klen
        slot.adj = <int32_t>info.adj
        slot.inl = n <= 15 and PyUnicode_KIND(info.word) == 1
        if slot.inl:
            w = <const unsigned char *>PyUnicode_DATA(info.word)
            for k in range(n):
                slot.chars[k] = w[k]
        self.used += 1
        return slot

    def late_marks(self, str text, list spans):
        """``late.late_marks(text, spans)`` (see ``_late_marks`` and ``_span_marks``); the
        anchors' bits as the last scan read them when ``text`` is the text it read."""
        cdef int marks
        if text is self.marks_text:
            marks = self.marks_value
        else:
            marks = _late_marks(text)
        self.marks_text = None
        return marks | _span_marks(text, spans)

    def taken(self, list spans):
        """A :class:`Taken` of ``spans`` (the address walk's, ``blocks.address_blocks``)."""
        return Taken(spans)

    def address_walk(self, str text, out, dict fns, basic):
        """``blocks.address_blocks(text, out, fns, basic, self.taken)``: the same spans
        put in the same order.  The loop over the anchors and its cheap tests run here,
        and so does the walk's commonest first piece (``_tail_word``); the rest calls
        blocks' own functions."""
        cdef list spans = out.spans
        cdef list anchors = []
        cdef Py_ssize_t start, end, done = -1, lo
        cdef _Text t
        cdef Taken taken
        bl = self.blocks
        for span in spans:
            kind = (<tuple>span)[3]
            if kind == "address" or kind == "zip":
                anchors.append(((<tuple>span)[0], (<tuple>span)[2], kind))
        if not anchors:
            return
        anchors.sort()
        taken = Taken(spans)
        t = _text(text)
        for anchor in anchors:
            start = (<tuple>anchor)[0]
            end = (<tuple>anchor)[1]
            kind = (<tuple>anchor)[2]
            if end <= done:
                continue
            lo = start - 16 if start > 16 else 0
            if _digit_ends(t, lo, start):
                before = bl._BEFORE.search(text, lo, start)
                if before is not None and not taken.covered(*before.span("n")):
                    number = before.group("n")
                    out.put(*before.span("n"), "address",
                            self.digits_like(fns["mrn"](number), number))
            if kind == "zip":
                bl._region_before(text, start, out, fns, taken)
            if start > done and _newline_near(t, start) and bl._opens_line(text, start, kind):
                bl._org_line(text, start, out, fns, taken)
            elif start > done and start >= 2 and t.at(start - 2) == u',' and \
                    t.at(start - 1) == u' ':
                bl._venue(text, start, out, fns, taken)
            done = self._tail_word(text, t, end, out, fns, basic, taken)
            if done < 0:
                done = bl._tail(text, end, out, fns, basic, taken)

    cdef Py_ssize_t _tail_word(self, str text, _Text t, Py_ssize_t pos, out, dict fns,
                               basic, Taken taken) except -2:
        """``blocks._tail`` where the address is followed by a comma, spaces and one word
        of a town's name that a full stop ends ("1 Oak Street, Town1."): the word's
        place surrogate put, and where the walk ends; -1 (nothing done) elsewhere."""
        cdef Py_ssize_t p, e, n = t.length
        cdef Py_UCS4 c
        if pos >= n or t.at(pos) != u',':
            return -1
        p = pos + 1
        while p < n and (t.at(p) == u' ' or t.at(p) == u'\t'):
            p += 1
        # (_SEP ends here: a capital is none of its characters) A capital, then a small
        # letter: no postcode nor region's code can start here, only a word; and not a
        # unit's word (its first letter).
        if p + 1 >= n or not _capital(t.at(p)) or not _small(t.at(p + 1)) or \
                self.unit_first & ((<uint32_t>1) << (<uint32_t>t.at(p) - 65)):
            return -1
        if taken.found_at(p) != -1:
            return -1
        e = p + 2
        while e < n:
            c = t.at(e)
            if c >= 128:
                return -1  # (a word character or "\u2019" of _WORD? Python says)
            if not (_capital(c) or _small(c) or u'0' <= c <= u'9' or c == u'_'
                    or c == u"'" or c == u'-'):
                break
            e += 1
        # A full stop after four characters or more: the walk's last piece.
        if e >= n or t.at(e) != u'.' or e - p <= 3:
            return -1
        w = text[p:e]
        low = w.lower()
        if low in self.stop or low in basic:
            return -1  # (a word of the lists: Python's rules)
        if not taken.covered(p, e):
            out.put(p, e, "place", self.blocks._place_like(fns["city"], w))
        return e

    def finish(self, str text, list spans):
        """``Spans.finish`` in C: ``text`` with the replacements of ``spans`` (sorted here,
        as Spans.finish sorts them), a span that starts inside the one before skipped."""
        cdef Py_ssize_t pos = 0, start
        cdef list parts
        cdef tuple span
        if not spans:
            return text
        spans.sort()
        parts = []
        for span in spans:
            start = span[0]
            if start < pos:
                continue
            parts.append(text[pos:start])
            parts.append(span[4])
            pos = span[2]
        parts.append(text[pos:])
        return "".join(parts)

    def scan(self, str text, out):
        """``Redactor._scan``: every finding of ``text`` put into ``out`` (a Spans); the
        late pass's ``heads``: 1 when a word of ``late.HEAD_WORDS`` is written with a
        capital (the late pass's facilities or days of the week can be there),
        ``late_firms.HEAD_FORMS`` when a legal form stands where ``form_firms`` can read
        one (``late_firms.form_gate``), ``late_cues.HEAD_CUES`` when a cue's word does
        (``late_cues.cue_gate``)."""
        cdef _Text t = _text(text)
        cdef _Reading r
        cdef Py_ssize_t n, i, s, e
        cdef _Tok *toks = NULL
        cdef uint64_t lany = 0
        cdef int heads = 0
        cdef Py_ssize_t forms[32]
        cdef Py_ssize_t nforms = 0
        cdef _Slot *slot
        memset(&r, 0, sizeof(_Reading))
        if self.busy == 0:
            r = self.spare
            memset(&self.spare, 0, sizeof(_Reading))
        # The table is cleared between texts only, and only when no scan is under way
        # (another thread's, or one that a handler's Python code started): the _Tok of
        # a text's words point into it.
        if self.used >= CACHE_LIMIT and self.busy == 0:
            self._table(1 << 12)
        self.busy += 1
        try:
            _read(t, &r)
            # (the late pass's anchors, read with the rest: late_marks asks for them next)
            self.marks_text = text
            self.marks_value = r.late
            n = r.words.n // 3
            toks = <_Tok *>PyMem_Malloc((n + 1) * sizeof(_Tok))
            if toks is NULL:
                raise MemoryError()
            for i in range(n):
                s = r.words.v[3 * i]
                e = r.words.v[3 * i + 1]
                slot = _hit(self.slots, self.mask, t, s, e, <uint64_t>r.words.v[3 * i + 2])
                if slot is NULL:
                    slot = self._info(text, t, s, e, <uint64_t>r.words.v[3 * i + 2])
                toks[i].start = s
                toks[i].end = e
                toks[i].cut = e - slot.adj
                toks[i].kbits = slot.kbits
                toks[i].lbits = slot.lbits
                toks[i].wflags = slot.wflags
                toks[i].klen = slot.klen
                toks[i].state = KEEP
                toks[i].info = slot.info
                lany |= slot.lbits
                if slot.kbits & K_FACHEAD and slot.wflags & W_CAP:
                    heads |= 1
                if slot.kbits & K_CUE or (slot.kbits & K_CUEFORM and slot.wflags & W_TITLE):
                    heads |= 4  # late_cues.HEAD_CUES
                if slot.wflags & W_FORM:
                    if nforms < 32:
                        forms[nforms] = i
                    nforms += 1
            # (more than 32: the gate is open, the rule reads the text)
            if nforms and (_mixed(text) if nforms > 32
                           else _form_gate(text, t, toks, n, forms, nforms)):
                heads |= 2  # late_firms.HEAD_FORMS
            self._structured(text, t, &r, toks, n, lany, out)
            if n:
                self._words(text, t, toks, n, lany, out)
        finally:
            self.busy -= 1
            PyMem_Free(toks)
            _forget(&self.spare)  # (empty, unless a scan inside this one left its own)
            r.words.n = r.digits.n = r.codes.n = r.webc.n = 0
            r.web = r.late = 0
            self.spare = r
        return heads

    cdef _structured(self, str text, _Text t, _Reading *r, _Tok *toks, Py_ssize_t n,
                     uint64_t lany, out):
        """The pattern pass, as ``_scan`` runs it (same order of handler calls)."""
        cdef Py_ssize_t g, i, k, end, pos, idend
        cdef uint64_t bit, lb
        cdef int shape, alt
        cdef _DateMatch dm
        cdef _Shift shift
        cdef bint ascii = PyUnicode_IS_ASCII(text)
        cdef list spans = None  # out.spans and out.per_value, read at the first date
        per_value = None
        memset(&shift, 0, sizeof(_Shift))
        handlers = self.handlers
        if self.has_lookup:
            self.r._lookup_pass(text, out)
        if r.web & WEB_TRIGGER and r.web & 15 and (r.web & WEB_SURE or self.needs_web(text)):
            # Only the alternatives that can match here: an "@" in "sats @ 95%" makes the
            # pattern run, but no e-mail can match without a word character before it;
            # and only where one can start (_web_starts), not at every character.
            web = <object>PyTuple_GET_ITEM(self.webs, r.web & 15)
            if web is self.web and r.web & 15 != 15:  # (an alternative is missing)
                for m in web.finditer(text):
                    handlers[m.lastgroup or ""](m, out)
            else:
                _matches_at(web.match, text, &r.webc, handlers, out)
        shapes = self.shapes
        end = -1
        for k in range(0, r.digits.n, 2):
            pos = r.digits.v[k]
            shape = <int>r.digits.v[k + 1]
            if shape == S_NONE or pos < end:
                continue
            if shape == S_IDNUM:
                # Only the ID alternative can match: where it ends is read here, and an
                # amount or a range of digits and hyphens needs no match object.
                idend = _idnum_end(t, pos)
                if idend < 0:
                    continue
                if _digits_and_hyphens(t, pos, idend) or _measure(t, pos, idend):
                    end = idend
                    continue
            elif (shape == S_MD or shape == S_MDASH or shape == S_SLASH) and (
                    ascii or _ascii_range(t, pos - WINDOW_BEFORE, pos + WINDOW_AFTER)):
                # A date of one or two digits, "/" or "-" and more ("7/22", "on 7-8",
                # "03/04/2021"): read and replaced in C (_redact_digits.pxi), unless
                # Python must decide.
                alt = _date_at(t, pos, shape, &dm)
                if alt == A_NONE:
                    continue
                if alt > 0:
                    if spans is None:
                        spans = out.spans
                        per_value = out.per_value
                    if self.dates.put(t, alt, &dm, per_value, &shift, spans) == 0:
                        end = dm.end
                        continue
            m = (<object>PyTuple_GET_ITEM(shapes, shape)).match(text, pos)
            if m is not None:
                end = m.end()
                group = m.lastgroup
                # (what the handler would reject without a surrogate, decided here: a
                # range or amount of digits and hyphens, "100-120"; a month-day after
                # no "on", "since", "until", "HR 7-8")
                if group == "idnum" and _digits_and_hyphens(t, pos, end):
                    continue
                if group == "mdash" and not _dash_date_word(t, pos):
                    continue
                if (group == "local" or group == "phone") and self.fast_phones and \
                        self._phone_at(text, t, m, group, out):
                    continue
                if group == "addr" and self.fast_addresses:
                    self._address_at(text, m, out.spans)
                    continue
                handlers[group or ""](m, out)
        for g in range(len(self.groups)):
            bit = (<uint64_t>L_GROUP0) << g
            if not (lany & bit):
                continue
            match = self.group_pats[g].match
            end = -1
            for i in range(n):
                pos = toks[i].start
                lb = toks[i].lbits
                if not (lb & bit) or pos < end:
                    continue
                if g == self.label_group and not (lb & L_SSNWORD and _ssn_may(t, pos)) and \
                        not _label_may(t, pos, self.label_words):
                    continue
                if g == self.post_group and not (_digit_near(t, pos)
                                                 and _pobox_may(t, pos, toks[i].end)
                                                 and _level_may(t, pos, toks[i].end)):
                    continue
                if g == self.month_group and not _month_may(t, pos, toks[i].end):
                    continue
                if g == self.phone_group and not _phone_digit_near(t, pos):
                    continue
                if g == self.obmail_group and not _obmail_may(t, toks[i].end):
                    continue
                m = match(text, pos)
                if m is not None:
                    end = m.end()
                    group = m.lastgroup
                    if g == self.phone_group and group == "phonel" and self.fast_phones and \
                            self._labelled_at(text, t, m, out):
                        continue
                    handlers[group or ""](m, out)
        _matches_at(self.codes.match, text, &r.codes, handlers, out)

    cdef bint _phone_at(self, str text, _Text t, m, str group, out) except -1:
        """``StructuredPass._phone`` on a "local" or "phone" match where it needs no
        pattern of its own; False (nothing done) where Python must run it: a "local"
        number of nine characters or a "phone" one where ``_HU_SLASH`` matches (an
        amount?), and a prefix before the number (``_plain_prefix``); True with nothing
        put after a lab's word ("WBC 200-1000", ``_range_label_before``)."""
        cdef Py_ssize_t start, end, first, wn
        cdef char low[16]
        start, end = m.span(group)
        if group == "local" and end - start == 9:
            return False
        if group == "local" and end - start == 8 and t.at(start + 3) == u'-':
            # (_range_label_before: "WBC 200-1000" is a lab's range; Python decides
            # where the word before may not be ASCII)
            if not _ascii_range(t, start - 12, start):
                return False
            wn = _word_before(t, start, low)
            if wn and self.range_labels.has(low, wn):
                return True
        if group == "phone" and self.hu_slash(text, start) is not None:
            return False
        first = _plain_prefix(t, start)
        if first < 0:
            return False
        self._put_phone(text, t, first, end, out.spans)
        return True

    cdef bint _labelled_at(self, str text, _Text t, m, out) except -1:
        """``StructuredPass._labelled_phone`` where the number after the phone word has
        six digits or more and reads as neither hours ("0700-1930") nor an ISO date: a
        phone; False (nothing done) elsewhere, where Python runs it."""
        cdef Py_ssize_t start, end, p, digits = 0
        cdef Py_UCS4 c
        start, end = m.span("plv")
        c = t.at(start)
        if c == u'0' or c == u'1' or c == u'2':
            return False  # (hours? _SHIFT)
        if start + 4 < t.length and t.at(start + 4) == u'-':
            return False  # (a date? _ISO_AT)
        for p in range(start, end):
            if Py_UNICODE_ISDIGIT(t.at(p)):
                digits += 1
        if digits < 6:
            return False
        self._put_phone(text, t, start, end, out.spans)
        return True

    cdef int _address_at(self, str text, m, list spans) except -1:
        """The "addr" handler (``StructuredPass._group("addr", "address")``): the street
        address with the surrogate the address function remembers or makes."""
        cdef Py_ssize_t start, end
        cdef PyObject *hit
        start, end = m.span("addr")
        value = text[start:end]
        hit = PyDict_GetItem(self.address_cache, value)
        rep = self.address_fn(value) if hit is NULL else <object>hit
        spans.append((start, 1, end, "address", rep))
        return 0

    cdef int _put_phone(self, str text, _Text t, Py_ssize_t start, Py_ssize_t end,
                        list spans) except -1:
        """``StructuredPass._put_phone``: the number at ``[start, end)`` as a phone (a fax
        after the word fax) with the surrogate its function remembers or makes,
        appended as ``Spans.put`` appends it."""
        cdef bint fax = _fax_before(t, start)
        cdef PyObject *hit
        value = text[start:end]
        hit = PyDict_GetItem(self.fax_cache if fax else self.phone_cache, value)
        if hit is NULL:
            rep = (self.fax_fn if fax else self.phone_fn)(value)
        else:
            rep = <object>hit
        spans.append((start, 1, end, "fax" if fax else "phone", rep))
        return 0

    cdef _words(self, str text, _Text t, _Tok *all_toks, Py_ssize_t n, uint64_t lany, out):
        """``Redactor._words``: the word rules on the words outside structured findings."""
        cdef Py_ssize_t i, ci, m = 0, start, end, ncov
        cdef Py_ssize_t *covered
        cdef tuple span
        cdef uint64_t lb
        cdef bint act = False
        for i in range(n):
            lb = all_toks[i].lbits
            if not (lb & L_SAFE) or lb & (L_TRIG | L_FLAGGED | L_HABBR) or (
                    not (lb & L_QUIET) and all_toks[i].wflags & W_CAP):
                # (a capitalised place or rare word can be a proper noun: "from Cyprus")
                act = True
                break
        if not act:
            return
        spans = out.spans
        if spans:
            # (start, end) of each span, sorted, as C pairs: compared with the words'
            # positions without a Python int per comparison
            ncov = len(spans)
            covered = <Py_ssize_t *>PyMem_Malloc(2 * ncov * sizeof(Py_ssize_t))
            if covered is NULL:
                raise MemoryError()
            try:
                for i in range(ncov):
                    span = spans[i]
                    covered[2 * i] = span[0]
                    covered[2 * i + 1] = span[2]
                qsort(covered, ncov, 2 * sizeof(Py_ssize_t), _pair_cmp)
                ci = 0
                for i in range(n):
                    start = all_toks[i].start
                    end = all_toks[i].end
                    while ci < ncov and covered[2 * ci + 1] <= start:
                        ci += 1
                    if ci < ncov and covered[2 * ci] < end:
                        continue  # inside a structured finding
                    all_toks[m] = all_toks[i]
                    m += 1
            finally:
                PyMem_Free(covered)
        else:
            m = n
        self._decide(text, t, all_toks, m, out)

    cdef _decide(self, str text, _Text t, _Tok *tk, Py_ssize_t n, out):
        """``Redactor._decide`` on C arrays."""
        cdef bint mixed = _mixed(text)
        cdef Py_ssize_t i, j, k, a, nw = 0, rnd
        cdef uint64_t kb
        cdef uint32_t wf
        cdef _Info info
        cdef uint8_t *inwin
        cdef Py_ssize_t *win
        cdef int *before
        cdef bint title
        for i in range(n):
            if tk[i].lbits & L_QUIET:
                continue
            info = <_Info>tk[i].info
            kb = tk[i].kbits
            wf = tk[i].wflags
            if kb & K_FLAGGED and (not (wf & W_LOWER) or not (kb & K_BASIC)):
                tk[i].state = NAME  # a value of the policy's name columns (the lookup)
                continue
            if kb & (K_PLAIN | K_CODE):
                if not (mixed and kb & K_RARE and wf & W_CAP and not (wf & W_UPPER)
                        and not t.starts(tk[i].start)):
                    continue
                tk[i].state = UNKNOWN
                continue
            # (a gazetteer's place is a place at a sentence's start too: "Norway leader")
            title = mixed and (kb & K_GAZ or not t.starts(tk[i].start)) and \
                (wf & W_CAP) != 0 and not (wf & W_TUPPER)
            if info.cls[title] < 0:
                info.cls[title] = self._classify(info.key, title)
            tk[i].state = info.cls[title]
        # A name in lower case: "patty hoeller" (pairs.lower_name_pairs)
        for i in range(n - 1):
            if tk[i + 1].state == KEEP and tk[i].kbits & K_FIRST and \
                    not (tk[i + 1].kbits & (K_PLAIN | K_STOP | K_TRIG)) and \
                    not (tk[i].kbits & (K_STOP | K_TRIG)) and \
                    tk[i + 1].start == tk[i].end + 1 and t.at(tk[i].end) == u' ' and \
                    _az(t, tk[i].start, tk[i].end) and _az(t, tk[i + 1].start, tk[i + 1].end):
                if tk[i].state == KEEP or tk[i].state == AMBIG:
                    tk[i].state = NAME
                tk[i + 1].state = NAME
        inwin = <uint8_t *>PyMem_Malloc(n + 1)
        win = <Py_ssize_t *>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
        before = <int *>PyMem_Malloc((n + 1) * sizeof(int))
        if inwin is NULL or win is NULL or before is NULL:
            PyMem_Free(inwin)
            PyMem_Free(win)
            PyMem_Free(before)
            raise MemoryError()
        try:
            memset(inwin, 0, n + 1)
            for i in range(n):
                kb = tk[i].kbits
                if (tk[i].state != KEEP and tk[i].state != AMBIG) or kb & (K_TRIG | K_HABBR) or (
                        tk[i].klen == 1 and tk[i].end < t.length
                        and t.at(tk[i].end) == u'.') or (
                        kb & K_FIRST and tk[i].end < t.length
                        and (t.at(tk[i].end) == u'?' or t.at(tk[i].end) == u'!'
                             or t.at(tk[i].end) == u':')) or (
                        i > 0 and tk[i].klen == 1 and tk[i].wflags & W_UPPER
                        and tk[i - 1].kbits & K_FIRST) or (
                        i + 1 < n and tk[i + 1].kbits & K_PNEXT and tk[i].wflags & W_TITLE
                        and t.starts(tk[i].start)) or (
                        kb & K_PPREFIX and i > 0 and i + 1 < n and tk[i - 1].kbits & K_PREP
                        and tk[i + 1].state == AMBIG and tk[i].wflags & W_TITLE
                        and tk[i + 1].wflags & W_TITLE) or (
                        kb & K_AND and i > 0 and i + 1 < n and tk[i - 1].kbits & K_LAST
                        and tk[i + 1].kbits & K_LAST and tk[i - 1].wflags & W_TITLE
                        and tk[i + 1].wflags & W_TITLE) or (
                        mixed and i + 1 < n and kb & K_FIRST and tk[i + 1].kbits & K_LAST
                        and tk[i].wflags & W_TITLE and tk[i + 1].wflags & W_TITLE):
                    for j in range(max(0, i - 4), min(n, i + 5)):
                        inwin[j] = 1
            for i in range(n):
                if inwin[i]:
                    win[nw] = i
                    nw += 1
            if nw == 0:
                return
            # Two rounds of the rules, as _decide runs them; the second only when the
            # first changed a word's state: the rules read the states (and what never
            # changes), so from the same states a second round does what the first did.
            for i in range(n):
                before[i] = tk[i].state
            for a in range(nw):
                _rules(t, tk, n, win[a], mixed)
            for i in range(n):
                if tk[i].state != before[i]:
                    for a in range(nw):
                        _rules(t, tk, n, win[a], mixed)
                    break
            self._emit(text, t, tk, n, win, nw, mixed, out)
        finally:
            PyMem_Free(inwin)
            PyMem_Free(win)
            PyMem_Free(before)

    cdef _emit(self, str text, _Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t *win,
               Py_ssize_t nw, bint mixed, out):
        """The last loop of ``_decide``: a surrogate for every word decided a name or place."""
        cdef Py_ssize_t a, i, start, end
        cdef int s
        cdef uint64_t kb
        cdef bint between, later, first_role
        cdef _Info info
        cdef list spans = out.spans
        fns = self.fns
        put = out.put
        for a in range(nw):
            i = win[a]
            info = <_Info>tk[i].info
            start = tk[i].start
            s = tk[i].state
            kb = tk[i].kbits
            end = tk[i].cut
            if s == KEEP and kb & K_DIGITS and 1 <= tk[i].klen <= 6 and mixed and (
                    (i > 0 and _place_like(tk, i - 1)
                     and t.gap_ok(tk[i - 1].end, start, b" ,\n", 8))
                    or (i + 1 < n and _place_like(tk, i + 1)
                        and _near(t, tk, i, i + 1, b" ") and tk[i].klen <= 5)
                    or (tk[i].klen == 2 and i > 1 and tk[i - 1].klen == 3
                        and tk[i - 1].kbits & K_DIGITS and _near(t, tk, i - 1, i, b" ")
                        and _place_like(tk, i - 2)
                        and t.gap_ok(tk[i - 2].end, tk[i - 1].start, b" ,\n", 8))
                    or (i + 2 < n and tk[i + 1].kbits & K_DIGITS and _place_like(tk, i + 2)
                        and tk[i + 2].wflags & W_TITLE and _near(t, tk, i + 1, i + 2, b" ")
                        and (i == 0 or _has(t, tk[i - 1].end, start, u'\n')
                             or _has(t, tk[i - 1].end, start, u','))
                        and tk[i + 1].start == tk[i].end + 1 and (
                            (tk[i].klen == 3 and tk[i + 1].klen == 2
                             and t.at(tk[i].end) == u' ')
                            or (2 <= tk[i].klen <= 5 and tk[i].klen != 3
                                and tk[i + 1].klen == 3 and t.at(tk[i].end) == u'-')))
                    or (tk[i].klen <= 4 and i > 1 and tk[i - 1].kbits & K_AFTERTYPE
                        and _near(t, tk, i - 1, i, b". ") and _near(t, tk, i - 2, i - 1, b" ")
                        and (tk[i - 2].state == NAME or tk[i - 2].state == UNKNOWN
                             or tk[i - 2].state == PLACE))):
                # A house number or postcode beside a street or town name.
                put(start, end, "zip", self.digits_like(fns["mrn"](info.key), info.key))
                continue
            if s == KEEP or s == AMBIG:
                between = i > 0 and _sure(tk[i - 1].state) and _near(t, tk, i - 1, i, b" ")
                if tk[i].klen == 1 and (not (kb & K_AI) or (between and tk[i].wflags & W_UPPER)) \
                        and i + 1 < n and _sure(tk[i + 1].state) and tk[i].wflags & W_ALPHA \
                        and _near(t, tk, i, i + 1, b". ") and (
                            (t.at(tk[i].end) == u'.' and (tk[i + 1].state == NAME
                                                          or not mixed
                                                          or tk[i + 1].wflags & W_CAP))
                            or between):
                    put(start, end, "initial", self.r._initial(info.word))
                continue
            # A word's surrogate as a place, a first or a last name depends on the word
            # alone (as written): kept on its _Info, so a name met again costs a tuple.
            # (The tuple is Spans.put's: start, priority 1, end, kind, replacement.)
            if s == PLACE and tk[i].klen == 1 and tk[i].wflags & W_ALPHA:
                put(start, tk[i].end, "initial", self.r._initial(info.word))  # "s.r.o."
                continue
            if s == PLACE:
                rep = info.s_place
                if rep is None:
                    rep = self.case_like(self.place_fake(fns["city"], info.word), info.word)
                    info.s_place = rep
                spans.append((start, 1, tk[i].end, "place", rep))
                continue
            later = i + 1 < n and _sure(tk[i + 1].state) and _near(t, tk, i, i + 1, b" ")
            if kb & (K_FFIRST | K_FLAST):
                first_role = kb & K_FFIRST and (later or not (kb & K_FLAST))
            else:
                first_role = kb & K_FIRST and (later or not (kb & K_LAST))
            rep = info.s_first if first_role else info.s_last
            if rep is None:
                role = "first_name" if first_role else "last_name"
                name = info.word[: end - start]
                title = name.title() if name.isascii() else name
                rep = self.case_like(fns[role](title), name)
                if first_role:
                    info.s_first = rep
                else:
                    info.s_last = rep
            spans.append((start, 1, end, "first_name" if first_role else "last_name", rep))
