"""``@flag_required``: a view that exists only while its flag is on."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from scrubphi.flags.django.conf import flag_is_active, parse_flag_name

__all__ = ["flag_required"]

V = TypeVar("V", bound=Callable[..., Any])


def flag_required(name: str, *, redirect_to: str | None = None) -> Callable[[V], V]:
    """Serve the view only when flag ``name`` is on (``"!name"``: only when it is off).

    Otherwise raise ``Http404`` (the feature does not exist yet, as far as the
    visitor can tell), or redirect to ``redirect_to`` (a URL, a path or a URL
    pattern name, as ``django.shortcuts.redirect`` accepts).  Works on function
    views, async views, and with ``method_decorator`` on class-based views.
    """
    parse_flag_name(name)  # refuse a bad name at import time, not at the first request

    def refused() -> Any:
        from django.http import Http404  # type: ignore[import-untyped]
        from django.shortcuts import redirect  # type: ignore[import-untyped]

        if redirect_to is not None:
            return redirect(redirect_to)
        raise Http404(f"flag {name!r} is not active")

    def decorator(view: V) -> V:
        if inspect.iscoroutinefunction(view):
            from asgiref.sync import sync_to_async

            @functools.wraps(view)
            async def async_wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
                # request.user and the state store may do blocking I/O.
                active = await sync_to_async(flag_is_active)(request, name)
                if not active:
                    return refused()
                return await view(request, *args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not flag_is_active(request, name):
                return refused()
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
