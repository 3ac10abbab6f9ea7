"""The beacon schema: one batch of a view's events, parsed and validated at the edge.

A batch is JSON: {"view": id, "seq": n, "device": name, "events": [...]}. Events:
  {"type": "watch", "s": 12}                 second 12 was watched (again, for a rewatch)
  {"type": "open"}                           the page opened
  {"type": "play"|"pause"|"ended", "t": 3.2} at video time t
  {"type": "seek", "from": 3.2, "t": 10.0}
  {"type": "cta", "t": 3.2}                  call-to-action click (at video time t)
  {"type": "chapter", "t": 9.0, "scene": 2}  chapter jump to time t, the start of scene 2
  {"type": "error", "message": "..."}        player error
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from smartvideo.analytics.errors import BeaconRejected, BeaconTooLarge

MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 600
MAX_MESSAGE = 200
MAX_SEQ = 1_000_000
MAX_SECONDS = 3 * 3600  # no video we make is longer
SIMPLE_TYPES = ("open", "play", "pause", "seek", "ended", "cta", "chapter", "error")
MAX_SCENES = 200
_VIEW_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_DEVICE = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")


@dataclass(frozen=True, slots=True)
class WatchEvent:
    second: int
    type: str = "watch"


@dataclass(frozen=True, slots=True)
class SimpleEvent:
    type: str
    t: float | None = None
    t_from: float | None = None
    message: str | None = None
    scene: int | None = None  # chapter: the scene jumped to


Event = WatchEvent | SimpleEvent


@dataclass(frozen=True, slots=True)
class BeaconBatch:
    view: str
    seq: int
    device: str
    events: tuple[Event, ...]

    def seconds(self) -> list[int]:
        return [e.second for e in self.events if isinstance(e, WatchEvent)]


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise BeaconRejected(f"{what} must be a number")
    if not 0 <= value <= MAX_SECONDS + 1:
        raise BeaconRejected(f"{what} out of range")
    return float(value)


def _event(raw: object, index: int) -> Event:
    if not isinstance(raw, dict):
        raise BeaconRejected(f"event {index} must be an object")
    kind = raw.get("type")
    if kind == "watch":
        second = raw.get("s")
        if len(raw) != 2 or second is None:
            raise BeaconRejected(f"event {index}: a watch event has exactly 'type' and 's'")
        if type(second) is not int or not 0 <= second <= MAX_SECONDS:  # bool is not int here
            raise BeaconRejected(f"event {index}: s must be a whole second in 0..{MAX_SECONDS}")
        return WatchEvent(second)
    if kind not in SIMPLE_TYPES:
        raise BeaconRejected(f"event {index}: unknown type {str(kind)[:20]!r}")
    if set(raw) - {"type", "t", "from", "message", "scene"} or ("scene" in raw and kind != "chapter"):
        raise BeaconRejected(f"event {index}: unknown keys")
    scene = raw.get("scene")
    if scene is not None and (type(scene) is not int or not 0 <= scene < MAX_SCENES):
        raise BeaconRejected(f"event {index}: scene must be a scene index in 0..{MAX_SCENES - 1}")
    t = _number(raw["t"], f"event {index}: t") if raw.get("t") is not None else None
    t_from = _number(raw["from"], f"event {index}: from") if raw.get("from") is not None else None
    message = raw.get("message")
    if message is not None:
        if not isinstance(message, str):
            raise BeaconRejected(f"event {index}: message must be text")
        if len(message) > MAX_MESSAGE:
            raise BeaconTooLarge(f"event {index}: message longer than {MAX_MESSAGE} characters")
    return SimpleEvent(kind, t, t_from, message, scene)


def parse_beacon(body: bytes) -> BeaconBatch:
    """Bytes of a POST body -> a validated batch; BeaconRejected / BeaconTooLarge otherwise."""
    if len(body) > MAX_BODY_BYTES:
        raise BeaconTooLarge(f"beacon larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # `[` x 60,000 nests past the parser
        raise BeaconRejected("beacon is not JSON") from None
    if not isinstance(data, dict):
        raise BeaconRejected("beacon must be a JSON object")
    if set(data) - {"view", "seq", "device", "events"}:
        raise BeaconRejected("beacon has unknown keys")
    view, seq, device, events = (
        data.get("view"),
        data.get("seq"),
        data.get("device"),
        data.get("events"),
    )
    if not isinstance(view, str) or not _VIEW_ID.match(view):
        raise BeaconRejected("view must be 8-64 letters, digits, - or _")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise BeaconRejected(f"seq must be a whole number in 0..{MAX_SEQ}")
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise BeaconRejected("device must be a device profile name")
    if not isinstance(events, list) or not events:
        raise BeaconRejected("events must be a non-empty list")
    if len(events) > MAX_EVENTS:
        raise BeaconTooLarge(f"more than {MAX_EVENTS} events in one beacon")
    return BeaconBatch(view, seq, device, tuple(_event(e, i) for i, e in enumerate(events)))


def check_plausible(batch: BeaconBatch, n_seconds: int | None) -> None:
    """Every watched second and video time must fit the video's length (1 s of slack for players).

    Before the render's plan is timed the length is unknown (None): the parser's bounds apply, and
    the seconds count (a viewer of the progressive stream who leaves early is the one who matters).
    """
    for event in batch.events:
        if isinstance(event, WatchEvent):
            if n_seconds is not None and event.second > n_seconds:
                raise BeaconRejected(f"second {event.second} is past the video's end ({n_seconds} s)")
        elif n_seconds is not None:
            for value in (event.t, event.t_from):
                if value is not None and value > n_seconds + 1:
                    raise BeaconRejected(f"time {value} is past the video's end ({n_seconds} s)")


def events_to_json(events: tuple[Event, ...]) -> str:
    """A validated batch's events, compact, for the inbox: a watched second as its number, any
    other event as [type, t, from, message, scene]."""
    return json.dumps([e.second if type(e) is WatchEvent else [e.type, e.t, e.t_from, e.message, e.scene]  # type: ignore[union-attr]
                       for e in events], separators=(",", ":"))


def events_from_json(text: str) -> tuple[Event, ...]:
    """The events `events_to_json` wrote (they were validated before they were stored)."""
    return tuple(WatchEvent(raw) if type(raw) is int else SimpleEvent(*raw) for raw in json.loads(text))
