"""The render core: scene loading, planning, drawing, voice, encoding, audio and captions.

Everything here works from files and a customer record; nothing imports Flask, Celery, Redis or
SQL. `plan.py` holds the frozen RenderPlan, `planner.py` makes it (pure), `renderer.py` turns it
into an MP4 (the only part that runs ffmpeg and the TTS engines, through `ffmpeg_exec` and `voice`).
"""
