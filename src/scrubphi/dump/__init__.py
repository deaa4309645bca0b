"""The pg_dump stream: statement splitting, schema learning and rewriting."""

from __future__ import annotations

from .rewriter import Progress, Scrubber

__all__ = ["Progress", "Scrubber"]
