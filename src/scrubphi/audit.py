"""``scrubphi audit``: what a policy covers, proven against a real dump.

The audit reads a dump once, without writing anything, and reports:

- every table and column with its transform (from the policy and the schema);
- which of the 18 HIPAA Safe Harbor identifier kinds (45 CFR 164.514(b)(2))
  the policy covers, and with which columns;
- columns whose names look like PHI but are kept (``ssn``, ``dob``, ``phone``,
  ``email``, ``addr``, ``zip``, ``mrn``, ``member``, ``license``, ``vin``,
  ``device``, ``ip``, ``url``, ``photo``, ``note``, ...);
- a residual scan of kept text columns: how many values look like an SSN, a
  phone number, an email address or a date, per column;
- schema text that people write and that pg_dump passes on as it is
  (``COMMENT ON``, column defaults, check constraints, view and function
  bodies): how many string literals in it look like a name, an SSN, a phone
  number or an e-mail address (and, in comments, a date), per object.
  Counts only: the audit never prints, logs or stores a value.

It is a heuristic safety net beside the fail-closed coverage check, not a
proof that no PHI is left: a kept column can hold PHI under any name.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from .api import read_through
from .dump.rewriter import DEFAULT_CHUNK_SIZE, Scan, Scrubber
from .policy.audit_section import column_label
from .policy.model import Policy, Reviewed, TableName, quote_ident
from .report import iso_utc, keyed_derivation, scrubphi_version
from .transforms.base import ColumnInfo
from .transforms.coltypes import DATE_TYPES, base_type
from .transforms.dates import MULTIRANGE_TYPES, RANGE_TYPES

if TYPE_CHECKING:
    from .transforms.redact.detector import Redactor

__all__ = [
    "SAFE_HARBOR_KINDS",
    "AuditReport",
    "ColumnAudit",
    "SchemaTextAudit",
    "audit_dump",
    "phi_kinds_of_name",
]

#: The 18 identifier kinds of 45 CFR 164.514(b)(2)(i), in the rule's order.
SAFE_HARBOR_KINDS: dict[str, str] = {
    "names": "(A) Names",
    "geography": "(B) Geographic subdivisions smaller than a state (street, city, county, ZIP)",
    "dates": "(C) Dates (except year) related to an individual; ages over 89",
    "phone": "(D) Telephone numbers",
    "fax": "(E) Fax numbers",
    "email": "(F) Email addresses",
    "ssn": "(G) Social Security numbers",
    "mrn": "(H) Medical record numbers",
    "health_plan": "(I) Health plan beneficiary numbers",
    "account": "(J) Account numbers",
    "license": "(K) Certificate/license numbers",
    "vehicle": "(L) Vehicle identifiers and serial numbers, including license plates",
    "device": "(M) Device identifiers and serial numbers",
    "url": "(N) Web URLs",
    "ip": "(O) IP addresses",
    "biometric": "(P) Biometric identifiers, including finger and voice prints",
    "photo": "(Q) Full-face photographs and comparable images",
    "other_id": "(R) Any other unique identifying number, characteristic or code",
}

# Column-name fragments that suggest each kind; matched on the lower-cased
# name split into words (camelCase, spaces and punctuation become "_").
_NAME_PATTERNS: dict[str, str] = {
    "names": r"(^|_)((first|last|middle|given|family|full|maiden|nick|patient|sur)_?name|"
    r"name|surname|forename|maiden|fname|lname|mname|initials|attending|physician|doctor|"
    r"nurse|guardian|emergency_contact)($|_)|(^|_)(first|last|middle|given)$",
    "geography": r"(^|_)(addr|address|street|city|town|county|zip|zipcode|postal|postcode|"
    r"precinct|geo|lat|lng|lon|latitude|longitude|birthplace|hometown|residence)\d*($|_)|"
    r"(^|_)place_of_birth($|_)",
    "dates": r"(^|_)(dob|birth|birthday|birthdate|born|dod|death|died|deceased|deathdate|admit|"
    r"admitted|admission|discharge|discharged|visit|age|date|dt|start|started|onset|expiry|"
    r"expires)($|_)|_(at|on|date|dt)$",
    "phone": r"(^|_)(phone|mobile|cell|tel|telephone)\d*($|_)",
    "fax": r"(^|_)fax($|_)",
    "email": r"(^|_)(e_?mail|mail)($|_)",
    "ssn": r"(^|_)(ssn|social_security|sin|tin|itin)($|_)",
    "mrn": r"(^|_)(mrn|medical_record|record_number|chart|chart_number)($|_)",
    "health_plan": r"(^|_)(member|beneficiary|insurance|insured|policy|subscriber|plan_id|"
    r"medicare|medicaid)($|_)",
    "account": r"(^|_)(account|acct|iban|card|card_number|billing)($|_)",
    "license": r"(^|_)(license|licence|lic|certificate|cert|dea|npi|drivers?|dl)($|_)",
    "vehicle": r"(^|_)(vin|plate|license_plate|vehicle)($|_)",
    "device": r"(^|_)(device|serial|imei|udi|mac|mac_address)($|_)",
    "url": r"(^|_)(url|uri|website|homepage|link)($|_)",
    "ip": r"(^|_)(ip|ip_address|ipv4|ipv6|remote_addr|client_addr|inet)($|_)",
    "biometric": r"(^|_)(fingerprint|voice|voiceprint|retina|iris|biometric)($|_)",
    "photo": r"(^|_)(photo|image|picture|avatar|selfie|scan|headshot)($|_)",
    "other_id": r"(^|_)(uuid|guid|token|identifier|external_id|national_id|passport)($|_)",
}
_COMPILED = {kind: re.compile(pattern) for kind, pattern in _NAME_PATTERNS.items()}
# Word stems that name PHI even when written together (``memberid``,
# ``deathdate``, ``birthplace``, ``patientfirstname``): matched on the name
# with every separator removed.
_STEMS: dict[str, re.Pattern[str]] = {
    "names": re.compile(r"(first|last|middle|given|family|full|maiden|nick|sur|fore)name|maiden"),
    "geography": re.compile(r"birthplace|placeofbirth|hometown|(?<!ip)(?<!mac)(?<!email)address"
                            r"|zipcode|postalcode|postcode|street"),
    "dates": re.compile(r"birth(?!place)|dateofbirth|death|deceased|(start|end|stop|onset|admit|"
                        r"admission|discharge|visit|service|hire|effective|expir\w*)(date|day|dt)"),
    "phone": re.compile(r"phone|mobile(no|num|number)"),
    "email": re.compile(r"email"),
    "ssn": re.compile(r"socialsecurity|ssn(no|num|number)?$"),
    "mrn": re.compile(r"medicalrecord|mrn(no|num|number)?$|chartn(o|um)"),
    "health_plan": re.compile(r"member(id|no|num|number)|subscriber|beneficiar|medicare|medicaid"
                              r"|insur\w*(id|no|num|number)|policy(id|no|num|number)"),
    "license": re.compile(r"driver|licen[cs]e"),
    "ip": re.compile(r"ipaddr|ipv[46]addr"),
    "other_id": re.compile(r"passport|nationalid"),
}
_FREE_TEXT = re.compile(
    r"(^|_)(note|notes|comment|comments|remark|remarks|narrative|history|message|memo|"
    r"description|reason|text|body|summary)($|_)"
)

# Which kind a fake provider produces (a transform that covers that kind).
_PROVIDER_KINDS = {
    "first_name": "names",
    "last_name": "names",
    "name": "names",
    "street_address": "geography",
    "address": "geography",
    "city": "geography",
    "zipcode": "geography",
    "postcode": "geography",
    "phone_number": "phone",
    "fax": "fax",
    "email": "email",
    "ssn": "ssn",
    "url": "url",
    "ipv4": "ip",
    "ipv6": "ip",
    "license_plate": "vehicle",
    "vin": "vehicle",
    "iban": "account",
    "credit_card_number": "account",
    "uuid4": "other_id",
    "user_name": "other_id",
}

#: Types whose values are dates: a kept column of one is reported by its type.
_DATED = DATE_TYPES | RANGE_TYPES | MULTIRANGE_TYPES
#: Kept columns of these types hold no text the residual scan could read (numbers,
#: booleans, binary, times; dates are reported by their type).  Every other type is
#: scanned in its text form: text, json, xml (a CDA document), arrays, composites
#: (an address type), hstore, tsvector (a note's words), domains, extension types.
_UNSCANNED = frozenset({
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "numeric", "decimal",
    "real", "double precision", "float4", "float8", "boolean", "bool", "money", "oid",
    "uuid", "bytea", "interval", "time", "time without time zone", "time with time zone",
    "timetz", "bit", "bit varying", "varbit"}) | _DATED

_RESIDUAL = {
    "ssn": re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)"),
    "phone": re.compile(r"(?<!\d)(?:\+?1[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]\d{4}(?!\d)"),
    "email": re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    "date": re.compile(r"(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4})(?!\d)"),
}


def _words(name: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


# "name" qualified by a thing, not a person: test_name, drug_name, file_name, ...
_THING_NAME = re.compile(
    r"(^|_)(test|file|product|company|drug|medication|med|diagnosis|procedure|code|table|"
    r"column|display|host|device|app|service|lab|item|brand|facility|hospital|clinic|"
    r"department|dept|org|organization|plan|vendor|schema|user)_name($|_)"
)


def phi_kinds_of_name(name: str) -> list[str]:
    """The Safe Harbor kinds a column name suggests (empty for none)."""
    words = _words(name)
    compact = words.replace("_", "")
    kinds = [kind for kind, pattern in _COMPILED.items()
             if pattern.search(words) or (kind in _STEMS and _STEMS[kind].search(compact))]
    if "names" in kinds and _THING_NAME.search(words):
        kinds.remove("names")
    return kinds


def _shifted(transform: str) -> bool:
    """A date shift (also inside a JSON path rule): intervals kept, not Safe Harbor."""
    return "{date: shift" in transform


@dataclass
class ColumnAudit:
    """One column as the audit sees it."""

    table: str
    column: str
    type_name: str
    transform: str
    kinds: list[str] = field(default_factory=list)
    free_text: bool = False
    residual: dict[str, int] = field(default_factory=dict)
    scanned: int = 0
    #: A date or timestamp column (by its type, whatever its name).
    date_type: bool = False
    #: The ``audit.reviewed`` reason, when a person reviewed this column.
    reviewed: str | None = None

    @property
    def label(self) -> str:
        return f"{self.table}.{quote_ident(self.column)}"

    @property
    def kept(self) -> bool:
        return self.transform in ("keep", "keep (whole table)")

    @property
    def partly_kept(self) -> bool:
        """A when transform that keeps the rows of some case (or of else) as they are."""
        return self.transform.startswith("{when:") and (
            "then: keep}" in self.transform or self.transform.endswith("else: keep}")
        )

    @property
    def shifted(self) -> bool:
        """Dates shifted, not removed: not Safe Harbor (docs/safe-harbor.md)."""
        return _shifted(self.transform)

    def reasons(self) -> list[str]:
        """Why a kept column looks like PHI: name kinds, date type, free text."""
        why = list(self.kinds)
        if self.date_type and "dates" not in why:
            why.append("dates")
        if self.date_type:
            why[why.index("dates")] = "dates (by type)"
        if self.free_text:
            why.append("free text")
        return why

    @property
    def phi_like(self) -> bool:
        """A kept column whose name suggests PHI.

        In a table kept whole on purpose (reference data), only the name
        dictionary counts, not the free-text heuristic: ``description`` of an
        ICD-10 code is not a note about a patient.
        """
        if self.partly_kept:
            return bool(self.kinds or self.date_type or self.free_text)
        if not self.kept:
            return False
        if self.transform == "keep (whole table)":
            return bool(self.kinds or self.date_type)
        return bool(self.kinds or self.date_type or self.free_text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "type": self.type_name,
            "transform": self.transform,
            "partly_kept": self.partly_kept,
            "phi_kinds_by_name": self.kinds,
            "date_by_type": self.date_type,
            "free_text_by_name": self.free_text,
            "values_scanned": self.scanned,
            "residual_counts": dict(self.residual),
        }


# Statements whose literals people write: comments, defaults and checks, views, functions,
# rules, triggers, policies, domains (not settings such as CREATE DATABASE ... LOCALE).
_SCHEMA_TEXT = re.compile(
    r"\s*(COMMENT\s+ON|ALTER\s+TABLE|CREATE\s+(OR\s+REPLACE\s+)?(UNLOGGED\s+|FOREIGN\s+)?"
    r"(TABLE|VIEW|MATERIALIZED\s+VIEW|FUNCTION|PROCEDURE|TRIGGER|RULE|POLICY|DOMAIN))\b",
    re.I,
)
# A string literal in SQL ('...' with '' inside; E'...' strings read the same way).
_SQL_STRING = re.compile(r"'((?:[^']|'')*)'")
# Redactor kinds as the audit names them.
_TEXT_KINDS = {"first_name": "name", "last_name": "name", "initial": "name", "place": "place",
               "city": "place", "address": "place", "zip": "place", "fax": "phone"}


@dataclass
class SchemaTextAudit:
    """PHI-like string literals in one schema object's SQL: counts per kind."""

    object: str
    literals: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    #: The ``audit.reviewed`` reason, when a person reviewed this object.
    reviewed: str | None = None


@dataclass
class AuditReport:
    """Everything ``scrubphi audit`` found; counts and names, never values.

    A finding whose column or object the policy's ``audit.reviewed`` names is
    reported with its reason under "reviewed" and does not count; a reviewed
    entry that names nothing in the dump counts (a typo would otherwise hide
    the finding it meant).
    """

    columns: list[ColumnAudit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: What may fail at the restore (keys that may collide, CHECKs over new values).
    warnings: list[str] = field(default_factory=list)
    policy_digest: str = ""
    schema_text: list[SchemaTextAudit] = field(default_factory=list)
    #: ``audit.reviewed`` entries that match no column or schema object of the dump.
    stale_reviews: list[Reviewed] = field(default_factory=list)
    #: When the audit ran (seconds since the epoch).
    generated_at: float = field(default_factory=time.time)
    #: The keyed derivation of this build (as in the run report and ``--version``): the
    #: fakes the audited policy gives depend on it, so the audit says which it was made with.
    derivation: str = field(default_factory=keyed_derivation)

    def coverage(self) -> dict[str, list[str]]:
        """Safe Harbor kind -> the columns whose transform covers it.

        A date shift keeps dates (moved, not removed), so it never covers the
        dates kind: see :meth:`shifted_dates` and docs/safe-harbor.md.
        """
        found: dict[str, list[str]] = {kind: [] for kind in SAFE_HARBOR_KINDS}
        for col in self.columns:
            if col.kept or col.partly_kept:
                continue  # a column some rows of which are kept covers nothing for sure
            kinds = set(col.kinds)
            provider = re.match(r"\{fake: (\w+)", col.transform)
            if provider and provider.group(1) in _PROVIDER_KINDS:
                kinds.add(_PROVIDER_KINDS[provider.group(1)])
            if col.transform.startswith("{date:"):
                kinds.add("dates")
            if col.transform.startswith("{generalize:"):
                kinds.add("geography")
            if col.shifted:
                kinds.discard("dates")
            for kind in sorted(kinds):
                found[kind].append(f"{col.label} ({col.transform})")
        return found

    def _open(self, cols: list[ColumnAudit]) -> list[ColumnAudit]:
        return [c for c in cols if c.reviewed is None]

    def shifted_dates(self) -> list[ColumnAudit]:
        """Date-shifted columns not reviewed: dates kept, so not Safe Harbor."""
        return self._open([c for c in self.columns if c.shifted])

    def kept_phi_like(self) -> list[ColumnAudit]:
        """Kept columns whose name (or date type) looks like PHI, not reviewed."""
        return self._open([c for c in self.columns if c.phi_like])

    def residual_findings(self) -> list[ColumnAudit]:
        """Kept text columns with PHI-like values, not reviewed."""
        return self._open([c for c in self.columns if c.kept and any(c.residual.values())])

    def schema_findings(self) -> list[SchemaTextAudit]:
        return [t for t in self.schema_text if t.reviewed is None]

    def reviewed(self) -> list[tuple[str, str, list[str]]]:
        """(column or object, reason, what it would have been found for) of reviewed findings."""
        out: list[tuple[str, str, list[str]]] = []
        for c in self.columns:
            if c.reviewed is None:
                continue
            what = []
            if c.phi_like:
                what.append("kept, looks like PHI: " + ", ".join(c.reasons()))
            if c.kept and any(c.residual.values()):
                what.append("PHI-like values: " + ", ".join(
                    f"{k} {n}" for k, n in sorted(c.residual.items()) if n))
            if c.shifted:
                what.append("date shift (not Safe Harbor)")
            out.append((c.label, c.reviewed, what or ["nothing found: the entry is not needed"]))
        for t in self.schema_text:
            if t.reviewed is not None:
                counts = ", ".join(f"{k} {n}" for k, n in sorted(t.kinds.items()))
                out.append((t.object, t.reviewed, [f"PHI-like literals: {counts}"]))
        return out

    @property
    def findings(self) -> int:
        return (len(self.problems) + len(self.kept_phi_like()) + len(self.residual_findings())
                + len(self.schema_findings()) + len(self.shifted_dates())
                + len(self.stale_reviews))

    def to_dict(self) -> dict[str, Any]:
        return {
            "scrubphi_version": scrubphi_version(),
            "keyed_derivation": self.derivation,
            "generated_at": iso_utc(self.generated_at),
            "policy_sha256": self.policy_digest,
            "problems": list(self.problems),
            "restore_warnings": list(self.warnings),
            "columns": [c.to_dict() for c in self.columns],
            "safe_harbor": {
                kind: {"kind": SAFE_HARBOR_KINDS[kind], "covered_by": cols}
                for kind, cols in self.coverage().items()
            },
            "date_shifted_not_safe_harbor": [c.label for c in self.shifted_dates()],
            "kept_phi_like_columns": [c.label for c in self.kept_phi_like()],
            "residual": {c.label: dict(c.residual) for c in self.residual_findings()},
            "schema_text": {t.object: dict(t.kinds) for t in self.schema_findings()},
            "reviewed": [
                {"target": target, "reason": reason, "found": what}
                for target, reason, what in self.reviewed()
            ],
            "stale_reviews": [
                {"target": r.target, "at": str(r.location) if r.location else None}
                for r in self.stale_reviews
            ],
            "findings": self.findings,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_text(self) -> str:
        lines = ["Columns and their transforms:"]
        for c in self.columns:
            lines.append(f"  {c.label}: {c.transform}")
        lines.append("")
        lines.append("HIPAA Safe Harbor identifier kinds (45 CFR 164.514(b)(2)):")
        for kind, cols in self.coverage().items():
            mark = "covered" if cols else "no column"
            lines.append(f"  {SAFE_HARBOR_KINDS[kind]}: {mark}")
            lines.extend(f"      {col}" for col in cols)
        shifted = self.shifted_dates()
        lines.append("")
        lines.append(f"Date-shifted columns (dates kept: not Safe Harbor, docs/safe-harbor.md): "
                     f"{len(shifted)}")
        lines.extend(f"  {c.label} ({c.transform})" for c in shifted)
        kept = self.kept_phi_like()
        lines.append("")
        lines.append(f"Kept columns that look like PHI (name or date type): {len(kept)}")
        for c in kept:
            lines.append(f"  {c.label} ({', '.join(c.reasons())})")
        residual = self.residual_findings()
        lines.append("")
        lines.append(f"Kept text columns with PHI-like values: {len(residual)}")
        for c in residual:
            counts = ", ".join(f"{k} {n}" for k, n in sorted(c.residual.items()) if n)
            lines.append(f"  {c.label}: {counts} of {c.scanned} values")
        schema = self.schema_findings()
        lines.append("")
        lines.append(f"Schema objects whose SQL text has PHI-like literals: {len(schema)}")
        for t in schema:
            counts = ", ".join(f"{k} {n}" for k, n in sorted(t.kinds.items()))
            lines.append(f"  {t.object}: {counts} (of {t.literals} literals)")
        reviewed = self.reviewed()
        if reviewed:
            lines.append("")
            lines.append(f"Reviewed (audit.reviewed in the policy; not counted): {len(reviewed)}")
            for target, reason, what in reviewed:
                lines.append(f"  {target}: {'; '.join(what)}")
                lines.append(f"      reason: {reason}")
        if self.stale_reviews:
            lines.append("")
            lines.append(f"audit.reviewed entries that match nothing in the dump: "
                         f"{len(self.stale_reviews)}")
            for r in self.stale_reviews:
                where = f" ({r.location})" if r.location else ""
                lines.append(f"  {r.target}{where}")
        if self.problems:
            lines.append("")
            lines.append(f"Coverage problems: {len(self.problems)}")
            lines.extend(f"  - {p}" for p in self.problems)
        if self.warnings:
            lines.append("")
            lines.append(f"Restore warnings: {len(self.warnings)}")
            lines.extend(f"  - {w}" for w in self.warnings)
        lines.append("")
        lines.append(f"findings: {self.findings}")
        return "\n".join(lines) + "\n"


# Redactor kinds that make a kept text value count as holding a person's name.
_NAME_FINDINGS = frozenset({"first_name", "last_name"})
# A title right before a word the detector calls a name ("Dr. Okafor").
_TITLE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof)\.?\s+$")


@functools.lru_cache(maxsize=1)
def _name_words() -> tuple[frozenset[str], frozenset[str]]:
    """Known first and last names, and the US state names that share their spelling."""
    from .transforms.pooldata import load_pool
    from .transforms.redact.vocab import vocab

    states = frozenset(w.lower() for state in load_pool("state", "en_US")
                       for w in (state, *state.split()))  # "North Carolina": carolina too
    return vocab().names, states


def _scanner(col: ColumnAudit, finder: Redactor) -> Callable[[str | None], str | None]:
    """Count a kept value's PHI-like patterns, and names the detector finds in the name lists.

    A name counts only when the redactor's detector calls a word a name *and*
    the word is a known first or last name or follows a title (Dr., Mrs.), and
    is not a US state (Safe Harbor allows states): unknown words (units, codes)
    are the redactor's business in notes, not evidence of a name in a kept
    column.
    """
    names, states = _name_words()
    counts = col.residual
    patterns = list(_RESIDUAL.items())
    for kind, _p in patterns:
        counts.setdefault(kind, 0)
    counts.setdefault("name", 0)
    counts.setdefault("address", 0)

    def scan(value: str | None) -> str | None:
        if value is not None:
            col.scanned += 1
            for kind, pattern in patterns:
                if pattern.search(value):
                    counts[kind] += 1
            name = address = False
            for f in finder.find(value):
                if f.kind == "address":
                    address = True  # a street address ("12 Oak Street")
                elif not name and f.kind in _NAME_FINDINGS:
                    word = value[f.start:f.end].lower()
                    name = word not in states and (word in names
                                                   or bool(_TITLE.search(value, 0, f.start)))
            counts["name"] += name
            counts["address"] += address
        return value

    return scan


def _finder() -> Redactor:
    """The free-text redactor's detector, used only to find (never to transform)."""
    from .transforms.base import TransformContext
    from .transforms.redact.detector import Redactor

    return Redactor(TransformContext(key=b"audit: no value is transformed"))


def audit_dump(src: BinaryIO, policy: Policy, *,
               chunk_size: int = DEFAULT_CHUNK_SIZE) -> AuditReport:
    """Read a dump and audit the policy against it (writes nothing)."""
    report = AuditReport(policy_digest=policy.digest)
    seen: dict[tuple[str | None, str, str], ColumnAudit] = {}
    finder = _finder()
    reviewed_columns = {r.target: r for r in policy.reviewed if r.kind == "column"}
    reviewed_objects = {r.target: r for r in policy.reviewed if r.kind == "object"}
    matched: set[str] = set()

    def observe(
        table: TableName,
        names: tuple[str, ...],
        columns: dict[str, ColumnInfo],
        specs: dict[str, str],
        database: str | None,
    ) -> list[Scan]:
        entries: list[Scan] = []
        for index, name in enumerate(names):
            info = columns.get(name, ColumnInfo(name=name))
            if info.generated:
                continue
            key = (database, str(table), name)
            base = base_type(info)
            col = seen.get(key)
            if col is None:
                review = reviewed_columns.get(column_label(table, name))
                col = ColumnAudit(
                    table=str(table) if database is None else f"{database}:{table}",
                    column=name,
                    type_name=info.type_name + "[]" * info.array_dims,
                    transform=specs.get(name, "keep"),
                    kinds=phi_kinds_of_name(name),
                    free_text=bool(_FREE_TEXT.search(_words(name))),
                    date_type=base in _DATED,
                    reviewed=review.reason if review is not None else None,
                )
                if review is not None:
                    matched.add(review.target)
                seen[key] = col
                report.columns.append(col)
            if col.kept and base not in _UNSCANNED:
                entries.append((index, _scanner(col, finder)))
        return entries

    labels: set[str] = set()
    scrubber = read_through(
        src,
        Scrubber(policy, check_only=True, observe=observe,
                 observe_schema=_schema_text(report, finder, labels)),
        chunk_size,
    )
    report.problems = list(dict.fromkeys(scrubber.problems))  # each problem once
    report.warnings = list(scrubber.report.warnings)
    for entry in report.schema_text:
        review = reviewed_objects.get(entry.object)
        entry.reviewed = review.reason if review is not None else None
    matched |= labels & set(reviewed_objects)
    report.stale_reviews = [r for r in policy.reviewed if r.target not in matched]
    return report


def _schema_text(
    report: AuditReport, finder: Redactor, labels: set[str]
) -> Callable[[str, bytes], None]:
    """The schema-text scan: string literals of CREATE, ALTER and COMMENT statements.

    Literals are looked at by the free-text redactor's detector (names,
    places, structured identifiers) and the residual patterns; dates count
    only in comments, since defaults and checks hold dates that are not
    anyone's.
    """
    by_object: dict[str, SchemaTextAudit] = {}

    def observe(label: str, statement: bytes) -> None:
        text = statement.decode("utf-8", "replace")
        if not _SCHEMA_TEXT.match(text):
            return
        labels.add(label)
        comment = text.lstrip()[:7].upper() == "COMMENT"
        kinds: dict[str, int] = {}
        literals = 0
        for m in _SQL_STRING.finditer(text):
            value = m.group(1).replace("''", "'")
            if not value.strip():
                continue
            literals += 1
            found = {_TEXT_KINDS.get(f.kind, f.kind) for f in finder.find(value)}
            found |= {kind for kind, pattern in _RESIDUAL.items() if pattern.search(value)}
            if not comment:
                found -= {"date", "age"}
            for kind in found:
                kinds[kind] = kinds.get(kind, 0) + 1
        if kinds:
            entry = by_object.get(label)
            if entry is None:
                entry = by_object[label] = SchemaTextAudit(label)
                report.schema_text.append(entry)
            entry.literals += literals
            for kind, n in kinds.items():
                entry.kinds[kind] = entry.kinds.get(kind, 0) + n

    return observe
