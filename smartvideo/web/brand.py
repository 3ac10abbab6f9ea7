"""The story's brand on the customer's pages: the theme's colours as CSS variables and its logo.

Served as a stylesheet and an image (not inline styles), so the pages keep a strict CSP. Neither
holds personal data: a theme is shared by every customer of a story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, abort, send_file, url_for

from smartvideo.render.scene_model import ThemeSpec
from smartvideo.render.story_file import read_story, read_theme
from smartvideo.web.services import services

bp = Blueprint("brand", __name__)

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{3,8}$")
# CSS variable of the page <- colour key of the theme (first one the theme has).
_PAGE_COLOURS = {"--navy": ("navy", "dark", "primary"), "--teal": ("teal", "accent", "secondary"),
                 "--coral": ("coral", "highlight", "accent"), "--mist": ("mist", "muted", "light")}


@dataclass(frozen=True, slots=True)
class Brand:
    """What a page needs to wear a theme: its name, stylesheet URL and logo URL (or None)."""

    name: str
    css: str
    logo: str | None


def theme_of_story(story_id: str) -> ThemeSpec | None:
    # Only the story's and the theme's files: a scaled-mode web process never loads the library.
    root = services().renders.content_root
    story = read_story(root, story_id)
    return read_theme(root, story.theme) if story else None


def brand_for(story_id: str | None) -> Brand | None:
    """The brand of a story's theme, or None (an unknown story: the neutral default look)."""
    theme = theme_of_story(story_id) if story_id else None
    if theme is None:
        return None
    logo = url_for("brand.logo", theme=theme.id) if theme.logo else None
    return Brand(name=theme.id.replace("_", " ").title(), css=url_for("brand.stylesheet", theme=theme.id), logo=logo)


def house_brand() -> Brand | None:
    """The brand for pages that cannot know the story (an unknown or expired link): the content's
    theme when it has exactly one, else the neutral look."""
    try:
        themes = services().renderer.library.themes
    except Exception:  # noqa: BLE001 - an error page must render even when the content does not load
        return None
    if len(themes) != 1:
        return None
    theme = next(iter(themes.values()))
    logo = url_for("brand.logo", theme=theme.id) if theme.logo else None
    return Brand(name=theme.id.replace("_", " ").title(), css=url_for("brand.stylesheet", theme=theme.id), logo=logo)


def theme_css(theme: ThemeSpec) -> str:
    """`:root` variables from the theme's colours (only well-formed hex colours are written)."""
    lines = []
    for variable, keys in _PAGE_COLOURS.items():
        for key in keys:
            value = theme.colors.get(key, "")
            if _COLOUR.match(value):
                lines.append(f"  {variable}: {value};")
                break
    return ":root {\n" + "\n".join(lines) + "\n}\n"


def _theme(theme_id: str) -> ThemeSpec:
    theme = read_theme(services().renders.content_root, theme_id)
    if theme is None:
        abort(404)
    return theme


@bp.get("/brand/<theme>.css")
def stylesheet(theme: str):  # noqa: ANN201
    response = Response(theme_css(_theme(theme)), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/brand/<theme>/logo")
def logo(theme: str):  # noqa: ANN201
    spec = _theme(theme)
    if not spec.logo:
        abort(404)
    path = (services().renders.content_root / spec.logo).resolve()
    if not path.is_file():
        abort(404)
    return send_file(path, conditional=True, max_age=3600)
