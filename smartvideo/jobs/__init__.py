"""Render jobs for clicked links: job keys, locks, rows, the task function and the runners.

One task function (`render_job.run_render_job`) is run by the Celery worker (scaled mode) and by
the embedded thread-pool runner (`smartvideo serve`); only the lock store and the runner differ.
"""
