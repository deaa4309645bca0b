# Included by _fast.pyx: JSON paths in C, the kernels' dispatch (_run_kernel) and
# its test hook.

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
    elif k.kind == K_ROUND:
        o = _k_round(k, s, n, out)
    elif k.kind == K_OID:
        o = _k_oid(k, s, n, out)
    elif k.kind == K_GS1:
        o = _k_gs1(k, s, n, out)
    elif k.kind == K_NOISE:
        o = _k_noise(k, s, n, out, 0, NULL, 0)
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
        if k.kind == K_NONE or (per is not None and k.kind != K_SHIFT and k.kind != K_NOISE):
            raise ValueError("no kernel for this description")
        if not _fast_domain(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw)):
            return None
        if per is None:
            o = _run_kernel(&k, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), out, NULL)
        elif per == b"\\N":
            # (the codec's per path: a NULL per value is keyed as NULL)
            o = _k_noise(&k, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), out, 2, NULL, 0) \
                if k.kind == K_NOISE else -1
        elif not _fast_domain(PyBytes_AS_STRING(per), PyBytes_GET_SIZE(per)):
            return None
        elif k.kind == K_NOISE:
            o = _k_noise(&k, PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), out, 1,
                         PyBytes_AS_STRING(per), PyBytes_GET_SIZE(per))
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


cdef class KernelFn:
    """One kernel as a function of one value, for callers outside the row codec.

    ``KernelFn(desc)(value)`` is what the codec writes for ``value`` in a column
    with that kernel, as ``str``, or None where the kernel declines (a value
    outside printable ASCII, one too long, a shape it does not know): the caller
    then runs the transform's Python function, as the codec does.  The free-text
    redactor's surrogates come through here (a phone number or a street in a
    note is faked in C, as it is in a column).  The kernel keeps its memos and
    per-value caches between calls, as in the codec.
    """
    cdef Kernel k

    def __cinit__(self):
        memset(&self.k, 0, sizeof(Kernel))

    def __init__(self, object desc):
        _kernel_init(&self.k, desc)
        if self.k.kind == K_NONE:
            raise ValueError("no kernel for this description")

    def __dealloc__(self):
        _kernel_free(&self.k)

    def __call__(self, str value not None):
        cdef Py_ssize_t n, o
        cdef const char* s = PyUnicode_AsUTF8AndSize(value, &n)
        cdef char out[KOUT]
        if s == NULL:  # a lone surrogate: not UTF-8
            PyErr_Clear()
            return None
        if not _fast_domain(s, n):
            return None
        o = _run_kernel(&self.k, s, n, out, NULL)
        # (an output with a backslash is written escaped: the Python function's then)
        if o < 0 or memchr(out, 92, o) != NULL:
            return None
        return out[:o].decode("utf-8")
