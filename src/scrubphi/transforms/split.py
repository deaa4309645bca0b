"""``{split: SEP, parts: [T1, T2, ...], other: T}``: transform the parts of a structured string.

Why: Synthea's ``birthplace`` is "Town  State  Country" with two blanks
between the parts; the town narrows a patient down, the state and country do
not (Safe Harbor keeps states). Nulling or faking the whole value loses what
is safe to keep. ``split`` cuts the value at every SEP, gives part i to
transform i and joins the results with SEP; a value with another number of
parts goes to ``other`` whole (required: a value whose shape is not the
expected one may hold anything).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext

__all__ = ["build_split"]

Builder = Callable[[TransformSpec, ColumnInfo], BuiltTransform]


def build_split(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext,
                build: Builder) -> BuiltTransform:
    del ctx  # the parts get it through ``build``
    sep = str(spec.params["sep"])
    part_column = ColumnInfo(name=column.name, type_name="")
    parts: Sequence[TransformSpec] = spec.params["parts"]
    fns = []
    cacheable = True
    for part in parts:
        built = build(part, part_column)
        if built.per is not None:
            raise ValueError("per is not supported inside split parts")
        cacheable = cacheable and built.cacheable
        fns.append(built.fn)
    other = build(spec.params["other"], column)
    if other.per is not None:
        raise ValueError("per is not supported in split's other")
    cacheable = cacheable and other.cacheable
    count = len(fns)
    whole = other.fn

    def fn(value: str | None) -> str | None:
        if value is None:
            return None
        pieces = value.split(sep)
        if len(pieces) != count:
            return whole(value)
        out = []
        for piece, part_fn in zip(pieces, fns, strict=True):
            new = part_fn(piece)
            out.append("" if new is None else new)
        return sep.join(out)

    return BuiltTransform(fn=fn, cacheable=cacheable, kind="split")
