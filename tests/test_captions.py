"""WebVTT captions: format, escaping, and splitting long voice lines into timed cues."""

from __future__ import annotations

import re

import pytest

from smartvideo.render.captions import MAX_LINE_CHARS, MAX_LINES, build_webvtt, split_caption

CUE = re.compile(r"^(\d{2}:\d{2}:\d{2}\.\d{3}) --> (\d{2}:\d{2}:\d{2}\.\d{3})$")


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _cues(vtt: str) -> list[tuple[float, float, list[str]]]:
    header, *blocks = vtt.rstrip("\n").split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        timing, *lines = block.split("\n")
        match = CUE.match(timing)
        assert match, timing
        cues.append((_seconds(match[1]), _seconds(match[2]), lines))
    return cues


def test_short_line_is_one_cue_with_exact_format() -> None:
    vtt = build_webvtt([(0.0, 2.5, "Hello Anna!"), (3661.0437, 3663.1, "Bye.")])
    assert vtt == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.500\nHello Anna!\n\n"
        "01:01:01.044 --> 01:01:03.100\nBye.\n"
    )


def test_text_is_escaped() -> None:
    vtt = build_webvtt([(0, 1, "Tom & Jerry <3 > all")])
    assert "Tom &amp; Jerry &lt;3 &gt; all" in vtt
    assert "<" not in vtt.split("\n", 1)[1].replace("-->", "")


def test_empty_input_and_blank_lines() -> None:
    assert build_webvtt([]) == "WEBVTT\n"
    assert build_webvtt([(0, 1, "   ")]) == "WEBVTT\n"


def test_long_line_splits_at_sentences_and_clauses() -> None:
    text = (
        "This month you paid 135 euro and 20 cents, which is twelve percent less than last month. "
        "Thanks to your solar panels, you saved even more; well done, and see you next month."
    )
    parts = split_caption(text)
    assert len(parts) > 2
    assert " ".join(parts) == text  # nothing lost, nothing reordered
    assert parts[0] == "This month you paid 135 euro and 20 cents,"
    assert any(part.endswith("last month.") for part in parts)  # a sentence end closes a cue
    for part in parts:
        assert len(part) <= MAX_LINE_CHARS * MAX_LINES


def test_split_cues_fit_and_share_the_line_time_by_length() -> None:
    text = (
        "Your contract ends on the first of March, so now is a good moment to compare offers. "
        "We have three suggestions for you, all of them greener and cheaper than what you have."
    )
    cues = _cues(build_webvtt([(10.0, 20.0, text)]))
    assert len(cues) >= 2
    assert cues[0][0] == 10.0 and cues[-1][1] == 20.0
    for (_, end, _), (start, _, _) in zip(cues, cues[1:], strict=False):
        assert start == end  # contiguous, no gaps or overlaps
    texts = [" ".join(lines) for _, _, lines in cues]
    total = sum(len(t) for t in texts)
    for (start, end, lines), joined in zip(cues, texts, strict=True):
        assert 1 <= len(lines) <= MAX_LINES
        assert all(len(line) <= MAX_LINE_CHARS for line in lines)
        assert end - start == pytest.approx(10.0 * len(joined) / total, abs=0.002)


def test_short_sentences_are_merged_into_one_cue() -> None:
    parts = split_caption(
        "Hi there. This is short. And so is this. "
        "But this last sentence is much longer than all the others before it."
    )
    assert parts == [
        "Hi there. This is short. And so is this.",
        "But this last sentence is much longer than all the others before it.",
    ]


def test_overlong_word_still_gets_its_own_line() -> None:
    word = "x" * 60
    cues = _cues(build_webvtt([(0, 4, f"Look: {word} here.")]))
    assert any(word in lines for _, _, lines in cues)
