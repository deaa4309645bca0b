"""Build a ``when`` transform: the first case whose conditions hold picks the transform.

The policy side (syntax, :class:`~scrubphi.policy.conditions.Condition`) is in
``scrubphi.policy.conditions``.  Here each branch is built for the column like
any other transform, and the result reads the original values of every column
the conditions test and the branches' ``per`` columns, in one tuple: the codecs
pass them as extra arguments (``BuiltTransform.per`` is then a tuple of names).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scrubphi.policy.conditions import Condition
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext

__all__ = ["build_when", "when_columns"]

Builder = Callable[[TransformSpec, ColumnInfo], BuiltTransform]
#: Results a cacheable branch keeps (emptied when full), for values up to this long.
MEMO_ENTRIES = 65536
MEMO_VALUE_CHARS = 128


def when_columns(spec: TransformSpec) -> tuple[str, ...]:
    """The columns a when transform tests, in first-use order (for coverage and audit)."""
    names: dict[str, None] = {}
    for conditions, _ in spec.params["cases"]:
        for condition in conditions:
            names.setdefault(condition.column)
    return tuple(names)


def _branch(spec: TransformSpec, column: ColumnInfo, build: Builder) -> BuiltTransform:
    if spec.kind == "null" and column.not_null:
        raise ValueError("null is refused for a NOT NULL column (the restore would fail)")
    return build(spec, column)


def build_when(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext,
               build: Builder) -> BuiltTransform:
    """The when transform of one column; ``build`` builds each branch for the column."""
    del ctx  # the branches get it through ``build``
    cases: Sequence[tuple[tuple[Condition, ...], TransformSpec]] = spec.params["cases"]
    branches = [_branch(then, column, build) for _, then in cases]
    otherwise = _branch(spec.params["else"], column, build)
    # Every column read, the column itself included when a test names it: one tuple.
    reads: dict[str, None] = dict.fromkeys(when_columns(spec))
    for built in (*branches, otherwise):
        if isinstance(built.per, tuple):
            raise ValueError("when transforms do not nest")
        if built.per is not None:
            reads.setdefault(built.per)
    names = tuple(reads)
    position = {name: i for i, name in enumerate(names)}
    tests: list[tuple[tuple[tuple[int, Condition], ...], int]] = []
    for number, (conditions, _) in enumerate(cases):
        tests.append((tuple((position[c.column], c) for c in conditions), number))
    calls: list[Callable[[str | None, tuple[Any, ...]], str | None]] = [
        _caller(built, position) for built in branches
    ]
    fallback = _caller(otherwise, position)

    def fn(value: str | None, *read: Any) -> str | None:
        for conditions, number in tests:
            for index, condition in conditions:
                if not condition.test(read[index]):
                    break
            else:
                return calls[number](value, read)
        return fallback(value, read)

    return BuiltTransform(fn=fn, per=names, cacheable=False, kind="when",
                          kernel=_kernel(cases, branches, otherwise, position))


def _branch_desc(built: BuiltTransform, position: dict[str, int]) -> tuple[Any, ...]:
    """A branch as the compiled codec runs it: kept, by a kernel, or by Python.

    A Python branch whose result depends on the value alone comes with its
    function: the codec calls it directly and memoises its output by the raw
    field (``{redact: text}`` on an EAV table's answers repeats a few thousand
    values over millions of rows).  Any other runs the whole ``fn``.
    """
    if built.kind == "keep":
        return ("keep",)
    if built.kernel is not None and built.per is None:
        return ("kernel", built.kernel)
    if built.kernel is not None and built.kernel[0] == "shift" and isinstance(built.per, str):
        # A date shift keyed by another column: the kernel, and where that column is
        # among the values the transform reads.
        return ("kernel", built.kernel, position[built.per])
    if built.per is None and built.cacheable:
        return ("python", built.fn)
    return ("python",)


#: Condition operators as the compiled codec numbers them (4: the condition's own
#: test, called with the field's text: ``matches``).
_OPS = {"null": 0, "equals": 2, "in": 2, "not_in": 3, "matches": 4}


def _kernel(cases: Sequence[tuple[tuple[Condition, ...], TransformSpec]],
            branches: list[BuiltTransform], otherwise: BuiltTransform,
            position: dict[str, int]) -> tuple[Any, ...] | None:
    """The when transform as data for the compiled codec, or None (an unknown test).

    Conditions name the position of the tested column among the values ``fn``
    reads; the codec compares the raw field with the UTF-8 of each text, which
    is exact for fields of printable ASCII (it leaves any other to ``fn``). A
    ``matches`` test comes as the condition's own ``test``, which the codec
    calls with the field's text (a NULL field does not match).
    """
    out = []
    for (conditions, _), built in zip(cases, branches, strict=True):
        conds: list[tuple[int, int, tuple[Any, ...]]] = []
        for c in conditions:
            if c.op not in _OPS:
                return None
            if c.op == "null":
                conds.append((position[c.column], 0 if c.arg else 1, ()))
            elif c.op == "matches":
                conds.append((position[c.column], 4, (c.test,)))
            else:
                texts = (c.arg,) if isinstance(c.arg, str) else c.arg
                assert isinstance(texts, tuple)
                conds.append((position[c.column], _OPS[c.op],
                              tuple(t.encode("utf-8") for t in texts)))
        out.append((tuple(conds), _branch_desc(built, position)))
    return ("when", tuple(out), _branch_desc(otherwise, position))


def _caller(built: BuiltTransform, position: dict[str, int]
            ) -> Callable[[str | None, tuple[Any, ...]], str | None]:
    inner = built.fn
    if built.per is None and built.cacheable:
        # The codec cannot memoise a when column (its output depends on other
        # columns); a branch whose output depends on the value alone can.
        memo: dict[str | None, str | None] = {}

        def cached(value: str | None, _read: tuple[Any, ...]) -> str | None:
            try:
                return memo[value]
            except KeyError:
                pass
            result = inner(value)
            if value is None or len(value) <= MEMO_VALUE_CHARS:
                if len(memo) >= MEMO_ENTRIES:
                    memo.clear()
                memo[value] = result
            return result

        return cached
    if built.per is None:
        def plain(value: str | None, _read: tuple[Any, ...]) -> str | None:
            return inner(value)

        return plain
    at = position[str(built.per)]

    def with_per(value: str | None, read: tuple[Any, ...]) -> str | None:
        return inner(value, read[at])

    return with_per
