"""The episode reader: static HTML pages per episode and an index per run, with the pages,
the character sheets and the provenance of everything shown (hashes, prompt versions, the
goal and audit proposals, models). No server: open ``<assets>/run-N/index.html``."""

from atelier.reader.site import publish_reader, relative_href, render_page
from atelier.reader.views import READER_KINDS, episode_path, gather, index_path

__all__ = [
    "READER_KINDS",
    "episode_path",
    "gather",
    "index_path",
    "publish_reader",
    "relative_href",
    "render_page",
]
