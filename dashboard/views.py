"""The day's picture page; the aggregation lives in dashboard.selectors."""

import datetime

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from dashboard.selectors import DayRange, day_picture

MAX_RANGE_DAYS = 31


class DayRangeError(ValueError):
    pass


def parse_day_range(query, today: datetime.date) -> DayRange:
    """Read `date`, or `start` and `end`, and `by` (ship or truck) from the query string."""
    by = query.get("by", "ship")
    if by not in ("ship", "truck"):
        raise DayRangeError(f"by must be 'ship' or 'truck', got {by!r}.")
    try:
        if query.get("start") or query.get("end"):
            start = datetime.date.fromisoformat(query.get("start") or query.get("end"))
            end = datetime.date.fromisoformat(query.get("end") or query.get("start"))
        else:
            start = end = datetime.date.fromisoformat(query.get("date") or today.isoformat())
    except ValueError as error:
        raise DayRangeError(f"Dates must be YYYY-MM-DD: {error}.") from error
    if end < start:
        raise DayRangeError(f"The end date {end} is before the start date {start}.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise DayRangeError(f"A range covers at most {MAX_RANGE_DAYS} days.")
    return DayRange(start=start, end=end, by=by)


def _date_filter(field: str, days: DayRange) -> dict[str, str]:
    """Return changelist lookups for `field` from `days.start` up to and including `days.end`.

    The upper bound is left out when `days.end` is the last date Python can represent,
    because no later date exists to compare with.
    """
    lookups = {f"{field}__gte": days.start.isoformat()}
    if days.end < datetime.date.max:
        lookups[f"{field}__lt"] = (days.end + datetime.timedelta(days=1)).isoformat()
    return lookups


def _links(days: DayRange) -> dict[str, str]:
    """Return admin list URLs filtered to the same dates, for the page's links."""
    if days.by == "truck":
        prebooks = _date_filter("truck_date", days)
        pos = {}
    else:
        prebooks = {}
        pos = _date_filter("ship_date", days)
    return {
        "pos": reverse("admin:orders_purchaseorder_changelist") + "?" + urlencode(pos),
        "prebooks": reverse("admin:orders_prebook_changelist") + "?" + urlencode(prebooks),
        "po_query": urlencode(pos),
    }


def _nav(days: DayRange) -> dict[str, str | None]:
    """Return the query strings of the previous and next ranges and of the other date kind.

    `previous` or `next` is None when that range would fall outside the dates Python can
    represent (before 0001-01-01 or after 9999-12-31).
    """
    span = (days.end - days.start).days + 1
    step = datetime.timedelta(days=span)

    def shifted(delta: datetime.timedelta) -> str | None:
        try:
            start, end = days.start + delta, days.end + delta
        except OverflowError:
            return None
        query = {"start": start.isoformat(), "end": end.isoformat()}
        return "?" + urlencode({**query, "by": days.by})

    return {
        "previous": shifted(-step),
        "next": shifted(step),
        "other_by": "?"
        + urlencode(
            {
                "start": days.start.isoformat(),
                "end": days.end.isoformat(),
                "by": "truck" if days.by == "ship" else "ship",
            }
        ),
    }


@staff_member_required
def day_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.has_perm("orders.view_purchaseorder") or user.has_perm("orders.view_prebook")):
        raise PermissionDenied
    try:
        days = parse_day_range(request.GET, timezone.localdate())
    except DayRangeError as error:
        return HttpResponseBadRequest(f"Invalid day range: {error}", content_type="text/plain")

    picture = day_picture(days=days)
    scale = max([row.get("ordered_fbe") for row in picture.vendors] + [1])
    context = {
        **admin.site.each_context(request),
        "title": "Day picture",
        "picture": picture,
        "days": days,
        "links": _links(days),
        "nav": _nav(days),
        "scale": scale,
    }
    return render(request, "dashboard/day.html", context)
