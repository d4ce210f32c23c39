"""Label data built from shipped boxes, the print counter and the download options."""

import datetime
import os

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from labels.models import LabelBatch
from labels.services import (
    LabelError,
    LabelOptions,
    label_batch_run,
    label_batches_sweep,
    label_data_for_boxes,
    labels_render,
)
from orders.models import Box
from tests.factories import VendorProductFactory
from tests.receiving.shipments import SHIP_DATE, shipment_create

pytestmark = pytest.mark.django_db


def test_label_data_fields():
    item = shipment_create(boxes=3)

    labels = label_data_for_boxes(Box.objects.filter(po_item=item).order_by("sequence"))

    assert [label.box_code for label in labels] == ["BX000001", "BX000002", "BX000003"]
    first = labels[0]
    assert first.vendor_name == "Flores de la Sabana"
    assert first.product == "Rose Freedom Red 50cm"
    assert first.box_type == "HB"
    assert (first.bunches, first.stems_per_bunch) == (12, 25)
    assert first.po_number == item.purchase_order.number
    assert first.customer == "Miami Blooms Wholesale"
    assert first.mark_code == "MB-07"
    assert first.awb_display == "369-1234-5675"
    assert first.house_awb == "MIA-778"
    assert first.lot_number == "120001"
    assert first.ship_date == SHIP_DATE
    assert [label.box_position_display for label in labels] == ["BOX 1/3", "BOX 2/3", "BOX 3/3"]
    assert not any(label.reprint for label in labels)


def test_label_data_query_count_is_fixed(django_assert_num_queries):
    shipment_create(boxes=2, code_prefix="AA")
    few = Box.objects.all()
    with django_assert_num_queries(2):
        assert len(label_data_for_boxes(few)) == 2

    for index in range(4):
        shipment_create(boxes=5, code_prefix=f"B{index}")
    with django_assert_num_queries(2):
        assert len(label_data_for_boxes(Box.objects.all())) == 22


def test_label_data_box_count_per_line():
    item = shipment_create(boxes=4, code_prefix="LN")
    shipment_create(boxes=2, code_prefix="LM", purchase_order=item.purchase_order)

    labels = label_data_for_boxes(Box.objects.filter(code="LM000002"))

    assert labels[0].box_position_display == "BOX 2/2"


def test_label_data_unmapped_product():
    item = shipment_create(boxes=1, code_prefix="UM")
    item.product = None
    item.vendor_product = VendorProductFactory(
        vendor=item.purchase_order.vendor, description="ROSA EXPLORER 60"
    )
    item.save()

    label = label_data_for_boxes(Box.objects.filter(po_item=item))[0]

    assert label.product == "ROSA EXPLORER 60"


def test_label_data_without_prebook_line():
    item = shipment_create(boxes=1, code_prefix="NP")
    item.prebook_item = None
    item.mark_code = "PO-MARK"
    item.save()

    label = label_data_for_boxes(Box.objects.filter(po_item=item))[0]

    assert label.customer == ""
    assert label.mark_code == "PO-MARK"


def test_label_data_po_ship_date_fallback():
    item = shipment_create(boxes=1, code_prefix="SD")
    Box.objects.filter(po_item=item).update(ship_date=None)

    label = label_data_for_boxes(Box.objects.filter(po_item=item))[0]

    assert label.ship_date == item.purchase_order.ship_date


def test_label_data_rejects_unencodable_code():
    item = shipment_create(boxes=1, code_prefix="NA")
    Box.objects.filter(po_item=item).update(code="CAJA-Ñ1")

    with pytest.raises(LabelError, match="CAJA-Ñ1"):
        label_data_for_boxes(Box.objects.filter(po_item=item))


def test_render_marks_reprints():
    item = shipment_create(boxes=2, code_prefix="RP")
    boxes = Box.objects.filter(po_item=item).order_by("sequence")
    options = LabelOptions(format="zpl")

    first = labels_render(boxes=boxes, options=options, name="PO-1")
    second = labels_render(boxes=boxes.filter(sequence=1), options=options, name="PO-1")

    assert list(boxes.values_list("labels_printed", flat=True)) == [2, 1]
    assert "^FR^FDR^FS" not in first.content.decode()
    assert "^FR^FDR^FS" in second.content.decode()
    assert first.count == 2
    assert first.filename == "labels-PO-1-4x2-203dpi.zpl"
    assert first.content_type.startswith("text/plain")
    assert label_data_for_boxes(boxes)[0].reprint is True


def test_render_pdf_starts_with_pdf_header():
    item = shipment_create(boxes=1, code_prefix="PD")

    rendered = labels_render(
        boxes=Box.objects.filter(po_item=item), options=LabelOptions(), name="x"
    )

    assert rendered.content.startswith(b"%PDF-")
    assert rendered.content_type == "application/pdf"
    assert rendered.filename == "labels-x-4x2.pdf"


def test_options_defaults():
    options = LabelOptions.from_query({})

    assert options == LabelOptions(format="pdf", stock="4x2", size="4x2", dpi=203)


def test_options_read_every_parameter():
    options = LabelOptions.from_query({"format": "ZPL", "size": "4x6", "dpi": "300"})

    assert options == LabelOptions(format="zpl", stock="4x2", size="4x6", dpi=300)
    assert options.suffix == "4x6-300dpi.zpl"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"format": "png"}, "Invalid format 'png'"),
        ({"stock": "3x1"}, "Invalid stock '3x1'"),
        ({"size": "letter"}, "Invalid size 'letter'"),
        ({"dpi": "600"}, "Invalid dpi '600'"),
        ({"dpi": "abc"}, "Invalid dpi 'abc'"),
    ],
)
def test_options_reject_invalid_values(query, message):
    with pytest.raises(LabelError, match=message):
        LabelOptions.from_query(query)


def test_batches_sweep_requeues_and_purges(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    queued = []
    monkeypatch.setattr("labels.tasks.label_batch_render.delay", queued.append)
    now = timezone.now()
    lost = LabelBatch.objects.create(description="lost", total=1)
    fresh = LabelBatch.objects.create(description="fresh", total=1)
    stale = LabelBatch.objects.create(description="stale", total=1, state="running")
    old = LabelBatch.objects.create(description="old", state="done", finished_at=now)
    old.file.save("old.pdf", ContentFile(b"%PDF-"), save=True)
    recent = LabelBatch.objects.create(description="recent", state="done", finished_at=now)
    LabelBatch.objects.filter(pk__in=[lost.pk, stale.pk]).update(
        created_at=now - datetime.timedelta(minutes=30),
        updated_at=now - datetime.timedelta(minutes=30),
    )
    LabelBatch.objects.filter(pk=old.pk).update(finished_at=now - datetime.timedelta(days=8))
    old_path = old.file.path

    counts = label_batches_sweep(now=now)

    assert sorted(queued) == sorted([lost.pk, stale.pk])
    assert counts == {"requeued": 2, "deleted": 1}
    assert not LabelBatch.objects.filter(pk=old.pk).exists()
    assert LabelBatch.objects.filter(pk__in=[fresh.pk, recent.pk]).count() == 2
    assert not os.path.exists(old_path)


def test_batch_run_skips_batch_owned_elsewhere():
    item = shipment_create(boxes=1, code_prefix="OW")
    batch = LabelBatch.objects.create(
        description="owned",
        state="running",
        total=1,
        box_ids=list(Box.objects.filter(po_item=item).values_list("pk", flat=True)),
    )

    assert label_batch_run(batch_id=batch.pk) is None
    batch.refresh_from_db()
    assert batch.state == "running"
    assert Box.objects.get().labels_printed == 0
