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
    "check_line",
    "escape_field",
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


# ---------------------------------------------------------------- kernels (C)

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    #include <cpuid.h>
    #define SP_HAVE_SHANI 1
    #endif

    static const uint32_t sp_K[64] = {
        0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
        0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
        0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
        0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
        0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
        0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
        0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
        0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
    };
    static const uint32_t sp_IV[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u
    };

    #define SP_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

    #if defined(__GNUC__) || defined(__clang__)
    #define sp_prefetch(p) __builtin_prefetch((const void *)(p))
    #else
    #define sp_prefetch(p) ((void)(p))
    #endif
    #if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    #include <emmintrin.h>
    #define SP_HAVE_SSE2 1
    #endif

    /* memcpy for the short spans of a row (fields, the text between them): the
       library call costs more than the copy; non-overlapping buffers only. */
    static inline void sp_copy(char *d, const char *s, Py_ssize_t n) {
        uint64_t a, b;
        uint32_t c, e;
        if (n > 16) {
            memcpy(d, s, (size_t)n);
        } else if (n >= 8) {
            memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8);
            memcpy(d, &a, 8); memcpy(d + n - 8, &b, 8);
        } else if (n >= 4) {
            memcpy(&c, s, 4); memcpy(&e, s + n - 4, 4);
            memcpy(d, &c, 4); memcpy(d + n - 4, &e, 4);
        } else {
            Py_ssize_t i;
            for (i = 0; i < n; i++) d[i] = s[i];
        }
    }

    /* One pass over a row s[0:n): its tabs go to *tabs; returns 1 when it holds a
       carriage return or a backslash (the row then needs the full check). */
    static int sp_scan_row(const char *s, Py_ssize_t n, Py_ssize_t *tabs) {
        Py_ssize_t i = 0, k = 0;
        int odd = 0;
    #ifdef SP_HAVE_SSE2
        const __m128i tab = _mm_set1_epi8(9), cr = _mm_set1_epi8(13),
                      bs = _mm_set1_epi8(92);
        const __m128i zero = _mm_setzero_si128();
        __m128i any = zero, acc = zero, sums = zero;
        uint64_t lanes[2];
        int steps = 0;
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            /* Tabs counted per byte lane (a match is -1) and summed every 255 blocks:
               no popcount, which without -mpopcnt is a libgcc call per block. */
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, tab));
            any = _mm_or_si128(any, _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, bs)));
            if (++steps == 255) {
                sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
                acc = zero;
                steps = 0;
            }
        }
        sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
        _mm_storeu_si128((__m128i *)lanes, sums);
        k += (Py_ssize_t)(lanes[0] + lanes[1]);
        odd = _mm_movemask_epi8(any) != 0;
    #endif
        for (; i < n; i++) {
            char c = s[i];
            k += c == 9;
            odd |= c == 13 || c == 92;
        }
        *tabs = k;
        return odd;
    }

    /* The tabs of s[0:n): the first `max` offsets (plus `off`) go to pos; returns
       how many tabs there are in all. */
    static Py_ssize_t sp_tabs(const char *s, Py_ssize_t n, Py_ssize_t off,
                              Py_ssize_t *pos, Py_ssize_t max) {
        Py_ssize_t i = 0, k = 0;
    #ifdef SP_HAVE_SSE2
        const __m128i tab = _mm_set1_epi8(9);
        for (; i + 16 <= n; i += 16) {
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i)), tab));
            while (m) {
                if (k < max) pos[k] = off + i + __builtin_ctz(m);
                k++;
                m &= m - 1;
            }
        }
    #endif
        for (; i < n; i++) {
            if (s[i] == 9) {
                if (k < max) pos[k] = off + i;
                k++;
            }
        }
        return k;
    }

    static void sp_sha256_portable(uint32_t st[8], const uint8_t *p) {
        uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
        int i;
        for (i = 0; i < 16; i++)
            w[i] = ((uint32_t)p[4*i] << 24) | ((uint32_t)p[4*i+1] << 16)
                 | ((uint32_t)p[4*i+2] << 8) | (uint32_t)p[4*i+3];
        for (i = 16; i < 64; i++) {
            uint32_t s0 = SP_ROR(w[i-15], 7) ^ SP_ROR(w[i-15], 18) ^ (w[i-15] >> 3);
            uint32_t s1 = SP_ROR(w[i-2], 17) ^ SP_ROR(w[i-2], 19) ^ (w[i-2] >> 10);
            w[i] = w[i-16] + s0 + w[i-7] + s1;
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i++) {
            t1 = h + (SP_ROR(e, 6) ^ SP_ROR(e, 11) ^ SP_ROR(e, 25)) + ((e & f) ^ (~e & g)) + sp_K[i] + w[i];
            t2 = (SP_ROR(a, 2) ^ SP_ROR(a, 13) ^ SP_ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }

    #ifdef SP_HAVE_SHANI
    #define SP_KV(r) _mm_loadu_si128((const __m128i*)&sp_K[r])
    #define SP_QUAD(cur, r) \
        MSG = _mm_add_epi32(cur, SP_KV(r)); \
        STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG); \
        MSG = _mm_shuffle_epi32(MSG, 0x0E); \
        STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG);
    #define SP_QUAD_X(cur, prev, next, r, do1) \
        MSG = _mm_add_epi32(cur, SP_KV(r)); \
        STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG); \
        TMP = _mm_alignr_epi8(cur, prev, 4); \
        next = _mm_add_epi32(next, TMP); \
        next = _mm_sha256msg2_epu32(next, cur); \
        MSG = _mm_shuffle_epi32(MSG, 0x0E); \
        STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG); \
        if (do1) prev = _mm_sha256msg1_epu32(prev, cur);

    __attribute__((target("sha,sse4.1,ssse3")))
    static void sp_sha256_shani(uint32_t st[8], const uint8_t *p) {
        __m128i STATE0, STATE1, MSG, TMP, MSG0, MSG1, MSG2, MSG3, ABEF, CDGH;
        const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        TMP = _mm_loadu_si128((const __m128i*)&st[0]);
        STATE1 = _mm_loadu_si128((const __m128i*)&st[4]);
        TMP = _mm_shuffle_epi32(TMP, 0xB1);
        STATE1 = _mm_shuffle_epi32(STATE1, 0x1B);
        STATE0 = _mm_alignr_epi8(TMP, STATE1, 8);
        STATE1 = _mm_blend_epi16(STATE1, TMP, 0xF0);
        ABEF = STATE0;
        CDGH = STATE1;
        MSG0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 0)), MASK);
        MSG1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 16)), MASK);
        MSG2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 32)), MASK);
        MSG3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 48)), MASK);
        SP_QUAD(MSG0, 0)
        SP_QUAD(MSG1, 4)
        MSG0 = _mm_sha256msg1_epu32(MSG0, MSG1);
        SP_QUAD(MSG2, 8)
        MSG1 = _mm_sha256msg1_epu32(MSG1, MSG2);
        SP_QUAD_X(MSG3, MSG2, MSG0, 12, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 16, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 20, 1)
        SP_QUAD_X(MSG2, MSG1, MSG3, 24, 1)
        SP_QUAD_X(MSG3, MSG2, MSG0, 28, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 32, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 36, 1)
        SP_QUAD_X(MSG2, MSG1, MSG3, 40, 1)
        SP_QUAD_X(MSG3, MSG2, MSG0, 44, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 48, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 52, 0)
        SP_QUAD_X(MSG2, MSG1, MSG3, 56, 0)
        SP_QUAD(MSG3, 60)
        STATE0 = _mm_add_epi32(STATE0, ABEF);
        STATE1 = _mm_add_epi32(STATE1, CDGH);
        TMP = _mm_shuffle_epi32(STATE0, 0x1B);
        STATE1 = _mm_shuffle_epi32(STATE1, 0xB1);
        STATE0 = _mm_blend_epi16(TMP, STATE1, 0xF0);
        STATE1 = _mm_alignr_epi8(STATE1, TMP, 8);
        _mm_storeu_si128((__m128i*)&st[0], STATE0);
        _mm_storeu_si128((__m128i*)&st[4], STATE1);
    }

    static int sp_cpu_has_sha(void) {
        unsigned int a, b, c, d;
        if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
        if (!(c & (1u << 19)) || !(c & (1u << 9))) return 0;  /* SSE4.1, SSSE3 */
        if (__get_cpuid_max(0, 0) < 7) return 0;
        __cpuid_count(7, 0, a, b, c, d);
        return (b & (1u << 29)) != 0;  /* SHA */
    }
    #endif

    static void (*sp_compress)(uint32_t *, const uint8_t *) = sp_sha256_portable;

    /* Choose the SHA-256 block function; returns 1 when the SHA extensions are used. */
    static int sp_select(int allow_hw) {
        sp_compress = sp_sha256_portable;
    #ifdef SP_HAVE_SHANI
        if (allow_hw && sp_cpu_has_sha()) { sp_compress = sp_sha256_shani; return 1; }
    #endif
        return 0;
    }

    typedef struct { uint32_t st[8]; uint8_t buf[64]; size_t fill; uint64_t total; } sp_sha;

    static void sp_sha_update(sp_sha *s, const uint8_t *p, size_t n) {
        s->total += n;
        if (s->fill) {
            size_t take = 64 - s->fill;
            if (take > n) take = n;
            memcpy(s->buf + s->fill, p, take);
            s->fill += take; p += take; n -= take;
            if (s->fill < 64) return;
            sp_compress(s->st, s->buf);
            s->fill = 0;
        }
        while (n >= 64) { sp_compress(s->st, p); p += 64; n -= 64; }
        if (n) { memcpy(s->buf, p, n); s->fill = n; }
    }

    static void sp_sha_final(sp_sha *s, uint8_t out[32]) {
        uint64_t bits = s->total * 8;
        int i;
        s->buf[s->fill++] = 0x80;
        if (s->fill > 56) {
            memset(s->buf + s->fill, 0, 64 - s->fill);
            sp_compress(s->st, s->buf);
            s->fill = 0;
        }
        memset(s->buf + s->fill, 0, 56 - s->fill);
        for (i = 0; i < 8; i++) s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
        sp_compress(s->st, s->buf);
        for (i = 0; i < 8; i++) {
            out[4*i] = (uint8_t)(s->st[i] >> 24); out[4*i+1] = (uint8_t)(s->st[i] >> 16);
            out[4*i+2] = (uint8_t)(s->st[i] >> 8); out[4*i+3] = (uint8_t)s->st[i];
        }
    }

    /* HMAC-SHA256 with the key's padded blocks absorbed once: a short message costs
       one inner and one outer compression. */
    typedef struct { uint32_t inner[8]; uint32_t outer[8]; } sp_hmac;

    static void sp_hmac_init(sp_hmac *h, const uint8_t *key, size_t klen) {
        uint8_t k[64], blk[64];
        int i;
        sp_sha s;
        memset(k, 0, 64);
        if (klen > 64) {
            memcpy(s.st, sp_IV, 32); s.fill = 0; s.total = 0;
            sp_sha_update(&s, key, klen);
            sp_sha_final(&s, k);
        } else if (klen) {
            memcpy(k, key, klen);
        }
        for (i = 0; i < 64; i++) blk[i] = k[i] ^ 0x36;
        memcpy(h->inner, sp_IV, 32); sp_compress(h->inner, blk);
        for (i = 0; i < 64; i++) blk[i] = k[i] ^ 0x5c;
        memcpy(h->outer, sp_IV, 32); sp_compress(h->outer, blk);
    }

    static void sp_hmac2(const sp_hmac *h, const uint8_t *a, size_t alen,
                         const uint8_t *b, size_t blen, uint8_t out[32]) {
        sp_sha s;
        uint8_t mid[32];
        size_t total = alen + blen;
        if (total <= 119) {
            /* The usual case: the message and its padding fill one or two blocks. */
            uint8_t buf[128];
            uint32_t st[8];
            size_t nblk = total <= 55 ? 64 : 128;
            uint64_t bits = (uint64_t)(64 + total) * 8;
            int i;
            if (alen) memcpy(buf, a, alen);
            if (blen) memcpy(buf + alen, b, blen);
            buf[total] = 0x80;
            memset(buf + total + 1, 0, nblk - 8 - total - 1);
            for (i = 0; i < 8; i++) buf[nblk - 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
            memcpy(st, h->inner, 32);
            sp_compress(st, buf);
            if (nblk == 128) sp_compress(st, buf + 64);
            for (i = 0; i < 8; i++) {
                buf[4*i] = (uint8_t)(st[i] >> 24); buf[4*i+1] = (uint8_t)(st[i] >> 16);
                buf[4*i+2] = (uint8_t)(st[i] >> 8); buf[4*i+3] = (uint8_t)st[i];
            }
            buf[32] = 0x80;
            memset(buf + 33, 0, 64 - 33 - 2);
            buf[62] = 0x03; buf[63] = 0x00;  /* (64 + 32) * 8 = 768 bits */
            memcpy(st, h->outer, 32);
            sp_compress(st, buf);
            for (i = 0; i < 8; i++) {
                out[4*i] = (uint8_t)(st[i] >> 24); out[4*i+1] = (uint8_t)(st[i] >> 16);
                out[4*i+2] = (uint8_t)(st[i] >> 8); out[4*i+3] = (uint8_t)st[i];
            }
            return;
        }
        memcpy(s.st, h->inner, 32); s.fill = 0; s.total = 64;
        sp_sha_update(&s, a, alen);
        sp_sha_update(&s, b, blen);
        sp_sha_final(&s, mid);
        memcpy(s.st, h->outer, 32); s.fill = 0; s.total = 64;
        sp_sha_update(&s, mid, 32);
        sp_sha_final(&s, out);
    }

    /* SipHash-2-4 state after the key, and the hash of a message under 8 bytes
       given as its final block (length in the top byte). */
    #define SP_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
    #define SP_SIPROUND do { \
        v0 += v1; v1 = SP_ROTL64(v1, 13); v1 ^= v0; v0 = SP_ROTL64(v0, 32); \
        v2 += v3; v3 = SP_ROTL64(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = SP_ROTL64(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = SP_ROTL64(v1, 17); v1 ^= v2; v2 = SP_ROTL64(v2, 32); } while (0)

    static inline uint64_t sp_sip_short(const uint64_t init[4], uint64_t m) {
        uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3];
        v3 ^= m;
        SP_SIPROUND; SP_SIPROUND;
        v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    static uint64_t sp_siphash(const uint8_t key[16], const uint8_t *p, size_t n) {
        uint64_t k0 = 0, k1 = 0, m, v0, v1, v2, v3;
        size_t i, full = n - n % 8;
        int j;
        for (j = 7; j >= 0; j--) { k0 = (k0 << 8) | key[j]; k1 = (k1 << 8) | key[8 + j]; }
        v0 = k0 ^ 0x736f6d6570736575ULL; v1 = k1 ^ 0x646f72616e646f6dULL;
        v2 = k0 ^ 0x6c7967656e657261ULL; v3 = k1 ^ 0x7465646279746573ULL;
        for (i = 0; i < full; i += 8) {
            m = 0;
            for (j = 7; j >= 0; j--) m = (m << 8) | p[i + j];
            v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        }
        m = ((uint64_t)(n & 0xff)) << 56;
        for (j = (int)(n - full) - 1; j >= 0; j--) m |= ((uint64_t)p[full + j]) << (8 * j);
        v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* Divide a 256-bit big-endian number (8 limbs, most significant first) by d in place. */
    static inline uint32_t sp_divmod(uint32_t n[8], uint32_t d) {
        uint64_t r = 0;
        int i;
        for (i = 0; i < 8; i++) {
            uint64_t cur = (r << 32) | n[i];
            n[i] = (uint32_t)(cur / d);
            r = cur % d;
        }
        return (uint32_t)r;
    }

    /* 2**(32*k) mod m for the limbs k = 0 (least significant) .. 7. */
    static void sp_mod_powers(uint64_t m, uint64_t pw[8]) {
        int k;
        uint64_t p = 1 % m, t32 = (((uint64_t)1) << 32) % m;
        for (k = 0; k < 8; k++) {
    #ifdef __SIZEOF_INT128__
            pw[k] = p;
            p = (uint64_t)(((unsigned __int128)p * t32) % m);
    #else
            pw[k] = 0; (void)p; (void)t32;
    #endif
        }
    }

    /* The 256-bit big-endian number n (8 limbs) modulo m, for 1 <= m < 2**63. */
    static uint64_t sp_mod256(const uint32_t n[8], uint64_t m, const uint64_t pw[8]) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 acc = 0;
        int k;
        for (k = 0; k < 8; k++) acc += (unsigned __int128)n[7 - k] * pw[k];
        return (uint64_t)(acc % m);
    #else
        uint64_t r = 0;
        int i, b;
        (void)pw;
        for (i = 0; i < 8; i++)
            for (b = 31; b >= 0; b--) {
                r = (r << 1) | ((n[i] >> b) & 1u);
                if (r >= m) r -= m;
            }
        return r;
    #endif
    }

    /* Equality of two short byte strings without a libc call. */
    static inline int sp_eq(const char *a, const char *b, Py_ssize_t n) {
        uint64_t x, y;
        while (n >= 8) {
            memcpy(&x, a, 8); memcpy(&y, b, 8);
            if (x != y) return 0;
            a += 8; b += 8; n -= 8;
        }
        while (n > 0) { if (*a != *b) return 0; a++; b++; n--; }
        return 1;
    }

    /* x mod d for 64-bit x and 1 <= d < 2**32 without a divide (Lemire, Kaser and
       Kurz, "Faster remainder by direct computation", 2019): m = ceil(2**128 / d). */
    typedef struct { uint64_t lo, hi, d; } sp_fastmod;

    static void sp_fastmod_init(sp_fastmod *f, uint64_t d) {
        f->d = d;
    #ifdef __SIZEOF_INT128__
        {
            unsigned __int128 m = ((unsigned __int128)0 - 1) / d + 1;
            f->lo = (uint64_t)m; f->hi = (uint64_t)(m >> 64);
        }
    #else
        f->lo = f->hi = 0;
    #endif
    }

    /* x // d for any 64-bit x with the same m (Lemire, Kaser and Kurz's theorem 1:
       a 128-bit m is exact for 64-bit numerators and divisors; m wraps to 0 for
       d = 1, a Feistel half of a two-value domain). */
    static inline uint64_t sp_fastdiv_apply(const sp_fastmod *f, uint64_t x) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 low;
        if (f->d == 1) return x;
        low = ((unsigned __int128)f->lo * x) >> 64;
        return (uint64_t)(((unsigned __int128)f->hi * x + low) >> 64);
    #else
        return x / f->d;
    #endif
    }

    static inline uint64_t sp_fastmod_apply(const sp_fastmod *f, uint64_t x) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 low = (unsigned __int128)f->lo * x;
        uint64_t lhi = (uint64_t)(low >> 64) + f->hi * x;
        unsigned __int128 t = ((unsigned __int128)(uint64_t)low * f->d) >> 64;
        unsigned __int128 u = (unsigned __int128)lhi * f->d + t;
        return (uint64_t)(u >> 64);
    #else
        return x % f->d;
    #endif
    }

    /* A 256-bit big-endian digest modulo d < 2**32 (``sp_fastmod``), as the sum of
       its four 64-bit words (most significant first), each reduced and weighted by
       pw[k] = 2**(64k) mod d: five multiplications where a byte at a time took 32
       dependent divides.  Exact: each term is below d**2 < 2**64 / 4. */
    /* Eight bytes big-endian: one load and one byte swap where the compiler has it
       (a date shift per patient reads four of them a row), byte by byte elsewhere. */
    static inline uint64_t sp_load_be64(const uint8_t *p) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t x;
        memcpy(&x, p, 8);
        return __builtin_bswap64(x);
    #else
        uint64_t x = 0;
        int j;
        for (j = 0; j < 8; j++) x = (x << 8) | p[j];
        return x;
    #endif
    }

    static inline uint32_t sp_load_be32(const uint8_t *p) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint32_t x;
        memcpy(&x, p, 4);
        return __builtin_bswap32(x);
    #else
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    #endif
    }

    static inline uint64_t sp_digest_mod(const uint8_t dg[32], const sp_fastmod *f,
                                         const uint64_t pw[4]) {
        uint64_t w[4], acc = 0;
        int i;
        for (i = 0; i < 4; i++) w[i] = sp_load_be64(dg + 8 * i);
        for (i = 0; i < 4; i++) acc += sp_fastmod_apply(f, w[3 - i]) * pw[i];
        return sp_fastmod_apply(f, acc);
    }

    /* The pure twin's big-domain Feistel (two SipHash blocks per round) needs
       128-bit integers; without them the kernels decline such domains. */
    #ifdef __SIZEOF_INT128__
    typedef unsigned __int128 sp_u128;
    #define SP_HAVE_U128 1
    #else
    typedef unsigned long long sp_u128;
    #define SP_HAVE_U128 0
    #endif

    /* *total *= t unless the product passes 2**124 (2**62 without 128-bit
       integers): returns 0 then, and leaves *total as it was.  The test
       ``total > top // t`` without a 128-bit divide. */
    static inline int sp_mul_within(sp_u128 *total, uint64_t t) {
    #if SP_HAVE_U128
        sp_u128 lo = (sp_u128)(uint64_t)*total * t;
        sp_u128 hi = (sp_u128)(uint64_t)(*total >> 64) * t + (lo >> 64);
        const sp_u128 lim = ((sp_u128)1) << 60;   /* 2**124 / 2**64 */
        if (hi > lim || (hi == lim && (uint64_t)lo != 0)) return 0;
        *total = (hi << 64) | (uint64_t)lo;
        return 1;
    #else
        if (*total > (((sp_u128)1) << 62) / t) return 0;
        *total *= t;
        return 1;
    #endif
    }

    /* floor(sqrt(v)) for v < 2**126. */
    static uint64_t sp_isqrt128(sp_u128 v) {
        uint64_t r = (uint64_t)sqrtl((long double)v);
        while (r > 0 && (sp_u128)r * r > v) r--;
        while ((sp_u128)(r + 1) * (r + 1) <= v) r++;
        return r;
    }

    /* The low `width` bytes of v (1 <= width <= 8) in big-endian order, as the bytes
       1.. of a SipHash block (little-endian): the Feistel rounds' message i || lo. */
    static inline uint64_t sp_be_bytes(uint64_t v, int width) {
    #if defined(__GNUC__) || defined(__clang__)
        return (__builtin_bswap64(v) >> (64 - 8 * width)) << 8;
    #else
        uint64_t m = 0;
        int j;
        for (j = 0; j < width; j++) m |= ((v >> (8 * (width - 1 - j))) & 0xFF) << (8 * (1 + j));
        return m;
    #endif
    }

    /* SipHash-2-4 of a message of at most 15 bytes from the state after the key
       (``init``): the key is not parsed again and the message is read in words. */
    static inline uint64_t sp_sip_msg(const uint64_t init[4], const uint8_t *p, int n) {
        uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3], m = 0;
        int j, full = n >= 8 ? 8 : 0;
        if (full) {
            for (j = 7; j >= 0; j--) m = (m << 8) | p[j];
            v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        }
        m = ((uint64_t)(n & 0xff)) << 56;
        for (j = n - full - 1; j >= 0; j--) m |= ((uint64_t)p[full + j]) << (8 * j);
        v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* Division by an invariant 64-bit divisor below 2**63 (Moller and Granlund,
       "Improved division by invariant integers", 2011, algorithm 4): the divisor
       shifted left until its top bit is set and its reciprocal, computed once per
       Feistel half, so a round's 128-bit remainder costs two multiplications
       instead of a hardware divide (``__umodti3``).  The results are exactly the
       ``%`` and ``//`` of the pure twin's integers. */
    typedef struct { uint64_t d, dn, v; int s; } sp_div;

    static void sp_div_init(sp_div *p, uint64_t d) {
    #if SP_HAVE_U128
        int s = 0;
        while (s < 63 && !((d << s) >> 63)) s++;
        p->d = d; p->s = s; p->dn = d << s;
        p->v = p->dn ? (uint64_t)(((((sp_u128)(~p->dn)) << 64) | ~(uint64_t)0) / p->dn) : 0;
    #else
        p->d = d; p->s = 0; p->dn = d; p->v = 0;
    #endif
    }

    #if SP_HAVE_U128
    /* (u1:u0) = q * dn + r for a normalised dn and u1 < dn: returns r, q in *q. */
    static inline uint64_t sp_div21(uint64_t u1, uint64_t u0, const sp_div *p, uint64_t *q) {
        sp_u128 t = (sp_u128)p->v * u1 + ((((sp_u128)u1) << 64) | u0);
        uint64_t q1 = (uint64_t)(t >> 64) + 1, q0 = (uint64_t)t;
        uint64_t r = u0 - q1 * p->dn;
        if (r > q0) { q1--; r += p->dn; }
        if (r >= p->dn) { q1++; r -= p->dn; }
        *q = q1;
        return r;
    }

    /* (hi * 2**64 + lo) mod d, for 1 <= d < 2**63 (so the shift s is 1 to 63). */
    static inline uint64_t sp_mod128(const sp_div *p, uint64_t hi, uint64_t lo) {
        int s = p->s;
        uint64_t q, r;
        r = sp_div21(hi >> (64 - s), (hi << s) | (lo >> (64 - s)), p, &q);
        r = sp_div21(r, lo << s, p, &q);
        return r >> s;
    }
    #endif

    /* SipHash-2-4's last block m and finalisation, from a state after the key (and
       after any earlier block). */
    static inline uint64_t sp_sip_last(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3,
                                       uint64_t m) {
        v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* One pass of ``Permutation._once`` for a two-block domain: round i hashes
       i || lo (width bytes, big-endian) || j for j = 0, 1 and reads the two
       SipHash outputs as one 128-bit number, reduced modulo a or b.

       The message (width + 2 <= 10 bytes) is built as one little-endian 128-bit
       word from a byte swap of lo; from width 7 on, the first 8 bytes do not hold
       j and both hashes share their first block.  ``a`` and ``b`` are the halves
       with their reciprocals (``sp_div_init``); x < a * b. */
    static sp_u128 sp_feistel2(const uint64_t init[4], const sp_div *a, const sp_div *b,
                               int width, sp_u128 x) {
    #if SP_HAVE_U128
        uint64_t hi, lo, t, f0, f1, m0, m1;
        uint64_t len = ((uint64_t)(width + 2)) << 56;
        uint64_t xh = (uint64_t)(x >> 64), xl = (uint64_t)x;
        uint64_t a0, a1, a2, a3, c0, c1, c2, c3;
        int s = b->s, i, jshift = 8 * (width + 1);
        const sp_div *dm;
        sp_u128 w, w1;
        /* hi, lo = divmod(x, b): x < a * b < b * 2**64, so the quotient fits 64 bits. */
        lo = sp_div21((xh << s) | (xl >> (64 - s)), xl << s, b, &hi) >> s;
        for (i = 0; i < 8; i++) {
            dm = (i % 2 == 0) ? a : b;
            w = (((sp_u128)(__builtin_bswap64(lo) >> (64 - 8 * width))) << 8) | (uint64_t)i;
            w1 = w | (((sp_u128)1) << jshift);
            if (width >= 6) {
                uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3];
                m0 = (uint64_t)w;
                v3 ^= m0; SP_SIPROUND; SP_SIPROUND; v0 ^= m0;
                a0 = v0; a1 = v1; a2 = v2; a3 = v3;
                if (width >= 7) {
                    c0 = a0; c1 = a1; c2 = a2; c3 = a3;
                } else {
                    m1 = (uint64_t)w1;
                    v0 = init[0]; v1 = init[1]; v2 = init[2]; v3 = init[3];
                    v3 ^= m1; SP_SIPROUND; SP_SIPROUND; v0 ^= m1;
                    c0 = v0; c1 = v1; c2 = v2; c3 = v3;
                }
                f0 = sp_sip_last(a0, a1, a2, a3, (uint64_t)(w >> 64) | len);
                f1 = sp_sip_last(c0, c1, c2, c3, (uint64_t)(w1 >> 64) | len);
            } else {
                f0 = sp_sip_last(init[0], init[1], init[2], init[3], (uint64_t)w | len);
                f1 = sp_sip_last(init[0], init[1], init[2], init[3], (uint64_t)w1 | len);
            }
            t = hi + sp_mod128(dm, f0, f1);  /* hi < m and f < m < 2**63 */
            if (t >= dm->d) t -= dm->d;
            hi = lo;
            lo = t;
        }
        return (sp_u128)hi * b->d + lo;
    #else
        (void)init; (void)a; (void)b; (void)width;
        return x;
    #endif
    }

    """
    ctypedef struct sp_hmac:
        uint32_t inner[8]
        uint32_t outer[8]
    int sp_select(int allow_hw) nogil
    void sp_hmac_init(sp_hmac* h, const uint8_t* key, size_t klen) nogil
    void sp_hmac2(const sp_hmac* h, const uint8_t* a, size_t alen,
                  const uint8_t* b, size_t blen, uint8_t* out) nogil
    uint64_t sp_sip_short(const uint64_t* init, uint64_t m) nogil
    uint64_t sp_be_bytes(uint64_t v, int width) nogil
    uint64_t sp_siphash(const uint8_t* key, const uint8_t* p, size_t n) nogil
    uint32_t sp_divmod(uint32_t* n, uint32_t d) nogil
    void sp_mod_powers(uint64_t m, uint64_t* pw) nogil
    uint64_t sp_mod256(const uint32_t* n, uint64_t m, const uint64_t* pw) nogil
    ctypedef unsigned long long sp_u128   # unsigned __int128 where the compiler has it
    int SP_HAVE_U128
    uint64_t sp_isqrt128(sp_u128 v) nogil
    bint sp_mul_within(sp_u128* total, uint64_t t) nogil
    ctypedef struct sp_div:
        uint64_t d
    void sp_div_init(sp_div* p, uint64_t d) nogil
    sp_u128 sp_feistel2(const uint64_t* init, const sp_div* a, const sp_div* b, int width,
                        sp_u128 x) nogil
    bint sp_eq(const char* a, const char* b, Py_ssize_t n) nogil
    void sp_prefetch(const void* p) nogil
    void sp_copy(char* d, const char* s, Py_ssize_t n) nogil
    Py_ssize_t sp_tabs(const char* s, Py_ssize_t n, Py_ssize_t off, Py_ssize_t* pos,
                       Py_ssize_t max) nogil
    int sp_scan_row(const char* s, Py_ssize_t n, Py_ssize_t* tabs) nogil
    ctypedef struct sp_fastmod:
        uint64_t lo
        uint64_t hi
        uint64_t d
    void sp_fastmod_init(sp_fastmod* f, uint64_t d) nogil
    uint64_t sp_fastmod_apply(const sp_fastmod* f, uint64_t x) nogil
    uint64_t sp_fastdiv_apply(const sp_fastmod* f, uint64_t x) nogil
    uint64_t sp_digest_mod(const uint8_t* dg, const sp_fastmod* f, const uint64_t* pw) nogil
    uint32_t sp_load_be32(const uint8_t* p) nogil


cdef extern from *:
    """
    /* Feistel permutations of domains past 2**124 (up to 2**248), as the pure twin's
       ``Permutation`` computes them with Python integers: numbers as four 64-bit limbs
       (least significant first), Feistel halves under 2**126 in 128-bit integers, and
       one to three SipHash blocks per round.  Without 128-bit integers the kernels
       decline such domains (``SP_HAVE_U128``). */
    typedef struct {
        uint8_t key[16];
        uint64_t total[4];
        sp_u128 a, b;
        int width, blocks;
    } sp_bigperm;

    static int sp_u256_bits(const uint64_t x[4]) {
        int i;
        for (i = 3; i >= 0; i--)
            if (x[i]) return 64 * i + 64 - __builtin_clzll(x[i]);
        return 0;
    }

    static int sp_u256_cmp(const uint64_t x[4], const uint64_t y[4]) {
        int i;
        for (i = 3; i >= 0; i--)
            if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
        return 0;
    }

    #if SP_HAVE_U128
    static int sp_u128_bits(sp_u128 v) {
        uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;
        if (hi) return 128 - __builtin_clzll(hi);
        return lo ? 64 - __builtin_clzll(lo) : 0;
    }

    /* x = x * r + d; returns 1 when the result does not fit 256 bits. */
    static int sp_u256_muladd(uint64_t x[4], uint64_t r, uint64_t d) {
        sp_u128 c = d;
        int i;
        for (i = 0; i < 4; i++) {
            c += (sp_u128)x[i] * r;
            x[i] = (uint64_t)c;
            c >>= 64;
        }
        return c != 0;
    }

    /* x = x // d in place for 1 <= d < 2**64 (each limb's quotient fits 64 bits,
       the remainder being under d); returns x % d. */
    static uint64_t sp_u256_divsmall(uint64_t x[4], uint64_t d) {
        sp_u128 r = 0, cur;
        int i;
        for (i = 3; i >= 0; i--) {
            cur = (r << 64) | x[i];
            x[i] = (uint64_t)(cur / d);
            r = cur % d;
        }
        return (uint64_t)r;
    }

    /* x // d (which the caller knows fits 128 bits) and x % d, for 1 <= d < 2**127:
       shift-and-subtract over the quotient's bits only. */
    static sp_u128 sp_u256_divmod(const uint64_t x[4], sp_u128 d, sp_u128 *rem) {
        int L = sp_u256_bits(x), M = sp_u128_bits(d), i;
        sp_u128 r = 0, q = 0;
        if (L < M) {
            *rem = ((sp_u128)x[1] << 64) | x[0];
            return 0;
        }
        /* r = x >> (L - M + 1): the top M - 1 bits, below d */
        for (i = L - 1; i > L - M; i--)
            r = (r << 1) | ((x[i >> 6] >> (i & 63)) & 1u);
        for (i = L - M; i >= 0; i--) {
            r = (r << 1) | ((x[i >> 6] >> (i & 63)) & 1u);
            q <<= 1;
            if (r >= d) { r -= d; q |= 1; }
        }
        *rem = r;
        return q;
    }

    /* out = p * q + r (p, q < 2**127, r < 2**128). */
    static void sp_u256_mul128(sp_u128 p, sp_u128 q, sp_u128 r, uint64_t out[4]) {
        uint64_t p0 = (uint64_t)p, p1 = (uint64_t)(p >> 64);
        uint64_t q0 = (uint64_t)q, q1 = (uint64_t)(q >> 64);
        sp_u128 t00 = (sp_u128)p0 * q0, t01 = (sp_u128)p0 * q1;
        sp_u128 t10 = (sp_u128)p1 * q0, t11 = (sp_u128)p1 * q1;
        sp_u128 c;
        c = (sp_u128)(uint64_t)t00 + (uint64_t)r;
        out[0] = (uint64_t)c;
        c = (c >> 64) + (t00 >> 64) + (uint64_t)t01 + (uint64_t)t10 + (uint64_t)(r >> 64);
        out[1] = (uint64_t)c;
        c = (c >> 64) + (t01 >> 64) + (t10 >> 64) + (uint64_t)t11;
        out[2] = (uint64_t)c;
        c = (c >> 64) + (t11 >> 64);
        out[3] = (uint64_t)c;
    }

    /* isqrt(v) for v < 2**250 (Newton's method from above). */
    static sp_u128 sp_u256_isqrt(const uint64_t v[4]) {
        int L = sp_u256_bits(v);
        sp_u128 x, y, q, r;
        if (L == 0) return 0;
        x = (sp_u128)1 << ((L + 1) / 2);
        for (;;) {
            q = sp_u256_divmod(v, x, &r);
            y = (x + q) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }
    #else
    static int sp_u256_muladd(uint64_t x[4], uint64_t r, uint64_t d) {
        (void)x; (void)r; (void)d;
        return 1;
    }
    static uint64_t sp_u256_divsmall(uint64_t x[4], uint64_t d) {
        (void)x; (void)d;
        return 0;
    }
    #endif

    /* ``Permutation(key, total)`` for 2**124 < total < 2**248; returns 0 when it cannot. */
    static int sp_big_init(sp_bigperm *p, const uint8_t key[16], const uint64_t total[4]) {
    #if SP_HAVE_U128
        uint64_t v[4];
        sp_u128 r, top;
        int i, tb;
        if (sp_u256_bits(total) > 248 || sp_u256_bits(total) < 2) return 0;
        memcpy(p->key, key, 16);
        memcpy(p->total, total, 32);
        memcpy(v, total, 32);
        for (i = 0; i < 4 && v[i]-- == 0; i++) {}          /* v = total - 1 */
        p->a = sp_u256_isqrt(v) + 1;
        memcpy(v, total, 32);                              /* v = total + a - 1 */
        {
            sp_u128 c = (sp_u128)v[0] + (uint64_t)(p->a - 1);
            v[0] = (uint64_t)c;
            c = (c >> 64) + v[1] + (uint64_t)((p->a - 1) >> 64);
            v[1] = (uint64_t)c;
            c = (c >> 64) + v[2];
            v[2] = (uint64_t)c;
            v[3] += (uint64_t)(c >> 64);
        }
        p->b = sp_u256_divmod(v, p->a, &r);
        top = p->a > p->b ? p->a : p->b;
        tb = sp_u128_bits(top);
        p->width = (tb + 7) / 8;
        if (p->width == 0) p->width = 1;
        p->blocks = (tb + 32 + 63) / 64;
        return p->width <= 16 && p->blocks <= 3;
    #else
        (void)p; (void)key; (void)total;
        return 0;
    #endif
    }

    /* x = the permutation of x (x < total), in place: Feistel passes, cycle-walked. */
    static void sp_big_permute(const sp_bigperm *p, uint64_t x[4]) {
    #if SP_HAVE_U128
        uint8_t msg[20];
        uint64_t h[3], fx[4];
        sp_u128 hi, lo, m, f, t;
        int i, j, w = p->width;
        do {
            hi = sp_u256_divmod(x, p->b, &lo);
            for (i = 0; i < 8; i++) {
                m = (i % 2 == 0) ? p->a : p->b;
                msg[0] = (uint8_t)i;
                for (j = 0; j < w; j++) msg[1 + j] = (uint8_t)(lo >> (8 * (w - 1 - j)));
                for (j = 0; j < p->blocks; j++) {
                    msg[1 + w] = (uint8_t)j;
                    h[j] = sp_siphash(p->key, msg, (size_t)w + 2);
                }
                if (p->blocks == 1) {
                    f = h[0] % m;
                } else if (p->blocks == 2) {
                    f = (((sp_u128)h[0] << 64) | h[1]) % m;
                } else {
                    fx[0] = h[2]; fx[1] = h[1]; fx[2] = h[0]; fx[3] = 0;
                    sp_u256_divmod(fx, m, &f);
                }
                t = hi + f;
                if (t >= m) t -= m;
                hi = lo;
                lo = t;
            }
            sp_u256_mul128(hi, p->b, lo, x);
        } while (sp_u256_cmp(x, p->total) >= 0);
    #else
        (void)p; (void)x;
    #endif
    }
    """
    ctypedef struct sp_bigperm:
        uint64_t total[4]
    int sp_u256_bits(const uint64_t* x) nogil
    int sp_u256_muladd(uint64_t* x, uint64_t r, uint64_t d) nogil
    uint64_t sp_u256_divsmall(uint64_t* x, uint64_t d) nogil
    int sp_big_init(sp_bigperm* p, const uint8_t* key, const uint64_t* total) nogil
    void sp_big_permute(const sp_bigperm* p, uint64_t* x) nogil


cdef extern from "_prf.h":
    # The keyed PRF of every choice but ``hash``'s: BLAKE2s-256 (transforms/keyed.py).
    ctypedef struct sp_prf:
        uint32_t h[8]
        uint8_t key[32]
        uint32_t klen
    void sp_prf_init(sp_prf* k, const uint8_t* key, size_t klen) nogil
    void sp_prf2(const sp_prf* k, const uint8_t* a, size_t alen,
                 const uint8_t* b, size_t blen, uint8_t* out) nogil
    void sp_prf_pair(const sp_prf* k1, const uint8_t* a1, size_t alen1,
                     const uint8_t* b1, size_t blen1, uint8_t* out1,
                     const sp_prf* k2, const uint8_t* a2, size_t alen2,
                     const uint8_t* b2, size_t blen2, uint8_t* out2) nogil


#: True when SHA-256 runs on the CPU's SHA extensions (else portable C).
SHA_EXTENSIONS = bool(sp_select(_os.environ.get("SCRUBPHI_NO_SHA_NI", "") in ("", "0")))


def _select_sha(bint allow_hw):
    """Switch the SHA-256 block function (tests compare both); returns True for SHA-NI."""
    global SHA_EXTENSIONS
    SHA_EXTENSIONS = bool(sp_select(allow_hw))
    return SHA_EXTENSIONS


def _hmac_sha256(bytes key not None, bytes msg not None):
    """HMAC-SHA256 as the kernels compute it (for the differential tests)."""
    cdef sp_hmac h
    cdef uint8_t out[32]
    sp_hmac_init(&h, <const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    sp_hmac2(&h, <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg), NULL, 0, out)
    return PyBytes_FromStringAndSize(<char*>out, 32)


def _prf_blake2s_pair(bytes key1 not None, bytes msg1 not None,
                      bytes key2 not None, bytes msg2 not None):
    """Two keyed BLAKE2s-256 digests as the codec pairs them (for the differential tests)."""
    cdef sp_prf k1, k2
    cdef uint8_t out1[32]
    cdef uint8_t out2[32]
    if not (1 <= PyBytes_GET_SIZE(key1) <= 32 and 1 <= PyBytes_GET_SIZE(key2) <= 32):
        raise ValueError("BLAKE2s needs a key of 1 to 32 bytes")
    sp_prf_init(&k1, <const uint8_t*>PyBytes_AS_STRING(key1), PyBytes_GET_SIZE(key1))
    sp_prf_init(&k2, <const uint8_t*>PyBytes_AS_STRING(key2), PyBytes_GET_SIZE(key2))
    sp_prf_pair(&k1, <const uint8_t*>PyBytes_AS_STRING(msg1), PyBytes_GET_SIZE(msg1), NULL, 0,
                out1, &k2, <const uint8_t*>PyBytes_AS_STRING(msg2), PyBytes_GET_SIZE(msg2), NULL,
                0, out2)
    return PyBytes_FromStringAndSize(<char*>out1, 32), PyBytes_FromStringAndSize(<char*>out2, 32)


def _prf_blake2s(bytes key not None, bytes msg not None):
    """Keyed BLAKE2s-256 as the kernels compute it (for the differential tests)."""
    cdef sp_prf k
    cdef uint8_t out[32]
    if not 1 <= PyBytes_GET_SIZE(key) <= 32:
        raise ValueError("BLAKE2s needs a key of 1 to 32 bytes")
    sp_prf_init(&k, <const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    sp_prf2(&k, <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg), NULL, 0, out)
    return PyBytes_FromStringAndSize(<char*>out, 32)


def _permute_big(bytes key not None, object total, object x):
    """``Permutation(key, total)(x)`` as the kernels compute it past 2**124, or None where
    they decline (for the differential tests)."""
    cdef sp_bigperm p
    cdef uint64_t t[4]
    cdef uint64_t v[4]
    cdef int i
    if PyBytes_GET_SIZE(key) < 16 or not 0 <= x < total < (1 << 256):
        raise ValueError("a 16-byte key and 0 <= x < total < 2**256")
    for i in range(4):
        t[i] = (total >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
        v[i] = (x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
    if not sp_big_init(&p, <const uint8_t*>PyBytes_AS_STRING(key), t):
        return None
    sp_big_permute(&p, v)
    return sum(int(v[i]) << (64 * i) for i in range(4))


def _siphash24(bytes key not None, bytes msg not None):
    """SipHash-2-4 as the kernels compute it (for the differential tests)."""
    if PyBytes_GET_SIZE(key) != 16:
        raise ValueError("SipHash needs a 16-byte key")
    return sp_siphash(<const uint8_t*>PyBytes_AS_STRING(key),
                      <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg))


cdef enum:
    K_NONE = 0
    K_FAKE = 1
    K_TOKENIZE = 2
    K_YEAR = 3
    K_ZIP3 = 4
    K_SHIFT = 5
    K_TOKINT = 6
    K_HASH = 7
    K_MASK = 8
    K_UNIQUE = 9
    K_ARRAY = 10         # an array column: the element kernel on every element
    K_JSON = 11          # json paths: the document read and written in C, the paths' kernels
    J_KEEP = 0           # json path rules
    J_NULL = 1
    J_CONST = 2
    J_KERNEL = 3
    U_TOK = 1            # unique fakes: shape-preserving tokenization of the whole value
    U_EMAIL = 2          # tokenized local part @ tokenized domain + ".example"
    U_URL = 3            # scheme:// tokenized host + ".example", tokenized rest
    U_SSN = 4            # class-preserving permutation of the nine digits
    U_CARD = 5           # digits tokenized, the Luhn digit moved by the input's offset
    U_IBAN = 6           # country kept, BBAN tokenized, mod-97 check digits moved alike
    U_VIN = 7            # 16 characters permuted over the VIN alphabet, check digit moved
    U_UUID = 8           # version 4: its 122 free bits permuted; others: 128 bits, walked
    U_IP = 9             # canonical IPv4 / IPv6 (and /n): 2**32 or 2**128 permuted
    G_POOL = 1
    G_NAME = 2
    G_EMAIL = 3
    G_PHONE = 4
    G_STREET = 5
    G_SSN = 6
    G_FIRST = 7          # first_name: title-cased key, the original's sex picks the pool
    G_LAST = 8           # last_name: title-cased key, the original's case kept
    G_FULL = 9           # name: "First [Middle] Last" of plain words, by the part kernels
    KOUT = 4096          # kernel output buffer; longer results go to the Python fallback
    KMAX_IN = 1024       # longer inputs go to the Python fallback
    HASH_MAX = 256       # hash: the longest output (hashing.MAX_HASH_LENGTH), 7 HMAC blocks
    HASH_PRE = 512       # hash: longer domain prefixes keep multi-block hashes in Python
    SHAPE_SLOTS = 1024   # tokenize: cached round keys per shape, cleared when half full
    PER_SLOTS = 16384    # date shift per: cached offsets of per values (~900 KB, touched
    PER_WAYS = 4         # lazily), in buckets of PER_WAYS slots replaced round-robin
    PER_KEY = 40         # longer per values are not cached (their PRF runs every time)


cdef struct Pool:
    char* data
    Py_ssize_t* offs     # n + 1 offsets into data
    uint32_t n


cdef struct Shape:
    char* pattern        # NULL: empty slot
    Py_ssize_t plen
    uint64_t h
    uint64_t sip[4]      # SipHash state after the 128-bit round key
    uint8_t key[16]      # the round key itself (two-block domains hash longer messages)
    sp_u128 total        # the permutation's domain, and its Feistel halves
    uint64_t a
    uint64_t b
    int width
    sp_fastmod ma
    sp_fastmod mb
    sp_div da            # the halves with their reciprocals (two-block domains)
    sp_div db
    sp_bigperm big       # domains past 2**124: the 256-bit permutation


cdef struct SexSlot:
    uint64_t h
    uint32_t off         # into Kernel.sexblob
    uint32_t len         # 0: empty slot
    char sex             # 'F' or 'M'


cdef struct PerSlot:
    uint64_t h
    int klen             # 0: empty
    int offset
    char key[PER_KEY]


cdef struct JStep:
    int kind             # 0 key, 1 index, 2 wild
    char* key
    Py_ssize_t klen
    long index


cdef struct JPath:
    JStep* steps
    int nsteps
    int rule             # J_KEEP, J_NULL, J_CONST or J_KERNEL
    char* const_         # J_CONST: the constant's UTF-8 bytes
    Py_ssize_t clen


cdef struct JNode:
    int type             # 0 object, 1 array, 2 string, 3 number, 4 true, 5 false, 6 null
    Py_ssize_t start     # a scalar's text (a string's without its quotes)
    Py_ssize_t len
    Py_ssize_t kstart    # a member's key (without quotes)
    Py_ssize_t klen
    int first            # first child, next sibling (-1: none), number of children
    int next
    int count


cdef struct JSpec:
    JPath* paths
    int npaths
    int other            # other_paths: 0 keep, 1 null, 2 fail
    Kernel* inner        # per path: its transform's kernel (J_KERNEL)
    JNode* nodes         # scratch: the parsed document
    int* act             # scratch: per depth, each path's next step (-1: off the path)
    char* kbuf           # scratch: an inner kernel's output


cdef struct Kernel:
    int kind
    bint rstrip
    bint raw_out         # the output never needs COPY escaping: copy it as it is
    Py_ssize_t limit
    sp_hmac hmac         # hash: HMAC-SHA256 under the secret
    sp_prf prf           # every other keyed kernel: BLAKE2s under the domain key
    char* prefix
    Py_ssize_t plen
    int gen
    bint compact
    uint64_t modulus     # fakes: the digest is only ever used modulo this (mixed radix)
    uint64_t pw[8]
    Pool p1
    Pool p2
    Pool p3              # first_name: the male pool (p1 mixed, p2 female)
    uint64_t pw2[8]      # first_name: 2^(32k) mod the female and male pools' sizes
    uint64_t pw3[8]
    SexSlot* sex         # first_name: lower-case names of one sex (open addressing)
    Py_ssize_t sexmask
    char* sexblob
    int mode             # tokenize: 0 digits, 1 alnum, 2 upper
    bint has_floor
    long floor
    Shape* shapes
    Py_ssize_t nshapes
    Shape* ishape[40]    # integer tokenize: the shape of (sign, digits), once looked up
    int alphabet         # hash: 0 hex, 1 digits, 2 alnum
    int length           # hash: output symbols
    int hash_blocks      # hash: HMAC-SHA256 blocks drawn (their digests read as one number)
    int keep_first       # mask
    int keep_last
    char mask_char
    uint64_t neg_bound   # integer tokenize: the column type's bounds (|min|, max)
    uint64_t pos_bound
    long days            # date shift: offsets in [-days, +days] without 0
    sp_fastmod dmod      # date shift: 2 * days, and 2**(64k) mod 2 * days (k = 0..3)
    uint64_t dpw[4]
    char* prefix2        # date shift: the message prefix of a per value's digest
    Py_ssize_t plen2
    PerSlot* per         # date shift: offsets of per values seen (constant size)
    unsigned int per_clock  # date shift: the next way of a full bucket to replace
    bint per_shared      # ``per`` belongs to an earlier kernel of the same block
    unsigned int per_lookups  # date shift: look-ups and hits since the last verdict
    unsigned int per_hits
    bint per_off         # date shift: the cache missed nearly always, so it is bypassed
    int ugen             # unique fakes: U_TOK, U_EMAIL, U_URL or U_SSN
    Py_ssize_t umax      # unique fakes: longest output the column takes (-1: any)
    Shape ssn            # unique ssn: the permutation of the nine digits (vin: of the
                         # 33**16 VINs; uuid: of 2**122, ipv4: of 2**32, and in ``big``
                         # of 2**128 for uuid and ipv6)
    Kernel* parts        # name: the first_name and last_name kernels; array: the element's
    JSpec* json          # json paths


cdef int _pool_init(Pool* p, object items) except -1:
    encoded = [str(s).encode("utf-8") for s in items]
    cdef Py_ssize_t total = 0, i, off = 0
    cdef bytes b
    if not encoded or len(encoded) >= (1 << 32):
        raise ValueError("kernel pool size out of range")
    for b in encoded:
        total += len(b)
    p.data = <char*>malloc(total + 1)
    p.offs = <Py_ssize_t*>malloc((len(encoded) + 1) * sizeof(Py_ssize_t))
    if p.data == NULL or p.offs == NULL:
        raise MemoryError()
    for i, b in enumerate(encoded):
        p.offs[i] = off
        memcpy(p.data + off, PyBytes_AS_STRING(b), len(b))
        off += len(b)
    p.offs[len(encoded)] = off
    p.n = <uint32_t>len(encoded)
    return 0


cdef bint _pool_ascii(const Pool* p) noexcept nogil:
    """Every item is ASCII letters, blanks, ' or - (so case changes are byte-wise)."""
    cdef Py_ssize_t i
    cdef char c
    for i in range(p.offs[p.n]):
        c = p.data[i]
        if not ((65 <= c <= 90) or (97 <= c <= 122) or c == 32 or c == 39 or c == 45):
            return False
    return True


#: Built sex tables by the identity of their name lists (the lists are kept with them, so
#: the ids stay theirs): (female, male, slots bytes, names blob bytes, mask).  A run's
#: first-name kernels share one pair of lists (names.py), so the table is built once per
#: process, not once per column and table (some 30,000 names each time).
cdef dict _SEX_TABLES = {}


cdef int _sex_init(Kernel* k, object female, object male) except -1:
    """The table of lower-case ASCII names of one sex (others are not looked up)."""
    cdef bytes slots, blob
    hit = _SEX_TABLES.get((id(female), id(male)))
    if hit is not None and hit[0] is female and hit[1] is male:
        slots = hit[2]
        blob = hit[3]
        k.sex = <SexSlot*>malloc(len(slots))
        k.sexblob = <char*>malloc(len(blob) + 1)
        if k.sex == NULL or k.sexblob == NULL:
            raise MemoryError()
        memcpy(k.sex, PyBytes_AS_STRING(slots), len(slots))
        memcpy(k.sexblob, PyBytes_AS_STRING(blob), len(blob))
        k.sexmask = hit[4]
        return 0
    _sex_build(k, female, male)
    if len(_SEX_TABLES) >= 8:
        _SEX_TABLES.clear()
    _SEX_TABLES[(id(female), id(male))] = (
        female, male,
        PyBytes_FromStringAndSize(<char*>k.sex, (k.sexmask + 1) * sizeof(SexSlot)),
        PyBytes_FromStringAndSize(k.sexblob, _sex_blob_len(k)),
        k.sexmask)
    return 0


cdef Py_ssize_t _sex_blob_len(Kernel* k) noexcept:
    cdef Py_ssize_t j, end = 0
    for j in range(k.sexmask + 1):
        if k.sex[j].len and k.sex[j].off + k.sex[j].len > end:
            end = k.sex[j].off + k.sex[j].len
    return end


cdef int _sex_build(Kernel* k, object female, object male) except -1:
    entries = []
    for names, sex in ((female, b"F"), (male, b"M")):
        for name in names:
            raw = str(name).encode("utf-8")
            if 0 < len(raw) <= 64 and raw.isascii() and raw.isalpha():
                entries.append((raw.lower(), sex))
    cdef Py_ssize_t cap = 16, total = 0, i, j, off = 0
    while cap < 2 * len(entries):
        cap *= 2
    for raw, _sex in entries:
        total += len(raw)
    k.sex = <SexSlot*>calloc(cap, sizeof(SexSlot))
    k.sexblob = <char*>malloc(total + 1)
    if k.sex == NULL or k.sexblob == NULL:
        raise MemoryError()
    k.sexmask = cap - 1
    cdef uint64_t h
    for raw, sex in entries:
        h = _hash(PyBytes_AS_STRING(raw), len(raw))
        j = <Py_ssize_t>(h & <uint64_t>k.sexmask)
        while k.sex[j].len:
            j = (j + 1) & k.sexmask
        memcpy(k.sexblob + off, PyBytes_AS_STRING(raw), len(raw))
        k.sex[j].h = h
        k.sex[j].off = <uint32_t>off
        k.sex[j].len = <uint32_t>len(raw)
        k.sex[j].sex = (<char*>PyBytes_AS_STRING(sex))[0]
        off += len(raw)
    return 0


cdef char _sex_of(Kernel* k, const char* lower, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h = _hash(lower, n)
    cdef Py_ssize_t j = <Py_ssize_t>(h & <uint64_t>k.sexmask)
    while k.sex[j].len:
        if k.sex[j].h == h and k.sex[j].len == n and \
                memcmp(k.sexblob + k.sex[j].off, lower, n) == 0:
            return k.sex[j].sex
        j = (j + 1) & k.sexmask
    return 0


cdef Py_ssize_t _k_person(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """first_name / last_name as names.py computes them, for one word of ASCII letters
    and digits with a letter in it (Synthea writes "Jose871")."""
    cdef char key[64]
    cdef char low[64]
    cdef uint8_t dg[32]
    cdef uint32_t num[8]
    cdef bint upper = True, lower = True, after_letter = False
    cdef Py_ssize_t i, o
    cdef char c, sex
    cdef Pool* pool = &k.p1
    cdef const uint64_t* pw = k.pw
    if n < 1 or n > 64:
        return -1
    for i in range(n):
        c = s[i]
        if 65 <= c <= 90:
            lower = False
        elif 97 <= c <= 122:
            upper = False
        elif 48 <= c <= 57:
            low[i] = c
            key[i] = c
            after_letter = False
            continue
        else:
            return -1  # blanks, hyphens, apostrophes, other scripts: Python
        low[i] = c | 32
        # str.title(): a letter after a non-letter is upper case, any other lower.
        key[i] = low[i] if after_letter else <char>(low[i] & ~32)
        after_letter = True
    if upper and lower:
        return -1  # no letter: not a name (names.py keeps it)
    sp_prf2(&k.prf, <const uint8_t*>k.prefix, k.plen, <const uint8_t*>key, n, dg)
    for i in range(8):
        num[i] = sp_load_be32(dg + 4 * i)
    if k.gen == G_FIRST:
        sex = _sex_of(k, low, n)
        if sex == 70:
            pool = &k.p2
            pw = k.pw2
        elif sex == 77:
            pool = &k.p3
            pw = k.pw3
    o = _put_item(out, 0, pool, <uint32_t>sp_mod256(num, pool.n, pw))
    if upper and n > 1:
        for i in range(o):
            if 97 <= out[i] <= 122:
                out[i] = <char>(out[i] - 32)
    elif lower:
        for i in range(o):
            if 65 <= out[i] <= 90:
                out[i] = <char>(out[i] + 32)
    return o


cdef bint _pool_has_lower(const Pool* p, const char* s, Py_ssize_t n) noexcept nogil:
    """Whether the pool (lower-case ASCII words) holds ``s`` lower-cased."""
    cdef uint32_t i
    cdef Py_ssize_t j
    cdef const char* w
    for i in range(p.n):
        if p.offs[i + 1] - p.offs[i] != n:
            continue
        w = p.data + p.offs[i]
        j = 0
        while j < n and (s[j] | 32) == w[j]:
            j += 1
        if j == n:
            return True
    return False


cdef Py_ssize_t _k_full(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``{fake: name}`` as names.py composes it, for two to four words of two or more
    ASCII letters and digits (a letter in each) between single blanks, none a title,
    suffix or particle: every word
    but the last is a first name, the last a surname.  Anything else (initials,
    hyphens, commas, one word) returns -1: the Python function decides."""
    cdef Py_ssize_t starts[4]
    cdef Py_ssize_t ends[4]
    cdef Py_ssize_t i = 0, j, start, o = 0, r, words = 0, letters
    cdef char c
    while i < n:
        if words == 4:
            return -1
        start = i
        letters = 0
        while i < n:
            c = s[i]
            if 65 <= c <= 90 or 97 <= c <= 122:
                letters += 1
            elif not 48 <= c <= 57:
                break
            i += 1
        if letters == 0 or i - start < 2 or i - start > 64 or \
                _pool_has_lower(&k.p1, s + start, i - start):
            return -1
        starts[words] = start
        ends[words] = i
        words += 1
        if i < n:
            if s[i] != 32 or i + 1 == n:
                return -1
            i += 1
    if words < 2:
        return -1
    for j in range(words):
        if j:
            out[o] = 32
            o += 1
        r = _k_person(&k.parts[1] if j == words - 1 else &k.parts[0], s + starts[j],
                      ends[j] - starts[j], out + o)
        if r < 0:
            return -1
        o += r
    return o


cdef bint _pool_raw(const Pool* p) noexcept nogil:
    """No byte of any item needs COPY escaping (an empty pool is raw)."""
    cdef Py_ssize_t i
    if p.n == 0:
        return True
    for i in range(p.offs[p.n]):
        if _OUT_ESC[<uint8_t>p.data[i]]:
            return False
    return True


cdef void _pool_free(Pool* p) noexcept:
    free(p.data)
    free(p.offs)
    p.data = NULL
    p.offs = NULL


cdef void _kernel_free(Kernel* k) noexcept:
    cdef Py_ssize_t i
    free(k.prefix)
    k.prefix = NULL
    free(k.prefix2)
    k.prefix2 = NULL
    if not k.per_shared:
        free(k.per)
    k.per = NULL
    k.per_shared = False
    _pool_free(&k.p1)
    _pool_free(&k.p2)
    _pool_free(&k.p3)
    free(k.sex)
    k.sex = NULL
    free(k.sexblob)
    k.sexblob = NULL
    if k.shapes != NULL:
        for i in range(SHAPE_SLOTS):
            free(k.shapes[i].pattern)
        free(k.shapes)
        k.shapes = NULL
    memset(k.ishape, 0, sizeof(k.ishape))
    if k.json != NULL:
        _json_free(k.json)
        k.json = NULL
    if k.parts != NULL:
        _kernel_free(&k.parts[0])
        _kernel_free(&k.parts[1])
        free(k.parts)
        k.parts = NULL
    k.kind = K_NONE


cdef int _kernel_init(Kernel* k, object desc) except -1:
    """Fill ``k`` from a ``BuiltTransform.kernel`` tuple; unknown ones stay K_NONE."""
    cdef bytes key, prefix
    k.kind = K_NONE
    if desc is None:
        return 0
    name, rstrip, limit, params = desc
    k.rstrip = bool(rstrip)
    k.limit = int(limit)
    if name == "fake":
        key, prefix, shape = params
        gen = shape[0]
        if gen == "pool":
            k.gen = G_POOL
            _pool_init(&k.p1, shape[1])
        elif gen == "name":
            k.gen = G_NAME
            _pool_init(&k.p1, shape[1])
            _pool_init(&k.p2, shape[2])
        elif gen == "email":
            k.gen = G_EMAIL
            _pool_init(&k.p1, shape[1])
            _pool_init(&k.p2, shape[2])
        elif gen == "phone":
            k.gen = G_PHONE
            _pool_init(&k.p1, shape[1])
        elif gen == "street":
            k.gen = G_STREET
            _pool_init(&k.p1, shape[1])
        elif gen == "ssn":
            k.gen = G_SSN
            k.compact = bool(shape[1])
        elif gen == "first":
            k.gen = G_FIRST
            _pool_init(&k.p1, shape[1])
            _pool_init(&k.p2, shape[2])
            _pool_init(&k.p3, shape[3])
            if not (_pool_ascii(&k.p1) and _pool_ascii(&k.p2) and _pool_ascii(&k.p3)):
                return 0
            _sex_init(k, shape[4], shape[5])
            sp_mod_powers(k.p2.n, k.pw2)
            sp_mod_powers(k.p3.n, k.pw3)
        elif gen == "last":
            k.gen = G_LAST
            _pool_init(&k.p1, shape[1])
            if not _pool_ascii(&k.p1):
                return 0
        elif gen == "full":
            # The part kernels (their own keys), and the words that make a value more
            # than plain names (titles, suffixes, particles): those go to Python.
            k.parts = <Kernel*>calloc(2, sizeof(Kernel))  # two: _kernel_free frees both
            if k.parts == NULL:
                raise MemoryError()
            _kernel_init(&k.parts[0], ("fake", False, -1, shape[1]))
            _kernel_init(&k.parts[1], ("fake", False, -1, shape[2]))
            if k.parts[0].kind != K_FAKE or k.parts[0].gen != G_FIRST or \
                    k.parts[1].kind != K_FAKE or k.parts[1].gen != G_LAST:
                return 0
            k.gen = G_FULL
            _pool_init(&k.p1, shape[3])
            k.raw_out = k.parts[0].raw_out and k.parts[1].raw_out  # and blanks
            k.kind = K_FAKE
            return 0
        else:
            return 0
        # Every generator reads the digest integer as mixed-radix digits; the product
        # of the radices is the only part of it that matters.
        n1 = int(k.p1.n)  # Python ints: the products must not wrap
        n2 = int(k.p2.n)
        if k.gen == G_POOL or k.gen == G_FIRST or k.gen == G_LAST:
            mod = n1
        elif k.gen == G_NAME:
            mod = n1 * n2
        elif k.gen == G_EMAIL:
            mod = n1 * n2 * 12
        elif k.gen == G_PHONE:
            mod = n1 * 100
        elif k.gen == G_STREET:
            mod = n1 * 3 * 10**5 * 8 * 900
        else:
            mod = 100 * 99 * 9999
        if mod >= (1 << 62):
            return 0
        k.modulus = mod
        # Literals are plain text; the pools (Faker's data) are checked, not assumed.
        k.raw_out = _pool_raw(&k.p1) and _pool_raw(&k.p2) and _pool_raw(&k.p3)
        sp_mod_powers(k.modulus, k.pw)
        k.kind = K_FAKE
    elif name == "tokenize":
        key, prefix, mode = params
        if mode not in ("digits", "alnum", "upper"):
            return 0
        k.mode = ("digits", "alnum", "upper").index(mode)
        k.shapes = <Shape*>calloc(SHAPE_SLOTS, sizeof(Shape))
        if k.shapes == NULL:
            raise MemoryError()
        k.kind = K_TOKENIZE
        k.raw_out = True  # the input's own bytes (no escapes), digits and letters
    elif name == "year":
        has_floor, floor = params
        k.has_floor = bool(has_floor)
        if k.has_floor and not -100000 < floor < 100000:
            return 0
        k.floor = int(floor) if k.has_floor else 0
        k.kind = K_YEAR
        k.raw_out = True  # digits and '-'
        return 0
    elif name == "zip3":
        k.kind = K_ZIP3
        k.raw_out = True  # digits
        return 0
    elif name == "hash":
        key, prefix, alphabet, length = params
        if alphabet not in ("hex", "digits", "alnum") or not 1 <= length <= HASH_MAX:
            return 0
        if not (PyBytes_GET_SIZE(prefix) >= 4 and prefix.endswith(b"h\x00\x00\x00")):
            return 0  # block i's tag is "h" and i in two bytes: the kernel rewrites them
        k.alphabet = ("hex", "digits", "alnum").index(alphabet)
        k.length = length
        # As ``hashing.make_hash`` draws them: HMAC blocks for 128 spare bits.
        k.hash_blocks = ((4 if k.alphabet < 2 else 6) * length + 128 + 255) // 256
        if k.alphabet == 1 and length <= 18:
            k.modulus = 10 ** length
            sp_mod_powers(k.modulus, k.pw)
        k.kind = K_HASH
        k.raw_out = True  # hex, digits or letters and digits
    elif name == "mask":
        keep_first, keep_last, char = params
        if len(char) != 1 or not (32 <= ord(char) <= 126) or char == "\\":
            return 0
        if not (0 <= keep_first < (1 << 30) and 0 <= keep_last < (1 << 30)):
            return 0
        k.keep_first = keep_first
        k.keep_last = keep_last
        k.mask_char = ord(char)
        k.kind = K_MASK
        k.raw_out = True  # the input's own bytes and a printable ASCII character
        return 0
    elif name == "unique":
        key, prefix, how, subkey, umax = params
        if how == "tok":
            k.ugen = U_TOK
        elif how == "email":
            k.ugen = U_EMAIL
        elif how == "url":
            k.ugen = U_URL
        elif how in ("ssn", "ssn9") and len(subkey) == 16:
            k.ugen = U_SSN
            k.compact = how == "ssn9"
            _shape_keyed(&k.ssn, <const uint8_t*>PyBytes_AS_STRING(subkey), 1000000000)
        elif how == "card":
            k.ugen = U_CARD
            # The digits before the check digit: ``{tokenize: digits}`` under the same key.
            k.parts = <Kernel*>calloc(2, sizeof(Kernel))  # two: _kernel_free frees both
            if k.parts == NULL:
                raise MemoryError()
            _kernel_init(&k.parts[0], ("tokenize", False, -1, (key, b"k\x00txt|digits|",
                                                              "digits")))
            if k.parts[0].kind != K_TOKENIZE:
                return 0
        elif how == "iban":
            k.ugen = U_IBAN
        elif how == "vin" and len(subkey) == 16:
            k.ugen = U_VIN
            _shape_keyed(&k.ssn, <const uint8_t*>PyBytes_AS_STRING(subkey), _pow_u128(33, 16))
        elif how in ("uuid", "ip") and len(subkey) == 32 and SP_HAVE_U128:
            k.ugen = U_UUID if how == "uuid" else U_IP
            _shape_keyed(&k.ssn, <const uint8_t*>PyBytes_AS_STRING(subkey),
                         _pow_u128(2, 122 if how == "uuid" else 32))
            if not _big_pow2(&k.ssn.big, <const uint8_t*>PyBytes_AS_STRING(subkey) + 16, 128):
                return 0
        else:
            return 0
        k.umax = umax
        k.mode = 1  # the tokenization of every part is ``{tokenize: alnum}``'s
        k.shapes = <Shape*>calloc(SHAPE_SLOTS, sizeof(Shape))
        if k.shapes == NULL:
            raise MemoryError()
        k.kind = K_UNIQUE
        k.raw_out = True  # the input's own bytes, digits, letters and ".example"
    elif name == "json":
        return _json_init(k, params)
    elif name == "array":
        # The element's own kernel (char(n) padding and truncation apply per element).
        k.parts = <Kernel*>calloc(2, sizeof(Kernel))  # two: _kernel_free frees both
        if k.parts == NULL:
            raise MemoryError()
        _kernel_init(&k.parts[0], params[0])
        if k.parts[0].kind == K_NONE or k.parts[0].kind == K_ARRAY:
            return 0
        k.kind = K_ARRAY
        k.raw_out = False  # quotes and backslashes of array_out; the caller escapes
        return 0
    elif name == "tokint":
        key, prefix, bounds = params
        if not (0 < bounds[0] <= (1 << 63) and 0 < bounds[1] <= (1 << 63)):
            return 0
        k.neg_bound = bounds[0]
        k.pos_bound = bounds[1]
        k.shapes = <Shape*>calloc(SHAPE_SLOTS, sizeof(Shape))
        if k.shapes == NULL:
            raise MemoryError()
        k.kind = K_TOKINT
        k.raw_out = True  # a sign and digits
    elif name == "shift":
        key, prefix, per_prefix, days = params
        if not 1 <= days <= 100000:
            return 0
        k.days = days
        sp_fastmod_init(&k.dmod, <uint64_t>(2 * days))
        for word in range(4):
            k.dpw[word] = pow(2, 64 * word, 2 * days)
        k.plen2 = PyBytes_GET_SIZE(per_prefix)
        k.prefix2 = <char*>malloc(k.plen2 + 1)
        k.per = <PerSlot*>calloc(PER_SLOTS, sizeof(PerSlot))
        if k.prefix2 == NULL or k.per == NULL:
            raise MemoryError()
        memcpy(k.prefix2, PyBytes_AS_STRING(per_prefix), k.plen2)
        k.kind = K_SHIFT
        k.raw_out = True  # the input's own bytes with other digits in the date
    else:
        return 0
    if name == "hash":
        sp_hmac_init(&k.hmac, <const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    elif PyBytes_GET_SIZE(key) == 32:
        sp_prf_init(&k.prf, <const uint8_t*>PyBytes_AS_STRING(key), 32)
    else:
        _kernel_free(k)  # not a domain key (keyed.Prf.key is 32 bytes): the Python function
        return 0
    k.plen = PyBytes_GET_SIZE(prefix)
    k.prefix = <char*>malloc(k.plen + 1)
    if k.prefix == NULL:
        raise MemoryError()
    memcpy(k.prefix, PyBytes_AS_STRING(prefix), k.plen)
    return 0


cdef inline bint _fast_domain(const char* s, Py_ssize_t n) noexcept nogil:
    """Printable ASCII without backslash: raw bytes are the value, nothing to decode."""
    cdef Py_ssize_t i = 0
    cdef uint8_t c
    cdef uint64_t w, t
    if n > KMAX_IN:
        return False
    while i + 8 <= n:
        # Eight bytes at a time: any byte < 32, > 126 or == 92 fails (exact SWAR tests).
        memcpy(&w, s + i, 8)
        t = ((w - 0x2020202020202020ULL) | (w + 0x0101010101010101ULL)
             | w | ((w ^ 0x5C5C5C5C5C5C5C5CULL) - 0x0101010101010101ULL))
        if t & 0x8080808080808080ULL:
            break
        i += 8
    for i in range(i, n):
        c = <uint8_t>s[i]
        if c < 32 or c > 126 or c == 92:
            return False
    return True


cdef inline Py_ssize_t _put_bytes(char* out, Py_ssize_t o, const char* s, Py_ssize_t n) noexcept nogil:
    if o < 0 or o + n > KOUT:
        return -1
    memcpy(out + o, s, n)
    return o + n


cdef inline Py_ssize_t _put_item(char* out, Py_ssize_t o, Pool* p, uint32_t i) noexcept nogil:
    return _put_bytes(out, o, p.data + p.offs[i], p.offs[i + 1] - p.offs[i])


cdef extern from *:
    """
    /* "00" to "99", two bytes each: decimal output two digits a division. */
    static const char sp_digits2[201] =
        "0001020304050607080910111213141516171819"
        "2021222324252627282930313233343536373839"
        "4041424344454647484950515253545556575859"
        "6061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    """
    const char* _DIGITS2 "sp_digits2"


cdef inline Py_ssize_t _put_uint(char* out, Py_ssize_t o, uint64_t v, int width) noexcept nogil:
    """``v`` in decimal, zero-padded to ``width`` digits (at most 20)."""
    cdef char tmp[24]
    cdef int n = 0       # digits so far, written leftwards from the end of tmp
    cdef uint64_t t
    while v >= 100:
        t = v % 100
        v //= 100
        memcpy(tmp + 22 - n, _DIGITS2 + 2 * t, 2)
        n += 2
    if v >= 10:
        memcpy(tmp + 22 - n, _DIGITS2 + 2 * v, 2)
        n += 2
    elif v != 0 or n == 0:
        tmp[23 - n] = <char>(48 + v)
        n += 1
    while n < width:
        tmp[23 - n] = 48
        n += 1
    if o < 0 or o + n > KOUT:
        return -1
    for t in range(<uint64_t>n):  # at most 20 bytes: no call to memcpy
        out[o + <Py_ssize_t>t] = tmp[24 - n + <Py_ssize_t>t]
    return o + n


cdef inline bint _all_digits(const char* s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if n == 0:
        return False
    for i in range(n):
        if s[i] < 48 or s[i] > 57:
            return False
    return True


cdef Py_ssize_t _k_fake(Kernel* k, const char* s, Py_ssize_t n, char* out,
                       const uint8_t* digest) noexcept nogil:
    """A non-unique fake at level 0, as ``fakes.py`` computes it; -1 asks for the fallback."""
    cdef uint8_t dg[32]
    cdef uint32_t num[8]
    cdef int i
    cdef uint64_t a, b, c, d, style, width, sec
    cdef uint64_t number, p10, r
    cdef Py_ssize_t o = 0, fl, ll
    cdef const char* st = s
    cdef Py_ssize_t sn = n
    if k.gen == G_FIRST or k.gen == G_LAST:
        return _k_person(k, s, n, out)  # keyed by the title-cased name, not the raw bytes
    if k.gen == G_FULL:
        return _k_full(k, s, n, out)
    if digest == NULL:
        sp_prf2(&k.prf, <const uint8_t*>k.prefix, k.plen, <const uint8_t*>s, n, dg)
        digest = dg
    for i in range(8):
        num[i] = sp_load_be32(digest + 4 * i)
    # n mod (product of every radix the generator reads), then cheap 64-bit digits.
    r = sp_mod256(num, k.modulus, k.pw)
    if k.gen == G_POOL:
        return _put_item(out, 0, &k.p1, <uint32_t>r)
    if k.gen == G_NAME:
        a = r % k.p1.n
        b = r // k.p1.n
        o = _put_item(out, 0, &k.p1, <uint32_t>a)
        o = _put_bytes(out, o, " ", 1)
        return _put_item(out, o, &k.p2, <uint32_t>b)
    if k.gen == G_EMAIL:
        a = r % k.p1.n
        r //= k.p1.n
        b = r % k.p2.n
        r //= k.p2.n
        style = r % 4
        d = r // 4
        fl = k.p1.offs[a + 1] - k.p1.offs[a]
        if style == 0:
            o = _put_item(out, 0, &k.p1, <uint32_t>a)
            o = _put_bytes(out, o, ".", 1)
        elif style == 1:
            if fl == 0:
                return -1  # f[0] of an empty slug raises in Python
            o = _put_bytes(out, 0, k.p1.data + k.p1.offs[a], 1)
        elif style == 2:
            o = _put_item(out, 0, &k.p1, <uint32_t>a)
        else:
            o = _put_item(out, 0, &k.p1, <uint32_t>a)
            o = _put_bytes(out, o, "_", 1)
        o = _put_item(out, o, &k.p2, <uint32_t>b)
        if d == 0:
            return _put_bytes(out, o, "@example.com", 12)
        if d == 1:
            return _put_bytes(out, o, "@example.org", 12)
        return _put_bytes(out, o, "@example.net", 12)
    # The shape-sensitive generators look at original.strip() (spaces only in this domain).
    while sn > 0 and st[0] == 32:
        st += 1
        sn -= 1
    while sn > 0 and st[sn - 1] == 32:
        sn -= 1
    if k.gen == G_PHONE:
        a = r % k.p1.n
        b = r // k.p1.n
        if _all_digits(st, sn):
            if sn == 11 and st[0] == 49:
                o = _put_bytes(out, 0, "1", 1)
                o = _put_item(out, o, &k.p1, <uint32_t>a)
                o = _put_bytes(out, o, "55501", 5)
                return _put_uint(out, o, b, 2)
            if sn == 10:
                o = _put_item(out, 0, &k.p1, <uint32_t>a)
                o = _put_bytes(out, o, "55501", 5)
                return _put_uint(out, o, b, 2)
        if sn == 12 and st[3] == 45 and st[7] == 45:
            o = _put_item(out, 0, &k.p1, <uint32_t>a)
            o = _put_bytes(out, o, "-555-01", 7)
            return _put_uint(out, o, b, 2)
        if sn >= 2 and st[0] == 43 and st[1] == 49:
            o = _put_bytes(out, 0, "+1-", 3)
            o = _put_item(out, o, &k.p1, <uint32_t>a)
            o = _put_bytes(out, o, "-555-01", 7)
            return _put_uint(out, o, b, 2)
        o = _put_bytes(out, 0, "(", 1)
        o = _put_item(out, o, &k.p1, <uint32_t>a)
        o = _put_bytes(out, o, ") 555-01", 8)
        return _put_uint(out, o, b, 2)
    if k.gen == G_STREET:
        a = r % k.p1.n
        r //= k.p1.n
        width = r % 3
        r //= 3
        p10 = 1000
        for i in range(<int>width):
            p10 *= 10
        number = r % p10
        r //= p10
        if number < 1:
            number = 1
        sec = r % 8
        r //= 8
        o = _put_uint(out, 0, number, 1)
        o = _put_bytes(out, o, " ", 1)
        o = _put_item(out, o, &k.p1, <uint32_t>a)
        if sec == 0:
            o = _put_bytes(out, o, " Apt. ", 6)
            return _put_uint(out, o, r % 900 + 100, 1)
        if sec == 1:
            o = _put_bytes(out, o, " Suite ", 7)
            return _put_uint(out, o, r % 900 + 100, 1)
        return o
    if k.gen == G_SSN:
        a = r % 100
        r //= 100
        b = r % 99
        c = r // 99
        o = _put_uint(out, 0, 900 + a, 1)
        if k.compact or (sn == 9 and _all_digits(st, sn)):
            o = _put_uint(out, o, b + 1, 2)
            return _put_uint(out, o, c + 1, 4)
        o = _put_bytes(out, o, "-", 1)
        o = _put_uint(out, o, b + 1, 2)
        o = _put_bytes(out, o, "-", 1)
        return _put_uint(out, o, c + 1, 4)
    return -1


cdef inline uint64_t _fnv(const char* s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h = 0xcbf29ce484222325ULL
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ <uint8_t>s[i]) * 0x100000001b3ULL
    return h


cdef Shape* _shape_for(Kernel* k, const char* pat, Py_ssize_t n, sp_u128 total,
                       const uint64_t* big=NULL) noexcept nogil:
    """The cached round key of one tokenize shape, derived like ``Prf.subkey`` on a miss.

    ``big``: the domain as four limbs when it is past 2**124 (``total`` is then unused);
    NULL when such a domain cannot be permuted in C.
    """
    cdef uint64_t h = _fnv(pat, n)
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
    cdef uint64_t k0 = 0, k1 = 0, top
    cdef int j
    memcpy(sh.key, key, 16)
    for j in range(7, -1, -1):
        k0 = (k0 << 8) | key[j]
        k1 = (k1 << 8) | key[8 + j]
    sh.sip[0] = k0 ^ 0x736f6d6570736575ULL
    sh.sip[1] = k1 ^ 0x646f72616e646f6dULL
    sh.sip[2] = k0 ^ 0x6c7967656e657261ULL
    sh.sip[3] = k1 ^ 0x7465646279746573ULL
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
            r = _k_tokenize(k, s + i + 1, n - i - 1, out + o)
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
            r = _k_tokenize(k, s + i, j - i, out + o)
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
            free(k.per)
            k.per = other.per
            k.per_shared = True
            return


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
    the cache is bypassed for the rest of the block (the PRF runs every row).
    """
    cdef uint64_t h
    cdef PerSlot* bucket
    cdef PerSlot* slot
    cdef int off, w
    if n > PER_KEY or k.per_off:
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


# ---------------------------------------------------------------- json paths

cdef void _json_free(JSpec* js) noexcept:
    cdef int p, j
    if js.paths != NULL:
        for p in range(js.npaths):
            if js.paths[p].steps != NULL:
                for j in range(js.paths[p].nsteps):
                    free(js.paths[p].steps[j].key)
                free(js.paths[p].steps)
            free(js.paths[p].const_)
        free(js.paths)
    if js.inner != NULL:
        for p in range(js.npaths):
            _kernel_free(&js.inner[p])
        free(js.inner)
    free(js.nodes)
    free(js.act)
    free(js.kbuf)
    free(js)


cdef int _json_init(Kernel* k, object params) except -1:
    """``("json", ..., (other_paths, ((steps, rule), ...)))`` from ``jsonpath.build_json``;
    unknown forms leave the kernel K_NONE (the Python function runs)."""
    cdef JSpec* js
    cdef JPath* jp
    cdef int p, j
    cdef bytes b
    other, paths = params
    if other not in ("keep", "null", "fail") or not 1 <= len(paths) <= 64:
        return 0
    js = <JSpec*>calloc(1, sizeof(JSpec))
    if js == NULL:
        raise MemoryError()
    k.json = js
    js.npaths = len(paths)
    js.other = ("keep", "null", "fail").index(other)
    js.paths = <JPath*>calloc(js.npaths, sizeof(JPath))
    js.inner = <Kernel*>calloc(js.npaths, sizeof(Kernel))
    js.nodes = <JNode*>malloc(KMAX_IN * sizeof(JNode))
    js.act = <int*>malloc((KMAX_IN + 2) * js.npaths * sizeof(int))
    js.kbuf = <char*>malloc(KOUT)
    if js.paths == NULL or js.inner == NULL or js.nodes == NULL or js.act == NULL or \
            js.kbuf == NULL:
        raise MemoryError()
    for p, (steps, rule) in enumerate(paths):
        jp = &js.paths[p]
        jp.steps = <JStep*>calloc(len(steps) + 1, sizeof(JStep))
        if jp.steps == NULL:
            raise MemoryError()
        jp.nsteps = len(steps)
        for j, (kind, arg) in enumerate(steps):
            if kind == "key":
                b = arg
                jp.steps[j].kind = 0
                jp.steps[j].klen = len(b)
                jp.steps[j].key = <char*>malloc(len(b) + 1)
                if jp.steps[j].key == NULL:
                    raise MemoryError()
                memcpy(jp.steps[j].key, PyBytes_AS_STRING(b), len(b))
            elif kind == "index" and -(1 << 30) < arg < (1 << 30):
                jp.steps[j].kind = 1
                jp.steps[j].index = arg
            elif kind == "wild":
                jp.steps[j].kind = 2
            else:
                return 0
        if rule[0] == "keep":
            jp.rule = J_KEEP
        elif rule[0] == "null":
            jp.rule = J_NULL
        elif rule[0] == "value":
            b = rule[1]
            jp.rule = J_CONST
            jp.clen = len(b)
            jp.const_ = <char*>malloc(len(b) + 1)
            if jp.const_ == NULL:
                raise MemoryError()
            memcpy(jp.const_, PyBytes_AS_STRING(b), len(b))
        elif rule[0] == "kernel":
            jp.rule = J_KERNEL
            _kernel_init(&js.inner[p], rule[1])
            if js.inner[p].kind == K_NONE or js.inner[p].kind == K_ARRAY or \
                    js.inner[p].kind == K_JSON:
                return 0
        else:
            return 0
    k.kind = K_JSON
    k.raw_out = False  # JSON escapes hold backslashes: the caller escapes for COPY
    return 0


cdef inline Py_ssize_t _jws(const char* s, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    while i < n and s[i] == 32:
        i += 1
    return i


cdef Py_ssize_t _jvalue(const char* s, Py_ssize_t n, Py_ssize_t i, JNode* nodes, int* cnt,
                        int depth) noexcept nogil:
    """Parse one JSON value at ``s[i]`` (a field in the fast domain: printable ASCII, no
    backslash) into ``nodes``; the offset after it, or -1 for anything ``json.loads``
    would read differently from its text (floats, -0, duplicate keys) or reject."""
    cdef int me, child, prev = -1, q
    cdef JNode* nd
    cdef Py_ssize_t ks, ke
    cdef char c
    i = _jws(s, n, i)
    if i >= n or cnt[0] >= KMAX_IN or depth > 400:
        return -1
    me = cnt[0]
    cnt[0] += 1
    nd = &nodes[me]
    nd.first = -1
    nd.next = -1
    nd.count = 0
    nd.kstart = 0
    nd.klen = 0
    nd.start = i
    c = s[i]
    if c == 123 or c == 91:  # { [
        nd.type = 0 if c == 123 else 1
        i = _jws(s, n, i + 1)
        if i < n and s[i] == (125 if c == 123 else 93):
            return i + 1
        while True:
            if c == 123:
                if i >= n or s[i] != 34:
                    return -1
                ks = i + 1
                ke = ks
                while ke < n and s[ke] != 34:
                    ke += 1
                if ke >= n:
                    return -1
                # A duplicate key: json.loads keeps the last value at the first's place.
                q = nodes[me].first
                while q >= 0:
                    if nodes[q].klen == ke - ks and memcmp(s + nodes[q].kstart, s + ks, ke - ks) == 0:
                        return -1
                    q = nodes[q].next
                i = _jws(s, n, ke + 1)
                if i >= n or s[i] != 58:
                    return -1
                i += 1
            child = cnt[0]
            i = _jvalue(s, n, i, nodes, cnt, depth + 1)
            if i < 0:
                return -1
            if c == 123:
                nodes[child].kstart = ks
                nodes[child].klen = ke - ks
            if prev < 0:
                nodes[me].first = child
            else:
                nodes[prev].next = child
            prev = child
            nodes[me].count += 1
            i = _jws(s, n, i)
            if i >= n:
                return -1
            if s[i] == 44:
                i = _jws(s, n, i + 1)
            elif s[i] == (125 if c == 123 else 93):
                return i + 1
            else:
                return -1
    if c == 34:  # a string: no escapes in the fast domain
        nd.type = 2
        nd.start = i + 1
        i += 1
        while i < n and s[i] != 34:
            i += 1
        if i >= n:
            return -1
        nd.len = i - nd.start
        return i + 1
    if c == 45 or _digit(c):  # an integer as json.dumps writes it back
        nd.type = 3
        if c == 45:
            i += 1
        if i >= n or not _digit(s[i]):
            return -1
        if s[i] == 48:
            i += 1
            if c == 45:
                return -1  # -0 reads as 0
        else:
            while i < n and _digit(s[i]):
                i += 1
        if i < n and (s[i] == 46 or s[i] == 101 or s[i] == 69 or _digit(s[i])):
            return -1  # a float (its repr may differ from its text)
        nd.len = i - nd.start
        return i
    if n - i >= 4 and sp_eq(s + i, "true", 4):
        nd.type = 4
        nd.len = 4
        return i + 4
    if n - i >= 5 and sp_eq(s + i, "false", 5):
        nd.type = 5
        nd.len = 5
        return i + 5
    if n - i >= 4 and sp_eq(s + i, "null", 4):
        nd.type = 6
        nd.len = 4
        return i + 4
    return -1


cdef Py_ssize_t _put_jstring(char* out, Py_ssize_t o, const char* r, Py_ssize_t m) noexcept nogil:
    """``r`` as json.dumps(ensure_ascii=False) writes a string."""
    cdef Py_ssize_t i
    cdef uint8_t c
    if o < 0 or o + 6 * m + 2 > KOUT:
        return -1
    out[o] = 34
    o += 1
    for i in range(m):
        c = <uint8_t>r[i]
        if c == 34 or c == 92:
            out[o] = 92
            out[o + 1] = <char>c
            o += 2
        elif c < 32:
            out[o] = 92
            if c == 8 or c == 9 or c == 10 or c == 12 or c == 13:
                out[o + 1] = <char>(98 if c == 8 else (116 if c == 9 else (110 if c == 10 else
                                    (102 if c == 12 else 114))))
                o += 2
            else:
                out[o + 1] = 117
                out[o + 2] = 48
                out[o + 3] = 48
                out[o + 4] = _HEXDIGITS[c >> 4]
                out[o + 5] = _HEXDIGITS[c & 15]
                o += 6
        else:
            out[o] = <char>c
            o += 1
    out[o] = 34
    return o + 1


cdef Py_ssize_t _put_jtoken(char* out, Py_ssize_t o, const char* s, const JNode* nd) noexcept nogil:
    """A scalar unchanged: its own text (a string's with its quotes)."""
    if nd.type == 2:
        o = _put_bytes(out, o, "\"", 1)
        o = _put_bytes(out, o, s + nd.start, nd.len)
        return _put_bytes(out, o, "\"", 1)
    return _put_bytes(out, o, s + nd.start, nd.len)


cdef Py_ssize_t _jwalk(Kernel* k, const char* s, int x, const int* act, int cover, char* out,
                       Py_ssize_t o, int depth) noexcept nogil:
    """Write node ``x`` as ``jsonpath.build_json``'s function writes it; -1: decline.

    ``act[p]``: the next step of path p at this node (-1: the path does not lead here);
    ``cover``: the first path (in policy order) that reached an ancestor (npaths: none).
    Only ``keep`` may reach a container here: any other rule there declines, and so do
    ``other_paths: fail`` on anything it would stop at (the Python function raises).
    """
    cdef JSpec* js = k.json
    cdef JNode* nd = &js.nodes[x]
    cdef JNode* cn
    cdef JStep* st
    cdef int P = js.npaths, p, reached = P, win, c, idx = 0, ix
    cdef int* ca
    cdef bint named, first = True
    cdef const char* text
    cdef Py_ssize_t tlen, r
    cdef JPath* jp
    for p in range(P):
        if act[p] == js.paths[p].nsteps:
            if nd.type <= 1 and js.paths[p].rule != J_KEEP:
                return -1
            if reached == P:
                reached = p
    if nd.type <= 1:
        if reached < cover:
            cover = reached
        ca = js.act + (depth + 1) * P
        o = _put_bytes(out, o, "{", 1) if nd.type == 0 else _put_bytes(out, o, "[", 1)
        c = nd.first
        while c >= 0:
            cn = &js.nodes[c]
            named = False
            for p in range(P):
                ca[p] = -1
                if act[p] < 0 or act[p] >= js.paths[p].nsteps:
                    continue
                st = &js.paths[p].steps[act[p]]
                if st.kind == 2:
                    ca[p] = act[p] + 1
                elif st.kind == 0:
                    if nd.type == 0 and st.klen == cn.klen and \
                            memcmp(st.key, s + cn.kstart, st.klen) == 0:
                        ca[p] = act[p] + 1
                        named = True
                elif nd.type == 1 and -nd.count <= st.index < nd.count:
                    ix = <int>(st.index if st.index >= 0 else st.index + nd.count)
                    if ix == idx:
                        ca[p] = act[p] + 1
            if nd.type == 0 and js.other != 0 and not named and cover >= P:
                # A key no path names literally and no path reaches an ancestor of (below
                # a node ``keep`` reaches, the subtree is kept whole): other_paths decides.
                if js.other == 2:
                    return -1
                # null: the member goes (its key may be the identifier), once its values
                # have been through their transforms, which may decline.
                if _jwalk(k, s, c, ca, cover, out, o, depth + 1) < 0:
                    return -1
                c = cn.next
                idx += 1
                continue
            if not first:
                o = _put_bytes(out, o, ", ", 2)
            first = False
            if nd.type == 0:
                o = _put_bytes(out, o, "\"", 1)
                o = _put_bytes(out, o, s + cn.kstart, cn.klen)
                o = _put_bytes(out, o, "\": ", 3)
            o = _jwalk(k, s, c, ca, cover, out, o, depth + 1)
            if o < 0:
                return -1
            c = cn.next
            idx += 1
        return _put_bytes(out, o, "}", 1) if nd.type == 0 else _put_bytes(out, o, "]", 1)
    win = reached if reached < cover else cover
    if win >= P:
        if js.other == 0 or nd.type == 6:
            return _put_jtoken(out, o, s, nd)
        if js.other == 1:
            return _put_bytes(out, o, "null", 4)
        return -1
    jp = &js.paths[win]
    if jp.rule == J_KEEP:
        return _put_jtoken(out, o, s, nd)
    if jp.rule == J_NULL:
        return _put_bytes(out, o, "null", 4)  # (JSON null stays null alike)
    text = s + nd.start
    tlen = nd.len
    if jp.rule == J_CONST:
        if nd.type != 6 and tlen == jp.clen and memcmp(text, jp.const_, tlen) == 0:
            return _put_jtoken(out, o, s, nd)  # unchanged: a number keeps its type
        return _put_jstring(out, o, jp.const_, jp.clen)
    if nd.type == 6:
        return _put_jtoken(out, o, s, nd)  # the transform of NULL is NULL
    r = _run_kernel(&js.inner[win], text, tlen, js.kbuf, NULL)
    if r < 0:
        return -1
    if r == tlen and memcmp(js.kbuf, text, tlen) == 0:
        return _put_jtoken(out, o, s, nd)
    return _put_jstring(out, o, js.kbuf, r)


cdef Py_ssize_t _k_json(Kernel* k, const char* s, Py_ssize_t n, char* out) noexcept nogil:
    """``jsonpath.build_json``'s function on a document of printable ASCII, as json.dumps
    writes it back; -1 for the Python function (see ``_jvalue`` and ``_jwalk``)."""
    cdef int cnt = 0, p
    cdef Py_ssize_t end = _jvalue(s, n, 0, k.json.nodes, &cnt, 0)
    if end < 0 or _jws(s, n, end) != n:
        return -1
    for p in range(k.json.npaths):
        k.json.act[p] = 0
    return _jwalk(k, s, 0, k.json.act, k.json.npaths, out, 0, 0)


cdef Py_ssize_t _run_kernel(Kernel* k, const char* s, Py_ssize_t n, char* out,
                            const uint8_t* digest) noexcept nogil:
    """The kernel's output for raw field bytes in the fast domain, or -1 for the fallback.

    ``digest``: a fake's PRF digest of the (stripped) value when already computed, else NULL.
    """
    cdef Py_ssize_t o, i, chars
    if k.rstrip:
        while n > 0 and s[n - 1] == 32:
            n -= 1
    if k.kind == K_FAKE:
        o = _k_fake(k, s, n, out, digest)
    elif k.kind == K_TOKENIZE:
        o = _k_tokenize(k, s, n, out)
    elif k.kind == K_YEAR:
        o = _k_year(k, s, n, out)
    elif k.kind == K_ZIP3:
        o = _k_zip3(s, n, out)
    elif k.kind == K_SHIFT:
        o = _k_shift(s, n, out, _shift_offset(k, k.prefix, k.plen, s, n))
    elif k.kind == K_TOKINT:
        o = _k_tokint(k, s, n, out)
    elif k.kind == K_HASH:
        o = _k_hash(k, s, n, out)
    elif k.kind == K_MASK:
        o = _k_mask(k, s, n, out)
    elif k.kind == K_UNIQUE:
        o = _k_unique(k, s, n, out)
    elif k.kind == K_JSON:
        o = _k_json(k, s, n, out)
    elif k.kind == K_ARRAY:
        o = _k_array(k, s, n, out)
    else:
        return -1
    if o >= 0 and k.limit >= 0:
        # Truncate to ``limit`` characters (UTF-8: count bytes that start a character).
        chars = 0
        for i in range(o):
            if (<uint8_t>out[i] & 0xC0) != 0x80:
                if chars == k.limit:
                    return i
                chars += 1
    return o


def _kernel_apply(object desc, bytes raw not None, bytes per=None):
    """Run one kernel on raw field bytes: the output bytes, or None for the fallback.

    With ``per``, the date shift keyed by that per value, as the codec runs it.
    For the differential tests; the rewriter calls the kernels directly.
    """
    cdef Kernel k
    cdef char out[KOUT]
    cdef Py_ssize_t o
    memset(&k, 0, sizeof(Kernel))
    try:
        _kernel_init(&k, desc)
        if k.kind == K_NONE or (per is not None and k.kind != K_SHIFT):
            raise ValueError("no kernel for this description")
        if not _fast_domain(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)):
            return None
        if per is None:
            o = _run_kernel(&k, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), out, NULL)
        elif not _fast_domain(PyBytes_AS_STRING(per), PyBytes_GET_SIZE(per)):
            return None
        else:
            # Twice: the second answer comes from the per cache and must be the same.
            for _ in range(2):
                o = _k_shift(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), out,
                             _per_offset(&k, PyBytes_AS_STRING(per), PyBytes_GET_SIZE(per)))
        if o < 0:
            return None
        return PyBytes_FromStringAndSize(out, o)
    finally:
        _kernel_free(&k)


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
            _share_per_offsets(self._kernels, i)
            if self._kernels[i].kind == K_YEAR or self._kernels[i].kind == K_ZIP3:
                # Cheaper than a memo lookup: compute every time.
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
                    self._wkper[k] = -1
                    if len(branch) > 2:
                        # A date shift keyed by a column the transform reads.
                        self._wkper[k] = int(reads[branch[2]])
                        if self._wk[k].kind != K_SHIFT:
                            _kernel_free(&self._wk[k])
                    actions.append(k if self._wk[k].kind != K_NONE else -1)
                    # Memoised like a column's kernel (year and zip3 are cheaper than a memo).
                    self._wkmemos[k].enabled = self._wkper[k] < 0 and \
                        self._wk[k].kind != K_YEAR and self._wk[k].kind != K_ZIP3
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
                if b >= 0:
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
        for i in range(self._nplan):
            memo = &self._memos[i]
            if memo.enabled and memo.slots != NULL:
                slot = &memo.slots[<size_t>self._hashes[i] & memo.mask]
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
                    h = _hash(raw, fl)
                    slot = _memo_find(memo, h, raw, fl)
                    if slot != NULL and slot.block != NULL:
                        self._emit_memo(slot, fs, fl, i)
                        continue
                # Otherwise (-1) the Python function decides, with every field it reads.
            if kern.kind != K_NONE and fl == 2 and raw[0] == 92 and raw[1] == 78:
                # SQL NULL stays NULL under every transform with a kernel (only ``value``
                # and ``null`` write something else, and they have none): no Python call
                # for it (a NULL e-mail of a unique fake cost one, every row).
                if memo.enabled:
                    _memo_store(memo, h, raw, fl, NULL, 0, 0)
                continue
            if kern.kind != K_NONE and _fast_domain(raw, fl):
                if p >= 0 and not _is_null(self._base + self._starts[p],
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
