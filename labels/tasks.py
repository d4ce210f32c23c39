"""Background rendering of large label downloads."""

from celery import shared_task

from labels.services import label_batch_run, label_batches_sweep


# A 10,000-label PDF batch took 25 to 30 s on a 2-core AMD EPYC (bench/labels_download.py),
# so the limits leave room for larger batches, slower hosts and a busy worker.
@shared_task(acks_late=True, soft_time_limit=900, time_limit=960)
def label_batch_render(batch_id: int) -> None:
    label_batch_run(batch_id=batch_id)


@shared_task(name="labels.batches_sweep", soft_time_limit=120, time_limit=180, ignore_result=True)
def label_batches_sweep_task() -> None:
    label_batches_sweep()
