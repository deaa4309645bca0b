# Included by _fast.pyx: the kernels' types, how a kernel is built from its
# description (transforms/__init__.py's ``kernel``), writers, and the fakes.

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
    K_CONST = 12         # null and value: one output whatever the input (the row codec only)
    K_ROUND = 13         # generalize round: step in ``modulus``, its decimals in ``length``,
                         # integer column in ``has_floor``, the largest integer parts it
                         # writes in ``neg_bound``/``pos_bound`` (round and noise)
    K_OID = 14           # tokenize oid: arcs kept (``length`` of them), the others tokenized
    K_GS1 = 15           # tokenize gs1: AIs kept, dates moved (parts[1], a shift), others tokenized
    K_NOISE = 16         # generalize noise: ``noise[f]``, the steps for a value with f decimals
    NOISE_DECIMALS = 37  # noise: values with more decimals go to the Python function
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
    SHAPE_SLOTS = 4096   # tokenize: cached round keys per shape, cleared when half full
                         # (sp_zalloc'd, so pages of slots never used are never touched)
    HOST_SLOTS = 256     # unique e-mail / URL: tokenized hosts, direct-mapped
    HOST_KEY = 40        # longer hosts are not memoised
    PER_SLOTS = 16384    # date shift per: cached offsets of per values (~900 KB, touched
    PER_WAYS = 4         # lazily), in buckets of PER_WAYS slots replaced round-robin
    PER_KEY = 40         # longer per values are not cached (their PRF runs every time)


cdef extern from *:
    """
    /* The kernels' big caches (a tokenize kernel's shapes, a shift's offsets per
       patient: 0.5-2 MB each, mostly never used) as zeroed pages from the kernel.
       calloc gave fresh zero pages only while glibc served such sizes by mmap: once
       it frees a big mmapped block it raises its threshold and serves the next
       ones from the heap, cleared with memset, so every kernel touched its whole
       table at start (EHR policy: 48 kernels, 52M instructions of memset and
       about 45 MB of RSS for slots never used).  An anonymous mapping is zero
       pages that cost memory only where a slot is written. */
    #if defined(_WIN32)
    #include <stdlib.h>
    static void *sp_zalloc(size_t n) { return calloc(1, n); }
    static void sp_zfree(void *p, size_t n) { (void)n; free(p); }
    #else
    #include <sys/mman.h>
    #ifndef MAP_ANONYMOUS
    #define MAP_ANONYMOUS MAP_ANON
    #endif
    static void *sp_zalloc(size_t n) {
        void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    static void sp_zfree(void *p, size_t n) { if (p != NULL) munmap(p, n); }
    #endif
    """
    void* sp_zalloc(size_t n) nogil
    void sp_zfree(void* p, size_t n) nogil


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


cdef struct HostSlot:
    int len              # 0: empty
    char src[HOST_KEY]   # the host as read
    char dst[HOST_KEY]   # its tokenization (same length)


cdef struct NoiseRule:
    uint64_t steps       # AMOUNT in units of the value's last decimal, floored (0: none)
    uint64_t pw[8]       # 2**(32k) mod 2 * steps + 1


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
    uint64_t neg_bound   # integer tokenize: the column type's bounds (|min|, max); round,
                         # noise: the largest integer parts they write (else Python)
    uint64_t pos_bound
    long days            # date shift: offsets in [-days, +days] without 0
    sp_fastmod dmod      # date shift: 2 * days, and 2**(64k) mod 2 * days (k = 0..3)
    uint64_t dpw[4]
    char* prefix2        # date shift: the message prefix of a per value's digest
    Py_ssize_t plen2
    PerSlot* per         # date shift: offsets of per values seen (constant size)
    unsigned int per_clock  # date shift: the next way of a full bucket to replace
    bint per_shared      # ``per`` belongs to an earlier kernel of the block, or the process
    unsigned int per_lookups  # date shift: look-ups and hits since the last verdict
    unsigned int per_hits
    bint per_off         # date shift: the cache missed nearly always, so it is bypassed
    int ugen             # unique fakes: U_TOK, U_EMAIL, U_URL or U_SSN
    Py_ssize_t umax      # unique fakes: longest output the column takes (-1: any)
    Shape ssn            # unique ssn: the permutation of the nine digits (vin: of the
                         # 33**16 VINs; uuid: of 2**122, ipv4: of 2**32, and in ``big``
                         # of 2**128 for uuid and ipv6)
    Kernel* parts        # name: the first_name and last_name kernels; array: the element's;
                         # oid: the alnum tokenize, then one integer tokenize per arc position
    Py_ssize_t nparts    # how many ``parts`` hold (0: two)
    HostSlot* hosts      # unique e-mail / URL: the hosts' tokenizations (they repeat)
    JSpec* json          # json paths
    NoiseRule* noise     # generalize noise: per number of decimals (NOISE_DECIMALS)
    char* cval           # null / value: the constant as COPY writes it (``\\N`` for null)
    Py_ssize_t clen
    bint cnull           # null: the constant is SQL NULL


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


cdef inline Py_ssize_t _ascii_alpha_utf8(object name, const char** out) except -2:
    """``name``'s UTF-8 and its length when it is 1 to 64 ASCII letters, else -1 (what
    ``raw.isascii() and raw.isalpha()`` of its UTF-8 bytes ``raw`` says, without the
    bytes object and the method calls: 30,000 names a run)."""
    cdef Py_ssize_t n, i
    cdef const char* b
    cdef char c
    b = PyUnicode_AsUTF8AndSize(name if type(name) is str else str(name), &n)
    if b == NULL:
        return -2
    if n <= 0 or n > 64:
        return -1
    for i in range(n):
        c = b[i]
        if not ((65 <= c <= 90) or (97 <= c <= 122)):
            return -1
    out[0] = b
    return n


cdef int _sex_build(Kernel* k, object female, object male) except -1:
    """The table of ``female`` and ``male`` names that are ASCII letters, lower-cased,
    in that order (a name of both lists is found as the first)."""
    cdef Py_ssize_t cap = 16, total = 0, count = 0, i, j, n, off = 0
    cdef const char* b
    cdef uint64_t h
    cdef char sex
    for names in (female, male):
        for name in names:
            n = _ascii_alpha_utf8(name, &b)
            if n > 0:
                count += 1
                total += n
    while cap < 2 * count:
        cap *= 2
    k.sex = <SexSlot*>calloc(cap, sizeof(SexSlot))
    k.sexblob = <char*>malloc(total + 1)
    if k.sex == NULL or k.sexblob == NULL:
        raise MemoryError()
    k.sexmask = cap - 1
    for which in range(2):
        names = female if which == 0 else male
        sex = 70 if which == 0 else 77  # 'F', 'M'
        for name in names:
            n = _ascii_alpha_utf8(name, &b)
            if n <= 0:
                continue
            if off + n > total:  # the lists changed under us: not a table to trust
                raise ValueError("name lists changed while building the sex table")
            for i in range(n):
                k.sexblob[off + i] = b[i] | 0x20 if 65 <= b[i] <= 90 else b[i]
            h = _hash(k.sexblob + off, n)
            j = <Py_ssize_t>(h & <uint64_t>k.sexmask)
            while k.sex[j].len:
                j = (j + 1) & k.sexmask
            k.sex[j].h = h
            k.sex[j].off = <uint32_t>off
            k.sex[j].len = <uint32_t>n
            k.sex[j].sex = sex
            off += n
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
    free(k.cval)
    k.cval = NULL
    free(k.noise)
    k.noise = NULL
    free(k.prefix2)
    k.prefix2 = NULL
    if not k.per_shared:
        sp_zfree(k.per, PER_SLOTS * sizeof(PerSlot))
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
        if k.nshapes:  # (reading the slots of an unused table would map its pages)
            for i in range(SHAPE_SLOTS):
                free(k.shapes[i].pattern)
        sp_zfree(k.shapes, SHAPE_SLOTS * sizeof(Shape))
        k.shapes = NULL
        k.nshapes = 0
    memset(k.ishape, 0, sizeof(k.ishape))
    free(k.hosts)
    k.hosts = NULL
    if k.json != NULL:
        _json_free(k.json)
        k.json = NULL
    if k.parts != NULL:
        for i in range(k.nparts if k.nparts > 0 else 2):
            _kernel_free(&k.parts[i])
        free(k.parts)
        k.parts = NULL
        k.nparts = 0
    k.kind = K_NONE


cdef inline bint _cheaper_than_memo(int kind) noexcept nogil:
    """Kernels computed every time, a column's or a when branch's: cheaper than a memo's
    lookup and store (year, zip3, a constant, rounding)."""
    return kind == K_YEAR or kind == K_ZIP3 or kind == K_CONST or kind == K_ROUND


cdef int _const_init(Kernel* k, object desc) except -1:
    """Fill ``k`` as K_CONST from a ``("const", ...)`` description (``null`` and
    ``value``), else leave it as it is.

    Only the COPY row codec runs these (``CopyRewriter._row``): the output does not
    depend on the input, so a cell is one compare and at most one copy instead of a
    Python call per distinct value (a nulled free-text column missed its memo on every
    row).  ``_kernel_init`` leaves such descriptions K_NONE, so the INSERT path, json
    paths, arrays and ``KernelFn`` keep the Python function for them.
    """
    if desc is None or desc[0] != "const":
        return 0
    _kernel_free(k)
    text = desc[3][0]
    k.cnull = text is None
    blob = b"\\N" if text is None else escape_field(str(text).encode("utf-8"))
    k.clen = len(blob)
    k.cval = <char*>malloc(k.clen + 1)
    if k.cval == NULL:
        raise MemoryError()
    memcpy(k.cval, PyBytes_AS_STRING(blob), k.clen)
    k.raw_out = True
    k.kind = K_CONST
    return 0


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
        k.shapes = <Shape*>sp_zalloc(SHAPE_SLOTS * sizeof(Shape))
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
        if k.ugen == U_EMAIL or k.ugen == U_URL:
            k.hosts = <HostSlot*>calloc(HOST_SLOTS, sizeof(HostSlot))
            if k.hosts == NULL:
                raise MemoryError()
        k.umax = umax
        k.mode = 1  # the tokenization of every part is ``{tokenize: alnum}``'s
        k.shapes = <Shape*>sp_zalloc(SHAPE_SLOTS * sizeof(Shape))
        if k.shapes == NULL:
            raise MemoryError()
        k.kind = K_UNIQUE
        k.raw_out = True  # the input's own bytes, digits, letters and ".example"
    elif name == "round":
        step, decimals, integer, neg_bound, pos_bound = params
        if not (0 < step < 10**18 and 0 <= decimals <= 18) or not SP_HAVE_U128:
            return 0
        if not (0 <= neg_bound < (1 << 64) and 0 <= pos_bound < (1 << 64)):
            return 0
        k.modulus = step
        k.length = decimals
        k.has_floor = bool(integer)
        k.neg_bound = neg_bound  # the largest integer parts it writes (the column's type)
        k.pos_bound = pos_bound
        k.kind = K_ROUND
        k.raw_out = True  # a sign, digits and a point
        return 0
    elif name == "oid":
        # identifiers.oid_kernel: the alnum tokenize's key, the arcs kept, each later
        # arc position's key (``make_oid``'s arc_fn: an integer tokenize under it).
        alnum_key, keep, arc_keys = params
        if not 0 <= keep < 64 or not arc_keys:
            return 0
        k.parts = <Kernel*>calloc(1 + len(arc_keys), sizeof(Kernel))
        if k.parts == NULL:
            raise MemoryError()
        k.nparts = 1 + len(arc_keys)
        _kernel_init(&k.parts[0], ("tokenize", False, -1, (alnum_key, b"k\x00txt|alnum|",
                                                          "alnum")))
        ok = k.parts[0].kind == K_TOKENIZE
        for j, arc_key in enumerate(arc_keys):
            # (an arc's bound is 10**80: for the 18 digits the kernel takes, 2**63 is the
            # same, since only min(10**d - 1, bound) enters the tweak)
            _kernel_init(&k.parts[1 + j], ("tokint", False, -1,
                                           (arc_key, b"k\x00int|", (1 << 63, 1 << 63))))
            ok = ok and k.parts[1 + j].kind == K_TOKINT
        if not ok:
            _kernel_free(k)
            return 0
        k.length = keep
        k.kind = K_OID
        k.raw_out = True  # the input's own bytes: digits, dots, letters
        return 0
    elif name == "gs1":
        # identifiers.make_gs1: the alnum tokenize and the date elements' offsets (a date
        # shift's offset keyed by the element's text under tag "g").
        key, days = params
        k.parts = <Kernel*>calloc(2, sizeof(Kernel))  # two: _kernel_free frees both
        if k.parts == NULL:
            raise MemoryError()
        _kernel_init(&k.parts[0], ("tokenize", False, -1, (key, b"k\x00txt|alnum|", "alnum")))
        _kernel_init(&k.parts[1], ("shift", False, -1, (key, b"g\x00", b"p\x00", days)))
        if k.parts[0].kind != K_TOKENIZE or k.parts[1].kind != K_SHIFT:
            _kernel_free(k)
            return 0
        k.kind = K_GS1
        k.raw_out = True  # the input's own bytes, digits and letters
        return 0
    elif name == "noise":
        # generalize.noise_kernel: the domain key, each number of decimals' steps, and
        # whether the column is an integer one.
        key, steps, integer, neg_bound, pos_bound = params
        if len(steps) != NOISE_DECIMALS or PyBytes_GET_SIZE(key) != 32:
            return 0
        if not (0 <= neg_bound < (1 << 64) and 0 <= pos_bound < (1 << 64)):
            return 0
        k.neg_bound = neg_bound  # the largest integer parts it writes (the column's type)
        k.pos_bound = pos_bound
        k.noise = <NoiseRule*>calloc(NOISE_DECIMALS, sizeof(NoiseRule))
        if k.noise == NULL:
            raise MemoryError()
        for f in range(NOISE_DECIMALS):
            if 0 < steps[f] < (1 << 62):
                k.noise[f].steps = steps[f]
                sp_mod_powers(2 * k.noise[f].steps + 1, k.noise[f].pw)
            elif steps[f] != 0:
                k.noise[f].steps = <uint64_t>-1  # too many steps: the Python function
        sp_prf_init(&k.prf, <const uint8_t*>PyBytes_AS_STRING(key), 32)
        k.has_floor = bool(integer)
        k.kind = K_NOISE
        k.raw_out = True  # a sign, digits and a point
        return 0
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
        k.shapes = <Shape*>sp_zalloc(SHAPE_SLOTS * sizeof(Shape))
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
        k.per = <PerSlot*>sp_zalloc(PER_SLOTS * sizeof(PerSlot))
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
