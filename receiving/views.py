"""Warehouse pages: the scan page, receiving reports with CSV export, and the AWB view."""

import datetime

from django.db.models import Count, Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from labels.access import RECEIVE_BOXES, VIEW_BOXES, admin_page_context, staff_permission_required
from orders.awb import awb_error, awb_format, awb_normalize
from orders.models import Box
from receiving.forms import ReportLookupForm, ScanForm
from receiving.models import BoxScan
from receiving.reports import awb_list, awb_summary, receiving_csv_lines, receiving_report
from receiving.selectors import boxes_for_awb, boxes_for_ship_date
from receiving.services import ScanResult, box_receive

# Session keys that remember the scanner's location and receiving AWB between scans.
SESSION_LOCATION = "receiving_location"
SESSION_AWB = "receiving_awb"

RECENT_SCANS_SHOWN = 10

# Days of AWBs the AWB list shows when no range is given.
AWB_LIST_DEFAULT_DAYS = 14


def _awb_progress(awb: str) -> dict | None:
    if not awb:
        return None
    counts = Box.objects.filter(awb=awb).aggregate(
        total=Count("id"), received=Count("id", filter=Q(received_at__isnull=False))
    )
    return {"awb": awb_format(awb), **counts}


def _result_json(result: ScanResult, awb_progress: dict | None) -> dict:
    return {
        "outcome": result.outcome,
        "message": result.message,
        "code": result.code,
        "awbProgress": awb_progress,
        "scannedAt": timezone.localtime().strftime("%H:%M:%S"),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_http_methods(["GET", "POST"])
@staff_permission_required(RECEIVE_BOXES)
def scan(request: HttpRequest) -> HttpResponse:
    """Receive boxes one scan at a time: the scanner types the code, then Enter."""
    initial = {
        "location": request.session.get(SESSION_LOCATION, ""),
        "expected_awb": request.session.get(SESSION_AWB, ""),
    }
    result: ScanResult | None = None
    form = ScanForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            if _wants_json(request):
                return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        else:
            location = form.cleaned_data["location"]
            expected_awb = form.cleaned_data["expected_awb"]
            request.session[SESSION_LOCATION] = location
            request.session[SESSION_AWB] = expected_awb
            if form.cleaned_data["code"]:
                result = box_receive(
                    code=form.cleaned_data["code"],
                    user=request.user,
                    actor_label=request.user.get_username(),
                    location=location,
                    expected_awb=expected_awb or None,
                )
            if _wants_json(request):
                if result is None:
                    return JsonResponse({"outcome": "", "message": "Settings saved."})
                return JsonResponse(_result_json(result, _awb_progress(expected_awb)))
            # A new blank form keeps the remembered settings and clears the code.
            form = ScanForm(initial={"location": location, "expected_awb": expected_awb})

    expected_awb = form["expected_awb"].value() or ""
    recent = (
        BoxScan.objects.filter(user=request.user)
        .select_related("box")
        .order_by("-created_at", "-id")[:RECENT_SCANS_SHOWN]
    )
    context = {
        "form": form,
        "result": result,
        "recent_scans": recent,
        "awb_progress": _awb_progress(awb_normalize(expected_awb)),
        "title": "Receiving scan",
    }
    return render(request, "receiving/scan.html", context)


@require_GET
@staff_permission_required(VIEW_BOXES)
def report_lookup(request: HttpRequest) -> HttpResponse:
    """Form that opens the report of an AWB or a ship date."""
    form = ReportLookupForm(request.GET or None)
    if request.GET and form.is_valid():
        if form.cleaned_data["awb"]:
            return redirect("receiving:report_awb", awb=form.cleaned_data["awb"])
        return redirect(
            "receiving:report_ship_date", ship_date=form.cleaned_data["ship_date"].isoformat()
        )
    context = admin_page_context(request, title="Receiving report", form=form)
    return render(request, "receiving/report_lookup.html", context)


def _parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _days_before(date: datetime.date, days: int) -> datetime.date:
    """Return `date` minus `days`, or the first representable date (0001-01-01) when earlier."""
    if (date - datetime.date.min).days < days:
        return datetime.date.min
    return date - datetime.timedelta(days=days)


def _report_page(request: HttpRequest, *, boxes, title: str, links: dict) -> HttpResponse:
    report = receiving_report(boxes=boxes, title=title)
    context = admin_page_context(request, title=title, report=report, **links)
    return render(request, "receiving/report.html", context)


def _csv_response(*, boxes, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        receiving_csv_lines(boxes=boxes), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _invalid(request: HttpRequest, message: str) -> HttpResponse:
    context = admin_page_context(request, title="Receiving report", message=message)
    return render(request, "labels/error.html", context, status=400)


@require_GET
@staff_permission_required(VIEW_BOXES)
def report_awb(request: HttpRequest, awb: str) -> HttpResponse:
    normalized = awb_normalize(awb)
    if not normalized:
        return _invalid(request, "Missing AWB: give the 11 digits, such as 369-1234-5675.")
    links = {
        "csv_url": reverse("receiving:report_awb_csv", args=[normalized]),
        "labels_url": reverse("labels:awb", args=[normalized]),
        "awb_url": reverse("receiving:awb", args=[normalized]),
    }
    return _report_page(
        request,
        boxes=boxes_for_awb(awb=normalized),
        title=f"Receiving report: AWB {awb_format(normalized)}",
        links=links,
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def report_awb_csv(request: HttpRequest, awb: str) -> HttpResponse:
    normalized = awb_normalize(awb)
    if not normalized:
        return _invalid(request, "Missing AWB: give the 11 digits, such as 369-1234-5675.")
    return _csv_response(
        boxes=boxes_for_awb(awb=normalized), filename=f"receiving-AWB-{normalized}.csv"
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def report_ship_date(request: HttpRequest, ship_date: str) -> HttpResponse:
    date = _parse_date(ship_date)
    if date is None:
        return _invalid(request, f"Invalid ship date {ship_date!r}: expected YYYY-MM-DD.")
    links = {
        "csv_url": reverse("receiving:report_ship_date_csv", args=[date.isoformat()]),
        "labels_url": reverse("labels:ship_date", args=[date.isoformat()]),
    }
    return _report_page(
        request,
        boxes=boxes_for_ship_date(ship_date=date),
        title=f"Receiving report: ship date {date.isoformat()}",
        links=links,
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def report_ship_date_csv(request: HttpRequest, ship_date: str) -> HttpResponse:
    date = _parse_date(ship_date)
    if date is None:
        return _invalid(request, f"Invalid ship date {ship_date!r}: expected YYYY-MM-DD.")
    return _csv_response(
        boxes=boxes_for_ship_date(ship_date=date),
        filename=f"receiving-ship-{date.isoformat()}.csv",
    )


@require_GET
@staff_permission_required(VIEW_BOXES)
def awb_index(request: HttpRequest) -> HttpResponse:
    """AWBs of the boxes shipped in a date range (the last two weeks to tomorrow by default).

    Farms ship a day or more before the boxes land in Miami, so tomorrow's AWBs are
    already on their way and belong in the default list.
    """
    today = timezone.localdate()
    date_to = _parse_date(request.GET.get("to", "")) or today + datetime.timedelta(days=1)
    date_from = _parse_date(request.GET.get("from", "")) or _days_before(
        date_to, AWB_LIST_DEFAULT_DAYS
    )
    query = awb_normalize(request.GET.get("awb", ""))
    if query:
        return HttpResponseRedirect(reverse("receiving:awb", args=[query]))
    context = admin_page_context(
        request,
        title="AWBs",
        rows=awb_list(ship_date_from=date_from, ship_date_to=date_to),
        date_from=date_from,
        date_to=date_to,
    )
    return render(request, "receiving/awb_list.html", context)


@require_GET
@staff_permission_required(VIEW_BOXES)
def awb_detail(request: HttpRequest, awb: str) -> HttpResponse:
    normalized = awb_normalize(awb)
    summary = awb_summary(awb=normalized) if normalized else None
    context = admin_page_context(
        request,
        title=f"AWB {awb_format(normalized)}",
        awb=normalized,
        summary=summary,
        awb_problem=awb_error(normalized),
        box_changelist_url=reverse("admin:orders_box_changelist") + f"?awb={normalized}",
    )
    return render(request, "receiving/awb_detail.html", context, status=200 if summary else 404)
