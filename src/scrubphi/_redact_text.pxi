# Included by _redact_fast.pyx: the word bits, a text's buffer and the table of
# common words (see the module's docstring).

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)


# States of a word (word_rules' _KEEP, _NAME, _AMBIG, _PLACE, _UNKNOWN).
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
DEF L_GROUP0 = 32  # L_GROUP0 << g: a trigger word of the pattern group g (g < 24)
DEF L_SSNWORD = 1 << 30  # "ssn", "ss", "social": the SSN label may cross lines

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
    #define RF_K_PPREFIX ((uint64_t)1 << 36)
    #define RF_K_ORGW ((uint64_t)1 << 37)
    #define RF_K_SUFFIX ((uint64_t)1 << 38)
    #define RF_K_LEGAL ((uint64_t)1 << 39)
    #define RF_K_PNEXT ((uint64_t)1 << 40)
    #define RF_K_GAZ ((uint64_t)1 << 41)
    #define RF_K_AFTERTYPE ((uint64_t)1 << 42)
    #define RF_K_ORGPREP ((uint64_t)1 << 43)
    #define RF_K_LEGALABBR ((uint64_t)1 << 44)
    #define RF_K_FIRMAND ((uint64_t)1 << 45)
    #define RF_K_FIRMCLOSE ((uint64_t)1 << 46)
    #define RF_K_PLINK ((uint64_t)1 << 47)
    #define RF_K_WORK ((uint64_t)1 << 48)
    #define RF_K_WORKPREP ((uint64_t)1 << 49)
    #define RF_K_FACHEAD ((uint64_t)1 << 50)
    #define RF_K_ROLE ((uint64_t)1 << 51)
    #define RF_K_ROLEPREP ((uint64_t)1 << 52)
    #define RF_K_NOTEMP ((uint64_t)1 << 53)
    #define RF_K_EPLACE ((uint64_t)1 << 54)
    #define RF_K_VISIT ((uint64_t)1 << 55)
    #define RF_K_FORMUP ((uint64_t)1 << 56)
    #define RF_K_FORMCAP ((uint64_t)1 << 57)
    #define RF_K_FORMANY ((uint64_t)1 << 58)
    #define RF_K_CUE ((uint64_t)1 << 59)
    #define RF_K_CUEFORM ((uint64_t)1 << 60)
    #define RF_K_PTLABEL ((uint64_t)1 << 61)
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
    const uint64_t K_PPREFIX "RF_K_PPREFIX"
    const uint64_t K_ORGW "RF_K_ORGW"
    const uint64_t K_SUFFIX "RF_K_SUFFIX"
    const uint64_t K_LEGAL "RF_K_LEGAL"
    const uint64_t K_PNEXT "RF_K_PNEXT"
    const uint64_t K_GAZ "RF_K_GAZ"
    const uint64_t K_AFTERTYPE "RF_K_AFTERTYPE"
    const uint64_t K_ORGPREP "RF_K_ORGPREP"
    const uint64_t K_LEGALABBR "RF_K_LEGALABBR"
    const uint64_t K_FIRMAND "RF_K_FIRMAND"
    const uint64_t K_FIRMCLOSE "RF_K_FIRMCLOSE"
    const uint64_t K_PLINK "RF_K_PLINK"
    const uint64_t K_WORK "RF_K_WORK"
    const uint64_t K_WORKPREP "RF_K_WORKPREP"
    const uint64_t K_FACHEAD "RF_K_FACHEAD"
    const uint64_t K_ROLE "RF_K_ROLE"
    const uint64_t K_ROLEPREP "RF_K_ROLEPREP"
    const uint64_t K_NOTEMP "RF_K_NOTEMP"
    const uint64_t K_EPLACE "RF_K_EPLACE"
    const uint64_t K_VISIT "RF_K_VISIT"
    const uint64_t K_FORMUP "RF_K_FORMUP"  # late_firms.FORM_UPPER: a legal form in capitals
    const uint64_t K_FORMCAP "RF_K_FORMCAP"  # late_firms.FORM_CAP: one with a capital
    const uint64_t K_FORMANY "RF_K_FORMANY"  # late_firms.FORM_ANY: "syn" of "i syn s.c."
    const uint64_t K_CUE "RF_K_CUE"  # late_cues.CUE_WORDS: a cue's word, any case
    const uint64_t K_CUEFORM "RF_K_CUEFORM"  # late_cues.CUE_FORMS: in Title case
    const uint64_t K_PTLABEL "RF_K_PTLABEL"  # context._PATIENT_LABELS: "patient", "pt"

# Case of the word as written (W_TUPPER: of the word without its cut-off tail, capitals
# or capitals and a plural's "s", as word_rules.upper_word reads it).
DEF W_UPPER = 1
DEF W_LOWER = 2
DEF W_TITLE = 4
DEF W_CAP = 8
DEF W_ALPHA = 16
DEF W_TUPPER = 32
DEF W_ABBRDOT = 64  # the word and "." are an abbreviated street type (word_rules._ABBR_FIRST_TYPES)
DEF W_ABBRSLASH = 128  # the word and "/" are one ("C/")
DEF W_FORM = 256  # a legal form's word in its case (late_firms.form_gate's words)

DEF CACHE_LIMIT = 1 << 17

_APOSTROPHE_TAILS = frozenset(("s", "t", "ll", "re", "ve", "d", "m", "ed", "ing", "es", "ng",
                               "g", "n"))


@cython.no_gc
cdef class _Info:
    """What the rules need of one distinct word as written; built once per redactor.

    Not tracked by the cyclic collector (it holds str and None only): a first pass
    makes one per distinct word, and tracked objects would make the collector run
    and walk the young generation every few hundred of them."""

    cdef str word
    cdef str key
    cdef uint64_t lbits
    cdef uint64_t kbits
    cdef uint32_t wflags
    cdef Py_ssize_t klen
    cdef Py_ssize_t adj
    # _classify's answer without and with a capital that means something (-1: not yet).
    cdef int cls[2]
    # Its surrogates as a place, a first and a last name (None: not yet made).
    cdef object s_place, s_first, s_last


cdef struct _Tok:
    Py_ssize_t start
    Py_ssize_t end
    Py_ssize_t cut  # end, less the tail the apostrophe rule cuts off
    uint64_t kbits
    uint64_t lbits  # the _Info's, here so that a pass over the words needs no object
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


# The reading's classes of a character (_read_units: one load a character, not three
# tests): a letter or digit (str.isalnum), a decimal (str.isdecimal), an ASCII letter,
# and a character the reading stops at between words (": - . @ + ( #").
DEF C_ALNUM = 1
DEF C_DECIMAL = 2
DEF C_LETTER = 4
DEF C_MARK = 8
cdef uint8_t _CLASS[256]
for _c in range(256):
    _CLASS[_c] = ((C_ALNUM if chr(_c).isalnum() else 0)
                  | (C_DECIMAL if chr(_c).isdecimal() else 0)
                  | (C_LETTER if chr(_c).isascii() and chr(_c).isalpha() else 0)
                  | (C_MARK if chr(_c) in ":-.@+(#" else 0))


cdef inline uint8_t _class(Py_UCS4 c) noexcept:
    """_CLASS of any character (beyond Latin-1: alphanumeric and decimal only)."""
    if c < 256:
        return _CLASS[c]
    if Py_UNICODE_ISDECIMAL(c):
        return C_ALNUM | C_DECIMAL
    return C_ALNUM if Py_UNICODE_ISALNUM(c) else 0


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
    # The last run of ``[\d()]`` read (_digit_run_end): ``[run_from, run_to)``, empty
    # at first.  A run's end is the same from any point in it, so reading it again
    # from each of its digits ("1)2)3)4...") is not quadratic.
    cdef Py_ssize_t run_from, run_to

    cdef inline Py_UCS4 at(self, Py_ssize_t i) noexcept:
        return PyUnicode_READ(self.kind, self.data, i)

    cdef bint gap_ok(self, Py_ssize_t end, Py_ssize_t start, const char *allow,
                     Py_ssize_t most) noexcept:
        """``word_rules._gap_ok``: 1 to ``most`` characters between, all of ``allow``."""
        cdef Py_ssize_t p
        if start - end <= 0 or start - end > most:
            return False
        for p in range(end, start):
            if not _in(self.at(p), allow):
                return False
        return True

    cdef bint starts(self, Py_ssize_t start) noexcept:
        """``word_rules._starts``: whether a word at ``start`` begins a sentence."""
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


cdef extern from *:
    """
    /* Whether a word of eight ASCII bytes holds one greater than m and less than n
       (0 <= m <= 127, n <= 128): Sean Eron Anderson's "Bit Twiddling Hacks". */
    #define RF_ONES 0x0101010101010101ULL
    static inline uint64_t rf_between(uint64_t x, uint64_t m, uint64_t n) {
        return (RF_ONES * (127 + n) - (x & RF_ONES * 127)) & ~x
               & ((x & RF_ONES * 127) + RF_ONES * (127 - m)) & RF_ONES * 128;
    }
    """
    uint64_t _between "rf_between"(uint64_t x, uint64_t m, uint64_t n) noexcept


cdef bint _mixed(str text):
    """Both cases in the text: ``text.upper() != text and text.lower() != text``."""
    cdef const uint8_t *p
    cdef Py_ssize_t i = 0, n
    cdef uint64_t x, lower = 0, upper = 0
    if PyUnicode_IS_ASCII(text):
        p = <const uint8_t *>PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
        # (eight characters a step: most nursing notes are in one case, read to the end)
        while i + 8 <= n:
            memcpy(&x, p + i, 8)
            lower |= _between(x, 96, 123)  # a to z
            upper |= _between(x, 64, 91)   # A to Z
            if lower and upper:
                return True
            i += 8
        while i < n:
            if p[i] >= b'a' and p[i] <= b'z':
                lower = 1
            elif p[i] >= b'A' and p[i] <= b'Z':
                upper = 1
            if lower and upper:
                return True
            i += 1
        return False
    return text.upper() != text and text.lower() != text


def mixed(str text):
    """_mixed, for the twin tests."""
    return _mixed(text)


cdef bint _form_gate(str text, _Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t *at,
                     Py_ssize_t nat):
    """``late_firms.form_gate`` on the scan's words: a legal form's word in its case
    (``W_FORM``: ``at``, the first ``nat`` of them) beside a capitalised word (for a form
    in capitals, a Title-case one that is no everyday or clinical word, one space away),
    in a text of both cases."""
    cdef Py_ssize_t i, k
    cdef uint64_t kb
    for k in range(nat):
        i = at[k]
        kb = tk[i].kbits
        if kb & K_FORMUP and (
                (i + 1 < n and tk[i + 1].start == tk[i].end + 1 and t.at(tk[i].end) == u' '
                 and tk[i + 1].wflags & W_TITLE and not tk[i + 1].kbits & K_BASIC)
                or (i > 0 and tk[i - 1].end + 1 == tk[i].start and t.at(tk[i - 1].end) == u' '
                    and tk[i - 1].wflags & W_TITLE and not tk[i - 1].kbits & K_BASIC)):
            return _mixed(text)
        if kb & K_FORMCAP and not tk[i].wflags & W_UPPER and (
                (i > 0 and tk[i - 1].wflags & W_CAP) or (i > 2 and tk[i - 3].wflags & W_CAP)
                or (i + 1 < n and tk[i + 1].wflags & W_CAP)):
            return _mixed(text)
        if kb & K_FORMANY and i > 1 and tk[i - 2].wflags & W_CAP:
            return _mixed(text)
    return False


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
        return self.has_h(b, n, _bytes_hash(b, n))

    cdef bint has_h(self, const char *b, Py_ssize_t n, uint64_t h) noexcept:
        """``has``, given ``_bytes_hash(b, n)``."""
        cdef Py_ssize_t j = _mix(h) & self.mask
        while self.offsets[j] >= 0:
            if self.hashes[j] == h and self.lengths[j] == n and \
                    memcmp(self.arena + self.offsets[j], b, n) == 0:
                return True
            j = (j + 1) & self.mask
        return False


# A _WordSet's hash is a polynomial one (h = h * _PB + byte + 1, mod 2**64), so that
# the typo check gets the hash of each edit of a word from its prefixes' and suffixes'
# hashes in a few multiplications; _mix spreads it over a table's slots.
cdef extern from *:
    """
    #define RF_PB 1099511628211ULL
    """
    const uint64_t _PB "RF_PB"


cdef inline uint64_t _mix(uint64_t h) noexcept:
    h = (h ^ (h >> 30)) * <uint64_t>0xbf58476d1ce4e5b9ULL
    h = (h ^ (h >> 27)) * <uint64_t>0x94d049bb133111ebULL
    return h ^ (h >> 31)


cdef inline uint64_t _bytes_hash(const char *b, Py_ssize_t n) noexcept:
    cdef uint64_t h = 0
    cdef Py_ssize_t i
    for i in range(n):
        h = h * _PB + <uint8_t>b[i] + 1
    return h


# context._SUFFIXES as bytes (Engine checks they are the same).
_DERIVED_SUFFIXES = (b"able", b"ible", b"ing", b"ed", b"ly", b"ness", b"er", b"ers", b"es",
                     b"s", b"ally")


cdef bint _habbr(str k, not_hospitals) except -1:
    """``word_rules._hospital_abbrevs`` of one word: two to five characters ending in "h"
    or "mc", not a lab's or a ward's."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(k)
    cdef int kind = PyUnicode_KIND(k)
    cdef void *data = PyUnicode_DATA(k)
    if n < 2 or n > 5:
        return False
    if not (PyUnicode_READ(kind, data, n - 1) == u'h' or (
            PyUnicode_READ(kind, data, n - 2) == u'm' and PyUnicode_READ(kind, data, n - 1) == u'c')):
        return False
    return k not in not_hospitals


cdef inline bint _ascii_upper(char c) noexcept:
    return c >= b'A' and c <= b'Z'


cdef inline bint _ascii_lower(char c) noexcept:
    return c >= b'a' and c <= b'z'


cdef uint64_t _ascii_key_bits(const char *k, Py_ssize_t n) noexcept:
    """K_ALPHA, K_DIGITS, K_FIRSTDIGIT and K_CODE of an ASCII key, as str's methods
    give them (K_CODE before the glued-word test: not alphabetic, nor without its
    apostrophes)."""
    cdef Py_ssize_t i, letters = 0, digits = 0, quotes = 0
    cdef uint64_t kb = 0
    cdef char c
    for i in range(n):
        c = k[i]
        if _ascii_upper(c) or _ascii_lower(c):
            letters += 1
        elif c >= b'0' and c <= b'9':
            digits += 1
        elif c == b"'":
            quotes += 1
    if n > 0 and letters == n:
        kb |= K_ALPHA
    if n > 0 and digits == n:
        kb |= K_DIGITS
    if n > 0 and k[0] >= b'0' and k[0] <= b'9':
        kb |= K_FIRSTDIGIT
    if not (n > 0 and letters == n) and not (letters > 0 and letters + quotes == n):
        kb |= K_CODE
    return kb


cdef bint _ascii_isupper(const char *w, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    cdef bint cased = False
    for i in range(n):
        if _ascii_lower(w[i]):
            return False
        if _ascii_upper(w[i]):
            cased = True
    return cased


cdef uint32_t _ascii_case_bits(const char *w, Py_ssize_t n, Py_ssize_t adj) noexcept:
    """W_UPPER, W_LOWER, W_TITLE, W_CAP, W_ALPHA and W_TUPPER of an ASCII word, as
    str's isupper, islower, istitle, [:1].isupper, isalpha and [:n - adj].isupper
    give them."""
    cdef Py_ssize_t i, upper = 0, lower = 0
    cdef bint prev_cased = False, title = True
    cdef uint32_t wf = 0
    cdef char c
    for i in range(n):
        c = w[i]
        if _ascii_upper(c):
            upper += 1
            if prev_cased:
                title = False
            prev_cased = True
        elif _ascii_lower(c):
            lower += 1
            if not prev_cased:
                title = False
            prev_cased = True
        else:
            prev_cased = False
    if upper and not lower:
        wf |= W_UPPER
    if lower and not upper:
        wf |= W_LOWER
    if title and (upper or lower):
        wf |= W_TITLE
    if n > 0 and _ascii_upper(w[0]):
        wf |= W_CAP
    if n > 0 and upper + lower == n:
        wf |= W_ALPHA
    if _ascii_isupper(w, n - adj if n >= adj else 0) or (
            n - adj >= 3 and w[n - adj - 1] == b's' and _ascii_isupper(w, n - adj - 1)):
        wf |= W_TUPPER  # (capitals and a plural's "s" too: word_rules.upper_word, "PIVs")
    return wf


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
        j = _mix(h) & ws.mask
        while ws.offsets[j] >= 0:
            j = (j + 1) & ws.mask
        ws.hashes[j] = h
        ws.offsets[j] = off
        ws.lengths[j] = n
        off += n
    _WORD_SETS[id(words)] = ws
    return ws


# -- the care facilities' head words ---------------------------------------------------------
# Where a word of late._HEAD_LAST_STARTS ("Living", "HOME", "Cent", "General"...) starts:
# what late._head_starts finds with fourteen str.find walks over the note, in one pass
# (a note with a capitalised head word cost about 95,000 instructions in those walks).

cdef char _HW[32][16]       # the words (ASCII), grouped by their first letter
cdef int _HW_LEN[32]
cdef int _HW_FROM[27]       # the words led by letter L: _HW[_HW_FROM[L] : _HW_FROM[L + 1]]
cdef uint32_t _HW_LEAD = 0  # the first letters, a bit each (A = bit 0)
cdef bint _HW_READY = False


cdef int _head_words_load() except -1:
    global _HW_LEAD, _HW_READY
    from scrubphi.transforms.redact.late import _HEAD_LAST_STARTS
    cdef int j = 0, letter, k
    cdef bytes w
    words = sorted(_HEAD_LAST_STARTS)
    if len(words) > 32:
        raise ValueError("too many head words for the compiled scan")
    for letter in range(26):
        _HW_FROM[letter] = j
        for word in words:
            w = word.encode("ascii")
            if not 1 <= len(w) <= 15 or not (65 <= w[0] <= 90):
                raise ValueError(f"a head word the compiled scan cannot read: {word!r}")
            if w[0] - 65 != letter:
                continue
            for k in range(len(w)):
                _HW[j][k] = w[k]
            _HW_LEN[j] = len(w)
            _HW_LEAD |= (<uint32_t>1) << letter
            j += 1
    _HW_FROM[26] = j
    _HW_READY = True
    return 0


def head_starts(str text):
    """Where a word of ``late._HEAD_LAST_STARTS`` starts in ``text``, ascending (once a
    position): ``late._head_starts`` in one pass over the text."""
    cdef _Text t = _text(text)
    cdef Py_ssize_t i, k, n = t.length
    cdef int j, letter
    cdef Py_UCS4 c
    cdef list out = []
    if not _HW_READY:
        _head_words_load()
    for i in range(n):
        c = t.at(i)
        if c < u'A' or c > u'Z':
            continue
        letter = <int>c - 65
        if not (_HW_LEAD >> letter) & 1:
            continue
        for j in range(_HW_FROM[letter], _HW_FROM[letter + 1]):
            if i + _HW_LEN[j] > n:
                continue
            k = 1
            while k < _HW_LEN[j] and t.at(i + k) == <Py_UCS4><unsigned char>_HW[j][k]:
                k += 1
            if k == _HW_LEN[j]:
                out.append(i)
                break
    return out


# -- the late pass's gates ----------------------------------------------------------------
# ``late.late_marks`` in one pass over the text and one over the scan's spans: which of
# the late pass's rare anchors a text holds and which of its rules a span can set off, so
# that it runs none of their searches and loops where none can find anything (four
# searches of every note cost a tenth of the compiled redactor's time).

DEF LM_COLON_MAC = 1  # ":hh:hh:"
DEF LM_DASH = 2       # "-hh-hh-" or "-" before a Title-case pair ("-Tb", "-Ma")
DEF LM_DOT_MAC = 4    # ".hhhh."
DEF LM_DOT_PAIR = 8   # "." one of APRrLlNnoVp "."


cdef uint8_t _LM_ANCHOR[256]
memset(_LM_ANCHOR, 0, 256)
_LM_ANCHOR[ord(":")] = _LM_ANCHOR[ord("-")] = _LM_ANCHOR[ord(".")] = 1


cdef inline bint _hex(Py_UCS4 c) noexcept:
    return (c >= u'0' and c <= u'9') or (c >= u'a' and c <= u'f') or (c >= u'A' and c <= u'F')


cdef inline bint _hex_run(_Text t, Py_ssize_t p, Py_ssize_t n) noexcept:
    """``text[p:p + n]`` is n hex digits (the caller checked the length)."""
    cdef Py_ssize_t k
    for k in range(p, p + n):
        if not _hex(t.at(k)):
            return False
    return True


def late_marks(str text, list spans):
    """``late.late_marks(text, spans)``: the bits of the late pass's anchors in ``text``
    and of the rules that ``spans`` (the scan's) can set off."""
    return _late_marks(text) | _span_marks(text, spans)


# The kinds of span (one bit each) that the late pass's rules start from, and the bits
# of late.late_marks they set; late.SPAN_GATE_KINDS spells the same sets in Python
# (tests/test_redact_speed_paths.py holds the two together).
DEF SK_FIRST = 1
DEF SK_LAST = 2
DEF SK_PLACE = 4
DEF SK_CITY = 8
DEF SK_INITIAL = 16
DEF SK_ADDRESS = 32
DEF SK_ZIP = 64
DEF LM_HOUSE = 16
DEF LM_ADDRESS = 32
DEF LM_AFTER_NAME = 64
DEF LM_IN_PLACE = 128
DEF LM_STREET = 256
DEF LM_PARTICLE = 512
DEF LM_POSSESSOR = 1024  # a first name after "'s " or "\u2019s " (_org_possessors)
_LM_NEXT = None  # late._NEXT, the three characters after a name that _after_names reads
_LM_LABELLED = None  # late_numbers.LABELLED_NUMBER: "No. 37" after a street
_LM_PARTICLES = None  # particles.PARTICLES: "da", "van", "de"...


cdef bint _particle_word(str text, _Text t, Py_ssize_t s, Py_ssize_t e):
    """Whether ``text[s:e]`` is a particle (``particles.PARTICLES``): two to five
    letters, the first a ``d``, ``v`` or ``t``, before the set is asked."""
    cdef Py_UCS4 c
    if e - s < 2 or e - s > 5:
        return False
    c = t.at(s)
    if c != u'd' and c != u'v' and c != u't':
        return False
    return text[s:e] in _LM_PARTICLES


cdef bint _particle_at(str text, _Text t, Py_ssize_t start, Py_ssize_t end):
    """``particles.particle_at``: a name span that is a particle or follows one."""
    cdef Py_ssize_t b
    if _particle_word(text, t, start, end):
        return True
    if start < 3 or t.at(start - 1) != u' ':
        return False
    b = start - 2
    while b >= 0 and start - b <= 7 and t.at(b) != u' ':
        b -= 1
    return b >= 0 and t.at(b) == u' ' and _particle_word(text, t, b + 1, start - 1)


cdef int _span_kind(object kind) except -1:
    if kind == "first_name":
        return SK_FIRST
    if kind == "last_name":
        return SK_LAST
    if kind == "place":
        return SK_PLACE
    if kind == "city":
        return SK_CITY
    if kind == "initial":
        return SK_INITIAL
    if kind == "address":
        return SK_ADDRESS
    if kind == "zip":
        return SK_ZIP
    return 0


cdef int _span_marks(str text, list spans) except -1:
    """The span rules' bits of ``late.late_marks`` (see there), in C."""
    global _LM_NEXT, _LM_LABELLED, _LM_PARTICLES
    cdef _Text t
    cdef Py_ssize_t i, start, end, size, p
    cdef int marks = 0, k
    cdef tuple sp
    cdef Py_UCS4 c
    if not spans:
        return 0
    if _LM_NEXT is None:
        from scrubphi.transforms.redact.late import _NEXT
        from scrubphi.transforms.redact.late_numbers import LABELLED_NUMBER
        from scrubphi.transforms.redact.particles import PARTICLES
        _LM_NEXT = _NEXT
        _LM_LABELLED = LABELLED_NUMBER
        _LM_PARTICLES = PARTICLES
    t = _text(text)
    size = t.length
    for i in range(PyList_GET_SIZE(spans)):
        sp = <tuple>PyList_GET_ITEM(spans, i)
        k = _span_kind(<object>PyTuple_GET_ITEM(sp, 3))
        if k == 0:
            continue
        start = <object>PyTuple_GET_ITEM(sp, 0)
        end = <object>PyTuple_GET_ITEM(sp, 2)
        if k & (SK_FIRST | SK_LAST) and end + 2 < size and start < size and \
                Py_UNICODE_ISUPPER(t.at(start)) and (
                    (t.at(end) == u' ' and Py_UNICODE_ISDECIMAL(t.at(end + 1)))
                    or (t.at(end) == u',' and t.at(end + 1) == u' '
                        and Py_UNICODE_ISDECIMAL(t.at(end + 2)))):
            marks |= LM_HOUSE
        if k & (SK_PLACE | SK_CITY | SK_FIRST | SK_LAST | SK_ZIP) and (
                (end < size and _in(t.at(end), b",\n/-")) or (
                    k == SK_PLACE and start >= 2 and start <= size and t.at(start - 2) == u','
                    and t.at(start - 1) == u' ')):
            marks |= LM_ADDRESS
        if k & (SK_FIRST | SK_LAST | SK_PLACE | SK_CITY | SK_INITIAL) and end + 3 <= size and \
                (t.at(end) == u' ' or t.at(end) == u'.') and \
                not marks & LM_AFTER_NAME and text[end : end + 3] in _LM_NEXT:
            marks |= LM_AFTER_NAME
        if k & (SK_PLACE | SK_CITY | SK_ADDRESS | SK_FIRST | SK_LAST) and start >= 4 and \
                start <= size and t.at(start - 4) == u' ' and t.at(start - 3) == u'i' and \
                t.at(start - 2) == u'n' and t.at(start - 1) == u' ':
            marks |= LM_IN_PLACE
        if k & (SK_FIRST | SK_LAST) and not marks & LM_PARTICLE and end <= size and \
                _particle_at(text, t, start, end):
            marks |= LM_PARTICLE
        if k & (SK_PLACE | SK_CITY | SK_FIRST | SK_LAST) and not marks & LM_STREET:
            c = 0
            for p in range(end, min(end + 4, size)):
                c = t.at(p)
                if not _in(c, b" ,."):
                    break
                c = 0
            if (c != 0 and (Py_UNICODE_ISDIGIT(c) or c == u'S' or (
                    c == u'N' and _LM_LABELLED.match(text, end) is not None))) or (
                    start >= 3 and start <= size and t.at(start - 1) == u' ' and (
                        Py_UNICODE_ISDIGIT(t.at(start - 2))
                        or Py_UNICODE_ISDIGIT(t.at(start - 3)))):
                marks |= LM_STREET
        if k == SK_FIRST and start >= 3 and start <= size and t.at(start - 1) == u' ' and \
                t.at(start - 2) == u's' and (t.at(start - 3) == u"'" or
                                             t.at(start - 3) == 0x2019):
            marks |= LM_POSSESSOR
    return marks


cdef int _late_at(_Text t, Py_ssize_t p, int marks) noexcept:
    """``marks`` with the anchors' bits that the ``:``, ``-`` or ``.`` at ``p`` sets."""
    cdef Py_ssize_t n = t.length
    cdef Py_UCS4 c = t.at(p), d
    if c == u':':
        if p + 6 < n and not marks & LM_COLON_MAC and _hex_run(t, p + 1, 2) and \
                t.at(p + 3) == u':' and _hex_run(t, p + 4, 2) and t.at(p + 6) == u':':
            marks |= LM_COLON_MAC
    elif c == u'-':
        if marks & LM_DASH or p + 2 >= n:
            return marks
        c = t.at(p + 1)
        d = t.at(p + 2)
        if c >= u'A' and c <= u'Z' and ((d >= u'a' and d <= u'z') or (d >= 0xdf and d <= 0xff)):
            marks |= LM_DASH
        elif p + 6 < n and _hex_run(t, p + 1, 2) and t.at(p + 3) == u'-' and \
                _hex_run(t, p + 4, 2) and t.at(p + 6) == u'-':
            marks |= LM_DASH
    elif c == u'.':
        if p + 2 < n and not marks & LM_DOT_PAIR and t.at(p + 2) == u'.' and \
                _in(t.at(p + 1), b"APRrLlNnoVp"):
            marks |= LM_DOT_PAIR
        if p + 5 < n and not marks & LM_DOT_MAC and _hex_run(t, p + 1, 4) and \
                t.at(p + 5) == u'.':
            marks |= LM_DOT_MAC
    return marks


cdef int _late_marks(str text) except -1:
    """The anchors' bits of ``late.late_marks`` (the scan reads them too: _Reading.late)."""
    cdef _Text t = _text(text)
    cdef Py_ssize_t p, n = t.length
    cdef int marks = 0
    cdef const unsigned char *b = <const unsigned char *>t.data
    cdef bint narrow = t.kind == 1
    p = -1
    while True:
        p += 1
        if narrow:
            # (most notes: skipped to the next of the three anchors' characters, ". - :")
            while p < n and not _LM_ANCHOR[b[p]]:
                p += 1
        if p >= n:
            break
        marks = _late_at(t, p, marks)
    return marks
