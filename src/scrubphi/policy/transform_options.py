"""One function per simple transform: its options read and checked into a TransformSpec.

The simple transforms are value, hash, fake, mask, tokenize, date,
generalize and redact.  :data:`BUILDERS` maps a transform's name to the
function that reads its one-key mapping (``{fake: first_name, unique:
true}``, ``{date: shift, days: 30, per: patient_id}``, ...): every option
checked for its type and range, with an error at the exact position of what
is wrong, and the defaults filled in.  :data:`MASK_DEFAULTS` are the options
of the bare word ``mask``.

Why apart from :mod:`scrubphi.policy.scrub_reader`: the reader walks the
section (tables, columns, and the composite ``json``, ``when`` and ``split``,
which nest other transforms); these are the leaves, one function per
transform, and a new transform's options are added here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from scrubphi.policy.model import TransformSpec
from scrubphi.policy.tree import (
    _bool,
    _check_keys,
    _choice,
    _describe,
    _error,
    _int,
    _Node,
    parse_identifier,
)
from scrubphi.transforms.generalize import parse_amount

__all__ = ["BUILDERS", "MASK_DEFAULTS", "SpecFactory"]

_HASH_ALPHABETS = ("hex", "digits", "alnum")
_TOKENIZE_ALPHABETS = ("digits", "alnum", "upper", "oid", "gs1")
_DATE_MODES = ("shift", "year", "safe_harbor")
_GENERALIZE_METHODS = ("zip3", "fips_state")
_GENERALIZE_NUMBERS = ("round", "noise")
_REDACT_MODES = ("text",)
_REDACT_DATES = ("year", "shift")
_MAX_HASH_LENGTH = 64
_MAX_SHIFT_DAYS = 3650
_PROVIDER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOCALE_RE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})*")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_STRFTIME_DIRECTIVES = "aAwdbBmyYHIpMSfzZjUWcxXGuV%"

#: The options of the bare word ``mask`` (and the defaults of ``{mask: {...}}``).
MASK_DEFAULTS: dict[str, Any] = {"keep_last": 4, "keep_first": 0, "char": "*"}
#: ``spec(kind, params)``: a TransformSpec at the position of the transform being read.
SpecFactory = Callable[[str, "dict[str, Any] | None"], TransformSpec]


def _strftime_format(node: _Node) -> str:
    value = node.value
    if not isinstance(value, str) or value == "":
        raise _error(
            f"format must be a strftime-style text such as '%m/%d/%Y', not {_describe(value)}",
            node.loc,
            node.path,
        )
    directives = 0
    index = 0
    while index < len(value):
        if value[index] == "%":
            code = value[index + 1 : index + 2]
            if code == "" or code not in _STRFTIME_DIRECTIVES:
                raise _error(
                    f"format has an unknown directive %{code}; allowed: "
                    + " ".join("%" + c for c in _STRFTIME_DIRECTIVES),
                    node.loc,
                    node.path,
                )
            directives += code != "%"
            index += 2
        else:
            index += 1
    if directives == 0:
        raise _error(
            "format must contain at least one % directive, e.g. '%m/%d/%Y'", node.loc, node.path
        )
    return value


def _build_value(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    _check_keys(node, ("value",), "the value transform")
    inner = entries["value"]
    value = inner.value
    if value is None:
        return spec("null", None)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float | str):
        text = str(value)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        raise _error(
            f"value must be a single text, number or boolean, not {_describe(value)}; "
            "quote it to write it as text",
            inner.loc,
            inner.path,
        )
    if "\x00" in text:
        raise _error("value cannot contain the NUL character", inner.loc, inner.path)
    return spec("value", {"value": text})


def _build_hash(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    _check_keys(node, ("hash",), "the hash transform (write {hash: {length: N}})")
    inner = entries["hash"]
    params: dict[str, Any] = {"length": 16, "alphabet": "hex"}
    if inner.value is None:
        return spec("hash", params)
    if not inner.is_map:
        raise _error(
            "hash takes a mapping {length: N, alphabet: hex|digits|alnum}, "
            f"not {_describe(inner.value)}",
            inner.loc,
            inner.path,
        )
    _check_keys(inner, ("length", "alphabet"), "hash")
    if "length" in inner.value:
        params["length"] = _int(inner.value["length"], 1, _MAX_HASH_LENGTH, "length")
    if "alphabet" in inner.value:
        params["alphabet"] = _choice(inner.value["alphabet"], _HASH_ALPHABETS, "alphabet")
    return spec("hash", params)


def _build_fake(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    _check_keys(node, ("fake", "unique", "locale"), "the fake transform")
    provider_node = entries["fake"]
    provider = provider_node.value
    if not isinstance(provider, str) or _PROVIDER_RE.fullmatch(provider) is None:
        raise _error(
            "fake needs a Faker provider name such as first_name, last_name, email, "
            f"phone_number or ssn, not {_describe(provider)}",
            provider_node.loc,
            provider_node.path,
        )
    params: dict[str, Any] = {"provider": provider, "unique": False, "locale": "en_US"}
    if "unique" in entries:
        params["unique"] = _bool(entries["unique"], "unique")
    if "locale" in entries:
        locale_node = entries["locale"]
        locale = locale_node.value
        if not isinstance(locale, str) or _LOCALE_RE.fullmatch(locale) is None:
            raise _error(
                f"locale must be a Faker locale such as en_US or de_DE, not {_describe(locale)}",
                locale_node.loc,
                locale_node.path,
            )
        params["locale"] = locale
    return spec("fake", params)


def _build_mask(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    _check_keys(node, ("mask",), "the mask transform (write {mask: {keep_last: N}})")
    inner = entries["mask"]
    params = MASK_DEFAULTS.copy()
    if inner.value is None:
        return spec("mask", params)
    if not inner.is_map:
        raise _error(
            'mask takes a mapping {keep_last: 4, keep_first: 0, char: "*"}, '
            f"not {_describe(inner.value)}",
            inner.loc,
            inner.path,
        )
    _check_keys(inner, ("keep_last", "keep_first", "char"), "mask")
    for name in ("keep_last", "keep_first"):
        if name in inner.value:
            params[name] = _int(inner.value[name], 0, None, name)
    if "char" in inner.value:
        char_node = inner.value["char"]
        char = char_node.value
        if not isinstance(char, str) or len(char) != 1:
            raise _error(
                'char must be exactly one character, quoted, e.g. char: "*"',
                char_node.loc,
                char_node.path,
            )
        params["char"] = char
    return spec("mask", params)


def _build_tokenize(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    alphabet = _choice(entries["tokenize"], _TOKENIZE_ALPHABETS, "tokenize")
    if alphabet == "oid":
        _check_keys(node, ("tokenize", "keep_arcs"), "tokenize: oid")
        keep = _int(entries["keep_arcs"], 0, 1000, "keep_arcs") if "keep_arcs" in entries \
            else 4
        return spec("tokenize", {"alphabet": alphabet, "keep_arcs": keep})
    if alphabet == "gs1":
        _check_keys(node, ("tokenize", "days"), "tokenize: gs1")
        days = _int(entries["days"], 1, 3650, "days") if "days" in entries else 30
        return spec("tokenize", {"alphabet": alphabet, "days": days})
    _check_keys(node, ("tokenize",), "the tokenize transform")
    return spec("tokenize", {"alphabet": alphabet})


def _build_date(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    mode = _choice(entries["date"], _DATE_MODES, "date")
    extra = {"shift": ("days", "per"), "year": (), "safe_harbor": ("as_of",)}[mode]
    _check_keys(node, ("date", *extra, "format"), f"date: {mode}")
    params: dict[str, Any] = {"mode": mode}
    if mode == "shift":
        if "days" not in entries:
            raise _error(
                f"date: shift needs days: N (the largest shift, 1 to {_MAX_SHIFT_DAYS})",
                node.loc,
                node.path,
            )
        params["days"] = _int(entries["days"], 1, _MAX_SHIFT_DAYS, "days")
        params["per"] = _per(entries)
    elif mode == "safe_harbor":
        params["as_of"] = None
        if "as_of" in entries:
            params["as_of"] = _as_of(entries["as_of"])
    params["format"] = _strftime_format(entries["format"]) if "format" in entries else None
    return spec("date", params)


def _as_of(node: _Node) -> str:
    value = node.value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE_RE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise _error(
        f"as_of must be a date written YYYY-MM-DD, e.g. 2024-01-31, not {_describe(value)}",
        node.loc,
        node.path,
    )


def _build_generalize(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    inner = entries["generalize"]
    if inner.is_map:
        # {generalize: {round: STEP}} or {generalize: {noise: AMOUNT}, per: COLUMN}
        _check_keys(inner, _GENERALIZE_NUMBERS, "generalize")
        if len(inner.value) != 1:
            raise _error("generalize takes one of round: STEP or noise: AMOUNT", inner.loc,
                         inner.path)
        ((method, amount_node),) = inner.value.items()
        try:
            amount = parse_amount(amount_node.value, str(method))
        except ValueError as exc:
            raise _error(str(exc), amount_node.loc, amount_node.path) from None
        params: dict[str, Any] = {"method": method, "amount": str(amount)}
        if method == "noise":
            _check_keys(node, ("generalize", "per"), "generalize: noise")
            params["per"] = None
            if "per" in entries:
                per_node = entries["per"]
                if not isinstance(per_node.value, str) or not per_node.value:
                    raise _error("per must name a column", per_node.loc, per_node.path)
                try:
                    params["per"] = parse_identifier(per_node.value)
                except ValueError as exc:
                    raise _error(f"bad column name in per: {exc}", per_node.loc,
                                 per_node.path) from None
        else:
            _check_keys(node, ("generalize",), "generalize: round")
        return spec("generalize", params)
    _check_keys(node, ("generalize",), "the generalize transform")
    method = _choice(inner, _GENERALIZE_METHODS, "generalize")
    return spec("generalize", {"method": method})


def _build_redact(node: _Node, entries: dict[str, _Node], spec: SpecFactory) -> TransformSpec:
    _check_keys(node, ("redact", "dates", "days", "per", "as_of"), "the redact transform")
    mode = _choice(entries["redact"], _REDACT_MODES, "redact")
    params: dict[str, Any] = {"mode": mode, "dates": "year", "days": None, "per": None,
                              "as_of": None}
    if "dates" in entries:
        params["dates"] = _choice(entries["dates"], _REDACT_DATES, "dates")
    if params["dates"] != "shift":
        if "as_of" in entries:
            params["as_of"] = _as_of(entries["as_of"])
        for key in ("days", "per"):
            if key in entries:
                raise _error(
                    f"{key} applies only to dates: shift (by default dates in the text "
                    "keep only their year)",
                    entries[key].here,
                    entries[key].path,
                )
        return spec("redact", params)
    if "days" not in entries:
        raise _error(
            f"dates: shift needs days: N (the largest shift, 1 to {_MAX_SHIFT_DAYS})",
            node.loc,
            node.path,
        )
    if "as_of" in entries:
        raise _error("as_of applies only to dates: year (a shift is not Safe Harbor)",
                     entries["as_of"].here, entries["as_of"].path)
    params["days"] = _int(entries["days"], 1, _MAX_SHIFT_DAYS, "days")
    if "per" in entries:
        params["per"] = _per(entries)
    return spec("redact", params)


def _per(entries: dict[str, _Node]) -> Any:
    """The column ``per:`` names (None when there is no ``per``): a date shift's key."""
    if "per" not in entries:
        return None
    per_node = entries["per"]
    if not isinstance(per_node.value, str):
        raise _error(
            f"per must name a column of this table, not {_describe(per_node.value)}",
            per_node.loc,
            per_node.path,
        )
    try:
        return parse_identifier(per_node.value)
    except ValueError as exc:
        raise _error(f"bad column name: {exc}", per_node.loc, per_node.path) from None


BUILDERS: dict[str, Callable[[_Node, dict[str, _Node], SpecFactory], TransformSpec]] = {
    "value": _build_value,
    "hash": _build_hash,
    "fake": _build_fake,
    "mask": _build_mask,
    "tokenize": _build_tokenize,
    "date": _build_date,
    "generalize": _build_generalize,
    "redact": _build_redact,
}
