#!/usr/bin/env python3
"""How much of an address ``{redact: text}`` leaves, on Faker's addresses of many countries.

Why: the two annotated corpora (``redact_eval.py``) hold a few hundred
addresses, most of them American or Western European; Faker's address
providers, written by others for some eighty locales, give thousands in each
country's own forms (Australia Post's street types, ``ul.``, ``Jl.``, ``Bl. Sc.
Ap.``, ``Heringgasse 21-99``...).  Each address is put in a sentence, redacted,
and its tokens (runs of letters and digits) aligned with the output's as
``redact_eval.py`` does; a token in an unchanged run is *kept*.  Unit words
(``Flat``, ``Level``, ``Apt``) and numbers that a surrogate happens to repeat
count as kept too, so a locale's share is an upper bound of what leaks.

    PYTHONPATH=src python benchmarks/faker_addresses.py [--locales en_AU,de_AT] [-n 200]

Prints, per locale, the share of address tokens kept and the commonest kept
tokens (Faker's made-up values, never real data).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from difflib import SequenceMatcher

from faker import Faker

from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor

__all__ = ["LOCALES", "kept_tokens", "main"]

LOCALES = (
    "en_US", "en_GB", "en_IE", "en_CA", "en_AU", "en_NZ", "de_DE", "de_AT", "de_CH", "fr_FR",
    "fr_CH", "it_IT", "es_ES", "pt_PT", "pt_BR", "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI",
    "pl_PL", "cs_CZ", "hu_HU", "ro_RO", "el_GR", "tr_TR", "id_ID",
)
TEMPLATES = ("My address is {a}.", "Please send it to {a} by Friday.",
             "She moved to {a} last year.", "{a}", "Lives at {a}, with her son.")
_TOKEN = re.compile(r"[^\W_]+")


def kept_tokens(redactor: Redactor, template: str, address: str) -> tuple[int, list[str]]:
    """The address's token count and its tokens that the redacted sentence still has in place."""
    text = template.format(a=address)
    start = template.index("{a}")
    end = start + len(address)
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    out = _TOKEN.findall(redactor.redact(text))
    matcher = SequenceMatcher(None, [t for t, _ in tokens], out, autojunk=False)
    same = {block.a + k for block in matcher.get_matching_blocks() for k in range(block.size)}
    mine = [i for i, (_, pos) in enumerate(tokens) if start <= pos < end]
    return len(mine), [tokens[i][0] for i in mine if i in same]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--locales", default=",".join(LOCALES))
    ap.add_argument("-n", type=int, default=200, help="addresses per locale (default 200)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)
    redactor = Redactor(TransformContext(key=b"faker-addresses-benchmark-key-01"))
    all_kept = all_total = 0
    for locale in args.locales.split(","):
        fake = Faker(locale)
        fake.seed_instance(args.seed)
        kept: Counter[str] = Counter()
        total = 0
        for i in range(args.n):
            count, left = kept_tokens(redactor, TEMPLATES[i % len(TEMPLATES)],
                                      fake.street_address().replace("\n", ", "))
            total += count
            kept.update(left)
        n_kept = sum(kept.values())
        all_kept += n_kept
        all_total += total
        top = ", ".join(f"{t} {c}" for t, c in kept.most_common(6))
        print(f"{locale:6} kept {n_kept:5} of {total:5} = {100 * n_kept / max(total, 1):5.1f}%"
              f"   {top}")
    print(f"all    kept {all_kept:5} of {all_total:5} = {100 * all_kept / max(all_total, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
