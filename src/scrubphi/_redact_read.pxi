# Included by _redact_fast.pyx (after _redact_shapes.pxi): reading a text in one pass
# (its words, where a number or a code starts and the shape of each number, where the
# web pattern can match).

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


cdef inline int _push(_Vec *vec, Py_ssize_t x) except -1:
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


cdef inline int _push3(_Vec *vec, Py_ssize_t x, Py_ssize_t y, Py_ssize_t z) except -1:
    """_push of x, y and z (room made once)."""
    cdef Py_ssize_t *grown
    cdef Py_ssize_t n = vec.n
    if n + 3 > vec.cap:
        grown = <Py_ssize_t *>PyMem_Realloc(vec.v, (2 * vec.cap + 64) * sizeof(Py_ssize_t))
        if grown is NULL:
            raise MemoryError()
        vec.v = grown
        vec.cap = 2 * vec.cap + 64
    vec.v[n] = x
    vec.v[n + 1] = y
    vec.v[n + 2] = z
    vec.n = n + 3
    return 0


cdef struct _Reading:
    _Vec words   # start, end, hash of each match of detector._WORD
    _Vec digits  # start, shape of each match of patterns.DIGIT_START
    _Vec codes   # start of each CODE_START match with five digits or more
    _Vec webc    # where a match of the web alternatives can start (ascending, distinct)
    int web      # WEB_TRIGGER: patterns.needs_web can be True; WEB_*: alternatives that can match
    int late     # the late pass's anchors' bits (_late_marks)


cdef void _forget(_Reading *r) noexcept:
    PyMem_Free(r.words.v)
    PyMem_Free(r.digits.v)
    PyMem_Free(r.codes.v)
    PyMem_Free(r.webc.v)
    memset(r, 0, sizeof(_Reading))


ctypedef fused _unit:
    uint8_t
    uint16_t
    uint32_t


cdef int _read(_Text t, _Reading *r) except -1:
    """Everything the scan needs to know of a text before any pattern runs, in one
    pass: its words (and a hash of each), where a digit-led match can start (and
    the number's shape), where a code can, whether the web pattern can match
    anywhere, and the late pass's anchors (``_late_marks``)."""
    if t.kind == 1:  # PyUnicode_1BYTE_KIND
        return _read_units(t, r, <const uint8_t *>t.data)
    if t.kind == 2:
        return _read_units(t, r, <const uint16_t *>t.data)
    return _read_units(t, r, <const uint32_t *>t.data)


cdef int _read_units(_Text t, _Reading *r, const _unit *d) except -1:
    """_read over the text's code units ``d`` (its kind's width): the loops read
    ``d[p]``, not ``t.at(p)``, which tests the kind at every character."""
    cdef Py_ssize_t p = 0, s, code_end = 0, code_from, colons = 0, n = t.length
    cdef Py_UCS4 c
    cdef uint64_t h
    cdef int shape, web
    cdef uint8_t k
    while p < n:
        c = d[p]
        k = _class(c)
        if not k & C_ALNUM:
            if not k & C_MARK:
                p += 1  # (a space, a comma: nothing starts here)
                continue
            if c == u':' or c == u'-' or c == u'.':
                r.late = _late_at(t, p, r.late)
            if c == u':':
                colons += 1
                if colons == 7:
                    r.web |= WEB_IPV6  # "(?:[0-9A-Fa-f]{1,4}:){7}..."
            if c == u'@' or c == u':' or c == u'.':
                web = _web_at(t, p)
                if web & (WEB_EMAIL | WEB_URL | WEB_DOMAIN):
                    _web_starts(t, p, web, &r.webc)
                r.web |= web
            if c == u'+' or c == u'(' or c == u'#':
                if p + 1 < n and _is_decimal(d[p + 1]):
                    _push(&r.digits, p)
                    _push(&r.digits, _sign_shape(t, p, p + 1))
                elif p + 2 < n and d[p + 1] == u' ' and _is_decimal(d[p + 2]):
                    _push(&r.digits, p)
                    _push(&r.digits, _sign_shape(t, p, p + 2))
                    p += 1
            p += 1
            continue
        # A word: ``[^\\W_]+(?:['\u2019][^\\W_]+)*``.  Digits and ASCII letters are
        # inside words, so what DIGIT_START and CODE_START find starts here too.
        s = p
        h = _FNV_OFFSET
        code_from = -1  # a CODE_START candidate whose letters run on
        while True:
            while p < n:
                c = d[p]
                k = _class(c)
                if not k & C_ALNUM:
                    break
                h = (h ^ <uint32_t>c) * _FNV_PRIME
                if k & C_DECIMAL:
                    if p == s or not _is_decimal(d[p - 1]):
                        _push(&r.digits, p)
                        _push(&r.digits, _digit_shape(t, p))
                    if code_from >= 0:
                        code_end = _code(t, code_from, &r.codes)
                        code_from = -1
                elif not k & C_LETTER:
                    code_from = -1
                else:
                    if code_from < 0 and p >= code_end and _code_may_start(t, p):
                        code_from = p
                    # The ASCII letters after it ask for nothing but the hash: a code
                    # cannot start after a letter, and only a digit or another
                    # character ends a code's letters (most of a note's characters).
                    p += 1
                    while p < n and d[p] < 256 and _CLASS[d[p]] & C_LETTER:
                        h = (h ^ <uint32_t>d[p]) * _FNV_PRIME
                        p += 1
                    continue
                p += 1
            if p + 1 < n and (c == u"'" or c == u'\u2019') and _is_alnum(d[p + 1]):
                h = (h ^ <uint32_t>c) * _FNV_PRIME
                code_from = -1
                p += 1
                continue
            break
        if code_from >= 0 and p < n and d[p] == u'-':
            code_end = _code(t, code_from, &r.codes)  # "AB-CD12345": letters run on
        _push3(&r.words, s, p, <Py_ssize_t>h)
    if r.web & WEB_IPV6 and r.web & WEB_TRIGGER:
        _ipv6_starts(t, &r.webc)
    _sort_unique(&r.webc)
    return 0


cdef int _web_starts(_Text t, Py_ssize_t p, int web, _Vec *starts) except -1:
    """Where the e-mail, URL and domain alternatives can start because of the trigger
    at ``p`` (the bits ``web`` that _web_at gave it), pushed to ``starts``:

    * an e-mail (``(?<![\\w.%+-])[\\w.%+'-]*\\w@...``) holds the ``@`` at ``p``, and
      starts in the run of ``[\\w.%+'-]`` before it where its look-behind allows: at
      the run's start or after a ``'``;
    * a URL (``(?i:https?://|ftp://|www\\.)``) three to five characters before the
      ``://`` at ``p``, or three before the ``.`` of ``www.``;
    * a domain (``(?<![\\w@.-])(?:label\\.)+tld``) ends with the top-level domain
      after the ``.`` at ``p`` and starts where the run of ``[A-Za-z0-9.-]`` before it
      starts (inside the run its look-behind fails)."""
    cdef Py_ssize_t q, s
    cdef Py_UCS4 c
    if web & WEB_EMAIL and t.at(p) == u'@':
        q = p
        while q > 0 and (_is_word(t.at(q - 1)) or _in(t.at(q - 1), b".%+'-")):
            q -= 1
        for s in range(q, p):
            if s == q or t.at(s - 1) == u"'":
                _push(starts, s)
    if web & WEB_URL:
        if t.at(p) == u':':
            for s in range(p - 5, p - 2):
                if s >= 0:
                    _push(starts, s)
        elif p >= 3:
            _push(starts, p - 3)
    if web & WEB_DOMAIN and t.at(p) == u'.':
        q = p
        while q > 0:
            c = t.at(q - 1)
            if not (_ascii_letter(c) or (c >= u'0' and c <= u'9') or c == u'.' or c == u'-'):
                break
            q -= 1
        _push(starts, q)
    return 0


cdef int _ipv6_starts(_Text t, _Vec *starts) except -1:
    """Where the IPv6 alternative can start: an address is a run of ``[0-9A-Fa-f:]``
    with two colons or more, and its look-behind ``(?<![\\w:])`` holds only at the
    start of such a run (which must be a hex digit after no word character)."""
    cdef Py_ssize_t p = 0, s, colons
    cdef Py_UCS4 c
    while p < t.length:
        c = t.at(p)
        if not (_hex(c) or c == u':'):
            p += 1
            continue
        s = p
        colons = 0
        while p < t.length and (_hex(t.at(p)) or t.at(p) == u':'):
            if t.at(p) == u':':
                colons += 1
            p += 1
        if colons >= 2 and _hex(t.at(s)) and (s == 0 or not _is_word(t.at(s - 1))):
            _push(starts, s)
    return 0


cdef void _sort_unique(_Vec *v) noexcept:
    """Sort ``v`` ascending and drop repeats (insertion sort: a few, nearly sorted)."""
    cdef Py_ssize_t i, j, x, n = 0
    for i in range(1, v.n):
        x = v.v[i]
        j = i - 1
        while j >= 0 and v.v[j] > x:
            v.v[j + 1] = v.v[j]
            j -= 1
        v.v[j + 1] = x
    for i in range(v.n):
        if n == 0 or v.v[i] != v.v[n - 1]:
            v.v[n] = v.v[i]
            n += 1
    v.n = n


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


cdef int _web_at(_Text t, Py_ssize_t p) noexcept:
    """What of the web pattern can match because of the character at ``p``: WEB_TRIGGER
    where patterns._TLD can match there (an ``@``, ``://``, ``::``, ``www.`` or a dot
    before a top-level domain), and the alternatives that need what is there: an
    e-mail a word character, ``@`` and a letter or digit; a URL ``://`` or ``www.``;
    a domain a dot before a top-level domain; IPv6 ``::``.  ASCII letters only:
    anything else is left to the patterns (which match case-insensitively)."""
    cdef Py_UCS4 c = t.at(p)
    cdef Py_ssize_t q, k
    cdef char low[5]
    cdef int found = 0
    if c == u'@':
        if p > 0 and p + 1 < t.length and _is_word(t.at(p - 1)) and _is_alnum(t.at(p + 1)):
            return WEB_TRIGGER | WEB_SURE | WEB_EMAIL
        return WEB_TRIGGER | WEB_SURE
    if c == u':':
        if p + 1 < t.length and t.at(p + 1) == u':':
            return WEB_TRIGGER | WEB_SURE | WEB_IPV6
        if p + 1 < t.length and t.at(p + 1) == u'/':
            if p + 2 < t.length and t.at(p + 2) == u'/':
                return WEB_TRIGGER | WEB_SURE | WEB_URL
            return WEB_TRIGGER
        return 0
    if c != u'.':
        return 0
    if p >= 3 and _ascii_letter_in(t.at(p - 1), b"w") and \
            _ascii_letter_in(t.at(p - 2), b"w") and _ascii_letter_in(t.at(p - 3), b"w"):
        found = WEB_TRIGGER | WEB_SURE | WEB_URL
    q = p + 1
    while q < t.length and _ascii_letter(t.at(q)) and q - p <= 5:
        q += 1
    if q < t.length and t.at(q) >= 128:
        return found | WEB_TRIGGER | WEB_DOMAIN
    if not 2 <= q - p - 1 <= 4 or (q < t.length and (
            _is_word(t.at(q)) or t.at(q) == u'.' or t.at(q) == u'-')):
        return found
    memset(low, 0, 5)
    for k in range(q - p - 1):
        low[k] = <char>(<uint32_t>t.at(p + 1 + k) | 0x20)
    # (the letters and the character after them are ASCII: _TLD matches here for sure)
    return found | WEB_TRIGGER | WEB_SURE | WEB_DOMAIN if _in_tlds(low) else found


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
    (words as (start, end), digit starts as (start, shape), code starts, web, where
    a web match can start)."""
    cdef _Text t = _text(text)
    cdef _Reading r
    cdef Py_ssize_t i
    memset(&r, 0, sizeof(_Reading))
    try:
        _read(t, &r)
        return ([(r.words.v[i], r.words.v[i + 1]) for i in range(0, r.words.n, 3)],
                [(r.digits.v[i], r.digits.v[i + 1]) for i in range(0, r.digits.n, 2)],
                [r.codes.v[i] for i in range(r.codes.n)], r.web,
                [r.webc.v[i] for i in range(r.webc.n)])
    finally:
        _forget(&r)
