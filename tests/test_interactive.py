"""Chapters and the call to action come from the plan: scene titles, the story's cta_url and its cta layer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smartvideo.data_sources import FileCustomerSource
from smartvideo.render.devices import PROFILES
from smartvideo.render.interactive import DEFAULT_CTA_LABEL, call_to_action, chapters_of, chapters_webvtt
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.scene_loader import load_library

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def first_bill():  # noqa: ANN201
    lib = load_library(ROOT)
    record = FileCustomerSource(ROOT / "data" / "customers.json").get("C1001")
    inputs = PlanInputs(story_id="first_bill", record=record, device=PROFILES["landscape"], variant="A")
    return plan_video(lib, inputs, lambda text, profile: len(text.split()) / 2.5, lambda path: "hash")


def test_each_titled_scene_starts_a_chapter_that_runs_to_the_next(first_bill) -> None:  # noqa: ANN001
    chapters = chapters_of(first_bill)
    assert [c.title for c in chapters] == [s.title for s in first_bill.scenes]
    assert chapters[0].start == 0.0 and chapters[-1].end == first_bill.duration
    assert all(a.end == b.start for a, b in zip(chapters, chapters[1:], strict=False))


def test_an_untitled_scene_belongs_to_the_chapter_before_it(first_bill) -> None:  # noqa: ANN001
    untitled = dataclasses.replace(first_bill.scenes[1], title="")
    plan = dataclasses.replace(first_bill, scenes=(first_bill.scenes[0], untitled, *first_bill.scenes[2:]))
    chapters = chapters_of(plan)
    assert len(chapters) == len(first_bill.scenes) - 1
    assert chapters[0].end == first_bill.scenes[2].start


def test_the_cta_is_the_storys_url_labelled_and_timed_by_its_cta_layer(first_bill) -> None:  # noqa: ANN001
    cta = call_to_action(first_bill)
    assert cta is not None
    assert cta.url == "https://my.nova.example/bill" and cta.label == "View your bill"
    last = first_bill.scenes[-1]
    assert cta.start == pytest.approx(last.start + 0.8)
    assert cta.box == pytest.approx((0.32, 0.64, 0.36, 0.13), abs=0.01)  # over the drawn button


def test_without_a_cta_layer_the_cta_shows_over_the_last_scene(first_bill) -> None:  # noqa: ANN001
    scenes = tuple(dataclasses.replace(s, layers=tuple(la for la in s.layers if la.kind != "cta"))
                   for s in first_bill.scenes)
    cta = call_to_action(dataclasses.replace(first_bill, scenes=scenes))
    assert cta is not None and cta.label == DEFAULT_CTA_LABEL and cta.start == scenes[-1].start and cta.box is None
    assert call_to_action(dataclasses.replace(first_bill, cta_url=None)) is None


def test_chapters_are_a_webvtt_document_with_escaped_titles(first_bill) -> None:  # noqa: ANN001
    chapters = chapters_of(first_bill)
    text = chapters_webvtt((dataclasses.replace(chapters[0], title="Bills & <you>"), *chapters[1:]))
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "Bills &amp; &lt;you&gt;" in text
    assert text.count(" --> ") == len(chapters)
