"""The admin banner's count of pushes that need a person."""

from functools import cache

from django.http import HttpRequest

from sync.selectors import attention_count


def attention(request: HttpRequest) -> dict:
    """Add `sync_attention_count` for staff users.

    The value is a memoized callable, which templates call when they read it, so pages
    that do not show the banner run no query and pages that do run one.
    """
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_staff", False):
        return {}
    return {"sync_attention_count": cache(attention_count)}
