# Included by _fast.pyx: ``{generalize: {round: STEP}}`` (generalize.make_round's twin) and
# ``{tokenize: oid}`` (identifiers.make_oid's).


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
                               int integer, char *out) {
    #if SP_HAVE_U128
        Py_ssize_t i = 0, end = n, o = 0;
        int neg = 0, dot = 0, frac = 0, mdig = 0, any = 0, qd, k;
        uint64_t m = 0;
        sp_u128 num, den, q, r, res, unit;
        char buf[64];
        while (i < end && s[i] == ' ') i++;
        while (end > i && s[end - 1] == ' ') end--;
        if (i < end && (s[i] == '-' || s[i] == '+')) { neg = s[i] == '-'; i++; }
        for (; i < end; i++) {
            char c = s[i];
            if (c == '.') {
                if (dot) return -1;
                dot = 1;
            } else if (c >= '0' && c <= '9') {
                any = 1;
                if (dot) frac++;
                if (m == 0 && c == '0') continue;   /* leading zeros: no significant digit */
                if (++mdig > 18) return -1;
                m = m * 10 + (uint64_t)(c - '0');
            } else {
                return -1;
            }
        }
        if (!any || frac > 36) return -1;
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
        }
        if (neg && res) out[o++] = '-';
        /* digits of res, with a point t places from the right and at least one
           digit before it */
        k = 0;
        do { buf[k++] = (char)('0' + (int)(res % 10)); res /= 10; } while (res);
        while (k <= t) buf[k++] = '0';
        while (k > 0) {
            if (k == t) out[o++] = '.';
            out[o++] = buf[--k];
        }
        return o;
    #else
        (void)s; (void)n; (void)step; (void)t; (void)integer; (void)out;
        return -1;
    #endif
    }
    """
    Py_ssize_t sp_round(const char* s, Py_ssize_t n, uint64_t step, int t, int integer,
                        char* out) nogil


cdef inline Py_ssize_t _k_round(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    if n > 80:
        return -1
    return sp_round(s, n, k.modulus, k.length, k.has_floor, out)


cdef Py_ssize_t _k_oid(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``identifiers.make_oid``: dot-separated decimal arcs keep the first ``k.length``;
    every later arc is the integer tokenize of its position (an arc with a leading zero,
    not a valid one, the alnum tokenize); any other value the alnum tokenize, whole."""
    cdef Py_ssize_t a = 0, b = n, i, j, o = 0, r, pos = 0, idx
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
            if s[i - 1] == 46:
                oid = False
        elif s[i] < 48 or s[i] > 57:
            oid = False
        i += 1
    if not oid:
        return _k_tokenize(&k.parts[0], s, n, out)
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
