"""The render benchmark's new customers are real records: the story plans them (the figures would
otherwise come from a benchmark that fails before it measures anything)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from smartvideo.bench.render import CUSTOMER, STORY, new_customer
from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.settings import RenderSettings


def test_a_benchmark_customer_is_a_new_valid_record_with_other_figures(content_root: Path, tmp_path: Path) -> None:
    renderer = Renderer(RenderSettings(content_root=content_root, cache_dir=tmp_path, work_dir=tmp_path / "p"))
    base = dict(renderer.record_for(RenderRequest(story=STORY, customer=CUSTOMER, output=tmp_path / "x.mp4")))
    record = new_customer(base, 2)
    checked = renderer.record_for(RenderRequest(story=STORY, customer=record["id"], output=tmp_path / "x.mp4",
                                                record=record))
    assert checked["id"] != base["id"]
    assert checked["bill"]["total"] == base["bill"]["total"] + 3 * Decimal("1.37")
