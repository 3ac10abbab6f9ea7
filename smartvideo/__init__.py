"""SmartVideo: render-on-click personalized video."""

__version__ = "0.1.0"
# Bump when a change to the renderer changes the pixels or samples it produces: it is part of
# every segment cache key, so old cached segments are never reused by a renderer that differs.
# 2: layer times snapped to whole frames; fades end fully opaque. 3: x264 searches no intra
# partitions in P-frames (scene_encoder.X264_PARAMS). 4: layers trimmed to where they have pixels
# (scene_encoder.trimmed; the overlay filter rounds some blends differently, SSIM 0.9993+).
RENDERER_VERSION = "4"
