"""The response to a path under `/api/` that names no method the portal implements.

It is Komet's envelope with `status` 0 and HTTP 404, for every HTTP verb, so a farm's
system that calls a method the portal lacks gets JSON it can parse, not an HTML page.
"""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from api.envelope import envelope

# Methods of the Komet Sales API that the portal does not implement.
# NOTE: `inventory.add` is the example method name in Komet's token documentation. Komet's
# page for adding boxes to the staging area shows no method name, so it may differ.
KOMET_METHODS_NOT_IMPLEMENTED = frozenset(
    {
        "box.externalcode.update",
        "box.invoice.shipment.confirm",
        "box.position.change",
        "inventory.add",
        "location.list",
        "multiple.prebooks.create",
        "prebook.future.item.add",
        "purchase.order.item.confirm",
        "purchase.order.va.details.list",
    }
)

# Pages the portal serves at these names with a trailing slash. A GET without the slash
# is redirected to them.
_PAGES = {"docs": "api-docs", "schema": "api-schema"}
_LISTED_AT = "The methods this portal implements are listed at /api/docs/."
_MAX_ECHO = 60


def _quoted(name: str) -> str:
    text = repr(name)
    return text if len(text) <= _MAX_ECHO else text[: _MAX_ECHO - 3] + "..."


def method_not_found_message(method: str, implemented: set[str]) -> str:
    """Return the error message for a request to `/api/<method>` that no method handles."""
    if not method:
        return (
            "API method missing from the URL: call /api/<method name>, such as "
            f"/api/purchase.order.list. {_LISTED_AT}"
        )
    if method.endswith("/") and method.rstrip("/") in implemented:
        name = method.rstrip("/")
        return f"Method {_quoted(method)} not found: call /api/{name} without the trailing slash."
    if method in KOMET_METHODS_NOT_IMPLEMENTED:
        return (
            f"Method {_quoted(method)} not found: it is a Komet Sales API method that this "
            f"portal does not implement. {_LISTED_AT}"
        )
    return f"Method {_quoted(method)} not found. {_LISTED_AT}"


def method_not_found_view(implemented: set[str]):
    """Build the view for paths under `/api/` that match no method in `implemented`."""

    @csrf_exempt
    def method_not_found(request: HttpRequest, method: str = "") -> HttpResponse:
        if method in _PAGES and request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(reverse(_PAGES[method]))
        message = method_not_found_message(method, implemented)
        return JsonResponse(envelope(message, ok=False), status=404)

    return method_not_found
