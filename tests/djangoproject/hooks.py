"""SCRUBPHI_CONTEXT_HOOK of the test project: the tenant comes from a header."""

from __future__ import annotations

from typing import Any

__all__ = ["add_tenant"]


def add_tenant(request: Any, context: dict[str, Any]) -> None:
    """Add ``properties.tenant`` from ``X-Tenant`` (changes ``context`` in place)."""
    tenant = request.headers.get("X-Tenant")
    if tenant:
        context["properties"]["tenant"] = tenant
