"""Scenes, stories, templates, voices, assets and sample data shipped inside the wheel."""
