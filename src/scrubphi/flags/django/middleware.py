"""The middleware: one flag context per request, built from user, session and address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrubphi.flags.django.conf import REQUEST_ATTR, RequestFlags
from scrubphi.flags.django.visitor import ensure_visitor, set_cookie

__all__ = ["FlagsMiddleware"]


class FlagsMiddleware:
    """Attach ``request.scrubphi_flags`` (:class:`~scrubphi.flags.django.conf.RequestFlags`).

    Place it after ``SessionMiddleware`` and ``AuthenticationMiddleware``.
    The context (``userId`` from ``request.user.pk``, ``sessionId`` from the
    session key, ``remoteAddress`` from ``REMOTE_ADDR``, user fields in
    ``properties``, then ``SCRUBPHI_CONTEXT_HOOK``) is built lazily at the
    first flag check of the request, so a request that checks no flag costs
    nothing, and every check in one request sees the same answers.  With
    ``SCRUBPHI_VISITOR_COOKIE`` set it also gives each browser a visitor id
    cookie (:mod:`scrubphi.flags.django.visitor`).
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        visitor = ensure_visitor(request)
        setattr(request, REQUEST_ATTR, RequestFlags(request))
        response = self.get_response(request)
        if visitor is not None and visitor[1]:
            set_cookie(response, visitor[0])
        return response
