"""Adaptive variants: Thompson sampling over a story's variants, fed by real beacon events."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from nba_support import NOW, ROOT, SECRET, send_beacon
from sqlalchemy import Engine

from smartvideo.errors import SceneError
from smartvideo.links import create_link
from smartvideo.nba.adaptive import allocation_shares
from smartvideo.nba.adaptive_links import AdaptiveVariants, story_allocation
from smartvideo.nba.report import allocation_report, allocation_text
from smartvideo.render.scene_loader import Library, parse_story


def test_traffic_moves_to_the_winner_and_every_variant_keeps_its_share() -> None:
    shares = allocation_shares({"full": (1000, 20), "short": (1000, 80)}, 0.1, random.Random(1))
    assert shares["short"] > 0.85
    assert shares["full"] >= 0.08  # min_share 0.1, within Monte Carlo noise
    fresh = allocation_shares({"full": (0, 0), "short": (0, 0)}, 0.1, random.Random(1))
    assert fresh["full"] == pytest.approx(0.5, abs=0.05)


def test_the_shipped_upgrade_offer_is_adaptive(library: Library) -> None:
    allocation = library.stories["upgrade_offer"].allocation
    assert allocation is not None and (allocation.reward, allocation.min_share) == ("cta", 0.1)


@pytest.mark.parametrize(("line", "message"), [
    ("allocation: adaptve", "'mode' must be one of fixed, adaptive"),
    ("allocation: {mode: adaptive, min_share: 0.6}", "min_share of 0.6 for 2 variants is over 100%"),
])
def test_a_wrong_allocation_is_reported_at_its_line(tmp_path: Path, line: str, message: str) -> None:
    text = (ROOT / "scenes" / "stories" / "upgrade_offer.yaml").read_text()
    text = "\n".join(line if s.startswith("allocation:") else s for s in text.splitlines())
    (tmp_path / "scenes" / "stories").mkdir(parents=True)
    for name in ("assets", "data"):
        (tmp_path / name).symlink_to(ROOT / name)
    path = tmp_path / "scenes" / "stories" / "upgrade_offer.yaml"
    path.write_text(text)
    with pytest.raises(SceneError, match=message) as caught:
        parse_story(tmp_path, path)
    assert caught.value.line == text.splitlines().index(line) + 1


def test_new_links_follow_the_variant_that_gets_more_ctas(sql: Engine, library: Library) -> None:
    variants = AdaptiveVariants(sql, ROOT, random.Random(1))
    week = dt.timedelta(days=7)
    for i in range(30):  # earlier views: 'short' gets its CTA clicked, 'full' hardly
        variant = ("full", "short")[i % 2]
        link = create_link(sql, SECRET, "upgrade_offer", f"C{i}", week, variant=variant)
        clicked = variant == "short" or i == 0
        send_beacon(sql, link, [{"type": "open"}, *([{"type": "cta", "t": 2.0}] if clicked else [])],
                    view=f"view-{i:04d}")
    picks = []
    for _ in range(60):
        link = create_link(sql, SECRET, "upgrade_offer", "C1001", week, now=NOW)
        assert link.variant is None
        picks.append(variants.choose_for_link(link, SECRET, now=NOW).variant)
    assert picks.count("short") > 40 and picks.count("full") >= 1
    report = allocation_report(sql, library.stories["upgrade_offer"])
    assert report["over_time"] == [{"day": NOW.date().isoformat(), "full": picks.count("full"),
                                    "short": picks.count("short")}]
    assert {v["variant"]: v["successes"] for v in report["variants"]} == {"full": 1, "short": 15}
    assert "new links per day" in allocation_text(report)


def test_fixed_stories_and_chosen_variants_are_left_alone(sql: Engine) -> None:
    variants = AdaptiveVariants(sql, ROOT, random.Random(1))
    fixed = create_link(sql, SECRET, "first_bill", "C1001", dt.timedelta(days=7), now=NOW)
    assert variants.choose_for_link(fixed, SECRET, now=NOW).variant is None
    forced = create_link(sql, SECRET, "upgrade_offer", "C1001", dt.timedelta(days=7), variant="full", now=NOW)
    assert variants.choose_for_link(forced, SECRET, now=NOW).variant == "full"


def test_the_allocation_read_from_the_story_file_is_the_librarys(library: Library) -> None:
    for story in library.stories.values():
        found = story_allocation(ROOT, story.id)
        if story.allocation is None:
            assert found is None, story.id
        else:
            assert found is not None and found.allocation == story.allocation
            assert found.variants == tuple(v.name for v in story.variants)
    assert story_allocation(ROOT, "no_such_story") is None
    assert story_allocation(ROOT, "../stories/upgrade_offer") is None  # an id, never a path


def test_an_edited_story_file_is_read_again(tmp_path: Path) -> None:
    (tmp_path / "scenes" / "stories").mkdir(parents=True)
    for name in ("assets", "data"):
        (tmp_path / name).symlink_to(ROOT / name)
    path = tmp_path / "scenes" / "stories" / "upgrade_offer.yaml"
    text = (ROOT / "scenes" / "stories" / "upgrade_offer.yaml").read_text()
    path.write_text(text)
    assert story_allocation(tmp_path, "upgrade_offer") is not None
    path.write_text("\n".join("allocation: fixed" if s.startswith("allocation:") else s for s in text.splitlines()))
    assert story_allocation(tmp_path, "upgrade_offer") is None
