"""WebVTT captions from voice lines: long lines are split into readable cues, timed by length."""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_LINE_CHARS = 42  # the usual broadcast limit for one caption line
MAX_LINES = 2  # per cue; a third line covers too much of the picture

# Split after sentence ends first, then after clause punctuation, keeping the mark with its text.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CLAUSE_END = re.compile(r"(?<=[,;:–—])\s+")


def timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def cue_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap_line(text: str, width: int = MAX_LINE_CHARS) -> list[str]:
    """Greedy word wrap; a single word longer than `width` keeps a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _fits(text: str) -> bool:
    return len(wrap_line(text)) <= MAX_LINES


def _sentence_pieces(sentence: str) -> list[str]:
    """A too-long sentence cut at clauses, and a too-long clause into runs of wrapped lines."""
    pieces: list[str] = []
    for clause in _CLAUSE_END.split(sentence):
        if _fits(clause):
            pieces.append(clause)
        else:
            lines = wrap_line(clause)
            pieces.extend(
                " ".join(lines[i : i + MAX_LINES]) for i in range(0, len(lines), MAX_LINES)
            )
    # merge neighbouring clauses back while they still fit, so cues are as few as readable
    merged: list[str] = []
    for piece in pieces:
        if merged and _fits(f"{merged[-1]} {piece}"):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


def split_caption(text: str) -> list[str]:
    """Cut one voice line into cue texts that each fit MAX_LINES lines of MAX_LINE_CHARS."""
    text = " ".join(text.split())
    if not text:
        return []
    if _fits(text):
        return [text]
    cues: list[str] = []
    whole = False  # whether the last cue holds whole sentences (only those join the next one)
    for sentence in _SENTENCE_END.split(text):
        if _fits(sentence):
            if whole and _fits(f"{cues[-1]} {sentence}"):
                cues[-1] = f"{cues[-1]} {sentence}"
            else:
                cues.append(sentence)
            whole = True
        else:
            cues.extend(_sentence_pieces(sentence))
            whole = False
    return cues


def build_webvtt(cues: Sequence[tuple[float, float, str]]) -> str:
    """A WebVTT document for (start, end, text) voice lines, splitting long lines by length."""
    blocks = ["WEBVTT"]
    for start, end, text in cues:
        parts = split_caption(text)
        if not parts or end <= start:
            continue
        total = sum(len(part) for part in parts)
        position = start
        for index, part in enumerate(parts):
            # the last part ends exactly at `end`, so rounding never lets a line overrun its audio
            stop = end if index == len(parts) - 1 else position + (end - start) * len(part) / total
            body = "\n".join(cue_text(line) for line in wrap_line(part))
            blocks.append(f"{timestamp(position)} --> {timestamp(stop)}\n{body}")
            position = stop
    return "\n\n".join(blocks) + "\n"
