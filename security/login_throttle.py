"""Throttling of failed sign-ins, per username and per client address.

Failures are counted from Django's `user_login_failed` signal, so both the admin login
form and the API's `login` method feed the same counts. While a username or an address
is blocked, `LoginThrottleMiddleware` rejects either sign-in with HTTP 429 and a message
saying when to try again, without checking the password. The admin gets its login page
and the API gets Komet's envelope.
"""

import logging
import math

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.forms.utils import ErrorDict, ErrorList
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from security.failures import FailureThrottle

logger = logging.getLogger(__name__)


def username_throttle() -> FailureThrottle:
    return FailureThrottle(
        scope="login-username",
        limit=settings.LOGIN_FAILURE_LIMIT_PER_USERNAME,
        window=settings.LOGIN_FAILURE_WINDOW_SECONDS,
        block=settings.LOGIN_BLOCK_SECONDS,
    )


def address_throttle() -> FailureThrottle:
    return FailureThrottle(
        scope="login-address",
        limit=settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
        window=settings.LOGIN_FAILURE_WINDOW_SECONDS,
        block=settings.LOGIN_BLOCK_SECONDS,
    )


def _address(request: HttpRequest) -> str:
    # Same trust model as the API: REMOTE_ADDR is set by the one reverse proxy in front.
    return request.META.get("REMOTE_ADDR") or "unknown"


def _username_key(username: str) -> str:
    return username.strip().casefold()


def login_blocked_for(*, username: str, address: str) -> int:
    """Return the seconds until a sign-in for `username` from `address` is allowed again."""
    seconds = address_throttle().blocked_for(address)
    if username:
        seconds = max(seconds, username_throttle().blocked_for(_username_key(username)))
    return seconds


@receiver(user_login_failed, dispatch_uid="security.login_failed")
def _count_failed_login(sender, credentials: dict, request: HttpRequest | None = None, **kwargs):
    if request is None:
        return
    address = _address(request)
    username = str(credentials.get("username") or "")
    if address_throttle().record_failure(address):
        logger.warning("Admin sign-in blocked for address %s after repeated failures", address)
    if username and username_throttle().record_failure(_username_key(username)):
        logger.warning("Admin sign-in blocked for one username after repeated failures")


@receiver(user_logged_in, dispatch_uid="security.logged_in")
def _clear_username_failures(sender, request: HttpRequest | None, user, **kwargs):
    # Only the username's count is cleared: one good password must not wipe the failures
    # an address has run up against other accounts.
    username_throttle().reset(_username_key(user.get_username()))


def _blocked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        "Too many failed sign-in attempts. Sign-in is paused for this account or address. "
        f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    )


def _api_blocked_response(seconds: int) -> HttpResponse:
    response = JsonResponse({"status": 0, "message": _blocked_message(seconds)}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _admin_blocked_response(request: HttpRequest, seconds: int) -> HttpResponse:
    message = _blocked_message(seconds)
    data = request.POST.copy()
    data.pop("password", None)
    form = AdminAuthenticationForm(request, data=data)
    # Set the errors directly so the password is never checked while blocked.
    form._errors = ErrorDict({"__all__": ErrorList([message])})
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": "",
        "form": form,
        REDIRECT_FIELD_NAME: request.POST.get(REDIRECT_FIELD_NAME, ""),
    }
    template = admin.site.login_template or "admin/login.html"
    response = TemplateResponse(request, template, context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _path_of(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


class LoginThrottleMiddleware:
    """Reject sign-in attempts from a blocked username or address with HTTP 429.

    Place it after CsrfViewMiddleware, so a POST without a CSRF token is still rejected
    with 403 first.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.method != "POST":
            return None
        if request.path == _path_of("admin:login"):
            is_api = False
            username = str(request.POST.get("username") or "")
        elif request.path == _path_of("api:login"):
            # The API's login method takes its credentials from the query string.
            is_api = True
            username = str(request.GET.get("username") or "")
        else:
            return None
        seconds = login_blocked_for(username=username, address=_address(request))
        if seconds <= 0:
            return None
        logger.info("Sign-in at %s rejected while blocked (%d s left)", request.path, seconds)
        if is_api:
            return _api_blocked_response(seconds)
        return _admin_blocked_response(request, seconds)
