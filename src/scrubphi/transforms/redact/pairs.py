"""A word rule of ``{redact: text}`` kept out of :mod:`.detector`'s long ``_decide``:
a person named in lower case by a first name and a surname that no list has.

In notes written in lower case a name has no capital to show it ("will consult with
patty hoeller re skin care", "hospice care co.- stella maris"): the first name is an
everyday word too and the surname, one letter from an everyday word, is kept as a
misspelling.  A lower-case word of the first-name lists followed, after one space, by a
lower-case word that is neither safe nor everyday and that the scan kept (a
misspelling's or a truncation's exception) is such a name: both are replaced.  Not
when the first is a stop word or a context word of another rule ("will", "may"), nor
for words under three letters.

The compiled scan has the same rule in ``_redact_fast.pyx`` (``Engine._decide``), on
the same states; ``tests/test_redact_twins.py`` holds the two to it.
"""

from __future__ import annotations

from collections.abc import Container

__all__ = ["lower_name_pairs"]

_KEEP, _NAME = 0, 1  # detector's states


def lower_name_pairs(text: str, keys: list[str], tokens: list[tuple[int, int, str]],
                     state: list[int], first: Container[str], plain: Container[str],
                     stop: Container[str], triggers: Container[str]) -> None:
    """Mark both words of each such pair ``_NAME`` in ``state`` (see the module)."""
    for i in range(len(tokens) - 1):
        key, nxt = keys[i], keys[i + 1]
        word, word2 = tokens[i][2], tokens[i + 1][2]
        if len(key) < 3 or len(nxt) < 3 or key not in first or state[i + 1] != _KEEP or \
                nxt in plain or key in stop or key in triggers or nxt in stop or \
                nxt in triggers:
            continue
        if not (word == key and word2 == nxt and key.isascii() and key.isalpha()
                and nxt.isascii() and nxt.isalpha()):
            continue  # lower case, letters only, nothing cut from the word
        if tokens[i + 1][0] != tokens[i][1] + 1 or text[tokens[i][1]] != " ":
            continue
        if state[i] in (_KEEP, 2):  # (_AMBIG: an everyday word that is a name too)
            state[i] = _NAME
        state[i + 1] = _NAME
