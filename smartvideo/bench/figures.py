"""What every benchmark prints: one figure per JSON line, the median of several runs, and the machine."""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import statistics
from pathlib import Path
from typing import Any


def machine() -> str:
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.machine()} {os.cpu_count()} cores, {python}"


def figure(name: str, values: list[float], unit: str, runs: int | None = None, **extra: Any) -> dict[str, Any]:
    """One benchmark figure: the median of `values`, with min, max and the machine."""
    return {"name": name, "value": round(statistics.median(values), 4), "unit": unit,
            "runs": runs if runs is not None else len(values), "min": round(min(values), 4),
            "max": round(max(values), 4), "machine": machine(), **extra}


def emit(name: str, values: list[float], unit: str, **extra: Any) -> dict[str, Any]:
    """Print a figure as a JSON line, and return it."""
    result = figure(name, values, unit, **extra)
    print(json.dumps(result), flush=True)
    return result


def free_port() -> int:
    """A free TCP port on loopback, for a server a benchmark starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg, sending processes), user + system."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stat_cpu_seconds(stat: str) -> float:
    """CPU-seconds (user + system) from a /proc stat file: `/proc/PID/stat` for a process,
    `/proc/self/task/TID/stat` for a thread; 0.0 where there is none."""
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
