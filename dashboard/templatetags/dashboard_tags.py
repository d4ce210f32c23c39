"""Template helpers for the day picture and the role panels on the admin index."""

from decimal import Decimal

from django import template

from dashboard.panels import role_panels

register = template.Library()


@register.inclusion_tag("dashboard/role_panels.html", takes_context=True)
def role_dashboard(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"panels": role_panels(user=user) if user is not None else []}


@register.filter
def figure(row, name: str):
    """Return a row's figure by name (0 when absent), for `{{ row|figure:"shipped_fbe" }}`."""
    if isinstance(row, dict):
        return row.get(name, 0)
    return row.get(name)


@register.simple_tag
def bar_width(value, scale) -> str:
    """Return `value` as a percentage of `scale`, for a CSS bar width."""
    if not scale:
        return "0"
    percent = Decimal(value or 0) * 100 / Decimal(scale)
    return f"{min(percent, Decimal(100)):.1f}"
