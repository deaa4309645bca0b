"""The policy: one YAML format for the scrubber, flags, rollouts and canaries.

``load_policy`` reads and merges files and validates the ``scrub`` section;
the other sections are passed on as plain data (``Policy.other``) to the
modules that own them.  Everything here raises :class:`PolicyError` with
file, line, column and key path.
"""

from __future__ import annotations

from scrubphi.errors import PolicyError
from scrubphi.policy.loader import (
    PolicySections,
    load_policy,
    loads_policy,
    parse_identifier,
    parse_table_name,
)
from scrubphi.policy.model import (
    Location,
    Policy,
    ScrubPolicy,
    TableName,
    TableRule,
    TransformSpec,
)
from scrubphi.policy.secrets import check_secret_ref, is_secret_ref, resolve_secret
from scrubphi.policy.units import parse_duration, parse_percent, parse_size

__all__ = [
    "Location",
    "Policy",
    "PolicyError",
    "PolicySections",
    "ScrubPolicy",
    "TableName",
    "TableRule",
    "TransformSpec",
    "check_secret_ref",
    "is_secret_ref",
    "load_policy",
    "loads_policy",
    "parse_duration",
    "parse_identifier",
    "parse_percent",
    "parse_size",
    "parse_table_name",
    "resolve_secret",
]
