"""Author previews: stills of every scene without encoding video."""

from pathlib import Path

from PIL import Image

from smartvideo.render.devices import PROFILES
from smartvideo.render.planner import PlanInputs, plan_video
from smartvideo.render.preview import contact_sheet, scene_still
from smartvideo.render.scene_loader import load_library

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
RECORD = {"id": "C1", "customer": {"first_name": "Anna"},
          "bill": {"total": 135.2, "lines": [{"name": "Calls", "amount": 10}, {"name": "Data", "amount": 5}]}}


def plan_for(device: str):
    inputs = PlanInputs(story_id="mini", record=RECORD, device=PROFILES[device], variant="A")
    return plan_video(load_library(MINI), inputs, lambda text, profile: 1.5, lambda path: "h")


def test_still_has_the_frame_size_and_shows_the_layers():
    plan = plan_for("portrait")
    still = scene_still(plan.scenes[1], plan.device)
    assert still.size == (720, 1280)
    background_only = scene_still(plan.scenes[1].__class__(**{**{f: getattr(plan.scenes[1], f) for f in
                                  plan.scenes[1].__dataclass_fields__}, "layers": ()}), plan.device)
    assert still.tobytes() != background_only.tobytes()


def test_contact_sheet_holds_every_scene():
    sheet = contact_sheet(plan_for("landscape"), columns=2, width=1000)
    assert isinstance(sheet, Image.Image) and sheet.width == 1000
    assert sheet.height > 250
