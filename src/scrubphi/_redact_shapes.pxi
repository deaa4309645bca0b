# Included by _redact_fast.pyx (before _redact_read.pxi): the shape of a number, i.e.
# which of the digit-led alternatives of patterns.Patterns.digits can match after it,
# and the cheap tests that say so (a street, a phone word, a month, a range nearby).

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
DEF S_LONG = 9
DEF S_HASH = 10
DEF S_OPEN = 11
DEF S_PLUS = 12
DEF S_RANGE = 13
DEF S_MDASH = 14
DEF S_MD = 15
DEF S_IDNUM = 16
DEF S_LOCAL = 17
DEF S_STREET = 18
DEF N_SHAPES = 19
_SHAPE_ALTERNATIVES = {
    S_SLASH: ("phone", "trunk", "iso", "mdyy", "mdmd", "num", "md", "my"),
    S_DASH: ("ssn", "card", "phone", "local", "pairs", "paren", "plt", "iso", "mdash", "num",
             "dmy", "age", "addr", "idnum"),
    S_DOT: ("ipv4", "ssn", "phone", "pairs", "plt", "iso", "num"),
    S_SPACE: ("ssn", "card", "phone", "pairs", "paren", "plt", "spaced", "dmy", "age", "addr"),
    S_LETTER: ("dmy", "ordinal", "age", "addr", "idnum"),
    S_PAREN: ("phone", "plt"),
    S_WORD: ("dmy", "age", "addr"),
    S_LONG: ("card", "intl", "trunk", "paren", "plt", "spaced", "addr", "stzip", "idnum"),
    S_HASH: ("hashid",),
    S_OPEN: ("phone", "trunk", "plt"),
    S_PLUS: ("phone", "intl", "plt"),
    S_RANGE: ("paren", "plt", "mdash", "addr", "idnum"),
    S_MDASH: ("mdash",),
    S_MD: ("md", "my"),
    S_IDNUM: ("idnum",),
    # Three digits, "-", four ("555-1234"): no SSN, card, phone, digit pairs or date can
    # match (each wants another separator or fewer digits), so the local number's
    # alternative is tried first, not fourth (a third of the dash shape's time).
    S_LOCAL: ("local", "paren", "plt", "addr", "idnum"),
    # A number, a space and a capitalised word that is no month, "of" or age word
    # ("1 Oak Street"): the street address alone.
    S_STREET: ("addr",),
}


# What of the web pattern can match in a text (_web_at).
DEF WEB_EMAIL = 1
DEF WEB_URL = 2
DEF WEB_DOMAIN = 4
DEF WEB_IPV6 = 8
DEF WEB_TRIGGER = 16
DEF WEB_SURE = 32  # a trigger of patterns._TLD for certain (an ASCII one): needs_web is True
_WEB_ALTERNATIVES = ((WEB_EMAIL, "email"), (WEB_URL, "url"), (WEB_DOMAIN, "domain"),
                     (WEB_IPV6, "ipv6"))


def web_patterns(web, alternatives):
    """For each set of WEB_* bits, the web alternatives that can match in a text
    with those bits, joined in their order (None: none can); ``web`` itself where
    the pattern lacks one of the names."""
    sources = dict(alternatives)
    out = [None]
    for bits in range(1, 16):
        names = [name for bit, name in _WEB_ALTERNATIVES if bits & bit]
        if not all(name in sources for name in names):
            out.append(web)
            continue
        out.append(compile_cached("|".join(src for name, src in alternatives if name in names)))
    return tuple(out)


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
        out.append(compile_cached(r"(?=[\d+(\#])(?:" + "|".join(
            src for name, src in alternatives if name in names) + ")"))
    return tuple(out)

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
        # "3 of may": "(?:[ ]of)?[ -]" and a month after it
        return q + 3 < t.length and (t.at(q + 2) == u' ' or t.at(q + 2) == u'-') and \
            _month_word(t, q + 3)
    return _in_months(low)


cdef bint _month_word(_Text t, Py_ssize_t q) noexcept:
    """Whether a month word can start at ``q``: its first three letters, in any case;
    anything not ASCII is a maybe."""
    cdef char low[4]
    cdef Py_ssize_t k
    cdef Py_UCS4 c
    for k in range(3):
        if q + k >= t.length:
            return False
        c = t.at(q + k)
        if c >= 128:
            return True
        low[k] = <char>(<uint32_t>c | 0x20) if _ascii_letter(c) else <char>c
    low[3] = 0
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


cdef uint64_t _pack_word(_Text t, Py_ssize_t q, bint *maybe) noexcept:
    """The run of letters at ``q`` as written, six bits a letter (a = 1, A = 27: the
    street patterns are case-sensitive), or 0 when it is empty or longer than ten
    letters; ``maybe`` is set when a letter is not ASCII (a street type with an
    accent may be that word)."""
    cdef uint64_t key = 0
    cdef Py_ssize_t k = 0
    cdef Py_UCS4 c
    maybe[0] = False
    while q + k < t.length:
        c = t.at(q + k)
        if c >= 128:
            if Py_UNICODE_ISALPHA(c):
                maybe[0] = True
                return 0
            break  # (not a letter: the run ends, as the patterns' (?![\w]) may)
        if not _ascii_letter(c):
            break
        if k == 10:
            return 0
        key = (key << 6) | _letter_code(c)
        k += 1
    return key


cdef inline uint32_t _letter_code(Py_UCS4 c) noexcept:
    """An ASCII letter's six bits in a packed word: a-z 1-26, A-Z 27-52."""
    return <uint32_t>c - 96 if c >= u'a' else <uint32_t>c - 64 + 26


# The ASCII street types of patterns.FIRST_TYPES and patterns.AFTER_TYPES as written
# and without their dot, packed by _pack_word ("C/" is tested apart; a type with a
# letter that is not ASCII is a maybe); filled below.
cdef uint64_t _FIRST_KEYS[48]
cdef uint64_t _AFTER_KEYS[16]
cdef int _N_FIRST = 0, _N_AFTER = 0


def _pack_types(words):
    out = set()
    for w in words:
        w = w.rstrip(".")
        if w.isascii() and w.isalpha() and len(w) <= 10:
            key = 0
            for c in w:
                key = (key << 6) | (ord(c) - 96 if c >= "a" else ord(c) - 64 + 26)
            out.add(key)
    return sorted(out)


def _fill_types():
    global _N_FIRST, _N_AFTER
    from scrubphi.transforms.redact.patterns import AFTER_TYPES, FIRST_TYPES
    first, after = _pack_types(FIRST_TYPES), _pack_types(AFTER_TYPES)
    if len(first) > 48 or len(after) > 16:
        raise ValueError("too many street types for the compiled redactor")
    for i, key in enumerate(first):
        _FIRST_KEYS[i] = key
    for i, key in enumerate(after):
        _AFTER_KEYS[i] = key
    _N_FIRST, _N_AFTER = len(first), len(after)


_fill_types()


cdef bint _word_among(_Text t, Py_ssize_t q, const uint64_t *keys, int n) noexcept:
    """Whether the run of letters at ``q``, in lower case, is one of ``keys``; a run
    with a letter that is not ASCII is a maybe."""
    cdef bint maybe
    cdef uint64_t key = _pack_word(t, q, &maybe)
    cdef int i
    if maybe:
        return True
    if key == 0:
        return False
    for i in range(n):
        if keys[i] == key:
            return True
    return False


cdef bint _addr_may(_Text t, Py_ssize_t q) noexcept:
    """Whether the ``addr`` alternative can go on from ``q``, the first character after
    a number and its spaces: a street type written first (``patterns.FIRST_TYPES``)
    or a capital there (or digits, "5th"), then, after that word's run of
    ``[\\w'.-]`` and one or more spaces, another word or a street suffix, each of
    which begins with a capital or a digit (every suffix of the shipped list begins
    with a capital), or a type written after the name (``patterns.AFTER_TYPES``)."""
    cdef Py_UCS4 c = t.at(q) if q < t.length else 0
    if not _SUFFIXES_CAPITAL:
        return True
    if _word_among(t, q, _FIRST_KEYS, _N_FIRST) or (
            c == u'C' and q + 1 < t.length and t.at(q + 1) == u'/'):
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
    return _is_decimal(c) or (c >= u'A' and c <= u'Z') or (c >= 0xC0 and c <= 0xDE) or \
        _word_among(t, q, _AFTER_KEYS, _N_AFTER)


# The street suffixes of every Engine built (patterns.pattern's ``street_suffixes``),
# packed by _pack_word, sorted: a street address needs one of them (or a type), so a
# number before capitalised words that are not followed by one is not an address.
# Empty until an Engine fills it (then _street_may is _addr_may).
cdef uint64_t *_SUFFIX_KEYS = NULL
cdef Py_ssize_t _N_SUFFIX = 0
cdef bint _SUFFIX_READY = False
cdef bint _SUFFIX_OFF = False
_SUFFIX_SEEN = set()


def _fill_suffixes(suffixes):
    """Add ``suffixes`` to the packed keys (a union: every Engine's suffixes count).
    One that a packed key cannot stand for turns the check off for good."""
    global _SUFFIX_KEYS, _N_SUFFIX, _SUFFIX_READY, _SUFFIX_OFF
    cdef uint64_t *keys
    cdef Py_ssize_t i
    if _SUFFIX_OFF:
        return
    new = set(_SUFFIX_SEEN)
    for w in suffixes:
        if not w.isascii():
            continue  # a word of the text with a letter that is not ASCII is a maybe
        if not w.isalpha() or len(w) > 10:
            _SUFFIX_READY = False
            _SUFFIX_OFF = True
            return
        new.update(_pack_types((w,)))
    if new == _SUFFIX_SEEN and _SUFFIX_READY:
        return
    ordered = sorted(new)
    keys = <uint64_t *>PyMem_Realloc(_SUFFIX_KEYS, (len(ordered) + 1) * sizeof(uint64_t))
    if keys is NULL:
        raise MemoryError()
    for i in range(len(ordered)):
        keys[i] = ordered[i]
    _SUFFIX_KEYS = keys
    _N_SUFFIX = len(ordered)
    _SUFFIX_SEEN.clear()
    _SUFFIX_SEEN.update(new)
    _SUFFIX_READY = True


cdef bint _is_suffix(uint64_t key) noexcept:
    cdef Py_ssize_t lo = 0, hi = _N_SUFFIX, mid
    while lo < hi:
        mid = (lo + hi) // 2
        if _SUFFIX_KEYS[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo < _N_SUFFIX and _SUFFIX_KEYS[lo] == key


cdef bint _street_may(_Text t, Py_ssize_t q) noexcept:
    """_addr_may, and then, unless the street's type is written first, a street suffix
    (or a type written after the name) among the second to fifth words from ``q``:
    ``(?:[NSEW]\\.?[ ]+)?`` and one to three words of the name, each led by a digit
    or a capital and followed by spaces, come before it.  A word with a letter that
    is not ASCII is a maybe."""
    cdef int i
    cdef bint maybe
    cdef uint64_t key
    cdef Py_UCS4 c
    if not _addr_may(t, q):
        return False
    if not _SUFFIX_READY or _word_among(t, q, _FIRST_KEYS, _N_FIRST) or (
            q + 1 < t.length and t.at(q) == u'C' and t.at(q + 1) == u'/'):
        return True
    for i in range(5):
        if q >= t.length:
            return False
        if i >= 1:
            key = _pack_word(t, q, &maybe)
            if maybe or (key != 0 and _is_suffix(key)) or _word_among(t, q, _AFTER_KEYS, _N_AFTER):
                return True
        c = t.at(q)
        if not (_is_decimal(c) or (c >= u'A' and c <= u'Z') or (c >= 0xC0 and c <= 0xDE)):
            return False
        while q < t.length and (_is_word(t.at(q)) or _in(t.at(q), b"'.-")):
            q += 1
        if q >= t.length or t.at(q) != u' ':
            return False
        while q < t.length and t.at(q) == u' ':
            q += 1
    return False


cdef bint _digit_near(_Text t, Py_ssize_t q) noexcept:
    """Whether a match of the postal group (military addresses, units, P.O. boxes,
    postcodes after their label: ``patterns._WORD_GROUPS``) can start at ``q``: each
    wants a digit after its words, with only ASCII letters (twenty at most: "postal
    code code is"), spaces, ``.``, ``:`` and ``#`` before it; not ASCII: a maybe."""
    cdef Py_ssize_t letters = 0
    cdef Py_UCS4 c
    while q < t.length:
        c = t.at(q)
        if c >= 128 or (c >= u'0' and c <= u'9'):
            return True
        if _ascii_letter(c):
            letters += 1
            if letters > 20:
                return False
        elif not _in(c, b" .:#"):
            return False
        q += 1
    return False


def digit_near(str text, Py_ssize_t pos):
    """_digit_near, for the twin tests."""
    return _digit_near(_text(text), pos)


cdef bint _phone_digit_near(_Text t, Py_ssize_t q) noexcept:
    """Whether the phone words' group (``phonel``) can match at ``q``: its phone word
    (or "call me on", "reach me at"), then a "#", "no.", "number", a colon, spaces,
    tabs, a line break, a "+" and a "(", and only then a digit.  So a digit comes
    after at most that many ASCII letters (24 allowed: "telephone number" is 15) and
    only those characters; anything not ASCII is a maybe."""
    cdef Py_ssize_t letters = 0
    cdef Py_UCS4 c
    while q < t.length:
        c = t.at(q)
        if c >= 128 or (c >= u'0' and c <= u'9'):
            return True
        if _ascii_letter(c):
            letters += 1
            if letters > 24:
                return False
        elif not _in(c, b" \t\r\n.:#+("):
            return False
        q += 1
    return False


def phone_digit_near(str text, Py_ssize_t pos):
    """_phone_digit_near, for the twin tests."""
    return _phone_digit_near(_text(text), pos)


cdef Py_ssize_t _spaces(_Text t, Py_ssize_t q, Py_ssize_t most) noexcept:
    """How many spaces (at most ``most``) start at ``q``."""
    cdef Py_ssize_t s = 0
    while s < most and q + s < t.length and t.at(q + s) == u' ':
        s += 1
    return s


cdef bint _dot_word_at(_Text t, Py_ssize_t q) noexcept:
    return q + 3 <= t.length and _ascii_letter_in(t.at(q), b"d") and \
        _ascii_letter_in(t.at(q + 1), b"o") and _ascii_letter_in(t.at(q + 2), b"t")


cdef bint _obmail_may(_Text t, Py_ssize_t q) noexcept:
    """Whether the obfuscated e-mail group (``obmail``) can match at the word "at" that
    ends at ``q``: a closing bracket and up to two spaces, or one or two spaces; a
    label of word characters and hyphens; then a dot, or "dot" in brackets or between
    spaces ("jane dot doe at gmail dot com", "jane[at]gmail.com").  "at bedside" and
    "at 10 am" end here; anything not ASCII in the label is a maybe."""
    cdef Py_ssize_t n = 0, s
    cdef Py_UCS4 c
    if q < t.length and _in(t.at(q), b"])}>"):
        q += 1 + _spaces(t, q + 1, 2)
    else:
        s = _spaces(t, q, 2)
        if s == 0:
            return False
        q += s
    while q < t.length:
        c = t.at(q)
        if c >= 128:
            return True
        if not (_ascii_letter(c) or (c >= u'0' and c <= u'9') or c == u'_' or c == u'-'):
            break
        q += 1
        n += 1
    if n == 0 or q >= t.length:
        return False
    if t.at(q) == u'.':
        return True
    s = _spaces(t, q, 2)
    q += s
    if q < t.length and _in(t.at(q), b"[({<"):
        return _dot_word_at(t, q + 1)
    return s > 0 and _dot_word_at(t, q)


def obmail_may(str text, Py_ssize_t end):
    """_obmail_may, for the twin tests."""
    return _obmail_may(_text(text), end)


cdef bint _starts_ci(_Text t, Py_ssize_t q, const char *want) noexcept:
    """Whether ``text[q:]`` starts with ``want`` (lower-case ASCII), its letters in any
    case; anything not ASCII is a maybe."""
    cdef Py_ssize_t k = 0
    cdef Py_UCS4 c
    while want[k]:
        if q + k >= t.length:
            return False
        c = t.at(q + k)
        if c >= 128:
            return True
        if _ascii_letter(c):
            c = <Py_UCS4>(<uint32_t>c | 0x20)
        if c != <Py_UCS4>(<uint8_t>want[k]):
            return False
        k += 1
    return True


cdef bint _ssn_may(_Text t, Py_ssize_t q) noexcept:
    """Whether the SSN label (``ssnl``: ``(?i:ssn|ss\#|social[ ]security...)``) can
    start at ``q``; anything not ASCII is a maybe.  (At "ss", "ssn" and "social" only
    that label of its group can start: the ID labels hold none of them.)"""
    return _starts_ci(t, q, b"ssn") or _starts_ci(t, q, b"ss#") or \
        _starts_ci(t, q, b"social security")


def ssn_may(str text, Py_ssize_t pos):
    """_ssn_may, for the twin tests."""
    return _ssn_may(_text(text), pos)


cdef bint _month_may(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether the month group (``mdy``, ``mon_year``, ``mon``) can match at the month
    word ``text[s:e]``: the first two want a digit at most six characters after the
    word ("May 3", "Dec. '98", "March of 2020": ``\.?``, ``,?[ ]?`` or ``[ ]of[ ]``,
    ``'?``); the month alone (``_MONTH_ALONE``) is never "may", "mar", "march" or
    "dec", in any case.  Anything not ASCII is a maybe."""
    cdef Py_ssize_t q, k, n = e - s
    cdef char low[5]
    cdef Py_UCS4 c
    for q in range(e, min(e + 7, t.length)):
        if _is_decimal(t.at(q)):
            return True
    if n != 3 and n != 5:
        return True
    for k in range(n):
        c = t.at(s + k)
        if not _ascii_letter(c):
            return True
        low[k] = <char>(<uint32_t>c | 0x20)
    if n == 5:
        return memcmp(low, b"march", 5) != 0
    return memcmp(low, b"may", 3) != 0 and memcmp(low, b"mar", 3) != 0 and \
        memcmp(low, b"dec", 3) != 0


def month_may(str text, Py_ssize_t start, Py_ssize_t end):
    """_month_may, for the twin tests."""
    return _month_may(_text(text), start, end)


cdef int _ci(_Text t, Py_ssize_t q, char want) noexcept:
    """1: ``text[q]`` is ``want`` (lower-case ASCII), in any case; 0: it is not, or the
    text ends before; 2: it is not ASCII (a maybe)."""
    cdef Py_UCS4 c
    if q >= t.length:
        return 0
    c = t.at(q)
    if c >= 128:
        return 2
    if _ascii_letter(c):
        c = <Py_UCS4>(<uint32_t>c | 0x20)
    return c == <Py_UCS4>(<uint8_t>want)


cdef bint _pobox_may(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether the postal group can match at the word ``text[s:e]`` when that is "p"
    or "po" (in any case): only its P.O. box (``(?i:p\.?[ ]?o\.?[ ]box)[ ]\d``)
    starts with one.  Any other word, and anything not ASCII, is a maybe."""
    cdef Py_ssize_t q = s + 1, k
    cdef int r
    cdef const char *box = b" box "
    if not (e - s == 1 or (e - s == 2 and _ci(t, s + 1, b'o') == 1)) or _ci(t, s, b'p') != 1:
        return True
    if q < t.length and t.at(q) == u'.':
        q += 1
    if q < t.length and t.at(q) == u' ':
        q += 1
    r = _ci(t, q, b'o')
    if r != 1:
        return r == 2
    q += 1
    if q < t.length and t.at(q) == u'.':
        q += 1
    for k in range(5):
        r = _ci(t, q + k, box[k])
        if r != 1:
            return r == 2
    q += 5
    return q < t.length and _is_decimal(t.at(q))


cdef bint _level_may(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether the postal group can match at the word ``text[s:e]`` when that is "level"
    (in any case): only its Australian level (``Level[ ]\d``) starts with one, so the
    word must be written so, with a space and a digit after it ("glucose level 5",
    "LOC level" stay out of the regular expression).  Any other word is a maybe, and so
    is a character after the space that is not ASCII."""
    cdef Py_ssize_t k
    cdef Py_UCS4 c
    cdef const char *level = b"level"
    if e - s != 5:
        return True
    for k in range(5):
        if _ci(t, s + k, level[k]) != 1:
            return True
    if t.at(s) != u'L' or t.at(s + 1) != u'e' or t.at(s + 2) != u'v' or \
            t.at(s + 3) != u'e' or t.at(s + 4) != u'l':
        return False
    if s + 6 >= t.length or t.at(s + 5) != u' ':
        return False
    c = t.at(s + 6)
    return c >= 128 or (c >= u'0' and c <= u'9')


def level_may(str text, Py_ssize_t start, Py_ssize_t end):
    """_level_may, for the twin tests."""
    return _level_may(_text(text), start, end)


def pobox_may(str text, Py_ssize_t start, Py_ssize_t end):
    """_pobox_may, for the twin tests."""
    return _pobox_may(_text(text), start, end)


cdef Py_ssize_t _ascii_digits_end(_Text t, Py_ssize_t q) noexcept:
    while q < t.length and t.at(q) >= u'0' and t.at(q) <= u'9':
        q += 1
    return q


cdef Py_ssize_t _digit_run_end(_Text t, Py_ssize_t q) noexcept:
    """End of a run of ``[\\d()]`` from ``q`` (remembered: the same from any ``q`` in it)."""
    cdef Py_ssize_t start = q
    if t.run_from <= q < t.run_to:
        return t.run_to
    while q < t.length and (_is_decimal(t.at(q)) or t.at(q) == u'(' or t.at(q) == u')'):
        q += 1
    t.run_from = start
    t.run_to = q
    return q


cdef bint _word_at(_Text t, Py_ssize_t q, const char *word) noexcept:
    """Whether ``word`` (lower-case ASCII) can match case-insensitively at ``q``; a
    character that is not ASCII is taken as a maybe (case folding: "\u212a", "\u017f")."""
    cdef Py_ssize_t k = 0
    cdef Py_UCS4 c
    while word[k]:
        if q + k >= t.length:
            return False
        c = t.at(q + k)
        if c >= 128:
            return True
        if not _ascii_letter(c) or <char>(<uint32_t>c | 0x20) != word[k]:
            return False
        k += 1
    return True


cdef bint _phone_word_at(_Text t, Py_ssize_t q) noexcept:
    """``[ ]?-?[ ]?(?i:office|fax|mobile|cell|home|work|desk)`` can match at ``q``
    (taken loosely: up to three spaces and dashes)."""
    cdef int k
    for k in range(3):
        if q < t.length and (t.at(q) == u' ' or t.at(q) == u'-'):
            q += 1
    return _word_at(t, q, b"office") or _word_at(t, q, b"fax") or \
        _word_at(t, q, b"mobile") or _word_at(t, q, b"cell") or _word_at(t, q, b"home") or \
        _word_at(t, q, b"work") or _word_at(t, q, b"desk")


cdef inline bint _year19_20(_Text t, Py_ssize_t q) noexcept:
    """Four ASCII digits at ``q`` (the caller knows they are digits) read 19xx or 20xx."""
    return (t.at(q) == u'1' and t.at(q + 1) == u'9') or (t.at(q) == u'2' and t.at(q + 1) == u'0')


cdef bint _plt_may(_Text t, Py_ssize_t p) noexcept:
    """Whether ``plt`` (a number before its phone word: "788-063-Office", "0490 39 07
    81 fax") can match at the digit ``p``: ``\\d[\\d()]*`` then one to six groups
    ``[ .-]\\(?\\d[\\d()]*``, and a phone word after one of those groups."""
    cdef Py_ssize_t q = _digit_run_end(t, p), k
    for k in range(6):
        if q + 1 >= t.length or not _in(t.at(q), b" .-"):
            return False
        if _is_decimal(t.at(q + 1)):
            q = _digit_run_end(t, q + 1)
        elif t.at(q + 1) == u'(' and q + 2 < t.length and _is_decimal(t.at(q + 2)):
            q = _digit_run_end(t, q + 1)
        else:
            return False
        if _phone_word_at(t, q):
            return True
    return False


cdef int _after_dot(_Text t, Py_ssize_t p, Py_UCS4 c0, Py_ssize_t L, Py_ssize_t q) noexcept:
    """The shape of a number ``1-9...`` of L digits at ``p`` followed by a dot, read
    from ``q`` after the dot: an IP, an SSN, digit pairs, an ISO or numeric date each want
    another dot after a second run of digits; a phone ("617.555.1234",
    "1.(617)...") three digits and a separator; a number before its phone word
    ("98.6 fax") what _plt_may says."""
    cdef Py_UCS4 c2 = t.at(q) if q < t.length else 0, c3, c4
    cdef Py_ssize_t e
    if c2 == u'(' or c2 >= 128:
        return S_DOT
    if c2 < u'0' or c2 > u'9':
        return S_NONE
    e = _ascii_digits_end(t, q)
    c3 = t.at(e) if e < t.length else 0
    if c3 >= 128:
        return S_DOT
    if c3 == u'.':
        # An IP, an SSN ("123.45.6789"), digit pairs, an ISO or numeric date, a phone
        # ("617.555.1234") each want a digit after this second dot ("32.3." is none of
        # them); a number before its phone word is what _plt_may says.
        c4 = t.at(e + 1) if e + 1 < t.length else 0
        if c4 >= 128 or (c4 >= u'0' and c4 <= u'9'):
            return S_DOT
        return S_DOT if _plt_may(t, p) else S_NONE
    if e - q == 3 and (L == 3 or ((L == 1 or L == 4) and c0 == u'1')) and _in(c3, b"-. /"):
        return S_DOT
    return S_DOT if _plt_may(t, p) else S_NONE


cdef int _after_space(_Text t, Py_ssize_t p, Py_UCS4 c0, Py_ssize_t L, Py_ssize_t e) noexcept:
    """The shape of a number ``1-9...`` of L digits at ``p`` followed by a space (at
    ``e``) and a digit, a space or ``(``: an SSN or card group, a phone, digit pairs,
    groups in parentheses, a street address ("12 5th Ave", "12  Oak St"), or a
    number before its phone word."""
    cdef Py_UCS4 c2 = t.at(e + 1)
    cdef Py_ssize_t q, M
    if c2 >= 128:
        return S_SPACE
    if _is_decimal(c2) and (L == 2 or L == 3 or L == 4 or (
            (c0 == u'1' or c0 == u'0' or c0 == u'8') and L == 1)):
        # Pairs ("06 12 34 56 78": four more groups of two digits), an SSN ("123 45
        # 6789"), a phone ("617 555 1234", "1 617 ..."), digit groups with spaces ("628
        # 5714", "384 720 193", "413 62 087"), a card ("4111 1111 ..."): each wants a
        # second run of so many digits ("12 80%", "600 5/" are none of them).
        q = _ascii_digits_end(t, e + 1)
        M = q - e - 1
        # (and Greek "6986 091 390", "2530 862934", "210 4706402", Brazilian "42 9797-1147", Thai "0
        # 2318 6091")
        if (q < t.length and t.at(q) >= 128) or (L == 2 and (_pairs_may(t, e) or (
                (M == 4 or M == 5) and q < t.length and t.at(q) == u'-'))) or (
                L == 3 and (2 <= M <= 4 or M == 7)) or (L == 4 and (M == 3 or M == 4 or M == 6)) or (
                L == 1 and (M == 3 or (c0 == u'0' and M == 4))):
            return S_SPACE
    elif L == 2 or L == 3 or L == 4 or ((c0 == u'1' or c0 == u'0' or c0 == u'8') and L == 1):
        return S_SPACE
    if p > 0 and t.at(p - 1) == u'(':
        return S_SPACE  # paren
    if c2 == u' ':
        return S_SPACE  # addr's [ ]+
    if _is_decimal(c2):
        q = _ascii_digits_end(t, e + 1)
        if q + 1 < t.length and (
                (t.at(q) == u's' and t.at(q + 1) == u't') or (t.at(q) == u'n' and t.at(q + 1) == u'd')
                or (t.at(q) == u'r' and t.at(q + 1) == u'd')
                or (t.at(q) == u't' and t.at(q + 1) == u'h')):
            return S_SPACE  # addr: "12 5th Ave"
        if q < t.length and t.at(q) >= 128:
            return S_SPACE
    return S_SPACE if _plt_may(t, p) else S_NONE


cdef bint _pairs_may(_Text t, Py_ssize_t q) noexcept:
    """Whether ``(?:[ ]\\d{2}){4}`` then no digit can match at ``q`` (digit pairs with
    spaces: each group two digits, as the next space or the end's look-ahead wants);
    anything not ASCII is a maybe."""
    cdef int k
    for k in range(4):
        if q + 2 >= t.length or t.at(q) != u' ':
            return False
        if t.at(q + 1) >= 128 or t.at(q + 2) >= 128:
            return True
        if not (_ascii_digit(t.at(q + 1)) and _ascii_digit(t.at(q + 2))):
            return False
        q += 3
    return q >= t.length or t.at(q) >= 128 or not _ascii_digit(t.at(q))


cdef bint _month_day(_Text t, Py_ssize_t p, Py_ssize_t n, bint day) noexcept:
    """Whether the ``n`` (1 or 2) ASCII digits at ``p`` are, whole, a month
    (``1[0-2]|0?[1-9]``) or a day (``3[01]|[12]\\d|0?[1-9]``)."""
    cdef Py_UCS4 a = t.at(p), b
    if n == 1:
        return a != u'0'
    b = t.at(p + 1)
    if a == u'0':
        return b != u'0'
    if day:
        return a == u'1' or a == u'2' or (a == u'3' and (b == u'0' or b == u'1'))
    return a == u'1' and (b == u'0' or b == u'1' or b == u'2')


cdef int _after_range(_Text t, Py_ssize_t p, Py_UCS4 c0, Py_ssize_t L, Py_ssize_t e,
                      Py_ssize_t k) noexcept:
    """The shape of a range ``d{1,4}-d+`` ("7-8", "10-20%", "100-120/60") at ``p``: the
    dash at ``e``, the ASCII character after the second number at ``k`` (not a
    digit or ``-``; or the end).  A date with a year, digit pairs, an SSN, a
    card want another ``-`` there, an age or a date with a month's name a word
    after the dash; what can match: a phone ("617-555.1234": three digits and
    ``.``, `` `` or ``/``; "1-583.925.5955"), a local number (three and four digits:
    S_LOCAL, its alternative first), digit groups
    in parentheses after a ``(``, a number before its phone word (_plt_may), a
    street address (a space, then what _street_may allows) -- with any of these
    the dash shape's pattern runs; else month-day (``mdash``: a month, a day, and
    no ``/``, ``%``, ``-``, letter or decimal after it) or an ID (five digits in
    the run of letters, digits and hyphens), each alone."""
    cdef Py_UCS4 x = t.at(k) if k < t.length else 0
    cdef Py_ssize_t q, M = k - e - 1
    cdef bint others
    if M == 3 and (L == 3 or ((L == 1 or L == 4) and c0 == u'1')) and _in(x, b". /") \
            and _four_digits(t, k + 1):
        return S_DASH
    if L == 3 and M == 4:
        return S_LOCAL  # (with "/" after it too: "555-1234/1235", another line)
    if M == 3 and L == 1 and c0 == u'1' and _in(x, b". /"):
        return S_DASH  # "1-583.925.5955": a trunk "1", then three, three and four digits
    others = (L >= 2 and p > 0 and t.at(p - 1) == u'(') or _plt_may(t, p)
    if not others and x == u' ':
        q = k
        while q < t.length and t.at(q) == u' ':
            q += 1
        others = q < t.length and _street_may(t, q)
    if others:
        return S_RANGE
    if L <= 2 and M <= 2 and _month_day(t, p, L, False) and _month_day(t, e + 1, M, True) \
            and not _in(x, b"/%-") and not _ascii_letter(x) and not (
                x == u'.' and k + 1 < t.length and _is_decimal(t.at(k + 1))):
        # (a character outside ASCII after the dot is a decimal digit or not, as the
        # pattern's ``\.\d`` reads it: "on 7-8.\xa0" is a date)
        return S_MDASH  # (four digits at most, and no letter after them: no ID)
    return S_IDNUM if _id_digits(t, p) else S_NONE


cdef bint _id_digits(_Text t, Py_ssize_t p) noexcept:
    """Whether the run of letters, digits and hyphens from ``p`` can hold the five
    digits of ``idnum``'s look-ahead (a character that is not ASCII counts as one)."""
    cdef Py_ssize_t digits = 0
    while p < t.length and (_ascii_letter(t.at(p)) or t.at(p) == u'-'
                            or _is_decimal(t.at(p)) or t.at(p) >= 128):
        if t.at(p) >= 128 or _is_decimal(t.at(p)):
            digits += 1
            if digits >= 5:
                return True
        p += 1
    return False


cdef bint _four_digits(_Text t, Py_ssize_t q) noexcept:
    """Whether a phone's last group (``\\d{4}`` and no digit after it) can be at ``q``:
    four ASCII digits, or fewer before a character that is not ASCII (a maybe)."""
    cdef Py_ssize_t e = _ascii_digits_end(t, q)
    return e - q == 4 or (e - q < 4 and e < t.length and t.at(e) >= 128)


cdef Py_ssize_t _idnum_end(_Text t, Py_ssize_t p) noexcept:
    """Where the ``idnum`` alternative's match at the ASCII digit ``p`` ends, or -1:
    ``(?<![\\w.-])(?=(?:[A-Za-z-]*\\d){5})[0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?``
    ``(?![\\w-]|\\.\\d)``.  The body is the run of ``[A-Za-z0-9-]`` from ``p``: a
    shorter end has one of those after it, which the look-ahead forbids, and so
    does a ``-`` at the run's end."""
    cdef Py_ssize_t q = p, digits = 0, e
    cdef Py_UCS4 c
    if p > 0 and (_is_word(t.at(p - 1)) or t.at(p - 1) == u'.' or t.at(p - 1) == u'-'):
        return -1
    while q < t.length and digits < 5:
        c = t.at(q)
        if _is_decimal(c):
            digits += 1
        elif not (_ascii_letter(c) or c == u'-'):
            break
        q += 1
    if digits < 5:
        return -1
    e = p + 1
    while e < t.length and (_ascii_letter(t.at(e)) or t.at(e) == u'-' or (
            t.at(e) >= u'0' and t.at(e) <= u'9')):
        e += 1
    if t.at(e - 1) == u'-':
        return -1
    if e < t.length:
        c = t.at(e)
        if _is_word(c) or c == u'-' or (
                c == u'.' and e + 1 < t.length and _is_decimal(t.at(e + 1))):
            return -1
    return e


def idnum_end(str text, Py_ssize_t p):
    """_idnum_end, for the twin tests."""
    return _idnum_end(_text(text), p)


cdef inline bint _ordinal_suffix(Py_UCS4 a, Py_UCS4 b) noexcept:
    """``(?i:st|nd|rd|th)`` at the ASCII letters ``a``, ``b``."""
    a = <Py_UCS4>(<uint32_t>a | 0x20)
    b = <Py_UCS4>(<uint32_t>b | 0x20)
    return (a == u's' and b == u't') or (a == u'n' and b == u'd') or \
        (a == u'r' and b == u'd') or (a == u't' and b == u'h')


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
      an age word ("92 yo") after two or three, or a capital (a street address:
      S_STREET where no month or age can be).
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
        return S_LONG
    if e >= t.length:
        return S_NONE
    c1 = t.at(e)
    if c1 >= 128:
        return S_ALL
    if c0 == u'0' and L >= 2 and _in(c1, b"-. ()") and _trunk_may(t, p, L, e):
        return S_ALL  # "0700-1930", "020 7946 0958", "0044 ...": trunk and international
    if c1 == u'/':
        if L == 3:  # only a phone: "617/555/1234", "031/4483209"
            k = _ascii_digits_end(t, e + 1)
            return S_SLASH if (k < t.length and (t.at(k) >= 128 or (
                k - e - 1 == 3 and _in(t.at(k), b"-. /")))) or (
                    c0 == u'0' and k - e - 1 >= 6) else S_NONE
        if L <= 2:
            # "12/5", "98/60": with no "/" or "." after the second number (a date with a
            # year, two month/days, "11/21.93") only month/day and month/year can match:
            # a month, then a day, a year from 30 or a year 1900-2099 (all the second
            # number's digits), then no "%".
            k = _ascii_digits_end(t, e + 1)
            c2 = t.at(k) if k < t.length else 0
            if (k - e - 1 == 3 and (c2 == u'-' or c2 == u' ') and _four_digits(t, k + 1)) or (
                    c0 == u'0' and L == 2 and k - e - 1 >= 6):
                return S_SLASH  # a Hungarian phone, "30/166 1318"; an Austrian "01/44832099"
            if c2 < 128 and c2 != u'/' and c2 != u'.':
                if k > e + 1 and c2 != u'%' and _month_day(t, p, L, False) and (
                        (k - e - 1 <= 2 and _month_day(t, e + 1, k - e - 1, True))
                        or (k - e - 1 == 2 and t.at(e + 1) >= u'3')
                        or (k - e - 1 == 4 and _year19_20(t, e + 1))):
                    return S_MD
                return S_NONE
        return S_SLASH
    if c1 == u'-':
        k = _ascii_digits_end(t, e + 1)
        if k > e + 1 and (k >= t.length or (t.at(k) < 128 and t.at(k) != u'-')):
            return _after_range(t, p, c0, L, e, k)
        if k == e + 1 and k < t.length and t.at(k) != u'(':
            # A dash and no digit ("5-fold", "12-Jan", "92-year-old", "12-AB345"): a
            # date with a month's name, an age, or an ID; no other alternative (a phone
            # needs "1-(").
            c2 = t.at(k)
            if c2 >= 128 and _is_decimal(c2):
                return S_ALL  # a digit of another script ("1234-٥٥٥-١٢٣٤"): the regex's \d
            if (L <= 2 and _month_or_of(t, k)) or (_age_number(t, p, L) and (
                    c2 >= 128 or _ascii_letter_in(c2, b"y"))):
                return S_DASH
            return S_IDNUM if _id_digits(t, p) else S_NONE
        return S_DASH
    if c1 == u'(' or c1 == u')':
        return S_PAREN if (c1 == u'(' and c0 == u'1' and L == 1) or _plt_may(t, p) else S_NONE
    if c1 == u'.':
        return _after_dot(t, p, c0, L, e + 1)
    if c1 == u' ':
        c2 = t.at(e + 1) if e + 1 < t.length else 0
        if c2 == 0 or (c2 < 128 and not _ALNUM[c2] and c2 != u' ' and c2 != u'('):
            return S_NONE
        if c2 < 128 and _ascii_letter(c2):
            if L <= 2 and _month_or_of(t, e + 1):
                return S_WORD
            if _age_number(t, p, L) and _ascii_letter_in(c2, b"y"):
                return S_WORD
            # (no month, "of" or age word here: of the three, only an address can match)
            return S_STREET if _street_may(t, e + 1) else S_NONE
        return _after_space(t, p, c0, L, e)
    if _ascii_letter(c1):
        if L <= 2 and _ascii_letter_in(c1, b"snrt") and e + 1 < t.length and (
                t.at(e + 1) >= 128 or _ordinal_suffix(c1, t.at(e + 1))):
            return S_LETTER  # "2nd", "21ST" (not "40s", "5n")
        if _age_number(t, p, L) and _ascii_letter_in(c1, b"y"):
            return S_LETTER
        if c1 >= u'A' and c1 <= u'Z' and e + 1 < t.length and t.at(e + 1) == u'-':
            k = _ascii_digits_end(t, e + 2)
            if k > e + 2 and k < t.length and (t.at(k) == u' ' or t.at(k) >= 128):
                return S_LETTER  # "12B-14 ..." (not "7A-3P", "800U-PTT")
            if e + 2 < t.length and t.at(e + 2) >= 128:
                return S_LETTER
        if c1 >= u'A' and c1 <= u'Z' and e + 1 < t.length and t.at(e + 1) == u' ':
            k = e + 1
            while k < t.length and t.at(k) == u' ':
                k += 1
            if k < t.length and _street_may(t, k):
                return S_LETTER  # "12B Main St" (not "2L NC")
        # (stopping at the fifth digit: reading the whole run from every digit in it
        # made "x1x1x1..." quadratic)
        digits = 0
        k = p
        while k < t.length and digits < 5 and (_ascii_letter(t.at(k)) or t.at(k) == u'-'
                                               or _is_decimal(t.at(k))):
            if _is_decimal(t.at(k)):
                digits += 1
            k += 1
        # (here no date, ordinal, age or address can match: the letter after the number
        # is none of theirs, so only the ID alternative is left)
        return S_IDNUM if digits >= 5 else S_NONE
    if c1 == u'_':
        return S_ALL
    return S_NONE


cdef inline bint _age_number(_Text t, Py_ssize_t p, Py_ssize_t L) noexcept:
    """Whether the L ASCII digits at ``p`` are an age over 89 (``9\\d|1[01]\\d``)."""
    return (L == 2 and t.at(p) == u'9') or (
        L == 3 and t.at(p) == u'1' and (t.at(p + 1) == u'0' or t.at(p + 1) == u'1'))


cdef bint _trunk_may(_Text t, Py_ssize_t p, Py_ssize_t L, Py_ssize_t e) noexcept:
    """Whether a trunk or international number can match at the run of L ASCII digits
    from ``p`` (led by ``0``) that ends at ``e`` (before one of ``-. ()``).  An
    international one (``00[1-9]``, then groups) when its run is "00" and a digit
    that is not 0, and a character after the separator that can go on with one; a
    trunk one (``0\\d{1,4}`` takes the whole run: a digit follows any shorter part)
    only with a digit right after ``-``, ``.`` or a space.  Not ASCII: a maybe."""
    cdef Py_UCS4 c1 = t.at(e)
    cdef Py_UCS4 c2 = t.at(e + 1) if e + 1 < t.length else 0
    if L >= 3 and t.at(p + 1) == u'0' and t.at(p + 2) != u'0':
        return not (_in(c1, b"-. ") and _plain_after(t, e + 1))
    return _in(c1, b"-. ") and (c2 >= 128 or (c2 >= u'0' and c2 <= u'9'))


cdef bint _plain_after(_Text t, Py_ssize_t q) noexcept:
    """Whether the character at ``q`` (after a separator) ends any trunk or international
    number: the end, or ASCII other than a digit, a separator or a parenthesis."""
    cdef Py_UCS4 c
    if q >= t.length:
        return True
    c = t.at(q)
    return c < 128 and not (c >= u'0' and c <= u'9') and not _in(c, b"-. ()")


cdef int _sign_shape(_Text t, Py_ssize_t p, Py_ssize_t q) noexcept:
    """The shape at the ``+``, ``(`` or ``#`` at ``p`` before the digit at ``q``:

    * ``#``: only ``hashid`` starts there, and it wants five digits or more;
    * ``+`` and ``(``: a phone, an international or trunk number or a number before
      its phone word; none of them lets a space come after the sign, and each wants
      what is tested here after it: a phone ``+1`` or ``(ddd)``, a trunk ``(0d...)``,
      an international number eight digits (in groups joined by at most two of
      ``-. ()``), a number before its phone word what _plt_may says.
    Anything that is not ASCII there is a maybe."""
    cdef Py_UCS4 c = t.at(p), x
    cdef Py_ssize_t k, digits = 0, gap = 0
    if c == u'#':
        k = q
        while k < t.length and _is_decimal(t.at(k)):
            k += 1
        return S_HASH if k - q >= 5 else S_NONE
    if q != p + 1:
        return S_NONE
    for k in range(q, q + 6 if q + 6 < t.length else t.length):
        if t.at(k) >= 128:
            return S_PLUS if c == u'+' else S_OPEN
    if c == u'+':
        if t.at(q) == u'1':
            return S_PLUS
        k = q
        while k < t.length and digits < 8:
            x = t.at(k)
            if x >= 128:
                return S_PLUS
            if x >= u'0' and x <= u'9':
                digits += 1
                gap = 0
            elif _in(x, b"-. ()") and gap < 2:
                gap += 1
            else:
                break
            k += 1
        if digits >= 8:
            return S_PLUS
        return S_PLUS if _plt_may(t, q) else S_NONE
    # "(": a phone's "(ddd)", a trunk's "(0d...)", or a number before its phone word
    k = _ascii_digits_end(t, q)
    if k < t.length and t.at(k) == u')' and (k - q == 3 or (t.at(q) == u'0' and 2 <= k - q <= 5)
                                            or (k - q <= 2 and k + 1 < t.length
                                                and t.at(k + 1) == u'/')):
        return S_OPEN  # (and a Hungarian "(41)/266-1817")
    return S_OPEN if _plt_may(t, q) else S_NONE
