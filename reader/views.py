"""What the reader shows, gathered from the studio's store and the run's files.

Everything here is plain data for the templates: the store's rows (runs, episodes, assets,
audits, model calls) and the run's JSON (series bible, scripts) read back from the assets
folder. Paths stay as the store has them (relative to the assets folder); the templates turn
them into links relative to the page that shows them. Text from the models is passed on as
it is: the templates escape it.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Asset, Audit, Episode, ModelCall, Run

READER_KINDS = ("reader_episode", "reader_index", "reader_ballot")
LINE_VERBS = {"speech": "says", "thought": "thinks", "whisper": "whispers", "shout": "shouts"}


def index_path(run_id: int) -> str:
    """Where a run's index page lives, relative to the assets folder."""
    return f"run-{run_id}/index.html"


def episode_path(run_id: int, number: int) -> str:
    """Where an episode's page lives: beside its pages (``workflows.production.episode_dir``)."""
    return f"run-{run_id}/episode-{number:02d}/index.html"


def ballot_path(run_id: int, number: int) -> str:
    """Where the page of an episode's curation ballot lives."""
    return f"run-{run_id}/episode-{number:02d}/ballot.html"


@dataclass(frozen=True)
class FileLink:
    """An asset the reader links to, with what proves it is the file the run made."""

    kind: str
    path: str  # relative to the assets folder, posix
    sha256: str
    size: int | None  # bytes on disk; None when the file is missing
    agent: str | None = None
    prompt_hash: str | None = None

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    @property
    def size_text(self) -> str:
        if self.size is None:
            return "missing"
        if self.size < 1024:
            return f"{self.size} B"
        if self.size < 1024 * 1024:
            return f"{self.size / 1024:.0f} KB"
        return f"{self.size / 1024 / 1024:.1f} MB"


@dataclass(frozen=True)
class PageImage:
    label: str  # "Title page", "Page 1", ...
    png: FileLink
    svg: FileLink | None


@dataclass(frozen=True)
class CastMember:
    id: str
    name: str
    role: str
    look: str
    personality: str
    sheet_png: FileLink | None
    sheet_svg: FileLink | None
    designed_in: int | None  # the episode whose designer call made the sheet


@dataclass(frozen=True)
class AgentRun:
    """One agent's model set-up as it ran: what made the files, and how much it called."""

    agent: str
    prompt_hash: str
    provider: str
    model: str
    params: str  # "k=v, ..." without the seed
    seed: int | None
    calls: int
    tokens: int
    retries: int
    #: sha256 of the local model file ("" for a served model or rows from before it was kept)
    model_sha256: str = ""


@dataclass(frozen=True)
class AuditRow:
    index: int
    revision: int
    after_episode: int
    proposal_number: int | None
    status: str
    report_hash: str
    proposed_prompts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Governance:
    goal_id: int
    goal_title: str
    goal_brief: str
    goal_proposals: tuple[str, ...]  # the proposal(s) that approved the goal
    audit_proposals: tuple[str, ...]  # executed audit proposals in force, in order
    audits: tuple[AuditRow, ...]  # every audit of the run, as the store has it now


@dataclass(frozen=True)
class Line:
    speaker: str
    verb: str
    style: str
    text: str


@dataclass(frozen=True)
class PanelText:
    number: int
    shot: str
    action: str
    caption: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class SceneText:
    setting: str
    panels: tuple[PanelText, ...]


@dataclass(frozen=True)
class ReviewView:
    """A member's signed review as stored (the CLI verified its signature when it came in)."""

    reviewer: str
    scriptwriter: int
    designer: int
    layout: int
    comment: str


@dataclass(frozen=True)
class EpisodeView:
    number: int
    title: str
    summary: str
    status: str
    path: str  # this page, relative to the assets folder
    cover: FileLink | None  # the title page's PNG
    pages: tuple[PageImage, ...]
    pdf: FileLink | None
    script: FileLink | None
    layout: FileLink | None
    cast: tuple[CastMember, ...]
    scenes: tuple[SceneText, ...]
    prompts: tuple[tuple[str, str], ...]  # agent -> prompt hash the episode used
    agents: tuple[AgentRun, ...]
    governance: Governance
    findings: tuple[str, ...]
    files: tuple[FileLink, ...]
    proposal_ids: tuple[str, ...]  # as recorded on the episode's assets
    previous: str | None = None  # the neighbouring episodes' pages
    next: str | None = None
    reviews: tuple[ReviewView, ...] = ()
    ballot: str | None = None  # the curation ballot's page, when members chose the outline


@dataclass(frozen=True)
class RunView:
    run_id: int
    status: str
    message: str
    episodes_done: int
    episodes_planned: int
    series_title: str
    logline: str
    tone: str
    world: str
    arc: str
    bible: FileLink | None
    cast: tuple[CastMember, ...]
    governance: Governance
    episodes: tuple[EpisodeView, ...]  # done episodes, in order
    path: str = ""
    reader_hashes: dict[int, str] = field(default_factory=dict)  # episode -> its page's sha


# -- gathering ---------------------------------------------------------------------------------
def gather(store: Store, assets_dir: Path, run_id: int, goal: dict[str, Any] | None = None,
           publishing: Episode | None = None) -> RunView:
    """The run as the reader shows it: done episodes, cast, governance, files.
    ``publishing`` is an episode as it is about to be recorded as done (``publish`` writes
    the reader before it marks the episode, so that a crash in between leaves nothing
    half-recorded for the rerun)."""
    run = store.run(run_id)
    assets = [a for a in store.assets(run_id) if a.kind not in READER_KINDS]
    audits = store.audits(run_id)
    calls = store.calls(run_id)
    links = {a.path: _link(a, assets_dir) for a in assets}
    bible = _read_json(assets_dir, _first(assets, "bible"))
    characters = list((bible or {}).get("characters") or [])
    sheets = _sheets(assets, links)
    brief = str((goal or {}).get("brief") or "")
    current_ids = _proposal_ids(assets)

    episodes = {e.number: e for e in store.episodes(run_id)}
    if publishing is not None:
        episodes[publishing.number] = publishing
    done = [e for _, e in sorted(episodes.items()) if e.status == "done"]
    ballots = {b.episode: ballot_path(run_id, b.episode) for b in store.ballots(run_id)}
    reviews: dict[int, list[ReviewView]] = {}
    for r in store.reviews(run_id):
        reviews.setdefault(r.episode, []).append(ReviewView(
            r.reviewer, r.scriptwriter, r.designer, r.layout, r.comment))
    views = []
    for episode in done:
        mine = [a for a in assets if a.episode == episode.number]
        script = _read_json(assets_dir, _first(mine, "script"))
        view = _episode_view(run, episode, mine, links, script, characters, sheets,
                             audits, calls, brief)
        views.append(replace(view, reviews=tuple(reviews.get(episode.number, ())),
                             ballot=ballots.get(episode.number)))
    numbers = [v.number for v in views]
    linked = []
    for i, view in enumerate(views):
        previous = episode_path(run_id, numbers[i - 1]) if i > 0 else None
        following = episode_path(run_id, numbers[i + 1]) if i + 1 < len(views) else None
        linked.append(replace(view, previous=previous, next=following))

    cast = tuple(_cast_member(c, sheets) for c in characters)
    bible_asset = _first(assets, "bible")
    return RunView(
        run_id=run.id, status=run.status, message=run.message,
        episodes_done=len(views), episodes_planned=run.episodes_planned,
        series_title=str((bible or {}).get("title") or run.goal_title),
        logline=str((bible or {}).get("logline") or ""), tone=str((bible or {}).get("tone") or ""),
        world=str((bible or {}).get("world") or ""), arc=str((bible or {}).get("arc") or ""),
        bible=links[bible_asset.path] if bible_asset else None, cast=cast,
        governance=_governance(run, current_ids, audits, brief), episodes=tuple(linked),
        path=index_path(run_id),
    )


def _episode_view(run: Run, episode: Episode, assets: list[Asset], links: dict[str, FileLink],
                  script: dict[str, Any] | None, characters: list[dict[str, Any]],
                  sheets: dict[str, dict[str, FileLink | int | None]], audits: list[Audit],
                  calls: list[ModelCall], brief: str) -> EpisodeView:
    by_kind: dict[str, list[FileLink]] = {}
    for a in assets:
        by_kind.setdefault(a.kind, []).append(links[a.path])
    svgs = {posixpath.splitext(link.path)[0]: link
            for link in by_kind.get("page_svg", []) + by_kind.get("title_svg", [])}
    pages = []
    for png in by_kind.get("title_png", []):
        pages.append(PageImage("Title page", png, svgs.get(posixpath.splitext(png.path)[0])))
    for n, png in enumerate(sorted(by_kind.get("page_png", []), key=lambda f: f.path), 1):
        pages.append(PageImage(f"Page {n}", png, svgs.get(posixpath.splitext(png.path)[0])))

    names = {str(c.get("id")): str(c.get("name") or c.get("id")) for c in characters}
    scenes, appearing = _scenes(script, names)
    cast = tuple(_cast_member(c, sheets) for c in characters
                 if c.get("id") in appearing or sheets.get(str(c.get("id")), {}).get("episode")
                 == episode.number)
    proposal_ids = _proposal_ids(assets)
    mine = [c for c in calls if c.episode == episode.number]
    if episode.number == 1:  # the series bible was written for the first episode
        mine = [c for c in calls if c.episode is None] + mine
    return EpisodeView(
        number=episode.number, title=episode.title or str((script or {}).get("title") or ""),
        summary=episode.summary, status=episode.status,
        path=episode_path(run.id, episode.number),
        cover=next(iter(by_kind.get("title_png", [])), None), pages=tuple(pages),
        pdf=next(iter(by_kind.get("episode_pdf", [])), None),
        script=next(iter(by_kind.get("script", [])), None),
        layout=next(iter(by_kind.get("layout", [])), None),
        cast=cast, scenes=scenes,
        prompts=tuple(sorted(episode.prompt_hashes.items())),
        agents=_agent_runs(assets, mine), governance=_governance(run, proposal_ids, audits,
                                                                 brief),
        findings=tuple(episode.findings),
        files=tuple(sorted((links[a.path] for a in assets), key=_file_order)),
        proposal_ids=proposal_ids,
    )


def _scenes(script: dict[str, Any] | None, names: dict[str, str]
            ) -> tuple[tuple[SceneText, ...], set[str]]:
    """The script as text (a transcript beside the pages) and who appears in it."""
    scenes, appearing = [], set()
    for scene in (script or {}).get("scenes") or []:
        panels = []
        for panel in scene.get("panels") or []:
            appearing.update(str(c) for c in panel.get("characters") or [])
            lines = []
            for line in panel.get("dialogue") or []:
                speaker = str(line.get("speaker") or "")
                appearing.add(speaker)
                style = str(line.get("style") or "speech")
                lines.append(Line(names.get(speaker, speaker), LINE_VERBS.get(style, "says"),
                                  style if style in LINE_VERBS else "speech",
                                  str(line.get("text") or "")))
            panels.append(PanelText(int(panel.get("number") or 0), str(panel.get("shot") or ""),
                                    str(panel.get("action") or ""),
                                    str(panel.get("caption") or ""), tuple(lines)))
        scenes.append(SceneText(str(scene.get("setting") or ""), tuple(panels)))
    return tuple(scenes), appearing


def _sheets(assets: list[Asset], links: dict[str, FileLink]
            ) -> dict[str, dict[str, FileLink | int | None]]:
    """character id -> its sheet images (``sheet-<id>.png/.svg``, see
    ``atelier.pictures.render_sheet``) and the episode that made them."""
    found: dict[str, dict[str, FileLink | int | None]] = {}
    for a in assets:
        if a.kind not in ("sheet_png", "sheet_svg"):
            continue
        stem = posixpath.splitext(posixpath.basename(a.path))[0].removeprefix("sheet-")
        entry = found.setdefault(stem, {})
        entry["png" if a.kind == "sheet_png" else "svg"] = links[a.path]
        entry["episode"] = a.episode
    return found


def _cast_member(character: dict[str, Any], sheets: dict[str, dict[str, Any]]) -> CastMember:
    cid = str(character.get("id") or "")
    sheet = sheets.get(cid, {})
    return CastMember(id=cid, name=str(character.get("name") or cid),
                      role=str(character.get("role") or ""), look=str(character.get("look") or ""),
                      personality=str(character.get("personality") or ""),
                      sheet_png=sheet.get("png"), sheet_svg=sheet.get("svg"),
                      designed_in=sheet.get("episode"))


def _agent_runs(assets: list[Asset], calls: list[ModelCall]) -> tuple[AgentRun, ...]:
    """Per agent and set-up (prompt, provider, model, parameters, seed): the calls made and
    tokens spent. The set-ups come from the files the agents made and from the call log."""
    rows: dict[tuple[Any, ...], dict[str, int]] = {}

    def key(agent: str, prompt: str | None, provider: str | None, model: str | None,
            params: dict[str, Any], seed: int | None, sha256: str | None) -> tuple[Any, ...]:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "seed")
        return (agent, prompt or "", provider or "", model or "", shown,
                seed if seed is not None else params.get("seed"), sha256 or "")

    for a in assets:
        if a.prompt_hash:  # made by a model (the renderer's files have no prompt)
            rows.setdefault(key(a.agent or "", a.prompt_hash, a.provider, a.model, a.params,
                                a.seed, a.model_sha256), {"calls": 0, "tokens": 0, "retries": 0})
    for c in calls:
        row = rows.setdefault(key(c.agent, c.prompt_hash, c.provider, c.model, c.params, c.seed,
                                  c.model_sha256), {"calls": 0, "tokens": 0, "retries": 0})
        row["calls"] += 1
        row["tokens"] += c.prompt_tokens + c.completion_tokens
        row["retries"] += max(c.attempts - 1, 0)
    return tuple(AgentRun(agent, prompt, provider, model, params, seed, **counts,
                          model_sha256=sha256)
                 for (agent, prompt, provider, model, params, seed, sha256), counts
                 in sorted(rows.items(), key=lambda item: tuple(map(str, item[0]))))


def _governance(run: Run, proposal_ids: tuple[str, ...], audits: list[Audit],
                brief: str) -> Governance:
    audit_numbers = {str(a.proposal_number) for a in audits if a.proposal_number is not None}
    return Governance(
        goal_id=run.goal_id, goal_title=run.goal_title, goal_brief=brief,
        goal_proposals=tuple(p for p in proposal_ids if p not in audit_numbers),
        audit_proposals=tuple(p for p in proposal_ids if p in audit_numbers),
        audits=tuple(AuditRow(a.index, a.revision, a.after_episode, a.proposal_number,
                              a.status, a.report_hash, tuple(sorted(a.proposed_prompts.items())))
                     for a in audits),
    )


def _proposal_ids(assets: list[Asset]) -> tuple[str, ...]:
    """The proposals that governed these files: the longest list recorded on them (the goal's
    proposal, then each executed audit's, in order)."""
    lists = [tuple(a.proposal_ids) for a in assets]
    return max(lists, key=len, default=())


_ORDER = ("title_png", "title_svg", "page_png", "page_svg", "episode_pdf", "script", "layout",
          "sheet", "sheet_png", "sheet_svg")


def _file_order(link: FileLink) -> tuple[int, str]:
    rank = _ORDER.index(link.kind) if link.kind in _ORDER else len(_ORDER)
    return rank, link.path


def _link(asset: Asset, assets_dir: Path) -> FileLink:
    path = assets_dir / asset.path
    size = path.stat().st_size if path.is_file() else None
    return FileLink(asset.kind, asset.path, asset.sha256, size, asset.agent, asset.prompt_hash)


def _first(assets: list[Asset], kind: str) -> Asset | None:
    return next((a for a in assets if a.kind == kind), None)


def _read_json(assets_dir: Path, asset: Asset | None) -> dict[str, Any] | None:
    """A JSON file the run wrote; None when it is gone or unreadable (the page says less)."""
    if asset is None:
        return None
    try:
        data = json.loads((assets_dir / asset.path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None

