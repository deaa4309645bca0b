# Included by _fast.pyx: dates' kernels (year, safe harbor, shift with and without
# per and its offset cache), zip3, and arrays of any kernel's elements.

cdef inline int _dig2(const char* s) noexcept nogil:
    return (s[0] - 48) * 10 + (s[1] - 48)


cdef inline bint _read_ymd(const char* s, long* y, long* m, long* d) noexcept nogil:
    """The year, month and day of ``s[0:10]`` in ``YYYY-MM-DD`` form (year not 0)."""
    # Unsigned differences: one compare a digit, no loop over the dashes' places.
    if s[4] != 45 or s[7] != 45 or \
            <uint8_t>(s[0] - 48) > 9 or <uint8_t>(s[1] - 48) > 9 or \
            <uint8_t>(s[2] - 48) > 9 or <uint8_t>(s[3] - 48) > 9 or \
            <uint8_t>(s[5] - 48) > 9 or <uint8_t>(s[6] - 48) > 9 or \
            <uint8_t>(s[8] - 48) > 9 or <uint8_t>(s[9] - 48) > 9:
        return False
    y[0] = _dig2(s) * 100 + _dig2(s + 2)
    m[0] = _dig2(s + 5)
    d[0] = _dig2(s + 8)
    return y[0] != 0 and 1 <= m[0] <= 12 and 1 <= d[0] <= 31


cdef inline bint _is_offset(const char* s, Py_ssize_t n) noexcept nogil:
    """``[+-]\\d\\d(?::\\d\\d){0,2}`` exactly (a timestamp's UTC offset)."""
    cdef Py_ssize_t i
    if (n != 3 and n != 6 and n != 9) or (s[0] != 43 and s[0] != 45):
        return False
    for i in range(1, n):
        if i % 3 == 0:
            if s[i] != 58:
                return False
        elif not 48 <= s[i] <= 57:
            return False
    return True


cdef Py_ssize_t _k_year(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``make_year`` on ``YYYY-MM-DD`` dates and timestamps (``YYYY-01-01 00:00:00`` and
    the UTC offset the text ends with, as ``_OFFSET.search`` finds it: the leftmost
    of the three possible starts); BC and anything else go to the fallback."""
    cdef long y, m, d
    cdef Py_ssize_t i, p
    if n < 10 or not _read_ymd(s, &y, &m, &d):
        return -1
    if n >= 13 and s[n - 3] == 32 and s[n - 2] == 66 and s[n - 1] == 67:
        return -1  # " BC"
    if k.has_floor and y < k.floor:
        y = k.floor
    if y <= 0 or y > 9999:
        return -1
    i = _put_uint(out, 0, <uint64_t>y, 4)
    i = _put_bytes(out, i, "-01-01", 6)
    if n == 10:
        return i
    i = _put_bytes(out, i, " 00:00:00", 9)
    p = n - 9
    while p <= n - 3:
        if p >= 10 and _is_offset(s + p, n - p):
            return _put_bytes(out, i, s + p, n - p)
        p += 3
    return i


cdef int _offset_in(Kernel* k, const uint8_t* digest) noexcept nogil:
    """``keyed.offset_in``: the 256-bit big-endian digest modulo 2*days, 0 left out."""
    cdef long r = <long>sp_digest_mod(digest, &k.dmod, k.dpw)
    if r < k.days:
        return <int>(r - k.days)
    return <int>(r - k.days + 1)


cdef int _shift_offset(Kernel* k, const char* prefix, Py_ssize_t plen, const char* s,
                       Py_ssize_t n) noexcept nogil:
    """The offset keyed by ``s`` under ``prefix`` (the value's own, or a per value's)."""
    cdef uint8_t digest[32]
    sp_prf2(&k.prf, <const uint8_t*>prefix, plen, <const uint8_t*>s, n, digest)
    return _offset_in(k, digest)


cdef void _share_per_offsets(Kernel* kernels, Py_ssize_t i) noexcept:
    """Two date shifts of one spec (one key and domain) in one block share their offsets.

    Why: ``admitted_at`` and ``discharged_at`` shifted per patient get the
    same offset for the same patient by construction; one table of offsets
    means one PRF call per patient for both columns.  One spec is one domain
    key and one tag, so both are compared.
    """
    cdef Kernel* k = &kernels[i]
    cdef Kernel* other
    cdef Py_ssize_t j
    if k.kind != K_SHIFT or k.per == NULL:
        return
    for j in range(i):
        other = &kernels[j]
        if other.kind == K_SHIFT and not other.per_shared and other.per != NULL and \
                other.plen2 == k.plen2 and memcmp(other.prefix2, k.prefix2, k.plen2) == 0 and \
                memcmp(other.prf.key, k.prf.key, 32) == 0 and other.days == k.days:
            sp_zfree(k.per, PER_SLOTS * sizeof(PerSlot))
            k.per = other.per
            k.per_shared = True
            return
    _adopt_per_table(k)


cdef struct PerTable:
    uint8_t key[32]      # the spec's domain key, tag and days: one spec, one offset per value
    char prefix[16]
    Py_ssize_t plen
    long days
    PerSlot* per


DEF PER_TABLES = 16
cdef PerTable _per_tables[PER_TABLES]
cdef int _n_per_tables = 0


cdef void _adopt_per_table(Kernel* k) noexcept:
    """A date shift per entity takes the process's table of offsets for its spec.

    Why: each COPY block builds its own kernels, so every table shifted per patient
    computed every patient's offset again (EHR profile: 73,000 PRF calls for 2,000
    patients over 18 tables).  An offset is a keyed function of the spec and the per
    value alone, so one table per spec serves every block of the run (the codec holds
    the GIL, and ``--jobs`` workers are forked processes: no table is written by two
    threads).  The tables live as long as the process, at most ``PER_TABLES`` specs
    (about 900 KB of address space each, touched where a slot is written); further
    specs keep a table per kernel, as before.
    """
    global _n_per_tables
    cdef int t
    if k.kind != K_SHIFT or k.per == NULL or k.per_shared or k.plen2 > 16:
        return
    for t in range(_n_per_tables):
        if _per_tables[t].days == k.days and _per_tables[t].plen == k.plen2 and \
                memcmp(_per_tables[t].prefix, k.prefix2, k.plen2) == 0 and \
                memcmp(_per_tables[t].key, k.prf.key, 32) == 0:
            sp_zfree(k.per, PER_SLOTS * sizeof(PerSlot))
            k.per = _per_tables[t].per
            k.per_shared = True
            return
    if _n_per_tables < PER_TABLES and k.prf.klen == 32:
        t = _n_per_tables
        memcpy(_per_tables[t].key, k.prf.key, 32)
        memcpy(_per_tables[t].prefix, k.prefix2, k.plen2)
        _per_tables[t].plen = k.plen2
        _per_tables[t].days = k.days
        _per_tables[t].per = k.per  # the process's now: the kernel no longer frees it
        k.per_shared = True
        _n_per_tables += 1


cdef inline void _per_prefetch(Kernel* k, const char* s, Py_ssize_t n) noexcept nogil:
    """Start loading the bucket ``_per_offset`` will read for ``s`` (a 4-way bucket
    spans 4 cache lines): on a big clinic the table is past the CPU cache, and the
    load, left to ``_per_offset``, stalled the row (a third of its own time)."""
    cdef PerSlot* bucket
    if k.per == NULL or k.per_off or n > PER_KEY:
        return
    bucket = &k.per[<size_t>_hash(s, n) & <size_t>(PER_SLOTS - PER_WAYS)]
    sp_prefetch(bucket)
    sp_prefetch(<const char*>bucket + 64)
    sp_prefetch(<const char*>bucket + 128)
    sp_prefetch(<const char*>bucket + 192)


cdef int _per_offset(Kernel* k, const char* s, Py_ssize_t n) noexcept nogil:
    """A per value's offset, from the cache when it was seen (one PRF call per patient).

    Why buckets of PER_WAYS slots: a direct-mapped table of 4096 slots let two
    patients that share a slot evict each other row after row (EHR profile, 2,000
    patients: 255k PRF calls for 962k look-ups); 4-way buckets of 16384 slots keep
    every patient of a mid-size clinic.  Only speed depends on the cache.

    Why a verdict: where every row has its own per value (``patients.dob`` shifted
    per ``id``) the cache never hits and each look-up is a miss of the CPU cache
    and a store.  Every 8,192 look-ups the hit rate is judged, and under 1 in 16
    the cache is bypassed (the PRF runs every row) for the next 65,536 look-ups,
    then judged again: a table whose first rows are new patients and later rows
    their visits gets the cache back.  What the cache holds stays valid while it
    is bypassed (an offset is the PRF's).
    """
    cdef uint64_t h
    cdef PerSlot* bucket
    cdef PerSlot* slot
    cdef int off, w
    if n > PER_KEY:
        return _shift_offset(k, k.prefix2, k.plen2, s, n)
    if k.per_off:
        k.per_lookups += 1
        if k.per_lookups >= 65536:
            k.per_off = False  # on probation again: judged after 8,192 look-ups
            k.per_lookups = 0
            k.per_hits = 0
        return _shift_offset(k, k.prefix2, k.plen2, s, n)
    k.per_lookups += 1
    if k.per_lookups >= 8192:
        if k.per_hits * 16 < k.per_lookups:
            k.per_off = True
        k.per_lookups = 0
        k.per_hits = 0
    h = _hash(s, n)
    bucket = &k.per[<size_t>h & <size_t>(PER_SLOTS - PER_WAYS)]
    slot = NULL
    for w in range(PER_WAYS):
        if bucket[w].klen == n + 1 and bucket[w].h == h and memcmp(bucket[w].key, s, n) == 0:
            k.per_hits += 1
            return bucket[w].offset
        if slot == NULL and bucket[w].klen == 0:
            slot = &bucket[w]
    if slot == NULL:
        slot = &bucket[k.per_clock % PER_WAYS]
        k.per_clock += 1
    off = _shift_offset(k, k.prefix2, k.plen2, s, n)
    slot.h = h
    slot.klen = <int>n + 1
    slot.offset = off
    memcpy(slot.key, s, n)
    return off


cdef inline long _days_from_civil(long y, long m, long d) noexcept nogil:
    """``dates.days_from_civil`` for years >= 1 (no negative division: every quotient
    is of a number >= 0, so unsigned, which divides by a constant in fewer steps)."""
    y -= m <= 2
    cdef unsigned long uy = <unsigned long>y
    cdef unsigned long era = uy // 400
    cdef unsigned long yoe = uy - era * 400
    cdef unsigned long doy = (153 * <unsigned long>(m + (-3 if m > 2 else 9)) + 2) // 5 \
        + <unsigned long>d - 1
    cdef unsigned long doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return <long>(era * 146097 + doe) - 719468


cdef inline void _civil_from_days(long z, long* y, long* m, long* d) noexcept nogil:
    """``dates.civil_from_days`` for days on or after 0000-03-01 (no negative division:
    unsigned, as in ``_days_from_civil``)."""
    cdef unsigned long uz = <unsigned long>(z + 719468)
    cdef unsigned long era = uz // 146097
    cdef unsigned long doe = uz - era * 146097
    cdef unsigned long yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    cdef unsigned long doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    cdef unsigned long mp = (5 * doy + 2) // 153
    d[0] = <long>(doy - (153 * mp + 2) // 5 + 1)
    m[0] = <long>mp + (3 if mp < 10 else -9)
    y[0] = <long>(yoe + era * 400) + (m[0] <= 2)


cdef Py_ssize_t _k_shift(const char* s, Py_ssize_t n, char* out, int offset) noexcept nogil:
    """``make_shift`` on ``YYYY-MM-DD`` plus any tail (a time, an offset), years 1..9999.

    BC dates, other year widths and results outside 1..9999 go to the fallback.
    """
    cdef long y, m, d, z
    if n < 10 or n >= KOUT or not _read_ymd(s, &y, &m, &d):
        return -1
    if n >= 11 and s[10] >= 48 and s[10] <= 57:
        return -1  # a longer year (12345-01-01) is not this shape
    if n >= 13 and memcmp(s + n - 3, b" BC", 3) == 0:
        return -1
    z = _days_from_civil(y, m, d) + offset
    if z < -719468:
        return -1
    _civil_from_days(z, &y, &m, &d)
    if y < 1 or y > 9999:
        return -1
    # YYYY-MM-DD written two digits at a time from a table (1 <= y <= 9999), then the
    # tail as it was.
    memcpy(out, _DIGITS2 + 2 * (y // 100), 2)
    memcpy(out + 2, _DIGITS2 + 2 * (y % 100), 2)
    out[4] = 45
    memcpy(out + 5, _DIGITS2 + 2 * m, 2)
    out[7] = 45
    memcpy(out + 8, _DIGITS2 + 2 * d, 2)
    sp_copy(out + 10, s + 10, n - 10)
    return n


cdef Py_ssize_t _k_zip3(const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``zip3._generalize``: keep the first three digits unless the area is restricted."""
    cdef Py_ssize_t i, cut = -1
    cdef int seen = 0, area = 0
    if n > KOUT:
        return -1
    memcpy(out, s, n)
    for i in range(n):
        if s[i] >= 48 and s[i] <= 57:
            if seen < 3:
                area = area * 10 + (s[i] - 48)
            seen += 1
            if seen == 3:
                cut = i + 1
    if seen >= 3 and not _restricted(area):
        i = cut
    else:
        i = 0
    while i < n:
        if out[i] >= 48 and out[i] <= 57:
            out[i] = 48
        i += 1
    return n


cdef inline bint _restricted(int area) noexcept nogil:
    # zip3.RESTRICTED_ZIP3; the differential test checks the two lists agree.
    return (area == 36 or area == 59 or area == 63 or area == 102 or area == 203
            or area == 556 or area == 692 or area == 790 or area == 821 or area == 823
            or area == 830 or area == 831 or area == 878 or area == 879 or area == 884
            or area == 890 or area == 893)


RESTRICTED_ZIP3 = frozenset(f"{a:03d}" for a in range(1000) if _restricted(a))


cdef inline Py_ssize_t _rstripped(Kernel* k, const char* s, Py_ssize_t n) noexcept nogil:
    if k.rstrip:
        while n > 0 and s[n - 1] == 32:
            n -= 1
    return n


cdef inline bint _array_space(char c) noexcept nogil:
    return c == 32 or 9 <= c <= 13  # array_isspace()


cdef Py_ssize_t _put_array_item(const char* e, Py_ssize_t m, char* out, Py_ssize_t o) noexcept nogil:
    """Write one element as array_out does (transforms/arrays.py ``_quote``); -1 when
    it does not fit in the kernel buffer."""
    cdef bint quote = m == 0
    cdef Py_ssize_t i
    cdef char c
    if m == 4 and (e[0] | 32) == 110 and (e[1] | 32) == 117 and (e[2] | 32) == 108 and \
            (e[3] | 32) == 108:
        quote = True  # NULL in any case
    for i in range(m):
        c = e[i]
        if c == 123 or c == 125 or c == 44 or c == 34 or c == 92 or _array_space(c):
            quote = True
            break
    if o + 2 * m + 2 > KOUT:
        return -1
    if not quote:
        memcpy(out + o, e, m)
        return o + m
    out[o] = 34
    o += 1
    for i in range(m):
        c = e[i]
        if c == 34 or c == 92:
            out[o] = 92
            o += 1
        out[o] = c
        o += 1
    out[o] = 34
    return o + 1


cdef Py_ssize_t _k_array(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """An array's text form with the element kernel applied to every non-NULL element,
    written back as array_out does (transforms/arrays.py ``map_array``).  Fields in the
    fast domain hold no backslash, so quoted elements end at the next quote.  Bounds
    prefixes, malformed text and any element the element kernel declines return -1:
    the Python function decides (and reports malformed text)."""
    cdef char elem[KOUT]
    cdef Py_ssize_t i = 0, o = 0, depth = 0, start, end, r
    cdef int state = 0   # 0: at a '{', 1: an item expected, 2: after an item
    cdef char c
    while i < n and _array_space(s[i]):
        i += 1
    if i >= n or s[i] != 123:
        return -1  # a bounds prefix, or not an array
    while True:
        if o + 4 >= KOUT:
            return -1
        if state == 0:
            out[o] = 123
            o += 1
            depth += 1
            i += 1
            while i < n and _array_space(s[i]):
                i += 1
            if i < n and s[i] == 125:  # an empty level
                out[o] = 125
                o += 1
                i += 1
                depth -= 1
                state = 2
            else:
                state = 1
        elif state == 1:
            while i < n and _array_space(s[i]):
                i += 1
            if i >= n:
                return -1
            c = s[i]
            if c == 123:
                state = 0
                continue
            if c == 34:
                i += 1
                start = i
                while i < n and s[i] != 34:
                    i += 1
                if i >= n:
                    return -1
                end = i
                i += 1
            else:
                start = i
                end = i
                while i < n and s[i] != 44 and s[i] != 125:
                    if s[i] == 123 or s[i] == 34:
                        return -1
                    if not _array_space(s[i]):
                        end = i + 1
                    i += 1
                if end == start:
                    return -1  # an empty unquoted element
                if end - start == 4 and (s[start] | 32) == 110 and \
                        (s[start + 1] | 32) == 117 and (s[start + 2] | 32) == 108 and \
                        (s[start + 3] | 32) == 108:
                    memcpy(out + o, b"NULL", 4)
                    o += 4
                    state = 2
                    continue
            r = _run_kernel(&k.parts[0], s + start, end - start, elem, NULL)
            if r < 0:
                return -1
            o = _put_array_item(elem, r, out, o)
            if o < 0:
                return -1
            state = 2
        else:
            while i < n and _array_space(s[i]):
                i += 1
            if depth == 0:
                return o if i == n else -1
            if i >= n:
                return -1
            if s[i] == 44:
                out[o] = 44
                o += 1
                i += 1
                state = 1
            elif s[i] == 125:
                out[o] = 125
                o += 1
                i += 1
                depth -= 1
            else:
                return -1


def per_tables():
    """How many specs have a process-wide table of per offsets (``_adopt_per_table``)."""
    return _n_per_tables
