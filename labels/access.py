"""Access rule for warehouse pages: a signed-in staff user with a model permission."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

VIEW_BOXES = "orders.view_box"
RECEIVE_BOXES = "orders.change_box"


def staff_permission_required(permission: str) -> Callable:
    """Require a signed-in, active staff user who has ``permission``.

    Anonymous users are redirected to the login page. Any other user without it gets 403.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not (user.is_active and user.is_staff and user.has_perm(permission)):
                raise PermissionDenied(f"The {permission} permission is required.")
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator


def admin_page_context(request: HttpRequest, *, title: str, **extra) -> dict:
    """Template context for a page drawn inside the admin's header and navigation."""
    from django.contrib import admin

    return {**admin.site.each_context(request), "title": title, **extra}
