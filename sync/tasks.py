"""Celery tasks of the sync app; the work is done in sync.delivery."""

from celery import shared_task
from django.conf import settings

from sync import delivery

# A delivery never needs more than one HTTP exchange, so its limits follow the timeouts.
# NOTE: Celery enforces time limits only in the prefork pool; in the threads pool the
# request timeouts are the bound.
DELIVERY_SOFT_TIME_LIMIT = int(settings.PUSH_CONNECT_TIMEOUT + settings.PUSH_READ_TIMEOUT) + 15
DELIVERY_TIME_LIMIT = DELIVERY_SOFT_TIME_LIMIT + 15


@shared_task(
    name="sync.exchange_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=DELIVERY_SOFT_TIME_LIMIT,
    time_limit=DELIVERY_TIME_LIMIT,
    ignore_result=True,
)
def exchange_deliver(exchange_id: int) -> str:
    """Deliver one outbox row; safe to run more than once because the row is claimed first."""
    return delivery.exchange_deliver(exchange_id=exchange_id)


@shared_task(name="sync.outbox_sweep", soft_time_limit=60, time_limit=90, ignore_result=True)
def outbox_sweep() -> dict:
    """Release rows stuck in flight and re-enqueue due rows (Celery beat, every 30 s)."""
    result = delivery.outbox_sweep()
    return {"released": result.released, "enqueued": result.enqueued}
