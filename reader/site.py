"""Write the reader: a static HTML page per finished episode and an index per run, under the
run's assets folder, each recorded in the store as an asset.

    <assets>/run-N/index.html               the series: episodes, cast, governance
    <assets>/run-N/episode-01/index.html    pages, cast, script, provenance

Every page links only relative paths inside ``run-N/`` (no server, fonts or scripts), so the
folder can be copied anywhere (``atelier assets export``). Pages are rewritten from the store
each time (all episodes, then the index), so audit statuses and links to the next episode
stay current; a file whose text did not change is left alone.
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from jinja2 import DictLoader, Environment, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from atelier.reader.templates import CSS, TEMPLATES
from atelier.reader.views import gather

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Asset, Episode

READER_AGENT = "reader"


def publish_reader(store: Store, assets_dir: Path, run_id: int,
                   goal: dict[str, Any] | None = None,
                   publishing: Episode | None = None) -> list[Asset]:
    """Write the run's reader and record each page as an asset (kinds ``reader_episode`` and
    ``reader_index``); returns the rows. ``goal`` (the approved GoalSpec as a dict) adds its
    brief; ``publishing`` is an episode about to be recorded as done, shown as such.
    Idempotent: the same store gives the same files and the same rows."""
    from atelier.store.models import Asset

    run = store.run(run_id)
    view = gather(store, assets_dir, run_id, goal, publishing)
    recorded: list[Asset] = []
    for episode in view.episodes:
        data = render_page("episode.html", view, episode.path, ep=episode)
        digest = write_page(assets_dir / episode.path, data)
        view.reader_hashes[episode.number] = digest
        recorded.append(store.put_asset(Asset(
            run_id=run_id, episode=episode.number, kind="reader_episode", path=episode.path,
            sha256=digest, agent=READER_AGENT, goal_id=run.goal_id,
            proposal_ids=list(episode.proposal_ids))))
    data = render_page("index.html", view, view.path)
    digest = write_page(assets_dir / view.path, data)
    latest = view.episodes[-1].proposal_ids if view.episodes else view.governance.goal_proposals
    recorded.append(store.put_asset(Asset(
        run_id=run_id, episode=None, kind="reader_index", path=view.path, sha256=digest,
        agent=READER_AGENT, goal_id=run.goal_id, proposal_ids=list(latest))))
    return recorded


class PageFrame(Protocol):
    """What every page's frame shows of its run (``RunView`` has it, and more)."""

    run_id: int
    series_title: str
    path: str  # the run's index page


def render_page(template: str, run: PageFrame, page: str, **values: Any) -> bytes:
    """One page as UTF-8 HTML; ``page`` is its path in the assets folder (links are made
    relative to it)."""
    html = _environment().get_template(template).render(
        run=run, page=page, index_page=run.path, css=Markup(CSS), **values)
    return html.encode("utf-8")


def relative_href(target: str, page: str) -> str:
    """``target`` (a path in the assets folder) as a link from ``page``: relative, with every
    segment percent-encoded (no scheme, query or fragment can sneak in)."""
    if target.startswith("/") or "\\" in target or ".." in target.split("/"):
        raise ValueError(f"not a path inside the assets folder: {target!r}")
    rel = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return quote(rel, safe="/")


@pass_context
def _href(context: Context, target: str) -> str:
    return relative_href(target, context["page"])


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def _short(value: str, width: int = 10) -> str:
    """A hash cut for a table cell (the full value is in the cell's title)."""
    return value if len(value) <= width + 2 else value[: width + 2] + "…"


def _drawable(value: Any) -> Any:
    """Every value a template prints: model text loses what HTML cannot carry (control
    characters, lone surrogates, non-characters). Escaping is autoescape's job."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return "".join(ch for ch in value
                   if ch in "\n\t" or (unicodedata.category(ch) not in ("Cc", "Cs", "Co")
                                       and ch not in "\ufffe\uffff"))


_ENV: Environment | None = None


def _environment() -> Environment:
    global _ENV
    if _ENV is None:
        env = Environment(loader=DictLoader(TEMPLATES), autoescape=True,
                          undefined=StrictUndefined, finalize=_drawable,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.filters["href"] = _href
        env.filters["plural"] = _plural
        env.filters["short"] = _short
        _ENV = env
    return _ENV


def write_page(path: Path, data: bytes) -> str:
    """Write ``data`` atomically unless the file already holds it; returns its sha256."""
    if not (path.is_file() and path.read_bytes() == data):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return hashlib.sha256(data).hexdigest()
