"""The benchmark's reference: the same video composed frame by frame in plain MoviePy 2.

Same plan, same overlay images (drawn by our Pillow code), same background clips, size, fps and
x264 settings; MoviePy composites every frame in Python (CompositeVideoClip) and pipes the frames
to ffmpeg (write_videofile). Only `smartvideo bench` uses it.
"""

from __future__ import annotations

import time
from pathlib import Path

from smartvideo.render.renderer import Renderer, RenderRequest
from smartvideo.render.scene_encoder import X264_PARAMS


def render_with_moviepy(renderer: Renderer, story: str, customer: str, output: Path) -> float:
    """Render with MoviePy; returns the seconds it took (planning excluded, voice cached)."""
    import numpy as np
    from moviepy import (
        AudioFileClip,
        ColorClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        VideoFileClip,
        concatenate_videoclips,
        vfx,
    )

    from smartvideo.render.drawing import draw_layer

    spoken: dict = {}
    plan = renderer.plan(RenderRequest(story=story, customer=customer, output=output, variant="A"), spoken)
    width, height, fps = plan.device.width, plan.device.height, plan.device.fps
    started = time.perf_counter()
    scenes = []
    for scene in plan.scenes:
        bg = scene.background
        if bg.kind == "video" and bg.path:
            clip = VideoFileClip(bg.path, audio=False).with_effects([vfx.Loop(duration=scene.duration)])
            scale = max(width / clip.w, height / clip.h)
            clip = clip.resized(scale).cropped(x_center=clip.w * scale / 2, y_center=clip.h * scale / 2,
                                                width=width, height=height)
        elif bg.kind == "image" and bg.path:
            clip = ImageClip(bg.path).resized(height=height).cropped(width=width, height=height)
        else:
            rgb = tuple(int(bg.colors[0][i:i + 2], 16) for i in (1, 3, 5))
            clip = ColorClip((width, height), color=rgb)
        layers = [clip.with_duration(scene.duration)]
        for layer in scene.layers:
            image, (x, y) = draw_layer(layer)
            end = layer.end if layer.end is not None else scene.duration
            overlay = (ImageClip(np.array(image)).with_start(layer.start).with_duration(max(0.04, end - layer.start))
                       .with_position((x, y)))
            if layer.animation != "none":
                overlay = overlay.with_effects([vfx.CrossFadeIn(layer.animation_duration)])
            layers.append(overlay)
        scenes.append(CompositeVideoClip(layers, size=(width, height)).with_duration(scene.duration))
    video = concatenate_videoclips(scenes)
    voices = [AudioFileClip(str(spoken[(s.voice.text, s.voice.profile)].path)).with_start(s.start + s.voice.offset)
              for s in plan.scenes if s.voice]
    video = video.with_audio(CompositeAudioClip(voices).with_duration(video.duration))
    video.write_videofile(str(output), fps=fps, codec="libx264", audio_codec="aac", preset="ultrafast",
                          ffmpeg_params=["-x264-params", X264_PARAMS, "-pix_fmt", "yuv420p"], logger=None)
    return time.perf_counter() - started
