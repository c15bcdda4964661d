"""Pictures: comic pages, title pages and character sheets drawn from the agents' outputs.

SVG is the source of truth; PNG and one PDF per episode are rendered from it with cairosvg.
Model text is untrusted throughout: it is cleaned and escaped wherever it is drawn.
"""

from atelier.pictures.episode import RenderedEpisode, render_episode
from atelier.pictures.sheet import render_sheet

__all__ = ["RenderedEpisode", "render_episode", "render_sheet"]
