"""Django integration of scrubphi's feature flags (the ``scrubphi[django]`` extra).

Add ``"scrubphi.flags.django"`` to ``INSTALLED_APPS``, point
``SCRUBPHI_POLICY`` at the policy file(s) and ``SCRUBPHI_STATE`` at the
rollout state store, and add
``"scrubphi.flags.django.middleware.FlagsMiddleware"`` after Django's
authentication middleware.  Then use :func:`flag_is_active`,
:func:`~scrubphi.flags.django.decorators.flag_required`, the
``{% flag %}`` template tag, and
:func:`~scrubphi.flags.django.testing.override_flag` in tests.

This module imports no Django code itself, so that importing it (for
instance to read ``default_app_config``-style metadata) never configures
Django as a side effect.
"""

from __future__ import annotations

from typing import Any

__all__ = ["flag_is_active", "flag_variant", "flags_client"]


def flag_is_active(request: Any, name: str) -> bool:
    """Whether flag ``name`` (``"!name"`` negates) is on for this request.

    See :func:`scrubphi.flags.django.conf.flag_is_active`.
    """
    from scrubphi.flags.django.conf import flag_is_active as _impl

    return _impl(request, name)


def flag_variant(request: Any, name: str) -> dict[str, Any]:
    """The Unleash variant of flag ``name`` for this request."""
    from scrubphi.flags.django.conf import flag_variant as _impl

    return _impl(request, name)


def flags_client() -> Any:
    """The process's :class:`~scrubphi.flags.FlagClient`, built from the settings."""
    from scrubphi.flags.django.conf import get_client

    return get_client()
