"""Column transforms: from a policy's ``TransformSpec`` to a function on one value.

Why one entry point: the policy loader validates specs statically with
``check_spec`` (so a typo is a PolicyError with a file position), and the
rewriter builds each column's function once with ``build_transform``, which
also checks the spec against the column's type (an SSN cannot go into an
``integer`` column; a unique fake must fit ``character varying(n)``).  The
returned functions take PostgreSQL's text form of one value (``None`` for
NULL) and are cheap per call: everything that can be computed per column is
computed here.

Determinism: keyed transforms derive all randomness from keyed BLAKE2s under
a key derived from the run key and ``spec.canonical(exclude=("per",
"unique", "format"))`` (:mod:`scrubphi.transforms.keyed`; ``hash`` is
HMAC-SHA256), so the same value under the same spec gets the same output in
every table and column.  ``{fake: ..., unique: true}`` is a keyed bijection
(:mod:`scrubphi.transforms.unique`): one-to-one by construction, stateless.
"""

from __future__ import annotations

import calendar
import json
import math
import re
import struct
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import dates as _dates
from scrubphi.transforms.arrays import map_array
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.coltypes import (
    DATE_TYPES,
    INTEGER_RANGES,
    base_type,
    is_integer,
    is_numeric,
    is_text,
    is_unknown,
)
from scrubphi.transforms.fakes import (
    COMPACT_PROVIDERS,
    FAKE_PROVIDERS,
    FAKE_TYPES,
    get_generator,
)
from scrubphi.transforms.generalize import (
    Limits,
    make_fips_state,
    make_noise,
    make_round,
    noise_kernel,
    parse_amount,
    round_kernel,
)
from scrubphi.transforms.hashing import ALPHABETS, MAX_HASH_LENGTH, make_hash
from scrubphi.transforms.identifiers import make_gs1, make_oid, oid_kernel
from scrubphi.transforms.keyed import Prf, domain_of
from scrubphi.transforms.mask import make_mask
from scrubphi.transforms.names import NAME_PROVIDERS, make_name_fake, name_kernel
from scrubphi.transforms.pooldata import LOCALES
from scrubphi.transforms.redact import build_redactor, check_redact_spec
from scrubphi.transforms.tokenize import make_tokenize
from scrubphi.transforms.unique import MIN_WIDTH, REFUSED, make_unique, refusal
from scrubphi.transforms.zip3 import make_zip3

__all__ = ["FAKE_PROVIDERS", "KINDS", "build_constant", "build_transform", "check_constant",
           "check_spec",
           "per_shift_offset"]

#: Transform kinds this module builds.
KINDS = frozenset(
    {"keep", "null", "value", "hash", "fake", "mask", "tokenize", "date", "generalize", "redact"}
)
_TOKENIZE_MODES = ("digits", "alnum", "upper", "oid", "gs1")
_DATE_MODES = ("shift", "year", "safe_harbor")
_MAX_SHIFT_DAYS = 1_000_000
# Decimal digits that always fit each integer type (for hash: digits).
_INT_DIGITS = {name: len(str(hi)) - 1 for name, (_neg, hi) in INTEGER_RANGES.items()}


# -- static checks ------------------------------------------------------------


def _p(spec: TransformSpec, *names: str) -> Any:
    """The first of ``names`` present in the spec's params (loader spellings vary)."""
    for name in names:
        if name in spec.params:
            return spec.params[name]
    return None


def _int_param(value: Any, name: str, lo: int, hi: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    if value < lo or (hi is not None and value > hi):
        bound = f"{lo} to {hi}" if hi is not None else f"{lo} or more"
        raise ValueError(f"{name} must be {bound}, not {value}")
    return value


def _tokenize_mode(spec: TransformSpec) -> str:
    mode = _p(spec, "alphabet", "mode")
    if mode not in _TOKENIZE_MODES:
        raise ValueError(f"tokenize must be one of {', '.join(_TOKENIZE_MODES)}")
    return str(mode)


def _check_format(fmt: Any) -> str:
    if not isinstance(fmt, str) or not fmt or "%" not in fmt:
        raise ValueError("format must be a strftime pattern such as %m/%d/%Y")
    try:
        date(2000, 1, 2).strftime(fmt)
    except ValueError:
        raise ValueError("format is not a valid strftime pattern") from None
    return fmt


def check_spec(spec: TransformSpec) -> None:
    """Validate a spec without a column: unknown provider, bad lengths, bad modes.

    Raises ``ValueError`` with a message the policy loader places at the
    spec's position.
    """
    kind = spec.kind
    if kind in ("keep", "null"):
        return
    if kind == "value":
        if not isinstance(_p(spec, "value"), str):
            raise ValueError("value must be text")
        return
    if kind == "hash":
        _int_param(_p(spec, "length"), "length", 1, MAX_HASH_LENGTH)
        if _p(spec, "alphabet") not in ALPHABETS:
            raise ValueError(f"alphabet must be one of {', '.join(ALPHABETS)}")
        return
    if kind == "fake":
        provider = _p(spec, "provider")
        if provider not in FAKE_PROVIDERS:
            import difflib  # only a misspelt provider needs it (start-up)

            close = difflib.get_close_matches(str(provider), sorted(FAKE_PROVIDERS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(
                f"unknown fake provider {provider!s}{hint}; available: "
                f"{', '.join(sorted(FAKE_PROVIDERS))}"
            )
        locale = _p(spec, "locale") or "en_US"
        if locale not in LOCALES:
            raise ValueError(
                f"no fake pools for locale {locale!s}; available locales: {', '.join(LOCALES)}"
            )
        unique = _p(spec, "unique") or False
        if not isinstance(unique, bool):
            raise ValueError("unique must be true or false")
        if unique and provider in REFUSED:
            # (the generator is built for its capacity, which only a refusal states: the
            # others' pools and tables, e-mail's slugs of every name, wait for the column)
            why = refusal(str(provider), get_generator(str(provider), locale, {}).capacity)
            if why is not None:
                raise ValueError(why)
        return
    if kind == "mask":
        _int_param(_p(spec, "keep_last"), "keep_last", 0, None)
        _int_param(_p(spec, "keep_first"), "keep_first", 0, None)
        char = _p(spec, "char")
        if not isinstance(char, str) or len(char) != 1 or char == "\x00":
            raise ValueError("char must be exactly one character")
        return
    if kind == "tokenize":
        _tokenize_mode(spec)
        return
    if kind == "date":
        mode = _p(spec, "mode")
        if mode not in _DATE_MODES:
            raise ValueError(f"date must be one of {', '.join(_DATE_MODES)}")
        if mode == "shift":
            _int_param(_p(spec, "days"), "days", 1, _MAX_SHIFT_DAYS)
            per = _p(spec, "per")
            if per is not None and (not isinstance(per, str) or not per):
                raise ValueError("per must name a column")
        if mode == "safe_harbor" and _p(spec, "as_of") is not None:
            _as_of(spec)
        if _p(spec, "format") is not None:
            _check_format(_p(spec, "format"))
        return
    if kind == "generalize":
        method = _p(spec, "method", "mode")
        if method in ("round", "noise"):
            parse_amount(_p(spec, "amount"), str(method))
        elif method not in ("zip3", "fips_state"):
            raise ValueError("generalize supports zip3, fips_state, {round: STEP} and "
                             "{noise: AMOUNT}")
        return
    if kind == "redact":
        check_redact_spec(spec)
        return
    if kind == "when":
        for _, then in spec.params["cases"]:
            check_spec(then)
        check_spec(spec.params["else"])
        return
    if kind == "split":
        for part in (*spec.params["parts"], spec.params["other"]):
            check_spec(part)
        return
    if kind == "json":
        return
    raise ValueError(f"unknown transform {kind!s}; available: {', '.join(sorted(KINDS))}")


def _as_of(spec: TransformSpec) -> date:
    return _dates.as_of_date(_p(spec, "as_of"))


# -- building -----------------------------------------------------------------

ElementFn = Callable[..., str | None]


def _type_label(column: ColumnInfo) -> str:
    return base_type(column) or "unknown"


def _refuse(spec: TransformSpec, column: ColumnInfo, why: str = "") -> ValueError:
    tail = f": {why}" if why else ""
    label = _type_label(column)
    article = "an" if label[:1] in "aeiou" else "a"
    return ValueError(f"{spec.kind} cannot write {article} {label} column{tail}")


def _identity(value: str | None, *_: Any) -> str | None:
    return value


def _to_null(value: str | None, *_: Any) -> None:
    return None


def build_constant(const: str | None) -> BuiltTransform:
    """``value`` (``const``) or ``null`` (None): one output whatever the input.

    The kernel description lets the compiled COPY codec write the constant itself
    (``_fast_kernels.pxi``'s ``_const_init``) instead of calling the function.
    """
    if const is None:
        return BuiltTransform(fn=_to_null, kind="null", kernel=("const", False, -1, (None,)))

    def constant(_value: str | None, *_: Any) -> str:
        return const

    return BuiltTransform(fn=constant, kind="value", kernel=("const", False, -1, (const,)))


_INTEGER_TEXT = re.compile(r"[ \t\n\r\f\v]*([+-]?[0-9]+)[ \t\n\r\f\v]*")
_NUMBER_TEXT = re.compile(
    r"[ \t\n\r\f\v]*([+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[ \t\n\r\f\v]*")
_FLOAT_SPECIAL = re.compile(r"\s*([+-]?(inf|infinity)|nan)\s*", re.IGNORECASE)
_ISO_DATE = re.compile(r"\s*([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})\s*")
_REAL_MAX = 3.4028235677973366e38


def check_constant(const: str, column: ColumnInfo) -> None:
    """Refuse a ``{value: X}`` constant that the column's type would refuse on restore
    (``abc`` or ``40000`` into a smallint, ``12345`` into numeric(5,2), ``maybe`` into a
    boolean, five characters into varchar(4)), so the run stops before any row (exit 3)
    instead of psql stopping mid-restore. Types scrubphi does not read are not checked.
    The message names the type, never the constant."""
    name = base_type(column)
    label = _type_label(column)

    def bad(why: str) -> ValueError:
        return ValueError(f"the constant {why} ({label} column)")

    if column.array_dims:
        if not const.lstrip(" \t\n\r\f\v").startswith(("{", "[")):
            raise bad("is not an array (write it as {...})")
        return
    if is_text(column):
        limit = column.max_length
        if limit is not None and len(const.rstrip(" ")) > limit:
            raise ValueError(
                f"the constant is longer than the column allows ({limit} characters)")
        return
    if is_integer(column):
        match = _INTEGER_TEXT.fullmatch(const)
        neg, pos = INTEGER_RANGES[name]
        if match is None:
            raise bad("is not an integer")
        if not -neg <= int(match.group(1)) <= pos:
            raise bad("is out of the type's range")
        return
    if is_numeric(column) or name in ("real", "double precision"):
        match = _NUMBER_TEXT.fullmatch(const)
        if match is None:
            if _FLOAT_SPECIAL.fullmatch(const) is None:
                raise bad("is not a number")
            if is_numeric(column) and column.numeric is not None \
                    and "nan" not in const.lower():
                raise bad("is out of the type's range")
            return
        number = Decimal(match.group(1))
        if is_numeric(column):
            if column.numeric is not None and not Limits(numeric=column.numeric).fits(number):
                raise bad("is out of the type's range")
            return
        value = float(match.group(1))
        if math.isinf(value) or (name == "real" and abs(value) > _REAL_MAX) or \
                (value == 0 and number != 0):
            raise bad("is out of the type's range")
        if name == "real" and number != 0 and struct.unpack("f", struct.pack("f", value))[0] == 0:
            raise bad("is out of the type's range")  # below real's smallest: PostgreSQL refuses
        return
    if name == "boolean":
        word = const.strip(" \t\n\r\f\v").lower()
        if not (word in ("1", "0") or (word and any(w.startswith(word) for w in
                                                    ("true", "false", "yes", "no")))
                or (len(word) >= 2 and ("on".startswith(word) or "off".startswith(word)))):
            raise bad("is not a boolean")
        return
    if name == "uuid":
        digits = const.strip(" \t\n\r\f\v")
        if digits.startswith("{") and digits.endswith("}"):
            digits = digits[1:-1]
        digits = digits.replace("-", "")
        if len(digits) != 32 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise bad("is not a UUID")
        return
    if name in ("json", "jsonb"):
        def refuse(_: str) -> None:
            raise ValueError("not JSON")

        try:
            json.loads(const, parse_constant=refuse)
        except ValueError:
            raise bad("is not JSON") from None
        return
    if name in _dates.RANGE_TYPES or name in _dates.MULTIRANGE_TYPES:
        multi = name in _dates.MULTIRANGE_TYPES
        if not _dates.range_constant_fits(const, multi):
            raise bad(f"is not a {'multirange' if multi else 'range'} of dates")
        return
    if name in DATE_TYPES:
        match = _ISO_DATE.match(const)
        if match is not None:
            year, month, day = (int(g) for g in match.groups())
            if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 4, month)[1]):
                raise bad("is not a valid date")


def build_transform(
    spec: TransformSpec, column: ColumnInfo, ctx: TransformContext
) -> BuiltTransform:
    """Build the function that rewrites one column's values under ``spec``.

    Raises ``ValueError`` (naming types and parameters, never a value) when
    the spec cannot work on this column.
    """
    check_spec(spec)
    kind = spec.kind
    if kind == "keep":
        return BuiltTransform(fn=_identity, kind="keep")
    if kind == "null":
        if column.not_null:
            raise ValueError("null is refused for a NOT NULL column (the restore would fail)")
        return build_constant(None)
    if kind == "value":
        const = str(_p(spec, "value"))
        check_constant(const, column)
        return build_constant(const)

    if kind == "redact":
        return build_redactor(spec, column, ctx)

    per: str | None = None
    truncate = False
    params: tuple[Any, ...] | None = None
    if kind == "hash":
        element, truncate = _build_hash(spec, column, ctx), True
        prf = _prf(spec, ctx)
        params = ("hash", prf.secret, prf.prefix + b"h\x00\x00\x00", str(_p(spec, "alphabet")),
                  int(_p(spec, "length")))
    elif kind == "fake":
        element, params, unique = _build_fake(spec, column, ctx)
        truncate = not unique  # unique fakes are never cut: a cut fake could repeat
    elif kind == "mask":
        if not is_text(column):
            raise _refuse(spec, column, "masked text fits only text-like columns")
        element = make_mask(
            int(_p(spec, "keep_first")), int(_p(spec, "keep_last")), str(_p(spec, "char"))
        )
        params = ("mask", int(_p(spec, "keep_first")), int(_p(spec, "keep_last")),
                  str(_p(spec, "char")))
    elif kind == "tokenize" and _tokenize_mode(spec) not in ("oid", "gs1"):
        element = _build_tokenize(spec, column, ctx)
        if is_integer(column):
            prf = _prf(spec, ctx)
            params = ("tokint", prf.key, b"k\x00int|",
                      INTEGER_RANGES[base_type(column)])
        elif is_text(column):
            prf = _prf(spec, ctx)
            mode = _tokenize_mode(spec)
            label = b"k\x00" + f"txt|{mode}|".encode()
            params = ("tokenize", prf.key, label, mode)
    elif kind == "tokenize" and _tokenize_mode(spec) in ("oid", "gs1"):
        if not is_text(column):
            raise _refuse(spec, column, "structured identifiers are text")
        prf = _prf(spec, ctx)
        if _tokenize_mode(spec) == "oid":
            element = make_oid(prf, int(_p(spec, "keep_arcs")))
            params = oid_kernel(prf, int(_p(spec, "keep_arcs")))
        else:
            element = make_gs1(prf, int(_p(spec, "days")))
            params = ("gs1", prf.key, int(_p(spec, "days")))
    elif kind == "generalize" and _p(spec, "method") in ("round", "noise", "fips_state"):
        if not (is_text(column) or is_integer(column) or is_numeric(column)
                or base_type(column) in ("real", "double precision")):
            raise _refuse(spec, column, "it needs a number, integer or text column")
        method = _p(spec, "method")
        integer = is_integer(column)
        limits = _number_limits(column)
        if method == "fips_state":
            element = make_fips_state(integer)
        elif method == "round":
            step = parse_amount(_p(spec, "amount"), "round")
            _refuse_identity(spec, column, "round", step, "step")
            element = make_round(step, integer, limits)
            params = round_kernel(step, integer, limits)
        else:
            per = _p(spec, "per")
            amount = parse_amount(_p(spec, "amount"), "noise")
            _refuse_identity(spec, column, "noise", amount, "amount")
            prf = _prf(spec, ctx)
            element = make_noise(prf, amount, integer, per is not None, limits)
            params = noise_kernel(prf, amount, integer, limits)
            truncate = False
    elif kind == "date":
        # One reading of today's date, so the function and its kernel agree on the floor.
        floor = _as_of(spec).year - 90 if _p(spec, "mode") == "safe_harbor" else None
        element = _build_date(spec, column, ctx, floor)
        per = _p(spec, "per") if _p(spec, "mode") == "shift" else None
        params = _date_kernel(spec, column, floor, ctx)
    else:  # generalize: zip3
        if not (is_text(column) or is_integer(column)):
            raise _refuse(spec, column, "zip3 needs a text or integer column")
        element = make_zip3(is_integer(column))
        if not is_integer(column):
            params = ("zip3",)

    fn = _wrap(element, column, truncate=truncate, per=per is not None)
    if per is None and kind in _SHARED_KINDS:
        fn = _shared_results(fn, spec, column, ctx)
    kernel: tuple[Any, ...] | None = None
    if params is not None and (per is None or params[0] in ("shift", "noise")):
        limit = column.max_length if truncate and column.max_length is not None else -1
        kernel = (params[0], base_type(column) == "character", limit, params[1:])
        if column.array_dims:
            # The element's kernel on every element (no per: arrays of shifted dates
            # keyed by another column stay in Python).
            kernel = ("array", False, -1, (kernel,)) if per is None else None
    return BuiltTransform(fn=fn, per=per, cacheable=per is None, kind=kind, kernel=kernel)


#: Transforms whose Python function is slow enough that columns with one spec share
#: its results (a patient id tokenized in every event table is computed once).
_SHARED_KINDS = frozenset({"tokenize", "hash", "fake", "date"})
#: Results kept per spec and column shape; the cache is emptied when full.  Only values
#: up to SHARED_VALUE_CHARS characters are kept, so the cache stays a few MB per spec.
SHARED_RESULTS = 65536
SHARED_VALUE_CHARS = 128


def _shared_results(
    fn: Callable[..., str | None], spec: TransformSpec, column: ColumnInfo, ctx: TransformContext
) -> Callable[..., str | None]:
    """``fn`` with results shared by every column of the run with the same spec and shape.

    Why: the codec memoises per column and table, so a value that recurs in
    many tables (a patient id in 14 event tables) missed each table's memo
    and ran the Python transform again.  Only deterministic transforms without
    ``per`` get here.  Bounded: emptied at :data:`SHARED_RESULTS` entries.
    """
    key = (f"results|{spec.canonical()}|{column.type_name}|{column.array_dims}|"
           f"{column.max_length}")
    cache: dict[str, str | None] = ctx.shared.setdefault(key, {})

    def shared(value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > SHARED_VALUE_CHARS:
            return fn(value)  # long values would make the bounded cache large
        try:
            return cache[value]
        except KeyError:
            pass
        result = fn(value)
        if len(cache) >= SHARED_RESULTS:
            cache.clear()
        cache[value] = result
        return result

    return shared


def _date_kernel(
    spec: TransformSpec, column: ColumnInfo, floor: int | None, ctx: TransformContext
) -> tuple[Any, ...] | None:
    """The compiled twin's data for a date transform on pg_dump's ISO text.

    ``("year", has_floor, floor)`` when ``_build_date`` chose ``make_year``;
    ``("shift", key, value prefix, per prefix, days)`` when it chose
    ``make_shift`` on a date or timestamp column: the kernel keys the offset
    by the value (tag ``d``) or by the per value (tag ``p``) exactly as
    :func:`~scrubphi.transforms.dates.make_shift` does.
    """
    mode = str(_p(spec, "mode"))
    if _p(spec, "format") is not None:
        return None
    if mode == "shift":
        if base_type(column) not in DATE_TYPES:
            return None
        prf = _prf(spec, ctx)
        return ("shift", prf.key, b"d\x00", b"p\x00",
                int(_p(spec, "days")))
    if not (base_type(column) in DATE_TYPES or is_unknown(column)):
        return None
    return ("year", floor is not None, floor if floor is not None else 0)


def _wrap(element: ElementFn, column: ColumnInfo, *, truncate: bool, per: bool) -> ElementFn:
    """Add NULL handling, char(n) padding removal, truncation and array mapping."""
    bpchar = base_type(column) == "character"
    limit = column.max_length if truncate else None
    core = element
    if bpchar:
        # char(n) values arrive blank-padded; PostgreSQL compares them without the
        # padding, so keyed transforms see the same text as in a text column.
        inner = core

        def core(value: str, *rest: Any) -> str | None:
            return inner(value.rstrip(" "), *rest)

    if limit is not None:
        inner2 = core

        def core(value: str, *rest: Any) -> str | None:
            out = inner2(value, *rest)
            return out[:limit] if out is not None else None

    if column.array_dims:
        inner3 = core

        def core(value: str, *rest: Any) -> str | None:
            return map_array(value, lambda element: inner3(element, *rest))

    if per:
        body = core

        def fn_per(value: str | None, per_value: str | None = None) -> str | None:
            return None if value is None else body(value, per_value)

        return fn_per
    body1 = core

    def fn(value: str | None) -> str | None:
        return None if value is None else body1(value)

    return fn


def _number_limits(column: ColumnInfo) -> Limits | None:
    """What the column's number type holds (integers, ``numeric(p, s)``); None for
    any other column (text, real, unbounded numeric)."""
    if is_integer(column):
        neg, pos = INTEGER_RANGES[base_type(column)]
        return Limits(neg, pos)
    if is_numeric(column) and column.numeric is not None:
        return Limits(numeric=column.numeric)
    return None


def _refuse_identity(spec: TransformSpec, column: ColumnInfo, method: str, amount: Decimal,
                     what: str) -> None:
    """Refuse a round step or noise amount that leaves every value of the column as it
    is (``{round: 0.01}`` or ``{noise: 0.5}`` on an integer column, ``{noise: 0.001}`` on
    numeric(5,2)): the original values would reach staging unchanged."""
    if is_integer(column):
        scale = 0
    elif is_numeric(column) and column.numeric is not None:
        scale = column.numeric[1]
    else:
        return
    unit = Decimal(1).scaleb(-scale)  # the column's last decimal
    if method == "round":
        same = (unit / amount) == (unit / amount).to_integral_value()
    else:
        same = amount < unit
    if same:
        kind = "an integer" if scale == 0 and is_integer(column) else f"a scale {scale}"
        least = "larger than" if method == "round" else "of at least"
        raise _refuse(spec, column, f"a {method} {what} of {amount} leaves every value of "
                      f"{kind} column unchanged; use a {what} {least} {unit}")


def _prf(spec: TransformSpec, ctx: TransformContext) -> Prf:
    return Prf(ctx.key, domain_of(spec))


def _build_hash(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext) -> ElementFn:
    length = int(_p(spec, "length"))
    alphabet = str(_p(spec, "alphabet"))
    name = base_type(column)
    if is_integer(column) or is_numeric(column):
        if alphabet != "digits":
            raise _refuse(spec, column, "use alphabet: digits for a number column")
        if is_integer(column) and length > _INT_DIGITS[name]:
            raise _refuse(
                spec, column, f"length {length} may exceed the type's range; use at most "
                f"{_INT_DIGITS[name]} digits"
            )
    elif not is_text(column):
        raise _refuse(spec, column, "hash output fits only text-like or number columns")
    return make_hash(_prf(spec, ctx), length, alphabet)


def _build_tokenize(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext) -> ElementFn:
    mode = _tokenize_mode(spec)
    name = base_type(column)
    if is_integer(column):
        neg, pos = INTEGER_RANGES[name]
        number = f"int:{neg}:{pos}"
    elif is_numeric(column):
        number = "numeric"
    elif is_text(column):
        number = ""
    else:
        raise _refuse(spec, column, "tokenize needs a text, integer or numeric column")
    return make_tokenize(_prf(spec, ctx), mode, number)


def per_shift_offset(spec: TransformSpec, ctx: TransformContext) -> Callable[[str], int]:
    """The days ``{date: shift, per: ...}`` built from ``spec`` moves the dates of one
    per value by, as a function of that value: the offset ``_build_date``'s
    shift adds, with its key, without writing and reading back a date (the free-text
    redactor's shift per patient)."""
    if _p(spec, "mode") != "shift" or _p(spec, "per") is None:
        raise ValueError("per_shift_offset needs a date: shift spec with per")
    return _dates.per_offset_of(_prf(spec, ctx), int(_p(spec, "days")))


def _build_date(
    spec: TransformSpec, column: ColumnInfo, ctx: TransformContext, floor: int | None
) -> ElementFn:
    mode = str(_p(spec, "mode"))
    fmt = _p(spec, "format")
    name = base_type(column)
    if name in _dates.RANGE_TYPES or name in _dates.MULTIRANGE_TYPES:
        if mode != "shift":
            raise _refuse(spec, column, "a range of dates takes date: shift (its bounds move "
                                        "by one offset)")
        if fmt is not None:
            raise ValueError("format applies to text columns only")
        return _dates.make_shift_range(_prf(spec, ctx), int(_p(spec, "days")),
                                       multi=name in _dates.MULTIRANGE_TYPES)
    if name in DATE_TYPES:
        if fmt is not None:
            raise ValueError(
                f"format applies to text columns only; a {name} column is read in "
                "pg_dump's ISO form"
            )
        typed = True
    elif is_integer(column):
        if mode == "shift":
            raise _refuse(spec, column, "date: shift needs a date, timestamp or text column")
        if fmt is not None:
            raise ValueError("format applies to text columns only")
        return _dates.make_year_integer(floor)
    elif is_text(column):
        if fmt is None and not is_unknown(column):
            raise ValueError(
                f"a date transform on a {name} column needs format: (e.g. format: '%Y-%m-%d')"
            )
        typed = fmt is None
    else:
        raise _refuse(spec, column, "a date transform needs a date, timestamp or text column")
    if mode == "shift":
        prf = _prf(spec, ctx)
        days = int(_p(spec, "days"))
        has_per = _p(spec, "per") is not None
        if typed:
            return _dates.make_shift(prf, days, has_per)
        return _dates.make_shift_formatted(prf, days, has_per, str(fmt))
    if typed:
        return _dates.make_year(floor)
    return _dates.make_year_formatted(floor, str(fmt))


def _build_fake(
    spec: TransformSpec, column: ColumnInfo, ctx: TransformContext
) -> tuple[ElementFn, tuple[Any, ...] | None, bool]:
    """The fake element function, its kernel parameters and whether it is unique."""
    provider = str(_p(spec, "provider"))
    locale = str(_p(spec, "locale") or "en_US")
    unique = bool(_p(spec, "unique"))
    name = base_type(column)
    if not is_text(column) and name not in FAKE_TYPES.get(provider, ()):
        raise _refuse(spec, column, f"fake {provider} writes text")
    limit = column.max_length
    compact = (
        limit is not None and provider in COMPACT_PROVIDERS and limit < COMPACT_PROVIDERS[provider]
    )
    prf = _prf(spec, ctx)
    if unique:
        if name == "cidr":
            raise _refuse(spec, column, "a unique fake address would set a network's host bits")
        need = MIN_WIDTH.get(provider)
        if limit is not None and need is not None and limit < need:
            raise ValueError(
                f"unique fake {provider} needs at least {need} characters, more than the "
                f"column's {limit}; widen the column or drop unique (values are never cut)"
            )
        made = make_unique(provider, prf, compact=compact, limit=limit)
        return made.fn, made.kernel, True
    gen = get_generator(provider, locale, ctx.shared, compact=compact)
    produce = gen.gen
    if provider in NAME_PROVIDERS:
        # First, last and full names agree with each other and with notes (names.py).
        def part_prf(part: str) -> Prf:
            return _prf(TransformSpec("fake", {"provider": part, "unique": False,
                                               "locale": locale}), ctx)

        fn_name = make_name_fake(provider, locale, ctx.shared, part_prf)
        return fn_name, name_kernel(provider, locale, ctx.shared, prf, part_prf), False

    def fn(value: str) -> str:
        return produce(int.from_bytes(prf.value(value), "big"), value)

    params = None if gen.kernel is None else ("fake", prf.key, b"v\x00", gen.kernel)
    return fn, params, False
