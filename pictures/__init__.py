"""Pictures: comic pages, title pages and character sheets drawn from the agents' outputs.

SVG is the source of truth; PNG and one PDF per episode are rendered from it with cairosvg.
Model text is untrusted throughout: it is cleaned and escaped wherever it is drawn. Panel
art comes through one seam, ``art.ImageProvider``: the drawn staging, or an images API.

The names below are imported on first use, so that reading ``[pictures]`` settings
(``atelier.pictures.settings``, for config.toml) does not load cairo and Pillow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from atelier.pictures.episode import RenderedEpisode, image_provider, render_episode
    from atelier.pictures.sheet import render_sheet

__all__ = ["RenderedEpisode", "image_provider", "render_episode", "render_sheet"]


def __getattr__(name: str) -> Any:
    if name in ("RenderedEpisode", "image_provider", "render_episode"):
        from atelier.pictures import episode

        return getattr(episode, name)
    if name == "render_sheet":
        from atelier.pictures.sheet import render_sheet

        return render_sheet
    raise AttributeError(f"module 'atelier.pictures' has no attribute {name!r}")
