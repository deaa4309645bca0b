"""``mask``: partial masking, such as ``***-**-6789``.

Why count only letters and digits: ``keep_last: 4`` on ``4111 1111 1111
1111`` should keep four *digits*, and separators (space, ``-``, ``.``, ``@``)
stay where they are so the shape survives.  Safety first: when the value has
no more letters and digits than ``keep_first + keep_last``, every one of them
is masked, so a short value is never passed through whole.  Not keyed, not
one-to-one.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["make_mask"]


def make_mask(keep_first: int, keep_last: int, char: str) -> Callable[[str], str]:
    """A function that masks the letters and digits of a value."""

    def fn(value: str) -> str:
        total = sum(1 for c in value if c.isalnum())
        if total <= keep_first + keep_last:
            lo, hi = 0, total  # mask every one
        else:
            lo, hi = keep_first, total - keep_last
        out = []
        seen = 0
        for c in value:
            if c.isalnum():
                out.append(c if seen < lo or seen >= hi else char)
                seen += 1
            else:
                out.append(c)
        return "".join(out)

    return fn
