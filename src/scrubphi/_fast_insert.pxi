# The rows of an INSERT's VALUES, read in C: the twin of ``dump.inserts._py_fast_rows``.
#
# Included by _fast.pyx.  The same rows (or None, where the Python reader gives up)
# as ``_py_fast_rows``, whose patterns this follows byte for byte: ``\s`` is ASCII white
# space (space, \t, \n, \v, \f, \r), strings take every doubled quote they can (the
# only reading the rest of the row accepts), a cast is taken whole or not at all.


cdef inline bint _ins_space(uint8_t c) noexcept nogil:
    return c == 32 or (9 <= c <= 13)


cdef inline Py_ssize_t _ins_skip(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    while i < n and _ins_space(s[i]):
        i += 1
    return i


cdef inline bint _ins_word_byte(uint8_t c) noexcept nogil:
    # bytes ``\w``: ASCII letters, digits and _
    return (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 95


cdef Py_ssize_t _ins_string(const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                            bint backslash) noexcept nogil:
    """The end of the string literal that starts at ``s[i] == '``, or -1."""
    i += 1
    while i < n:
        if s[i] == 39:
            if i + 1 < n and s[i + 1] == 39:
                i += 2
                continue
            return i + 1
        if backslash and s[i] == 92:
            if i + 1 >= n:
                return -1
            i += 2
            continue
        i += 1
    return -1


cdef Py_ssize_t _ins_ident(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The end of the identifier at ``i`` (quoted or not), or -1."""
    cdef uint8_t c
    if i >= n:
        return -1
    c = s[i]
    if c == 34:
        i += 1
        while i < n:
            if s[i] == 34:
                if i + 1 < n and s[i + 1] == 34:
                    i += 2
                    continue
                return i + 1
            i += 1
        return -1
    if not ((65 <= c <= 90) or (97 <= c <= 122) or c == 95 or c >= 128):
        return -1
    i += 1
    while i < n:
        c = s[i]
        if (48 <= c <= 57) or (65 <= c <= 90) or (97 <= c <= 122) or c == 95 or c == 36 \
                or c >= 128:
            i += 1
        else:
            break
    return i


cdef Py_ssize_t _ins_cast(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The end of a ``::type`` after a value at ``i``, or ``i`` where there is none."""
    cdef Py_ssize_t j = _ins_skip(s, i, n), k, save
    if j + 1 >= n or s[j] != 58 or s[j + 1] != 58:
        return i
    j = _ins_ident(s, _ins_skip(s, j + 2, n), n)
    if j < 0:
        return i
    # an optional ".name"
    k = _ins_skip(s, j, n)
    if k < n and s[k] == 46:
        k = _ins_ident(s, _ins_skip(s, k + 1, n), n)
        if k >= 0:
            j = k
    # any number of "[]"
    while True:
        k = _ins_skip(s, j, n)
        if k >= n or s[k] != 91:
            break
        k = _ins_skip(s, k + 1, n)
        if k >= n or s[k] != 93:
            break
        j = k + 1
    return j


cdef inline bint _ins_keyword(const uint8_t* s, Py_ssize_t i, Py_ssize_t n,
                              const char* word, Py_ssize_t size) noexcept nogil:
    """``word`` (upper case) at ``i`` in any case, then a word boundary."""
    cdef Py_ssize_t k
    if i + size > n:
        return False
    for k in range(size):
        if (s[i + k] & 0xDF) != <uint8_t>word[k]:
            return False
    return i + size == n or not _ins_word_byte(s[i + size])


cdef Py_ssize_t _ins_number(const uint8_t* s, Py_ssize_t i, Py_ssize_t n) noexcept nogil:
    """The end of a number at ``i`` (``[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?``), or -1."""
    cdef Py_ssize_t j
    if i < n and (s[i] == 45 or s[i] == 43):
        i += 1
    if i < n and 48 <= s[i] <= 57:
        while i < n and 48 <= s[i] <= 57:
            i += 1
        if i < n and s[i] == 46:
            i += 1
            while i < n and 48 <= s[i] <= 57:
                i += 1
    elif i + 1 < n and s[i] == 46 and 48 <= s[i + 1] <= 57:
        i += 1
        while i < n and 48 <= s[i] <= 57:
            i += 1
    else:
        return -1
    if i < n and (s[i] == 101 or s[i] == 69):
        j = i + 1
        if j < n and (s[j] == 45 or s[j] == 43):
            j += 1
        if j < n and 48 <= s[j] <= 57:
            while j < n and 48 <= s[j] <= 57:
                j += 1
            i = j
    return i


def insert_rows(bytes text not None, Py_ssize_t pos, bint standard_strings, object make):
    """The rows of VALUES from ``pos`` and where they end, or None (see the file's top).

    ``make(kind, start, end, escaped)`` builds each value (``inserts.Literal``);
    the caller checks what follows the last row (``ON CONFLICT DO NOTHING``, ``;``).
    """
    cdef const uint8_t* s = <const uint8_t*>PyBytes_AS_STRING(text)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(text), start, end
    cdef bint backslash = not standard_strings
    cdef uint8_t c
    cdef list rows = [], row
    cdef object kind
    while True:
        if pos >= n or s[pos] != 40:
            return None
        pos += 1
        row = []
        while True:
            start = _ins_skip(s, pos, n)
            if start >= n:
                return None
            c = s[start]
            if c == 39:
                end = _ins_string(s, start, n, backslash)
                kind = "string"
            elif _ins_keyword(s, start, n, b"NULL", 4):
                end = start + 4
                kind = "null"
            elif _ins_keyword(s, start, n, b"DEFAULT", 7):
                end = start + 7
                kind = "default"
            elif _ins_keyword(s, start, n, b"TRUE", 4):
                end = start + 4
                kind = "word"
            elif _ins_keyword(s, start, n, b"FALSE", 5):
                end = start + 5
                kind = "word"
            else:
                end = _ins_number(s, start, n)
                kind = "word"
            if end < 0:
                return None
            pos = _ins_skip(s, _ins_cast(s, end, n), n)
            if pos >= n or (s[pos] != 44 and s[pos] != 41):
                return None
            row.append(make(kind, start, end, backslash and kind == "string"))
            pos += 1
            if s[pos - 1] == 41:
                break
        rows.append(tuple(row))
        end = _ins_skip(s, pos, n)
        if end < n and s[end] == 44:
            end = _ins_skip(s, end + 1, n)
            if end < n and s[end] == 40:
                pos = end
                continue
        # (anything else after the row, a comma without a row after it too, ends the rows
        # here, as _ROW_NEXT does: what follows is the caller's to check)
        return tuple(rows), pos


def insert_kernels(bytes text not None, tuple rows not None, list kernels not None,
                   list columns not None):
    """The kernels' share of rewriting an INSERT's rows (``insert_rows.rewrite_insert``).

    ``kernels[j]`` (a :class:`KernelFn`) is the transform of column ``columns[j]`` of
    each row (a tuple of ``inserts.Literal``; every row as long as the table's column
    list).  For each row and each ``j``: a DEFAULT is skipped, a NULL kept (a kernel's
    transform keeps NULL, as in COPY); a plain string literal without a doubled quote,
    or a bare word (a number, true, false), in the kernels' domain goes through the
    kernel and, when its output differs, becomes ``'output'``.  Returns ``(changes,
    kept, transformed, todo)``: the new literals as ``(start, end, bytes)``, the counts
    per ``j``, and the ``(row, j)`` pairs the kernel declined, for the Python functions.
    """
    cdef const char* s = PyBytes_AS_STRING(text)
    cdef Py_ssize_t nk = len(kernels), nr = len(rows), r, j, start, end, bs, bn, o, i, q
    cdef list changes = [], todo = []
    cdef list kept = [0] * nk, transformed = [0] * nk
    cdef char out[KOUT]
    cdef KernelFn kf
    cdef tuple row, lit
    cdef object kind
    cdef bytes new
    cdef char* d
    cdef Py_ssize_t* cols = <Py_ssize_t*>malloc((nk + 1) * sizeof(Py_ssize_t))
    if cols == NULL:
        raise MemoryError()
    try:
        for j in range(nk):
            cols[j] = columns[j]
        for r in range(nr):
            row = <tuple>rows[r]
            for j in range(nk):
                lit = <tuple>row[cols[j]]
                kind = lit[0]
                if kind == "default":
                    continue
                if kind == "null":
                    kept[j] += 1
                    continue
                start = lit[1]
                end = lit[2]
                if kind == "string":
                    if lit[3]:  # backslash escapes: the Python function's
                        todo.append((r, j))
                        continue
                    bs = start + 1
                    bn = end - start - 2
                    if bn < 0 or memchr(s + bs, 39, bn) != NULL:
                        todo.append((r, j))
                        continue
                elif kind == "word":
                    bs = start
                    bn = end - start
                else:
                    todo.append((r, j))
                    continue
                if not _fast_domain(s + bs, bn):
                    todo.append((r, j))
                    continue
                kf = <KernelFn>kernels[j]
                o = _run_kernel(&kf.k, s + bs, bn, out, NULL)
                if o < 0 or memchr(out, 92, o) != NULL:
                    todo.append((r, j))
                    continue
                if o == bn and memcmp(out, s + bs, bn) == 0:
                    kept[j] += 1
                    continue
                q = 0
                for i in range(o):
                    if out[i] == 39:
                        q += 1
                new = PyBytes_FromStringAndSize(NULL, o + q + 2)
                d = PyBytes_AS_STRING(new)
                d[0] = 39
                q = 1
                for i in range(o):
                    d[q] = out[i]
                    q += 1
                    if out[i] == 39:
                        d[q] = 39
                        q += 1
                d[q] = 39
                changes.append((start, end, new))
                transformed[j] += 1
    finally:
        free(cols)
    return changes, kept, transformed, todo


cdef inline bint _ins_digit(uint8_t c) noexcept nogil:
    return 48 <= c <= 57


cdef bint _ins_iso_date(const uint8_t* s, Py_ssize_t p, Py_ssize_t end) noexcept nogil:
    """``insert_rows._ISO_DATE_BYTES`` at ``p`` (the pattern's end at ``end``)."""
    cdef Py_ssize_t q = p, k
    cdef uint8_t c
    while q < end and _ins_digit(s[q]):
        q += 1
    if q - p >= 4:
        if q + 6 > end or s[q] != 45 or not _ins_digit(s[q + 1]) or not _ins_digit(s[q + 2]) \
                or s[q + 3] != 45 or not _ins_digit(s[q + 4]) or not _ins_digit(s[q + 5]):
            return False
        q += 6
    else:
        q = p
        if q < end and s[q] == 45:
            q += 1
        if q + 8 > end:
            return False
        for k in range(8):
            if s[q + k] != <uint8_t>b"infinity"[k]:
                return False
        q += 8
    if q < end:
        c = s[q]
        if _ins_word_byte(c) or c >= 128:
            return False
    return True


def insert_shapes_ok(bytes text not None, tuple rows not None, tuple shapes not None):
    """True when every value of every row surely has its column's shape, as
    ``insert_rows.check_positional_shapes`` asks (``shapes``: its codes, 0 for none);
    False when any may not, and the Python check decides (and names what is wrong)."""
    cdef const uint8_t* s = <const uint8_t*>PyBytes_AS_STRING(text)
    cdef Py_ssize_t ns = len(shapes), r, c, n, start, end
    cdef long shape
    cdef tuple row, lit
    cdef object kind
    for r in range(len(rows)):
        row = <tuple>rows[r]
        n = min(ns, len(row))
        for c in range(n):
            shape = shapes[c]
            if shape == 0:
                continue
            lit = <tuple>row[c]
            kind = lit[0]
            if kind == "null" or kind == "default":
                continue
            start = lit[1]
            end = lit[2]
            if shape == 6:  # a string
                if kind != "string":
                    return False
            elif shape == 1:  # a number, written bare
                if kind != "word" or _ins_number(s, start, end) != end:
                    return False
            elif shape == 2:  # true or false
                if kind != "word" or not (
                        (end - start == 4 and _ins_keyword(s, start, end, b"TRUE", 4))
                        or (end - start == 5 and _ins_keyword(s, start, end, b"FALSE", 5))):
                    return False
            elif shape == 3:  # an ISO date
                if kind != "string" or lit[3] or not _ins_iso_date(s, start + 1, end):
                    return False
            elif shape == 4:  # a time: two digits, ":", two digits
                if kind != "string" or lit[3] or end - start < 7 \
                        or not _ins_digit(s[start + 1]) or not _ins_digit(s[start + 2]) \
                        or s[start + 3] != 58 or not _ins_digit(s[start + 4]) \
                        or not _ins_digit(s[start + 5]):
                    return False
            elif shape == 5:  # a bit string
                if kind != "bits":
                    return False
            else:
                return False
    return True
