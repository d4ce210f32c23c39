"""The portal's project package: settings, URLs and the Celery app."""

from komet_axerrio.celery import app as celery_app

__all__ = ("celery_app",)
