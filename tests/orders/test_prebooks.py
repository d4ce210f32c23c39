"""Prebook entry: numbering, pushes once per farm and save, validation messages, totals."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from catalog.models import CarrierCutoff
from orders.models import Prebook, PrebookBreakdown, PrebookItem, UnitType
from orders.selectors import prebook_totals
from orders.services.numbers import PREBOOK, document_number_restart
from orders.services.prebooks import prebook_cancel, prebook_create, prebook_update
from sync.models import Exchange, ExchangeKind
from tests.factories import (
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    ProductFactory,
    VendorFactory,
    future_date,
)
from tests.orders.conftest import (
    existing_forms_data,
    management_data,
    prebook_add_form_data,
)


def new_prebook(**overrides) -> Prebook:
    values = {
        "customer": CustomerFactory(),
        "carrier": CarrierFactory(),
        "truck_date": future_date(3),
    }
    values.update(overrides)
    return Prebook(**values)


def new_line(vendor, **overrides) -> PrebookItem:
    values = {
        "vendor": vendor,
        "product": ProductFactory(),
        "box_type": BoxTypeFactory(),
        "unit_type": UnitType.STEM,
        "boxes": 2,
        "bunches": 10,
        "stems_per_bunch": 25,
        "cost": Decimal("0.300"),
        "price": Decimal("0.550"),
        "vendor_ship_date": future_date(1),
    }
    values.update(overrides)
    return PrebookItem(**values)


def pushes(prebook: Prebook) -> list[tuple[str, str]]:
    rows = Exchange.objects.filter(prebook=prebook).order_by("id")
    return [(row.vendor.code, row.kind) for row in rows.select_related("vendor")]


@pytest.fixture
def farms():
    return (
        VendorFactory(code="ROSAS"),
        VendorFactory(code="CLAVEL"),
        VendorFactory(code="LOCAL", is_axerrio=False),
    )


@pytest.mark.django_db
def test_create_pushes_once_per_axerrio_farm(farms):
    rosas, clavel, local = farms
    lines = [new_line(rosas), new_line(rosas), new_line(clavel), new_line(local)]

    result = prebook_create(prebook=new_prebook(), items=lines, actor=None)

    prebook = result.prebook
    assert prebook.number > 0
    assert prebook.items.count() == 4
    assert pushes(prebook) == [
        ("CLAVEL", ExchangeKind.PREBOOK_CREATED),
        ("ROSAS", ExchangeKind.PREBOOK_CREATED),
    ]
    assert AuditEntry.objects.filter(action="prebook.created", object_id=str(prebook.pk)).exists()


@pytest.mark.django_db
def test_numbers_skip_existing(farms):
    document_number_restart(name=PREBOOK, last_value=499999)
    PrebookFactory(number=500000)

    first = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook
    second = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook

    assert first.number == 500001
    assert second.number == 500002


@pytest.mark.django_db
def test_change_pushed_once_to_that_farm(farms):
    rosas, clavel, _ = farms
    prebook = prebook_create(
        prebook=new_prebook(), items=[new_line(rosas), new_line(rosas), new_line(clavel)]
    ).prebook
    line_a, line_b = prebook.items.filter(vendor=rosas).order_by("id")
    line_a.boxes = 7
    line_b.boxes = 8

    result = prebook_update(prebook=prebook, items=[line_a, line_b])

    assert result.pushes == [("ROSAS", ExchangeKind.PREBOOK_CHANGED)]
    assert pushes(prebook)[2:] == [("ROSAS", ExchangeKind.PREBOOK_CHANGED)]
    entry = AuditEntry.objects.get(action="prebook.changed")
    assert entry.changes[f"line {line_a.pk} boxes"] == [2, 7]


@pytest.mark.django_db
def test_unchanged_save_pushes_nothing(farms):
    prebook = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook
    line = prebook.items.get()

    result = prebook_update(prebook=prebook, items=[line])

    assert result.pushes == []
    assert len(pushes(prebook)) == 1
    assert not AuditEntry.objects.filter(action="prebook.changed").exists()


@pytest.mark.django_db
def test_header_change_pushes_every_farm_once(farms):
    rosas, clavel, _ = farms
    prebook = prebook_create(
        prebook=new_prebook(), items=[new_line(rosas), new_line(clavel), new_line(clavel)]
    ).prebook
    prebook.truck_date = future_date(5)

    result = prebook_update(prebook=prebook)

    assert sorted(result.pushes) == [
        ("CLAVEL", ExchangeKind.PREBOOK_CHANGED),
        ("ROSAS", ExchangeKind.PREBOOK_CHANGED),
    ]


@pytest.mark.django_db
def test_new_farm_gets_created_removed_farm_cancelled(farms):
    rosas, clavel, _ = farms
    prebook = prebook_create(
        prebook=new_prebook(), items=[new_line(rosas), new_line(clavel)]
    ).prebook
    clavel_line = prebook.items.get(vendor=clavel)
    other = VendorFactory(code="GIRASOL")

    result = prebook_update(prebook=prebook, items=[new_line(other)], deleted_items=[clavel_line])

    assert sorted(result.pushes) == [
        ("CLAVEL", ExchangeKind.PREBOOK_CANCELLED),
        ("GIRASOL", ExchangeKind.PREBOOK_CREATED),
    ]


@pytest.mark.django_db
def test_cancel_pushes_to_sent_farms(farms):
    rosas, clavel, local = farms
    prebook = prebook_create(
        prebook=new_prebook(), items=[new_line(rosas), new_line(clavel), new_line(local)]
    ).prebook

    result = prebook_cancel(prebook=prebook, reason="Customer cancelled the order")

    assert sorted(result.pushes) == [
        ("CLAVEL", ExchangeKind.PREBOOK_CANCELLED),
        ("ROSAS", ExchangeKind.PREBOOK_CANCELLED),
    ]
    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.CANCELLED
    with pytest.raises(ValidationError, match="cancelled"):
        prebook_update(prebook=prebook)


@pytest.mark.django_db
def test_cancel_requires_reason(farms):
    prebook = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook

    with pytest.raises(ValidationError, match="reason is required"):
        prebook_cancel(prebook=prebook, reason="")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "line", "expected"),
    [
        ({"truck_date": timezone.localdate() - datetime.timedelta(days=1)}, {}, "is in the past"),
        ({"carrier": None}, {}, "Carrier is required"),
        ({}, {"boxes": 0}, "Boxes must be a positive whole number, got 0"),
        ({}, {"bunches": 0}, "Bunches per box must be a positive whole number"),
        ({}, {"stems_per_bunch": None}, "Stems per bunch is required for stem pricing"),
        ({}, {"price": Decimal("-1")}, "Price must not be negative"),
        ({}, {"boxes": 99_999_999_999}, "Boxes must be at most 99,999, got 99,999,999,999"),
        (
            {},
            {"vendor_ship_date": future_date(30)},
            "after the truck date",
        ),
    ],
)
def test_validation_messages(farms, header, line, expected):
    with pytest.raises(ValidationError) as caught:
        prebook_create(prebook=new_prebook(**header), items=[new_line(farms[0], **line)])

    assert any(expected in message for message in caught.value.messages)
    assert not Prebook.objects.exists()
    assert not Exchange.objects.exists()


@pytest.mark.django_db
def test_bunch_pricing_needs_no_stems(farms):
    line = new_line(farms[0], unit_type=UnitType.BUNCH, stems_per_bunch=None)

    result = prebook_create(prebook=new_prebook(), items=[line])

    assert result.prebook.items.count() == 1


@pytest.mark.django_db
def test_breakdown_total_must_match(farms):
    line = new_line(farms[0], bunches=10)
    rows = [
        PrebookBreakdown(item=line, product=ProductFactory(), bunches=4),
        PrebookBreakdown(item=line, product=ProductFactory(), bunches=5),
    ]

    with pytest.raises(ValidationError) as caught:
        prebook_create(prebook=new_prebook(), items=[line], breakdowns=rows)

    assert "add up to 9 but the line has 10 bunches per box" in " ".join(caught.value.messages)


@pytest.mark.django_db
def test_breakdowns_saved_when_they_match(farms):
    line = new_line(farms[0], bunches=10)
    rows = [
        PrebookBreakdown(item=line, product=ProductFactory(), bunches=4),
        PrebookBreakdown(item=line, product=ProductFactory(), bunches=6),
    ]

    prebook = prebook_create(prebook=new_prebook(), items=[line], breakdowns=rows).prebook

    assert sorted(
        PrebookBreakdown.objects.filter(item__prebook=prebook).values_list("bunches", flat=True)
    ) == [4, 6]


@pytest.mark.django_db
def test_totals_follow_komet_pricing(farms):
    half = BoxTypeFactory(code="HB", fbe=Decimal("0.5"))
    quarter = BoxTypeFactory(code="QB", fbe=Decimal("0.25"))
    prebook = prebook_create(
        prebook=new_prebook(),
        items=[
            # stem pricing: 3 boxes × 10 bunches × 25 stems × 0.40 = 300.00
            new_line(
                farms[0],
                box_type=half,
                boxes=3,
                bunches=10,
                stems_per_bunch=25,
                price=Decimal("0.400"),
                cost=Decimal("0.250"),
            ),
            # bunch pricing: 4 boxes × 12 bunches × 3.50 = 168.00
            new_line(
                farms[0],
                box_type=quarter,
                boxes=4,
                bunches=12,
                stems_per_bunch=None,
                unit_type=UnitType.BUNCH,
                price=Decimal("3.500"),
                cost=Decimal("2.000"),
            ),
        ],
    ).prebook

    totals = prebook_totals(prebook=prebook)

    assert totals.lines == 2
    assert totals.boxes == 7
    assert totals.fbe == Decimal("2.5")  # 3 × 0.5 + 4 × 0.25
    assert totals.units == 3 * 250 + 4 * 12
    assert totals.price == Decimal("468.000")
    assert totals.cost == Decimal("283.500")  # 750 × 0.25 + 48 × 2.00
    lines = list(prebook.items.order_by("id"))
    assert lines[0].total_price == Decimal("300.000")
    assert lines[1].total_price == Decimal("168.000")


# --- through the admin ------------------------------------------------------------------




@pytest.mark.django_db
def test_admin_add_goes_through_service(sales_client, farms):
    data = prebook_add_form_data(sales_client, farms[0])

    response = sales_client.post(reverse("admin:orders_prebook_add"), data, follow=True)

    assert response.status_code == 200
    prebook = Prebook.objects.get()
    assert prebook.created_by == sales_client.user
    assert prebook.items.get().boxes == 3
    assert pushes(prebook) == [("ROSAS", ExchangeKind.PREBOOK_CREATED)]
    texts = " ".join(str(m) for m in response.context["messages"])
    assert "prebook.created to ROSAS" in texts


@pytest.mark.django_db
def test_admin_validation_messages(sales_client, farms):
    data = prebook_add_form_data(
        sales_client,
        farms[0],
        truck_date=(timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        carrier="",
        **{"items-0-stems_per_bunch": "", "items-0-boxes": "0"},
    )

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "is in the past" in content
    assert "Carrier is required" in content
    assert "Stems per bunch is required for stem pricing" in content
    assert "Boxes must be a positive whole number" in content
    assert not Prebook.objects.exists()


@pytest.mark.django_db
def test_admin_change_pushes_once(sales_client, farms):
    prebook = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook
    url = reverse("admin:orders_prebook_change", args=[prebook.pk])
    page = sales_client.get(url)
    data = {**management_data(page), **existing_forms_data(page, "items")}
    data.update(
        {
            "customer": prebook.customer_id,
            "truck_date": prebook.truck_date.isoformat(),
            "carrier": prebook.carrier_id,
            "ship_via": 0,
        }
    )
    line = prebook.items.get()
    data["items-0-boxes"] = "9"

    response = sales_client.post(url, data, follow=True)

    assert response.status_code == 200
    line.refresh_from_db()
    assert line.boxes == 9
    assert pushes(prebook) == [
        ("ROSAS", ExchangeKind.PREBOOK_CREATED),
        ("ROSAS", ExchangeKind.PREBOOK_CHANGED),
    ]


@pytest.mark.django_db
def test_admin_cutoff_warning_on_save(sales_client, farms):
    carrier = CarrierFactory()
    today = timezone.localdate()
    CarrierCutoff.objects.create(
        carrier=carrier, weekday=today.weekday(), cutoff_time=datetime.time(0)
    )
    data = prebook_add_form_data(
        sales_client, farms[0], carrier=carrier.pk, truck_date=today.isoformat()
    )
    data["items-0-vendor_ship_date"] = today.isoformat()

    response = sales_client.post(reverse("admin:orders_prebook_add"), data, follow=True)

    assert Prebook.objects.count() == 1
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "cut-off" in warnings[0]


@pytest.mark.django_db
def test_admin_breakdown_page(sales_client, farms):
    prebook = prebook_create(prebook=new_prebook(), items=[new_line(farms[0], bunches=10)]).prebook
    line = prebook.items.get()
    url = reverse("admin:orders_prebookitem_change", args=[line.pk])
    page = sales_client.get(url)
    base = {**management_data(page)}
    for name in (
        "vendor",
        "product",
        "box_type",
        "boxes",
        "bunches",
        "stems_per_bunch",
        "unit_type",
        "cost",
        "price",
        "vendor_ship_date",
    ):
        value = page.context["adminform"].form[name].value()
        base[name] = "" if value is None else str(value)
    rows = {
        "breakdowns-TOTAL_FORMS": "2",
        "breakdowns-0-product": ProductFactory().pk,
        "breakdowns-0-bunches": "4",
        "breakdowns-1-product": ProductFactory().pk,
        "breakdowns-1-bunches": "5",
    }

    wrong = sales_client.post(url, {**base, **rows})
    right = sales_client.post(url, {**base, **rows, "breakdowns-1-bunches": "6"})

    assert page.status_code == 200
    assert wrong.status_code == 200
    assert "add up to 9 but the line has 10" in wrong.content.decode()
    assert right.status_code == 302
    assert line.breakdowns.count() == 2
    assert pushes(prebook)[-1] == ("ROSAS", ExchangeKind.PREBOOK_CHANGED)


@pytest.mark.django_db
def test_admin_cancel_page(sales_client, farms):
    prebook = prebook_create(prebook=new_prebook(), items=[new_line(farms[0])]).prebook
    url = reverse("admin:orders_prebook_cancel", args=[prebook.pk])

    page = sales_client.get(url)
    done = sales_client.post(url, {"reason": "Order moved to next week"})

    assert page.status_code == 200
    assert done.status_code == 302
    prebook.refresh_from_db()
    assert prebook.status == Prebook.Status.CANCELLED
    assert pushes(prebook)[-1] == ("ROSAS", ExchangeKind.PREBOOK_CANCELLED)


@pytest.mark.django_db
def test_held_prebook_red_in_list(sales_client):
    prebook = PrebookFactory(held_line_count=2)
    PrebookItemFactory(prebook=prebook)

    response = sales_client.get(reverse("admin:orders_prebook_changelist"))

    assert response.status_code == 200
    assert "badge-red" in response.content.decode()
    assert "2 held" in response.content.decode()


@pytest.mark.django_db
def test_missing_vendor_ship_date_defaults_to_transit_days(farms):
    farm = farms[0]
    farm.transit_days = 3
    farm.save()
    header = new_prebook(truck_date=future_date(5))

    prebook = prebook_create(
        prebook=header, items=[new_line(farm, vendor_ship_date=None)]
    ).prebook

    line = prebook.items.get()
    assert line.vendor_ship_date == future_date(2)
    pushed = Exchange.objects.get(prebook=prebook)
    assert [d["prebookItemId"] for d in pushed.payload["data"]["details"]] == [line.pk]


@pytest.mark.django_db
def test_admin_rejects_ship_date_after_truck_date(sales_client, farms):
    data = prebook_add_form_data(sales_client, farms[0], truck_date=future_date(2).isoformat())
    data["items-0-vendor_ship_date"] = future_date(4).isoformat()

    response = sales_client.post(reverse("admin:orders_prebook_add"), data)

    assert response.status_code == 200
    assert "after the truck date" in response.content.decode()
    assert Prebook.objects.count() == 0
