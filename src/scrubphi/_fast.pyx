"""The COPY row codec, compiled: the fast twin of ``_pure.py``.

Why it exists: scrubbing a PHI-heavy table must not make scrubphi the slow
stage of ``pg_dump | scrubphi | psql``.  The hot loops work on ``const char*``
and lengths, find line and field ends with ``memchr``, classify bytes with
tables built at import, and create Python objects only for the fields a
transform has to see.  Output is built in one growing C buffer; input that does
not change is copied in as few ``memcpy`` calls as possible, and a buffer in
which nothing changes is returned as it came.

Memo: for cacheable transforms without a per field, raw field bytes map to the
escaped output in a small open-addressing hash table per plan entry (seeded
hash, keys compared with ``memcmp``), so a cache hit costs no allocation and no
Python call.  A table is cleared when it holds ``MEMO_LIMIT`` entries.

Semantics are those of ``_pure.py``, byte for byte, including the order in
which errors are detected; errors never carry a cell's value.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF, Py_XDECREF, Py_INCREF
from libc.stdint cimport uint64_t, uint8_t
from libc.stdlib cimport free, malloc, realloc, calloc
from libc.string cimport memchr, memcmp, memcpy, memset

import os as _os

from scrubphi.errors import CodecError, TransformError

__all__ = [
    "IMPLEMENTATION",
    "MEMO_LIMIT",
    "CopyRewriter",
    "escape_field",
    "unescape_field",
]

IMPLEMENTATION = "compiled"

#: A per-column memo is cleared when it holds this many entries, so memory stays bounded.
MEMO_LIMIT = 65536
cdef enum:
    _MEMO_LIMIT = 65536


cdef extern from "Python.h":
    PyObject* PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)
    const char* PyUnicode_AsUTF8AndSize(object unicode, Py_ssize_t* size)
    void PyErr_Clear()
    bint PyUnicode_Check(object o)
    object PyObject_CallOneArg(object callable, object arg)


# ---------------------------------------------------------------- byte tables

cdef char _OUT_ESC[256]       # byte -> escape letter, 0 when written raw
cdef char _IN_SIMPLE[256]     # letter after a backslash -> byte, for \\ \b \f \n \r \t \v
cdef bint _IN_SIMPLE_OK[256]
cdef int _HEX[256]            # hex digit -> value, -1 otherwise


cdef void _init_tables():
    cdef int i
    for i in range(256):
        _OUT_ESC[i] = 0
        _IN_SIMPLE[i] = 0
        _IN_SIMPLE_OK[i] = 0
        _HEX[i] = -1
    _OUT_ESC[ord("\\")] = ord("\\")
    _OUT_ESC[8] = ord("b")
    _OUT_ESC[12] = ord("f")
    _OUT_ESC[10] = ord("n")
    _OUT_ESC[13] = ord("r")
    _OUT_ESC[9] = ord("t")
    _OUT_ESC[11] = ord("v")
    for i in range(256):
        if _OUT_ESC[i] != 0:
            _IN_SIMPLE[<uint8_t>_OUT_ESC[i]] = <char>i
            _IN_SIMPLE_OK[<uint8_t>_OUT_ESC[i]] = 1
    for i in range(10):
        _HEX[ord("0") + i] = i
    for i in range(6):
        _HEX[ord("a") + i] = 10 + i
        _HEX[ord("A") + i] = 10 + i


_init_tables()

cdef uint64_t _SEED = int.from_bytes(_os.urandom(8), "little")


# ---------------------------------------------------------------- helpers

cdef inline uint64_t _rotl(uint64_t x, int r) noexcept nogil:
    return (x << r) | (x >> (64 - r))


cdef inline uint64_t _fmix(uint64_t k) noexcept nogil:
    k ^= k >> 33
    k *= 0xff51afd7ed558ccdULL
    k ^= k >> 33
    k *= 0xc4ceb9fe1a85ec53ULL
    k ^= k >> 33
    return k


cdef inline uint64_t _hash(const char* s, Py_ssize_t n) noexcept nogil:
    """Seeded MurmurHash3-style 64-bit hash; the seed changes every process."""
    cdef uint64_t h = _SEED ^ (<uint64_t>n * 0x9e3779b97f4a7c15ULL)
    cdef uint64_t k
    cdef const char* p = s
    cdef Py_ssize_t left = n
    while left >= 8:
        memcpy(&k, p, 8)
        k *= 0x87c37b91114253d5ULL
        k = _rotl(k, 31)
        k *= 0x4cf5ad432745937fULL
        h ^= k
        h = _rotl(h, 27) * 5 + 0x52dce729
        p += 8
        left -= 8
    if left:
        k = 0
        memcpy(&k, p, left)
        k *= 0x87c37b91114253d5ULL
        k = _rotl(k, 31)
        k *= 0x4cf5ad432745937fULL
        h ^= k
    return _fmix(h ^ <uint64_t>n)


cdef Py_ssize_t _unescape_into(const char* s, Py_ssize_t n, char* dst) noexcept nogil:
    """Strict COPY unescape of ``s[:n]`` into ``dst`` (room for n bytes).

    Returns the length written, or -1 on a bad escape sequence.
    """
    cdef Py_ssize_t i = 0
    cdef char* d = dst
    cdef uint8_t c
    cdef int v, digits
    while i < n:
        c = <uint8_t>s[i]
        if c != 92:  # not a backslash
            d[0] = <char>c
            d += 1
            i += 1
            continue
        i += 1
        if i >= n:
            return -1
        c = <uint8_t>s[i]
        if c >= 48 and c <= 55:  # octal digit
            v = c - 48
            i += 1
            digits = 1
            while digits < 3 and i < n and <uint8_t>s[i] >= 48 and <uint8_t>s[i] <= 55:
                v = (v << 3) + (<uint8_t>s[i] - 48)
                i += 1
                digits += 1
            d[0] = <char>(v & 0xFF)
            d += 1
        elif c == 120:  # x
            i += 1
            if i >= n or _HEX[<uint8_t>s[i]] < 0:
                return -1
            v = _HEX[<uint8_t>s[i]]
            i += 1
            if i < n and _HEX[<uint8_t>s[i]] >= 0:
                v = (v << 4) + _HEX[<uint8_t>s[i]]
                i += 1
            d[0] = <char>v
            d += 1
        elif _IN_SIMPLE_OK[c]:
            d[0] = _IN_SIMPLE[c]
            d += 1
            i += 1
        else:
            return -1
    return d - dst


cdef inline bint _is_null(const char* s, Py_ssize_t n) noexcept nogil:
    return n == 2 and s[0] == 92 and s[1] == 78  # \N


cdef object _decode(const char* s, Py_ssize_t n, char** scratch, Py_ssize_t* scap,
                    Py_ssize_t row, Py_ssize_t field):
    """Unescape and strictly decode one raw field; ``None`` for ``\\N``."""
    cdef const char* src = s
    cdef Py_ssize_t m = n
    cdef char* grown
    cdef PyObject* res
    if _is_null(s, n):
        return None
    if memchr(s, 13, n) != NULL:
        raise CodecError("literal carriage return", row, field)
    if memchr(s, 92, n) != NULL:
        if scap[0] < n:
            grown = <char*>realloc(scratch[0], n + 1)
            if grown == NULL:
                raise MemoryError()
            scratch[0] = grown
            scap[0] = n + 1
        m = _unescape_into(s, n, scratch[0])
        if m < 0:
            raise CodecError("bad escape sequence", row, field)
        src = scratch[0]
    res = PyUnicode_DecodeUTF8(src, m, "strict")
    if res == NULL:
        # Dropped, not chained: the decode error would hold the cell's bytes.
        PyErr_Clear()
        raise CodecError("invalid UTF-8", row, field)
    value = <object>res
    Py_DECREF(value)
    return value


# ---------------------------------------------------------------- module API

def escape_field(bytes value not None):
    """Escape bytes the way PostgreSQL's CopyAttributeOutText does."""
    cdef const char* s = PyBytes_AS_STRING(value)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(value)
    cdef Py_ssize_t i, extra = 0
    for i in range(n):
        if _OUT_ESC[<uint8_t>s[i]]:
            extra += 1
    if extra == 0:
        return value
    out = PyBytes_FromStringAndSize(NULL, n + extra)
    cdef char* d = PyBytes_AS_STRING(out)
    cdef char e
    for i in range(n):
        e = _OUT_ESC[<uint8_t>s[i]]
        if e:
            d[0] = 92
            d[1] = e
            d += 2
        else:
            d[0] = s[i]
            d += 1
    return out


def unescape_field(bytes raw not None):
    """Strictly unescape one raw COPY field; ``None`` for ``\\N``.

    Raises ``CodecError`` (row 0, field 0) on a bad escape or a raw CR.
    """
    cdef const char* s = PyBytes_AS_STRING(raw)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(raw)
    cdef Py_ssize_t m
    if _is_null(s, n):
        return None
    if memchr(s, 13, n) != NULL:
        raise CodecError("literal carriage return", 0, 0)
    if memchr(s, 92, n) == NULL:
        return raw
    out = PyBytes_FromStringAndSize(NULL, n)
    m = _unescape_into(s, n, PyBytes_AS_STRING(out))
    if m < 0:
        raise CodecError("bad escape sequence", 0, 0)
    return out[:m]


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
        if slot.h == h and slot.klen == klen and memcmp(slot.block, key, klen) == 0:
            return slot
        i = (i + 1) & m.mask


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


# ---------------------------------------------------------------- the rewriter

cdef class CopyRewriter:
    """Rewrites the rows of one COPY block, changing only the planned fields.

    ``plan`` holds ``(field_index, fn, per_index, cacheable)``: ``fn(value)``
    when ``per_index`` is -1, otherwise ``fn(value, per_value)`` with the
    decoded original value of field ``per_index``.  ``fn`` gets ``str`` or
    ``None`` (NULL) and returns ``str`` or ``None``.  With ``cacheable`` (and no
    per field) results are memoised by the raw field bytes.
    """

    cdef Py_ssize_t _ncols
    cdef Py_ssize_t _max_row
    cdef Py_ssize_t _nplan
    cdef Py_ssize_t _rows
    cdef list _fns
    cdef Py_ssize_t* _field
    cdef Py_ssize_t* _per
    cdef Py_ssize_t* _slot        # original plan index of each (field-sorted) entry, for counts
    cdef Memo* _memos
    cdef long long* _counts
    cdef long long* _work
    cdef Py_ssize_t* _starts
    cdef Py_ssize_t* _ends
    cdef PyObject** _pervals      # per-row cache of decoded per fields (owned refs)
    cdef Py_ssize_t* _perlist     # distinct per indices, to reset the cache
    cdef Py_ssize_t _nper
    cdef char* _out
    cdef Py_ssize_t _olen
    cdef Py_ssize_t _ocap
    cdef char* _scratch
    cdef Py_ssize_t _scap
    cdef const char* _base
    cdef Py_ssize_t _pending
    cdef bint _busy               # process() is running: a transform must not re-enter it

    def __cinit__(self):
        self._fns = []

    def __init__(self, ncols, plan, max_row):
        cdef Py_ssize_t nc = ncols
        cdef Py_ssize_t mr = max_row
        cdef Py_ssize_t i, f, p
        cdef Py_ssize_t k = 0
        if nc < 0:
            raise ValueError("ncols must not be negative")
        if mr < 0:
            raise ValueError("max_row must not be negative")
        if self._field != NULL:
            raise RuntimeError("CopyRewriter is already initialised")
        entries = list(plan)
        fields = []
        pers = []
        cache = []
        fns = []
        seen = set()
        order = []
        for index, entry in enumerate(entries):
            field, fn, per, cacheable = entry
            field = int(field)
            per = int(per)
            if not 0 <= field < nc:
                raise ValueError(f"plan field index {field} out of range for {nc} fields")
            if field in seen:
                raise ValueError(f"plan field index {field} appears twice")
            seen.add(field)
            if not -1 <= per < nc:
                raise ValueError(f"plan per-field index {per} out of range for {nc} fields")
            if not callable(fn):
                raise TypeError(f"plan entry for field {field} has a transform that is not callable")
            order.append((field, index, fn, per, bool(cacheable) and per == -1))
        # Fields are handled left to right whatever the plan's order (so are errors),
        # which is also what lets output be spliced in one pass; counts stay
        # indexed by plan entry.
        order.sort(key=lambda e: e[0])
        slots = []
        for field, index, fn, per, cacheable in order:
            fields.append(field)
            slots.append(index)
            pers.append(per)
            cache.append(cacheable)
            fns.append(fn)
        self._ncols = nc
        self._max_row = mr
        self._nplan = len(fields)
        self._fns = fns
        n = self._nplan
        self._field = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._per = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._slot = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._memos = <Memo*>calloc(n + 1, sizeof(Memo))
        self._counts = <long long*>calloc(2 * n + 1, sizeof(long long))
        self._work = <long long*>calloc(2 * n + 1, sizeof(long long))
        self._starts = <Py_ssize_t*>calloc(nc + 1, sizeof(Py_ssize_t))
        self._ends = <Py_ssize_t*>calloc(nc + 1, sizeof(Py_ssize_t))
        self._pervals = <PyObject**>calloc(nc + 1, sizeof(PyObject*))
        self._perlist = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        if (self._field == NULL or self._per == NULL or self._slot == NULL or self._memos == NULL
                or self._counts == NULL or self._work == NULL or self._starts == NULL
                or self._ends == NULL or self._pervals == NULL or self._perlist == NULL):
            raise MemoryError()
        for i in range(n):
            f = fields[i]
            p = pers[i]
            self._field[i] = f
            self._per[i] = p
            self._slot[i] = slots[i]
            self._memos[i].enabled = cache[i]
            if p >= 0 and p not in pers[:i]:
                self._perlist[k] = p
                k += 1
        self._nper = k

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self._memos != NULL:
            for i in range(self._nplan):
                _memo_free(&self._memos[i])
        if self._pervals != NULL:
            for i in range(self._ncols):
                Py_XDECREF(self._pervals[i])
        free(self._field)
        free(self._per)
        free(self._slot)
        free(self._memos)
        free(self._counts)
        free(self._work)
        free(self._starts)
        free(self._ends)
        free(self._pervals)
        free(self._perlist)
        free(self._out)
        free(self._scratch)

    @property
    def rows(self):
        """Rows rewritten so far by successful ``process`` calls (``\\.`` not counted)."""
        return self._rows

    @property
    def counts(self):
        """Per plan entry i: ``[2*i]`` values changed, ``[2*i+1]`` values made NULL."""
        return [self._counts[i] for i in range(2 * self._nplan)]

    # -- output buffer ---------------------------------------------------

    cdef inline int _reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t need = self._olen + extra
        cdef Py_ssize_t cap
        cdef char* grown
        if need <= self._ocap:
            return 0
        cap = self._ocap * 2 if self._ocap else 65536
        while cap < need:
            cap *= 2
        grown = <char*>realloc(self._out, cap)
        if grown == NULL:
            raise MemoryError()
        self._out = grown
        self._ocap = cap
        return 0

    cdef inline int _flush(self, Py_ssize_t upto) except -1:
        """Copy the unchanged input from the pending mark up to ``upto``."""
        cdef Py_ssize_t n = upto - self._pending
        if n > 0:
            self._reserve(n)
            memcpy(self._out + self._olen, self._base + self._pending, n)
            self._olen += n
        self._pending = upto
        return 0

    cdef inline int _put(self, const char* s, Py_ssize_t n) except -1:
        self._reserve(n)
        memcpy(self._out + self._olen, s, n)
        self._olen += n
        return 0

    cdef int _put_escaped(self, const char* s, Py_ssize_t n) except -1:
        cdef char* d
        cdef Py_ssize_t i
        cdef char e
        self._reserve(2 * n)
        d = self._out + self._olen
        for i in range(n):
            e = _OUT_ESC[<uint8_t>s[i]]
            if e:
                d[0] = 92
                d[1] = e
                d += 2
            else:
                d[0] = s[i]
                d += 1
        self._olen = d - self._out
        return 0

    # -- rows ----------------------------------------------------------------

    cdef int _split(self, Py_ssize_t start, Py_ssize_t length, Py_ssize_t row) except -1:
        """Record field boundaries (absolute offsets); check the field count."""
        cdef const char* line = self._base + start
        cdef const char* s = line
        cdef const char* e = line + length
        cdef const char* t
        cdef Py_ssize_t k = 0
        cdef Py_ssize_t last = self._ncols - 1
        cdef Py_ssize_t found
        if self._ncols == 0:
            if length != 0:
                found = 1
                while True:
                    t = <const char*>memchr(s, 9, e - s)
                    if t == NULL:
                        break
                    found += 1
                    s = t + 1
                raise CodecError(f"expected 0 fields, found {found}", row)
            return 0
        while True:
            t = <const char*>memchr(s, 9, e - s)
            if t == NULL:
                break
            if k == last:
                found = k + 1
                while t != NULL:
                    found += 1
                    s = t + 1
                    t = <const char*>memchr(s, 9, e - s)
                raise CodecError(f"expected {self._ncols} fields, found {found}", row)
            self._starts[k] = s - self._base
            self._ends[k] = t - self._base
            k += 1
            s = t + 1
        self._starts[k] = s - self._base
        self._ends[k] = e - self._base
        k += 1
        if k != self._ncols:
            raise CodecError(f"expected {self._ncols} fields, found {k}", row)
        return 0

    cdef object _per_value(self, Py_ssize_t p, Py_ssize_t row):
        cdef PyObject* cached = self._pervals[p]
        if cached != NULL:
            return <object>cached
        value = _decode(self._base + self._starts[p], self._ends[p] - self._starts[p],
                        &self._scratch, &self._scap, row, p)
        Py_INCREF(value)
        self._pervals[p] = <PyObject*>value
        return value

    cdef void _reset_per(self) noexcept:
        cdef Py_ssize_t i, p
        for i in range(self._nper):
            p = self._perlist[i]
            if self._pervals[p] != NULL:
                Py_DECREF(<object>self._pervals[p])
                self._pervals[p] = NULL

    cdef int _row(self, Py_ssize_t row) except -1:
        """Transform the planned fields of the row whose boundaries ``_split`` recorded."""
        cdef Py_ssize_t i, f, p, fs, fl, olen
        cdef const char* raw
        cdef Memo* memo
        cdef MemoSlot* slot
        cdef uint64_t h = 0
        cdef int flag
        cdef const char* enc
        cdef Py_ssize_t enclen
        cdef Py_ssize_t mark
        for i in range(self._nplan):
            f = self._field[i]
            fs = self._starts[f]
            fl = self._ends[f] - fs
            raw = self._base + fs
            memo = &self._memos[i]
            if memo.enabled:
                h = _hash(raw, fl)
                slot = _memo_find(memo, h, raw, fl)
                if slot != NULL and slot.block != NULL:
                    flag = slot.flag
                    if flag:
                        self._flush(fs)
                        self._put(slot.block + slot.klen, slot.olen)
                        self._pending = fs + fl
                        self._work[2 * self._slot[i] + flag - 1] += 1
                    continue
            value = _decode(raw, fl, &self._scratch, &self._scap, row, f)
            fn = self._fns[i]
            p = self._per[i]
            try:
                if p < 0:
                    result = PyObject_CallOneArg(fn, value)
                else:
                    result = fn(value, self._per_value(p, row))
            except TransformError as exc:
                raise CodecError(exc.reason, row, f) from None
            if result is None:
                flag = 0 if value is None else 2
            elif not PyUnicode_Check(result):
                raise TypeError(
                    f"transform for field {f} returned {type(result).__name__},"
                    " expected str or None"
                )
            elif value is not None and result == value:
                flag = 0
            else:
                flag = 1
            if flag == 0:
                if memo.enabled:
                    _memo_store(memo, h, raw, fl, NULL, 0, 0)
                continue
            if flag == 1:
                enc = PyUnicode_AsUTF8AndSize(result, &enclen)
                if enc == NULL:
                    PyErr_Clear()
                    raise CodecError(
                        "transform returned text that is not encodable as UTF-8", row, f)
            self._flush(fs)
            mark = self._olen
            if flag == 1:
                self._put_escaped(enc, enclen)
            else:
                self._put(b"\\N", 2)
            self._pending = fs + fl
            self._work[2 * self._slot[i] + flag - 1] += 1
            if memo.enabled:
                _memo_store(memo, h, raw, fl, self._out + mark, self._olen - mark, flag)
        return 0

    def process(self, bytes buf not None, Py_ssize_t pos):
        """Rewrite every complete line of ``buf[pos:]``.

        Returns ``(output, next_pos, done)``: ``done`` when the ``\\.`` line was
        reached (it is part of the output and ``next_pos`` is just after it),
        otherwise ``next_pos`` is the start of the first incomplete line, which
        the caller keeps and feeds again with more data.  Counts and ``rows``
        change only when the call succeeds.
        """
        cdef const char* base = PyBytes_AS_STRING(buf)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(buf)
        cdef Py_ssize_t start = pos
        cdef Py_ssize_t row = 0
        cdef Py_ssize_t linelen
        cdef const char* p
        cdef const char* nl
        cdef bint done = False
        cdef Py_ssize_t i
        if self._field == NULL:
            raise RuntimeError("CopyRewriter.__init__ was not called")
        if pos < 0 or pos > n:
            raise ValueError("pos out of range")
        if self._busy:
            raise RuntimeError("CopyRewriter.process is not reentrant")
        self._busy = True
        self._base = base
        self._pending = pos
        self._olen = 0
        for i in range(2 * self._nplan):
            self._work[i] = self._counts[i]
        try:
            while True:
                p = base + pos
                nl = <const char*>memchr(p, 10, n - pos)
                if nl == NULL:
                    if n - pos > self._max_row:
                        raise CodecError(
                            f"row longer than the limit of {self._max_row} bytes", row)
                    break
                linelen = nl - p
                if linelen > self._max_row:
                    raise CodecError(f"row longer than the limit of {self._max_row} bytes", row)
                if linelen == 2 and p[0] == 92 and p[1] == 46:  # \.
                    pos += 3
                    done = True
                    break
                self._split(pos, linelen, row)
                if self._nplan:
                    self._row(row)
                    if self._nper:
                        self._reset_per()
                row += 1
                pos += linelen + 1
        finally:
            if self._nper:
                self._reset_per()
            self._base = NULL
            self._busy = False
        if self._olen == 0 and self._pending == start:
            # Nothing changed: hand back the input itself, or the slice of it.
            if start == 0 and pos == n:
                result = buf
            else:
                result = PyBytes_FromStringAndSize(base + start, pos - start)
        else:
            self._base = base
            self._flush(pos)
            self._base = NULL
            result = PyBytes_FromStringAndSize(self._out, self._olen)
        if self._ocap > (1 << 24):
            # A huge buffer went through; do not keep its copy around.
            free(self._out)
            self._out = NULL
            self._ocap = 0
        self._olen = 0
        self._rows += row
        for i in range(2 * self._nplan):
            self._counts[i] = self._work[i]
        return result, pos, done
