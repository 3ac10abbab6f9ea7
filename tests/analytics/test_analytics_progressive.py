"""Real renders, real Chromium: viewers of an A/B story who leave while the video is still being made.

The story's last scene is long, so the MP4 is far from finished when each viewer, having watched
the first seconds of the progressive (HLS) stream, closes the tab. Their beacons must be accepted
(no 409) and their seconds counted, each under the variant the render was planned with: the links
name no variant, A/B picks it per customer when the render starts, as for real on-click traffic.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from analytics_support import ANALYST_KEY, SECRET, wait_until
from loopback import ServedApp
from sqlalchemy import func, select

from smartvideo.analytics.tables import events_table, views_table

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEB_FIXTURES = Path(__file__).resolve().parents[1] / "web" / "fixtures" / "content"
ROOT = Path(__file__).resolve().parents[2]
STORY_AB = """\
id: tiny_ab
title: A tiny A/B test
theme: nova
voice: joe_en
locale: en
currency: EUR
data: data/customers.json
scenes: [tiny_open, tiny_hello, tiny_long]
variants:
  A: {weight: 50}
  B: {weight: 50, scenes: [tiny_hello, tiny_long]}
"""
LONG_SCENE = """\
id: tiny_long
duration: 120
background: {video: assets/backgrounds/navy_waves.mp4}
layers:
  - text: "Goodbye {{ customer.first_name }}"  # personal: encoded on every click, never cached
    style: headline
    box: [0.1, 0.35, 0.8, 0.2]
"""


@pytest.fixture
def ab_root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(WEB_FIXTURES, root)
    (root / "scenes" / "stories" / "tiny_ab.yaml").write_text(STORY_AB)
    (root / "scenes" / "tiny_long.yaml").write_text(LONG_SCENE)
    (root / "scenes" / "themes").symlink_to(ROOT / "scenes" / "themes")
    for name in ("assets", "voices", "templates"):
        (root / name).symlink_to(ROOT / name)
    return root


@pytest.fixture
def ab_app(tmp_path: Path, ab_root: Path, shared_cache: Path):  # noqa: ANN201
    from smartvideo.web.app_factory import create_app

    application = create_app({"data_dir": tmp_path / "data", "secret_key": SECRET, "analyst_key": ANALYST_KEY,
                              "content_root": ab_root, "cache_dir": shared_cache})
    application.config["TESTING"] = True
    yield application
    application.extensions["smartvideo"].close()


@pytest.fixture
def ab_server(ab_app):  # noqa: ANN001, ANN201
    with ServedApp(ab_app) as served:
        yield served.url


def _customers_by_variant(root: Path) -> dict[str, str]:
    from smartvideo.render.planner import pick_variant
    from smartvideo.render.scene_loader import load_library

    story = load_library(root).story("tiny_ab")
    found: dict[str, str] = {}
    for customer in ("T1", "T2", "T3", "T4", "T5"):
        variant = pick_variant(story, customer)
        assert variant is not None
        found.setdefault(variant.name, customer)
    assert set(found) == {"A", "B"}, "the sample customers should cover both variants"
    return found


def test_viewers_who_leave_during_the_render_count_with_their_seconds_under_their_variants(
    ab_app, ab_server, ab_root, chromium_path, tmp_path  # noqa: ANN001
) -> None:
    import datetime as dt

    from playwright.sync_api import sync_playwright

    from smartvideo.jobs import render_rows
    from smartvideo.jobs.keys import job_key
    from smartvideo.links import create_link

    services = ab_app.extensions["smartvideo"]
    engine = services.engine
    customers = _customers_by_variant(ab_root)
    statuses: list[int] = []
    left_while: dict[str, str] = {}
    counted: dict[str, int] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium_path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
            bypass_csp=True)  # wait_for_function builds its predicate with eval, which the page's CSP refuses
        for variant, customer in sorted(customers.items()):
            link = create_link(engine, SECRET, "tiny_ab", customer, dt.timedelta(days=1))  # no variant named
            assert link.variant is None
            page = browser.new_page()
            page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/beacon") else None)
            page.goto(f"{ab_server}/v/{link.token}?device=lite")
            page.wait_for_function("document.getElementById('player').currentTime >= 1.5", timeout=120_000)
            counted[variant] = page.evaluate("window.smartvideoBeacon.counted()")
            row = render_rows.get_render(engine, job_key(link.id, "lite"))
            assert row is not None
            left_while[variant] = row.status
            page.close(run_before_unload=True)  # the tab closes: the rest goes by navigator.sendBeacon
        browser.close()
    # the point of the test: each viewer left before the MP4 existed
    assert left_while == {"A": "rendering", "B": "rendering"}

    def stored() -> bool:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events_table)).scalar_one() >= sum(counted.values())

    wait_until(stored, timeout=60.0)  # what the pages had made by then arrived (the last by sendBeacon)

    def views():  # noqa: ANN202
        with engine.connect() as conn:
            return conn.execute(select(views_table).order_by(views_table.c.variant)).all()

    # the report folds views that ended before their render's scenes were timed
    report = ab_app.test_client().get("/reports/tiny_ab.json", headers={"X-Analyst-Key": ANALYST_KEY}).json
    rows = views()
    assert statuses and all(status == 200 for status in statuses), statuses  # never 409
    assert [r.variant for r in rows] == ["A", "B"]
    assert all(r.watched_count >= 1 for r in rows)  # their seconds count
    # the plan's length was learned (by a later batch or by the report), though the MP4 was not made yet
    facts = [(r.device, bool(r.story_version), r.played, r.n_seconds > 120) for r in rows]
    assert facts == [("lite", True, True, True)] * 2
    assert rows[0].story_version != rows[1].story_version  # B has other scenes
    assert set(report["variants"]) == {"A", "B"}
    assert [s["id"] for s in report["variants"]["A"]["scenes"]] == ["tiny_open", "tiny_hello", "tiny_long"]
    assert [s["id"] for s in report["variants"]["B"]["scenes"]] == ["tiny_hello", "tiny_long"]
    assert report["scenes"] == []  # never blended across variants
    for variant in ("A", "B"):
        assert report["variants"][variant]["retention"][0] == 1.0
        assert report["variants"][variant]["play_rate"] == 1.0
