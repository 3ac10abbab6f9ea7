"""Device profiles: the frame size and bitrate a viewer's device gets."""

from __future__ import annotations

import re

from smartvideo.errors import SmartVideoError
from smartvideo.render.plan import DeviceProfile

PROFILES: dict[str, DeviceProfile] = {
    "landscape": DeviceProfile("landscape", 1280, 720, video_bitrate="2500k", crf=23),
    "portrait": DeviceProfile("portrait", 720, 1280, video_bitrate="2500k", crf=23),
    "square": DeviceProfile("square", 1080, 1080, video_bitrate="3000k", crf=23),
    # For weak networks: smaller frame, tighter bitrate ceiling.
    "lite": DeviceProfile("lite", 854, 480, video_bitrate="900k", crf=27),
}

_PHONE = re.compile(r"iPhone|Android.+Mobile|Windows Phone|Mobile Safari|Opera Mini|IEMobile", re.I)
_WEAK = re.compile(r"Opera Mini|KaiOS|UCBrowser|Android [1-6]\.", re.I)


def device_profile(name: str) -> DeviceProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise SmartVideoError(f"unknown device '{name}' (known: {', '.join(PROFILES)})") from None


def pick_device(query: str | None, user_agent: str | None) -> DeviceProfile:
    """The `device` query parameter wins; else phones get portrait (lite when weak), others landscape."""
    if query and query in PROFILES:
        return PROFILES[query]
    ua = user_agent or ""
    if _WEAK.search(ua):
        return PROFILES["lite"]
    if _PHONE.search(ua):
        return PROFILES["portrait"]
    return PROFILES["landscape"]
