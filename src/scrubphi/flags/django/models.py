"""The admin page's model: no table, only a place for the admin entry and its permissions.

Flags live in the policy file and rollout plans in the state store, not in
Django's database, so :class:`Flag` is unmanaged (no table is created or
queried).  It exists so that the admin lists "Flags and rollout plans" and
so that two permissions can be granted to users and groups:

``scrubphi_flags.view_flag``
    see every flag, its plan, phase, share, history and exposures;
``scrubphi_flags.move_rollout``
    also move a plan to another phase and stop it.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models  # type: ignore[import-untyped]

__all__ = ["Flag"]


class Flag(models.Model):  # type: ignore[misc]
    """Feature flags and rollout plans (unmanaged: no table)."""

    name = models.CharField(max_length=200, primary_key=True)

    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions: ClassVar[list[tuple[str, str]]] = [
            ("move_rollout", "Can move and stop rollout plans")
        ]
        verbose_name = "flag and rollout plan"
        verbose_name_plural = "flags and rollout plans"

    def __str__(self) -> str:
        return str(self.name)
