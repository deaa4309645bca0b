"""Force flags on or off in tests: ``override_flag`` and the ``scrubphi_flags`` fixture.

Overrides are process-wide (not per thread), so a view served by Django's
live-server thread sees them too; nested overrides of one flag stack and
unwind in order.  They apply to everything in :mod:`scrubphi.flags.django`
(``flag_is_active``, ``@flag_required``, ``{% flag %}``), not to direct calls
of ``FlagClient.is_enabled``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import unittest
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

from scrubphi.flags.django.conf import parse_flag_name, pop_override, push_override

__all__ = ["FlagOverrides", "override_flag"]

F = TypeVar("F", bound=Callable[..., Any])


class override_flag:  # lower case like Django's override_settings
    """Force flag ``name`` to ``active`` inside a ``with`` block or a decorated function.

    ``with override_flag("new-scheduling", active=True): ...`` or
    ``@override_flag("new-scheduling", active=False)`` on a test function,
    an async test function, or a test class.  On a ``unittest``/Django
    ``TestCase`` class the override starts before ``setUp()`` and ends with
    the test's cleanups, for every test method, inherited ones included (as
    django-waffle's and Django's ``override_settings`` do); on a plain pytest
    class it spans ``setup_method`` to ``teardown_method``.
    """

    def __init__(self, name: str, active: bool) -> None:
        flag, negate = parse_flag_name(name)
        if negate:
            raise ValueError("override_flag takes a flag name, not a negation: use active=False")
        self.name = flag
        self.active = bool(active)

    def __enter__(self) -> override_flag:
        push_override(self.name, self.active)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pop_override(self.name)

    def __call__(self, func: F) -> F:
        if inspect.isclass(func):
            return self._decorate_class(func)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.__class__(self.name, self.active):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.name, self.active):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


    def _decorate_class(self, cls: type) -> type:
        name, active = self.name, self.active
        if issubclass(cls, unittest.TestCase):
            original_setup = cls.setUp

            def setUp(test: unittest.TestCase) -> None:
                push_override(name, active)
                test.addCleanup(pop_override, name)
                original_setup(test)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        original_setup_method = getattr(cls, "setup_method", None)
        original_teardown_method = getattr(cls, "teardown_method", None)

        def setup_method(test: Any, method: Any = None) -> None:
            push_override(name, active)
            if original_setup_method is not None:
                original_setup_method(test, method)

        def teardown_method(test: Any, method: Any = None) -> None:
            try:
                if original_teardown_method is not None:
                    original_teardown_method(test, method)
            finally:
                pop_override(name)

        cls.setup_method = setup_method  # type: ignore[attr-defined]
        cls.teardown_method = teardown_method  # type: ignore[attr-defined]
        return cls


class FlagOverrides:
    """What the ``scrubphi_flags`` fixture yields: overrides undone after the test."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def set(self, name: str, active: bool) -> None:
        """Force ``name`` to ``active`` for the rest of the test (later calls win)."""
        self._stack.enter_context(override_flag(name, active))

    def reset(self) -> None:
        """Undo every override this object made."""
        self._stack.close()
        self._stack = contextlib.ExitStack()

    @contextlib.contextmanager
    def active(self) -> Iterator[FlagOverrides]:
        """Scope the overrides: everything set inside is undone on exit."""
        try:
            yield self
        finally:
            self.reset()
