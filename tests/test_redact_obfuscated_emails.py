"""E-mail addresses written to dodge a parser: found trying to break the redactor.  No
pattern read "at" and "dot" as "@" and ".", so "jane dot doe at gmail dot com" and
"jane[at]gmail.com" kept the local part's words (a name went as a name, "doe" stayed).
The whole address goes now, as an e-mail does; "at" in a sentence and a "dot phrase"
stay.  Each runs on both scans, which must agree byte for byte.  Nothing here prints a
value.
"""

from __future__ import annotations

import pytest

from redact_scans import both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("contact jane dot doe at gmail dot com for records",
         ["jane", "doe", "gmail", "dot", "at"]),
        ("email: jane.doe [at] gmail [dot] com", ["jane", "doe", "gmail", "dot", "at"]),
        ("jane[at]gmail.com", ["jane", "gmail", "at"]),
        ("Daughter: jane(at)gmail(dot)com, cell on file", ["jane", "gmail", "dot", "at"]),
        ("write to jane.doe (at) gmail.com", ["jane", "doe", "gmail", "at"]),
        ("JANE_DOE AT YAHOO DOT COM", ["JANE_DOE", "YAHOO", "DOT", "AT"]),
        ("k.berg{at}uni-x.edu.", ["berg", "uni", "at"]),
        ("jane.doe at gmail.com", ["jane", "doe", "gmail"]),
        ("mail fred dot moss at web dot de", ["fred", "moss", "web"]),
    ],
)
def test_an_e_mail_written_with_at_and_dot_goes_whole(redact: Redactor, text: str,
                                                       secrets: list[str]) -> None:
    out = _gone(redact, text, *secrets)
    assert "@" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("seen at home at 10 am", ["seen", "at", "home"]),
        ("use the dot phrase at discharge", ["dot", "phrase", "at", "discharge"]),
        ("sat at home dot matrix", ["sat", "at", "home", "dot"]),
        ("seen at mgh.org clinic", ["seen", "at"]),
        ("[at] baseline, (at) rest", ["at", "baseline", "rest"]),
        ("looked at gmail dot", ["looked", "at", "gmail"]),
    ],
)
def test_at_and_dot_in_sentences_stay(redact: Redactor, text: str, words: list[str]) -> None:
    _kept(redact, text, *words)


def test_the_scans_agree_on_obfuscated_e_mails() -> None:
    both("jane dot doe at gmail dot com; jane[at]gmail.com; jane(at)gmail(dot)com; "
         "seen at home; x.y [at] z [dot] org")
