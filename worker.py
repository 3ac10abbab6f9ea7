"""Celery entry point for scaled mode: `celery -A worker worker` (config from SMARTVIDEO_* variables)."""

from smartvideo.jobs.celery_app import celery_from_environment

app = celery_from_environment()
