"""A visitor id cookie: percentage rollouts that include anonymous visitors, sticky per browser.

With ``SCRUBPHI_VISITOR_COOKIE = "scrubphi_visitor"`` the middleware gives
every browser a random id in that cookie (``secrets.token_urlsafe``, no
personal data; one year, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when
``SESSION_COOKIE_SECURE``) and the context carries it as the property
``visitorId``.  A plan with ``stickiness: visitorId`` then buckets every
browser, signed in or not, by ``murmur3(plan:visitorId)``: the bucket never
changes while the cookie lives, so cohorts nest as for ``userId`` (a visitor
in the 5% stays in at 25% and 100%), and signing in does not change it.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

__all__ = ["VISITOR_ATTR", "VISITOR_PROPERTY", "cookie_name", "ensure_visitor", "set_cookie"]

VISITOR_ATTR = "_scrubphi_visitor"
VISITOR_PROPERTY = "visitorId"
_VALID = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")
_ONE_YEAR = 365 * 24 * 3600


def cookie_name() -> str | None:
    """``SCRUBPHI_VISITOR_COOKIE`` (None: no visitor cookie)."""
    from django.conf import settings  # type: ignore[import-untyped]

    name = getattr(settings, "SCRUBPHI_VISITOR_COOKIE", None)
    return str(name) if name else None


def ensure_visitor(request: Any) -> tuple[str, bool] | None:
    """The request's visitor id and whether it is new; None when the cookie is off."""
    name = cookie_name()
    if name is None:
        return None
    value = request.COOKIES.get(name)
    fresh = value is None or _VALID.match(value) is None
    if fresh:
        value = secrets.token_urlsafe(16)
    setattr(request, VISITOR_ATTR, value)
    return value, fresh


def set_cookie(response: Any, value: str) -> None:
    """Give the browser its visitor id (on the response to its first request)."""
    from django.conf import settings

    name = cookie_name()
    if name is None:
        return
    response.set_cookie(
        name,
        value,
        max_age=int(getattr(settings, "SCRUBPHI_VISITOR_COOKIE_AGE", _ONE_YEAR)),
        httponly=True,
        samesite="Lax",
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
    )
