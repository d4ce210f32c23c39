"""The PO life cycle: legal and illegal transitions, approval blocks, bulk decisions."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from catalog.models import CarrierCutoff
from mapping.models import HoldReason
from orders.models import PurchaseOrder, PurchaseOrderStatusChange
from orders.services.holds import purchase_order_refresh_holds
from orders.services.purchase_orders import (
    LEGAL_TRANSITIONS,
    TransitionError,
    approval_waiting_model,
    purchase_order_approve,
    purchase_order_reject,
    purchase_order_transition,
    purchase_orders_approve,
)
from sync.models import Exchange, ExchangeKind
from tests.factories import (
    CarrierFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    VendorProductFactory,
)

Status = PurchaseOrder.Status
ALL_PAIRS = [(a, b) for a, b in itertools.product(Status.values, Status.values) if a != b]


def held_po() -> PurchaseOrder:
    po = PurchaseOrderFactory()
    PurchaseOrderItemFactory(purchase_order=po)
    unmapped = VendorProductFactory(vendor=po.vendor, code="ROSE-XX-50")
    PurchaseOrderItemFactory(purchase_order=po, product=None, vendor_product=unmapped)
    purchase_order_refresh_holds(po)
    return po


@pytest.mark.django_db
@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_transition_every_pair(from_status, to_status):
    po = PurchaseOrderFactory(status=from_status)
    PurchaseOrderItemFactory(purchase_order=po)
    legal = to_status in LEGAL_TRANSITIONS[from_status]

    if legal:
        purchase_order_transition(po=po, to_status=to_status, actor_label="test", reason="r")
    else:
        with pytest.raises(TransitionError, match="cannot become"):
            purchase_order_transition(po=po, to_status=to_status, actor_label="test")

    po.refresh_from_db()
    changes = PurchaseOrderStatusChange.objects.filter(purchase_order=po)
    if legal:
        assert po.status == to_status
        change = changes.get()
        assert (change.from_status, change.to_status) == (from_status, to_status)
        assert change.actor_label == "test"
        assert AuditEntry.objects.filter(object_id=str(po.pk)).count() == 1
    else:
        assert po.status == from_status
        assert not changes.exists()


@pytest.mark.django_db
def test_legal_transitions_table():
    assert LEGAL_TRANSITIONS[Status.PENDING_APPROVAL] == {Status.APPROVED, Status.CANCELLED}
    assert LEGAL_TRANSITIONS[Status.SHIPPED] == set()
    assert LEGAL_TRANSITIONS[Status.CANCELLED] == set()


@pytest.mark.django_db
def test_approve_writes_push():
    po = PurchaseOrderFactory()
    PurchaseOrderItemFactory(purchase_order=po)

    purchase_order_approve(po=po, actor_label="buyer")

    po.refresh_from_db()
    assert po.status == Status.APPROVED
    assert po.approved_at is not None
    push = Exchange.objects.get(purchase_order=po)
    assert push.kind == ExchangeKind.PO_APPROVED


@pytest.mark.django_db
def test_cancel_approved_pushes_cancellation():
    po = PurchaseOrderFactory()
    PurchaseOrderItemFactory(purchase_order=po)
    purchase_order_approve(po=po)

    purchase_order_reject(po=po, reason="Customer cancelled")

    kinds = list(
        Exchange.objects.filter(purchase_order=po).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == [ExchangeKind.PO_APPROVED, ExchangeKind.PO_CANCELLED]


@pytest.mark.django_db
def test_reject_pending_sends_nothing():
    po = PurchaseOrderFactory()

    purchase_order_reject(po=po, reason="Price too high")

    po.refresh_from_db()
    assert po.status == Status.CANCELLED
    assert not Exchange.objects.filter(purchase_order=po).exists()
    assert po.status_changes.get().reason == "Price too high"


@pytest.mark.django_db
def test_reject_requires_reason():
    po = PurchaseOrderFactory()

    with pytest.raises(TransitionError, match="reason is required"):
        purchase_order_reject(po=po, reason="  ")

    po.refresh_from_db()
    assert po.status == Status.PENDING_APPROVAL


@pytest.mark.django_db
def test_approval_blocked_by_unmapped_line():
    po = held_po()
    held_item = po.items.get(hold_reason=HoldReason.PRODUCT_NOT_MAPPED)

    with pytest.raises(TransitionError) as caught:
        purchase_order_approve(po=po)

    message = str(caught.value)
    assert f"line {held_item.pk} (ROSE-XX-50)" in message
    assert "product not mapped" in message
    assert "mapping queue" in message
    assert caught.value.held_lines == [held_item]
    po.refresh_from_db()
    assert po.status == Status.PENDING_APPROVAL
    assert not Exchange.objects.filter(purchase_order=po).exists()


@pytest.mark.django_db
def test_bulk_approve_service_keeps_going():
    good = [PurchaseOrderFactory() for _ in range(2)]
    for po in good:
        PurchaseOrderItemFactory(purchase_order=po)
    blocked = held_po()

    result = purchase_orders_approve(pos=[good[0], blocked, good[1]], actor_label="buyer")

    assert [po.pk for po in result.done] == [good[0].pk, good[1].pk]
    assert [po.pk for po, _ in result.failed] == [blocked.pk]
    assert PurchaseOrder.objects.filter(status=Status.APPROVED).count() == 2


@pytest.mark.django_db
def test_bulk_approve_admin_action(procurement_client):
    pos = [PurchaseOrderFactory() for _ in range(3)]
    for po in pos:
        PurchaseOrderItemFactory(purchase_order=po)
    blocked = held_po()
    url = reverse("admin:orders_purchaseorder_changelist")

    response = procurement_client.post(
        url,
        {"action": "approve_selected", "_selected_action": [po.pk for po in [*pos, blocked]]},
        follow=True,
    )

    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert any(text.startswith("Approved 3 PO(s)") for text in texts)
    assert any(f"PO {blocked.number} cannot be approved" in text for text in texts)
    assert PurchaseOrder.objects.filter(status=Status.APPROVED).count() == 3
    blocked.refresh_from_db()
    assert blocked.status == Status.PENDING_APPROVAL
    approvals = PurchaseOrderStatusChange.objects.filter(to_status=Status.APPROVED)
    assert {change.actor_id for change in approvals} == {procurement_client.user.pk}


@pytest.mark.django_db
def test_approve_button_and_held_message(procurement_client):
    po = held_po()
    url = reverse("admin:orders_purchaseorder_approve", args=[po.pk])

    response = procurement_client.post(url, follow=True)

    assert response.status_code == 200
    texts = [str(message) for message in response.context["messages"]]
    assert any(
        "held by an unmapped code" in text and "product not mapped" in text for text in texts
    )
    po.refresh_from_db()
    assert po.status == Status.PENDING_APPROVAL


@pytest.mark.django_db
def test_reject_page_asks_reason(procurement_client):
    po = PurchaseOrderFactory()
    url = reverse("admin:orders_purchaseorder_reject", args=[po.pk])

    page = procurement_client.get(url)
    empty = procurement_client.post(url, {"reason": " "})
    done = procurement_client.post(url, {"reason": "Farm out of stock"})

    assert page.status_code == 200
    assert b"Reason" in page.content
    assert empty.status_code == 200
    assert b"This field is required" in empty.content or b"reason is required" in empty.content
    assert done.status_code == 302
    po.refresh_from_db()
    assert po.status == Status.CANCELLED
    assert po.status_changes.get().reason == "Farm out of stock"


@pytest.mark.django_db
def test_bulk_reject_action_intermediate_page(procurement_client):
    pos = [PurchaseOrderFactory() for _ in range(2)]
    url = reverse("admin:orders_purchaseorder_changelist")
    selected = [po.pk for po in pos]

    ask = procurement_client.post(url, {"action": "reject_selected", "_selected_action": selected})
    done = procurement_client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": selected,
            "confirm": "yes",
            "reason": "Duplicate order",
        },
    )

    assert ask.status_code == 200
    assert b"Reject or cancel POs" in ask.content
    assert done.status_code == 302
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) == {Status.CANCELLED}


@pytest.mark.django_db
def test_approve_when_mapped(procurement_client):
    po = held_po()
    url = reverse("admin:orders_purchaseorder_approve_when_mapped", args=[po.pk])

    response = procurement_client.post(url, follow=True)

    texts = " ".join(str(message) for message in response.context["messages"])
    po.refresh_from_db()
    assert po.status == Status.PENDING_APPROVAL
    waiting_model = approval_waiting_model()
    if waiting_model is None:
        assert "not available" in texts
        return
    assert "as soon as its held lines are mapped" in texts
    waiting = waiting_model.objects.get(purchase_order=po)
    assert waiting.state == waiting_model.State.WAITING
    assert waiting.requested_by == procurement_client.user
    assert AuditEntry.objects.filter(action="purchase_order.approval_waiting").exists()


@pytest.mark.django_db
def test_approve_when_mapped_twice_keeps_one(procurement_client):
    waiting_model = approval_waiting_model()
    if waiting_model is None:
        pytest.skip("the mapping app records no waiting approvals")
    po = held_po()
    url = reverse("admin:orders_purchaseorder_approve_when_mapped", args=[po.pk])

    procurement_client.post(url)
    procurement_client.post(url)

    assert waiting_model.objects.filter(purchase_order=po).count() == 1


@pytest.mark.django_db
def test_cutoff_warning_on_approval(procurement_client):
    today = timezone.localdate()
    carrier = CarrierFactory()
    CarrierCutoff.objects.create(
        carrier=carrier, weekday=today.weekday(), cutoff_time=datetime.time(0, 0)
    )
    po = PurchaseOrderFactory(ship_date=today, carrier=carrier)
    PurchaseOrderItemFactory(purchase_order=po)
    url = reverse("admin:orders_purchaseorder_approve", args=[po.pk])

    response = procurement_client.post(url, follow=True)

    po.refresh_from_db()
    assert po.status == Status.APPROVED
    warnings = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "cut-off" in str(warnings[0])
    assert carrier.name in str(warnings[0])


@pytest.mark.django_db
def test_no_cutoff_warning_before_cutoff(procurement_client):
    day = timezone.localdate() + datetime.timedelta(days=2)
    carrier = CarrierFactory()
    CarrierCutoff.objects.create(
        carrier=carrier, weekday=day.weekday(), cutoff_time=datetime.time(12)
    )
    po = PurchaseOrderFactory(ship_date=day, carrier=carrier)
    PurchaseOrderItemFactory(purchase_order=po)

    response = procurement_client.post(
        reverse("admin:orders_purchaseorder_approve", args=[po.pk]), follow=True
    )

    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


@pytest.mark.django_db
def test_po_change_page_shows_trail_and_labels(procurement_client):
    po = PurchaseOrderFactory()
    PurchaseOrderItemFactory(purchase_order=po)
    purchase_order_approve(po=po, actor=procurement_client.user)

    response = procurement_client.get(reverse("admin:orders_purchaseorder_change", args=[po.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "purchase_order.approved" in content
    assert "procurement-user" in content
    assert "Pending Approval" in content


@pytest.mark.django_db
def test_comment_edit_is_audited(procurement_client):
    po = PurchaseOrderFactory(comments="")
    PurchaseOrderItemFactory(purchase_order=po)
    url = reverse("admin:orders_purchaseorder_change", args=[po.pk])
    from tests.orders.conftest import management_data

    page = procurement_client.get(url)
    response = procurement_client.post(
        url, {**management_data(page), "comments": "Call the farm about stems"}
    )

    assert response.status_code == 302
    po.refresh_from_db()
    assert po.comments == "Call the farm about stems"
    assert po.status == Status.PENDING_APPROVAL
    entry = AuditEntry.objects.get(action="purchase_order.commented")
    assert entry.changes == {"comments": ["", "Call the farm about stems"]}
