"""``{% load scrubphi_flags %}{% flag "name" %}...{% else %}...{% endflag %}``.

The name may be a literal or a template variable, and ``"!name"`` negates.
The request comes from the template context (enable the
``django.template.context_processors.request`` context processor); without
one the flag is evaluated with an empty context.
"""

from __future__ import annotations

from typing import Any

from django import template  # type: ignore[import-untyped]

from scrubphi.flags.django.conf import flag_is_active

__all__ = ["FlagNode", "do_flag", "register"]

register = template.Library()


class FlagNode(template.Node):  # type: ignore[misc]
    """Renders one branch or the other, by the flag's value for the request."""

    child_nodelists = ("nodelist_true", "nodelist_false")

    def __init__(self, name: Any, nodelist_true: Any, nodelist_false: Any) -> None:
        self.name = name
        self.nodelist_true = nodelist_true
        self.nodelist_false = nodelist_false

    def render(self, context: Any) -> str:
        name = self.name.resolve(context)
        request = context.get("request")
        if flag_is_active(request, str(name)):
            return str(self.nodelist_true.render(context))
        return str(self.nodelist_false.render(context))


@register.tag("flag")  # type: ignore[untyped-decorator]
def do_flag(parser: Any, token: Any) -> FlagNode:
    """Parse ``{% flag NAME %} ... [{% else %} ...] {% endflag %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f"{bits[0]!r} takes exactly one argument, the flag name: "
            '{% flag "name" %}...{% else %}...{% endflag %}'
        )
    name = parser.compile_filter(bits[1])
    nodelist_true = parser.parse(("else", "endflag"))
    token = parser.next_token()
    if token.contents == "else":
        nodelist_false = parser.parse(("endflag",))
        parser.delete_first_token()
    else:
        nodelist_false = template.NodeList()
    return FlagNode(name, nodelist_true, nodelist_false)
