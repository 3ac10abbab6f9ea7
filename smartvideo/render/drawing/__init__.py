"""Overlay drawing: one PlannedLayer -> one RGBA image placed in frame pixels."""

from smartvideo.render.drawing.layers import draw_layer
from smartvideo.render.drawing.text_fit import FittedText, fit_text

__all__ = ["FittedText", "draw_layer", "fit_text"]
