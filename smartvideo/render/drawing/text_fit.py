"""Fit text into a box: wrap first, then shrink, then break long words, then ellipsis.

The result never overflows the box: every line's ink fits the width and the block of lines
(ascent of the first to descent of the last) fits the height.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from smartvideo.render.drawing import fonts
from smartvideo.render.plan import TextStyle

ELLIPSIS = "\u2026"
HYPHEN = "-"


@dataclass(frozen=True, slots=True)
class FittedText:
    """Lines laid out at one size; drawing needs nothing else but the style."""

    lines: tuple[str, ...]
    size: int  # font size in pixels
    line_height: int  # baseline to baseline
    ascent: int  # first baseline below the block top
    descent: int  # below the last baseline
    width: int  # widest line's ink extent
    height: int  # block height
    truncated: bool = False  # an ellipsis replaced text that did not fit
    fonts: tuple[str, ...] = ()  # main font then fallbacks
    features: tuple[str, ...] = ()  # OpenType features used for measuring and drawing


def fit_text(
    text: str, style: TextStyle, width: int, height: int, *, features: tuple[str, ...] = ()
) -> FittedText:
    """Lay text out in a width x height box at the largest size that fits.

    Sizes go from style.max_size down to style.min_size (binary search). Words are not broken
    while some size fits without it; only then are overlong words split with a hyphen, and only
    if min_size still does not fit is the last line cut with an ellipsis. If not even one line of
    min_size fits the height, the size goes below min_size rather than overflow the box.
    """
    return _fit(text, style, int(width), int(height), tuple(features))


@lru_cache(maxsize=2048)
def _fit(
    text: str, style: TextStyle, width: int, height: int, feats: tuple[str, ...]
) -> FittedText:
    paths = fonts.chain(style)
    if style.uppercase:
        text = text.upper()
    text = fonts.prepare(_normalise(text), paths)
    hi = max(1, style.max_size)
    lo = max(1, min(style.min_size, hi))
    if not text.strip() or width <= 0 or height <= 0:
        return _result((), lo, style, paths, feats)

    def attempt(allow_break: bool) -> Callable[[int], tuple[str, ...] | None]:
        def lines_at(size: int) -> tuple[str, ...] | None:
            lines = _wrap(text, paths, size, width, feats, allow_break)
            if lines is None or _block_height(len(lines), size, style, paths) > height:
                return None
            return lines

        return lines_at

    for allow_break in (False, True):
        found = _largest(lo, hi, attempt(allow_break))
        if found is not None:
            size, lines = found
            return _result(lines, size, style, paths, feats)

    # Nothing fits at min_size: keep as many lines as fit and end with an ellipsis.
    size = lo
    while size >= 1:
        max_lines = _max_lines(size, style, paths, height)
        if max_lines >= 1:
            lines = _wrap(text, paths, size, width, feats, True) or ()
            cut = _truncate(lines, max_lines, paths, size, width, feats)
            return _result(cut, size, style, paths, feats, truncated=True)
        # Not even one line of this size fits the height: shrink below min_size.
        size = size - max(1, size // 8)
    return _result((), 1, style, paths, feats, truncated=True)


def _normalise(text: str) -> str:
    """Collapse runs of spaces and tabs, keep explicit line breaks."""
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in text.split("\n")]
    return "\n".join(paragraphs).strip("\n")


def _largest(lo: int, hi: int, fn: Callable[[int], tuple[str, ...] | None]):
    """Largest size in [lo, hi] for which fn gives lines (assumes fit is monotone in size)."""
    best = None
    first = fn(lo)
    if first is None:
        return None
    best = (lo, first)
    if hi > lo and (largest := fn(hi)) is not None:
        return (hi, largest)  # the common case (a name, a figure): it fits at full size, one measure more
    a, b = lo + 1, hi - 1
    while a <= b:
        mid = (a + b) // 2
        lines = fn(mid)
        if lines is not None:
            best = (mid, lines)
            a = mid + 1
        else:
            b = mid - 1
    return best


def _line_height(size: int, style: TextStyle) -> int:
    return max(1, round(size * style.line_spacing))


def _block_height(n: int, size: int, style: TextStyle, paths: tuple[str, ...]) -> int:
    if n == 0:
        return 0
    ascent, descent = fonts.vertical_metrics(paths, size)
    return (n - 1) * _line_height(size, style) + ascent + descent


def _max_lines(size: int, style: TextStyle, paths: tuple[str, ...], height: int) -> int:
    ascent, descent = fonts.vertical_metrics(paths, size)
    room = height - ascent - descent
    if room < 0:
        return 0
    return 1 + room // _line_height(size, style)


def _fits(line: str, paths: tuple[str, ...], size: int, width: int, feats: tuple[str, ...]) -> bool:
    return math.ceil(fonts.measure(line, paths, size, feats).width) <= width


def _wrap(
    text: str,
    paths: tuple[str, ...],
    size: int,
    width: int,
    feats: tuple[str, ...],
    allow_break: bool,
) -> tuple[str, ...] | None:
    """Greedy word wrap; None when a word (or a single character) cannot fit the width."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            if not word:
                continue
            candidate = f"{current} {word}" if current else word
            if _fits(candidate, paths, size, width, feats):
                current = candidate
                continue
            if current:
                lines.append(current)
                current = ""
            if _fits(word, paths, size, width, feats):
                current = word
                continue
            # A compound's own hyphens are ordinary break points; forced breaks come last.
            pieces = _break_at_hyphens(word, paths, size, width, feats)
            if pieces is None and allow_break:
                pieces = _break_word(word, paths, size, width, feats)
            if pieces is None:
                return None
            lines.extend(pieces[:-1])
            current = pieces[-1]
        lines.append(current)
    # Blank paragraphs in the middle are intentional spacing; blank ends are not.
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines)


def _break_at_hyphens(
    word: str, paths: tuple[str, ...], size: int, width: int, feats: tuple[str, ...]
) -> list[str] | None:
    """Greedy split of a hyphenated word after its own hyphens; None if a part is too wide."""
    parts = [p + HYPHEN for p in word.split(HYPHEN)]
    parts[-1] = parts[-1][:-1]
    if len(parts) < 2 or not all(parts):
        return None
    pieces: list[str] = []
    current = ""
    for part in parts:
        if current and _fits(current + part, paths, size, width, feats):
            current += part
        elif _fits(part, paths, size, width, feats):
            if current:
                pieces.append(current)
            current = part
        else:
            return None
    pieces.append(current)
    return pieces


def _break_word(
    word: str, paths: tuple[str, ...], size: int, width: int, feats: tuple[str, ...]
) -> list[str] | None:
    """Split an overlong word into pieces that fit, preferring its own hyphens."""
    pieces: list[str] = []
    rest = word
    while not _fits(rest, paths, size, width, feats):
        # Longest prefix that fits together with the hyphen it gets.
        lo, hi, best = 1, len(rest) - 1, 0
        while lo <= hi:
            mid = (lo + hi) // 2
            if _fits(rest[:mid] + HYPHEN, paths, size, width, feats):
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        if best == 0:
            return None
        own = rest.rfind(HYPHEN, 0, best + 1)
        if own > 0 and own + 1 >= best // 2:
            # Break after an existing hyphen (Jean-Pierre) when it is not too early.
            pieces.append(rest[: own + 1])
            rest = rest[own + 1 :]
        else:
            pieces.append(rest[:best] + HYPHEN)
            rest = rest[best:]
    pieces.append(rest)
    return pieces


def _truncate(
    lines: tuple[str, ...],
    max_lines: int,
    paths: tuple[str, ...],
    size: int,
    width: int,
    feats: tuple[str, ...],
) -> tuple[str, ...]:
    """Keep max_lines lines and end the last with an ellipsis that fits the width."""
    kept = list(lines[:max_lines])
    if not kept:
        kept = [""]
    last = kept[-1]
    while True:
        stem = last.rstrip(" " + HYPHEN + ".,;:")
        candidate = stem + ELLIPSIS
        if _fits(candidate, paths, size, width, feats) or not stem:
            break
        last = stem[:-1]
    if not _fits(candidate, paths, size, width, feats):
        candidate = ""  # not even the ellipsis fits the width
    kept[-1] = candidate
    return tuple(kept)


def _result(
    lines: tuple[str, ...],
    size: int,
    style: TextStyle,
    paths: tuple[str, ...],
    feats: tuple[str, ...],
    *,
    truncated: bool = False,
) -> FittedText:
    ascent, descent = fonts.vertical_metrics(paths, size)
    widths = [math.ceil(fonts.measure(line, paths, size, feats).width) for line in lines]
    return FittedText(
        lines=lines,
        size=size,
        line_height=_line_height(size, style),
        ascent=ascent,
        descent=descent,
        width=max(widths, default=0),
        height=_block_height(len(lines), size, style, paths),
        truncated=truncated,
        fonts=paths,
        features=feats,
    )
