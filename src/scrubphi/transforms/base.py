"""What a transform is, as the rewriter sees it.

A transform works on PostgreSQL's text form of one value (what ``COPY``
prints after unescaping, decoded as UTF-8); ``None`` is SQL NULL.  The codec
never calls Faker or anything slow per cell: transforms are built once per
column and the codec memoises cacheable ones by the raw field bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BuiltTransform", "ColumnInfo", "TransformContext"]


@dataclass(frozen=True)
class ColumnInfo:
    """One column of a table as the dump declares it.

    ``type_name`` is the base type as pg_dump prints it, lower case, without
    array brackets or typmods (``text``, ``integer``, ``character varying``,
    ``date``, ``timestamp without time zone``, ``jsonb``, ``bytea``,
    ``public.mytype``); empty when the dump did not say (data-only dumps).
    """

    name: str
    type_name: str = ""
    array_dims: int = 0
    not_null: bool = False
    generated: bool = False
    # character varying(n) / character(n): n; None when unbounded or unknown.
    max_length: int | None = None
    # numeric(p, s) / decimal(p, s): (p, s) (numeric(p) is (p, 0)); None when unbounded,
    # unknown or another type.
    numeric: tuple[int, int] | None = None
    # The domain (``public.ssn_t``) whose CHECK constraint the column's values must pass
    # on restore; scrubphi does not evaluate it.  ``type_name`` is the domain's base type.
    check_domain: str | None = None


@dataclass
class BuiltTransform:
    """A transform ready to run on one column.

    ``fn(value)`` or, when ``per`` names another column, ``fn(value, per_value)``
    where ``per_value`` is that column's *original* value in the same row.
    ``cacheable`` is true when the output depends only on ``value``, so the
    codec may memoise it by the raw field bytes.

    ``kernel`` optionally describes the same function as plain data (a tuple
    of str, bytes, int, bool and tuples of str), so the compiled codec can
    run it in C without calling ``fn``; ``fn`` stays the reference and the
    fallback for any value outside the kernel's domain.  Layout:
    ``(name, rstrip, limit, params)``: ``rstrip`` drops trailing blanks of
    char(n) values first, ``limit`` (-1: none) truncates the output to that
    many characters.  The pure codec ignores it.
    """

    fn: Callable[..., str | None]
    #: Another column whose original value ``fn`` takes, or several (a ``when``
    #: transform: ``fn(value, *values)`` in this order).
    per: str | tuple[str, ...] | None = None
    cacheable: bool = True
    kind: str = ""
    kernel: tuple[Any, ...] | None = None


@dataclass
class TransformContext:
    """State shared by every column of one run, so that equal specs agree.

    ``key`` is the resolved secret.  ``shared`` holds what the columns of
    one run build once and share: fake pools and generators, the bounded
    results cache per spec, the redactor's lookup.  No mapping of values
    seen: unique fakes are stateless bijections.
    """

    key: bytes
    shared: dict[str, Any] = field(default_factory=dict)
