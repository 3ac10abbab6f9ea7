#!/usr/bin/env python3
"""Generate the SmartVideo asset library for the fictional brand "Nova Telecom".

Everything under assets/backgrounds, assets/images and assets/music is produced
by this script from code alone (numpy + Pillow + the ffmpeg binary shipped with
imageio-ffmpeg), so the assets carry no third-party rights.  The only inputs
are the fonts in assets/fonts (Lato, SIL OFL).

    python tools/make_assets.py                 # regenerate everything
    python tools/make_assets.py images music    # only some groups

The script is deterministic (fixed seeds, bit-exact ffmpeg flags) and
idempotent (it simply overwrites its outputs).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

try:
    import imageio_ffmpeg
except ImportError:  # pragma: no cover
    imageio_ffmpeg = None

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
FONTS = ASSETS / "fonts"
BG_DIR = ASSETS / "backgrounds"
IMG_DIR = ASSETS / "images"
MUSIC_DIR = ASSETS / "music"

# --------------------------------------------------------------------------
# Brand palette
# --------------------------------------------------------------------------
NAVY = "#0B1F4B"
DEEP = "#123C8C"
TEAL = "#00C2A8"
CORAL = "#FF6B5B"
LIGHT = "#F5F7FB"
GOLD = "#FFC857"
WHITE = "#FFFFFF"


def rgb(hex_: str) -> tuple[int, int, int]:
    hex_ = hex_.lstrip("#")
    return tuple(int(hex_[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


def rgba(hex_: str, a: int = 255) -> tuple[int, int, int, int]:
    return (*rgb(hex_), a)


def frgb(hex_: str) -> np.ndarray:
    return np.array(rgb(hex_), dtype=np.float32) / 255.0


def ffmpeg_exe() -> str:
    if imageio_ffmpeg is not None:
        return imageio_ffmpeg.get_ffmpeg_exe()
    return "ffmpeg"


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


# ==========================================================================
# 1. Motion backgrounds
# ==========================================================================
FPS = 25
SECONDS = 8
NFRAMES = FPS * SECONDS
OUT_SIZE = 1280
TAU = 2.0 * math.pi


def smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def lerp3(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    return a + (b - a) * t[..., None]


class Grid:
    """Normalised pixel-centre coordinates in [0, 1) for a square frame."""

    def __init__(self, n: int):
        c = (np.arange(n, dtype=np.float32) + 0.5) / n
        self.n = n
        self.x, self.y = np.meshgrid(c, c)


def to_u8(img: np.ndarray, rng: np.random.Generator, dither: float = 0.9) -> np.ndarray:
    """Float RGB [0,1] -> uint8 with a little triangular dither (less banding)."""
    out = img * 255.0
    if dither:
        noise = (rng.random(img.shape, dtype=np.float32) - rng.random(img.shape, dtype=np.float32))
        out = out + noise * dither
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


# --- navy_waves -----------------------------------------------------------
def frame_navy_waves(g: Grid, i: int) -> np.ndarray:
    p = TAU * i / NFRAMES
    x, y = g.x, g.y
    navy, deep = frgb(NAVY), frgb(DEEP)
    # slow large-scale drift between navy and deep blue
    m = (0.45 + 0.22 * np.sin(TAU * (0.55 * x + 0.25 * y) + p)
         + 0.12 * np.sin(TAU * (0.35 * x - 0.45 * y) - p + 1.3)
         - 0.30 * (y - 0.5))
    img = lerp3(navy, deep, np.clip(m, 0.0, 1.0))
    # soft flowing light bands (diagonal ribbons)
    u = 0.82 * y + 0.18 * x
    band_cols = [frgb("#3F74D8"), frgb("#2FA6C9"), frgb("#5B86E5"), frgb(TEAL)]
    specs = [  # centre, width, amplitude, opacity, phase offset, speed multiplier
        (0.22, 0.075, 0.050, 0.22, 0.0, 1),
        (0.45, 0.110, 0.070, 0.16, 1.7, 1),
        (0.66, 0.060, 0.045, 0.20, 3.1, 2),
        (0.86, 0.090, 0.060, 0.12, 4.4, 1),
    ]
    for (c, w, amp, op, ph, k), col in zip(specs, band_cols):
        yc = (c + amp * np.sin(TAU * 0.9 * x + k * p + ph)
              + 0.5 * amp * np.sin(TAU * 1.7 * x - p + 2 * ph))
        d = (u - yc) / w
        glow = np.exp(-d * d) * op
        edge = np.exp(-((u - yc - 0.35 * w) / (0.12 * w)) ** 2) * op * 0.45  # thin bright edge
        a = np.clip(glow + edge, 0.0, 1.0)
        img = img + (col - img) * a[..., None]
    # gentle vignette
    r2 = (x - 0.5) ** 2 + (y - 0.5) ** 2
    img = img * (1.0 - 0.35 * smoothstep(0.12, 0.55, r2))[..., None]
    return img


# --- teal_glow ------------------------------------------------------------
def _orbs(seed: int, n: int):
    rng = np.random.default_rng(seed)
    orbs = []
    for k in range(n):
        orbs.append(dict(
            cx=rng.uniform(0.08, 0.92), cy=rng.uniform(0.08, 0.92),
            r=rng.choice([rng.uniform(0.03, 0.07), rng.uniform(0.08, 0.16), rng.uniform(0.18, 0.30)],
                         p=[0.45, 0.4, 0.15]),
            ax=rng.uniform(0.02, 0.07), ay=rng.uniform(0.02, 0.07),
            fx=int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1),
            fy=int(rng.integers(1, 3)) * (1 if rng.random() < 0.5 else -1),
            phx=rng.uniform(0, TAU), phy=rng.uniform(0, TAU),
            col=[TEAL, TEAL, "#4FE3CF", "#2E6BD6", "#7FB2FF"][int(rng.integers(0, 5))],
            op=rng.uniform(0.10, 0.32),
            soft=rng.uniform(0.08, 0.55),
            pulse=rng.uniform(0, TAU),
        ))
    return orbs


TEAL_ORBS = _orbs(7, 18)


def frame_teal_glow(g: Grid, i: int) -> np.ndarray:
    p = TAU * i / NFRAMES
    x, y = g.x, g.y
    r2 = (x - 0.42) ** 2 + (y - 0.40) ** 2
    base = lerp3(frgb("#0E3A6E"), frgb(NAVY), smoothstep(0.0, 0.45, r2))
    # large teal ambient glow drifting in a loop
    gx, gy = 0.62 + 0.10 * np.cos(p), 0.62 + 0.08 * np.sin(p)
    amb = np.exp(-((x - gx) ** 2 + (y - gy) ** 2) / 0.09) * 0.28
    img = base + (frgb("#00A892") - base) * amb[..., None]
    for o in TEAL_ORBS:
        cx = o["cx"] + o["ax"] * np.sin(o["fx"] * p + o["phx"])
        cy = o["cy"] + o["ay"] * np.cos(o["fy"] * p + o["phy"])
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2) / o["r"]
        disc = 1.0 - smoothstep(1.0 - o["soft"], 1.0, d)  # bokeh disc with soft rim
        op = o["op"] * (0.8 + 0.2 * np.sin(p + o["pulse"]))
        a = disc * op
        col = frgb(o["col"])
        img = img + (col - img) * a[..., None] * 0.9  # normal-ish blend
        img = img + col * (a * 0.15)[..., None]       # touch of additive glow
    img = img * (1.0 - 0.30 * smoothstep(0.15, 0.5, (x - 0.5) ** 2 + (y - 0.5) ** 2))[..., None]
    return np.clip(img, 0.0, 1.0)


# --- coral_sunrise --------------------------------------------------------
def frame_coral_sunrise(g: Grid, i: int) -> np.ndarray:
    p = TAU * i / NFRAMES
    x, y = g.x, g.y
    stops = [(0.00, frgb("#E2456A")), (0.38, frgb(CORAL)), (0.72, frgb("#FF9A5C")), (1.00, frgb(GOLD))]
    t = (0.70 * y + 0.30 * x
         + 0.045 * np.sin(TAU * (0.6 * x - 0.3 * y) + p)
         + 0.025 * np.sin(TAU * 1.1 * x + 2 * p + 1.0))
    t = np.clip(t, 0.0, 1.0)
    img = np.zeros(x.shape + (3,), np.float32)
    for (t0, c0), (t1, c1) in zip(stops[:-1], stops[1:]):
        seg = (t >= t0) & (t <= t1)
        s = smoothstep(t0, t1, t)
        img = np.where(seg[..., None], lerp3(c0, c1, s), img)
    # sun glow low on the right, breathing slowly
    sx, sy = 0.74 + 0.03 * np.sin(p), 0.86 + 0.025 * np.cos(p)
    d2 = (x - sx) ** 2 + (y - sy) ** 2
    sun = np.exp(-d2 / (0.05 + 0.006 * np.sin(p + 0.5))) * 0.55
    img = img + (frgb("#FFF1C9") - img) * sun[..., None]
    # soft rays fanning from the sun, angle swaying
    ang = np.arctan2(y - sy, x - sx)
    rays = 0.5 + 0.5 * np.cos(9.0 * ang + 0.35 * np.sin(p) + 0.6)
    rays = rays ** 3 * smoothstep(0.9, 0.05, np.sqrt(d2)) * 0.10
    img = img + (frgb("#FFE7B0") - img) * rays[..., None]
    # big translucent circles
    for cx, cy, r, ph in ((0.18, 0.22, 0.30, 0.0), (0.90, 0.30, 0.20, 2.0)):
        cxx = cx + 0.03 * np.cos(p + ph)
        cyy = cy + 0.03 * np.sin(p + ph)
        d = np.sqrt((x - cxx) ** 2 + (y - cyy) ** 2)
        a = (1.0 - smoothstep(r - 0.01, r + 0.01, d)) * 0.07
        img = img + (frgb("#FFFFFF") - img) * a[..., None]
    return np.clip(img, 0.0, 1.0)


# --- light_grid -----------------------------------------------------------
def _sd_box(qx, qy, bx, by):
    dx, dy = np.abs(qx) - bx, np.abs(qy) - by
    return np.hypot(np.maximum(dx, 0), np.maximum(dy, 0)) + np.minimum(np.maximum(dx, dy), 0)


def _sd_tri(qx, qy, r):
    k = math.sqrt(3.0)
    px = np.abs(qx) - r
    py = -qy + r / k  # point up (image y grows downwards)
    flip = px + k * py > 0
    px2 = np.where(flip, (px - k * py) / 2, px)
    py2 = np.where(flip, (-k * px - py) / 2, py)
    px2 = px2 - np.clip(px2, -2 * r, 0)
    return -np.hypot(px2, py2) * np.sign(py2)


LIGHT_SHAPES = [
    # kind, cx, cy (fraction), size px@640, colour, stroke px, fill opacity, stroke opacity, drift, freq, spin turns
    ("ring", 0.14, 0.18, 60, TEAL, 3.0, 0.00, 0.55, 0.025, (1, 1), 0),
    ("box", 0.84, 0.14, 44, DEEP, 3.0, 0.00, 0.35, 0.020, (1, -1), 1),
    ("tri", 0.88, 0.78, 52, CORAL, 3.0, 0.00, 0.45, 0.025, (-1, 1), 1),
    ("plus", 0.10, 0.80, 22, TEAL, 0.0, 0.55, 0.00, 0.020, (1, 2), 1),
    ("disc", 0.76, 0.48, 120, TEAL, 0.0, 0.07, 0.00, 0.030, (1, 1), 0),
    ("disc", 0.22, 0.58, 90, DEEP, 0.0, 0.05, 0.00, 0.030, (-1, 1), 0),
    ("ring", 0.62, 0.90, 26, GOLD, 3.0, 0.00, 0.70, 0.020, (2, 1), 0),
    ("plus", 0.58, 0.08, 16, CORAL, 0.0, 0.45, 0.00, 0.015, (1, -2), -1),
    ("box", 0.30, 0.92, 22, TEAL, 0.0, 0.25, 0.00, 0.020, (-1, -1), -1),
    ("ring", 0.40, 0.20, 18, DEEP, 0.0, 0.14, 0.00, 0.020, (1, 1), 0),
    ("ring", 0.95, 0.55, 14, DEEP, 2.5, 0.00, 0.40, 0.015, (1, 2), 0),
    ("disc", 0.05, 0.40, 9, CORAL, 0.0, 0.55, 0.00, 0.015, (2, 1), 0),
]


def frame_light_grid(g: Grid, i: int) -> np.ndarray:
    t = i / NFRAMES
    p = TAU * t
    n = g.n
    px, py = g.x * n, g.y * n  # pixel units at render size
    img = np.empty((n, n, 3), np.float32)
    img[:] = frgb(LIGHT)
    # (kept perfectly flat: a faint gradient would band/contour after encoding)
    # dot grid scrolling exactly one cell diagonally per loop
    cell = 32.0
    ox = (px - t * cell) % cell - cell / 2
    oy = (py - t * cell) % cell - cell / 2
    dot = 1.0 - smoothstep(1.0, 2.2, np.hypot(ox, oy))
    img = img + (frgb("#C9D3E6") - img) * (dot * 0.85)[..., None]
    # thin line grid every 4 cells, same scroll
    big = cell * 4
    lx = np.abs((px - t * cell) % big - big / 2)
    ly = np.abs((py - t * cell) % big - big / 2)
    line = np.maximum(1.0 - smoothstep(0.3, 1.3, big / 2 - lx),
                      1.0 - smoothstep(0.3, 1.3, big / 2 - ly))
    img = img + (frgb("#E2E8F3") - img) * (line * 0.9)[..., None]

    for kind, cx, cy, s, col, stroke, fop, sop, drift, (fx, fy), spin in LIGHT_SHAPES:
        ccx = (cx + drift * math.sin(fx * p)) * n
        ccy = (cy + drift * math.cos(fy * p)) * n
        # rotation: full symmetric step over one loop (seamless)
        sym = {"box": 4, "plus": 4, "tri": 3}.get(kind, 1)
        ang = spin * t * TAU / sym
        pad = s * 1.6 + 4
        x0, x1 = int(max(0, ccx - pad)), int(min(n, ccx + pad + 1))
        y0, y1 = int(max(0, ccy - pad)), int(min(n, ccy + pad + 1))
        if x0 >= x1 or y0 >= y1:
            continue
        qx = px[y0:y1, x0:x1] - ccx
        qy = py[y0:y1, x0:x1] - ccy
        ca, sa = math.cos(ang), math.sin(ang)
        rx, ry = ca * qx + sa * qy, -sa * qx + ca * qy
        if kind in ("ring", "disc"):
            d = np.hypot(rx, ry) - s
        elif kind == "box":
            d = _sd_box(rx, ry, s * 0.78, s * 0.78) - s * 0.22
        elif kind == "tri":
            d = _sd_tri(rx, ry, s) - s * 0.08
        else:  # plus
            d = np.minimum(_sd_box(rx, ry, s, s * 0.28), _sd_box(rx, ry, s * 0.28, s)) - s * 0.1
        a = np.zeros_like(d)
        if fop > 0:
            a = np.maximum(a, (1.0 - smoothstep(-0.75, 0.75, d)) * fop)
        if sop > 0:
            a = np.maximum(a, (1.0 - smoothstep(stroke / 2 - 0.75, stroke / 2 + 0.75, np.abs(d))) * sop)
        sub = img[y0:y1, x0:x1]
        img[y0:y1, x0:x1] = sub + (frgb(col) - sub) * a[..., None]
    return np.clip(img, 0.0, 1.0)


BACKGROUNDS = {
    # name: (frame function, render size, crf, dither in 8-bit LSBs)
    "navy_waves": (frame_navy_waves, 320, 26, 0.9),
    "teal_glow": (frame_teal_glow, 320, 26, 0.9),
    "coral_sunrise": (frame_coral_sunrise, 320, 26, 0.9),
    "light_grid": (frame_light_grid, 640, 25, 0.0),
}

MAX_BG_BYTES = 1_500_000


def encode_background(name: str, func, size: int, crf: int, dither: float) -> Path:
    out = BG_DIR / f"{name}.mp4"
    tmp = out.with_suffix(".tmp.mp4")
    g = Grid(size)
    cmd = [
        ffmpeg_exe(), "-y", "-v", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size}x{size}", "-r", str(FPS), "-i", "-",
        "-vf", f"scale={OUT_SIZE}:{OUT_SIZE}:flags=bicubic,format=yuv420p",
        "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-preset", "slow", "-crf", str(crf), "-tune", "film",
        "-x264-params", "aq-mode=3:deblock=1,1",
        "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0",
        "-r", str(FPS), "-an", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-movflags", "+faststart", "-f", "mp4", str(tmp),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    rng = np.random.default_rng(1234)
    assert proc.stdin is not None
    for i in range(NFRAMES):
        proc.stdin.write(to_u8(func(g, i), rng, dither).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {name}")
    tmp.replace(out)
    return out


def make_backgrounds() -> None:
    BG_DIR.mkdir(parents=True, exist_ok=True)
    for name, (func, size, crf, dither) in BACKGROUNDS.items():
        t0 = time.time()
        # step CRF up if a file ever exceeds the size budget
        while True:
            out = encode_background(name, func, size, crf, dither)
            nbytes = out.stat().st_size
            if nbytes <= MAX_BG_BYTES or crf >= 34:
                break
            crf += 2
        print(f"  {out.relative_to(ROOT)}  {nbytes / 1024:.0f} KiB  crf={crf}  {time.time() - t0:.1f}s")


# ==========================================================================
# 2. Illustrations (drawn at 2x, downscaled with LANCZOS)
# ==========================================================================
SS = 2  # supersampling factor


class Canvas:
    """RGBA canvas at SS x the final size; coordinates are given in final pixels."""

    def __init__(self, w: int, h: int, bg=(0, 0, 0, 0)):
        self.w, self.h = w, h
        self.im = Image.new("RGBA", (w * SS, h * SS), bg)

    def layer(self) -> Image.Image:
        return Image.new("RGBA", self.im.size, (0, 0, 0, 0))

    @staticmethod
    def s(v):
        if isinstance(v, (list, tuple)):
            return type(v)(Canvas.s(e) for e in v)
        return v * SS

    def draw(self, im: Image.Image | None = None) -> "Pen":
        return Pen(ImageDraw.Draw(im or self.im))

    def paste(self, layer: Image.Image) -> None:
        self.im.alpha_composite(layer)

    def shadow(self, shape_fn, offset=(0, 12), blur=18, alpha=70, color=NAVY) -> None:
        lay = self.layer()
        shape_fn(Pen(ImageDraw.Draw(lay)), rgba(color, alpha))
        lay = lay.filter(ImageFilter.GaussianBlur(blur * SS))
        moved = self.layer()
        moved.paste(lay, (offset[0] * SS, offset[1] * SS))
        self.paste(moved)

    def save(self, path: Path, mode: str = "RGBA", autocrop: int | None = None) -> None:
        im = self.im.resize((self.w, self.h), Image.LANCZOS)
        if autocrop is not None:  # trim transparent margins, keep `autocrop` px
            x0, y0, x1, y1 = im.getchannel("A").point(lambda v: 255 if v > 2 else 0).getbbox()
            m = autocrop
            im = im.crop((max(0, x0 - m), max(0, y0 - m), min(im.width, x1 + m), min(im.height, y1 + m)))
        if mode == "RGB":
            im = im.convert("RGB")
        im.save(path, optimize=True)


class Pen:
    """ImageDraw wrapper that scales every coordinate by SS.

    ImageDraw *replaces* pixels on RGBA images, so colours with alpha < 255
    are drawn on a scratch layer and alpha-composited (real blending).
    """

    def __init__(self, d: ImageDraw.ImageDraw):
        self.base: Image.Image = d._image
        self.d = d
        self._nested = False

    def _do(self, col, fn) -> None:
        translucent = isinstance(col, tuple) and len(col) == 4 and col[3] < 255
        if not translucent or self._nested or self.base.mode != "RGBA":
            fn()
            return
        keep = self.d
        scratch = Image.new("RGBA", self.base.size, (0, 0, 0, 0))
        self.d, self._nested = ImageDraw.Draw(scratch), True
        try:
            fn()
        finally:
            self.d, self._nested = keep, False
        self.base.alpha_composite(scratch)

    def rrect(self, box, r, fill=None, outline=None, width=0):
        self._do(fill or outline, lambda: self.d.rounded_rectangle(
            Canvas.s(list(box)), radius=r * SS, fill=fill, outline=outline, width=int(width * SS)))

    def rect(self, box, fill=None):
        self._do(fill, lambda: self.d.rectangle(Canvas.s(list(box)), fill=fill))

    def ellipse(self, box, fill=None, outline=None, width=0):
        self._do(fill or outline, lambda: self.d.ellipse(
            Canvas.s(list(box)), fill=fill, outline=outline, width=int(width * SS)))

    def circle(self, cx, cy, r, fill=None, outline=None, width=0):
        self.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=width)

    def poly(self, pts, fill=None):
        self._do(fill, lambda: self.d.polygon([(x * SS, y * SS) for x, y in pts], fill=fill))

    def line(self, pts, fill, width, rounded=True):
        def go():
            self.d.line([(x * SS, y * SS) for x, y in pts], fill=fill, width=int(width * SS), joint="curve")
            if rounded:
                for x, y in (pts[0], pts[-1]):
                    self.circle(x, y, width / 2, fill=fill)
        self._do(fill, go)

    def arc(self, box, start, end, fill, width, caps=True):
        def go():
            self.d.arc(Canvas.s(list(box)), start, end, fill=fill, width=int(width * SS))
            if caps:
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                rx, ry = (box[2] - box[0]) / 2 - width / 2, (box[3] - box[1]) / 2 - width / 2
                for a in (start, end):
                    ar = math.radians(a)
                    self.circle(cx + rx * math.cos(ar), cy + ry * math.sin(ar), width / 2, fill=fill)
        self._do(fill, go)

    def text(self, xy, txt, fnt_name, size, fill, anchor="la", spacing=0):
        f = font(fnt_name, int(size * SS))

        def go():
            x, y = xy[0] * SS, xy[1] * SS
            if not spacing:
                self.d.text((x, y), txt, font=f, fill=fill, anchor=anchor)
                return
            anc = anchor
            if anc[0] == "m":
                total = sum(f.getlength(ch) for ch in txt) + spacing * SS * (len(txt) - 1)
                x -= total / 2
                anc = "l" + anc[1]
            for ch in txt:
                self.d.text((x, y), ch, font=f, fill=fill, anchor=anc)
                x += f.getlength(ch) + spacing * SS
        self._do(fill, go)

    def text_width(self, txt, fnt_name, size):
        return font(fnt_name, int(size * SS)).getlength(txt) / SS


def gradient_layer(size, c0: str, c1: str, direction="v") -> Image.Image:
    w, h = size
    if direction == "v":
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None].repeat(w, 1)
    else:  # diagonal
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx / w * 0.5 + yy / h * 0.5)
    a, b = frgb(c0), frgb(c1)
    arr = (a + (b - a) * t[..., None]) * 255
    arr = np.concatenate([arr, np.full((h, w, 1), 255, np.float32)], axis=2)
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8))


def fill_with(base: Image.Image, fill: Image.Image, mask: Image.Image) -> Image.Image:
    """Composite `fill` onto `base` through the alpha of `mask`."""
    lay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    m = mask.getchannel("A") if mask.mode == "RGBA" else mask
    lay.paste(fill, (0, 0), m)
    return Image.alpha_composite(base, lay)


def sparkle_pts(cx, cy, r, k=2.6, n=160, squash=1.0):
    """Four-point 'nova' sparkle: a superellipse with exponent < 1 (concave sides)."""
    pts = []
    for j in range(n):
        a = TAU * j / n
        c, s = math.cos(a), math.sin(a)
        x = r * math.copysign(abs(c) ** k, c)
        y = r * squash * math.copysign(abs(s) ** k, s)
        pts.append((cx + x, cy + y))
    return pts


# --- logo -----------------------------------------------------------------
def draw_logo_mark(pen: Pen, cx: float, cy: float, r: float, ring_col, dark: bool):
    # orbit ring, open at the upper right where a small gold sparkle sits
    ring_w = r * 0.085
    rr = r - ring_w / 2
    pen.arc((cx - r, cy - r, cx + r, cy + r), -18, 288, fill=ring_col, width=ring_w)
    # main teal sparkle
    pen.poly(sparkle_pts(cx, cy, r * 0.74), fill=rgba(TEAL))
    # inner bright core
    pen.circle(cx, cy, r * 0.11, fill=rgba(WHITE if not dark else LIGHT))
    # gold sparkle in the orbit gap
    a = math.radians(-45)
    pen.poly(sparkle_pts(cx + rr * math.cos(a), cy + rr * math.sin(a), r * 0.26), fill=rgba(GOLD))
    # coral "satellite" riding the orbit
    a = math.radians(145)
    pen.circle(cx + rr * math.cos(a), cy + rr * math.sin(a), r * 0.13, fill=rgba(CORAL))


def make_logo(path: Path, word_col: str, ring_col: str, dark: bool) -> None:
    W, H = 800, 220
    cv = Canvas(W, H)
    pen = cv.draw()
    cx, cy, r = 106, 110, 86
    draw_logo_mark(pen, cx, cy, r, rgba(ring_col), dark)
    # wordmark, sized to fit the remaining width
    x0, x_max = 224, W - 16
    size = 100.0
    gap = 0.2
    while True:
        wn = pen.text_width("nova", "Lato-Black.ttf", size)
        wt = pen.text_width("telecom", "Lato-Black.ttf", size)
        if x0 + wn + gap * size + wt <= x_max:
            break
        size -= 1
    pen.text((x0, 112), "nova", "Lato-Black.ttf", size, rgba(word_col), anchor="lm")
    pen.text((x0 + wn + gap * size, 112), "telecom", "Lato-Black.ttf", size, rgba(word_col), anchor="lm")
    cv.save(path)


# --- phone ----------------------------------------------------------------
def make_phone(path: Path) -> None:
    W, H = 600, 1000
    cv = Canvas(W, H)
    body = (70, 30, 530, 960)
    cv.shadow(lambda p, c: p.rrect(body, 64, fill=c), offset=(10, 18), blur=16, alpha=80)
    pen = cv.draw()
    pen.rrect(body, 64, fill=rgba("#0A1838"))
    pen.rrect((body[0] + 4, body[1] + 4, body[2] - 4, body[3] - 4), 60, fill=rgba(NAVY))
    # side buttons
    pen.rrect((62, 200, 72, 260), 4, fill=rgba("#0A1838"))
    pen.rrect((528, 180, 538, 290), 4, fill=rgba("#0A1838"))
    # screen with gradient
    scr = (92, 52, 508, 938)
    mask = cv.layer()
    Pen(ImageDraw.Draw(mask)).rrect(scr, 46, fill=(255, 255, 255, 255))
    cv.im = fill_with(cv.im, gradient_layer(cv.im.size, DEEP, "#0F2A66"), mask)
    # soft glass highlight across the upper screen, clipped to the screen
    hl = cv.layer()
    Pen(ImageDraw.Draw(hl)).poly([(92, 52), (360, 52), (92, 520)], fill=(255, 255, 255, 255))
    hl_a = np.minimum(np.asarray(hl.getchannel("A")), np.asarray(mask.getchannel("A"))) * (14 / 255)
    cv.im = fill_with(cv.im, Image.new("RGBA", cv.im.size, (255, 255, 255, 255)),
                      Image.fromarray(hl_a.astype(np.uint8)))
    pen = cv.draw()
    # dynamic island
    pen.rrect((250, 72, 350, 100), 14, fill=rgba("#050D22"))
    # status bar
    pen.text((124, 86), "9:41", "Lato-Bold.ttf", 22, rgba(WHITE), anchor="lm")
    for k, hgt in enumerate((8, 12, 16, 20)):
        pen.rrect((420 + k * 9, 96 - hgt, 426 + k * 9, 96), 2, fill=rgba(WHITE))
    pen.rrect((460, 80, 488, 94), 4, outline=rgba(WHITE), width=2)
    pen.rrect((463, 83, 480, 91), 2, fill=rgba(WHITE))
    # app header: logo mark + greeting
    draw_logo_mark(pen, 148, 160, 28, rgba(WHITE), False)
    pen.text((192, 150), "My Nova", "Lato-Black.ttf", 30, rgba(WHITE), anchor="lm")
    pen.text((192, 180), "Everything in one place", "Lato-Regular.ttf", 18, rgba("#B8C7E8"), anchor="lm")
    # usage ring card
    pen.rrect((118, 220, 482, 560), 30, fill=rgba(WHITE, 255))
    ccx, ccy, rr = 300, 375, 110
    pen.arc((ccx - rr, ccy - rr, ccx + rr, ccy + rr), 0, 360, fill=rgba("#E4EAF5"), width=22, caps=False)
    pen.arc((ccx - rr, ccy - rr, ccx + rr, ccy + rr), -90, 160, fill=rgba(TEAL), width=22)
    pen.text((ccx, ccy - 14), "5G", "Lato-Black.ttf", 54, rgba(NAVY), anchor="mm")
    pen.text((ccx, ccy + 30), "data usage", "Lato-Bold.ttf", 20, rgba("#6B7A99"), anchor="mm")
    pen.text((ccx, 528), "Live, any time", "Lato-Bold.ttf", 18, rgba(DEEP), anchor="mm")
    # bill row
    pen.rrect((118, 582, 482, 672), 24, fill=rgba("#1B4AA3"))
    pen.circle(162, 627, 24, fill=rgba(CORAL))
    pen.text((162, 628), "€", "Lato-Black.ttf", 26, rgba(WHITE), anchor="mm")
    pen.text((200, 612), "Bills", "Lato-Bold.ttf", 18, rgba("#B8C7E8"), anchor="lm")
    pen.text((200, 642), "Explained", "Lato-Black.ttf", 28, rgba(WHITE), anchor="lm")
    pen.rrect((388, 610, 462, 644), 17, fill=rgba(TEAL))
    pen.text((425, 627), "Pay", "Lato-Black.ttf", 18, rgba(NAVY), anchor="mm")
    # small bar chart card
    pen.rrect((118, 694, 482, 860), 24, fill=rgba("#1B4AA3"))
    pen.text((142, 722), "Data per week", "Lato-Bold.ttf", 18, rgba("#B8C7E8"), anchor="lm")
    bars = [0.45, 0.7, 0.55, 0.9, 0.62, 0.8]
    for k, v in enumerate(bars):
        x = 150 + k * 54
        top = 840 - 90 * v
        col = GOLD if k == 3 else TEAL
        pen.rrect((x, top, x + 28, 840), 8, fill=rgba(col))
    # home indicator
    pen.rrect((240, 900, 360, 908), 4, fill=rgba(WHITE, 200))
    cv.save(path)


# --- router ---------------------------------------------------------------
def make_router(path: Path) -> None:
    W, H = 800, 720
    cv = Canvas(W, H)
    pen = cv.draw()
    # signal arcs (above the router)
    cx, cy = 400, 330
    for k, (rr, col) in enumerate(((90, TEAL), (150, TEAL), (210, TEAL))):
        alpha = 255 - k * 60
        pen.arc((cx - rr, cy - rr, cx + rr, cy + rr), 225, 315, fill=rgba(col, alpha), width=26)
    pen.circle(cx, cy - 30, 20, fill=rgba(TEAL))
    # antennas
    cv.shadow(lambda p, c: p.rrect((120, 560, 680, 690), 34, fill=c), offset=(0, 16), blur=14, alpha=70)
    pen = cv.draw()
    for ax in (190, 610):
        pen.rrect((ax - 14, 330, ax + 14, 500), 14, fill=rgba(NAVY))
        pen.rrect((ax - 22, 490, ax + 22, 520), 10, fill=rgba(DEEP))
    # body: rounded wedge
    pen.rrect((110, 500, 690, 660), 40, fill=rgba(DEEP))
    pen.rrect((110, 500, 690, 620), 40, fill=rgba(LIGHT))
    pen.rrect((110, 500, 690, 540), 20, fill=rgba(WHITE))
    # front panel detail
    pen.rrect((150, 600, 650, 640), 18, fill=rgba(NAVY))
    for k in range(5):
        col = [TEAL, TEAL, TEAL, GOLD, CORAL][k]
        pen.circle(190 + k * 46, 620, 9, fill=rgba(col))
    for k in range(6):
        pen.rrect((460 + k * 30, 612, 474 + k * 30, 628), 4, fill=rgba("#2B4F9E"))
    # little logo mark on the top face
    draw_logo_mark(pen, 400, 560, 24, rgba(NAVY), True)
    # feet
    for fx in (180, 620):
        pen.rrect((fx - 40, 656, fx + 40, 676), 8, fill=rgba(NAVY))
    cv.save(path, autocrop=16)


# --- sim card -------------------------------------------------------------
def make_sim(path: Path) -> None:
    W, H = 520, 660
    cv = Canvas(W, H)
    cut = 110
    outline = [(60 + cut, 40), (460, 40), (460, 620), (60, 620), (60, 40 + cut)]

    def rounded_outline(p: Pen, c):
        p.poly(outline, fill=c)

    cv.shadow(rounded_outline, offset=(8, 14), blur=14, alpha=80)
    body = cv.layer()
    bp = Pen(ImageDraw.Draw(body))
    bp.poly(outline, fill=(255, 255, 255, 255))
    # smooth the corners by blurring+thresholding the mask slightly
    a = body.getchannel("A").filter(ImageFilter.GaussianBlur(10 * SS))
    a = a.point(lambda v: 255 if v > 127 else 0).filter(ImageFilter.GaussianBlur(0.6 * SS))
    cv.im = fill_with(cv.im, gradient_layer(cv.im.size, "#1A4AA8", NAVY, "d"), a)
    pen = cv.draw()
    # chip
    chip = (150, 250, 370, 420)
    pen.rrect(chip, 26, fill=rgba(GOLD))
    pen.rrect((chip[0] + 8, chip[1] + 8, chip[2] - 8, chip[3] - 8), 20, fill=rgba("#FFD77E"))
    line_col = rgba("#D9A53A")
    lw = 7
    pen.line([(260, 258), (260, 412)], line_col, lw, rounded=False)
    pen.line([(158, 308), (230, 308), (230, 362), (158, 362)], line_col, lw, rounded=False)
    pen.line([(362, 308), (290, 308), (290, 362), (362, 362)], line_col, lw, rounded=False)
    pen.rrect((230, 308, 290, 362), 10, fill=rgba(GOLD), outline=line_col, width=lw)
    # brand strip
    draw_logo_mark(pen, 140, 540, 30, rgba(WHITE), False)
    pen.text((188, 528), "nova", "Lato-Black.ttf", 40, rgba(WHITE), anchor="lm")
    pen.text((188, 562), "5G SIM", "Lato-Bold.ttf", 22, rgba(TEAL), anchor="lm", spacing=2)
    cv.save(path)


# --- plan badges ----------------------------------------------------------
def make_plan(path: Path, name: str, amount: str, price: str, top: str, accent: str,
              features: list[str], ribbon: str | None) -> None:
    W, H = 600, 780
    cv = Canvas(W, H)
    card = (40, 40, 560, 740)
    cv.shadow(lambda p, c: p.rrect(card, 44, fill=c), offset=(0, 16), blur=18, alpha=70)
    pen = cv.draw()
    pen.rrect(card, 44, fill=rgba(WHITE))
    # header band with gradient
    hdr = cv.layer()
    Pen(ImageDraw.Draw(hdr)).rrect((40, 40, 560, 360), 44, fill=(255, 255, 255, 255))
    Pen(ImageDraw.Draw(hdr)).rect((40, 300, 560, 360), fill=(255, 255, 255, 255))
    cv.im = fill_with(cv.im, gradient_layer(cv.im.size, top, accent, "d"), hdr)
    pen = cv.draw()
    # decorative sparkle on the header
    pen.poly(sparkle_pts(490, 110, 40), fill=(255, 255, 255, 70))
    pen.poly(sparkle_pts(448, 170, 16), fill=(255, 255, 255, 90))
    pen.text((90, 100), name.upper(), "Lato-Black.ttf", 30, rgba(WHITE), anchor="lm", spacing=5)
    pen.text((86, 232), amount, "Lato-Black.ttf", 150, rgba(WHITE), anchor="ls")
    aw = pen.text_width(amount, "Lato-Black.ttf", 150)
    pen.text((86 + aw + 14, 232), "GB", "Lato-Black.ttf", 60, rgba(WHITE), anchor="ls")
    pen.text((90, 296), "5G data per month", "Lato-Bold.ttf", 26, rgba(WHITE, 230), anchor="lm")
    # features
    y = 410
    for f in features:
        pen.circle(106, y, 17, fill=rgba(TEAL))
        pen.line([(98, y + 1), (104, y + 7), (115, y - 6)], rgba(WHITE), 4.5)
        pen.text((138, y), f, "Lato-Bold.ttf", 27, rgba(NAVY), anchor="lm")
        y += 62
    # price
    pen.line([(90, 608), (510, 608)], rgba("#E3E8F2"), 2, rounded=False)
    pen.text((90, 680), price, "Lato-Black.ttf", 64, rgba(NAVY), anchor="ls")
    pw = pen.text_width(price, "Lato-Black.ttf", 64)
    pen.text((96 + pw, 680), "/mo", "Lato-Bold.ttf", 28, rgba("#6B7A99"), anchor="ls")
    if ribbon:
        pen.rrect((352, 640, 514, 686), 23, fill=rgba(GOLD))
        pen.text((433, 663), ribbon, "Lato-Black.ttf", 20, rgba(NAVY), anchor="mm", spacing=1.5)
    cv.save(path)


# --- store pin ------------------------------------------------------------
def make_store_pin(path: Path) -> None:
    W, H = 520, 720
    cv = Canvas(W, H)
    # ground shadow ellipse
    sh = cv.layer()
    Pen(ImageDraw.Draw(sh)).ellipse((170, 650, 350, 690), fill=rgba(NAVY, 90))
    cv.paste(sh.filter(ImageFilter.GaussianBlur(8 * SS)))
    cx, cy, r = 260, 250, 200
    tip = (260, 660)
    # teardrop = circle + triangle tangent to it
    d = tip[1] - cy
    beta = math.acos(r / d)
    pts = [(cx + r * math.sin(beta), cy + r * math.cos(beta)), tip, (cx - r * math.sin(beta), cy + r * math.cos(beta))]
    mask = cv.layer()
    mp = Pen(ImageDraw.Draw(mask))
    mp.circle(cx, cy, r, fill=(255, 255, 255, 255))
    mp.poly(pts + [(cx, cy)], fill=(255, 255, 255, 255))
    cv.im = fill_with(cv.im, gradient_layer(cv.im.size, "#FF8A6B", "#E8484F", "v"), mask)
    pen = cv.draw()
    pen.circle(cx, cy, 140, fill=rgba(WHITE))
    # store icon: awning + building
    bx0, bx1 = 180, 340
    pen.rrect((bx0 + 8, 250, bx1 - 8, 350), 10, fill=rgba(NAVY))
    pen.rrect((bx0 + 26, 278, bx0 + 78, 350), 6, fill=rgba(LIGHT))  # door
    pen.rrect((bx0 + 96, 278, bx1 - 26, 318), 6, fill=rgba(TEAL))  # window
    # awning scallops
    aw_top, aw_bot = 180, 240
    pen.poly([(bx0 + 6, aw_top), (bx1 - 6, aw_top), (bx1 + 6, aw_bot), (bx0 - 6, aw_bot)], fill=rgba(TEAL))
    n = 4
    seg = (bx1 - bx0 + 12) / n
    for k in range(n):
        x0 = bx0 - 6 + k * seg
        col = TEAL if k % 2 == 0 else "#00A38D"
        pen.poly([(x0, aw_bot - 40), (x0 + seg, aw_bot - 40),
                  (x0 + seg, aw_bot), (x0, aw_bot)], fill=rgba(col))
        pen.ellipse((x0, aw_bot - 16, x0 + seg, aw_bot + 16), fill=rgba(col))
    pen.rrect((bx0 + 6, aw_top - 16, bx1 - 6, aw_top + 6), 8, fill=rgba(NAVY))
    # highlight on pin
    pen.arc((cx - 176, cy - 176, cx + 176, cy + 176), 200, 250, fill=(255, 255, 255, 90), width=14)
    cv.save(path)


# --- map tile -------------------------------------------------------------
def make_map_tile(path: Path) -> None:
    W = H = 1000
    rng = np.random.default_rng(42)
    cv = Canvas(W, H, bg=rgba("#E9EDF4"))
    pen = cv.draw()
    block_cols = ["#DDE3EE", "#E1E6F0", "#D9E0EC", "#E4E8F1"]
    # street grid (slightly irregular)
    xs = [0]
    while xs[-1] < W:
        xs.append(xs[-1] + int(rng.integers(110, 170)))
    ys = [0]
    while ys[-1] < H:
        ys.append(ys[-1] + int(rng.integers(100, 160)))
    # blocks with small building footprints
    for i in range(len(xs) - 1):
        for j in range(len(ys) - 1):
            x0, x1, y0, y1 = xs[i] + 9, xs[i + 1] - 9, ys[j] + 9, ys[j + 1] - 9
            col = block_cols[int(rng.integers(0, len(block_cols)))]
            pen.rrect((x0, y0, x1, y1), 8, fill=rgba(col))
            # buildings inside
            for _ in range(int(rng.integers(2, 5))):
                bw, bh = int(rng.integers(25, 60)), int(rng.integers(25, 55))
                bx = int(rng.integers(x0 + 8, max(x0 + 9, x1 - bw - 8)))
                by = int(rng.integers(y0 + 8, max(y0 + 9, y1 - bh - 8)))
                pen.rrect((bx, by, bx + bw, by + bh), 4, fill=rgba("#CED6E4"))
    # streets
    for x in xs[1:-1]:
        pen.rect((x - 9, 0, x + 9, H), fill=rgba(WHITE))
    for y in ys[1:-1]:
        pen.rect((0, y - 9, W, y + 9), fill=rgba(WHITE))
    # park spanning 2x2 blocks (the inner streets become footpaths)
    px0, py0 = xs[2] + 9, ys[3] + 9
    px1, py1 = xs[4] - 9, ys[5] - 9
    pen.rrect((px0, py0, px1, py1), 14, fill=rgba("#C6EDE3"))
    mx, my = xs[3], ys[4]
    pen.line([(px0 + 10, my + 30), (mx, my), (px1 - 10, my - 40)], rgba("#E6F7F2"), 7)
    pen.line([(mx, py0 + 10), (mx, my), (mx + 20, py1 - 10)], rgba("#E6F7F2"), 7)
    for _ in range(16):
        tx = int(rng.integers(px0 + 20, px1 - 20))
        ty = int(rng.integers(py0 + 20, py1 - 20))
        pen.circle(tx, ty, int(rng.integers(8, 15)), fill=rgba("#A6E0D2"))
    pen.ellipse((px0 + 30, py1 - 100, px0 + 150, py1 - 34), fill=rgba("#BFD9F5"))

    def river_y(x):
        t = x / W
        return 820 + 70 * math.sin(t * 5.0 + 0.6) + 30 * math.sin(t * 11.0)

    # river over everything except bridges
    pts = [(k / 100 * W, river_y(k / 100 * W)) for k in range(-2, 103)]
    pen.line(pts, rgba("#BFD9F5"), 64, rounded=False)
    # bridges carry the vertical streets
    for x in xs[1:-1]:
        yb = river_y(x)
        pen.rect((x - 9, yb - 42, x + 9, yb + 42), fill=rgba(WHITE))
        pen.rect((x - 13, yb - 36, x - 9, yb + 36), fill=rgba("#D5DDEA"))
        pen.rect((x + 9, yb - 36, x + 13, yb + 36), fill=rgba("#D5DDEA"))
    # main avenues (amber) on top, with white casing
    ax = xs[5]
    pen.rect((ax - 11, 0, ax + 11, H), fill=rgba(WHITE))
    pen.rect((ax - 7, 0, ax + 7, H), fill=rgba("#FFE3A8"))
    pen.line([(-50, 40), (1050, 560)], rgba("#FFFFFF"), 34, rounded=False)
    pen.line([(-50, 40), (1050, 560)], rgba("#FFE3A8"), 22, rounded=False)
    cv.save(path, mode="RGB")


# --- check ----------------------------------------------------------------
def make_check(path: Path) -> None:
    W = H = 400
    cv = Canvas(W, H)
    cv.shadow(lambda p, c: p.circle(200, 200, 170, fill=c), offset=(0, 10), blur=12, alpha=60)
    mask = cv.layer()
    Pen(ImageDraw.Draw(mask)).circle(200, 200, 170, fill=(255, 255, 255, 255))
    cv.im = fill_with(cv.im, gradient_layer(cv.im.size, "#14D6BC", "#00A892", "v"), mask)
    pen = cv.draw()
    pen.line([(122, 206), (176, 260), (282, 148)], rgba(WHITE), 36)
    cv.save(path)


# --- play button ----------------------------------------------------------
def make_play(path: Path) -> None:
    W = H = 400
    cv = Canvas(W, H)
    cv.shadow(lambda p, c: p.circle(200, 200, 150, fill=c), offset=(0, 12), blur=20, alpha=110, color="#000814")
    pen = cv.draw()
    pen.circle(200, 200, 150, fill=rgba(WHITE))
    pen.circle(200, 200, 150, outline=rgba("#E3E8F2"), width=3)
    # rounded play triangle (optically centred)
    tri = cv.layer()
    tp = Pen(ImageDraw.Draw(tri))
    tp.poly([(166, 130), (166, 270), (282, 200)], fill=(255, 255, 255, 255))
    a = tri.getchannel("A").filter(ImageFilter.GaussianBlur(8 * SS)).point(lambda v: 255 if v > 100 else 0)
    a = a.filter(ImageFilter.GaussianBlur(0.6 * SS))
    cv.im = fill_with(cv.im, Image.new("RGBA", cv.im.size, rgba(NAVY)), a)
    cv.save(path)


# --- roaming --------------------------------------------------------------
def make_roaming(path: Path) -> None:
    W = H = 700
    cv = Canvas(W, H)
    cx, cy, R = 350, 360, 230
    cv.shadow(lambda p, c: p.circle(cx, cy, R, fill=c), offset=(0, 14), blur=16, alpha=60)
    # globe: ocean gradient, continents clipped to the disc
    globe = Image.new("RGBA", cv.im.size, (0, 0, 0, 0))
    gmask = cv.layer()
    Pen(ImageDraw.Draw(gmask)).circle(cx, cy, R, fill=(255, 255, 255, 255))
    globe = fill_with(globe, gradient_layer(cv.im.size, "#1D55C2", DEEP, "d"), gmask)
    land = cv.layer()
    lp = Pen(ImageDraw.Draw(land))
    blobs = [  # rough stylised continents as unions of ellipses
        [(200, 190, 330, 300), (250, 260, 330, 360), (180, 230, 260, 290)],
        [(300, 350, 370, 480), (285, 330, 350, 400), (310, 440, 350, 540)],
        [(380, 170, 520, 260), (430, 230, 560, 330), (470, 300, 540, 390), (360, 200, 430, 250)],
        [(470, 440, 560, 500)],
    ]
    for group in blobs:
        for b in group:
            lp.ellipse(b, fill=(255, 255, 255, 255))
    la = land.getchannel("A").filter(ImageFilter.GaussianBlur(12 * SS)).point(lambda v: 255 if v > 110 else 0)
    la = la.filter(ImageFilter.GaussianBlur(0.6 * SS))
    la = Image.fromarray(np.minimum(np.asarray(la), np.asarray(gmask.getchannel("A"))))
    globe = fill_with(globe, Image.new("RGBA", cv.im.size, rgba(TEAL)), la)
    # meridians / parallels
    grid = cv.layer()
    gp = Pen(ImageDraw.Draw(grid))
    for k in (-2, -1, 0, 1, 2):
        rx = abs(R * math.sin(k * math.pi / 6)) if k else 0
        if k:
            gp.ellipse((cx - rx, cy - R, cx + rx, cy + R), outline=(255, 255, 255, 60), width=3)
        else:
            gp.line([(cx, cy - R), (cx, cy + R)], (255, 255, 255, 60), 3, rounded=False)
    for k in (-2, -1, 0, 1, 2):
        yy = cy + R * math.sin(k * math.pi / 6)
        hw = R * math.cos(k * math.pi / 6)
        gp.line([(cx - hw, yy), (cx + hw, yy)], (255, 255, 255, 60), 3, rounded=False)
    ga = Image.fromarray(np.minimum(np.asarray(grid.getchannel("A")), np.asarray(gmask.getchannel("A"))))
    grid.putalpha(ga)
    globe = Image.alpha_composite(globe, grid)
    # shading: darker crescent on the lower right
    shade = cv.layer()
    Pen(ImageDraw.Draw(shade)).circle(cx - 60, cy - 60, R + 20, fill=(255, 255, 255, 255))
    sa = np.asarray(gmask.getchannel("A")).astype(np.int32) - np.asarray(shade.getchannel("A")).astype(np.int32)
    sa = np.clip(sa, 0, 255).astype(np.uint8)
    sa_img = Image.fromarray(sa).filter(ImageFilter.GaussianBlur(14 * SS))
    sa = np.minimum(np.asarray(sa_img), np.asarray(gmask.getchannel("A"))) * 0.35
    globe = fill_with(globe, Image.new("RGBA", cv.im.size, rgba(NAVY)), Image.fromarray(sa.astype(np.uint8)))
    cv.paste(globe)
    pen = cv.draw()
    # dashed flight path orbiting the globe
    orx, ory = 310, 120
    ocx, ocy = cx, cy - 20
    rot = math.radians(-18)
    def orbit(t):
        x, y = orx * math.cos(t), ory * math.sin(t)
        return (ocx + x * math.cos(rot) - y * math.sin(rot), ocy + x * math.sin(rot) + y * math.cos(rot))
    n_d = 30
    for k in range(n_d):
        t0 = math.pi * 1.05 + k * (math.pi * 1.55) / n_d
        t1 = t0 + (math.pi * 1.55) / n_d * 0.55
        # skip the part hidden behind the globe (upper arc)
        x0, y0 = orbit(t0)
        if (x0 - cx) ** 2 + (y0 - cy) ** 2 < (R - 4) ** 2 and math.sin(t0) < 0:
            continue
        pen.line([orbit(t0 + (t1 - t0) * j / 6) for j in range(7)], rgba(CORAL), 7)
    # plane at the end of the path
    tp = math.pi * 1.05 + math.pi * 1.62
    px_, py_ = orbit(tp)
    dx, dy = orbit(tp + 0.01)
    ang = math.atan2(dy - py_, dx - px_)
    plane = [  # plane silhouette pointing along +x, units ~ px
        (46, 0), (36, -7), (8, -7), (-12, -40), (-24, -40), (-10, -7), (-32, -7), (-40, -20), (-48, -20),
        (-42, 0), (-48, 20), (-40, 20), (-32, 7), (-10, 7), (-24, 40), (-12, 40), (8, 7), (36, 7),
    ]
    s = 1.25
    ca, sa_ = math.cos(ang), math.sin(ang)
    pts = [(px_ + s * (x * ca - y * sa_), py_ + s * (x * sa_ + y * ca)) for x, y in plane]
    cv.shadow(lambda p, c: p.poly(pts, fill=c), offset=(4, 8), blur=5, alpha=70)
    pen = cv.draw()
    pen.poly(pts, fill=rgba(WHITE))
    nose = [(px_ + s * (x * ca - y * sa_), py_ + s * (x * sa_ + y * ca)) for x, y in [(46, 0), (36, -7), (30, -7), (30, 7), (36, 7)]]
    pen.poly(nose, fill=rgba(CORAL))
    # gold sparkles
    pen.poly(sparkle_pts(120, 140, 22), fill=rgba(GOLD))
    pen.poly(sparkle_pts(600, 560, 16), fill=rgba(GOLD))
    pen.poly(sparkle_pts(585, 150, 12), fill=rgba(TEAL))
    cv.save(path)


def make_images() -> None:
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("logo.png", lambda p: make_logo(p, WHITE, WHITE, False)),
        ("logo_dark.png", lambda p: make_logo(p, NAVY, NAVY, True)),
        ("phone.png", make_phone),
        ("router.png", make_router),
        ("sim_card.png", make_sim),
        ("plan_basic.png", lambda p: make_plan(p, "Basic", "5", "€19", "#00C2A8", "#0E8F9E",
                                               ["Unlimited calls & texts", "5G where available",
                                                "EU roaming included"], None)),
        ("plan_plus.png", lambda p: make_plan(p, "Plus", "20", "€29", CORAL, "#F29A3E",
                                              ["Unlimited calls & texts", "5G + hotspot sharing",
                                               "Roam in 80 countries"], "BEST VALUE")),
        ("store_pin.png", make_store_pin),
        ("map_tile.png", make_map_tile),
        ("check.png", make_check),
        ("play_button.png", make_play),
        ("roaming.png", make_roaming),
    ]
    for name, fn in jobs:
        out = IMG_DIR / name
        fn(out)
        with Image.open(out) as im:
            print(f"  {out.relative_to(ROOT)}  {im.size[0]}x{im.size[1]} {im.mode}  "
                  f"{out.stat().st_size / 1024:.0f} KiB")


# ==========================================================================
# 3. Music bed
# ==========================================================================
SR = 48000
BPM = 60.0
BEAT = 60.0 / BPM
BAR = 4 * BEAT
N_BARS = 8
DUR = N_BARS * BAR  # 32 s


def midi_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


# D major: I - V - vi - IV  (D, A, Bm, G), twice.  Bass roots D3 A2 B2 G2.
CHORDS = [
    # bass, pad voicing (smooth voice leading), arpeggio tones
    (50, [62, 66, 69, 73], [74, 78, 81, 85]),   # Dmaj7(ish): D F# A C#
    (45, [61, 64, 69, 71], [73, 76, 81, 83]),   # A add9: C# E A B
    (47, [62, 66, 71, 73], [74, 78, 83, 85]),   # Bm add9: D F# B C#
    (43, [62, 67, 71, 74], [74, 79, 83, 86]),   # G: D G B D
]
ARP_PATTERN = [0, 1, 2, 3, 2, 1, 2, 0]  # eighth notes over a 4/4 bar


def env_adsr(n: int, attack: float, release: float) -> np.ndarray:
    t = np.arange(n) / SR
    total = n / SR
    a = np.clip(t / attack, 0, 1)
    a = 0.5 - 0.5 * np.cos(np.pi * a)
    r = np.clip((total - t) / release, 0, 1)
    r = 0.5 - 0.5 * np.cos(np.pi * r)
    return a * r


def add_circular(buf: np.ndarray, start: int, sig: np.ndarray) -> None:
    n = buf.shape[-1]
    idx = (start + np.arange(sig.shape[-1])) % n
    np.add.at(buf, (slice(None), idx) if buf.ndim == 2 else idx, sig)


def pad_note(freq: float, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SR
    out = np.zeros((2, n), np.float64)
    for ch in range(2):
        for det in (-7.0, 0.0, 7.0):
            f = freq * 2 ** ((det + (ch * 2 - 1) * 2.5) / 1200)
            ph = rng.uniform(0, TAU)
            for h in range(1, 7):
                amp = 1.0 / h ** 1.8
                out[ch] += amp * np.sin(TAU * f * h * t + ph * h)
    lfo = 1.0 + 0.12 * np.sin(TAU * 0.25 * t + rng.uniform(0, TAU))
    return out * lfo / 9.0


def pluck_note(freq: float, n: int) -> np.ndarray:
    t = np.arange(n) / SR
    sig = (np.sin(TAU * freq * t) * np.exp(-t * 2.6)
           + 0.35 * np.sin(TAU * 2 * freq * t) * np.exp(-t * 5.0)
           + 0.10 * np.sin(TAU * 3 * freq * t) * np.exp(-t * 8.0)
           + 0.04 * np.sin(TAU * 4.01 * freq * t) * np.exp(-t * 12.0))
    att = np.clip(t / 0.006, 0, 1)
    rel = np.clip((n / SR - t) / 0.05, 0, 1)
    return sig * att * rel


def one_pole_lowpass(x: np.ndarray, cutoff: float) -> np.ndarray:
    """Gentle low-pass done in the frequency domain (circular, loop-safe)."""
    n = x.shape[-1]
    f = np.fft.rfftfreq(n, 1 / SR)
    h = 1.0 / np.sqrt(1.0 + (f / cutoff) ** 4)  # 2nd-order-like magnitude response
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * h, n=n, axis=-1)


def reverb_ir(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    ir = np.zeros((2, n))
    for ch in range(2):
        noise = rng.standard_normal(n)
        noise = one_pole_lowpass(noise[None], 5000.0)[0]
        ir[ch] = noise * np.exp(-t * 6.9 / seconds)  # -60 dB at `seconds`
        ir[ch, : int(0.012 * SR)] *= np.linspace(0, 1, int(0.012 * SR))
    return ir / np.sqrt(np.sum(ir ** 2, axis=1, keepdims=True))


def circular_convolve(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    irp = np.zeros_like(x)
    irp[:, : ir.shape[-1]] = ir
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * np.fft.rfft(irp, axis=-1), n=n, axis=-1)


def synth_bed() -> np.ndarray:
    """Render the 32 s piece on a circular timeline so it loops seamlessly."""
    rng = np.random.default_rng(2024)
    N = int(DUR * SR)
    pad = np.zeros((2, N))
    bass = np.zeros((2, N))
    arp = np.zeros((2, N))
    bar_n = int(BAR * SR)
    for b in range(N_BARS):
        root, voicing, arp_tones = CHORDS[b % 4]
        start = b * bar_n
        # pads: slow swell, long release overlapping the next chord
        n = int((BAR + 2.0) * SR)
        env = env_adsr(n, 1.6, 2.4)
        for k, m in enumerate(voicing):
            note = pad_note(midi_hz(m), n, rng) * env * (0.9 if k else 1.0)
            add_circular(pad, start - int(0.25 * SR), note)
        # sub bass: sine + a little 2nd harmonic
        t = np.arange(n) / SR
        f = midi_hz(root)
        b_sig = (np.sin(TAU * f * t) + 0.25 * np.sin(TAU * 2 * f * t)) * env_adsr(n, 0.9, 2.0)
        add_circular(bass, start - int(0.1 * SR), np.stack([b_sig, b_sig]))
        # arpeggio: enters in bar 3, sits out the last bar's second half
        if b >= 2:
            for s, idx in enumerate(ARP_PATTERN):
                if b == N_BARS - 1 and s >= 6:
                    break
                m = arp_tones[idx] - (12 if idx == 3 and s % 4 == 3 else 0)
                nl = int(2.2 * SR)
                vel = (0.85 if s % 2 == 0 else 0.6) * (0.9 + 0.1 * rng.random())
                note = pluck_note(midi_hz(m), nl) * vel
                pan = 0.5 + 0.25 * math.sin(s * 0.9 + b)
                humanise = int(rng.uniform(-0.008, 0.008) * SR)
                add_circular(arp, start + int(s * BEAT / 2 * SR) + humanise,
                             np.stack([note * math.sqrt(1 - pan), note * math.sqrt(pan)]))
    pad = one_pole_lowpass(pad, 1800.0)
    arp = one_pole_lowpass(arp, 3200.0)
    # ping-pong delay on the arp (dotted eighth), circular so it wraps seamlessly
    d = int(0.75 * BEAT * SR)
    echo = np.zeros_like(arp)
    g = 0.38
    for k in range(1, 6):
        src = np.roll(arp, k * d, axis=1) * (g ** k)
        if k % 2:
            src = src[::-1]
        echo += src
    arp = arp + one_pole_lowpass(echo, 2200.0)
    dry = 0.55 * pad + 0.20 * bass + 0.32 * arp
    ir = reverb_ir(3.2, seed=99)
    wet = circular_convolve(0.6 * pad + 0.5 * arp, ir)
    mix = dry + 0.55 * wet / np.max(np.abs(wet)) * np.max(np.abs(dry)) * 0.6
    # high-pass ~70 Hz: keep the low end clean under a voice-over
    f = np.fft.rfftfreq(mix.shape[1], 1 / SR)
    hp = (f / 70.0) ** 2 / np.sqrt(1.0 + (f / 70.0) ** 4)
    mix = np.fft.irfft(np.fft.rfft(mix, axis=1) * hp, n=mix.shape[1], axis=1)
    mix = mix / np.max(np.abs(mix)) * 10 ** (-3.0 / 20)  # peak -3 dBFS
    return mix.astype(np.float32)


def encode_aac(x: np.ndarray, out: Path) -> None:
    tmp = out.with_suffix(".tmp.m4a")
    cmd = [ffmpeg_exe(), "-y", "-v", "error", "-f", "f32le", "-ar", str(SR), "-ac", "2", "-i", "-",
           "-c:a", "aac", "-b:a", "128k", "-map_metadata", "-1", "-fflags", "+bitexact",
           "-flags:a", "+bitexact", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
    data = np.ascontiguousarray(x.T, dtype=np.float32).tobytes()
    subprocess.run(cmd, input=data, check=True)
    tmp.replace(out)


def make_music() -> None:
    MUSIC_DIR.mkdir(parents=True, exist_ok=True)
    loop = synth_bed()
    n = loop.shape[1]
    t = np.arange(n) / SR
    fade_in = np.clip(t / 2.0, 0, 1) ** 2
    fade_out = np.clip((DUR - t) / 4.0, 0, 1) ** 2
    bed = loop * (fade_in * fade_out)[None]
    for name, sig in (("bed.m4a", bed), ("bed_loop.m4a", loop)):
        out = MUSIC_DIR / name
        encode_aac(sig, out)
        print(f"  {out.relative_to(ROOT)}  {out.stat().st_size / 1024:.0f} KiB")


# ==========================================================================
GROUPS = {"backgrounds": make_backgrounds, "images": make_images, "music": make_music}


def main(argv: list[str]) -> int:
    wanted = argv or list(GROUPS)
    unknown = [w for w in wanted if w not in GROUPS]
    if unknown:
        print(f"unknown group(s): {', '.join(unknown)}; choose from {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    t_all = time.time()
    for g in wanted:
        t0 = time.time()
        print(f"[{g}]")
        GROUPS[g]()
        print(f"  done in {time.time() - t0:.1f}s")
    print(f"all done in {time.time() - t_all:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
