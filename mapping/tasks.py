"""Celery tasks of the mapping app; the work itself is in `mapping.release`."""

from celery import shared_task

from mapping.release import mapping_release_run as release_run
from mapping.release import mapping_releases_sweep as releases_sweep


@shared_task(name="mapping.release_run", acks_late=True, ignore_result=True)
def mapping_release_run(release_id: int) -> None:
    """Release what a mapping held; safe to deliver twice (see `mapping.release`)."""
    release_run(release_id=release_id)


@shared_task(name="mapping.releases_sweep", soft_time_limit=60, time_limit=90, ignore_result=True)
def mapping_releases_sweep() -> int:
    """Re-enqueue releases whose task was lost (Celery beat, every minute)."""
    return releases_sweep()
