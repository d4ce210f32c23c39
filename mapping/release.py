"""Working through a `MappingRelease`: release held pushes and carry out waiting approvals.

Each document is one transaction that locks the release row, so two deliveries of the
same task never process a document twice, and a task killed half-way resumes at `done`.
Every step is also harmless to repeat, because hold reasons are recomputed,
`outbox_release` only sends pushes still held, and an approval is carried out only while
it is waiting.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from mapping.models import ApprovalWaiting, MappingRelease

logger = logging.getLogger(__name__)


def _release_prebook(prebook_id: int) -> int:
    from orders.models import Prebook
    from orders.services.holds import prebook_refresh_holds
    from sync.services import outbox_release

    prebook = Prebook.objects.filter(pk=prebook_id).first()
    if prebook is None or prebook_refresh_holds(prebook):
        return 0  # Deleted, or still held by another unmapped code.
    return len(outbox_release(prebook=prebook))


def _release_purchase_order(po_id: int, release: MappingRelease) -> None:
    """Release the PO's held pushes, carry out waiting approvals and report a remap."""
    from orders.models import PurchaseOrder
    from orders.services.holds import purchase_order_refresh_holds
    from sync.models import ExchangeKind
    from sync.services import outbox_push_purchase_order, outbox_release

    po = PurchaseOrder.objects.filter(pk=po_id).first()
    if po is None or purchase_order_refresh_holds(po):
        return  # Deleted, or still held by another unmapped code.
    release.released_pushes += len(outbox_release(purchase_order=po))
    approved_now = _approve_waiting(po, release)
    release.approved_orders += approved_now

    # A farm that already has the approved PO hears that its lines now name another
    # product. A PO approved just now went out with the new product in its approval push.
    sent = (PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.CONFIRMED)
    if release.is_remap and not approved_now and po.status in sent:
        if outbox_push_purchase_order(po=po, kind=ExchangeKind.PO_CHANGED) is not None:
            release.changed_pushes += 1


def _approve_waiting(po, release: MappingRelease) -> int:
    """Carry out the approvals waiting on `po`; return how many succeeded."""
    from orders.services.purchase_orders import TransitionError, purchase_order_approve

    approved = 0
    waiting_rows = ApprovalWaiting.objects.select_for_update(of=("self",)).filter(
        purchase_order=po, state=ApprovalWaiting.State.WAITING
    )
    for waiting in waiting_rows.select_related("requested_by"):
        waiting.release = release
        waiting.resolved_at = timezone.now()
        try:
            with transaction.atomic():
                purchase_order_approve(po=po, actor=waiting.requested_by)
        except TransitionError as error:
            waiting.state = ApprovalWaiting.State.FAILED
            waiting.last_error = str(error)[:500]
            logger.warning("Waiting approval %s of PO %s failed: %s", waiting.pk, po.number, error)
        else:
            waiting.state = ApprovalWaiting.State.APPROVED
            approved += 1
            logger.info("PO %s approved after mapping (release %s)", po.number, release.pk)
        waiting.save(update_fields=["state", "release", "resolved_at", "last_error", "updated_at"])
    return approved


def _run_step(release_id: int, position: int) -> bool:
    """Process document `position` unless done already; return False when the release is over."""
    with transaction.atomic():
        release = MappingRelease.objects.select_for_update().get(pk=release_id)
        if release.state in (MappingRelease.State.DONE, MappingRelease.State.FAILED):
            return False
        if position < release.done:
            return True
        if position >= release.total:
            release.state = MappingRelease.State.DONE
            release.finished_at = timezone.now()
            release.save(update_fields=["state", "finished_at", "updated_at"])
            return False

        document = release.documents[position]
        if document["type"] == "prebook":
            release.released_pushes += _release_prebook(document["id"])
        else:
            _release_purchase_order(document["id"], release)
        release.done = position + 1
        release.save(
            update_fields=[
                "done", "released_pushes", "approved_orders", "changed_pushes", "updated_at"
            ]
        )
    return True


def mapping_release_run(*, release_id: int) -> MappingRelease:
    """Work through every document of a release, from where an earlier run stopped."""
    updated = MappingRelease.objects.filter(
        pk=release_id, state__in=[MappingRelease.State.PENDING, MappingRelease.State.RUNNING]
    ).update(state=MappingRelease.State.RUNNING, started_at=timezone.now())
    release = MappingRelease.objects.get(pk=release_id)
    if not updated:
        return release  # Finished or failed already; a person re-runs a failed one.

    position = release.done
    try:
        while _run_step(release_id, position):
            position += 1
    except Exception as error:  # noqa: BLE001 - recorded on the row and shown in the admin
        logger.exception("Mapping release %s failed at document %d", release_id, position)
        MappingRelease.objects.filter(pk=release_id).update(
            state=MappingRelease.State.FAILED,
            last_error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
    release.refresh_from_db()
    logger.info(
        "Mapping release %s %s: %d/%d documents, %d pushes released, %d POs approved",
        release.pk, release.state, release.done, release.total,
        release.released_pushes, release.approved_orders,
    )
    return release


def mapping_release_retry(*, release: MappingRelease) -> MappingRelease:
    """Put a failed release back in the queue; it resumes at the document that failed."""
    from mapping.services import _enqueue_release

    with transaction.atomic():
        updated = MappingRelease.objects.filter(
            pk=release.pk, state=MappingRelease.State.FAILED
        ).update(state=MappingRelease.State.PENDING, last_error="", finished_at=None)
        if updated:
            transaction.on_commit(lambda: _enqueue_release(release.pk))
    release.refresh_from_db()
    return release


# A running release saves after every document, so one untouched for this long has lost
# its broker message or its worker.
STALE_AFTER = datetime.timedelta(minutes=5)


def mapping_releases_sweep() -> int:
    """Re-enqueue pending or running releases untouched for STALE_AFTER; return the count.

    Safe while the first run is still alive, because each document is processed under
    the release row's lock and skipped once `done` has passed it.
    """
    from mapping.services import _enqueue_release

    stale = MappingRelease.objects.filter(
        state__in=[MappingRelease.State.PENDING, MappingRelease.State.RUNNING],
        updated_at__lt=timezone.now() - STALE_AFTER,
    ).values_list("pk", flat=True)
    release_ids = list(stale[:100])
    for release_id in release_ids:
        logger.warning("Mapping release %s was stale; enqueued again", release_id)
        _enqueue_release(release_id)
    return len(release_ids)
