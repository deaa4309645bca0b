# Included by _fast.pyx: identifiers' kernels with their own formats and check digits:
# cards (Luhn), IBANs, VINs, UUIDs, IP addresses; and hash and mask.

cdef int _luhn(const char* s, Py_ssize_t n) noexcept nogil:
    """``unique._luhn`` of the digits of ``s[:n]`` (other characters skipped)."""
    cdef int total = 0, k = 0, d
    cdef Py_ssize_t i
    for i in range(n - 1, -1, -1):
        if 48 <= s[i] <= 57:
            d = s[i] - 48
            if k % 2 == 0:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
            k += 1
    return (10 - total % 10) % 10


cdef Py_ssize_t _k_card(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``credit_card_number``: digits, blanks and dashes (two digits or more)."""
    cdef Py_ssize_t i, last = -1, digits = 0
    cdef int offset, check
    for i in range(n):
        if 48 <= s[i] <= 57:
            digits += 1
            last = i
        elif s[i] != 32 and s[i] != 45:
            return _k_tokenize(k, s, n, out)
    if digits < 2:
        return _k_tokenize(k, s, n, out)
    if _k_tokenize(&k.parts[0], s, last, out) < 0:
        return -1
    offset = (s[last] - 48) - _luhn(s, last)
    check = ((_luhn(out, last) + offset) % 10 + 10) % 10
    out[last] = <char>(48 + check)
    for i in range(last + 1, n):
        out[i] = s[i]
    return n


cdef inline bint _upper(char c) noexcept nogil:
    return 65 <= c <= 90


cdef inline bint _digit(char c) noexcept nogil:
    return 48 <= c <= 57


cdef int _iban_check(const char* country, const char* bban, Py_ssize_t m) noexcept nogil:
    """``unique._iban_check``: 98 - (BBAN, country, "00" read in base 36 digits) mod 97."""
    cdef int r = 0
    cdef Py_ssize_t i
    for i in range(m):
        if _digit(bban[i]):
            r = (r * 10 + bban[i] - 48) % 97
        elif bban[i] != 32:
            r = (r * 100 + bban[i] - 55) % 97
    r = (r * 100 + country[0] - 55) % 97
    r = (r * 100 + country[1] - 55) % 97
    return 98 - (r * 100) % 97


cdef Py_ssize_t _k_iban(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``iban``: ``[A-Z]{2}[0-9]{2}[A-Z0-9 ]{8,40}``, the BBAN tokenized."""
    cdef Py_ssize_t i
    cdef int check, o
    if not (12 <= n <= 44 and _upper(s[0]) and _upper(s[1]) and _digit(s[2]) and _digit(s[3])):
        return _k_tokenize(k, s, n, out)
    for i in range(4, n):
        if not (_upper(s[i]) or _digit(s[i]) or s[i] == 32):
            return _k_tokenize(k, s, n, out)
    if _k_tokenize(k, s + 4, n - 4, out + 4) < 0:
        return -1
    check = (s[2] - 48) * 10 + s[3] - 48
    o = ((check - _iban_check(s, s + 4, n - 4) + _iban_check(s, out + 4, n - 4)) % 100 + 100) % 100
    out[0] = s[0]
    out[1] = s[1]
    out[2] = <char>(48 + o // 10)
    out[3] = <char>(48 + o % 10)
    return n


cdef const char* _HEXDIGITS = b"0123456789abcdef"
cdef const char* _VIN_ALPHABET = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
cdef const char* _VIN_CHECKS = b"0123456789X"
cdef int _VIN_INDEX[256]
cdef int _VIN_VALUE[33]
cdef int[17] _VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


cdef void _init_vin():
    cdef int i
    cdef int[23] letters = [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]
    for i in range(256):
        _VIN_INDEX[i] = -1
    for i in range(33):
        _VIN_INDEX[<uint8_t>_VIN_ALPHABET[i]] = i
        _VIN_VALUE[i] = i if i < 10 else letters[i - 10]


_init_vin()


cdef bint _is_vin(const char* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if n != 17:
        return False
    for i in range(17):
        if _VIN_INDEX[<uint8_t>s[i]] < 0:
            return False
    return _digit(s[8]) or s[8] == 88


cdef int _vin_check(const int* idx) noexcept nogil:
    cdef int i, total = 0
    for i in range(17):
        total += _VIN_VALUE[idx[i]] * _VIN_WEIGHTS[i]
    return total % 11


cdef Py_ssize_t _k_vin(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``vin``: the 16 characters other than the check digit permuted, check digit moved."""
    cdef int idx[17]
    cdef int new[17]
    cdef int i, offset
    cdef sp_u128 x = 0, y
    if not _is_vin(s, n):
        return _walk_tok(k, s, n, out, U_VIN)
    for i in range(17):
        idx[i] = _VIN_INDEX[<uint8_t>s[i]]
        if i != 8:
            x = x * 33 + <sp_u128>idx[i]
    y = sp_feistel2(k.ssn.sip, &k.ssn.da, &k.ssn.db, k.ssn.width, x)
    while y >= k.ssn.total:
        y = sp_feistel2(k.ssn.sip, &k.ssn.da, &k.ssn.db, k.ssn.width, y)
    for i in range(16, -1, -1):
        if i != 8:
            new[i] = <int>(y % 33)
            y //= 33
    new[8] = 0
    offset = (10 if s[8] == 88 else s[8] - 48) - _vin_check(idx)
    for i in range(17):
        out[i] = _VIN_ALPHABET[new[i]]
    out[8] = _VIN_CHECKS[((_vin_check(new) + offset) % 11 + 11) % 11]
    return 17


cdef inline int _hexval(char c) noexcept nogil:
    """A lower-case hex digit's value, else -1."""
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    return -1


cdef bint _is_uuid(const char* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if n != 36:
        return False
    for i in range(36):
        if i == 8 or i == 13 or i == 18 or i == 23:
            if s[i] != 45:
                return False
        elif _hexval(s[i]) < 0:
            return False
    return True


cdef inline bint _v4_shaped(sp_u128 v) noexcept nogil:
    """``n & _V4_FIXED == _V4_BITS``: version nibble 4, variant bits 10."""
    return ((v >> 76) & 0xF) == 4 and ((v >> 62) & 3) == 2


cdef Py_ssize_t _k_uuid(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``uuid4``: lower-case UUIDs permuted (version 4 ones among version 4 ones)."""
    cdef sp_u128 v = 0, f, y
    cdef sp_u128 m62 = ((<sp_u128>1) << 62) - 1
    cdef uint64_t w[4]
    cdef Py_ssize_t i, o
    if not _is_uuid(s, n):
        return _walk_tok(k, s, n, out, U_UUID)
    for i in range(36):
        if s[i] != 45:
            v = (v << 4) | <sp_u128>_hexval(s[i])
    if _v4_shaped(v):
        f = ((v >> 80) << 74) | (((v >> 64) & 0xFFF) << 62) | (v & m62)
        y = sp_feistel2(k.ssn.sip, &k.ssn.da, &k.ssn.db, k.ssn.width, f)
        while y >= k.ssn.total:
            y = sp_feistel2(k.ssn.sip, &k.ssn.da, &k.ssn.db, k.ssn.width, y)
        f = y
        y = ((f >> 74) << 80) | (((f >> 62) & 0xFFF) << 64) | (f & m62)
        y |= ((<sp_u128>4) << 76) | ((<sp_u128>2) << 62)
    else:
        w[0] = <uint64_t>v
        w[1] = <uint64_t>((v >> 32) >> 32)
        w[2] = 0
        w[3] = 0
        while True:
            sp_big_permute(&k.ssn.big, w)
            y = ((<sp_u128>w[1]) << 64) | w[0]
            if not _v4_shaped(y):
                break
    o = 36
    for i in range(35, -1, -1):
        if i == 8 or i == 13 or i == 18 or i == 23:
            out[i] = 45
        else:
            out[i] = _HEXDIGITS[<int>(y & 15)]
            y >>= 4
    return o


cdef Py_ssize_t _put_dotted(char* out, Py_ssize_t o, uint64_t v) noexcept nogil:
    cdef int j
    for j in range(3, -1, -1):
        o = _put_uint(out, o, (v >> (8 * j)) & 255, 1)
        if j:
            o = _put_bytes(out, o, ".", 1)
    return o


cdef Py_ssize_t _put_ipv6(char* out, Py_ssize_t o, sp_u128 v) noexcept nogil:
    """An IPv6 address as ``unique._canonical`` writes it (RFC 5952; IPv4-mapped dotted)."""
    cdef int h[8]
    cdef int i, best = -1, blen = 0, start = -1, run = 0, j, d
    cdef char hexd[4]
    for i in range(8):
        h[i] = <int>((v >> (16 * (7 - i))) & 0xFFFF)
    if ((v >> 32) >> 32) == 0 and ((v >> 32) & 0xFFFFFFFFULL) == 0xFFFF:
        o = _put_bytes(out, o, "::ffff:", 7)
        return _put_dotted(out, o, <uint64_t>(v & 0xFFFFFFFFULL))
    for i in range(8):
        if h[i] == 0:
            if start < 0:
                start = i
            run += 1
            if run > blen:
                blen = run
                best = start
        else:
            run = 0
            start = -1
    i = 0
    while i < 8:
        if blen > 1 and i == best:
            o = _put_bytes(out, o, "::", 2)
            i += blen
            continue
        if i > 0 and not (blen > 1 and i == best + blen):
            o = _put_bytes(out, o, ":", 1)
        d = 0
        j = h[i]
        while True:
            hexd[d] = _HEXDIGITS[j & 15]
            d += 1
            j >>= 4
            if j == 0:
                break
        while d > 0:
            d -= 1
            o = _put_bytes(out, o, &hexd[d], 1)
        i += 1
    return o


cdef int _read_dotted(const char* s, Py_ssize_t n, uint64_t* v) noexcept nogil:
    """A dotted quad as ``ipaddress`` reads it (no leading zeros, octets up to 255)."""
    cdef Py_ssize_t i = 0, start
    cdef int parts = 0, octet
    v[0] = 0
    while parts < 4:
        start = i
        octet = 0
        while i < n and _digit(s[i]) and i - start < 4:
            octet = octet * 10 + s[i] - 48
            i += 1
        if i == start or i - start > 3 or octet > 255 or (i - start > 1 and s[start] == 48):
            return 0
        v[0] = (v[0] << 8) | <uint64_t>octet
        parts += 1
        if parts < 4:
            if i >= n or s[i] != 46:
                return 0
            i += 1
    return i == n


cdef int _ip_read(const char* s, Py_ssize_t n, sp_u128* value, Py_ssize_t* alen,
                  char* tmp) noexcept nogil:
    """``unique._ip``: 4 or 6 when ``s`` is an address in its canonical spelling with an
    optional ``/n`` (n up to 3 digits and the prefix length), else 0.  ``tmp``: 64 bytes."""
    cdef Py_ssize_t a = 0, i, j, m
    cdef uint64_t v4 = 0, grp
    cdef sp_u128 v = 0
    cdef int ver, masklen, groups = 0, gap = -1, digs
    cdef int g[8]
    while a < n and s[a] != 47:
        if s[a] == 37:
            return 0  # a scoped address
        a += 1
    if a < n:
        m = n - a - 1
        if m < 1 or m > 3:
            return 0
        masklen = 0
        for i in range(a + 1, n):
            if not _digit(s[i]):
                return 0
            masklen = masklen * 10 + s[i] - 48
    else:
        masklen = -1
    if a > 45:
        return 0
    if _read_dotted(s, a, &v4):
        ver = 4
        v = v4
    else:
        # Eight groups of hex digits, one "::" at most, a dotted quad at the end: read
        # leniently, then accepted only when it is the canonical spelling.
        i = 0
        if a >= 2 and s[0] == 58 and s[1] == 58:
            gap = 0
            i = 2
        while i < a:
            if groups >= 8:
                return 0
            j = i
            while j < a and s[j] != 58 and s[j] != 46:
                j += 1
            if j < a and s[j] == 46:
                if groups > 6 or not _read_dotted(s + i, a - i, &v4):
                    return 0
                g[groups] = <int>(v4 >> 16)
                g[groups + 1] = <int>(v4 & 0xFFFF)
                groups += 2
                i = a
                break
            digs = <int>(j - i)
            if digs < 1 or digs > 4:
                return 0
            grp = 0
            for m in range(i, j):
                if _hexval(s[m]) < 0:
                    return 0
                grp = grp * 16 + <uint64_t>_hexval(s[m])
            g[groups] = <int>grp
            groups += 1
            i = j
            if i < a:
                i += 1  # the ':'
                if i < a and s[i] == 58:
                    if gap >= 0:
                        return 0
                    gap = groups
                    i += 1
                elif i == a:
                    return 0  # a trailing single ':'
        if gap < 0 and groups != 8:
            return 0
        if gap >= 0 and groups > 7:
            return 0
        for j in range(8):
            v <<= 16
            if gap < 0:
                v |= <sp_u128>g[j]
            elif j < gap:
                v |= <sp_u128>g[j]
            elif j >= gap + 8 - groups:
                v |= <sp_u128>g[j - (8 - groups)]
        if _put_ipv6(tmp, 0, v) != a or not sp_eq(tmp, s, a):
            return 0
        ver = 6
    if masklen > (32 if ver == 4 else 128):
        return 0
    if value != NULL:
        value[0] = v
        alen[0] = a
    return ver


cdef Py_ssize_t _k_ip(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``ipv4`` / ``ipv6``: the address permuted, written canonically; ``/n`` kept."""
    cdef char tmp[64]
    cdef sp_u128 v
    cdef Py_ssize_t a, o
    cdef uint64_t w[4]
    cdef int ver = _ip_read(s, n, &v, &a, tmp)
    if ver == 0:
        return _walk_tok(k, s, n, out, U_IP)
    if ver == 4:
        o = _put_dotted(out, 0, _permute(&k.ssn, <uint64_t>v))
    else:
        w[0] = <uint64_t>v
        w[1] = <uint64_t>((v >> 32) >> 32)
        w[2] = 0
        w[3] = 0
        sp_big_permute(&k.ssn.big, w)
        o = _put_ipv6(out, 0, ((<sp_u128>w[1]) << 64) | w[0])
    return _put_bytes(out, o, s + a, n - a)


cdef Py_ssize_t _k_hash(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``hashing.make_hash`` for outputs drawn from one HMAC block (18 symbols at most)."""
    cdef uint8_t dg[32]
    cdef uint32_t num[8]
    cdef uint64_t r
    cdef int i
    if k.hash_blocks > 1 or (k.alphabet == 1 and k.length > 18):
        return _k_hash_long(k, s, n, out)
    sp_hmac2(&k.hmac, <const uint8_t*>k.prefix, k.plen, <const uint8_t*>s, n, dg)
    if k.alphabet == 0:
        for i in range(k.length):
            r = (dg[i // 2] >> 4) if i % 2 == 0 else (dg[i // 2] & 15)
            out[i] = <char>(48 + r if r < 10 else 87 + r)
        return k.length
    for i in range(8):
        num[i] = sp_load_be32(dg + 4 * i)
    if k.alphabet == 1:
        return _put_uint(out, 0, sp_mod256(num, k.modulus, k.pw), k.length)
    for i in range(k.length):
        r = sp_divmod(num, 62)
        out[i] = <char>(48 + r if r < 10 else (55 + r if r < 36 else 61 + r))
    return k.length


cdef uint32_t _divmod_limbs(uint32_t* num, int first, int nl, uint32_t d) noexcept nogil:
    """``num[first:nl]`` (32-bit limbs, most significant first) //= d in place; the rest."""
    cdef uint64_t r = 0, cur
    cdef int i
    for i in range(first, nl):
        cur = (r << 32) | num[i]
        num[i] = <uint32_t>(cur // d)
        r = cur % d
    return <uint32_t>r


cdef Py_ssize_t _k_hash_long(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``hashing.make_hash`` for outputs of several HMAC blocks (or over 18 digits): block i
    hashes the domain prefix with the tag "h" i (two bytes, big-endian), and the digests,
    concatenated, are one big-endian number."""
    cdef uint8_t dg[32 * 8]
    cdef uint32_t num[64]
    cdef char pre[HASH_PRE]
    cdef int i, j, nl, first = 0, left, take
    cdef uint32_t r
    if k.plen > HASH_PRE or k.hash_blocks > 8:
        return -1
    memcpy(pre, k.prefix, k.plen)
    for i in range(k.hash_blocks):
        pre[k.plen - 3] = <char>(i >> 8)
        pre[k.plen - 2] = <char>(i & 255)
        sp_hmac2(&k.hmac, <const uint8_t*>pre, k.plen, <const uint8_t*>s, n, dg + 32 * i)
    if k.alphabet == 0:
        for i in range(k.length):
            r = (dg[i // 2] >> 4) if i % 2 == 0 else (dg[i // 2] & 15)
            out[i] = <char>(48 + r if r < 10 else 87 + r)
        return k.length
    nl = 8 * k.hash_blocks
    for i in range(nl):
        num[i] = sp_load_be32(dg + 4 * i)
    if k.alphabet == 1:
        # The number modulo 10**length, zero-filled: its last ``length`` decimal digits,
        # nine at a time from the right.
        left = k.length
        while left > 0:
            while first < nl and num[first] == 0:
                first += 1
            r = _divmod_limbs(num, first, nl, 1000000000)
            take = 9 if left > 9 else left
            for j in range(take):
                out[left - 1 - j] = <char>(48 + r % 10)
                r //= 10
            left -= take
        return k.length
    # alnum: base-62 digits from the least significant, five at a time (62**5 < 2**32).
    i = 0
    while i < k.length:
        while first < nl and num[first] == 0:
            first += 1
        r = _divmod_limbs(num, first, nl, 916132832)
        for j in range(5):
            if i + j < k.length:
                out[i + j] = <char>(48 + r % 62 if r % 62 < 10 else
                                    (55 + r % 62 if r % 62 < 36 else 61 + r % 62))
            r //= 62
        i += 5
    return k.length


cdef Py_ssize_t _k_mask(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``mask.make_mask`` on printable ASCII: letters and digits masked, separators kept."""
    cdef Py_ssize_t i, total = 0, seen = 0, lo, hi
    cdef char c
    if n > KOUT:
        return -1
    for i in range(n):
        c = s[i]
        if (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122):
            total += 1
    if total <= k.keep_first + k.keep_last:
        lo = 0
        hi = total
    else:
        lo = k.keep_first
        hi = total - k.keep_last
    for i in range(n):
        c = s[i]
        if (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122):
            out[i] = c if (seen < lo or seen >= hi) else k.mask_char
            seen += 1
        else:
            out[i] = c
    return n
