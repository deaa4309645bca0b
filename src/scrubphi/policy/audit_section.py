"""The ``audit`` section: findings a person reviewed, with the reason they stay.

```yaml
audit:
  reviewed:
    - column: public.encounters.created_at
      reason: when the row was written, not a date of the patient's care
    - object: "COMMENT ON TABLE public.visits"
      reason: the example name in the comment is the product's mascot
```

``scrubphi audit`` reports a reviewed finding with its reason instead of
counting it, so ``--strict`` can pass on a real schema once every finding
has been looked at.  ``column`` is ``schema.table.column`` (``table.column``
means schema ``public``; quote a name with dots or spaces: ``clinic."Lab
Results"."Collected At"``); ``object`` is a schema object's label as the
audit prints it.  A reason is required: a bare list would hide findings
without saying why.  Entries are checked when the policy loads (file, line,
column); whether they still match the dump is the audit's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrubphi.policy.loader import SectionReader, parse_identifier
from scrubphi.policy.model import Reviewed, TableName, quote_ident

__all__ = ["column_label", "read_reviewed", "split_column"]

_ENTRY_KEYS = ("column", "object", "reason")


def split_column(text: str) -> tuple[TableName, str]:
    """``schema.table.column`` (or ``table.column``) split at dots outside double quotes."""
    parts: list[str] = []
    start = 0
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append(text[start:index])
            start = index + 1
    if quoted:
        raise ValueError(f"{text!r}: a double quote is not closed")
    parts.append(text[start:])
    if len(parts) == 2:
        parts.insert(0, "public")
    if len(parts) != 3:
        raise ValueError(f"{text!r} is not schema.table.column (or table.column)")
    schema, table, column = (parse_identifier(part) for part in parts)
    return TableName(schema, table), column


def column_label(table: TableName | str, column: str) -> str:
    """A column as the audit prints it: ``public.visits.created_at``."""
    return f"{table}.{quote_ident(column)}"


class _Reader(SectionReader):
    def read(self) -> tuple[Reviewed, ...]:
        section = self.sections.get("audit")
        if section is None:
            return ()
        for key in section:
            if key != "reviewed":
                self.fail(f"unknown key {key!s} in the audit section; allowed: reviewed",
                          "audit", key)
        entries = section.get("reviewed")
        if entries is None:
            return ()
        if not isinstance(entries, list):
            self.fail("this is a list of {column: ..., reason: ...} entries",
                      "audit", "reviewed")
        out: list[Reviewed] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            reviewed = self.entry(index, entry)
            if reviewed.target in seen:
                self.fail(f"{reviewed.target} is reviewed twice (also entry "
                          f"{seen[reviewed.target]})", "audit", "reviewed", index)
            seen[reviewed.target] = index
            out.append(reviewed)
        return tuple(out)

    def entry(self, index: int, entry: Any) -> Reviewed:
        path = ("audit", "reviewed", index)
        if not isinstance(entry, Mapping):
            self.fail("each reviewed entry is a mapping: {column: schema.table.column, "
                      "reason: why it stays}", *path)
        for key in entry:
            if key not in _ENTRY_KEYS:
                self.fail(f"unknown key {key!s}; allowed: {', '.join(_ENTRY_KEYS)}", *path, key)
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            self.fail("reason is required: say why this finding stays (a non-empty text)",
                      *path, *(("reason",) if "reason" in entry else ()))
        has_column, has_object = "column" in entry, "object" in entry
        if has_column == has_object:
            self.fail("give exactly one of column (schema.table.column) or object "
                      "(a schema object's label as the audit prints it)", *path)
        where = self.where(*path)
        if has_object:
            target = entry["object"]
            if not isinstance(target, str) or not target.strip():
                self.fail("object is a schema object's label, as the audit prints it",
                          *path, "object")
            return Reviewed("object", target.strip(), reason.strip(), where)
        text = entry["column"]
        if not isinstance(text, str):
            self.fail("column is schema.table.column (text)", *path, "column")
        try:
            table, column = split_column(text.strip())
        except ValueError as exc:
            self.fail(f"column: {exc}", *path, "column")
        return Reviewed("column", column_label(table, column), reason.strip(), where)


def read_reviewed(sections: Mapping[str, Any]) -> tuple[Reviewed, ...]:
    """The ``audit.reviewed`` entries of a policy's sections; PolicyError on a bad one."""
    return _Reader(sections).read()
