"""The Django admin page for flags and rollout plans.

One page, ``/admin/scrubphi_flags/flag/``: every flag with its plan, the
plan's current phase and share, when the phase began, the plan's history
(actor, reason, time) and this process's exposure counts.  Users with
``scrubphi_flags.move_rollout`` can move a plan to another phase and stop it,
with a reason: the move goes through :func:`scrubphi.flags.operate.move_phase`,
the function behind ``scrubphi flags phase``, so it makes the same checks and
writes the same audit event.  The form carries the plan's version as shown,
so a plan moved by someone else meanwhile is refused, not overwritten.
Users with only ``scrubphi_flags.view_flag`` see the page read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages  # type: ignore[import-untyped]
from django.core.exceptions import PermissionDenied  # type: ignore[import-untyped]
from django.http import (  # type: ignore[import-untyped]
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse  # type: ignore[import-untyped]
from django.urls import path, reverse  # type: ignore[import-untyped]

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.django import conf
from scrubphi.flags.django.admin_data import overview
from scrubphi.flags.django.models import Flag
from scrubphi.flags.operate import find_plan, move_phase
from scrubphi.flags.policy import compile_policy
from scrubphi.flags.state import StateConflict, StateStoreError
from scrubphi.policy import load_policy

__all__ = ["FlagAdmin"]

MOVE_PERMISSION = "scrubphi_flags.move_rollout"
VIEW_PERMISSION = "scrubphi_flags.view_flag"


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):  # type: ignore[misc]
    """Flags and rollout plans: a custom page instead of a change list (no table behind it)."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.has_perm(MOVE_PERMISSION))

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        user = request.user
        return bool(
            user.is_active and (user.has_perm(VIEW_PERMISSION) or user.has_perm(MOVE_PERMISSION))
        )

    def has_module_permission(self, request: Any) -> bool:
        return self.has_view_permission(request)

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="{}_{}_changelist".format(*info)),
            path("move/", wrap(self.move_view), name="{}_{}_move".format(*info)),
        ]

    def changelist_view(self, request: Any, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Flags and rollout plans",
            "can_move": self.has_change_permission(request),
            **overview(),
        }
        return TemplateResponse(request, "scrubphi_flags/admin/flags.html", context)

    def move_view(self, request: Any) -> HttpResponse:
        """POST plan, reason, expected_version and phase (or stop): move, audited."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _move(self, request)


def _move(model_admin: FlagAdmin, request: Any) -> HttpResponse:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    back = HttpResponseRedirect(reverse("admin:scrubphi_flags_flag_changelist"))
    plan_name = request.POST.get("plan", "")
    reason = request.POST.get("reason", "").strip()
    stop = "stop" in request.POST
    target = None if stop else request.POST.get("phase", "")
    if not reason:
        messages.error(request, f"{plan_name}: a reason is required (it is the audit log)")
        return back
    try:
        expected = int(request.POST.get("expected_version", ""))
    except ValueError:
        messages.error(request, f"{plan_name}: the form is missing the plan's version")
        return back
    store = conf.get_store()
    if store is None:
        messages.error(request, "SCRUBPHI_STATE is not set: there is no state store to move")
        return back
    actor = f"{request.user.get_username()} (Django admin)"
    try:
        plan = find_plan(compile_policy(load_policy(*conf.policy_paths())), plan_name)
        move = move_phase(
            store, plan, target, actor=actor, reason=reason, expected_version=expected
        )
    except StateConflict:
        messages.error(
            request,
            f"{plan_name} was moved by someone else since this page was loaded: "
            "nothing changed; check its phase and history below and try again",
        )
        return back
    except (ScrubPhiError, StateStoreError, ValueError) as exc:
        messages.error(request, f"{plan_name}: {exc}")
        return back
    before = move.plan.phases[move.before.phase].name if move.before.phase is not None else None
    after = move.plan.phases[move.after.phase].name if move.after.phase is not None else None
    if not move.changed:
        messages.info(request, f"{plan_name} is already in {after or 'no phase'}: nothing recorded")
    else:
        text = f"{plan_name}: {before or 'not running'} -> {after or 'stopped'}"
        if move.skipped:
            text += f" (skipped {', '.join(move.skipped)}: their gates were not checked)"
        messages.success(request, text)
    return back
