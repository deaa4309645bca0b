"""The free-text redactor's scan, compiled: the fast twin of ``Redactor._scan``.

Why it exists: ``{redact: text}`` looks at every word of every note, and in
Python the per-word work (a tuple per token, a dozen set look-ups, string
methods) made it the slowest column kind by far.  Here a note is read once in
C over the ``str``'s own buffer: words (exactly ``detector._WORD``), the
places a digit-led pattern can start (``patterns.DIGIT_START``) and the
code-like words (``patterns.CODE_START``).  Each distinct word is looked up
once per redactor (a dict from the word as written to a :class:`_Info`: its
lower-case key and one bitmask of every word set the rules test, plus its
case), and the context rules run on C arrays of those masks.  Anything rare
(the structured patterns' handlers, a word's classification, the
surrogates) calls the same Python code as the pure path.

Semantics are those of ``detector.Redactor._scan`` (the pure twin), byte for
byte; ``tests/test_redact_twins.py`` holds the two to it.  Never logs or
raises with a value.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.dict cimport PyDict_GetItem
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.unicode cimport (
    Py_UNICODE_ISALNUM, Py_UNICODE_ISALPHA, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISDIGIT,
    Py_UNICODE_ISSPACE, PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ,
)
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy, memset

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)

import re

IMPLEMENTATION = "compiled"
#: The shape ``read`` gives a number after which no digit-led alternative matches.
NO_MATCH = 0

# States of a word (detector's _KEEP, _NAME, _AMBIG, _PLACE, _UNKNOWN).
DEF KEEP = 0
DEF NAME = 1
DEF AMBIG = 2
DEF PLACE = 3
DEF UNKNOWN = 4

# Bits of the lower-case word as written (before the apostrophe rule).
DEF L_QUIET = 1
DEF L_SAFE = 2
DEF L_TRIG = 4
DEF L_FLAGGED = 8
DEF L_HABBR = 16
DEF L_GROUP0 = 32  # L_GROUP0 << g: a trigger word of the pattern group g

# Bits of the key (the lower-case word, its "'s" or "'ll" cut off where the rules do).
cdef extern from *:
    """
    #include <stdint.h>
    #define RF_K_PLAIN ((uint64_t)1 << 0)
    #define RF_K_RARE ((uint64_t)1 << 1)
    #define RF_K_FLAGGED ((uint64_t)1 << 2)
    #define RF_K_FFIRST ((uint64_t)1 << 3)
    #define RF_K_FLAST ((uint64_t)1 << 4)
    #define RF_K_FIRST ((uint64_t)1 << 5)
    #define RF_K_LAST ((uint64_t)1 << 6)
    #define RF_K_BASIC ((uint64_t)1 << 7)
    #define RF_K_STOP ((uint64_t)1 << 8)
    #define RF_K_TRIG ((uint64_t)1 << 9)
    #define RF_K_HON ((uint64_t)1 << 10)
    #define RF_K_WEAKHON ((uint64_t)1 << 11)
    #define RF_K_REL ((uint64_t)1 << 12)
    #define RF_K_CRED ((uint64_t)1 << 13)
    #define RF_K_PLACEW ((uint64_t)1 << 14)
    #define RF_K_PLACEPART ((uint64_t)1 << 15)
    #define RF_K_HOSP ((uint64_t)1 << 16)
    #define RF_K_FEAT ((uint64_t)1 << 17)
    #define RF_K_STREET ((uint64_t)1 << 18)
    #define RF_K_UNIV ((uint64_t)1 << 19)
    #define RF_K_SAINT ((uint64_t)1 << 20)
    #define RF_K_PREP ((uint64_t)1 << 21)
    #define RF_K_GENERIC ((uint64_t)1 << 22)
    #define RF_K_PARTICLE ((uint64_t)1 << 23)
    #define RF_K_NAMEWORD ((uint64_t)1 << 24)
    #define RF_K_ISWAS ((uint64_t)1 << 25)
    #define RF_K_AND ((uint64_t)1 << 26)
    #define RF_K_OF ((uint64_t)1 << 27)
    #define RF_K_THE ((uint64_t)1 << 28)
    #define RF_K_ALPHA ((uint64_t)1 << 29)
    #define RF_K_DIGITS ((uint64_t)1 << 30)
    #define RF_K_FIRSTDIGIT ((uint64_t)1 << 31)
    #define RF_K_CODE ((uint64_t)1 << 32)
    #define RF_K_HABBR ((uint64_t)1 << 33)
    #define RF_K_PREPABBR ((uint64_t)1 << 34)
    #define RF_K_AI ((uint64_t)1 << 35)
    """
    const uint64_t K_PLAIN "RF_K_PLAIN"
    const uint64_t K_RARE "RF_K_RARE"
    const uint64_t K_FLAGGED "RF_K_FLAGGED"
    const uint64_t K_FFIRST "RF_K_FFIRST"
    const uint64_t K_FLAST "RF_K_FLAST"
    const uint64_t K_FIRST "RF_K_FIRST"
    const uint64_t K_LAST "RF_K_LAST"
    const uint64_t K_BASIC "RF_K_BASIC"
    const uint64_t K_STOP "RF_K_STOP"
    const uint64_t K_TRIG "RF_K_TRIG"
    const uint64_t K_HON "RF_K_HON"
    const uint64_t K_WEAKHON "RF_K_WEAKHON"
    const uint64_t K_REL "RF_K_REL"
    const uint64_t K_CRED "RF_K_CRED"
    const uint64_t K_PLACEW "RF_K_PLACEW"
    const uint64_t K_PLACEPART "RF_K_PLACEPART"
    const uint64_t K_HOSP "RF_K_HOSP"
    const uint64_t K_FEAT "RF_K_FEAT"
    const uint64_t K_STREET "RF_K_STREET"
    const uint64_t K_UNIV "RF_K_UNIV"
    const uint64_t K_SAINT "RF_K_SAINT"
    const uint64_t K_PREP "RF_K_PREP"
    const uint64_t K_GENERIC "RF_K_GENERIC"
    const uint64_t K_PARTICLE "RF_K_PARTICLE"
    const uint64_t K_NAMEWORD "RF_K_NAMEWORD"
    const uint64_t K_ISWAS "RF_K_ISWAS"
    const uint64_t K_AND "RF_K_AND"
    const uint64_t K_OF "RF_K_OF"
    const uint64_t K_THE "RF_K_THE"
    const uint64_t K_ALPHA "RF_K_ALPHA"
    const uint64_t K_DIGITS "RF_K_DIGITS"
    const uint64_t K_FIRSTDIGIT "RF_K_FIRSTDIGIT"
    const uint64_t K_CODE "RF_K_CODE"
    const uint64_t K_HABBR "RF_K_HABBR"
    const uint64_t K_PREPABBR "RF_K_PREPABBR"
    const uint64_t K_AI "RF_K_AI"

# Case of the word as written (W_TUPPER: of the word without its cut-off tail).
DEF W_UPPER = 1
DEF W_LOWER = 2
DEF W_TITLE = 4
DEF W_CAP = 8
DEF W_ALPHA = 16
DEF W_TUPPER = 32

DEF CACHE_LIMIT = 1 << 17

# Shapes of a number (_digit_shape), each with the digit-led alternatives that can
# match after it, in the pattern's order.
DEF S_NONE = 0
DEF S_ALL = 1
DEF S_SLASH = 2
DEF S_DASH = 3
DEF S_DOT = 4
DEF S_SPACE = 5
DEF S_LETTER = 6
DEF S_PAREN = 7
DEF S_WORD = 8
DEF N_SHAPES = 9
_SHAPE_ALTERNATIVES = {
    S_SLASH: ("phone", "iso", "mdyy", "mdmd", "num", "md", "my"),
    S_DASH: ("ssn", "card", "phone", "local", "pairs", "paren", "plt", "iso", "mdash", "num",
             "dmy", "age", "addr", "idnum"),
    S_DOT: ("ipv4", "phone", "pairs", "plt", "iso", "num"),
    S_SPACE: ("ssn", "card", "phone", "pairs", "paren", "plt", "dmy", "age", "addr"),
    S_LETTER: ("dmy", "ordinal", "age", "addr", "idnum"),
    S_PAREN: ("phone", "plt"),
    S_WORD: ("dmy", "age", "addr"),
}


def shape_patterns(digits, alternatives):
    """The pattern of each shape: the digit-led alternatives that can match after it,
    joined in their order as ``patterns.pattern`` joins them all; ``digits`` itself
    for S_ALL and for a shape naming an alternative the pattern lacks."""
    sources = dict(alternatives)
    out = [None, digits]
    for shape in range(2, N_SHAPES):
        names = _SHAPE_ALTERNATIVES[shape]
        if not all(name in sources for name in names):
            out.append(digits)
            continue
        out.append(re.compile(r"(?=[\d+(\#])(?:" + "|".join(
            src for name, src in alternatives if name in names) + ")"))
    return tuple(out)

_APOSTROPHE_TAILS = frozenset(("s", "t", "ll", "re", "ve", "d", "m", "ed", "ing", "es", "ng",
                               "g", "n"))


cdef class _Info:
    """What the rules need of one distinct word as written; built once per redactor."""

    cdef str word
    cdef str key
    cdef uint64_t lbits
    cdef uint64_t kbits
    cdef uint32_t wflags
    cdef Py_ssize_t klen
    cdef Py_ssize_t adj
    # _classify's answer without and with a capital that means something (-1: not yet).
    cdef int cls[2]


cdef struct _Tok:
    Py_ssize_t start
    Py_ssize_t end
    Py_ssize_t cut  # end, less the tail the apostrophe rule cuts off
    uint64_t kbits
    uint32_t wflags
    Py_ssize_t klen
    int state
    PyObject *info


# Latin-1 classes, so the common character costs no call into the Unicode database.
cdef uint8_t _ALNUM[256]
cdef uint8_t _DECIMAL[256]
cdef int _c
for _c in range(256):
    _ALNUM[_c] = chr(_c).isalnum()
    _DECIMAL[_c] = chr(_c).isdecimal()


cdef inline bint _is_alnum(Py_UCS4 c) noexcept:
    if c < 256:
        return _ALNUM[c]
    return Py_UNICODE_ISALNUM(c)


cdef inline bint _is_decimal(Py_UCS4 c) noexcept:
    if c < 256:
        return _DECIMAL[c]
    return Py_UNICODE_ISDECIMAL(c)


cdef inline bint _is_word(Py_UCS4 c) noexcept:
    return c == u'_' or _is_alnum(c)


cdef inline bint _ascii_letter(Py_UCS4 c) noexcept:
    return (c >= u'a' and c <= u'z') or (c >= u'A' and c <= u'Z')


cdef inline bint _in(Py_UCS4 c, const char *chars) noexcept:
    cdef const char *p = chars
    if c == 0 or c >= 128:
        return False
    while p[0]:
        if <Py_UCS4>p[0] == c:
            return True
        p += 1
    return False


cdef class _Text:
    """A str's buffer, read by code point."""

    cdef int kind
    cdef void *data
    cdef Py_ssize_t length

    cdef inline Py_UCS4 at(self, Py_ssize_t i) noexcept:
        return PyUnicode_READ(self.kind, self.data, i)

    cdef bint gap_ok(self, Py_ssize_t end, Py_ssize_t start, const char *allow,
                     Py_ssize_t most) noexcept:
        """``detector._gap_ok``: 1 to ``most`` characters between, all of ``allow``."""
        cdef Py_ssize_t p
        if start - end <= 0 or start - end > most:
            return False
        for p in range(end, start):
            if not _in(self.at(p), allow):
                return False
        return True

    cdef bint starts(self, Py_ssize_t start) noexcept:
        """``detector._starts``: whether a word at ``start`` begins a sentence."""
        cdef Py_ssize_t b = start - 1, p, e
        cdef Py_UCS4 c
        while b >= 0 and _in(self.at(b), b" \t"):
            b -= 1
        if b >= 0 and _in(self.at(b), b"\n\r"):
            e = min(start + 40, self.length)
            for p in range(start, e):
                c = self.at(p)
                if c == u'\n':
                    break
                if c == u':' or c == u'.':
                    return True
            return False
        if b < 0:
            return True
        c = self.at(b)
        if _in(c, b":;!?(-*>\""):
            return True
        if c == u'.':
            return not (b >= 1 and Py_UNICODE_ISALPHA(self.at(b - 1)) and (
                b == 1 or not Py_UNICODE_ISALNUM(self.at(b - 2))))
        return False


cdef _Text _text(str text):
    cdef _Text t = _Text.__new__(_Text)
    t.kind = PyUnicode_KIND(text)
    t.data = PyUnicode_DATA(text)
    t.length = PyUnicode_GET_LENGTH(text)
    return t


cdef bint _mixed(str text):
    """Both cases in the text: ``text.upper() != text and text.lower() != text``."""
    cdef const uint8_t *p
    cdef Py_ssize_t i, n
    cdef bint lower = False, upper = False
    if PyUnicode_IS_ASCII(text):
        p = <const uint8_t *>PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
        for i in range(n):
            if p[i] >= b'a' and p[i] <= b'z':
                lower = True
            elif p[i] >= b'A' and p[i] <= b'Z':
                upper = True
            if lower and upper:
                return True
        return False
    return text.upper() != text and text.lower() != text


cdef inline bint _ascii_letter_in(Py_UCS4 c, const char *lower) noexcept:
    """An ASCII letter whose lower case is one of ``lower``."""
    return _ascii_letter(c) and _in(<Py_UCS4>(<uint32_t>c | 0x20), lower)


cdef bint _month_or_of(_Text t, Py_ssize_t q) noexcept:
    """Whether a month word (``patterns._MONTH``) or "of" can start at ``q``: its
    first three letters, in any case; anything not ASCII is taken as a maybe."""
    cdef char low[4]
    cdef Py_ssize_t k
    cdef Py_UCS4 c
    for k in range(3):
        if q + k >= t.length:
            low[k] = 0
            break
        c = t.at(q + k)
        if c >= 128:
            return True
        low[k] = <char>(<uint32_t>c | 0x20) if _ascii_letter(c) else <char>c
    low[3] = 0
    if low[0] == b'o' and low[1] == b'f':
        return True
    return _in_months(low)


cdef bint _in_months(const char *low) noexcept:
    cdef const char *months = b"janfebmaraprmayjunjulaugsepoctnovdec"
    cdef int m
    for m in range(12):
        if low[0] == months[3 * m] and low[1] == months[3 * m + 1] and \
                low[2] == months[3 * m + 2]:
            return True
    return False


# Whether every street suffix begins as _addr_may assumes (checked per Engine).
cdef bint _SUFFIXES_CAPITAL = True


cdef bint _addr_may(_Text t, Py_ssize_t q) noexcept:
    """Whether the ``addr`` alternative can go on from ``q``, the first character after
    a number and its spaces: it wants a capital there (or digits, "5th"), then,
    after that word's run of ``[\\w'.-]`` and one or more spaces, another word or a
    street suffix, each of which begins with a capital or a digit (every suffix
    of the shipped list begins with a capital)."""
    cdef Py_UCS4 c = t.at(q) if q < t.length else 0
    if not _SUFFIXES_CAPITAL:
        return True
    if not (_is_decimal(c) or (c >= u'A' and c <= u'Z') or (c >= 0xC0 and c <= 0xDE)):
        return False
    while q < t.length and (_is_word(t.at(q)) or _in(t.at(q), b"'.-")):
        q += 1
    if q >= t.length or t.at(q) != u' ':
        return False
    while q < t.length and t.at(q) == u' ':
        q += 1
    if q >= t.length:
        return False
    c = t.at(q)
    return _is_decimal(c) or (c >= u'A' and c <= u'Z') or (c >= 0xC0 and c <= 0xDE)


cdef int _after_dot(_Text t, Py_UCS4 c0, Py_ssize_t L, Py_ssize_t q) noexcept:
    """The shape of a number ``1-9...`` of L digits followed by a dot, read from ``q``
    after the dot: an IP, a phone, digit pairs, an ISO or numeric date each want
    another dot, dash, space or slash after a second run of digits; a number
    before "fax" ("98.6 fax") wants one of those words' letters."""
    cdef Py_UCS4 c2 = t.at(q) if q < t.length else 0, c3, c4
    cdef Py_ssize_t e = q
    if c2 == u'(' or c2 >= 128:
        return S_DOT
    if c2 < u'0' or c2 > u'9':
        return S_NONE
    while e < t.length and t.at(e) >= u'0' and t.at(e) <= u'9':
        e += 1
    if e >= t.length:
        return S_NONE
    c3 = t.at(e)
    if c3 >= 128 or _in(c3, b".-()"):
        return S_DOT
    if c3 == u'/':
        # Only a phone, "617.555/1234" or "1.617/...": three digits each side.
        return S_DOT if e - q == 3 and (L == 3 or (L == 1 and c0 == u'1')) else S_NONE
    if c3 == u' ':
        c4 = t.at(e + 1) if e + 1 < t.length else 0
        if c4 == 0:
            return S_NONE
        if c4 >= 128 or _is_decimal(c4) or _in(c4, b"( -") or _ascii_letter_in(c4, b"ofmchwd"):
            return S_DOT
        return S_NONE
    return S_DOT if _ascii_letter_in(c3, b"ofmchwd") else S_NONE


cdef int _digit_shape(_Text t, Py_ssize_t p) noexcept:
    """Which alternatives of ``Patterns.digits`` can match at ``p``, a digit after no
    digit: S_NONE for none (the common number followed by a word: "20 mg",
    "76,"), else the smallest shape class whose pattern holds every one that can.

    Conservative by construction: every shape not argued here is S_ALL.  With a
    run of ASCII digits of length L < 5 (five digits or more can be an ID, a
    ZIP code or a card; one that starts with ``0`` and goes on with ``-. ()``
    can be a trunk or international number) and the character after it c1 (and
    c2 after that):

    * c1 punctuation other than ``-./()_`` (or the end): every alternative needs
      a digit, letter, space, ``-``, ``.``, ``/`` or a parenthesis there.
    * c1 ``/``: phones, ISO and numeric dates, month/day forms.
    * c1 ``-``: all but IPs, slash dates, ordinals and ``0``-led numbers.
    * c1 ``.``: IPs, phones, digit pairs, numbers before "fax", ISO and
      numeric dates; each wants a digit or ``(`` after the dot (see _after_dot).
    * c1 a space: each alternative wants a digit, ``(`` or another space after
      it, or (S_WORD) a month ("12 March", "3 of may") after one or two digits,
      an age word ("92 yo") after two or three, or a capital (a street address).
    * c1 a letter: an ordinal ("2nd", "21st") after one or two digits, an age
      word ("92yo"), a capital (an address's "12B") or, with five digits in the
      run of letters, digits and hyphens, an ID ("12ab345").
    * c1 a parenthesis: a phone ("1(800)...") or numbers before "fax".
    """
    cdef Py_UCS4 c0 = t.at(p), c1, c2
    cdef Py_ssize_t e = p, L, k, digits
    if c0 < u'0' or c0 > u'9':
        return S_ALL
    while e < t.length and t.at(e) >= u'0' and t.at(e) <= u'9':
        e += 1
    L = e - p
    if L >= 5:
        return S_ALL
    if e >= t.length:
        return S_NONE
    c1 = t.at(e)
    if c1 >= 128:
        return S_ALL
    if c0 == u'0' and _in(c1, b"-. ()"):
        return S_ALL  # "0700-1930", "020 7946 0958", "0044 ...": trunk and international
    if c1 == u'/':
        return S_SLASH
    if c1 == u'-':
        return S_DASH
    if c1 == u'(' or c1 == u')':
        return S_PAREN
    if c1 == u'.':
        return _after_dot(t, c0, L, e + 1)
    if c1 == u' ':
        c2 = t.at(e + 1) if e + 1 < t.length else 0
        if c2 == 0 or (c2 < 128 and not _ALNUM[c2] and c2 != u' ' and c2 != u'('):
            return S_NONE
        if c2 < 128 and _ascii_letter(c2):
            if L <= 2 and _month_or_of(t, e + 1):
                return S_WORD
            if (L == 2 or L == 3) and _ascii_letter_in(c2, b"y"):
                return S_WORD
            return S_WORD if _addr_may(t, e + 1) else S_NONE
        return S_SPACE
    if _ascii_letter(c1):
        if L <= 2 and _ascii_letter_in(c1, b"snrt"):
            return S_LETTER
        if (L == 2 or L == 3) and _ascii_letter_in(c1, b"y"):
            return S_LETTER
        if c1 >= u'A' and c1 <= u'Z' and e + 1 < t.length and _in(t.at(e + 1), b" -"):
            return S_LETTER  # "12B Main St", "12B-14 ..."
        digits = 0
        k = p
        while k < t.length and (_ascii_letter(t.at(k)) or t.at(k) == u'-'
                                or _is_decimal(t.at(k))):
            if _is_decimal(t.at(k)):
                digits += 1
            k += 1
        return S_LETTER if digits >= 5 else S_NONE
    if c1 == u'_':
        return S_ALL
    return S_NONE




# -- reading a text: one pass ------------------------------------------------------------


# FNV-1a over a word's code points (so equal words of texts of different kinds hash
# alike): the key of the engine's table of words.
cdef extern from *:
    """
    #define RF_FNV_OFFSET 14695981039346656037ULL
    #define RF_FNV_PRIME 1099511628211ULL
    """
    const uint64_t _FNV_OFFSET "RF_FNV_OFFSET"
    const uint64_t _FNV_PRIME "RF_FNV_PRIME"


cdef struct _Vec:
    Py_ssize_t *v
    Py_ssize_t n
    Py_ssize_t cap


cdef int _push(_Vec *vec, Py_ssize_t x) except -1:
    cdef Py_ssize_t *grown
    if vec.n == vec.cap:
        grown = <Py_ssize_t *>PyMem_Realloc(vec.v, (2 * vec.cap + 64) * sizeof(Py_ssize_t))
        if grown is NULL:
            raise MemoryError()
        vec.v = grown
        vec.cap = 2 * vec.cap + 64
    vec.v[vec.n] = x
    vec.n += 1
    return 0


cdef struct _Reading:
    _Vec words   # start, end, hash of each match of detector._WORD
    _Vec digits  # start, shape of each match of patterns.DIGIT_START
    _Vec codes   # start of each CODE_START match with five digits or more
    bint web     # whether patterns.needs_web can be True


cdef void _forget(_Reading *r) noexcept:
    PyMem_Free(r.words.v)
    PyMem_Free(r.digits.v)
    PyMem_Free(r.codes.v)
    memset(r, 0, sizeof(_Reading))


cdef int _read(_Text t, _Reading *r) except -1:
    """Everything the scan needs to know of a text before any pattern runs, in one
    pass: its words (and a hash of each), where a digit-led match can start (and
    the number's shape), where a code can, and whether the web pattern can match
    anywhere."""
    cdef Py_ssize_t p = 0, s, code_end = 0, code_from
    cdef Py_UCS4 c
    cdef uint64_t h
    while p < t.length:
        c = t.at(p)
        if not _is_alnum(c):
            if not r.web:
                r.web = _web_at(t, p)
            if c == u'+' or c == u'(' or c == u'#':
                if p + 1 < t.length and _is_decimal(t.at(p + 1)):
                    _push(&r.digits, p)
                    _push(&r.digits, S_ALL)
                elif p + 2 < t.length and t.at(p + 1) == u' ' and _is_decimal(t.at(p + 2)):
                    _push(&r.digits, p)
                    _push(&r.digits, S_ALL)
                    p += 1
            p += 1
            continue
        # A word: ``[^\\W_]+(?:['\u2019][^\\W_]+)*``.  Digits and ASCII letters are
        # inside words, so what DIGIT_START and CODE_START find starts here too.
        s = p
        h = _FNV_OFFSET
        code_from = -1  # a CODE_START candidate whose letters run on
        while True:
            while p < t.length:
                c = t.at(p)
                if not _is_alnum(c):
                    break
                h = (h ^ <uint32_t>c) * _FNV_PRIME
                if _is_decimal(c):
                    if p == s or not _is_decimal(t.at(p - 1)):
                        _push(&r.digits, p)
                        _push(&r.digits, _digit_shape(t, p))
                    if code_from >= 0:
                        code_end = _code(t, code_from, &r.codes)
                        code_from = -1
                elif not _ascii_letter(c):
                    code_from = -1
                elif code_from < 0 and p >= code_end and _code_may_start(t, p):
                    code_from = p
                p += 1
            if p + 1 < t.length and (c == u"'" or c == u'\u2019') and _is_alnum(t.at(p + 1)):
                h = (h ^ <uint32_t>c) * _FNV_PRIME
                code_from = -1
                p += 1
                continue
            break
        if code_from >= 0 and p < t.length and t.at(p) == u'-':
            code_end = _code(t, code_from, &r.codes)  # "AB-CD12345": letters run on
        _push(&r.words, s)
        _push(&r.words, p)
        _push(&r.words, <Py_ssize_t>h)
    return 0


cdef inline bint _code_may_start(_Text t, Py_ssize_t q) noexcept:
    """CODE_START's look-behind ``(?<![\\w.-])`` at ``q``."""
    cdef Py_UCS4 b
    if q == 0:
        return True
    b = t.at(q - 1)
    return not (_is_word(b) or b == u'.' or b == u'-')


cdef Py_ssize_t _code(_Text t, Py_ssize_t p, _Vec *codes) except -1:
    """CODE_START (``[A-Za-z][A-Za-z-]*\\d[A-Za-z0-9-]*``) tried at ``p``: its start
    pushed when the match holds five digits or more; where the next try may start."""
    cdef Py_ssize_t q = p + 1, e, k, digits = 0
    while q < t.length and (_ascii_letter(t.at(q)) or t.at(q) == u'-'):
        q += 1
    if q >= t.length or not _is_decimal(t.at(q)):
        return p + 1
    e = q + 1
    while e < t.length and (_ascii_letter(t.at(e)) or t.at(e) == u'-' or (
            t.at(e) >= u'0' and t.at(e) <= u'9')):
        e += 1
    for k in range(p, e):
        if Py_UNICODE_ISDIGIT(t.at(k)):
            digits += 1
    if digits >= 5:
        _push(codes, p)
    return e


cdef bint _web_at(_Text t, Py_ssize_t p) noexcept:
    """False only where patterns._TLD cannot match at ``p``: no ``@``, ``://``, ``::``,
    ``www.`` nor a dot before a top-level domain (ASCII letters; anything else is
    left to the pattern, which matches case-insensitively)."""
    cdef Py_UCS4 c = t.at(p)
    cdef Py_ssize_t q, k
    cdef char low[5]
    if c == u'@':
        return True
    if c == u':':
        return p + 1 < t.length and (t.at(p + 1) == u':' or t.at(p + 1) == u'/')
    if c != u'.':
        return False
    if p >= 3 and _ascii_letter_in(t.at(p - 1), b"w") and \
            _ascii_letter_in(t.at(p - 2), b"w") and _ascii_letter_in(t.at(p - 3), b"w"):
        return True
    q = p + 1
    while q < t.length and _ascii_letter(t.at(q)) and q - p <= 5:
        q += 1
    if q < t.length and t.at(q) >= 128:
        return True
    if not 2 <= q - p - 1 <= 4 or (q < t.length and (
            _is_word(t.at(q)) or t.at(q) == u'.' or t.at(q) == u'-')):
        return False
    memset(low, 0, 5)
    for k in range(q - p - 1):
        low[k] = <char>(<uint32_t>t.at(p + 1 + k) | 0x20)
    return _in_tlds(low)


cdef bint _in_tlds(const char *low) noexcept:
    cdef const char *tlds = (b"com org net edu gov mil info biz io uk de fr nz jp cn ru dk fi "
                             b"ie mx za kr tw hk sg ")
    cdef Py_ssize_t i = 0, k
    while tlds[i]:
        k = 0
        while tlds[i + k] != b' ' and low[k] == tlds[i + k]:
            k += 1
        if tlds[i + k] == b' ' and low[k] == 0:
            return True
        while tlds[i] != b' ':
            i += 1
        i += 1
    return False


def read(str text):
    """What ``_read`` finds in ``text``, as Python values (for the twin tests):
    (words as (start, end), digit starts as (start, shape), code starts, web)."""
    cdef _Text t = _text(text)
    cdef _Reading r
    cdef Py_ssize_t i
    memset(&r, 0, sizeof(_Reading))
    try:
        _read(t, &r)
        return ([(r.words.v[i], r.words.v[i + 1]) for i in range(0, r.words.n, 3)],
                [(r.digits.v[i], r.digits.v[i + 1]) for i in range(0, r.digits.n, 2)],
                [r.codes.v[i] for i in range(r.codes.n)], r.web)
    finally:
        _forget(&r)


cdef inline bint _same(str word, _Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """``word == text[s:e]``."""
    cdef Py_ssize_t n = e - s, p
    cdef int kind = PyUnicode_KIND(word)
    cdef void *data = PyUnicode_DATA(word)
    if PyUnicode_GET_LENGTH(word) != n:
        return False
    if kind == t.kind:
        return memcmp(data, <char *>t.data + s * kind, n * kind) == 0
    for p in range(n):
        if PyUnicode_READ(kind, data, p) != t.at(s + p):
            return False
    return True


cdef class _WordSet:
    """The ASCII words of a set of str, in C: an arena of their bytes and an
    open-addressing table of (hash, offset, length), for membership tests of
    byte strings without making a str (the typo check's candidates)."""

    cdef object source  # the set, kept alive: _WORD_SETS is keyed by its id
    cdef char *arena
    cdef uint64_t *hashes
    cdef Py_ssize_t *offsets  # -1: empty slot
    cdef Py_ssize_t *lengths
    cdef Py_ssize_t mask

    def __dealloc__(self):
        PyMem_Free(self.arena)
        PyMem_Free(self.hashes)
        PyMem_Free(self.offsets)
        PyMem_Free(self.lengths)

    cdef bint has(self, const char *b, Py_ssize_t n) noexcept:
        cdef uint64_t h = _bytes_hash(b, n)
        cdef Py_ssize_t j = h & self.mask
        while self.offsets[j] >= 0:
            if self.hashes[j] == h and self.lengths[j] == n and \
                    memcmp(self.arena + self.offsets[j], b, n) == 0:
                return True
            j = (j + 1) & self.mask
        return False


cdef inline uint64_t _bytes_hash(const char *b, Py_ssize_t n) noexcept:
    cdef uint64_t h = _FNV_OFFSET
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ <uint8_t>b[i]) * _FNV_PRIME
    return h


_WORD_SETS = {}


cdef _WordSet _word_set(words):
    """The _WordSet of ``words`` (built once per set object)."""
    cdef _WordSet ws
    cdef Py_ssize_t size = 16, total = 0, n, off = 0, j, i
    cdef uint64_t h
    cdef const char *data
    hit = _WORD_SETS.get(id(words))
    if hit is not None and (<_WordSet>hit).source is words:
        return <_WordSet>hit
    ascii = [w for w in words if w.isascii()]
    for w in ascii:
        total += len(w)
    while size < 2 * len(ascii) + 16:
        size *= 2
    ws = _WordSet.__new__(_WordSet)
    ws.source = words
    ws.arena = <char *>PyMem_Malloc(total + 1)
    ws.hashes = <uint64_t *>PyMem_Malloc(size * sizeof(uint64_t))
    ws.offsets = <Py_ssize_t *>PyMem_Malloc(size * sizeof(Py_ssize_t))
    ws.lengths = <Py_ssize_t *>PyMem_Malloc(size * sizeof(Py_ssize_t))
    if not (ws.arena and ws.hashes and ws.offsets and ws.lengths):
        raise MemoryError()
    ws.mask = size - 1
    for i in range(size):
        ws.offsets[i] = -1
    for w in ascii:
        n = len(w)
        data = <const char *>PyUnicode_DATA(w)
        memcpy(ws.arena + off, data, n)
        h = _bytes_hash(data, n)
        j = h & ws.mask
        while ws.offsets[j] >= 0:
            j = (j + 1) & ws.mask
        ws.hashes[j] = h
        ws.offsets[j] = off
        ws.lengths[j] = n
        off += n
    _WORD_SETS[id(words)] = ws
    return ws


cdef class Engine:
    """The compiled ``_scan`` of one :class:`~scrubphi.transforms.redact.Redactor`."""

    cdef object r
    # The words seen, as an open-addressing table of _Info (strong references) keyed
    # by a hash of the word's code points, so that finding a word's _Info costs
    # neither a str nor a dict look-up; cleared when it holds CACHE_LIMIT words.
    cdef PyObject **slots
    cdef uint64_t *hashes
    cdef Py_ssize_t mask, used
    cdef object quiet, safe, triggers, flagged, plain, rare, vsafe, basic, first, last
    cdef object flag_first, flag_last, stop, names_words
    cdef tuple sets
    cdef tuple groups
    cdef object web, digits, codes, handlers, needs_web, matches_at
    cdef object fns, digits_like, case_like, not_hospitals
    cdef tuple group_pats, shapes
    cdef dict small_key, small_low
    cdef _WordSet common
    cdef Py_ssize_t longest_word
    cdef bint has_lookup

    def __init__(self, redactor):
        from scrubphi.transforms.redact import detector as d
        from scrubphi.transforms.redact import patterns as pt
        from scrubphi.transforms.redact import structured as st
        from scrubphi.transforms.redact import vocab as vc

        r = redactor
        v = r._v
        self.r = r
        self._table(1 << 12)
        self.quiet = r._quiet
        self.safe = r._safe
        self.triggers = r._triggers
        self.flagged = r._flagged
        self.plain = r._plain
        self.rare = v.rare
        self.vsafe = v.safe
        self.basic = v.basic
        self.first = r._first
        self.last = r._last
        self.flag_first = r._flag_first
        self.flag_last = r._flag_last
        self.stop = vc.STOP
        # (set, bit) of the key; the small ones are folded into one dict below.
        sets = (
            (r._plain, K_PLAIN), (v.rare, K_RARE), (r._flagged, K_FLAGGED),
            (r._flag_first, K_FFIRST), (r._flag_last, K_FLAST), (r._first, K_FIRST),
            (r._last, K_LAST), (v.basic, K_BASIC), (vc.STOP, K_STOP), (r._triggers, K_TRIG),
            (d._HONORIFICS, K_HON), (d._WEAK_HONORIFICS, K_WEAKHON), (d._RELATIONS, K_REL),
            (d._CREDENTIALS, K_CRED), (d._PLACE_WORDS, K_PLACEW),
            (d._PLACE_NAME_PARTS, K_PLACEPART), (d._HOSPITAL_WORDS, K_HOSP),
            (d._FEATURES, K_FEAT), (d._STREET_TYPES, K_STREET), (d._UNIVERSITY, K_UNIV),
            (d._SAINTS, K_SAINT), (d._PLACE_PREPS, K_PREP), (d._GENERIC_PLACE, K_GENERIC),
            (d._NAME_PARTICLES, K_PARTICLE), (frozenset(("name", "names")), K_NAMEWORD),
            (frozenset(("is", "was", "are")), K_ISWAS), (frozenset(("and",)), K_AND),
            (frozenset(("of",)), K_OF), (frozenset(("the",)), K_THE),
            (frozenset(("a", "i")), K_AI),
        )
        big = (r._plain, v.rare, r._flagged, r._flag_first, r._flag_last, r._first, r._last,
               v.basic)
        self.sets = tuple((words, bit) for words, bit in sets if any(words is b for b in big))
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
        self.small_low = small
        self.web = pats.web
        self.digits = pats.digits
        self.shapes = shape_patterns(pats.digits, pats.digit_alternatives)
        global _SUFFIXES_CAPITAL
        _SUFFIXES_CAPITAL = _SUFFIXES_CAPITAL and all(
            ("A" <= s[:1] <= "Z") or ("\u00c0" <= s[:1] <= "\u00de") for s in v.suffixes)
        self.codes = pats.codes
        self.handlers = r._handlers
        self.needs_web = pt.needs_web
        self.fns = r._fns
        self.digits_like = st.digits_like
        self.case_like = d._case_like
        self.has_lookup = r._lookup is not None
        self.common = _word_set(v.common)
        self.longest_word = d._LONGEST_WORD

    def typo(self, str word):
        """``Redactor._is_typo``: whether ``word`` is one edit (delete, swap, replace,
        insert of a-z) away from a common word, with no str per candidate."""
        cdef Py_ssize_t n = len(word), i, j
        cdef const char *w
        cdef char buf[64]
        cdef char c
        if not 5 <= n <= self.longest_word or not word.isascii() or n > 60:
            return False
        w = <const char *>PyUnicode_DATA(word)
        common = self.common
        for i in range(n):  # deletes
            memcpy(buf, w, i)
            memcpy(buf + i, w + i + 1, n - i - 1)
            if common.has(buf, n - 1):
                return True
        for i in range(n - 1):  # swaps
            memcpy(buf, w, n)
            buf[i] = w[i + 1]
            buf[i + 1] = w[i]
            if common.has(buf, n):
                return True
        memcpy(buf, w, n)
        for i in range(n):  # replaces
            for c in range(97, 123):  # a-z
                buf[i] = c
                if common.has(buf, n):
                    return True
            buf[i] = w[i]
        for i in range(n + 1):  # inserts
            memcpy(buf, w, i)
            memcpy(buf + i + 1, w + i, n - i)
            for c in range(97, 123):  # a-z
                buf[i] = c
                if common.has(buf, n + 1):
                    return True
        return False

    cdef bint _habbr(self, str k):
        """``detector._hospital_abbrevs`` of one word."""
        return (k.endswith("h") or k.endswith("mc")) and 2 <= len(k) <= 5 and \
            k not in self.not_hospitals

    cdef _Info _new_info(self, str word):
        cdef _Info info = _Info.__new__(_Info)
        cdef uint64_t lb = 0, kb = 0
        cdef uint32_t wf = 0
        cdef PyObject *hit
        low = word.lower()
        key = low
        info.adj = 0
        if low in self.quiet:
            lb |= L_QUIET
        else:
            # The apostrophe rule of _decide ("pt's", "O'Rourke's").
            if "'" in key or "\u2019" in key:
                base, _, tail = key.replace("\u2019", "'").rpartition("'")
                if tail in _APOSTROPHE_TAILS and (base in self.vsafe or not base):
                    key = base
                elif tail == "s":
                    key = base
                    info.adj = 2
        if low in self.safe:
            lb |= L_SAFE
        if low in self.flagged:
            lb |= L_FLAGGED
        if self._habbr(low):
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
        if key.isalpha():
            kb |= K_ALPHA
        if key.isdigit():
            kb |= K_DIGITS
        if key[:1].isdigit():
            kb |= K_FIRSTDIGIT
        if not key.isalpha() and not key.replace("'", "").isalpha():
            kb |= K_CODE
        if self._habbr(key):
            kb |= K_HABBR
            if key not in self.basic or len(key) <= 3:
                kb |= K_PREPABBR
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
        if word[: len(word) - info.adj].isupper():
            wf |= W_TUPPER
        info.word = word
        info.key = key
        info.lbits = lb
        info.kbits = kb
        info.wflags = wf
        info.klen = len(key)
        info.cls[0] = -1
        info.cls[1] = -1
        return info

    def __dealloc__(self):
        self._release()

    cdef void _release(self) noexcept:
        cdef Py_ssize_t i
        if self.slots is not NULL:
            for i in range(self.mask + 1):
                Py_XDECREF(self.slots[i])
        PyMem_Free(self.slots)
        PyMem_Free(self.hashes)
        self.slots = NULL
        self.hashes = NULL
        self.mask = -1
        self.used = 0

    cdef int _table(self, Py_ssize_t size) except -1:
        """A new empty table of ``size`` slots (a power of two)."""
        self._release()
        self.slots = <PyObject **>PyMem_Malloc(size * sizeof(PyObject *))
        self.hashes = <uint64_t *>PyMem_Malloc(size * sizeof(uint64_t))
        if self.slots is NULL or self.hashes is NULL:
            self._release()
            raise MemoryError()
        memset(self.slots, 0, size * sizeof(PyObject *))
        self.mask = size - 1
        return 0

    cdef int _grow(self) except -1:
        """Twice the slots, the same words."""
        cdef PyObject **old = self.slots
        cdef uint64_t *old_hashes = self.hashes
        cdef Py_ssize_t old_size = self.mask + 1, i, j
        self.slots = NULL
        self.hashes = NULL
        try:
            self._table(old_size * 2)
        except MemoryError:
            self.slots, self.hashes, self.mask = old, old_hashes, old_size - 1
            raise
        for i in range(old_size):
            if old[i] is not NULL:
                j = old_hashes[i] & self.mask
                while self.slots[j] is not NULL:
                    j = (j + 1) & self.mask
                self.slots[j] = old[i]
                self.hashes[j] = old_hashes[i]
                self.used += 1
        PyMem_Free(old)
        PyMem_Free(old_hashes)
        return 0

    cdef _Info _info(self, str text, _Text t, Py_ssize_t s, Py_ssize_t e, uint64_t h):
        """The _Info of the word ``text[s:e]`` (``h``: its hash), built on its first sight."""
        cdef Py_ssize_t j = h & self.mask
        cdef PyObject *slot
        cdef _Info info
        while True:
            slot = self.slots[j]
            if slot is NULL:
                break
            if self.hashes[j] == h and _same((<_Info>slot).word, t, s, e):
                return <_Info>slot
            j = (j + 1) & self.mask
        info = self._new_info(text[s:e])
        if 2 * (self.used + 1) > self.mask + 1:
            self._grow()
            j = h & self.mask
            while self.slots[j] is not NULL:
                j = (j + 1) & self.mask
        Py_INCREF(info)
        self.slots[j] = <PyObject *>info
        self.hashes[j] = h
        self.used += 1
        return info

    def scan(self, str text, out):
        """``Redactor._scan``: every finding of ``text`` put into ``out`` (a Spans)."""
        cdef _Text t = _text(text)
        cdef _Reading r
        cdef Py_ssize_t n, i, s, e
        cdef _Tok *toks = NULL
        cdef uint64_t lany = 0
        cdef _Info info
        memset(&r, 0, sizeof(_Reading))
        # The table is cleared between texts only: during one, the _Tok of its words
        # point into it.
        if self.used >= CACHE_LIMIT:
            self._table(1 << 12)
        try:
            _read(t, &r)
            n = r.words.n // 3
            toks = <_Tok *>PyMem_Malloc((n + 1) * sizeof(_Tok))
            if toks is NULL:
                raise MemoryError()
            for i in range(n):
                s = r.words.v[3 * i]
                e = r.words.v[3 * i + 1]
                info = self._info(text, t, s, e, <uint64_t>r.words.v[3 * i + 2])
                toks[i].start = s
                toks[i].end = e
                toks[i].cut = e - info.adj
                toks[i].kbits = info.kbits
                toks[i].wflags = info.wflags
                toks[i].klen = info.klen
                toks[i].state = KEEP
                toks[i].info = <PyObject *>info
                lany |= info.lbits
            self._structured(text, &r, toks, n, lany, out)
            if n:
                self._words(text, t, toks, n, lany, out)
        finally:
            PyMem_Free(toks)
            _forget(&r)

    cdef _structured(self, str text, _Reading *r, _Tok *toks, Py_ssize_t n, uint64_t lany,
                     out):
        """The pattern pass, as ``_scan`` runs it (same order of handler calls)."""
        cdef Py_ssize_t g, i, k, end, pos
        cdef uint64_t bit
        cdef int shape
        handlers = self.handlers
        if self.has_lookup:
            self.r._lookup_pass(text, out)
        if r.web and self.needs_web(text):
            for m in self.web.finditer(text):
                handlers[m.lastgroup or ""](m, out)
        shapes = self.shapes
        end = -1
        for k in range(0, r.digits.n, 2):
            pos = r.digits.v[k]
            shape = <int>r.digits.v[k + 1]
            if shape == S_NONE or pos < end:
                continue
            m = (<object>PyTuple_GET_ITEM(shapes, shape)).match(text, pos)
            if m is not None:
                end = m.end()
                handlers[m.lastgroup or ""](m, out)
        for g in range(len(self.groups)):
            bit = (<uint64_t>L_GROUP0) << g
            if not (lany & bit):
                continue
            match = self.group_pats[g].match
            end = -1
            for i in range(n):
                pos = toks[i].start
                if not ((<_Info>toks[i].info).lbits & bit) or pos < end:
                    continue
                m = match(text, pos)
                if m is not None:
                    end = m.end()
                    handlers[m.lastgroup or ""](m, out)
        match = self.codes.match
        end = -1
        for k in range(r.codes.n):
            pos = r.codes.v[k]
            if pos < end:
                continue
            m = match(text, pos)
            if m is not None:
                end = m.end()
                handlers[m.lastgroup or ""](m, out)

    cdef _words(self, str text, _Text t, _Tok *all_toks, Py_ssize_t n, uint64_t lany, out):
        """``Redactor._words``: the word rules on the words outside structured findings."""
        cdef Py_ssize_t i, ci, m = 0, start, end, ncov
        cdef uint64_t lb
        cdef bint act = False
        for i in range(n):
            lb = (<_Info>all_toks[i].info).lbits
            if not (lb & L_SAFE) or lb & (L_TRIG | L_FLAGGED | L_HABBR):
                act = True
                break
        if not act:
            return
        spans = out.spans
        if spans:
            covered = sorted([(sp[0], sp[2]) for sp in spans])
            ncov = len(covered)
            ci = 0
            for i in range(n):
                start = all_toks[i].start
                end = all_toks[i].end
                while ci < ncov and covered[ci][1] <= start:
                    ci += 1
                if ci < ncov and covered[ci][0] < end:
                    continue  # inside a structured finding
                all_toks[m] = all_toks[i]
                m += 1
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
        cdef bint title
        for i in range(n):
            info = <_Info>tk[i].info
            if info.lbits & L_QUIET:
                continue
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
            title = mixed and not t.starts(tk[i].start) and (wf & W_CAP) != 0 and \
                not (wf & W_TUPPER)
            if info.cls[title] < 0:
                info.cls[title] = self.r._classify_title(info.key, title)
            tk[i].state = info.cls[title]
        inwin = <uint8_t *>PyMem_Malloc(n + 1)
        win = <Py_ssize_t *>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
        if inwin is NULL or win is NULL:
            PyMem_Free(inwin)
            PyMem_Free(win)
            raise MemoryError()
        try:
            memset(inwin, 0, n + 1)
            for i in range(n):
                kb = tk[i].kbits
                if (tk[i].state != KEEP and tk[i].state != AMBIG) or kb & (K_TRIG | K_HABBR) or (
                        tk[i].klen == 1 and tk[i].end < t.length
                        and t.at(tk[i].end) == u'.'):
                    for j in range(max(0, i - 4), min(n, i + 5)):
                        inwin[j] = 1
            for i in range(n):
                if inwin[i]:
                    win[nw] = i
                    nw += 1
            if nw == 0:
                return
            for rnd in range(2):
                for a in range(nw):
                    _rules(t, tk, n, win[a], mixed)
            self._emit(text, t, tk, n, win, nw, mixed, out)
        finally:
            PyMem_Free(inwin)
            PyMem_Free(win)

    cdef _emit(self, str text, _Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t *win,
               Py_ssize_t nw, bint mixed, out):
        """The last loop of ``_decide``: a surrogate for every word decided a name or place."""
        cdef Py_ssize_t a, i, start, end
        cdef int s
        cdef uint64_t kb
        cdef bint between, later, first_role
        cdef _Info info
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
                        and _near(t, tk, i, i + 1, b" ") and tk[i].klen <= 5)):
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
            word = info.word
            if s == PLACE:
                end = tk[i].end
                fake = fns["city"](word.title())
                put(start, end, "place", self.case_like(fake, word))
                continue
            name = word[: end - start]
            title = name.title() if name.isascii() else name
            later = i + 1 < n and _sure(tk[i + 1].state) and _near(t, tk, i, i + 1, b" ")
            if kb & (K_FFIRST | K_FLAST):
                first_role = kb & K_FFIRST and (later or not (kb & K_FLAST))
            else:
                first_role = kb & K_FIRST and (later or not (kb & K_LAST))
            role = "first_name" if first_role else "last_name"
            put(start, end, role, self.case_like(fns[role](title), name))


cdef inline bint _sure(int state) noexcept:
    return state == NAME or state == UNKNOWN


cdef inline bint _place_like(_Tok *tk, Py_ssize_t i) noexcept:
    """``detector._place_like``: a street, town or country name written with a capital."""
    return (tk[i].state == PLACE or tk[i].state == UNKNOWN) and (tk[i].wflags & W_CAP) != 0


cdef inline bint _near(_Text t, _Tok *tk, Py_ssize_t i, Py_ssize_t j, const char *allow) noexcept:
    if i > j:
        i, j = j, i
    return t.gap_ok(tk[i].end, tk[j].start, allow, 4)


cdef inline bint _nameish(_Tok *tk, Py_ssize_t j) noexcept:
    """A word that context can make a name: not everyday English, or a name."""
    cdef uint64_t kb = tk[j].kbits
    return tk[j].klen > 1 and kb & K_ALPHA and not (kb & (K_STOP | K_TRIG)) and (
        _sure(tk[j].state) or tk[j].state == AMBIG or not (kb & K_BASIC))


cdef inline bint _same_case(_Tok *tk, Py_ssize_t a, Py_ssize_t b) noexcept:
    return ((tk[a].wflags & W_UPPER) != 0) == ((tk[b].wflags & W_UPPER) != 0) and \
        ((tk[a].wflags & W_LOWER) != 0) == ((tk[b].wflags & W_LOWER) != 0)


cdef bint _signs(_Text t, Py_ssize_t end) noexcept:
    """``not text[end:end + 3].strip(" \\t.,")[:1].isalnum()``."""
    cdef Py_ssize_t p
    cdef Py_UCS4 c
    for p in range(end, min(end + 3, t.length)):
        c = t.at(p)
        if not _in(c, b" \t.,"):
            return not Py_UNICODE_ISALNUM(c)
    return True


cdef bint _only_dot(_Text t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """``text[a:b].strip() == "."``."""
    while a < b and Py_UNICODE_ISSPACE(t.at(a)):
        a += 1
    while b > a and Py_UNICODE_ISSPACE(t.at(b - 1)):
        b -= 1
    return b - a == 1 and t.at(a) == u'.'


cdef bint _has(_Text t, Py_ssize_t a, Py_ssize_t b, Py_UCS4 c) noexcept:
    cdef Py_ssize_t p
    for p in range(a, b):
        if t.at(p) == c:
            return True
    return False


cdef void _rules(_Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t i, bint mixed) noexcept:
    """One step of the context rules of ``Redactor._decide`` at word ``i``."""
    cdef uint64_t kb = tk[i].kbits
    cdef uint32_t wf = tk[i].wflags
    cdef Py_ssize_t j, k
    cdef bint strong, signs, prev_sure, next_sure, initial
    cdef const char *gap
    cdef int si
    if kb & K_HON and i + 1 < n and _near(t, tk, i, i + 1, b". "):
        j = i + 1
        strong = not (kb & K_WEAKHON) or (mixed and wf & W_CAP and not (wf & W_UPPER)) or \
            t.at(tk[i].end) == u'.'
        if not (tk[j].kbits & K_STOP) and tk[j].state != PLACE and (strong or _nameish(tk, j)):
            tk[j].state = max(tk[j].state, NAME) if _sure(tk[j].state) else NAME
            if j + 1 < n and _near(t, tk, j, j + 1, b" -") and _nameish(tk, j + 1) \
                    and _same_case(tk, j, j + 1):
                tk[j + 1].state = NAME if not _sure(tk[j + 1].state) else tk[j + 1].state
    elif kb & K_REL and i + 1 < n and _near(t, tk, i, i + 1, b":,-() "):
        j = i + 1
        if kb & K_NAMEWORD and tk[j].kbits & K_ISWAS and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        while j < n and tk[j].state != PLACE and not (tk[j].kbits & K_STOP) and (
                (_nameish(tk, j) and (not mixed or tk[j].wflags & W_CAP
                                      or _sure(tk[j].state) or tk[j].kbits & K_FIRST))
                or (mixed and tk[j].kbits & K_ALPHA and tk[j].wflags & W_TITLE)):
            if not _sure(tk[j].state):
                tk[j].state = NAME
            k = j + 1
            if k < n and tk[k].kbits & K_AND and _near(t, tk, j, k, b", "):
                k += 1
            elif not (k < n and _near(t, tk, j, k, b",") and t.at(tk[j].end) == u','):
                break
            if k >= n or not _near(t, tk, k - 1, k, b", "):
                break
            j = k
    elif kb & K_CRED and (wf & W_UPPER or not mixed):
        j = i - 1
        gap = b", "
        signs = _signs(t, tk[i].end)
        while j >= 0 and i - j <= 4 and _near(t, tk, j, j + 1, gap) and (
                _nameish(tk, j)
                or (tk[j].klen == 1 and tk[j].kbits & K_ALPHA and j < i - 1)
                or (signs and tk[j].kbits & K_ALPHA and not (tk[j].kbits & K_STOP)
                    and not (tk[j].wflags & W_LOWER) and not (tk[j].kbits & K_TRIG))
        ) and not (tk[j].kbits & K_CRED):
            if tk[j].klen > 1 and not _sure(tk[j].state):
                tk[j].state = NAME
            gap = b". -"
            j -= 1
        if i + 1 < n and _near(t, tk, i, i + 1, b" ") and _nameish(tk, i + 1) and \
                tk[i + 1].state != PLACE and not (wf & W_LOWER) and \
                not (tk[i + 1].wflags & W_LOWER):
            tk[i + 1].state = NAME
    elif kb & K_PLACEW and i > 0:
        j = i - 1
        while j >= 0 and i - j <= 2 and _near(t, tk, j, j + 1, b" ") and \
                not (tk[j].kbits & K_STOP) and (not (tk[j].kbits & K_PLACEW)
                                                or tk[j].kbits & K_PLACEPART) and \
                not (tk[j].kbits & K_GENERIC) and tk[j].kbits & K_ALPHA and (
                    (mixed and tk[j].wflags & W_CAP and not (tk[j].wflags & W_UPPER))
                    or _nameish(tk, j)
                    or tk[j].kbits & K_SAINT
                    or (j == i - 1 and kb & K_HOSP
                        and (tk[j].wflags & W_UPPER or not mixed))):
            if not _sure(tk[j].state):
                tk[j].state = PLACE
            j -= 1
        if j < i - 1 and kb & K_PLACEPART:
            tk[i].state = PLACE
    elif kb & K_FEAT and i > 0 and _near(t, tk, i - 1, i, b" ") and \
            tk[i - 1].kbits & K_ALPHA and not (tk[i - 1].kbits & K_STOP) and (
                (mixed and tk[i - 1].wflags & W_TITLE and wf & W_TITLE)
                or _sure(tk[i - 1].state) or tk[i - 1].state == PLACE):
        if not _sure(tk[i - 1].state):
            tk[i - 1].state = PLACE
        tk[i].state = PLACE
    elif kb & K_STREET and i + 1 < n and _near(t, tk, i, i + 1, b" ") and \
            wf & W_TITLE and tk[i + 1].kbits & K_ALPHA and (
                tk[i + 1].wflags & W_CAP or tk[i + 1].kbits & K_PARTICLE):
        tk[i].state = PLACE
        j = i + 1
        while j < n and j - i <= 3 and _near(t, tk, j - 1, j, b" ") and \
                tk[j].kbits & K_ALPHA and (tk[j].wflags & W_CAP or tk[j].kbits & K_PARTICLE):
            tk[j].state = PLACE
            j += 1
    elif kb & K_UNIV and not (wf & W_LOWER) and i + 1 < n:
        j = i + 1
        if tk[j].kbits & K_OF and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        if _near(t, tk, i, i + 1, b". ") and _sure(tk[j].state) and tk[j].wflags & W_CAP:
            tk[i].state = PLACE
            tk[j].state = PLACE
    elif kb & K_SAINT and i + 1 < n and _near(t, tk, i, i + 1, b". ") and \
            _has(t, tk[i].end, tk[i + 1].start, u' ') and \
            (wf & W_CAP or not mixed) and \
            not (tk[i + 1].kbits & K_PLACEW) and not (tk[i + 1].kbits & K_STOP) and (
                (mixed and tk[i + 1].wflags & W_CAP) or _nameish(tk, i + 1)):
        tk[i].state = PLACE
        tk[i + 1].state = PLACE
    elif kb & K_PREP and i + 1 < n and _near(t, tk, i, i + 1, b" "):
        j = i + 1
        if tk[j].kbits & K_THE and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        if tk[j].kbits & K_PREPABBR and (tk[j].wflags & W_UPPER or not mixed):
            tk[j].state = PLACE
    si = tk[i].state
    if si != KEEP and si != AMBIG:
        return
    wf = tk[i].wflags
    if i > 1 and tk[i - 1].kbits & K_AND and _sure(tk[i - 2].state) and \
            _near(t, tk, i - 2, i - 1, b" ") and _near(t, tk, i - 1, i, b" ") and \
            _nameish(tk, i) and (wf & W_CAP or tk[i - 2].wflags & W_LOWER) and \
            _same_case(tk, i - 2, i):
        tk[i].state = NAME  # "Suzette and Hank"
        return
    if i > 0 and _sure(tk[i - 1].state) and si == AMBIG and wf & W_TITLE and \
            t.gap_ok(tk[i - 1].end, tk[i].start, b", ", 4) and \
            _has(t, tk[i - 1].end, tk[i].start, u',') and i + 2 < n and \
            tk[i + 1].kbits & K_AND and _sure(tk[i + 2].state):
        tk[i].state = NAME  # "Morrison, Rogers and Torres"
        return
    if i + 2 < n and tk[i + 1].klen == 1 and tk[i + 1].wflags & W_UPPER and \
            t.at(tk[i + 1].end) == u'.' and _sure(tk[i + 2].state) and \
            _near(t, tk, i, i + 1, b" ") and _near(t, tk, i + 1, i + 2, b". ") and \
            wf & W_TITLE and _nameish(tk, i):
        tk[i].state = NAME  # "Chise T. Horiguchi"
        return
    prev_sure = i > 0 and _sure(tk[i - 1].state)
    next_sure = i + 1 < n and _sure(tk[i + 1].state)
    initial = i > 0 and tk[i - 1].klen == 1 and tk[i - 1].kbits & K_ALPHA and \
        t.at(tk[i - 1].end) == u'.'
    if not (prev_sure or next_sure or initial) or not (si == AMBIG or _nameish(tk, i)):
        return
    if (not (wf & W_LOWER) and prev_sure and tk[i - 1].state == NAME
            and tk[i - 1].kbits & K_FIRST and _near(t, tk, i - 1, i, b" ")) or (
            initial and _near(t, tk, i - 1, i, b". ")
            and (wf & W_TITLE or not mixed)
            and (i < 2 or (not _only_dot(t, tk[i - 2].end, tk[i - 1].start)
                           and not (tk[i - 2].kbits & K_FIRSTDIGIT))
                 or tk[i - 2].klen != 1)):
        tk[i].state = NAME  # after a known first name or an initial
    elif not (wf & W_LOWER) and (
        (prev_sure and _near(t, tk, i - 1, i, b" " if tk[i - 1].klen > 1 else b" .")
         and _same_case(tk, i - 1, i)
         and (tk[i - 1].state == NAME or not (tk[i - 1].wflags & W_LOWER)))
        or (next_sure and _near(t, tk, i, i + 1, b" " if tk[i].klen > 1 else b" .")
            and _same_case(tk, i, i + 1)
            and (tk[i + 1].state == NAME or not (tk[i + 1].wflags & W_LOWER)))
    ):
        tk[i].state = NAME
