"""The COPY row codec, compiled: the fast twin of ``_pure.py``.

Why it exists: scrubbing a PHI-heavy table must not make scrubphi the slow
stage of ``pg_dump | scrubphi | psql``.  The hot loops work on ``const char*``
and lengths, find line ends with ``memchr`` and a row's tabs in one SSE2 pass,
classify bytes with tables built at import, and create Python objects only for
the fields a transform has to see.  Output is built in one growing C buffer;
input that does not change is copied in as few spans as possible (short ones
inline, not through ``memcpy``), and a buffer in which nothing changes is
returned as it came.

Memo: for cacheable transforms without a per field, raw field bytes map to the
escaped output in a small open-addressing hash table per plan entry (seeded
hash, keys compared with ``memcmp``), so a cache hit costs no allocation and no
Python call.  A table is cleared when it holds ``MEMO_LIMIT`` entries.  A row
hashes all its memoised fields first and prefetches their slots (then the
entries they point to), so the cache misses of big tables overlap.

Kernels: a plan entry may carry ``BuiltTransform.kernel``, a data-only
description of its transform (keyed fakes, unique fakes, tokenize, hash, mask,
dates, zip3, arrays of those, JSON paths over those).  On a memo miss, a field
that is printable ASCII without escapes goes to the C twin of that transform
(keyed BLAKE2s from ``_prf.h`` with the key block absorbed once; HMAC-SHA256 for
``hash``, on the CPU's SHA extensions when it has them; SipHash-2-4 Feistel
rounds, in 256-bit numbers for domains past 2**124; mixed-radix picks from the
pools; a JSON reader and writer for json paths), with no Python call and no
``str``; output that cannot need COPY escaping (checked per kernel at init) is
copied as it is.  Anything else, and anything a kernel declines, calls ``fn`` as
before, so every output is the Python transform's (``tests/test_kernels.py``
holds each kernel to it).  Memos are judged on their hit rate every 8,192
lookups and when they first hold 4,096 values: a kernel's switches itself off
when values barely repeat (the kernel is then cheaper than the lookup), any
other is emptied, so a column of values that never repeat holds at most 4,096.

Semantics are those of ``_pure.py``, byte for byte, including the order in
which errors are detected; errors never carry a cell's value.

Layout: this file holds the byte tables, the field codec, the module API and
``CopyRewriter``; the kernels are in the ``_fast_*.pxi`` files it includes
(keyed functions, kernel types and fakes, tokenize and unique fakes,
identifiers, dates, JSON paths, memos), each named by what it holds.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF, Py_XDECREF, Py_INCREF
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.stdint cimport uint32_t, uint64_t, uint8_t
from libc.stdlib cimport free, malloc, realloc, calloc
from libc.string cimport memchr, memcmp, memcpy, memset

import os as _os

from scrubphi.errors import CodecError, TransformError

__all__ = [
    "IMPLEMENTATION",
    "MEMO_LIMIT",
    "MEMO_PROBATION",
    "MEMO_VERDICT",
    "SHA_EXTENSIONS",
    "CopyRewriter",
    "KernelFn",
    "check_line",
    "escape_field",
    "insert_kernels",
    "insert_rows",
    "insert_shapes_ok",
    "unescape_field",
]

IMPLEMENTATION = "compiled"

#: A per-column memo is cleared when it holds this many entries, so memory stays bounded.
MEMO_LIMIT = 65536
#: A memo is judged on its hit rate every MEMO_VERDICT lookups, and when it first holds
#: MEMO_PROBATION values (again after it was emptied).
MEMO_PROBATION = 4096
MEMO_VERDICT = 8192
cdef enum:
    _MEMO_LIMIT = 65536


cdef extern from "Python.h":
    PyObject* PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)
    object PyUnicode_DecodeASCII(const char* s, Py_ssize_t size, const char* errors)
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

cdef inline Py_ssize_t _tabs_before(const char* p, Py_ssize_t k) noexcept nogil:
    cdef Py_ssize_t i, t = 0
    for i in range(k):
        if p[i] == 9:
            t += 1
    return t


cdef int _check_line(const char* p, Py_ssize_t n, Py_ssize_t row) except -1:
    """Validate one whole COPY row whatever the plan (see ``_pure.check_line``)."""
    cdef const char* hit = <const char*>memchr(p, 13, n)
    cdef Py_ssize_t k
    cdef int nxt
    if hit != NULL:
        raise CodecError("literal carriage return", row, _tabs_before(p, hit - p))
    if n >= 17 and memcmp(p, b"COPY ", 5) == 0 and memcmp(p + n - 12, b" FROM stdin;", 12) == 0:
        raise CodecError(
            "a row is a COPY statement: the end-of-data line before it is missing or damaged",
            row)
    hit = <const char*>memchr(p, 92, n)
    while hit != NULL:
        k = hit - p
        nxt = <uint8_t>p[k + 1] if k + 1 < n else -1
        if (nxt == 92 or nxt == 98 or nxt == 102 or nxt == 110 or nxt == 114 or nxt == 116
                or nxt == 118 or (48 <= nxt <= 55)
                or (nxt == 120 and k + 2 < n and _HEX[<uint8_t>p[k + 2]] >= 0)
                or (nxt == 78 and (k == 0 or p[k - 1] == 9) and (k + 2 == n or p[k + 2] == 9))):
            if k + 2 >= n:
                break
            hit = <const char*>memchr(p + k + 2, 92, n - k - 2)
            continue
        raise CodecError("bad escape sequence", row, _tabs_before(p, k))
    return 0


def check_line(bytes line not None, Py_ssize_t row):
    """Validate one whole COPY row (see ``_pure.check_line``); for tests."""
    _check_line(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line), row)


cdef inline char* _escape_into(const char* s, Py_ssize_t n, char* d) noexcept nogil:
    """Write ``s`` escaped as CopyAttributeOutText does to ``d`` (room for ``2 * n``);
    returns the end of what was written."""
    cdef Py_ssize_t i
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
    return d


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
    _escape_into(s, n, PyBytes_AS_STRING(out))
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


# ---------------------------------------------------------------- kernels (C)
# The C twins of the transforms, one file an idea (each included here, in this order:
# later ones use the types and functions of earlier ones).

include "_fast_keyed.pxi"      # keyed functions and wide arithmetic in C
include "_fast_kernels.pxi"    # kernel types, building a kernel, writers, fakes
include "_fast_tokenize.pxi"   # tokenize and unique fakes (keyed permutations)
include "_fast_ids.pxi"        # cards, IBAN, VIN, UUID, IP, hash, mask
include "_fast_dates.pxi"      # year, safe harbor, shift (per), zip3, arrays
include "_fast_numbers.pxi"    # generalize: round
include "_fast_json.pxi"       # JSON paths, the kernels' dispatch
include "_fast_memo.pxi"       # memo tables, row conditions' types
include "_fast_insert.pxi"     # the rows of an INSERT's VALUES (dump/inserts.py's twin)


# ---------------------------------------------------------------- the rewriter

cdef class CopyRewriter:
    """Rewrites the rows of one COPY block, changing only the planned fields.

    ``plan`` holds ``(field_index, fn, per_index, cacheable)``: ``fn(value)``
    when ``per_index`` is -1, otherwise ``fn(value, per_value)`` with the
    decoded original value of field ``per_index``.  ``fn`` gets ``str`` or
    ``None`` (NULL) and returns ``str`` or ``None``.  With ``cacheable`` (and no
    per field) results are memoised by the raw field bytes.

    An entry may carry a 5th element, ``BuiltTransform.kernel``: a data-only
    description of ``fn`` that is run in C on a memo miss when the raw field
    is printable ASCII without escapes; any other value, or one the kernel
    declines, goes to ``fn`` as before, so output is ``fn``'s by construction.
    """

    cdef Py_ssize_t _ncols
    cdef Py_ssize_t _max_row
    cdef Py_ssize_t _nplan
    cdef Py_ssize_t _rows
    cdef list _fns
    cdef list _reads              # per entry: the tuple of fields a when transform reads, or None
    cdef WSpec* _wsp              # per entry: a when transform's cases (present) or not
    cdef WCase* _wcs              # every when transform's cases, one flat array
    cdef WCond* _wc               # and their conditions
    cdef Py_ssize_t _nwc
    cdef list _wkeep              # what the conditions borrow (texts, tests)
    cdef Kernel* _wk              # the when transforms' branch kernels, one flat array
    cdef Py_ssize_t* _wkper       # and the field each one's per value is in (-1: none)
    cdef Memo* _wkmemos           # and their memos (kernels without per; adaptive)
    cdef Py_ssize_t _nwk
    cdef tuple _wfns              # the when transforms' memoised Python branches
    cdef Memo* _wmemos            # and their memos (a branch that reads the value alone)
    cdef Py_ssize_t _nwm
    cdef Py_ssize_t* _field
    cdef Py_ssize_t* _per
    cdef Py_ssize_t* _slot        # original plan index of each (field-sorted) entry, for counts
    cdef Memo* _memos
    cdef Kernel* _kernels         # C twins of the transforms, K_NONE where there is none
    cdef char* _kout              # kernel output buffer (KOUT bytes)
    cdef uint8_t* _digests        # per entry: a fake's PRF digest computed ahead
    cdef char* _has_digest
    cdef uint64_t* _hashes        # per entry: the memo hash of this row's field
    cdef int* _wact               # per ``when`` entry: this row's branch (_when_action)
    cdef uint64_t* _whashes       # per ``when`` entry: its branch memo's hash of the field
    cdef Py_ssize_t* _pending_fakes
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
        self._reads = []
        self._wkeep = []

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
            field, fn, per, cacheable = entry[:4]
            kernel = entry[4] if len(entry) > 4 else None
            field = int(field)
            reads = None
            if isinstance(per, tuple):
                # A when transform: fn(value, *values of these fields).
                reads = tuple(int(q) for q in per)
                if not reads or any(not 0 <= q < nc for q in reads):
                    raise ValueError(f"plan per-field indexes out of range for {nc} fields")
                per = -2
            per = int(per)
            if not 0 <= field < nc:
                raise ValueError(f"plan field index {field} out of range for {nc} fields")
            if field in seen:
                raise ValueError(f"plan field index {field} appears twice")
            seen.add(field)
            if not -2 <= per < nc or (per == -2 and reads is None):
                raise ValueError(f"plan per-field index {per} out of range for {nc} fields")
            if not callable(fn):
                raise TypeError(f"plan entry for field {field} has a transform that is not callable")
            when = None
            if per == -2:
                if kernel is not None and kernel[0] == "when":
                    when = kernel  # conditions and branch kernels the row loop runs in C
                kernel = None
            order.append((field, index, fn, per, bool(cacheable) and per == -1, kernel, reads,
                          when))
        # Fields are handled left to right whatever the plan's order (so are errors),
        # which is also what lets output be spliced in one pass; counts stay
        # indexed by plan entry.
        order.sort(key=lambda e: e[0])
        slots = []
        kernels = []
        all_reads = []
        whens = []
        for field, index, fn, per, cacheable, kernel, reads, when in order:
            # Per entries are not memoised; of the kernels only the date shift takes a per.
            kernels.append(kernel if cacheable or (kernel is not None and kernel[0] == "shift")
                           else None)
            fields.append(field)
            slots.append(index)
            pers.append(per)
            cache.append(cacheable)
            fns.append(fn)
            all_reads.append(reads)
            whens.append((when, reads))
        self._reads = all_reads
        self._ncols = nc
        self._max_row = mr
        self._nplan = len(fields)
        self._fns = fns
        n = self._nplan
        self._field = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._per = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._slot = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._memos = <Memo*>calloc(n + 1, sizeof(Memo))
        self._kernels = <Kernel*>calloc(n + 1, sizeof(Kernel))
        self._kout = <char*>malloc(KOUT)
        self._digests = <uint8_t*>calloc(n + 1, 32)
        self._has_digest = <char*>calloc(n + 1, 1)
        self._hashes = <uint64_t*>calloc(n + 1, sizeof(uint64_t))
        self._wact = <int*>calloc(n + 1, sizeof(int))
        self._whashes = <uint64_t*>calloc(n + 1, sizeof(uint64_t))
        self._pending_fakes = <Py_ssize_t*>calloc(n + 1, sizeof(Py_ssize_t))
        self._counts = <long long*>calloc(2 * n + 1, sizeof(long long))
        self._work = <long long*>calloc(2 * n + 1, sizeof(long long))
        self._starts = <Py_ssize_t*>calloc(nc + 1, sizeof(Py_ssize_t))
        self._ends = <Py_ssize_t*>calloc(nc + 1, sizeof(Py_ssize_t))
        self._pervals = <PyObject**>calloc(nc + 1, sizeof(PyObject*))
        self._perlist = <Py_ssize_t*>calloc(nc + 1, sizeof(Py_ssize_t))
        if (self._field == NULL or self._per == NULL or self._slot == NULL or self._memos == NULL
                or self._kernels == NULL or self._kout == NULL or self._digests == NULL
                or self._has_digest == NULL or self._hashes == NULL
                or self._wact == NULL or self._whashes == NULL
                or self._pending_fakes == NULL
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
            _kernel_init(&self._kernels[i], kernels[i])
            _const_init(&self._kernels[i], kernels[i])
            _share_per_offsets(self._kernels, i)
            if _cheaper_than_memo(self._kernels[i].kind):
                self._memos[i].enabled = False
            elif self._kernels[i].kind != K_NONE:
                self._memos[i].adaptive = True
        self._init_whens(whens)
        distinct = []
        for i in range(n):
            for p in (all_reads[i] if all_reads[i] is not None else (pers[i],)):
                if p >= 0 and p not in distinct:
                    distinct.append(p)
        for p in distinct:
            self._perlist[k] = p
            k += 1
        self._nper = k

    cdef int _init_whens(self, list whens) except -1:
        """The C form of each when transform: cases over field indexes, branch kernels.

        A case's action is -2 (keep the value), -1 (the Python function of the whole
        transform), the index of its branch kernel in ``_wk``, or ``-3 - j`` for the
        j-th memoised Python branch (``_wfns[j]``, whose result depends on the value
        alone: the codec calls it and memoises its output like any other column's).
        """
        cdef Py_ssize_t total = 0, k = 0, pys = 0
        for when, reads in whens:
            if when is not None:
                for _conds, branch in when[1]:
                    total += branch[0] == "kernel"
                    pys += branch[0] == "python" and len(branch) > 1
                total += when[2][0] == "kernel"
                pys += when[2][0] == "python" and len(when[2]) > 1
        self._wk = <Kernel*>calloc(total + 1, sizeof(Kernel))
        self._wkper = <Py_ssize_t*>calloc(total + 1, sizeof(Py_ssize_t))
        self._wkmemos = <Memo*>calloc(total + 1, sizeof(Memo))
        self._wmemos = <Memo*>calloc(pys + 1, sizeof(Memo))
        if self._wk == NULL or self._wkper == NULL or self._wkmemos == NULL or \
                self._wmemos == NULL:
            raise MemoryError()
        self._nwk = total
        self._nwm = pys
        fns = []
        out = []
        for when, reads in whens:
            if when is None:
                out.append(None)
                continue
            actions = []
            for branch in [b for _c, b in when[1]] + [when[2]]:
                if branch[0] == "keep":
                    actions.append(-2)
                elif branch[0] == "kernel":
                    _kernel_init(&self._wk[k], branch[1])
                    _const_init(&self._wk[k], branch[1])
                    self._wkper[k] = -1
                    if len(branch) > 2:
                        # A date shift keyed by a column the transform reads.
                        self._wkper[k] = int(reads[branch[2]])
                        if self._wk[k].kind != K_SHIFT:
                            _kernel_free(&self._wk[k])
                        _adopt_per_table(&self._wk[k])
                    actions.append(k if self._wk[k].kind != K_NONE else -1)
                    # Memoised like a column's kernel.
                    self._wkmemos[k].enabled = self._wkper[k] < 0 and \
                        not _cheaper_than_memo(self._wk[k].kind)
                    self._wkmemos[k].adaptive = True
                    k += 1
                elif len(branch) > 1:
                    if not callable(branch[1]):
                        raise TypeError("a when branch's transform is not callable")
                    self._wmemos[len(fns)].enabled = True
                    actions.append(-3 - len(fns))
                    fns.append(branch[1])
                else:
                    actions.append(-1)
            out.append((when, reads, actions))
        self._init_conditions(out)
        self._wfns = tuple(fns)
        return 0

    cdef int _init_conditions(self, list whens) except -1:
        """``whens`` (per entry: ``(when, reads, actions)`` or None: the kernel's cases,
        the fields it reads, each case's action then the otherwise's) as the C arrays
        that ``_when_action`` walks: no tuple is touched per row.  A condition names a
        position in ``reads``.  A long ``in`` list becomes a hash set; a ``matches``
        test gets a memo of its answers by raw value (adaptive: values that do not
        repeat switch it off)."""
        cdef Py_ssize_t ncase = 0, ncond = 0, i, k = 0, c = 0, t
        cdef WCond* w
        cdef bytes b
        for spec in whens:
            if spec is not None:
                ncase += len(spec[0][1])
                for conds, _b in spec[0][1]:
                    ncond += len(conds)
        self._wsp = <WSpec*>calloc(len(whens) + 1, sizeof(WSpec))
        self._wcs = <WCase*>calloc(ncase + 1, sizeof(WCase))
        self._wc = <WCond*>calloc(ncond + 1, sizeof(WCond))
        if self._wsp == NULL or self._wcs == NULL or self._wc == NULL:
            raise MemoryError()
        self._nwc = ncond
        for i, spec in enumerate(whens):
            if spec is None:
                continue
            when, reads, actions = spec
            self._wsp[i].present = True
            self._wsp[i].k0 = k
            self._wsp[i].nk = len(when[1])
            self._wsp[i].otherwise = actions[len(actions) - 1]
            for j, (conds, _b) in enumerate(when[1]):
                self._wcs[k].c0 = c
                self._wcs[k].nc = len(conds)
                self._wcs[k].action = actions[j]
                k += 1
                for pos, op, values in conds:
                    values = tuple(values)
                    w = &self._wc[c]
                    c += 1
                    w.q = int(reads[pos])
                    w.op = int(op)
                    if w.op == 4:
                        self._wkeep.append(values[0])
                        w.test = <PyObject*>values[0]
                        w.memo.enabled = True
                        w.memo.adaptive = True
                    elif w.op == 2 or w.op == 3:
                        self._wkeep.append(values)
                        w.nv = len(values)
                        if _WHEN_SET_FROM < w.nv < _MEMO_LIMIT // 2:
                            w.memo.enabled = True
                            for b in values:
                                _memo_store(&w.memo, _hash(PyBytes_AS_STRING(b),
                                                           PyBytes_GET_SIZE(b)),
                                            PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b),
                                            NULL, 0, 1)
                        else:
                            w.v = <const char**>calloc(w.nv + 1, sizeof(char*))
                            w.vl = <Py_ssize_t*>calloc(w.nv + 1, sizeof(Py_ssize_t))
                            if w.v == NULL or w.vl == NULL:
                                raise MemoryError()
                            for t in range(w.nv):
                                b = values[t]
                                w.v[t] = PyBytes_AS_STRING(b)
                                w.vl[t] = PyBytes_GET_SIZE(b)
        return 0

    cdef int _when_action(self, Py_ssize_t entry) except? -1000000:
        """The action of the first case whose conditions hold on the row's raw fields.

        -1 (the Python function decides) when a tested field is not plain printable
        ASCII: only then are raw bytes and the decoded value the same text.
        """
        cdef WSpec* sp = &self._wsp[entry]
        cdef WCase* case
        cdef WCond* w
        cdef Py_ssize_t k, j, t, n
        cdef const char* s
        cdef bint hit, ok, isnull
        cdef uint64_t h
        cdef MemoSlot* slot
        for k in range(sp.k0, sp.k0 + sp.nk):
            case = &self._wcs[k]
            ok = True
            for j in range(case.c0, case.c0 + case.nc):
                w = &self._wc[j]
                s = self._base + self._starts[w.q]
                n = self._ends[w.q] - self._starts[w.q]
                isnull = n == 2 and s[0] == 92 and s[1] == 78
                if not isnull and not _fast_domain(s, n):
                    return -1
                if w.op == 0:
                    hit = isnull
                elif w.op == 1:
                    hit = not isnull
                elif isnull:
                    hit = False  # null matches no text, no pattern, and is in no list
                elif w.op == 4:
                    # The condition's own test (a pattern) on the field's text; printable
                    # ASCII here, so the raw bytes are the text.  Answers memoised.
                    slot = NULL
                    if w.memo.enabled:
                        h = _hash(s, n)  # only a memo needs it (it may have switched off)
                        slot = _memo_lookup(&w.memo, h, s, n)
                    if slot != NULL and slot.block != NULL:
                        hit = slot.flag
                    else:
                        hit = bool((<object>w.test)(PyUnicode_DecodeASCII(s, n, NULL)))
                        if w.memo.enabled:
                            _memo_store(&w.memo, h, s, n, NULL, 0, hit)
                else:
                    hit = False
                    if w.memo.enabled:
                        slot = _memo_find(&w.memo, _hash(s, n), s, n)
                        hit = slot != NULL and slot.block != NULL
                    else:
                        for t in range(w.nv):
                            if w.vl[t] == n and sp_eq(w.v[t], s, n):
                                hit = True
                                break
                    if w.op == 3:
                        hit = not hit
                if not hit:
                    ok = False
                    break
            if ok:
                return case.action
        return sp.otherwise

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self._memos != NULL:
            for i in range(self._nplan):
                _memo_free(&self._memos[i])
        if self._kernels != NULL:
            for i in range(self._nplan):
                _kernel_free(&self._kernels[i])
        if self._wk != NULL:
            for i in range(self._nwk):
                _kernel_free(&self._wk[i])
            free(self._wk)
            self._wk = NULL
        free(self._wkper)
        self._wkper = NULL
        if self._wkmemos != NULL:
            for i in range(self._nwk):
                _memo_free(&self._wkmemos[i])
            free(self._wkmemos)
            self._wkmemos = NULL
        if self._wc != NULL:
            for i in range(self._nwc):
                _memo_free(&self._wc[i].memo)
                free(self._wc[i].v)
                free(self._wc[i].vl)
            free(self._wc)
            self._wc = NULL
        free(self._wcs)
        self._wcs = NULL
        free(self._wsp)
        self._wsp = NULL
        if self._wmemos != NULL:
            for i in range(self._nwm):
                _memo_free(&self._wmemos[i])
            free(self._wmemos)
            self._wmemos = NULL
        free(self._kernels)
        free(self._kout)
        free(self._digests)
        free(self._has_digest)
        free(self._hashes)
        free(self._wact)
        free(self._whashes)
        free(self._pending_fakes)
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
    def memo_sizes(self):
        """Per plan entry: the values its memo holds now, or -1 when it is switched off."""
        out = [0] * self._nplan
        for i in range(self._nplan):
            out[self._slot[i]] = self._memos[i].used if self._memos[i].enabled else -1
        return out

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
            sp_copy(self._out + self._olen, self._base + self._pending, n)
            self._olen += n
        self._pending = upto
        return 0

    cdef inline int _put(self, const char* s, Py_ssize_t n) except -1:
        self._reserve(n)
        sp_copy(self._out + self._olen, s, n)
        self._olen += n
        return 0

    cdef int _put_escaped(self, const char* s, Py_ssize_t n) except -1:
        self._reserve(2 * n)
        self._olen = _escape_into(s, n, self._out + self._olen) - self._out
        return 0

    # -- rows ----------------------------------------------------------------

    cdef int _split(self, Py_ssize_t start, Py_ssize_t length, Py_ssize_t row) except -1:
        """Record field boundaries (absolute offsets); check the field count."""
        cdef const char* line = self._base + start
        cdef Py_ssize_t k
        cdef Py_ssize_t last = self._ncols - 1
        cdef Py_ssize_t found
        if self._ncols == 0:
            if length != 0:
                found = sp_tabs(line, length, 0, NULL, 0) + 1
                raise CodecError(f"expected 0 fields, found {found}", row)
            return 0
        # The first ncols - 1 tabs end the fields before the last one.
        found = sp_tabs(line, length, start, self._ends, last) + 1
        if found != self._ncols:
            raise CodecError(f"expected {self._ncols} fields, found {found}", row)
        self._starts[0] = start
        for k in range(1, last + 1):
            self._starts[k] = self._ends[k - 1] + 1
        self._ends[last] = start + length
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

    cdef inline int _emit_memo(self, MemoSlot* slot, Py_ssize_t fs, Py_ssize_t fl,
                               Py_ssize_t i) except -1:
        """A memo hit: its output in place of the field (nothing when it was unchanged)."""
        if slot.flag:
            self._flush(fs)
            self._put(slot.block + slot.klen, slot.olen)
            self._pending = fs + fl
            self._work[2 * self._slot[i] + slot.flag - 1] += 1
        return 0

    cdef int _row(self, Py_ssize_t row) except -1:
        """Transform the planned fields of the row whose boundaries ``_split`` recorded."""
        cdef Py_ssize_t i, f, p, fs, fl, olen
        cdef int b
        cdef const char* raw
        cdef Memo* memo
        cdef MemoSlot* slot
        cdef uint64_t h = 0
        cdef int flag
        cdef const char* enc
        cdef Py_ssize_t enclen
        cdef Py_ssize_t mark
        cdef Kernel* kern
        cdef Kernel* kern2
        cdef PyObject* pyfn
        cdef Py_ssize_t ko
        cdef Py_ssize_t nf = 0, j, i2, f2, fs2, fl2, ps
        # Memo lookups miss the CPU cache on big tables: hash every memoised field
        # first and prefetch its slot, so the loads overlap each other and the PRF calls.
        # Fakes without a memo (values barely repeat) get their digests two at a time.
        for i in range(self._nplan):
            self._has_digest[i] = 0
            f = self._field[i]
            fs = self._starts[f]
            fl = self._ends[f] - fs
            memo = &self._memos[i]
            if memo.enabled:
                h = _hash(self._base + fs, fl)
                self._hashes[i] = h
                if memo.slots != NULL:
                    sp_prefetch(&memo.slots[<size_t>h & memo.mask])
            p = self._per[i]
            if p >= 0 and self._kernels[i].kind == K_SHIFT:
                ps = self._starts[p]
                _per_prefetch(&self._kernels[i], self._base + ps, self._ends[p] - ps)
            elif p == -2 and self._wsp[i].present:
                # Row conditions: the branch is chosen here, so its memo slot (or per
                # bucket) is loading while the other fields are worked on.
                b = self._when_action(i)
                self._wact[i] = b
                if b <= -3:
                    # A Python branch of the value alone: its memo's slot, likewise.
                    memo = &self._wmemos[-3 - b]
                    h = _hash(self._base + fs, fl)
                    self._whashes[i] = h
                    if memo.slots != NULL:
                        sp_prefetch(&memo.slots[<size_t>h & memo.mask])
                elif b >= 0:
                    if self._wkmemos[b].enabled:
                        h = _hash(self._base + fs, fl)
                        self._whashes[i] = h
                        if self._wkmemos[b].slots != NULL:
                            sp_prefetch(&self._wkmemos[b].slots[<size_t>h & self._wkmemos[b].mask])
                    ps = self._wkper[b]
                    if ps >= 0 and self._wk[b].kind == K_SHIFT:
                        _per_prefetch(&self._wk[b], self._base + self._starts[ps],
                                      self._ends[ps] - self._starts[ps])
            elif self._kernels[i].kind == K_FAKE and self._kernels[i].gen != G_FIRST and \
                    self._kernels[i].gen != G_LAST and self._kernels[i].gen != G_FULL and \
                    _fast_domain(self._base + fs, fl):
                self._pending_fakes[nf] = i
                nf += 1
        j = 0
        while j + 1 < nf:
            i = self._pending_fakes[j]
            i2 = self._pending_fakes[j + 1]
            f = self._field[i]
            f2 = self._field[i2]
            fs = self._starts[f]
            fs2 = self._starts[f2]
            fl = _rstripped(&self._kernels[i], self._base + fs, self._ends[f] - fs)
            fl2 = _rstripped(&self._kernels[i2], self._base + fs2, self._ends[f2] - fs2)
            kern = &self._kernels[i]
            kern2 = &self._kernels[i2]
            sp_prf_pair(&kern.prf, <const uint8_t*>kern.prefix, kern.plen,
                        <const uint8_t*>(self._base + fs), fl, self._digests + 32 * i,
                        &kern2.prf, <const uint8_t*>kern2.prefix, kern2.plen,
                        <const uint8_t*>(self._base + fs2), fl2, self._digests + 32 * i2)
            self._has_digest[i] = 1
            self._has_digest[i2] = 1
            j += 2
        # The slots are (nearly) in cache now: prefetch the entries they point to.
        # A row condition's chosen branch has its own memo: the same two steps (without
        # the second, its entry's bytes were a cache miss at the compare, most of a
        # ``when`` column's cost on a table of distinct values).
        for i in range(self._nplan):
            memo = &self._memos[i]
            if memo.enabled and memo.slots != NULL:
                slot = &memo.slots[<size_t>self._hashes[i] & memo.mask]
                if slot.block != NULL:
                    sp_prefetch(slot.block)
            if self._per[i] == -2 and self._wsp[i].present:
                b = self._wact[i]
                memo = NULL
                if b >= 0 and self._wkmemos[b].enabled:
                    memo = &self._wkmemos[b]
                elif b <= -3:
                    memo = &self._wmemos[-3 - b]
                if memo != NULL and memo.slots != NULL:
                    slot = &memo.slots[<size_t>self._whashes[i] & memo.mask]
                    if slot.block != NULL:
                        sp_prefetch(slot.block)
        for i in range(self._nplan):
            f = self._field[i]
            fs = self._starts[f]
            fl = self._ends[f] - fs
            raw = self._base + fs
            memo = &self._memos[i]
            if memo.enabled:
                h = self._hashes[i]
                slot = _memo_lookup(memo, h, raw, fl)
                if slot != NULL and slot.block != NULL:
                    self._emit_memo(slot, fs, fl, i)
                    continue
            kern = &self._kernels[i]  # K_NONE for a when transform: only its branches have one
            pyfn = NULL  # a borrowed pointer: no reference counting a field
            p = self._per[i]
            if p == -2 and self._wsp[i].present:
                b = self._wact[i]  # chosen by the first pass over the row
                if b == -2 and (_fast_domain(raw, fl) or _is_null(raw, fl)):
                    continue  # a case that keeps the value (NULL too: nothing to decode)
                if b >= 0:
                    kern = &self._wk[b]  # the chosen branch's kernel, run below like any other
                    p = self._wkper[b]
                    if self._wkmemos[b].enabled:
                        # Its results by raw value, as for a column's own kernel.
                        memo = &self._wkmemos[b]
                        h = self._whashes[i]
                        slot = _memo_lookup(memo, h, raw, fl)
                        if slot != NULL and slot.block != NULL:
                            self._emit_memo(slot, fs, fl, i)
                            continue
                elif b <= -3:
                    # A Python branch that reads the value alone: memoised by its raw bytes.
                    pyfn = <PyObject*>PyTuple_GET_ITEM(self._wfns, -3 - b)  # kept by self
                    memo = &self._wmemos[-3 - b]
                    h = self._whashes[i]  # hashed by the first pass
                    slot = _memo_find(memo, h, raw, fl)
                    if slot != NULL and slot.block != NULL:
                        self._emit_memo(slot, fs, fl, i)
                        continue
                # Otherwise (-1) the Python function decides, with every field it reads.
            if kern.kind == K_CONST and pyfn == NULL:
                # null and value: the constant, unless the field already is it.  A field
                # with a backslash that is not the constant's bytes goes to Python, which
                # compares decoded text (another spelling of the same value stays).
                if fl == kern.clen and sp_eq(raw, kern.cval, fl):
                    continue
                if kern.cnull or memchr(raw, 92, fl) == NULL or _is_null(raw, fl):
                    self._flush(fs)
                    self._put(kern.cval, kern.clen)
                    self._pending = fs + fl
                    self._work[2 * self._slot[i] + kern.cnull] += 1
                    continue
            if kern.kind != K_NONE and fl == 2 and raw[0] == 92 and raw[1] == 78:
                # SQL NULL stays NULL under every transform with a kernel but ``value``
                # and ``null`` (above): no Python call for it (a NULL e-mail of a unique
                # fake cost one, every row).
                if memo.enabled:
                    _memo_store(memo, h, raw, fl, NULL, 0, 0)
                continue
            if kern.kind != K_NONE and _fast_domain(raw, fl):
                if p >= 0 and kern.kind == K_NOISE:
                    # Noise per entity: keyed by the per value, or as NULL.
                    ps = self._starts[p]
                    if _is_null(self._base + ps, self._ends[p] - ps):
                        ko = _k_noise(kern, raw, fl, self._kout, 2, NULL, 0)
                    elif _fast_domain(self._base + ps, self._ends[p] - ps):
                        ko = _k_noise(kern, raw, fl, self._kout, 1, self._base + ps,
                                      self._ends[p] - ps)
                    else:
                        ko = -1
                elif p >= 0 and not _is_null(self._base + self._starts[p],
                                             self._ends[p] - self._starts[p]):
                    # A date shift per entity: the offset keyed by the per value, once.
                    ps = self._starts[p]
                    if kern.kind == K_SHIFT and _fast_domain(self._base + ps, self._ends[p] - ps):
                        ko = _k_shift(raw, fl, self._kout,
                                      _per_offset(kern, self._base + ps, self._ends[p] - ps))
                    else:
                        ko = -1
                else:
                    ko = _run_kernel(kern, raw, fl, self._kout,
                                     self._digests + 32 * i if self._has_digest[i] else NULL)
                if ko >= 0:
                    if ko == fl and sp_eq(self._kout, raw, fl):
                        if memo.enabled:
                            _memo_store(memo, h, raw, fl, NULL, 0, 0)
                        continue
                    self._flush(fs)
                    mark = self._olen
                    if kern.raw_out:
                        self._put(self._kout, ko)
                    else:
                        self._put_escaped(self._kout, ko)
                    self._pending = fs + fl
                    self._work[2 * self._slot[i]] += 1
                    if memo.enabled:
                        _memo_store(memo, h, raw, fl, self._out + mark, self._olen - mark, 1)
                    continue
            value = _decode(raw, fl, &self._scratch, &self._scap, row, f)
            fn = self._fns[i]
            p = self._per[i]
            try:
                if pyfn != NULL:
                    result = PyObject_CallOneArg(<object>pyfn, value)
                elif p == -1:
                    result = PyObject_CallOneArg(fn, value)
                elif p == -2:
                    result = fn(value, *[self._per_value(q, row) for q in self._reads[i]])
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
        cdef Py_ssize_t tabs = 0
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
                # One pass finds the tabs and whether the row needs the full check
                # (a CR, a backslash, or a line that may be a COPY statement).
                if sp_scan_row(p, linelen, &tabs) or (linelen >= 17 and p[0] == 67):
                    _check_line(p, linelen, row)
                if self._nplan:
                    self._split(pos, linelen, row)
                    self._row(row)
                    if self._nper:
                        self._reset_per()
                elif (tabs + 1 != self._ncols) if self._ncols else linelen != 0:
                    raise CodecError(f"expected {self._ncols} fields, found {tabs + 1}", row)
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
