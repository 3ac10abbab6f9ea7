"""The edge to the ffmpeg binary: where it is, running it with clean errors, and what each run cost.

Every ffmpeg process is reaped with its own resource usage (os.wait4), so a listener (see
`watch_ffmpeg`, used by the render benchmark) hears each process's CPU time by what it was for.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from smartvideo.errors import RenderError


@dataclass(frozen=True, slots=True)
class FfmpegRun:
    """One finished ffmpeg process: what it was for, and its CPU-seconds (user + system) and wall time."""

    what: str
    cpu_s: float
    wall_s: float


_listeners: list[Callable[[FfmpegRun], None]] = []
_listeners_lock = threading.Lock()


@contextmanager
def watch_ffmpeg(listener: Callable[[FfmpegRun], None]) -> Iterator[None]:
    """Tell `listener` about every ffmpeg process that finishes in this process while inside."""
    with _listeners_lock:
        _listeners.append(listener)
    try:
        yield
    finally:
        with _listeners_lock:
            _listeners.remove(listener)


@functools.cache
def ffmpeg_binary() -> str:
    """SMARTVIDEO_FFMPEG if set, else the binary shipped in the imageio-ffmpeg wheel, else PATH."""
    configured = os.environ.get("SMARTVIDEO_FFMPEG")
    if configured:
        return configured
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise RenderError("no ffmpeg found: install the imageio-ffmpeg wheel or set SMARTVIDEO_FFMPEG")


def ffmpeg_stderr(args: Sequence[str], what: str, timeout: float = 600) -> tuple[int, str]:
    """Run ffmpeg with args (without the binary); returns its exit status and what it wrote to stderr
    (meters such as ebur128 report there). Stdout is discarded."""
    started = time.perf_counter()
    timed_out = threading.Event()
    with subprocess.Popen([ffmpeg_binary(), *args], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:
        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            assert proc.stderr is not None
            stderr = proc.stderr.read()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if timed_out.is_set():
        raise RenderError(f"{what}: ffmpeg took longer than {timeout:.0f} s")
    run = FfmpegRun(what, usage.ru_utime + usage.ru_stime, time.perf_counter() - started)
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(run)
    return proc.returncode, stderr.decode(errors="replace")


def run_ffmpeg(args: Sequence[str], what: str, timeout: float = 600) -> None:
    """Run ffmpeg with args (without the binary); failure raises RenderError with its last lines."""
    returncode, stderr = ffmpeg_stderr(["-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], what,
                                       timeout)
    if returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-8:])
        raise RenderError(f"{what}: ffmpeg failed (exit {returncode}): {tail}")
