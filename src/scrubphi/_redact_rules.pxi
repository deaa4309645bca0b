# Included by _redact_fast.pyx: the context rules of Redactor._decide on C arrays.

cdef inline bint _sure(int state) noexcept:
    return state == NAME or state == UNKNOWN


cdef inline bint _place_like(_Tok *tk, Py_ssize_t i) noexcept:
    """``word_rules._place_like``: a street, town or country name written with a capital."""
    return (tk[i].state == PLACE or tk[i].state == UNKNOWN) and (tk[i].wflags & W_CAP) != 0


cdef inline bint _near(_Text t, _Tok *tk, Py_ssize_t i, Py_ssize_t j, const char *allow) noexcept:
    if i > j:
        i, j = j, i
    return t.gap_ok(tk[i].end, tk[j].start, allow, 4)


cdef inline bint _nameish(_Tok *tk, Py_ssize_t j) noexcept:
    """A word that context can make a name: not everyday English, or a name."""
    cdef uint64_t kb = tk[j].kbits
    return tk[j].klen > 1 and kb & K_ALPHA and not (kb & (K_STOP | K_TRIG)) and (
        _sure(tk[j].state) or tk[j].state == AMBIG or not (kb & K_BASIC))


cdef inline bint _same_case(_Tok *tk, Py_ssize_t a, Py_ssize_t b) noexcept:
    return ((tk[a].wflags & W_UPPER) != 0) == ((tk[b].wflags & W_UPPER) != 0) and \
        ((tk[a].wflags & W_LOWER) != 0) == ((tk[b].wflags & W_LOWER) != 0)


cdef bint _signs(_Text t, Py_ssize_t end) noexcept:
    """``not text[end:end + 3].strip(" \\t.,")[:1].isalnum()``."""
    cdef Py_ssize_t p
    cdef Py_UCS4 c
    for p in range(end, min(end + 3, t.length)):
        c = t.at(p)
        if not _in(c, b" \t.,"):
            return not Py_UNICODE_ISALNUM(c)
    return True


cdef bint _only_dot(_Text t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """``text[a:b].strip() == "."``."""
    while a < b and Py_UNICODE_ISSPACE(t.at(a)):
        a += 1
    while b > a and Py_UNICODE_ISSPACE(t.at(b - 1)):
        b -= 1
    return b - a == 1 and t.at(a) == u'.'


cdef bint _has(_Text t, Py_ssize_t a, Py_ssize_t b, Py_UCS4 c) noexcept:
    cdef Py_ssize_t p
    for p in range(a, b):
        if t.at(p) == c:
            return True
    return False


cdef inline bint _is_in(_Text t, _Tok *tk, Py_ssize_t k) noexcept:
    """The word ``k`` is written ``in``."""
    return tk[k].end - tk[k].start == 2 and t.at(tk[k].start) == u'i' and \
        t.at(tk[k].start + 1) == u'n'


cdef inline bint _possessive(_Text t, _Tok *tk, Py_ssize_t i) noexcept:
    """The word as written ends in "'s" (or "’s")."""
    return tk[i].end - tk[i].start > 2 and t.at(tk[i].end - 1) == u's' and (
        t.at(tk[i].end - 2) == u"'" or t.at(tk[i].end - 2) == u'\u2019')


cdef inline bint _hyphen(_Text t, _Tok *tk, Py_ssize_t i) noexcept:
    """Words ``i`` and ``i + 1`` joined by one hyphen: ``text[end_i:start_i+1] == "-"``."""
    return tk[i + 1].start == tk[i].end + 1 and t.at(tk[i].end) == u'-'


cdef bint _lower_type(_Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t i, bint mixed) noexcept:
    """``word_rules._lower_type``: a street type written first in lower case ("rue de
    Garcia"), a capitalised word after it past three particles at most; not "via"."""
    cdef Py_ssize_t j
    if not mixed or not (tk[i].wflags & W_LOWER) or (
            tk[i].klen == 3 and t.at(tk[i].start) == u'v' and t.at(tk[i].start + 1) == u'i'
            and t.at(tk[i].start + 2) == u'a'):
        return False
    j = i + 1
    while j < n and j - i <= 3 and tk[j].kbits & K_PARTICLE and tk[j].wflags & W_LOWER and \
            t.gap_ok(tk[j - 1].end, tk[j].start, b" ", 4):
        j += 1
    return j < n and j - i <= 3 and tk[j].wflags & W_CAP and tk[j].kbits & K_ALPHA and \
        t.gap_ok(tk[j - 1].end, tk[j].start, b" ", 4)


# context._DOTTED_FORMS packed by _pack_types ("sro", "doo", "spa": lower case, six bits
# a letter, as _rules packs a dotted form's letters after lower-casing them); filled below.
cdef uint64_t _DOTTED_KEYS[32]
cdef int _N_DOTTED = 0


def _fill_dotted():
    global _N_DOTTED
    from scrubphi.transforms.redact.context import _DOTTED_FORMS
    keys = _pack_types(_DOTTED_FORMS)
    if len(keys) > 32 or len(keys) != len(_DOTTED_FORMS):
        raise ValueError("context._DOTTED_FORMS: at most 32 forms of ASCII letters")
    for i, key in enumerate(keys):
        _DOTTED_KEYS[i] = key
    _N_DOTTED = len(keys)


_fill_dotted()


cdef inline bint _dotted(uint64_t key) noexcept:
    cdef int i
    for i in range(_N_DOTTED):
        if _DOTTED_KEYS[i] == key:
            return True
    return False


cdef void _employer(_Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t p) noexcept:
    """The role rule's walk after its preposition at ``p`` (word_rules' twin): up to three
    capitalised words, not stop words nor context words other than an organisation's, are
    an organisation's name unless one of them is a service's or a programme's word."""
    cdef Py_ssize_t k = p + 1, j
    cdef bint employer = True
    while k < n and k - p <= 3 and _near(t, tk, k - 1, k, b" ") and \
            tk[k].wflags & W_TITLE and tk[k].kbits & K_ALPHA and \
            not (tk[k].kbits & K_STOP) and \
            (not (tk[k].kbits & K_TRIG) or tk[k].kbits & K_ORGW):
        if tk[k].kbits & K_NOTEMP:
            employer = False
        k += 1
    if employer:
        for j in range(p + 1, k):
            if not _sure(tk[j].state):
                tk[j].state = PLACE


cdef void _rules(_Text t, _Tok *tk, Py_ssize_t n, Py_ssize_t i, bint mixed) noexcept:
    """One step of the context rules of ``Redactor._decide`` at word ``i``."""
    cdef uint64_t kb = tk[i].kbits
    cdef uint32_t wf = tk[i].wflags
    cdef Py_ssize_t j, k, last
    cdef uint64_t key
    cdef bint strong, signs, prev_sure, next_sure, initial, hyphen
    cdef const char *gap
    cdef int si
    if kb & K_EPLACE and mixed and i > 0 and wf & W_TITLE and wf & W_ALPHA and \
            tk[i - 1].kbits & K_PREP and tk[i - 1].wflags & W_LOWER and \
            _near(t, tk, i - 1, i, b" ") and (
                i + 1 == n or not _near(t, tk, i, i + 1, b" ") or tk[i + 1].kbits & K_STOP):
        # a town an eponym has too, after a place's preposition and before the clause's
        # end or a stop word: "moved to Philadelphia.", "in Miami with"
        tk[i].state = PLACE
    if kb & K_ORGPREP and mixed and wf & W_LOWER and i + 2 < n:
        # "a year at Quill Point in Tarvik": capitalised words after "at", "for",
        # "from", "with", closed by "in" and a place, name an organisation
        k = i + 1
        while k < n and k - i <= 3 and _near(t, tk, k - 1, k, b" ") and \
                tk[k].wflags & W_TITLE and tk[k].kbits & K_ALPHA and \
                not (tk[k].kbits & K_STOP) and tk[k].state != PLACE:
            k += 1
        if i + 1 < k and k < n - 1 and _is_in(t, tk, k) and _near(t, tk, k - 1, k, b" ") and \
                _near(t, tk, k, k + 1, b" ") and tk[k + 1].wflags & W_CAP and \
                (_sure(tk[k + 1].state) or tk[k + 1].state == PLACE) and \
                not t.starts(tk[i + 1].start):
            for j in range(i + 1, k):
                if not _sure(tk[j].state):
                    tk[j].state = PLACE
    if kb & K_WORK and mixed and i + 2 < n and tk[i + 1].kbits & K_WORKPREP and \
            tk[i + 1].wflags & W_LOWER and _near(t, tk, i, i + 1, b" "):
        # an employer after a work word: "I work for Capital Cube", "employed by Walk
        # Score" (its capitalised words, up to three)
        k = i + 2
        while k < n and k - i <= 4 and _near(t, tk, k - 1, k, b" ") and \
                tk[k].wflags & W_TITLE and tk[k].kbits & K_ALPHA and \
                not (tk[k].kbits & K_STOP) and \
                (not (tk[k].kbits & K_TRIG) or tk[k].kbits & K_ORGW):
            if not _sure(tk[k].state):
                tk[k].state = PLACE
            k += 1
    if kb & K_ROLE and mixed and i + 2 < n:
        # an employer or an insurer after a role word: "the CEO of Capital Cube",
        # "retired from Bethlehem Steel", "insurance is through Blue Shield"; not a
        # service's or a programme's words
        j = i + 2 if i + 2 < n and tk[i + 1].kbits & K_ISWAS and \
            _near(t, tk, i, i + 1, b" ") else i + 1
        if j + 1 < n and tk[j].kbits & K_ROLEPREP and tk[j].wflags & W_LOWER and \
                _near(t, tk, j - 1, j, b" "):
            _employer(t, tk, n, j)
    if kb & K_PTLABEL and i + 2 < n and _near(t, tk, i, i + 1, b": ") and \
            _has(t, tk[i].end, tk[i + 1].start, u':') and \
            _near(t, tk, i + 1, i + 2, b", ") and t.at(tk[i + 1].end) == u',' and \
            tk[i + 2].kbits & K_FIRST and _sure(tk[i + 2].state) and \
            tk[i + 1].wflags & W_CAP and tk[i + 1].kbits & K_ALPHA and tk[i + 1].klen > 1 and \
            not (tk[i + 1].kbits & K_STOP) and tk[i + 1].state != PLACE and \
            tk[i + 1].kbits & K_LAST and not _sure(tk[i + 1].state) and \
            _same_case(tk, i + 1, i + 2):
        # "Patient: Smith, Anna", "Pt: BAKER, JOHN": a surname, a comma and a sure first
        # name written alike after the label, the surname a surname too (word_rules'
        # twin)
        tk[i + 1].state = NAME
    if kb & K_HON and i + 1 < n and _near(t, tk, i, i + 1, b". "):
        j = i + 1
        strong = not (kb & K_WEAKHON) or (mixed and wf & W_CAP and not (wf & W_UPPER)) or \
            t.at(tk[i].end) == u'.'
        if not (tk[j].kbits & K_STOP) and tk[j].state != PLACE and (strong or _nameish(tk, j)):
            tk[j].state = max(tk[j].state, NAME) if _sure(tk[j].state) else NAME
            if j + 1 < n and _near(t, tk, j, j + 1, b" -") and _nameish(tk, j + 1) \
                    and _same_case(tk, j, j + 1):
                tk[j + 1].state = NAME if not _sure(tk[j + 1].state) else tk[j + 1].state
    elif kb & K_REL and i + 1 < n and _near(t, tk, i, i + 1, b":,-() "):
        j = i + 1
        if kb & K_NAMEWORD and tk[j].kbits & K_ISWAS and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        while j < n and tk[j].state != PLACE and not (tk[j].kbits & K_STOP) and (
                (_nameish(tk, j) and (not mixed or tk[j].wflags & W_CAP
                                      or _sure(tk[j].state) or tk[j].kbits & K_FIRST))
                or (mixed and tk[j].kbits & K_ALPHA and tk[j].wflags & W_TITLE)):
            if not _sure(tk[j].state):
                tk[j].state = NAME
            k = j + 1
            if k < n and tk[k].kbits & K_AND and _near(t, tk, j, k, b", "):
                k += 1
            elif not (k < n and _near(t, tk, j, k, b",") and t.at(tk[j].end) == u','):
                break
            if k >= n or not _near(t, tk, k - 1, k, b", "):
                break
            j = k
    elif kb & K_CRED and (wf & W_UPPER or not mixed):
        j = i - 1
        gap = b", "
        signs = _signs(t, tk[i].end)
        while j >= 0 and i - j <= 4 and _near(t, tk, j, j + 1, gap) and (
                tk[j].klen == 1 or not _has(t, tk[j].end, tk[j + 1].start, u'.')) and (
                _nameish(tk, j)
                or (tk[j].klen == 1 and tk[j].kbits & K_ALPHA and j < i - 1)
                or (signs and tk[j].kbits & K_ALPHA and not (tk[j].kbits & K_STOP)
                    and not (tk[j].wflags & W_LOWER) and not (tk[j].kbits & K_TRIG))
                or (j > 0 and tk[j - 1].klen == 1 and tk[j - 1].kbits & K_ALPHA
                    and t.at(tk[j - 1].end) == u'.' and tk[j].kbits & K_ALPHA
                    and not (tk[j].kbits & (K_STOP | K_TRIG)))
        ) and not (tk[j].kbits & K_CRED):
            if tk[j].klen > 1 and not _sure(tk[j].state):
                tk[j].state = NAME
            gap = b". -"
            j -= 1
        if i + 1 < n and _near(t, tk, i, i + 1, b" ") and _nameish(tk, i + 1) and \
                tk[i + 1].state != PLACE and not (wf & W_LOWER) and \
                not (tk[i + 1].wflags & W_LOWER):
            tk[i + 1].state = NAME
    elif kb & K_PLACEW and i > 0:
        j = i - 1
        while j >= 0 and i - j <= 3 and _near(t, tk, j, j + 1, b" ") and \
                not (tk[j].kbits & K_STOP) and (not (tk[j].kbits & K_PLACEW)
                                                or tk[j].kbits & K_PLACEPART) and \
                not (tk[j].kbits & K_GENERIC) and tk[j].kbits & K_ALPHA and (
                    (mixed and tk[j].wflags & W_CAP and not (tk[j].wflags & W_UPPER))
                    or _nameish(tk, j)
                    or tk[j].kbits & K_SAINT
                    or (j > 0 and tk[j - 1].kbits & K_SAINT
                        and _near(t, tk, j - 1, j, b". ") and not (tk[j].kbits & K_STOP))
                    or (j == i - 1 and kb & K_HOSP
                        and (tk[j].wflags & W_UPPER or not mixed))):
            if not _sure(tk[j].state):
                tk[j].state = PLACE
            j -= 1
        if j < i - 1 and kb & K_PLACEPART and (not (kb & K_ORGW) or wf & W_CAP
                                                or (kb & K_LEGAL and j < i - 2)):
            tk[i].state = PLACE
    elif kb & K_FEAT and i > 0 and _near(t, tk, i - 1, i, b" ") and \
            tk[i - 1].kbits & K_ALPHA and not (tk[i - 1].kbits & K_STOP) and (
                (mixed and tk[i - 1].wflags & W_TITLE and wf & W_TITLE)
                or _sure(tk[i - 1].state) or tk[i - 1].state == PLACE
                or (tk[i - 1].kbits & K_PPREFIX and not (wf & W_LOWER)
                    and _same_case(tk, i - 1, i))):
        if not _sure(tk[i - 1].state):
            tk[i - 1].state = PLACE
        tk[i].state = PLACE
    elif kb & K_STREET and i + 1 < n and _near(t, tk, i, i + 1, b" ") and \
            (wf & W_TITLE or _lower_type(t, tk, n, i, mixed)) and tk[i + 1].kbits & K_ALPHA and (
                tk[i + 1].wflags & W_CAP or tk[i + 1].kbits & K_PARTICLE):
        tk[i].state = PLACE
        j = i + 1
        while j < n and j - i <= 3 and _near(t, tk, j - 1, j, b" ") and \
                tk[j].kbits & K_ALPHA and (tk[j].wflags & W_CAP or tk[j].kbits & K_PARTICLE):
            tk[j].state = PLACE
            j += 1
    elif kb & K_UNIV and not (wf & W_LOWER) and i + 1 < n:
        j = i + 1
        if tk[j].kbits & K_OF and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        if _near(t, tk, i, i + 1, b". ") and _sure(tk[j].state) and tk[j].wflags & W_CAP:
            tk[i].state = PLACE
            tk[j].state = PLACE
    elif kb & K_SAINT and i + 1 < n and tk[i + 1].klen > 2 and \
            _near(t, tk, i, i + 1, b". ") and \
            _has(t, tk[i].end, tk[i + 1].start, u' ') and \
            (wf & W_CAP or not mixed) and \
            not (tk[i + 1].kbits & K_PLACEW) and not (tk[i + 1].kbits & K_STOP) and (
                (mixed and tk[i + 1].wflags & W_CAP) or _nameish(tk, i + 1)):
        tk[i].state = PLACE
        tk[i + 1].state = PLACE
    elif kb & K_PREP and i + 1 < n and _near(t, tk, i, i + 1, b" "):
        j = i + 1
        if tk[j].kbits & K_THE and j + 1 < n and _near(t, tk, j, j + 1, b" "):
            j += 1
        if tk[j].kbits & K_PREPABBR and (tk[j].wflags & W_UPPER or not mixed
                                         or tk[j].klen == 2):
            tk[j].state = PLACE
    elif kb & K_PPREFIX and mixed and i + 1 < n and _near(t, tk, i, i + 1, b" ") and \
            wf & W_TITLE and tk[i + 1].wflags & W_TITLE and \
            (_sure(tk[i + 1].state) or tk[i + 1].state == PLACE):
        tk[i].state = PLACE  # "New Zealand", "South Africa", "Port Whangarei"
    elif kb & K_PPREFIX and mixed and i > 0 and i + 1 < n and _near(t, tk, i, i + 1, b" ") and \
            wf & W_TITLE and tk[i + 1].wflags & W_TITLE and tk[i + 1].state == AMBIG and \
            tk[i - 1].kbits & K_PREP and tk[i - 1].wflags & W_LOWER and \
            _near(t, tk, i - 1, i, b" "):
        # a place prefix and a name after a place's preposition: "from New Heather"
        tk[i].state = PLACE
        tk[i + 1].state = PLACE
    elif kb & K_SUFFIX and mixed and i > 0 and tk[i].klen >= 4 and wf & W_TITLE and \
            _near(t, tk, i - 1, i, b" ") and tk[i - 1].kbits & K_ALPHA and \
            tk[i - 1].wflags & W_CAP and \
            (_sure(tk[i - 1].state) or tk[i - 1].state == PLACE) and \
            (tk[i].state == KEEP or tk[i].state == AMBIG):
        tk[i].state = PLACE  # a street named without its number: "Inna Loop"
    si = tk[i].state
    if si != KEEP and si != AMBIG:
        return
    wf = tk[i].wflags
    if kb & K_LEGALABBR and mixed and not (wf & W_LOWER) and i > 0 and \
            _near(t, tk, i - 1, i, b" ") and tk[i - 1].kbits & K_ALPHA and (
                (tk[i - 1].wflags & W_CAP and _sure(tk[i - 1].state))
                or tk[i - 1].state == PLACE):
        tk[i].state = PLACE  # a legal form that is an abbreviation too: "Gustafsson AB"
        return
    if mixed and tk[i].klen == 1 and i > 0 and i < n - 1 and \
            _ascii_letter(t.at(tk[i].start)) and tk[i].end < t.length and \
            (t.at(tk[i].end) == u'.' or t.at(tk[i].end) == u'/') and \
            _near(t, tk, i - 1, i, b" ") and \
            tk[i - 1].wflags & W_CAP and tk[i - 1].kbits & K_ALPHA and \
            (_sure(tk[i - 1].state) or tk[i - 1].state == PLACE):
        # a legal form written with dots after a name: "Blaha s.r.o.", "Colas S.A."
        key = (<uint32_t>t.at(tk[i].start) | 0x20) - 96
        k = i
        last = -1
        while k + 1 < n and k + 1 - i <= 4 and tk[k + 1].klen == 1 and \
                _ascii_letter(t.at(tk[k + 1].start)) and \
                tk[k + 1].start == tk[k].end + 1 and t.at(tk[k].end) == t.at(tk[i].end):
            k += 1
            key = (key << 6) | ((<uint32_t>t.at(tk[k].start) | 0x20) - 96)
            if _dotted(key):
                last = k
        if last > 0:
            for j in range(i, last + 1):
                tk[j].state = PLACE
            return
    if kb & K_FIRMCLOSE and mixed and i > 1 and (
            wf & W_TITLE or (not (tk[i - 1].kbits & K_AND) and wf & W_LOWER)):
        # a firm named by its owner and what follows "and": "Martin and Sons", "Widmer &
        # Partner", "Barracco e figli"
        if tk[i].start == tk[i - 1].end + 3 and t.at(tk[i - 1].end) == u' ' and \
                t.at(tk[i - 1].end + 1) == u'&' and t.at(tk[i - 1].end + 2) == u' ':
            k = i - 1
        elif tk[i - 1].kbits & K_FIRMAND and tk[i - 1].wflags & W_LOWER and \
                _near(t, tk, i - 2, i - 1, b" ") and _near(t, tk, i - 1, i, b" "):
            k = i - 2
        else:
            k = -1
        if k >= 0 and tk[k].wflags & W_TITLE and tk[k].kbits & K_ALPHA and (
                _sure(tk[k].state) or tk[k].state == PLACE
                or (tk[k].state == AMBIG and tk[k].kbits & K_LAST)):
            if not _sure(tk[k].state):
                tk[k].state = NAME
            tk[i].state = PLACE
            return
    if si == AMBIG and mixed and wf & W_TITLE and kb & K_LAST and i + 3 < n and \
            tk[i + 1].start == tk[i].end + 2 and t.at(tk[i].end) == u',' and \
            t.at(tk[i].end + 1) == u' ' and \
            tk[i + 1].wflags & W_TITLE and _sure(tk[i + 1].state) and \
            tk[i + 2].kbits & K_AND and tk[i + 2].klen == 3 and \
            _near(t, tk, i + 1, i + 2, b" ") and _near(t, tk, i + 2, i + 3, b" ") and \
            tk[i + 3].wflags & W_TITLE and (_sure(tk[i + 3].state) or (
                tk[i + 3].state == AMBIG and tk[i + 3].kbits & K_LAST)):
        tk[i].state = NAME  # a firm's first partner: "Long, Castaneda and Castillo"
        return
    if kb & K_PARTICLE and not (kb & K_STOP) and mixed and wf & W_LOWER and \
            i > 0 and i < n - 1:
        # (up to two more particles after it: "Milan van de Ven")
        k = i + 1
        while k < n - 1 and k - i <= 2 and tk[k].kbits & K_PARTICLE and \
                tk[k].wflags & W_LOWER and _near(t, tk, k - 1, k, b" "):
            k += 1
        if _sure(tk[i - 1].state) and \
                tk[i - 1].wflags & W_TITLE and tk[i - 1].kbits & K_ALPHA and \
                _near(t, tk, i - 1, i, b" ") and _near(t, tk, k - 1, k, b" ") and \
                tk[k].wflags & W_TITLE and tk[k].kbits & K_ALPHA and tk[k].klen > 1 and \
                not (tk[k].kbits & (K_STOP | K_TRIG)) and tk[k].state != PLACE:
            # A particle between a name and a capitalised word: "Annelies ten Bos"
            for j in range(i, k):
                tk[j].state = NAME
            if not _sure(tk[k].state):
                tk[k].state = NAME
            return
    hyphen = i > 0 and i < n - 1 and _hyphen(t, tk, i - 1)
    if mixed and wf & W_LOWER and i > 0 and i < n - 1 and (
            kb & K_PLINK or (kb & K_PARTICLE and (
                tk[i - 1].state == PLACE or tk[i - 1].kbits & K_GAZ or hyphen))) and \
            tk[i - 1].wflags & W_CAP and tk[i - 1].kbits & K_ALPHA and \
            (_sure(tk[i - 1].state) or tk[i - 1].state == PLACE) and \
            _near(t, tk, i - 1, i, b" -"):
        # a town's name of several words: "Saalfelden am Steinernen Meer", "Raabs an
        # der Thaya", "Montenegro do Oeste", "Legros-les-Bains"
        k = i + 1
        if k < n - 1 and tk[k].kbits & (K_PLINK | K_PARTICLE) and tk[k].wflags & W_LOWER and \
                _near(t, tk, i, k, b" -"):
            k += 1
        if _near(t, tk, k - 1, k, b" -") and tk[k].wflags & W_CAP and \
                tk[k].kbits & K_ALPHA and not (tk[k].kbits & (K_STOP | K_TRIG)) and \
                (_nameish(tk, k) or (hyphen and _hyphen(t, tk, k - 1))):
            for j in range(i, k):
                tk[j].state = PLACE
            if not _sure(tk[k].state):
                tk[k].state = PLACE
            return
    if mixed and kb & K_FIRST and wf & W_LOWER and \
            not (kb & (K_STOP | K_TRIG)) and i + 1 < n and tk[i + 1].kbits & K_VISIT and \
            tk[i + 1].wflags & W_LOWER and _near(t, tk, i, i + 1, b" ") and \
            t.starts(tk[i].start):
        # A first name in lower case opening a clause before a visit's or a call's
        # verb, an everyday word too: "social: bill called once" (not "Hope visited.")
        tk[i].state = NAME
        return
    if mixed and wf & W_TITLE and not (kb & K_BASIC) and _nameish(tk, i) and \
            i + 1 < n and tk[i + 1].kbits & K_PNEXT and \
            t.gap_ok(tk[i].end, tk[i + 1].start, b", ", 4) and t.starts(tk[i].start):
        # A sentence opened by a word that is not everyday English, before a person's
        # verb or a name's comma: "Brenna lives on", "Tovald, can I"
        tk[i].state = NAME
        return
    if mixed and i + 1 < n and tk[i + 1].kbits & K_REL and wf & W_CAP and \
            _possessive(t, tk, i) and _nameish(tk, i) and _near(t, tk, i, i + 1, b" "):
        tk[i].state = NAME  # a possessive before a relation: "Hope's daughter"
        tk[i].cut = tk[i].end - 2
        return
    if i > 0 and wf & W_TITLE and kb & K_ALPHA and tk[i].start == tk[i - 1].end + 2 and \
            t.at(tk[i - 1].end) == u' ' and t.at(tk[i - 1].end + 1) == u'(' and \
            tk[i].end < t.length and t.at(tk[i].end) == u')' and \
            tk[i - 1].kbits & K_GAZ and _place_like(tk, i - 1):
        tk[i].state = PLACE  # a place's qualifier: "Belgium (Flemish)"
        return
    if i > 0 and i + 2 < n and si == AMBIG and wf & W_TITLE and kb & K_LAST and \
            tk[i + 1].kbits & K_AND and _near(t, tk, i, i + 1, b" ") and \
            _near(t, tk, i + 1, i + 2, b" ") and tk[i].start == tk[i - 1].end + 2 and \
            t.at(tk[i - 1].end) == u',' and t.at(tk[i - 1].end + 1) == u' ' and \
            tk[i - 1].wflags & W_TITLE and tk[i - 1].kbits & K_LAST and \
            (tk[i - 1].state == AMBIG or _sure(tk[i - 1].state)) and \
            tk[i + 2].wflags & W_TITLE and tk[i + 2].kbits & K_LAST and \
            (tk[i + 2].state == AMBIG or _sure(tk[i + 2].state)):
        # Three surnames, "A, B and C": a firm named by its partners ("Stone, Bishop and
        # Walker")
        if not _sure(tk[i - 1].state):
            tk[i - 1].state = NAME
        tk[i].state = NAME
        if not _sure(tk[i + 2].state):
            tk[i + 2].state = NAME
        return
    if i + 1 < n and tk[i].end < t.length and (
            (wf & W_ABBRDOT and t.at(tk[i].end) == u'.')
            or (wf & W_ABBRSLASH and t.at(tk[i].end) == u'/')) and \
            _near(t, tk, i, i + 1, b"./ ") and tk[i + 1].wflags & W_CAP and \
            (_sure(tk[i + 1].state) or tk[i + 1].state == PLACE):
        tk[i].state = PLACE  # a street type written first, abbreviated: "ul. Sosnowa"
        return
    if si == AMBIG and kb & K_LAST and kb & K_ALPHA and (
            (i > 0 and _sure(tk[i - 1].state) and tk[i - 1].kbits & K_ALPHA
             and _hyphen(t, tk, i - 1) and _same_case(tk, i - 1, i))
            or (i + 1 < n and _sure(tk[i + 1].state) and tk[i + 1].kbits & K_ALPHA
                and _hyphen(t, tk, i) and _same_case(tk, i, i + 1))):
        tk[i].state = NAME  # half of a double-barrelled name: "alvarado-white"
        return
    if mixed and wf & (W_LOWER | W_TITLE) and i > 0 and _sure(tk[i - 1].state) and \
            tk[i - 1].wflags & W_TITLE and tk[i - 1].kbits & K_ALPHA and kb & K_ALPHA and \
            _hyphen(t, tk, i - 1) and _nameish(tk, i):
        # the second half of a double-barrelled name: "Retterer-moore", "Schandl-Weigl"
        tk[i].state = NAME
        return
    if tk[i].klen == 1 and mixed and wf & W_UPPER and i > 0 and i < n - 1 and \
            _near(t, tk, i - 1, i, b" ") and _near(t, tk, i, i + 1, b" ") and \
            tk[i - 1].kbits & K_FIRST and tk[i - 1].wflags & W_TITLE and \
            tk[i + 1].wflags & W_TITLE and tk[i + 1].klen > 1 and tk[i + 1].kbits & K_ALPHA and (
                tk[i + 1].kbits & K_LAST or _sure(tk[i + 1].state)
                or (tk[i + 1].state == KEEP and not (tk[i + 1].kbits & K_BASIC))) and \
            not (tk[i + 1].kbits & (K_STOP | K_TRIG)) and \
            tk[i - 1].state != PLACE and tk[i + 1].state != PLACE:
        # A first name, a middle initial without its dot, a surname: "Brad L Key"
        if not _sure(tk[i - 1].state):
            tk[i - 1].state = NAME
        if not _sure(tk[i + 1].state):
            tk[i + 1].state = NAME
        return
    if mixed and i + 1 < n and wf & W_TITLE and tk[i + 1].wflags & W_TITLE and \
            kb & K_FIRST and tk[i + 1].kbits & K_LAST and kb & K_ALPHA and \
            tk[i + 1].kbits & K_ALPHA and tk[i].klen > 1 and tk[i + 1].klen > 1 and \
            tk[i + 1].start == tk[i].end + 1 and t.at(tk[i].end) == u' ' and \
            (tk[i + 1].state == KEEP or tk[i + 1].state == AMBIG) and \
            not (kb & (K_HON | K_REL | K_CRED | K_PPREFIX | K_SAINT | K_STREET | K_PLACEW
                       | K_PARTICLE | K_STOP | K_TRIG)) and \
            not (tk[i + 1].kbits & (K_STREET | K_PLACEW | K_FEAT | K_ORGW | K_LEGAL | K_HOSP
                                    | K_CRED | K_PARTICLE | K_SUFFIX | K_STOP | K_TRIG)):
        # A first name then a surname, each also an everyday word: "John Smith"
        tk[i].state = NAME
        tk[i + 1].state = NAME
        return
    if si == AMBIG and mixed and wf & W_TITLE and kb & K_FIRST and tk[i].start >= 2 and \
            t.at(tk[i].start - 2) == u',' and t.at(tk[i].start - 1) == u' ' and \
            tk[i].end < t.length and (t.at(tk[i].end) == u'?' or t.at(tk[i].end) == u'!'):
        tk[i].state = NAME  # called by name: "Don't go to town, Mark!"
        return
    if (si == AMBIG or _nameish(tk, i)) and mixed and wf & W_TITLE and kb & K_FIRST and \
            kb & K_ALPHA and tk[i].end + 2 < t.length and t.at(tk[i].end) == u':' and \
            t.at(tk[i].end + 1) == u' ' and (
                Py_UNICODE_ISUPPER(t.at(tk[i].end + 2)) or t.at(tk[i].end + 2) == u'"'
                or t.at(tk[i].end + 2) == u'\u201c'):
        tk[i].state = NAME  # a speaker: "Ella: What a wife."
        return
    if i > 1 and tk[i - 1].kbits & K_AND and _sure(tk[i - 2].state) and \
            _near(t, tk, i - 2, i - 1, b" ") and _near(t, tk, i - 1, i, b" ") and \
            _nameish(tk, i) and (wf & W_CAP or tk[i - 2].wflags & W_LOWER) and \
            _same_case(tk, i - 2, i):
        tk[i].state = NAME  # "Suzette and Hank"
        return
    if i > 0 and _sure(tk[i - 1].state) and si == AMBIG and wf & W_TITLE and \
            t.gap_ok(tk[i - 1].end, tk[i].start, b", ", 4) and \
            _has(t, tk[i - 1].end, tk[i].start, u',') and i + 2 < n and \
            tk[i + 1].kbits & K_AND and (_sure(tk[i + 2].state) or (
                tk[i + 2].state == AMBIG and tk[i + 2].wflags & W_TITLE)):
        tk[i].state = NAME  # "Morrison, Rogers and Torres", "Henderson, Hicks and Brown"
        return
    if i + 2 < n and tk[i + 1].klen == 1 and tk[i + 1].wflags & W_UPPER and \
            t.at(tk[i + 1].end) == u'.' and _sure(tk[i + 2].state) and \
            _near(t, tk, i, i + 1, b" ") and _near(t, tk, i + 1, i + 2, b". ") and \
            wf & W_TITLE and _nameish(tk, i):
        tk[i].state = NAME  # "Chise T. Horiguchi"
        return
    prev_sure = i > 0 and _sure(tk[i - 1].state)
    next_sure = i + 1 < n and _sure(tk[i + 1].state)
    initial = i > 0 and tk[i - 1].klen == 1 and tk[i - 1].kbits & K_ALPHA and \
        t.at(tk[i - 1].end) == u'.'
    if not (prev_sure or next_sure or initial) or not (si == AMBIG or _nameish(tk, i)):
        return
    if (not (wf & W_LOWER) and prev_sure and tk[i - 1].state == NAME
            and tk[i - 1].kbits & K_FIRST and _near(t, tk, i - 1, i, b" ")) or (
            initial and _near(t, tk, i - 1, i, b". ")
            and (wf & W_TITLE or not mixed)
            and (i < 2 or (not _only_dot(t, tk[i - 2].end, tk[i - 1].start)
                           and not (tk[i - 2].kbits & K_FIRSTDIGIT))
                 or tk[i - 2].klen != 1)):
        tk[i].state = NAME  # after a known first name or an initial
    elif not (wf & W_LOWER) and (
        (prev_sure and _near(t, tk, i - 1, i, b" " if tk[i - 1].klen > 1 else b" .")
         and _same_case(tk, i - 1, i)
         and (tk[i - 1].state == NAME or not (tk[i - 1].wflags & W_LOWER)))
        or (next_sure and _near(t, tk, i, i + 1, b" " if tk[i].klen > 1 else b" .")
            and _same_case(tk, i, i + 1)
            and (tk[i + 1].state == NAME or not (tk[i + 1].wflags & W_LOWER)))
    ):
        tk[i].state = NAME
