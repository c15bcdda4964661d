"""The episode reader (atelier.reader) on a real governed run with a scripted cast whose
model text is hostile: every link resolves, nothing the models wrote becomes markup, the
provenance is on the page, and the pages are recorded as assets, idempotently.

A model can no longer write markup (the agents' word-shaped schemas refuse it on every
backend), but a script stored by an earlier version, or a bigger model's text in a future
schema, can hold it: the hostile text goes in where code turns the model's drafts into the
stored bible and script, and the reader must still show it as text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from atelier.agents.script_writing import BibleWriting, OutlineWriting, PanelWriting
from atelier.reader import gather, publish_reader, relative_href, render_page
from atelier.store.database import Store
from atelier.workflows.runner import Runner

from workflow_helpers import governed_studio, pass_proposal, studio_at, with_provider

EVIL = "<script>alert(1)</script>"
# What the hostile cast writes (each within the agents' length limits).
SERIES = f'The "Keepers" & {EVIL}'
NAME = "Mara <img src=x onerror=alert(1)>"
TITLE = f"Storm & 'Fire' {EVIL}"
LINE = f'Hold the "light" & {EVIL}'
CAPTION = "That night </p><p onclick=alert(1)>"
BRIEF = f'Two keepers & "a storm" {EVIL}'


def hostile(value: object) -> object:
    """Model text with markup, quotes and ampersands in every kind of field the reader shows."""
    swaps = {"The Lighthouse Keepers": SERIES, "Mara": NAME, "Hold the light steady.": LINE,
             "That night.": CAPTION}

    def swap(value: object) -> object:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str):
            if value.startswith("Storm ") and len(value) < 10:  # an episode title
                return TITLE
            return swaps.get(value, value)
        return value

    return swap(value)


@contextmanager
def hostile_drafts() -> Iterator[None]:
    """The scripted cast's drafts become hostile text as code stores them."""
    with pytest.MonkeyPatch.context() as patch:
        for cls, method in ((BibleWriting, "to_bible"), (OutlineWriting, "to_outline"),
                            (PanelWriting, "to_panel")):
            patch.setattr(cls, method, _hostile_after(getattr(cls, method)))
        yield


def _hostile_after(convert: Any) -> Any:
    def stored(self: Any, *args: Any) -> Any:
        value = convert(self, *args)
        return type(value).model_validate(hostile(value.model_dump()))
    return stored


def runner_at(config: Path) -> Runner:
    """A runner whose models are the scripted cast."""
    studio = with_provider(studio_at(config), "scripted")
    return Runner(studio, studio.open_store())


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Store, Path]:
    """Two episodes with an audit in between whose proposal the members executed; returns
    the config, the store and the assets folder."""
    folder = tmp_path_factory.mktemp("reader")
    config = governed_studio(folder, episodes=2, audit_every=1)
    with hostile_drafts():
        assert runner_at(config).start().status == "paused"
        pass_proposal(config, 2)
        runner = runner_at(config)
        assert runner.resume(1).status == "done"
    return config, runner.store, runner.studio.workspace.assets_dir


# -- reading the HTML back -----------------------------------------------------------------
class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.rows: list[list[str]] = []  # table rows, each cell's text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
        if found.get("id"):
            self.ids.add(found["id"])
        for name in ("href", "src"):
            if found.get(name) is not None:
                self.links.append(str(found[name]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def reader_pages(assets: Path) -> list[Path]:
    return sorted((assets / "run-1").rglob("index.html"))


def broken_links(html: Path) -> list[str]:
    page = parse(html)
    broken = []
    for link in page.links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or link.startswith("/"):
            broken.append(f"{link}: not relative")
            continue
        if not parts.path:  # a fragment on this page
            if parts.fragment not in page.ids:
                broken.append(f"{link}: no such id")
            continue
        if not (html.parent / unquote(parts.path)).is_file():
            broken.append(f"{link}: no such file")
    return broken


# -- tests ---------------------------------------------------------------------------------------
def test_every_page_is_written_and_every_link_resolves(
        produced: tuple[Path, Store, Path]) -> None:
    _, _, assets = produced
    pages = reader_pages(assets)
    assert [p.relative_to(assets).as_posix() for p in pages] == [
        "run-1/episode-01/index.html", "run-1/episode-02/index.html", "run-1/index.html"]
    for html in pages:
        assert broken_links(html) == [], html
        assert parse(html).links, html
    index = parse(assets / "run-1" / "index.html")
    assert {"episode-01/index.html", "episode-02/index.html"} <= set(index.links)
    first = parse(assets / "run-1" / "episode-01" / "index.html")
    # the pages, each linking its SVG; the sheets from the run's characters folder
    assert {"title.png", "page-01.png", "page-01.svg", "episode.pdf"} <= set(first.links)
    assert {"../characters/sheet-old_tom.png", "../characters/sheet-old_tom.svg",
            "../index.html", "../episode-02/index.html"} <= set(first.links)


def test_model_text_never_becomes_markup(produced: tuple[Path, Store, Path]) -> None:
    _, store, assets = produced
    assert store.episodes(1)[0].title == TITLE  # the hostile text did reach the store
    for html in reader_pages(assets):
        page = parse(html)
        raw = html.read_text(encoding="utf-8")
        assert "<script" not in raw.lower(), html
        tags = {tag for tag, _ in page.tags}
        assert "script" not in tags and "img" in tags
        for tag, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (html, tag, attrs)
            if tag == "img":
                assert attrs["src"] and not attrs["src"].startswith("x"), attrs
        text = "".join(page.text)
        assert SERIES in text  # shown as text, with its quotes and ampersand
    episode = assets / "run-1" / "episode-01" / "index.html"
    page, raw = parse(episode), episode.read_text(encoding="utf-8")
    text = "".join(page.text)
    for written in (TITLE, LINE, CAPTION, NAME):
        assert written in text, written
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "&amp; &#39;Fire&#39;" in raw
    # in attributes too: the alt text keeps its quotes as text
    alts = [attrs.get("alt") or "" for tag, attrs in page.tags if tag == "img"]
    assert f"Character sheet of {NAME}" in alts
    assert f"Title page of episode 1: {TITLE}" in alts
    # the goal's brief (members' text, shown on every page) is escaped like the rest
    view = gather(store, assets, 1, {"brief": BRIEF})
    page = Page()
    page.feed(render_page("index.html", view, view.path).decode("utf-8"))
    assert BRIEF in "".join(page.text)
    assert "script" not in {tag for tag, _ in page.tags}


def test_the_provenance_is_on_the_page(produced: tuple[Path, Store, Path]) -> None:
    _, store, assets = produced
    second = store.episodes(1)[1]
    html = assets / "run-1" / "episode-02" / "index.html"
    text = "".join(parse(html).text)
    # every file of the episode with its sha256
    files = [a for a in store.assets(1, episode=2) if not a.kind.startswith("reader_")]
    assert files
    for asset in files:
        assert asset.sha256 in text, asset.path
    # the prompt versions the episode ran with, per agent
    assert set(second.prompt_hashes) == {"scriptwriter", "designer", "layout", "editor"}
    for agent, digest in second.prompt_hashes.items():
        assert f"{agent}{digest}" in text.replace(" ", "").replace("\n", "")
    # the goal's proposal, the executed audit's, and the run's audits with their status
    words = " ".join(text.split())
    assert "#1 “The Lighthouse Keepers”, approved by proposal #1" in words  # the goal's title
    assert "proposal #2 (executed)" in words
    audits = store.audits(1)
    assert [(a.index, a.proposal_number) for a in audits][:1] == [(1, 2)]
    assert "executed" in text and audits[0].report_hash in text
    # the models, with their parameters and seeds
    rows = {row[0]: row for row in parse(html).rows if row and row[0] in second.prompt_hashes}
    for asset in store.assets(1, episode=2):
        if asset.agent in second.prompt_hashes:
            row = [" ".join(cell.split()) for cell in rows[asset.agent]]
            params = ", ".join(f"{k}={v}" for k, v in sorted(asset.params.items())
                               if k != "seed")
            assert row[1:4] == [f"{asset.provider} / {asset.model}", params, str(asset.seed)]


def test_reader_pages_are_assets_and_publishing_again_changes_nothing(
        produced: tuple[Path, Store, Path]) -> None:
    _, store, assets = produced
    rows = [a for a in store.assets(1) if a.kind.startswith("reader_")]
    assert sorted((a.kind, a.episode, a.path) for a in rows) == [
        ("reader_episode", 1, "run-1/episode-01/index.html"),
        ("reader_episode", 2, "run-1/episode-02/index.html"),
        ("reader_index", None, "run-1/index.html")]
    for row in rows:
        assert hashlib.sha256((assets / row.path).read_bytes()).hexdigest() == row.sha256
        assert row.agent == "reader" and row.goal_id == 1
    assert {tuple(a.proposal_ids) for a in rows if a.episode == 2} == {("1", "2")}
    assert {tuple(a.proposal_ids) for a in rows if a.episode == 1} == {("1",)}
    # the index lists each episode page's own hash
    index_text = "".join(parse(assets / "run-1" / "index.html").text)
    assert all(a.sha256 in index_text for a in rows if a.kind == "reader_episode")

    # Publishing again records the same rows; the same store gives the same pages. (The
    # final audit, opened after the last publish, now shows: a later store, later pages.)
    count = len(store.assets(1))
    goal = {"brief": "Two keepers and a storm."}
    once = publish_reader(store, assets, 1, goal)
    twice = publish_reader(store, assets, 1, goal)
    assert len(store.assets(1)) == count
    assert [(a.id, a.path) for a in once] == [(a.id, a.path) for a in twice]
    assert {a.id for a in once} == {a.id for a in rows}
    assert [a.sha256 for a in once] == [a.sha256 for a in twice]
    final = "".join(parse(assets / "run-1" / "index.html").text)
    assert store.audits(1)[-1].report_hash in final


def test_a_page_is_written_as_each_episode_is_published(tmp_path: Path) -> None:
    """A one-episode goal finishes without pausing; its reader exists at once."""
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    runner = runner_at(config)
    assert runner.start().status == "done"
    assets = runner.studio.workspace.assets_dir
    assert [p.relative_to(assets).as_posix() for p in reader_pages(assets)] == [
        "run-1/episode-01/index.html", "run-1/index.html"]
    for html in reader_pages(assets):
        assert broken_links(html) == []
    # the final audit, opened after the last publish, refreshes the reader
    text = " ".join("".join(parse(assets / "run-1" / "index.html").text).split())
    assert "Storm 1" in text and "No audit checkpoint yet." not in text
    assert "1 1 #2 open none" in text  # audit 1 after episode 1: proposal 2, open


def test_links_are_relative_and_encoded() -> None:
    assert relative_href("run-1/episode-01/page-01.png", "run-1/episode-01/index.html") == \
        "page-01.png"
    assert relative_href("run-1/characters/sheet-a.png", "run-1/episode-01/index.html") == \
        "../characters/sheet-a.png"
    assert relative_href("run-1/episode-01/index.html", "run-1/index.html") == \
        "episode-01/index.html"
    assert relative_href("run-1/javascript:alert(1) x.png", "run-1/index.html") == \
        "javascript%3Aalert%281%29%20x.png"
    for bad in ("/etc/passwd", "run-1/../../secret", "run-1\\x"):
        with pytest.raises(ValueError):
            relative_href(bad, "run-1/index.html")
