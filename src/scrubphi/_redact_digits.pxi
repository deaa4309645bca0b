# Included by _redact_fast.pyx: the commonest digit-led dates read and replaced in C.
#
# Why: in a note most numbers that a digit-led alternative matches are month/day
# ("7/22"), a dash month-day ("7-8"), a date with a year ("03/04/2021") or an
# amount read as an ID ("100-200cc").  Matching them with the regular expression
# and calling the Python handlers (``structured.StructuredPass._md`` and friends)
# cost more than the rest of the pattern pass.  Here the alternatives ``mdyy``,
# ``mdmd``, ``num``, ``md``, ``my`` (after a number of one or two digits and a
# ``/``) and ``mdash`` are read exactly as their patterns read them, and their
# handlers run on C integers, when the text around the number is ASCII (a window
# of about forty characters each side: what the patterns' look-arounds and the
# handlers' context words see); anything else (a character that is not ASCII
# there, a date shifted without a patient, a year out of range) falls back to the
# pattern and the Python handler, which give the same answer.
# ``tests/test_redact_digits.py`` holds the two to each other.

# What _read_date found at a number (the alternative's name in the pattern).
DEF A_FALLBACK = -1
DEF A_NONE = 0
DEF A_MDYY = 1
DEF A_MDMD = 2
DEF A_NUM = 3
DEF A_MD = 4
DEF A_MY = 5
DEF A_MDASH = 6

# How far the window that must be ASCII reaches before and after a number.
DEF WINDOW_BEFORE = 41
DEF WINDOW_AFTER = 48
# A shift larger than this (days) is left to Python (no overflow to think about).
DEF MAX_OFFSET = 100000000


cdef struct _DateMatch:
    Py_ssize_t r[8]  # (start, end) of up to four runs of digits
    Py_ssize_t end   # where the match ends
    Py_UCS4 sep      # num's separator


cdef struct _Shift:
    bint known       # off is the patient's offset (found once per text)
    bint big         # that offset is too large for C: Python shifts
    long long off


cdef inline bint _ascii_digit(Py_UCS4 c) noexcept:
    return c >= u'0' and c <= u'9'


cdef inline Py_UCS4 _char(_Text t, Py_ssize_t q) noexcept:
    """The character at ``q``, or 0 past the end."""
    return t.at(q) if 0 <= q < t.length else 0


cdef bint _ascii_range(_Text t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """Whether ``text[a:b]`` (clipped to the text) is ASCII."""
    cdef Py_ssize_t q
    if a < 0:
        a = 0
    if b > t.length:
        b = t.length
    for q in range(a, b):
        if t.at(q) >= 128:
            return False
    return True


cdef inline bint _digit_start_ok(_Text t, Py_ssize_t p) noexcept:
    """The dates' look-behind ``(?<![\\d.,/])(?<!\\d[:-])`` at ``p``."""
    cdef Py_UCS4 c
    if p == 0:
        return True
    c = t.at(p - 1)
    if _is_decimal(c) or c == u'.' or c == u',' or c == u'/':
        return False
    return not ((c == u':' or c == u'-') and p >= 2 and _is_decimal(t.at(p - 2)))


cdef inline int _value(_Text t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """The ASCII digits ``text[a:b]`` (at most four) as a number."""
    cdef int v = 0
    cdef Py_ssize_t q
    for q in range(a, b):
        v = v * 10 + (<int>t.at(q) - 48)
    return v


cdef inline bint _no_decimal_after(_Text t, Py_ssize_t q) noexcept:
    """``(?!\\.\\d)`` at ``q``."""
    return not (_char(t, q) == u'.' and _is_decimal(_char(t, q + 1)))


cdef bint _unit_word(_Text t, Py_ssize_t q) noexcept:
    """``(?i:l|lpm|liters?|mg|...|beats?)(?![^\\W_])`` at ``q`` (ASCII text): the run of
    letters there is one of mdash's unit words and no digit follows it."""
    cdef char low[13]
    cdef Py_ssize_t n = 0
    cdef Py_UCS4 c
    while q + n < t.length and _ascii_letter(t.at(q + n)):
        if n == 12:
            return False
        low[n] = <char>(<uint32_t>t.at(q + n) | 0x20)
        n += 1
    if n == 0 or _ascii_digit(_char(t, q + n)):
        return False
    low[n] = 0
    return _among(low, n, b"l lpm liter liters mg mcg unit units u cc ml x times hr hrs hour "
                          b"hours day days week weeks wk wks min mins minute minutes month "
                          b"months year years yr yrs episode episodes beat beats ")


cdef bint _among(const char *low, Py_ssize_t n, const char *words) noexcept:
    """Whether ``low[:n]`` is one of the space-separated ``words`` (each ending in a space)."""
    cdef Py_ssize_t i = 0, k
    while words[i]:
        k = 0
        while words[i + k] != b' ':
            k += 1
        if k == n and memcmp(words + i, low, n) == 0:
            return True
        i += k + 1
    return False


cdef int _read_date(_Text t, Py_ssize_t p, bint dash, _DateMatch *m) noexcept:
    """Which of the slash dates (``mdyy``, ``mdmd``, ``num``, ``md``, ``my``, in the
    pattern's order) or, with ``dash``, ``mdash`` matches at ``p``, a run of one or two
    ASCII digits followed by ``/`` (``-``), in a text that is ASCII around ``p``.
    Every digit group of these alternatives is followed by a separator or by a
    look-ahead that forbids a digit, so each takes a whole run of digits: the
    reading is a matter of the runs' lengths and values."""
    cdef Py_ssize_t e1, b0, e2, c0, e3, d0, e4, L, M, M3, M4
    cdef Py_UCS4 c2, x
    cdef bint mon1, day2
    if not _digit_start_ok(t, p):
        return A_NONE  # every alternative that can match here has this look-behind
    e1 = _ascii_digits_end(t, p)
    L = e1 - p
    b0 = e1 + 1
    e2 = _ascii_digits_end(t, b0)
    M = e2 - b0
    c2 = _char(t, e2)
    mon1 = _month_day(t, p, L, False)
    day2 = 1 <= M <= 2 and _month_day(t, b0, M, True)
    m.r[0] = p
    m.r[1] = e1
    m.r[2] = b0
    m.r[3] = e2
    if dash:
        # (?![\d/%-]|\.\d|[A-Za-z])(?![ ]unit-word(?![^\W_]))
        if not (mon1 and day2) or c2 == u'/' or c2 == u'%' or c2 == u'-' or \
                _ascii_letter(c2) or not _no_decimal_after(t, e2):
            return A_NONE
        if c2 == u' ' and _unit_word(t, e2 + 1):
            return A_NONE
        m.end = e2
        return A_MDASH
    if mon1 and day2 and c2 == u'.' and _ascii_digit(_char(t, e2 + 1)) and \
            _ascii_digit(_char(t, e2 + 2)):
        # mdyy: "\.\d\d(?![\d/.%-]|[ ]?[A-Za-z])"
        x = _char(t, e2 + 3)
        if not (_ascii_digit(x) or x == u'/' or x == u'.' or x == u'%' or x == u'-'
                or _ascii_letter(x) or (x == u' ' and _ascii_letter(_char(t, e2 + 4)))):
            m.r[4] = e2 + 1
            m.r[5] = e2 + 3
            m.end = e2 + 3
            return A_MDYY
    if mon1 and day2 and c2 == u'/':
        # mdmd: "/m/d(?![\d/%]|\.\d)"
        c0 = e2 + 1
        e3 = _ascii_digits_end(t, c0)
        M3 = e3 - c0
        if 1 <= M3 <= 2 and _month_day(t, c0, M3, False) and _char(t, e3) == u'/':
            d0 = e3 + 1
            e4 = _ascii_digits_end(t, d0)
            M4 = e4 - d0
            x = _char(t, e4)
            if 1 <= M4 <= 2 and _month_day(t, d0, M4, True) and x != u'/' and x != u'%' \
                    and _no_decimal_after(t, e4):
                m.r[4] = c0
                m.r[5] = e3
                m.r[6] = d0
                m.r[7] = e4
                m.end = e4
                return A_MDMD
    if 1 <= M <= 2 and c2 == u'/':
        # num: "(\d{4}|\d{2})(?![\d/%-]|\.\d)" (a percentage after: a setting,
        # "PSV 10/5/40%", not a date)
        c0 = e2 + 1
        e3 = _ascii_digits_end(t, c0)
        M3 = e3 - c0
        x = _char(t, e3)
        if (M3 == 2 or M3 == 4) and x != u'/' and x != u'-' and x != u'%' and \
                _no_decimal_after(t, e3):
            m.r[4] = c0
            m.r[5] = e3
            m.end = e3
            m.sep = u'/'
            return A_NUM
    if c2 == u'/' or c2 == u'%' or not _no_decimal_after(t, e2):
        return A_NONE  # md's and my's look-ahead
    m.end = e2
    if mon1 and day2:
        return A_MD
    if mon1 and ((M == 2 and t.at(b0) >= u'3') or (M == 4 and _year19_20(t, b0))):
        return A_MY
    return A_NONE


# -- the calendar (transforms.dates.days_from_civil / civil_from_days, in C) -------------


cdef inline long long _floordiv(long long a, long long b) noexcept:
    cdef long long q = a // b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef long long _days_from_civil(long long y, long long m, long long d) noexcept:
    cdef long long era, yoe, doy, doe
    if m <= 2:
        y -= 1
    era = _floordiv(y, 400)
    yoe = y - era * 400
    doy = _floordiv(153 * (m + (-3 if m > 2 else 9)) + 2, 5) + d - 1
    doe = yoe * 365 + _floordiv(yoe, 4) - _floordiv(yoe, 100) + doy
    return era * 146097 + doe - 719468


cdef void _civil_from_days(long long z, int *y, int *m, int *d) noexcept:
    cdef long long era, doe, yoe, doy, mp, mm
    z += 719468
    era = _floordiv(z, 146097)
    doe = z - era * 146097
    yoe = _floordiv(doe - _floordiv(doe, 1460) + _floordiv(doe, 36524) - _floordiv(doe, 146096),
                    365)
    doy = doe - (365 * yoe + _floordiv(yoe, 4) - _floordiv(yoe, 100))
    mp = _floordiv(5 * doy + 2, 153)
    d[0] = <int>(doy - _floordiv(153 * mp + 2, 5) + 1)
    mm = mp + (3 if mp < 10 else -9)
    m[0] = <int>mm
    y[0] = <int>(yoe + era * 400 + (1 if mm <= 2 else 0))


def civil_twins(long long y, long long m, long long d):
    """days_from_civil and civil_from_days of it, for the tests."""
    cdef long long z = _days_from_civil(y, m, d)
    cdef int ny, nm, nd
    _civil_from_days(z, &ny, &nm, &nd)
    return z, (ny, nm, nd)


# -- writing a date ---------------------------------------------------------------------


cdef inline Py_ssize_t _put_num(char *buf, Py_ssize_t n, int v, Py_ssize_t width) noexcept:
    """Append ``v`` (0 <= v <= 9999) to ``buf[n:]`` zero-padded to ``width``: ``_pad``
    (two digits when the original had two) and ``f"{v:0Nd}"``; the new length."""
    cdef char tmp[8]
    cdef Py_ssize_t k = 0, i
    while True:
        tmp[k] = <char>(48 + v % 10)
        k += 1
        v //= 10
        if v == 0:
            break
    while k < width:
        tmp[k] = 48
        k += 1
    for i in range(k):
        buf[n + i] = tmp[k - 1 - i]
    return n + k


cdef inline Py_ssize_t _put_char(char *buf, Py_ssize_t n, Py_UCS4 c) noexcept:
    buf[n] = <char>c
    return n + 1


# -- amounts read as IDs ("100-200cc") ----------------------------------------------------


cdef bint _measure(_Text t, Py_ssize_t s, Py_ssize_t e) noexcept:
    """Whether ``StructuredPass._idnum`` leaves the token ``text[s:e]`` (ASCII letters,
    digits and hyphens, from a digit) as it is for its first reason: no run of seven
    digits and ``structured._MEASURE`` matching it whole.  That pattern's ``[.,]``
    parts cannot occur here; a ``-``, ``x`` or ``/`` is a separator only before a
    digit (the letters at the end cannot be followed by one), so it is read greedily."""
    cdef Py_ssize_t q = s, r
    while True:
        r = _ascii_digits_end(t, q)
        if r == q or r - q >= 7 or r > e:
            return False
        q = r
        if q + 1 < e and _in(t.at(q), b"-xX") and _ascii_digit(t.at(q + 1)):
            q += 1
            continue
        break
    if e - q > 5:
        return False
    while q < e:
        if not _ascii_letter(t.at(q)):
            return False
        q += 1
    return True


def measure(str text, Py_ssize_t s, Py_ssize_t e):
    """_measure, for the twin tests."""
    return _measure(_text(text), s, e)


# -- the handlers ------------------------------------------------------------------------


cdef inline bint _split_space(Py_UCS4 c) noexcept:
    """What ``str.split()`` splits an ASCII text at."""
    return _in(c, b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")


cdef Py_ssize_t _word_before(_Text t, Py_ssize_t s, char *low) noexcept:
    """``text[max(0, s - 12):s].lower().split()[-1].strip(":=-,")`` into ``low``
    (ASCII text), its length (0 when there is no word)."""
    cdef Py_ssize_t lo = s - 12 if s > 12 else 0, b = s, a, n = 0
    while b > lo and _split_space(t.at(b - 1)):
        b -= 1
    a = b
    while a > lo and not _split_space(t.at(a - 1)):
        a -= 1
    while a < b and _in(t.at(a), b":=-,"):
        a += 1
    while b > a and _in(t.at(b - 1), b":=-,"):
        b -= 1
    while a < b:
        low[n] = <char>(<uint32_t>t.at(a) | 0x20) if _ascii_letter(t.at(a)) else <char>t.at(a)
        n += 1
        a += 1
    return n


cdef bint _vent_clause(_Text t, Py_ssize_t s) noexcept:
    """``structured._vent_clause(text, s)`` (ASCII text): a ventilator word in the
    clause before ``s``, back to the last ". ", ";" or line break, forty characters at
    most (the window's edges bound words, as the slice the pattern searches does)."""
    cdef Py_ssize_t lo = s - 40 if s > 40 else 0, q, a, cut = lo - 1, n, k
    cdef char low[8]
    for q in range(lo, s):
        if t.at(q) == u';' or t.at(q) == u'\n' or (
                t.at(q) == u'.' and q + 1 < s and t.at(q + 1) == u' '):
            cut = q
    q = cut + 1
    while q < s:
        if not _is_alnum(t.at(q)):
            q += 1
            continue
        a = q
        while q < s and _is_alnum(t.at(q)):
            q += 1
        n = q - a
        if 2 <= n <= 5:
            for k in range(n):
                low[k] = <char>(<uint32_t>t.at(a + k) | 0x20)
            if _among(low, n, b"psv ps peep cpap bipap simv imv prvc aprv ipap epap "):
                return True
    return False


cdef bint _pain_after(_Text t, Py_ssize_t e) noexcept:
    """``"pain" in text[e:e + 20].lower()`` (ASCII text)."""
    cdef Py_ssize_t hi = e + 20 if e + 20 < t.length else t.length, q
    for q in range(e, hi - 3):
        if (<uint32_t>t.at(q) | 0x20) == 112 and (<uint32_t>t.at(q + 1) | 0x20) == 97 and \
                (<uint32_t>t.at(q + 2) | 0x20) == 105 and (<uint32_t>t.at(q + 3) | 0x20) == 110:
            return True
    return False


cdef class _Dates:
    """The date handlers of ``StructuredPass`` for what ``_read_date`` reads."""

    cdef bint year       # dates: year (else a shift)
    cdef int floor       # dates: year: the earliest year written (Safe Harbor)
    cdef int this_year   # as_of's year: a two-digit year after it is Python's (a birth?)
    cdef bint per        # a shift per patient
    cdef object r        # the redactor (its _shift_offset)
    cdef _WordSet not_date, score

    def __init__(self, redactor):
        from scrubphi.transforms.redact import structured as st
        self.r = redactor
        self.year = redactor._dates == "year"
        self.floor = redactor._floor
        self.this_year = redactor._this_year
        self.per = bool(redactor._per)
        self.not_date = _word_set(st._NOT_DATE_BEFORE)
        self.score = _word_set(st._SCORE_WORDS)
        if st._DASH_DATE_BEFORE != frozenset(("on", "since", "until")) or \
                st._DASH_DATE_REACH != 16 or \
                st._DASH_DATE_VERBS != frozenset("admitted readmitted discharged transferred "
                                                 "seen intubated extubated "
                                                 "reintubated".split()) or \
                st._VENT_WORDS != frozenset("psv ps peep cpap bipap simv imv prvc aprv ipap "
                                            "epap".split()):
            raise ValueError("structured's date words changed: update _redact_digits.pxi "
                             "and _dash_date_word")

    cdef int new(self, int y, int mo, int d, per_value, _Shift *sh,
                 int *ny, int *nm, int *nd) except -2:
        """``_date_surrogate``: 1 and the new date, 0 for None (not a date), or -1
        when Python must say (a shift without a patient, a year out of range)."""
        cdef long long z
        cdef int cy, cm, cd
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return 0
        if not self.year:
            z = _days_from_civil(y, mo, d)
            _civil_from_days(z, &cy, &cm, &cd)
            if cy == y and cm == mo and cd == d:
                if not (self.per and per_value is not None and 1 <= y <= 9999):
                    return -1
                if not sh.known:
                    off = self.r._shift_offset(per_value)
                    sh.known = True
                    sh.big = not (-MAX_OFFSET <= off <= MAX_OFFSET)
                    sh.off = 0 if sh.big else off
                if sh.big:
                    return -1
                _civil_from_days(z + sh.off, ny, nm, nd)
                return 1 if 1 <= ny[0] <= 9999 else -1
        ny[0] = y if y >= self.floor else self.floor  # floor is 0 for a shift
        nm[0] = 1
        nd[0] = 1
        return 1

    cdef int put(self, _Text t, int alt, _DateMatch *m, per_value, _Shift *sh,
                 list spans) except -2:
        """The handler of the alternative ``alt`` on the match ``m``: its replacement
        appended to ``spans`` as ``Spans.put`` does (or nothing, as the handler
        decides); -1 when Python must run it."""
        cdef int a, b, c, d, y, rc, ny, nm, nd, ny2, nm2, nd2
        cdef Py_ssize_t s = m.r[0], n = 0, wn, la = m.r[1] - m.r[0], lb = m.r[3] - m.r[2]
        cdef char buf[40]
        cdef char low[16]
        cdef bint day_first
        cdef Py_ssize_t wa = 2 if self.year else la, wb = 2 if self.year else lb
        # ``_dpad``: with dates: year a month or a day is always two digits (a constant
        # surrogate of a constant width); a shift keeps the original's width.
        a = _value(t, m.r[0], m.r[1])
        b = _value(t, m.r[2], m.r[3])
        if alt == A_MD:
            if a < b <= 4:
                return 0  # a fraction
            wn = _word_before(t, s, low)
            if wn and self.not_date.has(low, wn):
                return 0
            if not (wn == 2 and memcmp(low, b"on", 2) == 0) and not (
                    wn == 5 and (memcmp(low, b"since", 5) == 0 or memcmp(low, b"until", 5) == 0)) \
                    and _vent_clause(t, s):
                return 0
            if b == 10 and a <= 10 and ((wn and self.score.has(low, wn)) or _pain_after(t, m.end)):
                return 0  # a score
            rc = self.new(2000, a, b, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nm, wa)
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, nd, wb)
        elif alt == A_MDASH:
            if not _dash_date_word(t, s):
                return 0  # a range: "HR 7-8"
            rc = self.new(2000, a, b, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nm, wa)
            n = _put_char(buf, n, u'-')
            n = _put_num(buf, n, nd, wb)
        elif alt == A_MY:
            rc = self.new(b if lb == 4 else 1900 + b, a, 15, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nm, wa)
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, ny if lb == 4 else ny % 100, lb)
        elif alt == A_MDYY:
            y = _value(t, m.r[4], m.r[5])
            if y < 50 and 2000 + y > self.this_year:
                return -1  # after a birth label it is in the past: _two_digit_year
            rc = self.new(y + (2000 if y < 50 else 1900), a, b, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nm, wa)
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, nd, wb)
            n = _put_char(buf, n, u'.')
            n = _put_num(buf, n, ny % 100, 2)
        elif alt == A_MDMD:
            c = _value(t, m.r[4], m.r[5])
            d = _value(t, m.r[6], m.r[7])
            rc = self.new(2000, a, b, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            rc = self.new(2000, c, d, per_value, sh, &ny2, &nm2, &nd2)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nm, wa)
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, nd, wb)
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, nm2, 2 if self.year else m.r[5] - m.r[4])
            n = _put_char(buf, n, u'/')
            n = _put_num(buf, n, nd2, 2 if self.year else m.r[7] - m.r[6])
        elif alt == A_NUM:
            y = _value(t, m.r[4], m.r[5])
            if m.r[5] - m.r[4] == 2:
                if y < 50 and 2000 + y > self.this_year:
                    return -1  # after a birth label it is in the past: _two_digit_year
                y += 2000 if y < 50 else 1900
            day_first = a > 12 and b <= 12
            if day_first:
                rc = self.new(y, b, a, per_value, sh, &ny, &nm, &nd)
            else:
                rc = self.new(y, a, b, per_value, sh, &ny, &nm, &nd)
            if rc <= 0:
                return rc
            n = _put_num(buf, n, nd if day_first else nm, wa)
            n = _put_char(buf, n, m.sep)
            n = _put_num(buf, n, nm if day_first else nd, wb)
            n = _put_char(buf, n, m.sep)
            if m.r[5] - m.r[4] == 2:
                n = _put_num(buf, n, ny % 100, 2)
            else:
                n = _put_num(buf, n, ny, 4)
        else:
            return -1
        spans.append((s, 1, m.end, "date", buf[:n].decode("ascii")))
        return 0


cdef int _date_at(_Text t, Py_ssize_t p, int shape, _DateMatch *m) noexcept:
    """_read_date where the shape allows it (A_FALLBACK elsewhere): month/day forms
    (S_MD), a dash month-day (S_MDASH), and a slash after one or two digits (S_SLASH;
    longer runs can be an ISO date or a phone, left to the pattern)."""
    cdef Py_ssize_t e = _ascii_digits_end(t, p)
    if e - p > 2 or e == p or e >= t.length:
        return A_FALLBACK
    cdef Py_ssize_t k
    if shape == S_MDASH:
        return _read_date(t, p, True, m) if t.at(e) == u'-' else A_FALLBACK
    if t.at(e) != u'/':
        return A_FALLBACK
    k = _ascii_digits_end(t, e + 1)
    if (k - e - 1 == 3 and k < t.length and (t.at(k) == u'-' or t.at(k) == u' ') and
            _four_digits(t, k + 1)) or (t.at(p) == u'0' and e - p == 2 and k - e - 1 >= 6):
        return A_FALLBACK  # a Hungarian phone, "30/166 1318", an Austrian "01/44832099"
    return _read_date(t, p, False, m)


def date_at(str text, Py_ssize_t p, int shape):
    """What _date_at reads at ``p``, for the twin tests: (alternative, end)."""
    cdef _DateMatch m
    cdef int alt
    memset(&m, 0, sizeof(_DateMatch))
    alt = _date_at(_text(text), p, shape, &m)
    return alt, m.end


#: The alternatives' names (the patterns' group names), for the twin tests.
DATE_ALTERNATIVES = {A_MDYY: "mdyy", A_MDMD: "mdmd", A_NUM: "num", A_MD: "md", A_MY: "my",
                     A_MDASH: "mdash"}
