"""Views of the test project, one per integration point."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View

from scrubphi.flags.django import flag_is_active, flag_variant
from scrubphi.flags.django.decorators import flag_required

__all__ = [
    "ScheduleView",
    "async_off",
    "async_page",
    "beta",
    "check",
    "context",
    "home",
    "legacy",
    "page",
    "schedule",
    "variant",
]


def home(request: Any) -> HttpResponse:
    """Where refused visitors are redirected."""
    return HttpResponse("home")


@flag_required("new-scheduling")
def schedule(request: Any) -> HttpResponse:
    """Exists only while the new scheduling flag is on."""
    return HttpResponse("new scheduling")


@flag_required("!new-scheduling")
def legacy(request: Any) -> HttpResponse:
    """Exists only while the new scheduling flag is off."""
    return HttpResponse("legacy scheduling")


@flag_required("kill-switch", redirect_to="home")
def beta(request: Any) -> HttpResponse:
    """Redirects home while its flag is off."""
    return HttpResponse("beta")


@method_decorator(flag_required("new-scheduling"), name="dispatch")
class ScheduleView(View):
    """A class-based view behind the flag."""

    def get(self, request: Any) -> HttpResponse:
        return HttpResponse("class-based new scheduling")


@flag_required("always-on")
async def async_page(request: Any) -> HttpResponse:
    """An async view behind a flag."""
    return HttpResponse("async on")


@flag_required("kill-switch")
async def async_off(request: Any) -> HttpResponse:
    """An async view behind a flag that is off."""
    return HttpResponse("never")


def page(request: Any) -> HttpResponse:
    """A template using {% flag %}."""
    return render(request, "page.html", {"dynamic_name": request.GET.get("name", "always-on")})


def context(request: Any) -> JsonResponse:
    """The Unleash context the middleware built for this request."""
    return JsonResponse(request.scrubphi_flags.context)


def check(request: Any, name: str) -> JsonResponse:
    """flag_is_active for any name, twice (the answers must agree within a request)."""
    first = flag_is_active(request, name)
    return JsonResponse({"active": first, "again": flag_is_active(request, name)})


def variant(request: Any, name: str) -> JsonResponse:
    """flag_variant for any name."""
    return JsonResponse(flag_variant(request, name))
