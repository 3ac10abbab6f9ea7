"""Celery entry point for scaled mode: `celery -A worker worker` (config from SMARTVIDEO_* variables).

The worker renders videos (jobs/celery_app.py) and sends campaigns' invitations (campaigns/tasks.py).
"""

from smartvideo.campaigns.tasks import register_campaign_tasks
from smartvideo.jobs.celery_app import celery_from_environment, job_context

app = celery_from_environment()
register_campaign_tasks(app, job_context)
