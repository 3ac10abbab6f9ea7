"""Campaign throughput: invitations per second to a real local SMTP server (aiosmtpd).

A content root like the bundled one, whose customer file holds N customers (`--customers`,
default 5,000) made from the sample ones with their own ids, first names and addresses, gets a
campaign by email: checks, link, poster, message, SMTP, audit and state rows for each. Figures:
wall-clock invitations per second, CPU-milliseconds per invitation (this process and its sending
processes, the SMTP server's thread left out), and one personal poster drawn without the cache.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from smartvideo.bench.figures import cpu_seconds, emit, free_port, stat_cpu_seconds
from smartvideo.settings import bundled_content_root

FIRST_NAMES = (  # noqa: SIM905 (61 one-word literals read worse as a list)
    "Anna Max Sophie Daan Emma Lucas Julia Sem Mila Levi Tess Finn Sara Noah Eva Liam Lotte Bram "
    "Zoë Luuk Fleur Milan Nora Jesse Lisa Thijs Roos Ruben Fenna Jayden Isa Sven Yara Mees Noor "
    "Lars Evi Gijs Sanne Koen Iris Stijn Lieke Niels Femke Tim Maud Bas Jasmijn Joris Łukasz "
    "Aylin Mehmet Fatima Youssef Chen Priya Olga José Amélie Søren"
).split()


def customer_base(folder: Path, count: int) -> Path:
    """A content root (links to the bundled scenes, voices, assets) with `count` customers."""
    source = bundled_content_root()
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("scenes", "voices", "assets", "templates"):
        if (source / part).exists() and not (folder / part).exists():
            (folder / part).symlink_to(source / part)
    samples = json.loads((source / "data" / "customers.json").read_text(encoding="utf-8"))
    customers = []
    for n in range(count):
        record = json.loads(json.dumps(samples[n % len(samples)]))
        record["id"] = f"B{n + 1:06d}"
        person = record.setdefault("customer", {})
        person["first_name"] = FIRST_NAMES[n % len(FIRST_NAMES)]
        person["email"] = f"customer{n + 1}@example.com"
        person["phone"] = f"+3161{n + 1:07d}"  # a valid Dutch mobile number
        customers.append(record)
    data = folder / "data"
    data.mkdir(exist_ok=True)
    for other in (source / "data").iterdir():
        if other.name != "customers.json" and not (data / other.name).exists():
            (data / other.name).symlink_to(other)
    (data / "customers.json").write_text(json.dumps(customers), encoding="utf-8")
    return folder


class SmtpSink:
    """aiosmtpd on a free loopback port that counts what it accepts (and can be made slow, or
    answer every message with a temporary failure while `refusing` is set)."""

    def __init__(self, delay: float = 0.0):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.recipients: list[str] = []
        self.refusing = False
        self._lock = threading.Lock()
        sink = self

        class Count:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                if delay:
                    import asyncio

                    await asyncio.sleep(delay)
                if sink.refusing:
                    return "451 4.3.0 Mail server temporarily unavailable"
                with sink._lock:
                    sink.recipients.extend(envelope.rcpt_tos)
                return "250 Message accepted for delivery"

        self.controller = Controller(Count(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def cpu_seconds(self) -> float:
        """CPU time of the server's thread (Linux), so a figure can leave the server out."""
        thread = getattr(self.controller, "_thread", None)
        tid = getattr(thread, "native_id", None)
        return stat_cpu_seconds(f"/proc/self/task/{tid}/stat") if tid is not None else 0.0


def _load() -> float:
    return round(__import__("os").getloadavg()[0], 2)


def run(args: argparse.Namespace, results: dict[str, float]) -> list[dict[str, Any]]:
    import os

    from rich.console import Console

    from smartvideo.campaigns.run import CampaignOptions, CampaignRun
    from smartvideo.config import load_config
    from smartvideo.invitations import poster

    count = int(getattr(args, "customers", None) or 5000)
    # Sends at once over both sending processes. The server here answers in well under a
    # millisecond, so a few suffice; more threads only take turns on each interpreter's lock.
    concurrency = int(os.environ.get("SMARTVIDEO_BENCH_CONCURRENCY") or 4)
    figures = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-campaign-") as tmp, SmtpSink() as sink:
        root = customer_base(Path(tmp) / "content", count)
        saved = {k: os.environ.get(k) for k in ("SMARTVIDEO_SMTP_URL", "SMARTVIDEO_CONTENT_ROOT")}
        os.environ["SMARTVIDEO_SMTP_URL"] = sink.url
        os.environ["SMARTVIDEO_CONTENT_ROOT"] = str(root)
        try:
            config = load_config().with_changes(
                data_dir=Path(tmp) / "data", content_root=root, secret_key="bench-" + "x" * 32
            )
            options = CampaignOptions(
                name="bench",
                story="first_bill",
                channel="email",
                data=root / "data" / "customers.json",
                out=Path(tmp) / "links.csv",
                concurrency=concurrency,
                quiet=True,
            )
            console = Console(stderr=True, quiet=True)
            load_before = _load()
            cpu0, wall0, server0 = cpu_seconds(), time.perf_counter(), sink.cpu_seconds()
            code = CampaignRun(config, options, console, actor_name="campaign:bench").run()
            wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
            server = sink.cpu_seconds() - server0
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        delivered = len(sink.recipients)
        extra = {
            "customers": count,
            "delivered": delivered,
            "exit": code,
            "concurrency": concurrency,
            "load_1min_before": load_before,
            "load_1min_after": _load(),
        }
        figures.append(emit("campaign_invitations_per_s", [delivered / wall], "1/s", **extra))
        # This process and its sending processes, less the SMTP server's thread (a real one is
        # elsewhere); process start-up included.
        per = (cpu - server) * 1000 / max(1, delivered)
        extra["smtp_server_cpu_ms_per_invitation"] = round(server * 1000 / max(1, delivered), 2)
        figures.append(emit("campaign_cpu_ms_per_invitation", [per], "ms", **extra))
        from smartvideo.render.scene_loader import load_library

        library = load_library(root)
        times = []
        for n in range(max(3, getattr(args, "runs", 5))):
            spec = poster.poster_spec(library, "first_bill", f"Name{n}")
            start = time.process_time()
            poster.poster_image.__wrapped__(spec)
            times.append((time.process_time() - start) * 1000)
        figures.append(emit("campaign_poster_cpu_ms", times, "ms"))
    return figures
