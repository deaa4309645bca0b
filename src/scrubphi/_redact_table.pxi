# The redactor's word sets as one table in one bytes object (included by _redact_fast.pyx).
#
# Why: the vocabulary is ~360,000 words in a dozen Python sets (a million entries).
# Loading them from the per-user cache means hashing and inserting every entry again
# (about 0.1 s, and 100 MB), and the redactor then combined them into three more sets
# of 280,000 words (another 0.06 s): a start-up paid by every run with a
# {redact: text} column, even when it redacts ten values.  Here each word appears
# once, with a bitmask of the sets that hold it, in an open-addressing table laid
# out in one buffer: the cache stores those bytes, and a process maps them read-only
# (derived_cache.read_mapped: a checksum of the file, no copy, no parse).  A word is
# looked up by its UTF-8 bytes (FNV-1a, as _WordSet), so the typo check's candidates
# need no str either.
#
# Layout (native byte order; the cache key covers the layout and the Python build):
#   magic (8) | nslots (u64, a power of two) | arena length (u64)
#   | hashes u32[nslots] (the FNV-1a hash's high half) | offsets u32[nslots]
#   | lengths u16[nslots] (0: an empty slot) | bits u16[nslots] | arena (the UTF-8 words)

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_Clear

cdef extern from "Python.h":
    const char *PyUnicode_AsUTF8AndSize(object, Py_ssize_t *)

# The sets a table holds, one bit each (word_table.word_table fills them).
cdef enum:
    T_SAFE = 1 << 0      # Vocab.safe
    T_COMMON = 1 << 1    # Vocab.common
    T_RARE = 1 << 2      # Vocab.rare
    T_PREFIXES = 1 << 3  # Vocab.prefixes
    T_BASIC = 1 << 4     # Vocab.basic
    T_AMBIG = 1 << 5     # Vocab.ambiguous
    T_FIRST = 1 << 6     # Vocab.first
    T_LAST = 1 << 7      # Vocab.last
    T_NAMES = 1 << 8     # Vocab.names
    T_PLACES = 1 << 9    # Vocab.places
    T_RSAFE = 1 << 10    # the redactor's safe words (Redactor._safe)
    T_PLAIN = 1 << 11    # Redactor._plain
    T_QUIET = 1 << 12    # Redactor._plain - Vocab.rare (Redactor._quiet without a lookup)

#: The bits, by the name of the set (Vocab's fields, then the redactor's).
TABLE_BITS = {
    "safe": T_SAFE, "common": T_COMMON, "rare": T_RARE, "prefixes": T_PREFIXES,
    "basic": T_BASIC, "ambiguous": T_AMBIG, "first": T_FIRST, "last": T_LAST,
    "names": T_NAMES, "places": T_PLACES, "redactor_safe": T_RSAFE, "plain": T_PLAIN,
    "quiet": T_QUIET,
}
#: Bumped when the table's layout, bits or builder change (part of the cache key).
TABLE_LAYOUT = "scrubphi-wordtable/2"

cdef bytes _TABLE_MAGIC = b"SPWTAB01"
cdef Py_ssize_t _TABLE_HEAD = 24


@cython.no_gc_clear
cdef class WordTable:
    """Which of up to 16 word sets hold a word: ``of(word)`` is the bitmask.

    The table is read in place from any buffer: ``bytes`` as built, or a read-only
    memory map of the per-user cache's entry (``word_table.word_table``), whose
    export this object holds (so the map lives as long as the table).

    A memoryview's buffer is taken from the object under it (the map), and the view
    let go: the garbage collector clears memoryviews at interpreter exit, and one
    whose buffer this table still held printed "Exception ignored in tp_clear ...
    BufferError: memoryview has 1 exported buffer" on the stderr of every program
    that redacted.  No ``tp_clear`` of its own either: the table makes no reference
    cycle, so ``__dealloc__`` releases the buffer before ``owner`` goes."""

    cdef object owner
    cdef Py_buffer buf
    cdef bint held
    cdef const uint32_t *hashes
    cdef const uint32_t *offs
    cdef const uint16_t *lens
    cdef const uint16_t *bits
    cdef const char *arena
    cdef Py_ssize_t mask
    cdef const char *start  # the table's bytes: inside buf, which may be a whole map
    cdef Py_ssize_t size

    def __init__(self, blob not None):
        """Check ``blob``'s layout (every slot inside it, an empty slot somewhere) and use
        it; ValueError when it is not a table (TypeError when it is not a buffer)."""
        cdef Py_ssize_t size, nslots, alen, j
        cdef const char *base
        cdef uint64_t head[2]
        cdef bint empty = False
        cdef Py_buffer part
        cdef object under = blob.obj if isinstance(blob, memoryview) else None
        if self.held:
            raise ValueError("a word table is set once")
        PyObject_GetBuffer(blob, &self.buf, PyBUF_SIMPLE)
        self.held = True
        size = self.buf.len
        base = <const char *>self.buf.buf
        if under is not None and not isinstance(under, memoryview):
            # Hold the export of the object under the view (a map) instead of the view's.
            PyObject_GetBuffer(under, &part, PyBUF_SIMPLE)
            if <const char *>part.buf <= base and \
                    base + size <= <const char *>part.buf + part.len:
                PyBuffer_Release(&self.buf)
                self.buf = part
                blob = under
            else:
                PyBuffer_Release(&part)
        self.start = base
        self.size = size
        if size < _TABLE_HEAD or memcmp(base, PyBytes_AS_STRING(_TABLE_MAGIC), 8) != 0:
            raise ValueError("not a word table")
        memcpy(head, base + 8, 16)
        if head[0] < 16 or head[0] > (1 << 28) or head[0] & (head[0] - 1) or head[1] > (1 << 31):
            raise ValueError("not a word table")
        nslots = <Py_ssize_t>head[0]
        alen = <Py_ssize_t>head[1]
        if size != _TABLE_HEAD + 12 * nslots + alen:
            raise ValueError("not a word table")
        self.hashes = <const uint32_t *>(base + _TABLE_HEAD)
        self.offs = <const uint32_t *>(base + _TABLE_HEAD + 4 * nslots)
        self.lens = <const uint16_t *>(base + _TABLE_HEAD + 8 * nslots)
        self.bits = <const uint16_t *>(base + _TABLE_HEAD + 10 * nslots)
        self.arena = base + _TABLE_HEAD + 12 * nslots
        for j in range(nslots):
            if self.lens[j] == 0:
                empty = True
            elif <Py_ssize_t>self.offs[j] + self.lens[j] > alen:
                raise ValueError("not a word table")
        if not empty:
            raise ValueError("not a word table")
        self.mask = nslots - 1
        self.owner = blob

    def __dealloc__(self):
        if self.held:
            self.held = False
            PyBuffer_Release(&self.buf)

    cdef inline uint32_t find(self, const char *b, Py_ssize_t n) noexcept:
        """The bits of the word whose UTF-8 is ``b[:n]`` (0: in no set)."""
        return self.find_h(b, n, _bytes_hash(b, n))

    cdef inline uint32_t find_h(self, const char *b, Py_ssize_t n, uint64_t h) noexcept:
        """``find``, given ``_bytes_hash(b, n)`` (the typo check composes the hashes of a
        word's edits from its prefixes' and suffixes')."""
        cdef uint32_t hi = <uint32_t>(h >> 32)
        cdef Py_ssize_t j = <Py_ssize_t>(h & <uint64_t>self.mask)
        if n <= 0 or n > 0xFFFF:
            return 0
        while self.lens[j] != 0:
            if self.hashes[j] == hi and self.lens[j] == n and \
                    memcmp(self.arena + self.offs[j], b, n) == 0:
                return self.bits[j]
            j = (j + 1) & self.mask
        return 0

    cdef uint32_t of_str(self, str word) noexcept:
        cdef Py_ssize_t n
        cdef const char *b = PyUnicode_AsUTF8AndSize(word, &n)
        if b == NULL:  # a lone surrogate: no word of the lists has one
            PyErr_Clear()
            return 0
        return self.find(b, n)

    @property
    def blob(self):
        """The table's bytes (what the cache keeps)."""
        if type(self.owner) is bytes:
            return self.owner
        return PyBytes_FromStringAndSize(self.start, self.size)

    def of(self, str word not None):
        """The bitmask of the sets that hold ``word``."""
        return self.of_str(word)

    def view(self, int mask, exclude=None):
        """A container of the words with any of ``mask``'s bits, less ``exclude``."""
        cdef WordView v = WordView.__new__(WordView)
        v.table = self
        v.mask = <uint32_t>mask
        v.exclude = exclude if exclude else None
        return v

    def words(self, int mask):
        """The words with any of ``mask``'s bits, as a frozenset (for tests)."""
        cdef Py_ssize_t j
        out = []
        for j in range(self.mask + 1):
            if self.lens[j] != 0 and self.bits[j] & mask:
                out.append(self.arena[self.offs[j]:self.offs[j] + self.lens[j]].decode("utf-8"))
        return frozenset(out)


cdef class WordView:
    """``word in view``: a word set of a :class:`WordTable` (membership only)."""

    cdef WordTable table
    cdef uint32_t mask
    cdef object exclude

    def __contains__(self, word):
        if type(word) is not str:
            return False
        if self.exclude is not None and word in self.exclude:
            return False
        return (self.table.of_str(word) & self.mask) != 0


def build_word_table(sets):
    """The bytes of the table of ``sets``, a sequence of (set of str, bit).

    Typed loops (a word's position in a dict, its bits in a C array, its UTF-8
    borrowed from the str): this runs at every start when the cache is off."""
    cdef dict index = {}
    cdef list order = []
    cdef Py_ssize_t nslots = 16, alen = 0, j, n, off = 0, count = 0, cap = 0
    cdef uint64_t h
    cdef uint64_t head[2]
    cdef uint32_t b32
    cdef uint32_t *hashes
    cdef uint32_t *offs
    cdef uint16_t *lens
    cdef uint16_t *bits
    cdef uint16_t *wbits = NULL
    cdef uint16_t *grown
    cdef Py_ssize_t k
    cdef char *arena
    cdef const char *data
    cdef char *base
    cdef PyObject *hit
    try:
        for members, bit in sets:
            if not 0 < bit <= 0xFFFF:
                raise ValueError("a word table holds 16 sets")
            b32 = bit
            for w in members:
                hit = PyDict_GetItem(index, w)
                if hit is not NULL:
                    wbits[<Py_ssize_t>(<object>hit)] |= <uint16_t>b32
                    continue
                if type(w) is not str:
                    raise TypeError("a word table holds str")
                if count >= cap:
                    cap = 2 * cap + 1024
                    grown = <uint16_t *>PyMem_Realloc(wbits, cap * sizeof(uint16_t))
                    if grown is NULL:
                        raise MemoryError()
                    wbits = grown
                wbits[count] = <uint16_t>b32
                index[w] = count
                order.append(w)
                count += 1
        for w in order:
            data = PyUnicode_AsUTF8AndSize(w, &n)
            if data is NULL:
                raise ValueError("a word that is not UTF-8")
            if not 0 < n <= 0xFFFF:
                raise ValueError("an empty word, or one of over 65,535 bytes")
            alen += n
        while nslots * 7 < count * 10 + 16:  # at most 70% full
            nslots *= 2
        blob = bytearray(_TABLE_HEAD + 12 * nslots + alen)
        base = blob
        memcpy(base, <const char *>_TABLE_MAGIC, 8)
        head[0] = nslots
        head[1] = alen
        memcpy(base + 8, head, 16)
        hashes = <uint32_t *>(base + _TABLE_HEAD)
        offs = <uint32_t *>(base + _TABLE_HEAD + 4 * nslots)
        lens = <uint16_t *>(base + _TABLE_HEAD + 8 * nslots)
        bits = <uint16_t *>(base + _TABLE_HEAD + 10 * nslots)
        arena = base + _TABLE_HEAD + 12 * nslots
        for j in range(count):
            data = PyUnicode_AsUTF8AndSize(order[j], &n)
            memcpy(arena + off, data, n)
            h = _bytes_hash(data, n)
            k = <Py_ssize_t>(h & <uint64_t>(nslots - 1))
            while lens[k] != 0:
                k = (k + 1) & (nslots - 1)
            hashes[k] = <uint32_t>(h >> 32)
            offs[k] = <uint32_t>off
            lens[k] = <uint16_t>n
            bits[k] = wbits[j]
            off += n
        return bytes(blob)
    finally:
        PyMem_Free(wbits)


cdef inline uint64_t _rotl64(uint64_t x, int r) noexcept nogil:
    return (x << r) | (x >> (64 - r))


cdef inline uint64_t _ck_round(uint64_t acc, uint64_t w) noexcept nogil:
    # xxHash64's round: a bijection of ``acc`` for each ``w``, and of ``w`` for each ``acc``
    return _rotl64(acc + w * <uint64_t>0xC2B2AE3D27D4EB4F, 31) * <uint64_t>0x9E3779B97F4A7C15


cdef uint64_t _checksum(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    cdef uint64_t a = 0x60EA27EEADC0B5D6, b = 0xC2B2AE3D27D4EB4F, c = 0, d = 0x61C8864E7A143579
    cdef uint64_t w0, w1, w2, w3, h
    cdef Py_ssize_t i = 0
    while i + 32 <= n:
        memcpy(&w0, p + i, 8)
        memcpy(&w1, p + i + 8, 8)
        memcpy(&w2, p + i + 16, 8)
        memcpy(&w3, p + i + 24, 8)
        a = _ck_round(a, w0)
        b = _ck_round(b, w1)
        c = _ck_round(c, w2)
        d = _ck_round(d, w3)
        i += 32
    h = _rotl64(a, 1) + _rotl64(b, 7) + _rotl64(c, 12) + _rotl64(d, 18)
    while i < n:
        h = _rotl64(h ^ (<uint64_t>p[i] * <uint64_t>0x27D4EB2F165667C5), 11) * \
            <uint64_t>0x9E3779B97F4A7C15
        i += 1
    h ^= <uint64_t>n
    h ^= h >> 33
    h *= <uint64_t>0xC2B2AE3D27D4EB4F
    h ^= h >> 29
    h *= <uint64_t>0x165667B19E3779F9
    h ^= h >> 32
    return h


def buffer_checksum(data not None):
    """A 64-bit checksum of a buffer's bytes (the word table's cache entry: 9 MB in about
    a millisecond, where zlib's CRC-32 took 2.5).

    Four lanes of xxHash64's round over the 8-byte words, the tail byte by byte,
    the length, and a final mix, each step a bijection of the running value: a
    change confined to one 8-byte word (any changed byte, any flipped bit) always
    changes the result.  Not a cryptographic hash: it finds damage, not forgery
    (the cache's trust checks keep other users' writes out)."""
    cdef Py_buffer view
    cdef uint64_t h
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    with nogil:
        h = _checksum(<const unsigned char*>view.buf, view.len)
    PyBuffer_Release(&view)
    return h
