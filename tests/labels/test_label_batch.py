"""Large label downloads rendered by a real Celery worker into a LabelBatch file."""

import pytest
from django.urls import reverse

from labels.models import LabelBatch
from orders.models import Box
from tests.conftest import wait_until
from tests.labels.test_label_views import decode_pdf_barcodes
from tests.receiving.shipments import shipment_create, warehouse_user


def _finished(client, batch_id: int) -> dict:
    status: dict = {}

    def poll() -> bool:
        status.update(client.get(reverse("labels:batch_status", args=[batch_id])).json())
        return status["state"] in ("done", "failed")

    wait_until(poll, timeout=60, interval=0.3, message=f"label batch {batch_id} to finish")
    return status


@pytest.fixture
def warehouse_client(client, transactional_db):
    client.force_login(warehouse_user())
    return client


def test_batch_rendered_by_worker(celery_worker_process, warehouse_client, settings):
    settings.LABELS_INLINE_MAX_BOXES = 10
    item = shipment_create(boxes=12, code_prefix="BT")

    response = warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]))
    batch = LabelBatch.objects.get()
    status = _finished(warehouse_client, batch.pk)

    assert response.status_code == 302
    assert status["state"] == "done", celery_worker_process.log()
    assert status["percent"] == 100
    assert status["progress"] == 12
    assert status["total"] == 12
    assert status["downloadUrl"] == reverse("labels:batch_download", args=[batch.pk])
    download = warehouse_client.get(status["downloadUrl"])
    content = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert decode_pdf_barcodes(content) == [f"BT{index:06d}" for index in range(1, 13)]
    assert set(Box.objects.values_list("labels_printed", flat=True)) == {1}
    page = warehouse_client.get(reverse("labels:batch", args=[batch.pk]))
    assert b"Download the labels" in page.content
    batch.refresh_from_db()
    batch.file.delete(save=False)


def test_batch_skips_unencodable_box(celery_worker_process, warehouse_client, settings):
    settings.LABELS_INLINE_MAX_BOXES = 1
    item = shipment_create(boxes=2, code_prefix="BF")
    Box.objects.filter(sequence=2).update(code="CAJA-Ñ2")

    warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]), {"format": "zpl"})
    batch = LabelBatch.objects.get()
    status = _finished(warehouse_client, batch.pk)

    assert status["state"] == "done"
    assert status["skippedBoxCodes"] == ["CAJA-Ñ2"]
    assert "CAJA-Ñ2" in status["skippedMessage"]
    download = warehouse_client.get(status["downloadUrl"])
    content = b"".join(download.streaming_content).decode()
    assert content.count("^XA") == 1
    assert "BF000001" in content
    assert download["X-Skipped-Boxes"] == '["CAJA-\\u00d12"]'
    assert download["X-Skipped-Box-Count"] == "1"
    printed = dict(Box.objects.values_list("code", "labels_printed"))
    assert printed == {"BF000001": 1, "CAJA-Ñ2": 0}
    page = warehouse_client.get(reverse("labels:batch", args=[batch.pk]))
    assert "CAJA-Ñ2" in page.content.decode()


def test_batch_fails_when_every_box_skipped(celery_worker_process, warehouse_client, settings):
    settings.LABELS_INLINE_MAX_BOXES = 1
    item = shipment_create(boxes=2, code_prefix="BF")
    Box.objects.filter(sequence=1).update(code="CAJA-Ñ1")
    Box.objects.filter(sequence=2).update(code="CAJA-Ñ2")

    warehouse_client.get(reverse("labels:po", args=[item.purchase_order.pk]), {"format": "zpl"})
    batch = LabelBatch.objects.get()
    status = _finished(warehouse_client, batch.pk)

    assert status["state"] == "failed"
    assert "CAJA-Ñ1" in status["error"]
    assert "CAJA-Ñ2" in status["error"]
    assert status["downloadUrl"] == ""
    assert set(Box.objects.values_list("labels_printed", flat=True)) == {0}
    page = warehouse_client.get(reverse("labels:batch", args=[batch.pk]))
    assert "CAJA-Ñ2" in page.content.decode()
