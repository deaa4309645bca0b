# Included by _fast.pyx: tokenize (a keyed permutation of the values of a value's
# shape: Feistel rounds with cycle walking, cached round keys per shape) and the
# unique fakes built on the same permutations.

cdef inline uint64_t _bytes_hash(const char* s, Py_ssize_t n) noexcept nogil:
    """A hash of a short byte string eight bytes at a time (a shape's pattern, a host):
    its low bits index the tables, and equal hashes are still compared byte for byte."""
    cdef uint64_t h = <uint64_t>n * 0x9E3779B97F4A7C15ULL
    cdef uint64_t w
    while n >= 8:
        memcpy(&w, s, 8)
        h = (h ^ w) * 0xff51afd7ed558ccdULL
        h ^= h >> 29
        s += 8
        n -= 8
    if n > 0:
        w = 0
        memcpy(&w, s, n)
        h = (h ^ w) * 0xff51afd7ed558ccdULL
    h ^= h >> 32
    h *= 0xc4ceb9fe1a85ec53ULL
    h ^= h >> 29
    return h


cdef Shape* _shape_for(Kernel* k, const char* pat, Py_ssize_t n, sp_u128 total,
                       const uint64_t* big=NULL) noexcept nogil:
    """The cached round key of one tokenize shape, derived like ``Prf.subkey`` on a miss.

    ``big``: the domain as four limbs when it is past 2**124 (``total`` is then unused);
    NULL when such a domain cannot be permuted in C.
    """
    cdef uint64_t h = _bytes_hash(pat, n)
    cdef size_t i = <size_t>h & (SHAPE_SLOTS - 1)
    cdef Shape* sh
    cdef uint8_t dg[32]
    cdef int j
    while True:
        sh = &k.shapes[i]
        if sh.pattern == NULL:
            break
        if sh.h == h and sh.plen == n and sp_eq(sh.pattern, pat, n):
            return sh
        i = (i + 1) & (SHAPE_SLOTS - 1)
    if k.nshapes >= SHAPE_SLOTS // 2:
        for j in range(SHAPE_SLOTS):
            free(k.shapes[j].pattern)
            k.shapes[j].pattern = NULL
        k.nshapes = 0
        memset(k.ishape, 0, sizeof(k.ishape))  # they point into the table just emptied
        i = <size_t>h & (SHAPE_SLOTS - 1)
        sh = &k.shapes[i]
    sh.pattern = <char*>malloc(n + 1)
    if sh.pattern == NULL:
        return NULL
    memcpy(sh.pattern, pat, n)
    sh.plen = n
    sh.h = h
    k.nshapes += 1
    sp_prf2(&k.prf, <const uint8_t*>k.prefix, k.plen, <const uint8_t*>pat, n, dg)
    if big != NULL:
        if not sp_big_init(&sh.big, dg, big):
            free(sh.pattern)
            sh.pattern = NULL
            k.nshapes -= 1
            return NULL
    else:
        _shape_keyed(sh, dg, total)
    return sh


cdef void _shape_keyed(Shape* sh, const uint8_t* key, sp_u128 total) noexcept nogil:
    """``Permutation(key, total)``'s SipHash state and Feistel halves (``key``: 16 bytes).

    ``total`` is at most 2**124, so both halves fit 64 bits.
    """
    cdef uint64_t top
    memcpy(sh.key, key, 16)
    sp_sip_init(sh.sip, key)
    sh.total = total
    sh.a = sp_isqrt128(total - 1) + 1
    sh.b = <uint64_t>((total + sh.a - 1) // sh.a)
    top = sh.a if sh.a > sh.b else sh.b
    sh.width = 0
    while top:
        sh.width += 1
        top >>= 8
    sp_fastmod_init(&sh.ma, sh.a)
    sp_fastmod_init(&sh.mb, sh.b)
    sp_div_init(&sh.da, sh.a)
    sp_div_init(&sh.db, sh.b)


cdef uint64_t _feistel(const Shape* sh, uint64_t x) noexcept nogil:
    """One pass of ``Permutation._once`` for a one-block domain."""
    cdef uint64_t b = sh.b
    cdef uint64_t hi = sp_fastdiv_apply(&sh.mb, x)  # x // b without a divide
    cdef uint64_t lo = x - hi * b
    cdef int width = sh.width
    cdef uint64_t length = (<uint64_t>(width + 2)) << 56
    cdef uint64_t m, f, modulus, t
    cdef const sp_fastmod* fm
    cdef int i
    for i in range(8):
        if i % 2 == 0:
            modulus = sh.a
            fm = &sh.ma
        else:
            modulus = b
            fm = &sh.mb
        m = length | <uint64_t>i | sp_be_bytes(lo, width)
        f = sp_fastmod_apply(fm, sp_sip_short(sh.sip, m))
        # hi < modulus always (the moduli alternate with the halves), so one subtraction
        # is ``(hi + f) % modulus``.
        t = hi + f
        if t >= modulus:
            t -= modulus
        hi = lo
        lo = t
    return hi * b + lo


cdef inline uint64_t _tok_radix(char c, int mode) noexcept nogil:
    """The radix of a tokenize pattern byte: 10 (a digit slot), 26 (a letter slot), 0."""
    if c == 57:
        return 10
    if mode != 0 and (c == 97 or c == 65):
        return 26
    return 0


cdef inline void _tok_digits64(const char* pat, int mode, Py_ssize_t i, uint64_t y,
                               char* out) noexcept nogil:
    """The slots of ``pat[:i + 1]`` from the right, as digits of ``y`` in their radices."""
    cdef char c
    while i >= 0:
        c = pat[i]
        if c == 57:
            out[i] = <char>(48 + y % 10)
            y //= 10
        elif mode != 0 and c == 97:
            out[i] = <char>(97 + y % 26)
            y //= 26
        elif mode != 0 and c == 65:
            out[i] = <char>(65 + y % 26)
            y //= 26
        i -= 1


cdef Py_ssize_t _k_tokenize(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``tokenize`` on text, as ``tokenize.fn_text`` computes it; -1 asks for the fallback."""
    cdef char pat[KMAX_IN]
    cdef Py_ssize_t cuts[8]   # chunk c is pat[cuts[c]:cuts[c + 1]], its slots' radices
    cdef uint64_t prods[8]    # multiply to prods[c] (< 2**64); at most 4 below 2**124
    cdef int nc = 0
    cdef Py_ssize_t i, end
    cdef char c
    cdef sp_u128 total = 1, x = 0, y, q
    cdef uint64_t xa = 0, ta = 1
    cdef uint64_t radix, d
    cdef Shape* sh
    if n > KOUT or n > KMAX_IN:
        return -1
    cuts[0] = 0
    # The slots are read into a 64-bit number (xa, over ta values) and folded into the
    # 128-bit one before ta could overflow: one 128-bit multiplication per 13 letters,
    # not two per slot.  The domain is past 2**124 exactly when total * ta is.
    for i in range(n):
        c = s[i]
        if k.mode == 2 and c >= 97 and c <= 122:
            c = <char>(c - 32)
        out[i] = c
        if c >= 48 and c <= 57:
            pat[i] = 57
            radix = 10
            d = <uint64_t>(c - 48)
        elif k.mode != 0 and c >= 97 and c <= 122:
            pat[i] = 97
            radix = 26
            d = <uint64_t>(c - 97)
        elif k.mode != 0 and c >= 65 and c <= 90:
            pat[i] = 65
            radix = 26
            d = <uint64_t>(c - 65)
        else:
            pat[i] = c
            continue
        if ta > 709490156681136600ULL:  # (2**64 - 1) // 26: fold before ta * 26 overflows
            if not sp_mul_within(&total, ta):
                return _k_tokenize_big(k, s, n, out)  # a domain past 2**124: 256-bit numbers
            x = x * <sp_u128>ta + <sp_u128>xa
            prods[nc] = ta
            nc += 1
            cuts[nc] = i
            ta = 1
            xa = 0
        ta *= radix
        xa = xa * radix + d
    if ta > 1:
        if not sp_mul_within(&total, ta):
            return _k_tokenize_big(k, s, n, out)
        x = x * <sp_u128>ta + <sp_u128>xa
    prods[nc] = ta
    nc += 1
    cuts[nc] = n
    if total == 1:
        return n  # no slots: a slot has a radix of 10 or 26
    sh = _shape_for(k, pat, n, total)
    if sh == NULL:
        return -1  # out of memory
    if sh.width <= 4:
        # One SipHash block per round: the halves are under 2**32, the domain under 2**64.
        y = _feistel(sh, <uint64_t>x)
        while y >= total:
            y = _feistel(sh, <uint64_t>y)
    else:
        y = sp_feistel2(sh.sip, &sh.da, &sh.db, sh.width, x)
        while y >= total:
            y = sp_feistel2(sh.sip, &sh.da, &sh.db, sh.width, y)
    # The digits from the right.  While y is past 2**64: one 128-bit division by the
    # product of the last chunk's radices (the chunks the slots were read in), whose
    # remainder gives that chunk's slots in 64-bit arithmetic (divisions by constants),
    # not a 128-bit division (a library call) a slot.
    end = n
    while nc > 0 and (y >> 32) >> 32 != 0:  # y < the product of the chunks left
        nc -= 1
        q = y // prods[nc]
        _tok_digits64(pat + cuts[nc], k.mode, end - 1 - cuts[nc],
                      <uint64_t>(y - q * prods[nc]), out + cuts[nc])
        y = q
        end = cuts[nc]
    _tok_digits64(pat, k.mode, end - 1, <uint64_t>y, out)
    return n


cdef Py_ssize_t _k_tokenize_big(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``_k_tokenize`` for a domain past 2**124 (up to 2**248), in 256-bit numbers; -1 past
    that (the Python twin's integers have no bound) or without 128-bit integers.

    As in ``_k_tokenize``, slots are gathered into a 64-bit number before one 256-bit
    multiply-add (not two a slot), and written out from the remainder of one 256-bit
    division by the product of up to 13 radices (not one a slot: each is eight
    128-bit library divisions).  The domain passes 2**248 (or 2**256) at some slot
    exactly when it does at the end, so the bound is checked once.
    """
    cdef char pat[KMAX_IN]
    cdef uint64_t total[4]
    cdef uint64_t x[4]
    cdef Py_ssize_t i, j
    cdef char c
    cdef uint64_t radix, d, xa = 0, ta = 1, p, r
    cdef Shape* sh
    if not SP_HAVE_U128 or n > KOUT or n > KMAX_IN:
        return -1
    memset(total, 0, sizeof(total))
    memset(x, 0, sizeof(x))
    total[0] = 1
    for i in range(n):
        c = s[i]
        if k.mode == 2 and c >= 97 and c <= 122:
            c = <char>(c - 32)
        out[i] = c
        if c >= 48 and c <= 57:
            pat[i] = 57
            radix = 10
            d = <uint64_t>(c - 48)
        elif k.mode != 0 and c >= 97 and c <= 122:
            pat[i] = 97
            radix = 26
            d = <uint64_t>(c - 97)
        elif k.mode != 0 and c >= 65 and c <= 90:
            pat[i] = 65
            radix = 26
            d = <uint64_t>(c - 65)
        else:
            pat[i] = c
            continue
        if ta > 709490156681136600ULL:  # (2**64 - 1) // 26: fold before ta * 26 overflows
            if sp_u256_muladd(total, ta, 0):
                return -1
            sp_u256_muladd(x, ta, xa)
            ta = 1
            xa = 0
        ta *= radix
        xa = xa * radix + d
    if ta > 1:
        if sp_u256_muladd(total, ta, 0):
            return -1
        sp_u256_muladd(x, ta, xa)
    if sp_u256_bits(total) > 248:
        return -1
    sh = _shape_for(k, pat, n, 0, total)
    if sh == NULL:
        return -1
    sp_big_permute(&sh.big, x)
    i = n - 1
    while i >= 0:
        p = 1
        j = i
        while j >= 0 and p <= 709490156681136600ULL:  # p * 26 stays under 2**64
            r = _tok_radix(pat[j], k.mode)
            if r != 0:
                p *= r
            j -= 1
        _tok_digits64(pat + j + 1, k.mode, i - j - 1, sp_u256_divsmall(x, p), out + j + 1)
        i = j
    return n


cdef Py_ssize_t _k_tokint(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``tokenize`` on an integer column, as ``tokenize.fn_int`` computes it; -1: fallback.

    The value keeps its sign and number of digits (a multi-digit value its
    non-zero first digit) inside the column type's range: a keyed permutation
    of ``[lo, lo + limit)`` whose tweak ``int|sign|digits|limit`` is the label
    of the round key, like the text kernel's shapes.
    """
    cdef Py_ssize_t a = 0, b = n, i, plen
    cdef bint neg = False
    cdef uint64_t value = 0, lo, top, bound, limit, x, y, p10
    cdef int d
    cdef char pat[48]
    cdef char digits[24]
    cdef Shape* sh
    while a < b and s[a] == 32:
        a += 1
    while b > a and s[b - 1] == 32:
        b -= 1
    if a < b and s[a] == 45:
        neg = True
        a += 1
    else:
        while a < b and s[a] == 43:
            a += 1
    if a >= b:
        return -1
    for i in range(a, b):
        if s[i] < 48 or s[i] > 57:
            return -1
    while a < b - 1 and s[a] == 48:
        a += 1
    d = <int>(b - a)
    if d > 18:
        return -1
    for i in range(a, b):
        value = value * 10 + <uint64_t>(s[i] - 48)
    if value == 0:
        neg = False
    p10 = 1
    for i in range(d - 1):
        p10 *= 10
    lo = p10 if (d > 1 or neg) else 0
    top = p10 * 10 - 1
    bound = k.neg_bound if neg else k.pos_bound
    if bound < top:
        top = bound
    if top < lo:
        return -1
    limit = top - lo + 1
    if value < lo or value - lo >= limit:
        return -1
    x = value - lo
    # The shape depends on the sign and the number of digits alone (the bounds are the
    # kernel's): looked up once each, then without writing its tweak and hashing it.
    sh = k.ishape[20 * neg + d]
    if sh == NULL:
        # The tweak: "-|3|900" or "|3|900" after the kernel's "int|" prefix.
        plen = 0
        if neg:
            pat[0] = 45
            plen = 1
        pat[plen] = 124
        plen += 1
        plen = _put_uint(pat, plen, <uint64_t>d, 1)
        pat[plen] = 124
        plen = _put_uint(pat, plen + 1, limit, 1)
        if plen < 0:
            return -1
        sh = _shape_for(k, pat, plen, limit)
        if sh == NULL or sh.width > 4:
            return -1
        k.ishape[20 * neg + d] = sh
    y = _feistel(sh, x)
    while y >= limit:
        y = _feistel(sh, y)
    y += lo
    i = 0
    if neg:
        out[0] = 45
        i = 1
    return _put_uint(out, i, y, 1)


def _permute_shape(bytes key not None, object total, object x):
    """``Permutation(key, total)(x)`` as the tokenize kernels compute it up to 2**124 (one
    SipHash block a round up to 2**64, two beyond), for the differential tests."""
    cdef Shape sh
    cdef sp_u128 t, y
    if PyBytes_GET_SIZE(key) < 16 or not 0 <= x < total <= (1 << 124) or not SP_HAVE_U128:
        raise ValueError("a 16-byte key and 0 <= x < total <= 2**124")
    memset(&sh, 0, sizeof(Shape))
    t = ((<sp_u128>(total >> 64)) << 64) | <sp_u128>(total & 0xFFFFFFFFFFFFFFFF)
    y = ((<sp_u128>(x >> 64)) << 64) | <sp_u128>(x & 0xFFFFFFFFFFFFFFFF)
    _shape_keyed(&sh, <const uint8_t*>PyBytes_AS_STRING(key), t)
    if sh.width <= 4:
        y = _feistel(&sh, <uint64_t>y)
        while y >= t:
            y = _feistel(&sh, <uint64_t>y)
    else:
        y = sp_feistel2(sh.sip, &sh.da, &sh.db, sh.width, y)
        while y >= t:
            y = sp_feistel2(sh.sip, &sh.da, &sh.db, sh.width, y)
    return (int(<uint64_t>(y >> 64)) << 64) | int(<uint64_t>y)


cdef inline bint _never_issued(uint64_t n) noexcept nogil:
    """``unique.never_issued``: area 000, 666 or 900-999, group 00 or serial 0000."""
    cdef uint64_t area = n // 1000000
    cdef uint64_t rest = n - area * 1000000
    return (area == 0 or area == 666 or area >= 900 or rest // 10000 == 0
            or rest % 10000 == 0)


cdef inline uint64_t _permute(const Shape* sh, uint64_t x) noexcept nogil:
    """``Permutation.__call__`` for a one-block domain: Feistel, cycle-walked into it."""
    cdef uint64_t y = _feistel(sh, x)
    while y >= sh.total:
        y = _feistel(sh, y)
    return y


cdef Py_ssize_t _k_tok_host(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``_k_tokenize`` of a unique e-mail's domain or a URL's host, memoised.

    Hosts repeat (a few providers make most addresses), and their tokenization
    depends on their bytes alone: a direct-mapped table of ``HOST_SLOTS`` results
    (the last host of each slot) skips the shape look-up and the Feistel network.
    Exact: a hit copies what ``_k_tokenize`` wrote for the same bytes.
    """
    cdef HostSlot* slot
    cdef Py_ssize_t r
    if k.hosts == NULL or n <= 0 or n > HOST_KEY:
        return _k_tokenize(k, s, n, out)
    slot = &k.hosts[_bytes_hash(s, n) & (HOST_SLOTS - 1)]
    if slot.len == n and sp_eq(slot.src, s, n):
        memcpy(out, slot.dst, n)
        return n
    r = _k_tokenize(k, s, n, out)
    if r == n:
        memcpy(slot.src, s, n)
        memcpy(slot.dst, out, n)
        slot.len = <int>n
    return r


cdef Py_ssize_t _k_unique(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """A unique fake, as ``unique.make_unique`` computes it; -1 asks for the fallback.

    The fallback also raises the error of a fake too long for its column.
    """
    cdef Py_ssize_t o = _k_unique_body(k, s, n, out)
    if o < 0 or (k.umax >= 0 and o > k.umax):
        return -1  # ASCII here: bytes are characters
    return o


cdef Py_ssize_t _k_unique_body(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """The parts tokenized by ``_k_tokenize`` (``{tokenize: alnum}`` under the fake's key)."""
    cdef Py_ssize_t o, r, i, j
    cdef uint64_t x, y
    cdef bint dashed, cls
    if k.ugen == U_TOK:
        o = _k_tokenize(k, s, n, out)
    elif k.ugen == U_SSN:
        if n == 11 and s[3] == 45 and s[6] == 45 and _all_digits(s, 3) and \
                _all_digits(s + 4, 2) and _all_digits(s + 7, 4):
            dashed = True
        elif n == 9 and _all_digits(s, 9):
            dashed = False
        else:
            return _k_tokenize(k, s, n, out)  # same length: always fits
        x = 0
        for i in range(n):
            if s[i] != 45:
                x = x * 10 + <uint64_t>(s[i] - 48)
        cls = _never_issued(x)
        y = _permute(&k.ssn, x)
        while _never_issued(y) != cls:
            y = _permute(&k.ssn, y)
        if dashed and not k.compact:
            o = _put_uint(out, 0, y // 1000000, 3)
            o = _put_bytes(out, o, "-", 1)
            o = _put_uint(out, o, y // 10000 % 100, 2)
            o = _put_bytes(out, o, "-", 1)
            o = _put_uint(out, o, y % 10000, 4)
        else:
            o = _put_uint(out, 0, y, 9)
    elif k.ugen == U_CARD:
        o = _k_card(k, s, n, out)
    elif k.ugen == U_IBAN:
        o = _k_iban(k, s, n, out)
    elif k.ugen == U_VIN:
        o = _k_vin(k, s, n, out)
    elif k.ugen == U_UUID:
        o = _k_uuid(k, s, n, out)
    elif k.ugen == U_IP:
        o = _k_ip(k, s, n, out)
    elif k.ugen == U_EMAIL:
        i = n - 1
        while i >= 0 and s[i] != 64:
            i -= 1
        if i < 0:
            return _k_tokenize(k, s, n, out)  # no "@": same length
        o = _k_tokenize(k, s, i, out)
        if o < 0:
            return -1
        out[o] = 64
        o += 1
        if i == n - 1:
            o = _put_bytes(out, o, "example", 7)
        else:
            r = _k_tok_host(k, s + i + 1, n - i - 1, out + o)
            if r < 0:
                return -1
            o = _put_bytes(out, o + r, ".example", 8)
    else:  # U_URL: scheme "://" host rest
        i = 0
        if n == 0 or not ((s[0] >= 65 and s[0] <= 90) or (s[0] >= 97 and s[0] <= 122)):
            return _k_tokenize(k, s, n, out)
        i = 1
        while i < n and ((s[i] >= 65 and s[i] <= 90) or (s[i] >= 97 and s[i] <= 122)
                         or (s[i] >= 48 and s[i] <= 57) or s[i] == 43 or s[i] == 46
                         or s[i] == 45):
            i += 1
        if not (i + 3 <= n and s[i] == 58 and s[i + 1] == 47 and s[i + 2] == 47):
            return _k_tokenize(k, s, n, out)  # not URL-shaped: same length
        i += 3
        j = i
        while j < n and s[j] != 47 and s[j] != 63 and s[j] != 35 and s[j] != 58 and s[j] != 64:
            j += 1
        o = _put_bytes(out, 0, s, i)
        if j == i:
            o = _put_bytes(out, o, "example", 7)
        else:
            r = _k_tok_host(k, s + i, j - i, out + o)
            if r < 0:
                return -1
            o = _put_bytes(out, o + r, ".example", 8)
        if o < 0:
            return -1
        r = _k_tokenize(k, s + j, n - j, out + o)
        if r < 0:
            return -1
        o += r
    return o


cdef sp_u128 _pow_u128(uint64_t base, int e) noexcept nogil:
    cdef sp_u128 r = 1
    cdef int i
    for i in range(e):
        r *= base
    return r


cdef bint _big_pow2(sp_bigperm* p, const uint8_t* key, int e) noexcept nogil:
    """``Permutation(key, 2**e)`` in 256-bit numbers."""
    cdef uint64_t t[4]
    memset(t, 0, sizeof(t))
    t[e // 64] = (<uint64_t>1) << (e % 64)
    return sp_big_init(p, key, t)


cdef Py_ssize_t _walk_tok(Kernel* k, const char* s, Py_ssize_t n, char* out, int shape) noexcept nogil:
    """``unique._walk``: ``tok`` again while the result has the provider's own shape."""
    cdef Py_ssize_t o = _k_tokenize(k, s, n, out)
    while o >= 0 and _own_shape(out, o, shape):
        o = _k_tokenize(k, out, o, out)  # in place: each byte is read before it is written
    return o


cdef bint _own_shape(const char* s, Py_ssize_t n, int shape) noexcept nogil:
    cdef char tmp[64]
    if shape == U_VIN:
        return _is_vin(s, n)
    if shape == U_UUID:
        return _is_uuid(s, n)
    return _ip_read(s, n, NULL, NULL, tmp) != 0
