"""The one regular expression that finds structured identifiers in free text.

Why one pattern: the detector runs on every note of every row, so the text is
scanned once by one compiled alternation with a named group per kind of
identifier (e-mails, URLs, IPs, SSNs, phone, fax and pager numbers, dates in
every written form, labelled and unlabelled identifiers, street addresses,
ZIP codes, ages over 89), and ``lastgroup`` says which alternative matched.
Words (names, places, organisations) are not here: they are decided by
vocabulary look-ups in :mod:`scrubphi.transforms.redact.detector`, because a
pattern can only recognise what it was written for, while a vocabulary of
safe words can replace whatever it does not know.

Every alternative starts where a token starts (``(?<![^\\W_])`` and friends),
and dates and numbers are fenced by look-arounds so that vital signs
(``120/80``), ranges (``90-100``), shift times (``0700-1930``), clock times
(``10:30``) and decimals never match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from scrubphi.regex_cache import compile_cached
from scrubphi.transforms.redact.vocab import split_words

__all__ = [
    "CODE_START",
    "DIGIT_START",
    "MONTHS",
    "OB_DOT",
    "STATES",
    "WORD_TRIGGERS",
    "Patterns",
    "matches_at",
    "needs_web",
    "pattern",
]

#: Month names and abbreviations, lower-case, to their number.
MONTHS: dict[str, int] = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "oct": 10,
    "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

STATES = split_words(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
    "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI"
)

# Any month word, any case ("Sept", "NOV", "march"), with an optional dot.
_MONTH = (
    r"(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![^\W\d_])\.?"
)
# Month words that are dates on their own: not "may", "march", "mar" (a verb, a
# modal), and only written with a capital or in full when short ("Jun", "JUL").
_MONTH_ALONE = (
    r"(?:(?i:january|february|april|june|july|august|september|october|november|december)"
    r"|(?i:sept)|Jan|Feb|Apr|Jun|Jul|Aug|Sep|Oct|Nov|JAN|FEB|APR|JUN|JUL|AUG|SEP|OCT|NOV"
    r"|feb|apr|nov)(?![^\W\d_])\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?i:st|nd|rd|th)?(?!\d)"
_YEAR4 = r"(?:1[89]\d\d|20\d\d)(?!\d)"
_YEAR = rf"(?:{_YEAR4}|'?\d\d(?!\d))"
_LABELS = (
    r"(?i:mrn|mr\#|mr[ ]?no\.?|med(?:ical)?[ ]rec(?:ord)?(?:[ ]no\.?|[ ]number|[ ]\#)?"
    r"|acct|account|acc|member(?:[ ]id)?|policy|plan[ ]id|ins(?:urance)?[ ]id"
    r"|subscriber(?:[ ]id)?|license|lic|dl|patient[ ]id|pt[ ]id|id|encounter|fin|csn"
    r"|claim|certificate|cert|serial|device[ ]id|vin|chart|case|ref|reference|unit[ ]no"
    r"|passport|iban|card|credit[ ]card|routing|tax[ ]id|ein|npi|dea"
    r"|license[ ]plate|plate|sn|serial[ ]sn|specimen|accession|requisition)"
)
# Words after which a number of four to six digits is a pager, extension or phone.
_PAGER = (
    r"(?i:pager|beeper|beep|pgr|bpr|pg|page|ext|extension|cell|mobile|tel|phone|ph"
    r"|telephone|fax)"
)
# The end of an international or trunk number: not a word, a slash, a hyphen or a
# decimal, but a hyphen before its phone word may follow ("+41 (0)69 979 80 58-Fax").
_PHONE_END = (
    r"(?![\w/]|-(?!(?i:office|fax|mobile|cell|home|work|desk)(?![^\W_]))|\.\d)"
)
# Street suffixes are read from the shipped list; the pattern takes them as an argument.
# Street types written in lower case after the name, with the house number after them
# (Hungarian: "Piroska u. 97.", "Belgrád rkp. 18.", "Erzsébet tér 19.").
AFTER_TYPES = (
    "u.", "utca", "út", "útja", "tér", "tere", "rkp.", "rakpart", "krt.", "körút", "köz",
    "kapu", "sor", "fasor", "sétány", "sugárút", "lépcső", "dűlő",
)
# Street types written before the name, after a house number ("35108 ul. Zamkowa 33",
# "69 Av Sidi Lakhmi", "143 rue de la Paix", "12 C/ Mayor"); exact spellings, since
# "via" and "av" are clinical words in lower case.
FIRST_TYPES = (
    "ul.", "Ul.", "ulica", "Ulica", "al.", "Al.", "aleja", "Aleja", "Av", "Av.", "Avda.",
    "avenida", "Avenida", "avenue", "Avenue", "rue", "Rue", "rua", "Rua", "calle", "Calle",
    "C/", "Via", "Viale", "Piazza", "Corso", "Largo", "Vicolo", "chemin", "Chemin",
    "allée", "Allée", "Travessa", "travessa", "Estrada", "estrada", "Praça", "praça",
    "Plac", "plac", "Strada", "strada", "Boulevard", "boulevard", "Paseo", "paseo",
    "Camino", "camino", "Carrera", "carrera", "Impasse", "impasse", "Quai", "quai",
)
# Lower-case words inside a street's name written after its type ("Rue de la Paix",
# "Rua Vinte e Cinco de Setembro").
_STREET_PARTICLES = r"(?:de|da|do|dos|das|del|della|di|la|le|les|du|des|e|y|van|von|der)"
_UNITS = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_AGE_WORD = (
    r"(?i:y/?o|y\.o\.?|yrs?|years?|yoa|yof|yom|yowf|yowm|yobf|yobm|yo[mf]?|year[- ]old"
    r"|years[- ]old|yr[- ]old|y/o[mf]?)(?![^\W\d_])"
)

# An e-mail written to dodge a parser ("jane dot doe at gmail dot com", "jane[at]gmail.com",
# "jane(at)gmail(dot)com"): "dot" between spaces or in brackets, or a dot; the
# top-level domains it may end in (no everyday word: "dot it", "dot no").
OB_DOT = r"(?:\.|[ ]{0,2}[\[({<](?i:dot)[\])}>][ ]{0,2}|[ ]{1,2}(?i:dot)[ ]{1,2})"
_OB_TLDS = (r"(?i:com|org|net|edu|gov|mil|info|biz|io|us|uk|ca|au|de|fr|nz|jp|cn|ru|dk|fi"
            r"|ie|mx|za|kr|tw|hk|sg|nl|se|ch|be|pl|br|es)")
_OB_LABEL = r"[^\W_](?:[\w-]{0,62}[^\W_])?"

_Node = dict[str, "_Node"]


def _trie(words: tuple[str, ...]) -> str:
    """A regular expression for exactly ``words``, branching on each character in turn,
    so that a position fails after one test of its first character, not one per word.
    """
    tree: _Node = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def walk(node: _Node) -> str:
        ends = "" in node
        branches = [re.escape(c) + walk(node[c]) for c in sorted(node) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and not ends else f"(?:{'|'.join(branches)})"
        return f"{body}?" if ends else body

    return f"(?:{walk(tree)})"


@dataclass(frozen=True)
class Patterns:
    """The structured-identifier patterns, split by how an identifier starts.

    Why three: a regular expression with forty alternatives tries each of them at
    every position of the text.  Split by their first character and fenced by a
    look-ahead, each pattern rejects almost every position with one test, and two
    of them run only when the text can hold what they find (an ``@``, a ``://``,
    a month or label word): the common clinical note pays for one scan.
    """

    #: e-mails, URLs, domains, IPv6: run when the text has ``@``, ``://``, ``www.``,
    #: ``::`` or a known top-level domain.
    web: re.Pattern[str]
    #: everything that starts with a digit, ``+``, ``(`` or ``#``.
    digits: re.Pattern[str]
    #: what starts with a word (labels, month names), by group: each group's pattern
    #: runs only when the text has one of that group's trigger words.
    words: tuple[tuple[frozenset[str], re.Pattern[str]], ...]
    #: words mixing letters and at least five digits (IBANs, "AB123456"): tried where
    #: :data:`CODE_START` finds one.
    codes: re.Pattern[str]
    #: the alternatives of :attr:`digits` in their order, as (name, source): the
    #: compiled scan joins those that can match after a given shape of number
    #: ("12/", "3-") into smaller patterns that find the same matches.
    digit_alternatives: tuple[tuple[str, str], ...] = ()
    #: the alternatives of :attr:`web` in their order, as (name, source): the compiled
    #: scan runs those that can match in a text (an e-mail needs "x@y").
    web_alternatives: tuple[tuple[str, str], ...] = ()


_WEB = ("email", "url", "domain", "ipv6")
# The first word of every label alternative (a match starts at one of these).
_LABEL_WORDS = split_words("""
    ssn ss social mrn mr med medical acct account acc member policy plan ins insurance
    subscriber license lic dl patient pt id encounter fin csn claim certificate cert serial
    device vin chart case ref reference unit passport iban card credit routing tax ein npi
    dea plate sn specimen accession requisition
""")
_PHONE_WORDS = split_words("""
    pager beeper beep pgr bpr pg page ext extension cell mobile tel phone ph telephone fax
    desk office home work contact call reach reached contacted telefon telefono teléfono
    telefone téléphone tél tlf móvil celular cellulare
""")
#: Word-led groups: (alternative names, words one of which every match contains).
_WORD_GROUPS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("mdy", "mon_year", "mon"), frozenset(MONTHS)),
    (("ssnl", "mrn"), frozenset(_LABEL_WORDS)),
    (("phonel",), frozenset(_PHONE_WORDS)),
    (("mil", "milpo", "unit", "pobox", "zipl"),
     frozenset(split_words("""
         psc cmr unit apt apartment suite ste p po box zip postcode post postal apo fpo dpo
         flat studio level
     """))),
    (("agel",), frozenset(["age", "aged"])),
    (("agew",), frozenset(["ninety", "hundred"])),
    (("birthyr",), frozenset(["born", "yob", "birth"])),
    (("obmail",), frozenset(["at"])),
)
_CODES = ("iban", "idword")
_WORDS = tuple(name for names, _ in _WORD_GROUPS for name in names)
#: Where a match of :attr:`Patterns.digits` can start: a digit after no digit, and
#: the ``+``, ``(`` or ``#`` (and a space) before one.
DIGIT_START = compile_cached(r"[+(\#][ ]?(?=\d)|(?<!\d)\d")
#: Where a match of :attr:`Patterns.codes` can start: a word of letters, digits and
#: hyphens that begins with a letter and has a digit (the caller counts them).
CODE_START = compile_cached(r"(?<![\w.-])[A-Za-z][A-Za-z-]*\d[A-Za-z0-9-]*")

#: Every word that can start a match of a word-led pattern.
WORD_TRIGGERS = frozenset().union(*(words for _, words in _WORD_GROUPS))
_TLD = compile_cached(r"@|://|www\.|::|\.(?:com|org|net|edu|gov|mil|info|biz|io|uk|de|fr|nz|jp"
                  r"|cn|ru|dk|fi|ie|mx|za|kr|tw|hk|sg)(?![\w.-])", re.IGNORECASE)


def matches_at(pat: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What ``pat.finditer(text)`` finds, trying only the positions ``starts`` (ascending).

    Why: a pattern that can only match where a digit or a label word begins
    need not be tried at every character; ``match`` at the few places where
    one can start finds the same matches (each alternative's look-behind
    forbids a start anywhere else) in a fraction of the time.
    """
    end = -1
    for pos in starts:
        if pos < end:
            continue
        m = pat.match(text, pos)
        if m is not None:
            end = m.end()
            yield m


def needs_web(text: str) -> bool:
    """Whether the text can hold an e-mail, URL, domain or IPv6 address."""
    return _TLD.search(text) is not None


def pattern(street_suffixes: tuple[str, ...]) -> Patterns:
    """Compile the structured-identifier pattern (suffixes longest first)."""
    # Tries, not lists of alternatives: the same strings, longest first, but a position
    # that begins none of them fails after one test.
    suffix = _trie(street_suffixes)
    after_types = _trie(AFTER_TYPES)
    first_types = _trie(FIRST_TYPES)
    name_word = (r"(?!(?i:apt|apartment|suite|ste|unit|rm|room|fl|floor)(?![\w]))"
                 r"[A-Z\u00c0-\u00de][a-z\u00df-\u00ff][\w'-]*")
    states = "|".join(STATES)
    start = r"(?<![^\W_])"  # not inside a word (a letter or digit before)
    digit_start = r"(?<![\d.,/])(?<!\d[:-])"
    alternatives = [
        # E-mails (internationalised local parts and domains) and URLs first: they
        # contain dots, digits and @ that other kinds would split.
        r"(?P<email>(?<![\w.%+-])[\w.%+'-]*\w@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-]))",
        r"(?P<url>(?i:https?://|ftp://|www\.)[^\s<>\"'\])]+)",
        r"(?P<domain>(?<![\w@.-])(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)+"
        # Country domains that are also clinical words ("comfortable.pt", "cell.ca",
        # "well.no") are left out: notes often lack the space after a full stop.
        r"(?:com|org|net|edu|gov|mil|info|biz|io|uk|de|fr|nz|jp|cn|ru|dk|fi|ie|mx|za|kr|tw"
        r"|hk|sg)(?![\w.-]|\.\w))",
        r"(?P<ipv4>(?<![.\d])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
        r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d))",
        r"(?P<ipv6>(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
        r"|(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,5})?)(?![\w:]))",
        # (with dots too: "123.45.6789"; an IP's fourth group is at most 255)
        r"(?P<ssn>(?<![\d-])\d{3}(?P<ss>[- .])\d{2}(?P=ss)\d{4}(?![\w-]|\.\d))",
        # (after the label, in any grouping and with a digit more or less: "SSN:
        # 123.45.6789", "SSN 897-23-551" came through)
        r"(?P<ssnl>(?i:ssn|ss\#|social[ ]security(?:[ ]number|[ ]no\.?)?)[:\#]?\s*"
        r"(?P<ssnv>\d{3}(?P<ssd>[-. ]?)\d{2}(?P=ssd)\d{3,5}|\d{8,10})(?!\d))",
        # Credit cards and IBANs: long digit groups; before phones, which are shorter.
        r"(?P<card>(?<![\d-])\d{4}(?P<cs>[- ]?)\d{4}(?P=cs)\d{4}(?P=cs)\d{1,7}(?![\d-]))",
        r"(?P<iban>(?<![\w])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![\w]))",
        # Phones: North American (with a slash too: 201/324/1423), international
        # (+, 00 or a leading 0 group), and the local seven digits; extensions follow.
        # (and Hungarian ones, an area code of one or two digits before a slash: "30/166
        # 1318", "(06)18/320-5182", "06-71/019 0115", "(41)/266-1817")
        r"(?P<phone>(?:(?<![\w+])\+?1[-. ]?(?:\(\d{3}\)[ ]?|\d{3}[-. /])"
        r"|(?<![\w/.(+-])(?:\(06\)|06-)?(?:\(\d{1,2}\)|\d{1,2})/(?=\d{3}[- ]\d{4}(?!\d))"
        r"|(?<![\w(])\(\d{3}\)[ ]?|(?<![\w/.])(?<!\d[-.])\d{3}[-. /])"
        # (an extension or another line after a dash or a slash is the number's too:
        # "617-555-1234-5678", "617-555-1234/1235", "617-555-1234-555-1234")
        r"\d{3}(?:[-. /]\d{4}|-\d{2}-\d{2})"
        r"(?:[ ]?(?i:x|ext\.?|extension|\#)[ ]?\d{1,6}|(?:[/-]\d{1,5}){1,3})?"
        r"(?![\w/-]|\.\d))",
        # (a country code in parentheses, "(+30) 2101 901153": its ")" is the number's, and
        # the handler takes the "(" before the "+" too)
        r"(?P<intl>(?:(?<![\w+])\+|(?<![\d.,/:-])00)(?=(?:[-. ()]{0,2}\d){8})"
        r"(?:(?<=\(\+)[1-9]\d{0,2}\)|[1-9]\d{0,2})"
        r"(?:[-. ]?\(0?\d{1,4}\))?"
        rf"(?:[-. ]?\d{{1,5}}){{1,5}}(?:[ ]?(?i:x|ext\.?)[ ]?\d{{1,6}})?{_PHONE_END})",
        # (a comma after a letter may come just before: "Office\,07700 063 966-Fax")
        # (and German and Austrian ones, an area code of three to five digits and one
        # group: "(04804) 59320", "09970 51560", "0316/81052762")
        r"(?P<trunk>(?<![\w+(./:-])(?<!\d,)(?:\(0\d{1,4}\)|0\d{1,4})(?:(?:[-. ]\d{2,5}){2,4}"
        r"|[-. /]?\d{6,8}|(?<=\d\d\))[ ]?\d{4,5}|(?<=\d\d\d)[ ]\d{5})"
        rf"(?:[ ]?(?i:x|ext\.?)[ ]?\d{{1,6}})?{_PHONE_END})",
        # (and the Russian "243-15-64", the Japanese "21-8320-5182")
        # (and another line after a slash: "555-1234/1235")
        r"(?P<local>(?<![\w(+.,/:-])(?:[2-9]\d{2}-\d{4}(?:/\d{1,5})?|[2-9]\d{2}-\d{2}-\d{2}"
        r"|\d{1,2}-\d{4}-\d{4})(?![\w/-]|\.\d))",
        # A number after a phone word, in whatever grouping ("Phone: 0490 75 40 81",
        # "Pager 83554", "call me on (64) 3591-3246"); the handler counts its digits.
        # (other languages' words too: "Telefon", "Tél.", "celular"; a slash inside a
        # number only before three digits and a group: "(41)/266-1817", "30/166 1318",
        # not a date's "10/12/2002")
        rf"(?P<phonel>(?<![^\W_])(?P<plw>{_PAGER}|(?i:desk|office|home|work"
        r"|contact(?:ed)?(?:[ ](?:on|at))?|call(?:[ ]me)?(?:[ ](?:on|at))?"
        r"|reach(?:ed)?(?:[ ]me)?(?:[ ](?:on|at))?|telefon|telefono|teléfono|telefone"
        r"|téléphone|tél|tlf|móvil|celular|cellulare))(?![^\W_])"
        r"(?:[ ]?(?:\#|no\.?|number))?[ ]?[:\#.]?[ \t]*\n?[ \t]*"
        r"(?P<plv>\(?\+?\(?\d[\d()]*(?:(?:[ .-]|[ ]-[ ]|/(?=\d{3}[ /-]\d{3}|\d{5}))"
        r"\(?\d[\d()]*){0,6}"
        # (another line after a slash is the number's: "cell 617-555-1234/1235", whose
        # "/1235" made the match fall back to "617-555" and leave the rest)
        r"(?:/\d{1,5}(?![\d/]))?"
        r"(?:[ ]?(?i:x|ext\.?)[ ]?\d{1,6})?)(?![\w/]|\.\d))",
        # Pairs of digits, as French and Belgian numbers are written ("71-33-52-22",
        # "06 12 34 56 78").
        r"(?P<pairs>(?<![\w.,/:-])\d{2}(?:(?P<pp>[-.])\d{2}(?:(?P=pp)\d{2}){2,3}"
        r"|(?:[ ]\d{2}){4})(?![\w/-]|[.,]\d))",
        # Digit groups in parentheses, as phone numbers are written in social notes
        # ("(301 273 45166)", "(240444-1243)"); the handler wants eight digits.
        r"(?P<paren>(?<=\()\d{2,6}(?:[ -]\d{2,6}){1,3}(?=\)))",
        # A number before its phone word ("788-063-Office", "0490 39 07 81 fax").  Its
        # groups are bounded: every digit of ")1)1)1..." may start a match, and a group
        # read to the end of the run made a long run quadratic in the pure scan.
        r"(?P<plt>(?<![\w+(.,/:-])\+?\(?\d[\d()]{0,20}(?:[ .-]\(?\d[\d()]{0,20}){1,6}"
        r"(?=[ ]?-?[ ]?(?i:office|fax|mobile|cell|home|work|desk)(?![^\W_])))",
        # Digit groups with single spaces and no phone word, as local and national
        # numbers are written ("628 5714", "384 720 193", "413 62 087"): three digits
        # first, not in a run of numbers (vital signs: "120 135 180 160"), not before a
        # capitalised word or a street type (a second house number: "638 2229 Wolmer
        # Street"); the handler checks the words around.
        # Greek "6986 091 390", "2530 862934", "210 4706402" and "23330 40 680", Brazilian
        # "42 9797-1147", Russian "817 64 35" and "8 401 764 67 26", Thai "0 2318 6091" too.
        r"(?P<spaced>(?<![\w+(.,/:-])(?<!\d[ ])(?:[2-9]\d{2}(?:[ ]\d{4}|[ ]\d{3}[ ]\d{3}"
        r"|[ ]\d{2}[ ]\d{3}|[ ]\d{2}[ ]\d{2}|[ ]\d{7})|[2-9]\d{3}(?:[ ]\d{3}[ ]\d{3}|[ ]\d{6})"
        r"|2\d{4}[ ]\d{2}[ ]\d{3}"
        r"|[1-9]\d[ ]\d{4,5}-\d{4}|0[ ]\d{4}[ ]\d{4}|0[ ]\d{3}[ ]\d{3}[ ]\d{3}"
        r"|8[ ]\d{3}[ ]\d{3}[ ]\d{2}[ ]\d{2})"
        r"(?![\w/-]|[.,]\d|[ ]+\d)"
        rf"(?![ ]+(?:[A-Z\u00c0-\u00de]|(?:{first_types})(?![\w]))))",
        # Military addresses: "PSC 6293, Box 8158 APO AP 04336".
        r"(?P<mil>(?<![^\W_])(?i:psc|unit|cmr)[ ]\d{3,5},?[ ](?i:box)[ ]\d{3,5}[ ,\n]+"
        r"(?i:apo|fpo|dpo)[ ]+(?i:aa|ae|ap)[ ]+\d{5}(?!\d))",
        # A military post office and its ZIP code alone ("USNV Botolen FPO AE 12382").
        r"(?P<milpo>(?<![^\W_])(?:APO|FPO|DPO|apo|fpo|dpo)[ ]+(?i:aa|ae|ap)[ ]+\d{5}(?!\d))",
        # Dates: ISO, numeric with a year, month/day without one, with month words.
        r"(?P<iso>(?<![\d/.-])(?P<iy>\d{4})(?P<is>[-/.])(?P<im>0?[1-9]|1[0-2])(?P=is)"
        r"(?P<id>0?[1-9]|[12]\d|3[01])(?:(?P<it>[T ])(?P<itime>(?:[01]\d|2[0-3]):[0-5]\d"
        r"(?::[0-5]\d)?))?(?![\d/-]|\.\d))",
        # Month/day.two-digit year, a typing slip for m/d/yy ("11/21.93").
        rf"(?P<mdyy>{digit_start}(?P<ma3>1[0-2]|0?[1-9])/(?P<mb3>3[01]|[12]\d|0?[1-9])\."
        r"(?P<my3>\d\d)(?![\d/.%-]|[ ]?[A-Za-z]))",
        # Two month/day dates joined by a slash ("TREATMENTS 10/03/10/04").
        rf"(?P<mdmd>{digit_start}(?P<m1>1[0-2]|0?[1-9])/(?P<d1>3[01]|[12]\d|0?[1-9])/"
        r"(?P<m2>1[0-2]|0?[1-9])/(?P<d2>3[01]|[12]\d|0?[1-9])(?![\d/%]|\.\d))",
        # Month-day with a dash after "on", "since", "until" ("back to OR on 7-8").
        rf"(?P<mdash>{digit_start}(?P<ma2>1[0-2]|0?[1-9])-(?P<mb2>3[01]|[12]\d|0?[1-9])"
        r"(?![\d/%-]|\.\d|[A-Za-z])(?![ ](?i:l|lpm|liters?|mg|mcg|units?|u|cc|ml|x|times"
        r"|hrs?|hours?|days?|weeks?|wks?|mins?|minutes?|months?|years?|yrs?|episodes?|beats?)"
        r"(?![^\W_])))",
        rf"(?P<num>{digit_start}(?P<na>\d{{1,2}})(?P<ns>[/.-])(?P<nb>\d{{1,2}})(?P=ns)"
        r"(?P<ny>\d{4}|\d{2})(?![\d/%-]|\.\d))",
        rf"(?P<md>{digit_start}(?P<ma>1[0-2]|0?[1-9])/(?P<mb>3[01]|[12]\d|0?[1-9])"
        r"(?![\d/%]|\.\d))",
        rf"(?P<my>{digit_start}(?P<mya>1[0-2]|0?[1-9])/(?P<myy>[3-9]\d|(?:19|20)\d\d)"
        r"(?![\d/%]|\.\d))",
        rf"(?P<dmy>{digit_start}(?P<dd>{_DAY})(?:[ ]of)?[ -](?P<dm>{_MONTH})"
        rf"(?:,?[ -]?(?P<dy>{_YEAR4}|'\d\d(?!\d)))?)",
        rf"(?P<mdy>{start}(?P<mm>{_MONTH})(?:[ ]?-?(?P<mdd>{_DAY}))"
        rf"(?:(?:,[ ]?|[ ]|-)(?P<mdyy>{_YEAR4}|'\d\d(?!\d)))?)",
        rf"(?P<mon_year>{start}(?P<mym>{_MONTH})(?:,?[ ]?|[ ](?i:of)[ ])(?P<myyy>{_YEAR}))",
        # (not "Jan" before a capitalised word: a first name, "Jan Hájek", for the
        # word pass to judge)
        rf"(?P<mon>{start}(?!Jan[ ]+[A-Z\u00c0-\u00de][^\W\d_])(?P<mo>{_MONTH_ALONE}))",
        # "on the 11th", "since the 3rd": a day of the month (the handler checks the
        # word before).
        r"(?P<ordinal>(?<![^\W_])(?P<ov>(?:[12]\d|3[01]|[1-9])(?i:st|nd|rd|th))(?![^\W_])"
        r"(?![ ]+(?i:ventricle|degree|nerve|finger|toe|rib|digit|line|dose|day|week|month"
        r"|time|grade|space|icu|intercostal|floor|cranial|generation|lumbar|cervical"
        r"|thoracic|sacral|metatarsal|metacarpal|heart|sound|trimester|percentile)))",
        # Ages over 89 ("92 yo", "aged 101", "age: 95").
        rf"(?P<age>{digit_start}(?P<av>9\d|1[01]\d)[ -]?(?={_AGE_WORD}))",
        # (and in words after the label: "aged ninety-three", "age ninety three")
        r"(?P<agel>(?i:aged?|age:)[ ]*(?:(?P<alv>9\d|1[01]\d)(?!\d|\.\d)"
        rf"|(?P<alw>(?i:ninety(?:[- ]{_UNITS})?|(?:(?:one|a)[ ])?hundred"
        rf"(?:[ ](?:and[ ])?(?:{_UNITS}|ten|eleven|twelve|thirteen|fourteen|fifteen"
        rf"|sixteen|seventeen|eighteen|nineteen))?))(?![^\W_])))",
        # ... and in words ("ninety-two year old", "a hundred and one years old": from
        # the group's word, so "a" stays).
        rf"(?P<agew>(?P<awv>(?i:ninety(?:[- ]{_UNITS})?|hundred"
        rf"(?:[ ](?:and[ ])?(?:{_UNITS}|ten|eleven|twelve|thirteen|fourteen|fifteen"
        rf"|sixteen|seventeen|eighteen|nineteen))?))[ -](?={_AGE_WORD}))",
        # A year of birth alone ("born in 1931", "YOB 1931", "birth year: 1931"): with
        # dates: year it is Safe Harbor's only when the age it gives is under 90.
        r"(?P<birthyr>(?i:born(?:[ ]in)?|yob|birth[ ]year)[ ]?:?[ ]*(?P<byv>1[89]\d\d|20\d\d)"
        r"(?![\d/.-]\d|\d))",
        # An e-mail written to dodge a parser, from its "at" ("jane dot doe at gmail dot
        # com", "jane[at]gmail.com", "jane (at) gmail.com"): a domain ending in a
        # top-level domain; the handler reads the local part before the "at" and wants
        # a bracket round it, or a "dot" written as a word or a dot in the local part.
        r"(?P<obmail>(?i:at)(?:(?P<obc>[\])}>])[ ]{0,2}|[ ]{1,2})"
        rf"(?P<obd>{_OB_LABEL}(?:{OB_DOT}{_OB_LABEL}){{0,3}}{OB_DOT}{_OB_TLDS})"
        r"(?![\w-]|\.\w))",
        # Identifiers after a label; "#123456"; unlabelled tokens with 5+ digits.
        rf"(?P<mrn>{start}{_LABELS}\.?(?:[ ]?(?i:no\.?|number|num|\#))?(?:[ ](?i:is))?"
        r"[ ]?[:\#]?[ ]*"
        r"(?P<mv>(?=[A-Za-z0-9-]{4,})[A-Za-z0-9]*\d[A-Za-z0-9-]*[A-Za-z0-9]|\d{4,}))",
        r"(?P<hashid>\#[ ]?(?P<hv>\d{5,})(?!\w))",
        # Street addresses and "City, ST 12345".
        rf"(?P<addr>{start}\d{{1,6}}[A-Z]?(?:-\d+)?[ ]+(?:(?:[NSEW]\.?[ ]+)?"
        rf"(?:(?:\d+(?:st|nd|rd|th)|[A-Z\u00c0-\u00de][\w'.-]*)[ ]+){{1,3}}"
        rf"(?:(?:{suffix})\.?(?![\w])|(?:{after_types})[ ]\d{{1,4}}[A-Za-z]?\.?(?![\w]|\.\d))"
        # The street's type first ("35108 ul. Zamkowa 33", "33 avenue de Provence"):
        # capitalised words of the name (a lower-case letter after the capital: not
        # "40 Via PICC"), particles between them, the house number after them.
        rf"|(?:{first_types})[ ]+(?:{_STREET_PARTICLES}[ ]+){{0,3}}{name_word}"
        rf"(?:[ ]+(?:{_STREET_PARTICLES}[ ]+){{0,2}}{name_word}){{0,4}}"
        r"(?:[ ]+\d{1,5}[A-Za-z]?(?![\w]|[.,]\d))?)"
        # (and New Zealand's rural delivery number: "24 Day Road, RD 2")
        r"(?:,?[ ]+(?:(?i:apt|apartment|suite|ste|unit|rm|room|fl|floor)(?![a-z])\.?[ ]*\#?"
        r"|RD[ ](?=\d)|\#[ ]?)(?:\d[A-Za-z0-9-]*|[A-Z](?!\w)))?)",
        # A secondary address: "Apt. 864", "Suite 501"; a British flat or studio that
        # opens an address, its number alone before a comma or the line's end ("Flat 9\n
        # Roberts Tunnel", "Studio 24Q, 8 Mill Lane", "Flat 22d, Jacob Ville"; not "flat 30
        # degrees"); an Australian level before its street address ("Level 9, 634 Pearce
        # Street": not "Level 2 trauma", "level 5 pain", "Level 5, 6 Hours later").
        r"(?P<unit>(?<![^\W_])(?:(?i:apt|apartment|suite|ste|unit)\.?[ ]*\#?[ ]*"
        r"|(?=(?:Flat|Studio)[ ]\d{1,4}[A-Za-z]?(?:,[ ]*|[ ]*\r?\n)[A-Z\d])(?:Flat|Studio)[ ]"
        rf"|(?=Level[ ]\d{{1,3}}[A-Za-z]?,?[ ]+\d{{1,5}}[A-Za-z]?[ ]+"
        rf"(?:[A-Z\u00c0-\u00de][\w'.-]*[ ]+){{1,3}}(?:{suffix})\.?(?![\w]))Level[ ])"
        r"(?P<uv>\d{1,5}[A-Za-z]?)(?![\w]))",
        r"(?P<pobox>(?i:p\.?[ ]?o\.?[ ]box)[ ]\d+)",
        # A ZIP code after a state ("Boston, MA 02139", "Dover , NC  29451": the handler
        # finds the town).
        # (a capital before the look-behinds of the states: most numbers fail it at once)
        rf"(?P<stzip>(?:(?<=[A-Z][ ,])(?<=(?:{states})[ ,])"
        rf"|(?<=[A-Z][ ,][ ])(?<=(?:{states})[ ,][ ]))"
        r"(?P<sz>\d{5}(?:-\d{4})?)(?![\w-]))",
        # A postcode after its label: US ZIP codes, the other countries' digit forms
        # ("ZIP: 394 13", "postcode 7412 SL", "my zip code is 2371"), British and Canadian
        # ones ("ZIP CM90 7RT", "postal code K1A 0B1").
        r"(?P<zipl>(?i:zip|postcode|post[ ]code|postal[ ]code)(?:[ ]?(?i:code))?(?:[ ](?i:is))?"
        r":?[ ]*(?P<zv>\d{3,5}(?:[ -]\d{2,4})?(?:[ ][A-Z]{2}(?![\w]))?"
        r"|[A-Z]{1,2}\d[A-Z\d]?[ ]\d[ABD-HJLNP-UW-Z]{2}|[ABCEGHJ-NPRSTVXY]\d[A-Z][ ]\d[A-Z]\d)"
        r"(?![\w-]))",
        r"(?P<idnum>(?<![\w.-])(?=(?:[A-Za-z-]*\d){5})[0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?![\w-]|\.\d))",
        r"(?P<idword>(?<![\w.-])(?=(?:[A-Za-z-]*\d){5})[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
        r"(?![\w-]|\.\d))",
    ]
    by_name = {a[a.index("<") + 1 : a.index(">")]: a for a in alternatives}
    word_start = r"(?<![^\W_])(?=[^\W\d_])(?:"

    def join(names: tuple[str, ...]) -> str:
        return "|".join(by_name[name] for name in names)

    digits = tuple(n for n in by_name if n not in _WEB and n not in _WORDS and n not in _CODES)
    return Patterns(
        web=compile_cached(join(_WEB)),
        digits=compile_cached(r"(?=[\d+(\#])(?:" + join(digits) + ")"),
        words=tuple((triggers, compile_cached(word_start + join(names) + ")"))
                    for names, triggers in _WORD_GROUPS),
        codes=compile_cached(word_start + join(_CODES) + ")"),
        digit_alternatives=tuple((name, by_name[name]) for name in digits),
        web_alternatives=tuple((name, by_name[name]) for name in _WEB),
    )
