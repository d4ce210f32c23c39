"""Panels on the admin index with the counts each role needs first, each linked to its list.

The user gets one panel per role they have, and a superuser gets them all. Each panel
costs one to three queries, whatever the number of orders.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts import roles
from accounts.services import user_roles
from orders.models import Box, Prebook, PrebookItem, PurchaseOrder
from orders.selectors import purchase_orders_past_cutoff


@dataclass
class PanelItem:
    label: str
    count: int
    url: str = ""
    urgent: bool = False


@dataclass
class Panel:
    role: str
    title: str
    items: list[PanelItem] = field(default_factory=list)


def _url(name: str, query: dict | None = None) -> str:
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


def _day(day: datetime.date) -> str:
    return day.isoformat()


def procurement_panel(today: datetime.date) -> Panel:
    pending = PurchaseOrder.objects.filter(status=PurchaseOrder.Status.PENDING_APPROVAL)
    changelist = "admin:orders_purchaseorder_changelist"
    pending_filter = {"status__exact": PurchaseOrder.Status.PENDING_APPROVAL}
    return Panel(
        role=roles.PROCUREMENT,
        title="POs to approve",
        items=[
            PanelItem("Pending approval", pending.count(), _url(changelist, pending_filter)),
            PanelItem(
                "Pending and past the carrier cut-off",
                purchase_orders_past_cutoff(pending).count(),
                _url(
                    changelist,
                    {**pending_filter, "ship_date__lt": _day(today + datetime.timedelta(days=1))},
                ),
                urgent=True,
            ),
            PanelItem(
                "Pending with lines held by mapping",
                pending.filter(held_line_count__gt=0).count(),
                _url(changelist, {**pending_filter, "held": "yes"}),
                urgent=True,
            ),
        ],
    )


def sales_panel(today: datetime.date) -> Panel:
    tomorrow = today + datetime.timedelta(days=1)
    open_prebooks = Prebook.objects.filter(status=Prebook.Status.OPEN)
    changelist = "admin:orders_prebook_changelist"
    items = []
    for label, day in (
        ("Prebooks on today's trucks", today),
        ("Prebooks on tomorrow's trucks", tomorrow),
    ):
        query = {
            "truck_date__gte": _day(day),
            "truck_date__lt": _day(day + datetime.timedelta(days=1)),
            "status__exact": Prebook.Status.OPEN,
        }
        items.append(
            PanelItem(label, open_prebooks.filter(truck_date=day).count(), _url(changelist, query))
        )
    held = PrebookItem.objects.filter(
        prebook__status=Prebook.Status.OPEN, prebook__truck_date__gte=today
    ).exclude(hold_reason="")
    items.append(PanelItem("Lines held by mapping", held.count(), _url(changelist), urgent=True))
    return Panel(role=roles.SALES, title="Prebooks", items=items)


def warehouse_panel(today: datetime.date) -> Panel:
    window = (today - datetime.timedelta(days=7), today + datetime.timedelta(days=1))
    waiting = Box.objects.filter(received_at__isnull=True, ship_date__range=window)
    awbs = waiting.exclude(awb="").values("awb").distinct().count()
    return Panel(
        role=roles.WAREHOUSE,
        title="Receiving",
        items=[
            PanelItem(
                "AWBs arriving (shipped in the last 7 days)",
                awbs,
                _url("receiving:awb_list") or "/receiving/",
            ),
            PanelItem("Boxes to receive", waiting.count(), _url("receiving:scan") or "/receiving/"),
        ],
    )


def mapping_panel() -> Panel:
    from mapping.models import VendorBoxType, VendorCarrier, VendorCustomer, VendorProduct

    items = []
    for model, label in (
        (VendorProduct, "Unknown farm products"),
        (VendorBoxType, "Unknown box types"),
        (VendorCarrier, "Unknown carriers"),
        (VendorCustomer, "Unknown customers"),
    ):
        opts = model._meta
        url = _url(f"admin:{opts.app_label}_{opts.model_name}_changelist", {"mapped": "unknown"})
        items.append(
            PanelItem(label, model.objects.filter(target__isnull=True).count(), url, urgent=True)
        )
    return Panel(role=roles.MAPPING, title="Mapping queue", items=items)


def admin_panel() -> Panel:
    from sync.models import Exchange, ExchangeState
    from tokens.models import ApiToken

    now = timezone.now()
    attention = Exchange.objects.filter(state=ExchangeState.NEEDS_ATTENTION).count()
    live_tokens = ApiToken.objects.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
    expiring = live_tokens.filter(expires_at__lte=now + datetime.timedelta(days=14)).count()
    return Panel(
        role=roles.ADMIN,
        title="Integration",
        items=[
            PanelItem(
                "Exchanges that need attention",
                attention,
                _url(
                    "admin:sync_exchange_changelist",
                    {"state__exact": ExchangeState.NEEDS_ATTENTION},
                ),
                urgent=True,
            ),
            PanelItem(
                "Active API tokens", live_tokens.count(), _url("admin:tokens_apitoken_changelist")
            ),
            PanelItem(
                "Tokens expiring within 14 days",
                expiring,
                _url("admin:tokens_apitoken_changelist"),
                urgent=True,
            ),
        ],
    )


def role_panels(*, user: Any) -> list[Panel]:
    """Return the panels for the roles `user` holds, in a fixed order."""
    held = user_roles(user)
    today = timezone.localdate()
    panels = []
    if roles.PROCUREMENT in held:
        panels.append(procurement_panel(today))
    if roles.SALES in held:
        panels.append(sales_panel(today))
    if roles.WAREHOUSE in held:
        panels.append(warehouse_panel(today))
    if roles.MAPPING in held:
        panels.append(mapping_panel())
    if roles.ADMIN in held:
        panels.append(admin_panel())
    return panels
