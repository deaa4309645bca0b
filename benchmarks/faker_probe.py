#!/usr/bin/env python3
"""How much of an address, phone number or name ``{redact: text}`` leaves, on Faker's values.

Why: the two annotated corpora (``redact_eval.py``) hold a few hundred
addresses, most of them American or Western European; Faker's address
providers, written by others for some eighty locales, give thousands in each
country's own forms (Australia Post's street types, ``ul.``, ``Jl.``, ``Bl. Sc.
Ap.``, ``Heringgasse 21-99``...).  Each address is put in a sentence, redacted,
and its tokens (runs of letters and digits) aligned with the output's as
``redact_eval.py`` does; a token in an unchanged run is *kept*.  Unit words
(``Flat``, ``Level``, ``Apt``) and numbers that a surrogate happens to repeat
count as kept too, so a locale's share is an upper bound of what leaks.

Phone numbers (``--what phone_number``) the same way: Faker's ``phone_number()``
of each locale, in each country's forms (``30/166 1318``, ``(+30) 2491 186252``,
``8 (529) 170-34-23``, ``0 2318 6091``), in sentences with and without a phone
word; names (``--what name``), whole addresses with town, region and postcode
(``address``), companies (``company``) and towns (``city``) too.

    PYTHONPATH=src python benchmarks/faker_probe.py
        [--what street_address|address|phone_number|name|company|city]
        [--locales en_AU,de_AT] [-n 200] [--show 5]

Prints, per locale, the share of the value's tokens kept and the commonest kept
tokens (Faker's made-up values, never real data); ``--show N`` prints up to N
sentences per locale whose value kept a token, with their redacted text.
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

__all__ = ["LOCALES", "PHONE_LOCALES", "TEMPLATES", "kept_tokens", "main"]

LOCALES = (
    "en_US", "en_GB", "en_IE", "en_CA", "en_AU", "en_NZ", "de_DE", "de_AT", "de_CH", "fr_FR",
    "fr_CH", "it_IT", "es_ES", "pt_PT", "pt_BR", "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI",
    "pl_PL", "cs_CZ", "hu_HU", "ro_RO", "el_GR", "tr_TR", "id_ID",
)
#: Locales with phone providers of their own forms (en_US's NANP forms are the eval's).
PHONE_LOCALES = (
    "en_US", "en_GB", "en_AU", "en_CA", "de_DE", "fr_FR", "it_IT", "es_ES", "pt_BR", "pt_PT",
    "nl_NL", "sv_SE", "da_DK", "no_NO", "fi_FI", "pl_PL", "cs_CZ", "hu_HU", "ro_RO", "el_GR",
    "tr_TR", "ru_RU", "uk_UA", "ja_JP", "ko_KR", "zh_CN", "th_TH", "id_ID", "hi_IN", "he_IL",
    "es_MX", "en_IN", "vi_VN", "de_AT", "de_CH", "hr_HR", "sk_SK", "bg_BG", "lt_LT", "sl_SI",
    "fa_IR", "az_AZ", "ka_GE",
)
#: Sentences a value is put in, per kind of value.
TEMPLATES = {
    "street_address": ("My address is {a}.", "Please send it to {a} by Friday.",
                       "She moved to {a} last year.", "{a}", "Lives at {a}, with her son."),
    "phone_number": ("Call {a} for results.", "Phone: {a}", "Her daughter can be reached at {a}.",
                     "{a}"),
    "name": ("Seen with {a} today.", "{a} called the clinic.", "Daughter {a} at bedside.", "{a}"),
    "address": ("My address is {a}.", "Please send it to {a} by Friday.",
                "She moved to {a} last year.", "{a}", "Lives at {a}, with her son."),
    "company": ("She works at {a} as a driver.", "{a} sent the records today.",
                "Employer: {a}", "Insurance is through {a}.", "Referred by {a} last week."),
    "city": ("She moved to {a} last year.", "Born in {a}.", "Lives in {a} with her son.",
             "Transferred from {a} hospital.", "City: {a}"),
}
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
    ap.add_argument("--what", choices=sorted(TEMPLATES), default="street_address",
                    help="Faker's provider (default street_address)")
    ap.add_argument("--locales", default=None,
                    help="comma-separated (default: the kind's list)")
    ap.add_argument("-n", type=int, default=200, help="values per locale (default 200)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--show", type=int, default=0, help="sentences with a kept token to show")
    ap.add_argument("--pure", action="store_true", help="the pure scan, not the compiled one")
    args = ap.parse_args(argv)
    locales = args.locales or ",".join(PHONE_LOCALES if args.what == "phone_number"
                                       else LOCALES)
    templates = TEMPLATES[args.what]
    redactor = Redactor(TransformContext(key=b"faker-addresses-benchmark-key-01"),
                        compiled=False if args.pure else None)
    all_kept = all_total = 0
    for locale in locales.split(","):
        fake = Faker(locale)
        fake.seed_instance(args.seed)
        make = getattr(fake, args.what)
        kept: Counter[str] = Counter()
        total = shown = 0
        for i in range(args.n):
            template = templates[i % len(templates)]
            value = make().replace("\n", ", ")
            count, left = kept_tokens(redactor, template, value)
            total += count
            kept.update(left)
            if left and shown < args.show:
                shown += 1
                text = template.format(a=value)
                print(f"    {text!r} -> {redactor.redact(text)!r}")
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
