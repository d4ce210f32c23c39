"""Mapping services: resolving, mapping, remapping, bulk acceptance, release and audit."""

import datetime
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from audit.models import AuditEntry
from mapping.models import ApprovalWaiting, HoldReason, MappingRelease, VendorProduct
from mapping.release import mapping_release_run, mapping_releases_sweep
from mapping.selectors import unknown_counts
from mapping.services import (
    MappingError,
    vendor_box_type_map,
    vendor_box_type_resolve,
    vendor_carrier_map,
    vendor_carrier_resolve,
    vendor_codes_map_suggested,
    vendor_customer_map,
    vendor_customer_resolve,
    vendor_product_map,
    vendor_product_resolve,
)
from orders.models import Prebook, PrebookItem, PurchaseOrder
from orders.services.holds import prebook_refresh_holds, purchase_order_refresh_holds
from orders.services.purchase_orders import purchase_order_approve_when_mapped
from sync.models import Exchange, ExchangeKind, ExchangeState
from sync.services import outbox_push_purchase_order
from tests.factories import (
    BoxFactory,
    BoxTypeFactory,
    CarrierFactory,
    CustomerFactory,
    PrebookFactory,
    PrebookItemFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderItemFactory,
    UserFactory,
    VendorFactory,
)
from tests.mapping.helpers import catalogue_product, held_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapper():
    return UserFactory(username="mapper", groups=["Mapping"])


@pytest.fixture
def freedom():
    return catalogue_product()


def test_resolve_matches_code_case_exactly():
    vendor = VendorFactory()

    upper_case = vendor_product_resolve(vendor=vendor, code="WEIRD-ñ-CODE", description="Rose")
    lower_case = vendor_product_resolve(vendor=vendor, code="weird-Ñ-code", description="Rose")
    padded = vendor_product_resolve(vendor=vendor, code=" WEIRD-ñ-CODE ", description="Rose")

    assert upper_case.pk != lower_case.pk
    assert upper_case.code == "WEIRD-ñ-CODE"
    assert lower_case.code == "weird-Ñ-code"
    assert padded.pk == upper_case.pk
    assert VendorProduct.objects.filter(vendor=vendor, target=None).count() == 2


def test_resolve_stores_suggestions(freedom):
    vendor = VendorFactory()

    row = vendor_product_resolve(vendor=vendor, code="RFR50", description="ROSE FREEDOM RED 50CM")

    assert row.target is None
    assert row.suggestions[0]["id"] == freedom.pk
    assert row.suggestions[0]["label"] == "Rose Freedom Red 50cm [RS-FREEDOM-50]"
    assert "variety" in row.suggestions[0]["matched"]
    row.refresh_from_db()
    assert row.suggestions[0]["id"] == freedom.pk


def test_suggestion_index_follows_catalogue(freedom):
    vendor = VendorFactory()
    vendor_product_resolve(vendor=vendor, code="A", description="ROSE FREEDOM RED 50CM")

    explorer = catalogue_product(
        legacy_code="RS-EXPLORER-60", description="Rose Explorer Red 60cm",
        variety="Explorer", grade="60cm",
    )
    row = vendor_product_resolve(vendor=vendor, code="B", description="ROSE EXPLORER RED 60")

    assert row.suggestions[0]["id"] == explorer.pk


def test_map_fixes_lines_and_queues_release(freedom, mapper, django_capture_on_commit_callbacks):
    vendor_product = vendor_product_resolve(
        vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM RED 50CM"
    )
    prebook, prebook_item, po, po_item = held_documents(vendor_product)
    assert prebook_item.hold_reason == HoldReason.PRODUCT_NOT_MAPPED

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        release = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    prebook_item.refresh_from_db()
    po_item.refresh_from_db()
    vendor_product.refresh_from_db()
    assert vendor_product.target == freedom
    assert vendor_product.mapped_by == mapper
    assert prebook_item.product == freedom
    assert prebook_item.hold_reason == HoldReason.NONE
    assert po_item.product == freedom
    assert po_item.hold_reason == HoldReason.NONE
    assert Prebook.objects.get(pk=prebook.pk).held_line_count == 0
    assert PurchaseOrder.objects.get(pk=po.pk).held_line_count == 0
    assert release.total == 2
    assert release.documents == [
        {"type": "prebook", "id": prebook.pk},
        {"type": "purchase_order", "id": po.pk},
    ]
    assert len(callbacks) == 1


def test_next_order_maps_itself(freedom, mapper):
    vendor = VendorFactory()
    vendor_product = vendor_product_resolve(vendor=vendor, code="RFR50", description="x")
    vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    again = vendor_product_resolve(vendor=vendor, code="RFR50", description="ROSE FREEDOM")

    assert again.pk == vendor_product.pk
    assert again.target == freedom


def test_release_sends_held_push_and_waiting_approval(freedom, mapper):
    vendor_product = vendor_product_resolve(
        vendor=VendorFactory(), code="RFR50", description="ROSE FREEDOM RED 50CM"
    )
    _prebook, _item, po, _po_item = held_documents(vendor_product)
    held_push = outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CHANGED)
    assert held_push.state == ExchangeState.HELD
    waiting = purchase_order_approve_when_mapped(po=po, actor=mapper)
    assert isinstance(waiting, ApprovalWaiting)

    release = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)
    release = mapping_release_run(release_id=release.pk)

    held_push.refresh_from_db()
    waiting.refresh_from_db()
    po.refresh_from_db()
    assert release.state == MappingRelease.State.DONE
    assert release.done == release.total == 2
    assert release.released_pushes == 1
    assert release.approved_orders == 1
    assert held_push.state == ExchangeState.PENDING
    assert held_push.payload["data"]["details"][0]["productId"] == freedom.pk
    assert waiting.state == ApprovalWaiting.State.APPROVED
    assert waiting.release == release
    assert po.status == PurchaseOrder.Status.APPROVED
    assert po.approved_by == mapper
    approved_pushes = Exchange.objects.filter(
        purchase_order=po, kind=ExchangeKind.PO_APPROVED
    )
    assert approved_pushes.count() == 1


def test_release_run_twice_is_harmless(freedom, mapper):
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="X", description="x")
    _prebook, _item, po, _po_item = held_documents(vendor_product)
    purchase_order_approve_when_mapped(po=po, actor=mapper)
    release = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    mapping_release_run(release_id=release.pk)
    MappingRelease.objects.filter(pk=release.pk).update(state=MappingRelease.State.RUNNING)
    again = mapping_release_run(release_id=release.pk)

    assert again.approved_orders == 1
    assert again.state == MappingRelease.State.DONE
    assert Exchange.objects.filter(purchase_order=po, kind=ExchangeKind.PO_APPROVED).count() == 1


def test_release_leaves_document_held_by_other_code(freedom, mapper):
    vendor = VendorFactory()
    first = vendor_product_resolve(vendor=vendor, code="A", description="a")
    second = vendor_product_resolve(vendor=vendor, code="B", description="b")
    _prebook, _item, po, _po_item = held_documents(first)
    PurchaseOrderItemFactory(purchase_order=po, product=None, vendor_product=second)
    purchase_order_refresh_holds(po)
    held_push = outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CHANGED)

    release = vendor_product_map(vendor_product=first, product=freedom, actor=mapper)
    release = mapping_release_run(release_id=release.pk)

    held_push.refresh_from_db()
    assert release.state == MappingRelease.State.DONE
    assert release.released_pushes == 0
    assert held_push.state == ExchangeState.HELD
    assert PurchaseOrder.objects.get(pk=po.pk).held_line_count == 1


def test_bulk_maps_only_confident_suggestions(freedom, mapper):
    vendor = VendorFactory()
    confident = vendor_product_resolve(vendor=vendor, code="A", description="ROSE FREEDOM RED 50CM")
    vague = vendor_product_resolve(vendor=vendor, code="B", description="GYPSOPHILA XLENCE 80G")
    held_documents(confident)
    assert confident.suggestions[0]["score"] >= 85
    assert not vague.suggestions or vague.suggestions[0]["score"] < 85

    mapped, skipped = vendor_codes_map_suggested(codes=[confident, vague], actor=mapper)

    confident.refresh_from_db()
    vague.refresh_from_db()
    assert (mapped, skipped) == (1, 1)
    assert confident.target == freedom
    assert vague.target is None
    entry = AuditEntry.objects.get(action="mapping.mapped", object_id=str(confident.pk))
    assert "Accepted the first suggestion" in entry.reason


def test_remap_before_shipping_is_audited(freedom, mapper):
    other = catalogue_product(legacy_code="RS-FREEDOM-60", description="Rose Freedom Red 60cm",
                              grade="60cm")
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    _prebook, prebook_item, _po, po_item = held_documents(vendor_product)
    vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    vendor_product_map(vendor_product=vendor_product, product=other, actor=mapper)

    prebook_item.refresh_from_db()
    po_item.refresh_from_db()
    assert prebook_item.product == other
    assert po_item.product == other
    content_type = ContentType.objects.get_for_model(vendor_product)
    entries = AuditEntry.objects.filter(content_type=content_type, object_id=str(vendor_product.pk))
    actions = list(entries.order_by("id").values_list("action", flat=True))
    assert actions == ["mapping.mapped", "mapping.remapped"]
    remap = entries.get(action="mapping.remapped")
    assert remap.actor == mapper
    assert remap.changes["target"] == [f"{freedom} (#{freedom.pk})", f"{other} (#{other.pk})"]


def test_remap_after_shipping_is_refused(freedom, mapper):
    other = catalogue_product(legacy_code="RS-OTHER", description="Rose Other Red 50cm")
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    _prebook, _item, _po, po_item = held_documents(vendor_product)
    vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)
    BoxFactory(po_item=po_item)

    with pytest.raises(MappingError, match="already shipped"):
        vendor_product_map(vendor_product=vendor_product, product=other, actor=mapper)
    with pytest.raises(MappingError, match="already shipped"):
        vendor_product_map(vendor_product=vendor_product, product=None, actor=mapper)

    vendor_product.refresh_from_db()
    po_item.refresh_from_db()
    assert vendor_product.target == freedom
    assert po_item.product == freedom
    assert not AuditEntry.objects.filter(action__in=["mapping.remapped", "mapping.unmapped"])


def test_unmap_holds_lines_again(freedom, mapper):
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    prebook, prebook_item, _po, _po_item = held_documents(vendor_product)
    vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)

    release = vendor_product_map(vendor_product=vendor_product, product=None, actor=mapper)

    prebook_item.refresh_from_db()
    assert release is None
    assert prebook_item.product is None
    assert prebook_item.hold_reason == HoldReason.PRODUCT_NOT_MAPPED
    assert Prebook.objects.get(pk=prebook.pk).held_line_count == 1
    assert AuditEntry.objects.filter(action="mapping.unmapped").count() == 1


def test_map_rejects_wrong_target_kind(mapper):
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")

    with pytest.raises(MappingError, match="product code"):
        vendor_product_map(vendor_product=vendor_product, product=CarrierFactory(), actor=mapper)


def test_map_rejects_inactive_product(mapper):
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    retired = ProductFactory(active=False)

    with pytest.raises(MappingError, match="inactive"):
        vendor_product_map(vendor_product=vendor_product, product=retired, actor=mapper)


def test_box_type_mapping_releases_lines(mapper):
    vendor = VendorFactory()
    half_box = BoxTypeFactory(code="HB", description="Half box")
    code = vendor_box_type_resolve(vendor=vendor, code="HALF", description="Half box")
    item = PrebookItemFactory(vendor=vendor, box_type=None, vendor_box_type=code)
    po_item = PurchaseOrderItemFactory(
        purchase_order=PurchaseOrderFactory(vendor=vendor), box_type=None, vendor_box_type=code
    )
    prebook_refresh_holds(item.prebook)
    purchase_order_refresh_holds(po_item.purchase_order)
    assert PrebookItem.objects.get(pk=item.pk).hold_reason == HoldReason.BOX_TYPE_NOT_MAPPED
    assert code.suggestions[0]["id"] == half_box.pk

    release = vendor_box_type_map(vendor_box_type=code, box_type=half_box, actor=mapper)
    mapping_release_run(release_id=release.pk)

    item.refresh_from_db()
    po_item.refresh_from_db()
    assert item.box_type == half_box
    assert item.hold_reason == HoldReason.NONE
    assert po_item.box_type == half_box
    assert po_item.hold_reason == HoldReason.NONE
    assert MappingRelease.objects.get(pk=release.pk).state == MappingRelease.State.DONE


def test_carrier_mapping_sets_headers(mapper):
    vendor = VendorFactory()
    carrier = CarrierFactory(code="ARMELLINI", name="Armellini Logistics")
    code = vendor_carrier_resolve(vendor=vendor, code="ARM", description="ARMELLINI")
    prebook = PrebookFactory(carrier=None, vendor_carrier=code)
    PrebookItemFactory(prebook=prebook, vendor=vendor)
    po = PurchaseOrderFactory(vendor=vendor, carrier=None, vendor_carrier=code)
    PurchaseOrderItemFactory(purchase_order=po)
    prebook_refresh_holds(prebook)
    purchase_order_refresh_holds(po)
    assert prebook.items.get().hold_reason == HoldReason.CARRIER_NOT_MAPPED
    assert po.items.get().hold_reason == HoldReason.CARRIER_NOT_MAPPED

    release = vendor_carrier_map(vendor_carrier=code, carrier=carrier, actor=mapper)

    prebook.refresh_from_db()
    po.refresh_from_db()
    assert prebook.carrier == carrier
    assert prebook.held_line_count == 0
    assert po.carrier == carrier
    assert po.held_line_count == 0
    assert po.items.get().hold_reason == HoldReason.NONE
    assert release.total == 2


def test_customer_mapping_sets_prebook(mapper):
    vendor = VendorFactory()
    customer = CustomerFactory(code="BAYFRONT", name="Bayfront Floral Wholesale")
    code = vendor_customer_resolve(vendor=vendor, code="BAYF", description="BAYFRONT FLORAL")
    prebook = PrebookFactory(customer=None, vendor_customer=code)
    PrebookItemFactory(prebook=prebook, vendor=vendor)
    prebook_refresh_holds(prebook)
    assert prebook.items.get().hold_reason == HoldReason.CUSTOMER_NOT_MAPPED

    release = vendor_customer_map(vendor_customer=code, customer=customer, actor=mapper)
    mapping_release_run(release_id=release.pk)

    prebook.refresh_from_db()
    assert prebook.customer == customer
    assert prebook.held_line_count == 0
    assert prebook.items.get().hold_reason == HoldReason.NONE


def test_unknown_counts_per_kind(freedom, mapper):
    vendor = VendorFactory()
    vendor_product_resolve(vendor=vendor, code="A", description="a")
    mapped = vendor_product_resolve(vendor=vendor, code="B", description="b")
    vendor_product_map(vendor_product=mapped, product=freedom, actor=mapper)
    vendor_carrier_resolve(vendor=vendor, code="C", description="c")

    counts = unknown_counts()

    assert counts == {"product": 1, "box_type": 0, "carrier": 1, "customer": 0}


def test_remap_pushes_change_of_approved_po(freedom, mapper):
    other = catalogue_product(legacy_code="RS-FREEDOM-60", description="Rose Freedom Red 60cm",
                              grade="60cm")
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    _prebook, _item, po, _po_item = held_documents(vendor_product)
    first = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)
    mapping_release_run(release_id=first.pk)
    purchase_order_approve_when_mapped(po=po, actor=mapper)

    second = vendor_product_map(vendor_product=vendor_product, product=other, actor=mapper)
    second = mapping_release_run(release_id=second.pk)

    assert first.is_remap is False
    assert second.is_remap is True
    assert second.changed_pushes == 1
    changed = Exchange.objects.get(purchase_order=po, kind=ExchangeKind.PO_CHANGED)
    assert changed.payload["data"]["details"][0]["productId"] == other.pk


def test_sweep_requeues_stale_release(freedom, mapper, django_capture_on_commit_callbacks):
    vendor_product = vendor_product_resolve(vendor=VendorFactory(), code="A", description="a")
    held_documents(vendor_product)
    release = vendor_product_map(vendor_product=vendor_product, product=freedom, actor=mapper)
    fresh = vendor_product_resolve(vendor=VendorFactory(), code="B", description="b")
    held_documents(fresh)
    recent = vendor_product_map(vendor_product=fresh, product=freedom, actor=mapper)
    MappingRelease.objects.filter(pk=release.pk).update(
        state=MappingRelease.State.RUNNING,
        updated_at=timezone.now() - datetime.timedelta(minutes=10),
    )

    with mock.patch("mapping.services._enqueue_release") as enqueue:
        count = mapping_releases_sweep()

    assert count == 1
    enqueue.assert_called_once_with(release.pk)
    assert MappingRelease.objects.get(pk=recent.pk).state == MappingRelease.State.PENDING
