# Included by _fast.pyx: the rewriter's memo tables and the row conditions' types.

# ---------------------------------------------------------------- memo table

cdef struct MemoSlot:
    uint64_t h
    char* block          # key bytes then output bytes; NULL marks an empty slot
    Py_ssize_t klen
    Py_ssize_t olen
    int flag             # 0 same (emit the raw bytes), 1 changed, 2 nulled


cdef struct Memo:
    MemoSlot* slots
    size_t mask
    Py_ssize_t used
    bint enabled
    bint adaptive        # a kernel entry: stop memoising when hits are rare
    bint judged          # passed a verdict since it was last emptied (_memo_verdict)
    Py_ssize_t lookups
    Py_ssize_t hits


cdef enum:
    # A memo is judged on its hit rate every 8,192 lookups, and once more when it first
    # holds _MEMO_PROBATION values (_memo_lookup): so a table of values that never
    # repeat (a patients table: one SSN, e-mail, address per row) stops filling memos
    # at that size, whatever the table's length.
    _MEMO_PROBATION = 4096
    _MEMO_VERDICT = 8192


cdef void _memo_clear(Memo* m) noexcept nogil:
    cdef size_t i
    if m.slots == NULL:
        return
    for i in range(m.mask + 1):
        if m.slots[i].block != NULL:
            free(m.slots[i].block)
            m.slots[i].block = NULL
    m.used = 0


cdef void _memo_free(Memo* m) noexcept nogil:
    _memo_clear(m)
    free(m.slots)
    m.slots = NULL
    m.mask = 0


cdef inline MemoSlot* _memo_find(Memo* m, uint64_t h, const char* key, Py_ssize_t klen) noexcept nogil:
    """The slot holding ``key``, or the empty slot where it would go (NULL if no table yet)."""
    cdef size_t i
    cdef MemoSlot* slot
    if m.slots == NULL:
        return NULL
    i = <size_t>h & m.mask
    while True:
        slot = &m.slots[i]
        if slot.block == NULL:
            return slot
        if slot.h == h and slot.klen == klen and sp_eq(slot.block, key, klen):
            return slot
        i = (i + 1) & m.mask


cdef inline MemoSlot* _memo_lookup(Memo* m, uint64_t h, const char* key,
                                   Py_ssize_t klen) noexcept nogil:
    """``_memo_find`` counting hits, judging the memo now and then (``_memo_verdict``)."""
    cdef MemoSlot* slot = _memo_find(m, h, key, klen)
    m.lookups += 1
    if m.lookups >= _MEMO_VERDICT or (m.used >= _MEMO_PROBATION and not m.judged):
        _memo_verdict(m)
        if not m.enabled or m.slots == NULL:
            return NULL
    if slot != NULL and slot.block != NULL:
        m.hits += 1
    return slot


cdef void _memo_verdict(Memo* m) noexcept nogil:
    """A memo whose values barely repeat costs memory (and, before a kernel, time).

    An adaptive memo (of a kernel, cheaper than a lookup when it misses) switches
    itself off when under a quarter of its lookups since the last verdict hit; any
    other memo (of a Python call, which a hit saves) is emptied, slots and all, when
    under 1/16 hit, and is on probation again (judged when it holds
    ``_MEMO_PROBATION`` values), so it never holds more.
    """
    if m.adaptive and m.hits * 4 < m.lookups:
        _memo_free(m)
        m.enabled = False
    elif not m.adaptive and m.hits * 16 < m.lookups:
        _memo_free(m)
        m.judged = False
    else:
        m.judged = True
    m.lookups = 0
    m.hits = 0


cdef int _memo_grow(Memo* m) except -1:
    cdef size_t newcap = 256 if m.slots == NULL else (m.mask + 1) * 2
    cdef MemoSlot* fresh = <MemoSlot*>calloc(newcap, sizeof(MemoSlot))
    cdef size_t i, j
    if fresh == NULL:
        raise MemoryError()
    if m.slots != NULL:
        for i in range(m.mask + 1):
            if m.slots[i].block != NULL:
                j = <size_t>m.slots[i].h & (newcap - 1)
                while fresh[j].block != NULL:
                    j = (j + 1) & (newcap - 1)
                fresh[j] = m.slots[i]
        free(m.slots)
    m.slots = fresh
    m.mask = newcap - 1
    return 0


cdef int _memo_store(Memo* m, uint64_t h, const char* key, Py_ssize_t klen,
                     const char* out, Py_ssize_t olen, int flag) except -1:
    cdef MemoSlot* slot
    cdef char* block
    if m.used >= _MEMO_LIMIT:
        _memo_clear(m)
    if m.slots == NULL or <size_t>(m.used + 1) * 2 > m.mask + 1:
        _memo_grow(m)
    slot = _memo_find(m, h, key, klen)
    if slot.block != NULL:
        return 0  # already there (cannot happen after a miss, kept for safety)
    block = <char*>malloc(klen + olen + 1)
    if block == NULL:
        raise MemoryError()
    memcpy(block, key, klen)
    if olen:
        memcpy(block + klen, out, olen)
    slot.h = h
    slot.block = block
    slot.klen = klen
    slot.olen = olen
    slot.flag = flag
    m.used += 1
    return 0


cdef struct WCond:
    # One condition of a when transform, as C: the field it tests and how.
    Py_ssize_t q          # the field
    int op                # 0 null, 1 not null, 2 in/equals, 3 not in, 4 the test below
    Py_ssize_t nv         # op 2/3: the texts (UTF-8), borrowed from _wkeep
    const char** v
    Py_ssize_t* vl
    PyObject* test        # op 4: the condition's own test, borrowed from _wkeep
    Memo memo             # op 2/3 with many texts: the set of them; op 4: its results


cdef struct WCase:
    Py_ssize_t c0         # its conditions: _wc[c0:c0 + nc], all must hold
    Py_ssize_t nc
    int action


cdef struct WSpec:
    bint present          # the plan entry is a when transform
    Py_ssize_t k0         # its cases: _wcs[k0:k0 + nk], the first that holds wins
    Py_ssize_t nk
    int otherwise


#: An ``in`` list longer than this is looked up as a hash set, not compared in turn.
_WHEN_SET_FROM = 8
