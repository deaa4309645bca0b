# Included by _fast.pyx: ``{generalize: {round: STEP}}`` and ``{generalize: {noise: A}}``
# (generalize.make_round's and make_noise's twins),
# ``{tokenize: oid}`` and ``{tokenize: gs1}`` (identifiers.make_oid's and make_gs1's).


cdef extern from *:
    """
    /* ``make_round``: the value to the nearest multiple of the step, ties to even,
       written with the step's decimals; as Python's Decimal computes it, exactly.

       The value is read as +-M * 10**-s (plain decimal text: digits, one point, a
       sign), the step is S * 10**-t; the quotient value / step is N / D with
       N = M * 10**(t-s), D = S or N = M, D = S * 10**(s-t), in 128-bit integers.
       Decimal computes it to 28 significant digits before rounding it to an
       integer, which matters only where the exact quotient lies within
       0.5 * 10**-(28 - q) of a half (q: the quotient's integer digits); a quotient
       that is not a half is at least 1 / (2D) away from one, so the kernel takes
       only quotients with q + digits(D) <= 28, where both roundings agree; the
       product with the step must have at most 28 digits too (Decimal's precision).
       Anything else (exponents, NaN, long or odd text) returns -1: the Python
       function decides. */
    /* Plain decimal text between blanks, ``[+-]digits[.digits]`` with a digit at least
       (round's and noise's reading, as Decimal takes it): the sign in *neg, the
       significant digits in *m (*mdig of them, at most 18), the decimals in *frac, the
       text without its blanks in [*a, *b); -1 for anything else. */
    static int sp_read_decimal(const char *s, Py_ssize_t n, Py_ssize_t *a, Py_ssize_t *b,
                               int *neg, uint64_t *m, int *mdig, int *frac) {
        Py_ssize_t i = 0, end = n;
        int dot = 0, any = 0;
        *neg = 0; *m = 0; *mdig = 0; *frac = 0;
        while (i < end && s[i] == ' ') i++;
        while (end > i && s[end - 1] == ' ') end--;
        *a = i; *b = end;
        if (i < end && (s[i] == '-' || s[i] == '+')) { *neg = s[i] == '-'; i++; }
        for (; i < end; i++) {
            char c = s[i];
            if (c == '.') {
                if (dot) return -1;
                dot = 1;
            } else if (c >= '0' && c <= '9') {
                any = 1;
                if (dot) (*frac)++;
                if (*m == 0 && c == '0') continue;   /* leading zeros: no significant digit */
                if (++*mdig > 18) return -1;
                *m = *m * 10 + (uint64_t)(c - '0');
            } else {
                return -1;
            }
        }
        return any ? 0 : -1;
    }

    /* v (in units of 10**-t) written with a point t places from the right and a digit
       at least before it, after a '-' when neg and v is not 0 (Decimal's "f" format,
       negative zero written as zero); the bytes written. */
    static Py_ssize_t sp_write_decimal(sp_u128 v, int t, int neg, char *out) {
        Py_ssize_t o = 0;
        int k = 0;
        char buf[64];
        if (neg && v) out[o++] = '-';
        do { buf[k++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
        while (k <= t) buf[k++] = '0';
        while (k > 0) {
            if (k == t) out[o++] = '.';
            out[o++] = buf[--k];
        }
        return o;
    }

    #if SP_HAVE_U128
    static int sp_dec_digits(sp_u128 v) {
        int d = 0;
        while (v) { v /= 10; d++; }
        return d;
    }

    static sp_u128 sp_pow10(int e) {
        sp_u128 r = 1;
        while (e-- > 0) r *= 10;
        return r;
    }
    #endif

    static Py_ssize_t sp_round(const char *s, Py_ssize_t n, uint64_t step, int t,
                               int integer, uint64_t negb, uint64_t posb, char *out) {
    #if SP_HAVE_U128
        Py_ssize_t a, b;
        int neg, frac, mdig, qd;
        uint64_t m;
        sp_u128 num, den, q, r, res, unit;
        if (sp_read_decimal(s, n, &a, &b, &neg, &m, &mdig, &frac) < 0 || frac > 36) return -1;
        if (t >= frac) {
            if (mdig + (t - frac) > 36) return -1;
            num = (sp_u128)m * sp_pow10(t - frac);
            den = step;
        } else {
            if (sp_dec_digits(step) + (frac - t) > 36) return -1;
            num = m;
            den = (sp_u128)step * sp_pow10(frac - t);
        }
        q = num / den;
        r = num % den;
        qd = sp_dec_digits(q);
        if (qd + sp_dec_digits(den) > 28) return -1;
        if (2 * r > den || (2 * r == den && (q & 1))) q++;
        if (sp_dec_digits(q) + sp_dec_digits(step) > 28) return -1;
        res = q * step;              /* the result in units of 10**-t */
        unit = sp_pow10(t);
        if (integer) {
            res /= unit;             /* int(): toward zero */
            t = 0;
            unit = 1;
        }
        /* past what the column's type holds: the Python function takes the next
           multiple toward zero */
        if (res / unit > (sp_u128)(neg ? negb : posb)) return -1;
        return sp_write_decimal(res, t, neg, out);
    #else
        (void)s; (void)n; (void)step; (void)t; (void)integer; (void)negb; (void)posb;
        (void)out;
        return -1;
    #endif
    }
    """
    int sp_read_decimal(const char* s, Py_ssize_t n, Py_ssize_t* a, Py_ssize_t* b, int* neg,
                        uint64_t* m, int* mdig, int* frac) nogil
    Py_ssize_t sp_write_decimal(sp_u128 v, int t, int neg, char* out) nogil
    Py_ssize_t sp_round(const char* s, Py_ssize_t n, uint64_t step, int t, int integer,
                        uint64_t negb, uint64_t posb, char* out) nogil


cdef uint64_t[20] _POW10 = [1, 10, 100, 1000, 10**4, 10**5, 10**6, 10**7, 10**8, 10**9,
                             10**10, 10**11, 10**12, 10**13, 10**14, 10**15, 10**16,
                             10**17, 10**18, 10**19]


cdef inline Py_ssize_t _k_round(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    if n > 80:
        return -1
    return sp_round(s, n, k.modulus, k.length, k.has_floor, k.neg_bound, k.pos_bound, out)


cdef Py_ssize_t _k_oid(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``identifiers.make_oid``: dot-separated decimal arcs keep the first ``k.length``;
    every later arc is the integer tokenize of its position (an arc with a leading zero,
    not a valid one, the alnum tokenize); any other value the alnum tokenize, whole."""
    cdef Py_ssize_t a = 0, b = n, i, j, o = 0, r, pos = 0, idx, arcs = 1
    cdef bint oid = True
    while a < b and s[a] == 32:
        a += 1
    while b > a and s[b - 1] == 32:
        b -= 1
    if a == b or s[a] == 46 or s[b - 1] == 46:
        oid = False
    i = a
    while oid and i < b:
        if s[i] == 46:
            arcs += 1
            if s[i - 1] == 46:
                oid = False
        elif s[i] < 48 or s[i] > 57:
            oid = False
        i += 1
    if not oid:
        return _k_tokenize(&k.parts[0], s, n, out)
    if arcs <= k.length:
        return -1  # the last arc is never kept: the Python function (no key below keep_arcs)
    i = a
    while i < b:
        j = i
        while j < b and s[j] != 46:
            j += 1
        if pos > 0:
            out[o] = 46
            o += 1
        if pos < k.length:
            memcpy(out + o, s + i, j - i)
            r = j - i
        elif j - i > 1 and s[i] == 48:
            r = _k_tokenize(&k.parts[0], s + i, j - i, out + o)
        else:
            idx = 1 + pos - k.length
            if idx >= k.nparts:
                return -1
            r = _k_tokint(&k.parts[idx], s + i, j - i, out + o)
        if r < 0:
            return -1
        o += r
        pos += 1
        i = j + 1
    return o


cdef inline Py_ssize_t _gs1_ai(const char* s, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    """The length of an application identifier ``(NN)`` to ``(NNNN)`` at ``i``, else 0
    (``identifiers._AI``: two to four digits in parentheses)."""
    cdef Py_ssize_t j = i + 1
    if s[i] != 40:
        return 0
    while j < n and j - i <= 4 and 48 <= s[j] <= 57:
        j += 1
    if j - i - 1 < 2 or j >= n or s[j] != 41:
        return 0
    return j + 1 - i


cdef inline bint _gs1_date_ai(const char* a, Py_ssize_t n) noexcept nogil:
    """``identifiers._DATE_AIS``: 11, 12, 13, 15, 16, 17 (``a``: the digits)."""
    return n == 2 and a[0] == 49 and (a[1] == 49 or a[1] == 50 or a[1] == 51 or a[1] == 53
                                      or a[1] == 54 or a[1] == 55)


cdef Py_ssize_t _gs1_date(Kernel* k, const char* s, char* out) noexcept nogil:
    """``identifiers._yymmdd`` moved by the element's keyed offset; -1 where Python raises."""
    cdef long yy, mm, dd, year, z, y2, m2, d2, yb, mb, db
    cdef int i, off
    for i in range(6):
        if s[i] < 48 or s[i] > 57:
            return -1
    yy = (s[0] - 48) * 10 + s[1] - 48
    mm = (s[2] - 48) * 10 + s[3] - 48
    dd = (s[4] - 48) * 10 + s[5] - 48
    if dd == 0:
        memcpy(out, s, 6)
        return 6
    year = 2000 + yy if yy <= 50 else 1900 + yy
    if mm < 1 or mm > 12 or dd > _month_days(year, mm):
        return -1
    off = _shift_offset(&k.parts[1], k.parts[1].prefix, k.parts[1].plen, s, 6)
    z = _days_from_civil(year, mm, dd) + off
    _civil_from_days(z, &y2, &m2, &d2)
    if y2 < 1951 or y2 > 2050:
        # past the century YY reads back in: as far the other way, where that stays in it
        z = _days_from_civil(year, mm, dd) - off
        _civil_from_days(z, &yb, &mb, &db)
        if 1951 <= yb <= 2050:
            y2 = yb
            m2 = mb
            d2 = db
    if y2 < 1 or y2 > 9999:
        return -1
    y2 %= 100
    out[0] = <char>(48 + y2 // 10)
    out[1] = <char>(48 + y2 % 10)
    out[2] = <char>(48 + m2 // 10)
    out[3] = <char>(48 + m2 % 10)
    out[4] = <char>(48 + d2 // 10)
    out[5] = <char>(48 + d2 % 10)
    return 6


cdef inline long _month_days(long y, long m) noexcept nogil:
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if (m == 4 or m == 6 or m == 9 or m == 11) else 31


cdef Py_ssize_t _k_gs1(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``identifiers.make_gs1``: split at the application identifiers (``(NN)``); text
    before the first one that is not blank, or no AI at all: the alnum tokenize of the
    whole value; else each AI kept, the GTIN (01, 02) kept, a date element moved, any
    other element tokenized."""
    cdef Py_ssize_t i = 0, first = -1, o, a, e, d, r, ai
    while i < n:
        ai = _gs1_ai(s, n, i)
        if ai:
            first = i
            break
        i += 1
    if first < 0:
        return _k_tokenize(&k.parts[0], s, n, out)
    for i in range(first):
        if s[i] != 32:
            return _k_tokenize(&k.parts[0], s, n, out)
    memcpy(out, s, first)
    o = first
    i = first
    while i < n:
        ai = _gs1_ai(s, n, i)  # an AI starts here (the first, or where the data ended)
        memcpy(out + o, s + i, ai)
        o += ai
        a = i + 1                # its digits
        d = i + ai               # its element's data: up to the next AI
        e = d
        while e < n and not _gs1_ai(s, n, e):
            e += 1
        if ai - 2 == 2 and s[a] == 48 and (s[a + 1] == 49 or s[a + 1] == 50):
            memcpy(out + o, s + d, e - d)
            r = e - d
        elif _gs1_date_ai(s + a, ai - 2) and e - d == 6:
            r = _gs1_date(k, s + d, out + o)
        elif e == d:
            r = 0
        else:
            r = _k_tokenize(&k.parts[0], s + d, e - d, out + o)
        if r < 0:
            return -1
        o += r
        i = e
    return o


cdef Py_ssize_t _k_noise(Kernel* k, const char* s, Py_ssize_t n, char* out, int keyed,
                         const char* per, Py_ssize_t plen) noexcept nogil:
    """``generalize.make_noise``: the value plus a keyed offset in [-AMOUNT, +AMOUNT] in
    steps of its last decimal, keyed by the value (``keyed`` 0), the per value (1) or
    a NULL per value (2).

    The value is read as +-M * 10**-f (plain decimal text); the offset is
    ``r - steps`` units of 10**-f, r the digest of ``v\\x00`` + ``v`` + the value (or
    ``p`` + the per value) modulo 2 * steps + 1, as ``prf.value`` and ``offset``
    compute it; the sum is written with f decimals, as Decimal's addition does.  Any
    other text (exponents, NaN, more than 18 significant digits) returns -1."""
    cdef Py_ssize_t a, end
    cdef int neg, frac, mdig, kd
    cdef uint64_t m, steps, r, mag
    cdef long long v
    cdef uint8_t digest[32]
    cdef uint32_t limbs[8]
    if n > 80 or sp_read_decimal(s, n, &a, &end, &neg, &m, &mdig, &frac) < 0:
        return -1
    if frac >= NOISE_DECIMALS or (k.has_floor and frac > 0):
        return -1
    steps = k.noise[frac].steps
    if steps == <uint64_t>-1:
        return -1
    v = -<long long>m if neg else <long long>m
    if steps > 0:
        if keyed == 0:
            sp_prf2(&k.prf, <const uint8_t*>"v\x00v", 3, <const uint8_t*>(s + a), end - a,
                    digest)
        elif keyed == 1:
            sp_prf2(&k.prf, <const uint8_t*>"v\x00p", 3, <const uint8_t*>per, plen, digest)
        else:
            sp_prf2(&k.prf, <const uint8_t*>"v\x00\x00", 3, NULL, 0, digest)
        for kd in range(8):
            limbs[kd] = sp_load_be32(digest + 4 * kd)
        r = sp_mod256(limbs, 2 * steps + 1, k.noise[frac].pw)
        v += <long long>r - <long long>steps
    mag = <uint64_t>(-v) if v < 0 else <uint64_t>v
    # past what the column's type holds: the Python function subtracts the offset instead
    if frac < 20 and mag // _POW10[frac] > (k.neg_bound if v < 0 else k.pos_bound):
        return -1
    return sp_write_decimal(mag, frac, v < 0, out)
