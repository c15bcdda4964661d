"""``render`` → ``review`` → ``publish``: pages drawn, checked, and stored with provenance.

``publish`` is the one place that records assets: every file the episode's nodes listed
gets its sha256 and full provenance (agent, prompt hash, model and the model file's
sha256, parameters, seed, goal, proposals) in the store, keyed by path, so publishing twice
records each file once. Then it writes the episode reader (``atelier.reader``: an HTML page
per finished episode and the run's index, under ``run-N/``) from those rows and records its
pages as assets too; last, the episode's files are anchored on the chain
(``atelier.workflows.anchoring``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.runtime import Runtime

from atelier.workflows.anchoring import anchor_episode
from atelier.workflows.context import RunContext, emit
from atelier.workflows.production import (
    brief_of,
    episode_dir,
    produced_file,
    run_dir,
    script_of,
)
from atelier.workflows.state import ProducedFile, RunState

if TYPE_CHECKING:
    from atelier.agents.scriptwriter import EpisodeScript


def render(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.agents.designer import CharacterSheet
    from atelier.agents.scriptwriter import SeriesBible
    from atelier.kernel.geometry import page_from_dict
    from atelier.pictures import render_episode, render_sheet

    number = state["episode"]
    emit("step", episode=number, agent="render", task="pages")
    bible = SeriesBible.model_validate(state["bible"])
    sheets = {cid: CharacterSheet.model_validate(entry["sheet"])
              for cid, entry in (state.get("sheets") or {}).items()}
    layout = state["layout"] or {}
    pages = [page_from_dict(page) for page in layout.get("pages", [])]
    out = episode_dir(runtime, state["run_id"], number)
    # Panel art as [pictures] says. An images provider that fails on a panel does not stop
    # the run: that panel is drawn instead and the review gets a finding. Its pictures are
    # kept in the episode's folder, so a resumed run asks for none of them again.
    rendered = render_episode(script_of(state), pages, sheets, bible, out,
                              series_title=bible.title,
                              art=runtime.context.get_studio().pictures)
    files: list[ProducedFile] = [
        produced_file(runtime, rendered.title_svg, "title_svg", number, "render"),
        produced_file(runtime, rendered.title_png, "title_png", number, "render"),
    ]
    pages_made = [produced_file(runtime, p, "page_svg", number, "render")
                  for p in rendered.pages_svg]
    pages_made += [produced_file(runtime, p, "page_png", number, "render")
                   for p in rendered.pages_png]
    pages_made.append(produced_file(runtime, rendered.pdf, "episode_pdf", number, "render"))
    if rendered.art_provider:  # who painted the panels: provenance of the pages
        for entry in pages_made:
            entry.update(provider=rendered.art_provider, model=rendered.art_model)
    files += pages_made
    # A sheet image for each character designed in this episode.
    characters = {c.id: c for c in bible.characters}
    sheets_dir = run_dir(runtime, state["run_id"]) / "characters"
    for cid, entry in (state.get("sheets") or {}).items():
        if entry.get("episode") != number or cid not in characters:
            continue
        svg, png = render_sheet(sheets[cid], characters[cid], sheets_dir)
        files += [produced_file(runtime, svg, "sheet_svg", number, "render"),
                  produced_file(runtime, png, "sheet_png", number, "render")]
    return {"files": files, "findings": list(rendered.findings)}


def review(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Automatic checks of the episode; findings are recorded, not fatal: members weigh
    them at the audit."""
    # Page geometry is not re-checked here: layout_pages already holds the solver to
    # check_layout, and characters without a sheet are the renderer's findings.
    script = script_of(state)
    findings = list(state.get("findings") or [])
    for panel in script.panels:
        if not panel.dialogue and not panel.caption and not panel.action.strip():
            findings.append(f"panel {panel.number}: nothing to show or read")
    speakers = [line.speaker for panel in script.panels for line in panel.dialogue]
    if not speakers:
        findings.append("the episode has no dialogue")
    findings += _readability(state, runtime, script)
    emit("review", episode=state["episode"], findings=len(findings))
    return {"findings": findings}


def _readability(state: RunState, runtime: Runtime[RunContext], script: EpisodeScript
                 ) -> list[str]:
    """The readability measure of what the agents wrote for this episode (the bible with
    the first): fields that still read badly after their retries, and the story's own."""
    from atelier.agents.scriptwriter import SeriesBible
    from atelier.workflows.readability import review_findings

    number = state["episode"]
    sheets = [entry["sheet"] for entry in (state.get("sheets") or {}).values()
              if entry.get("episode") == number]
    return review_findings(script, SeriesBible.model_validate(state["bible"]), brief_of(state),
                           sheets, runtime.context.get_studio().readability,
                           with_bible=number == 1)


def _stamp_publication(runtime: Runtime[RunContext], run_id: int, number: int) -> None:
    """The chain time of publication: members' reviews of the episode weigh the reputation
    they held then."""
    from atelier.governance.members import chain_time

    store = runtime.context.get_store()
    episode = store.episode(run_id, number)
    if episode is not None and episode.published_chain_time is None:
        with runtime.context.get_studio().session() as dao:
            store.set_published_chain_time(run_id, number, chain_time(dao))


def publish(state: RunState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    from atelier.reader import publish_reader
    from atelier.reader.export import file_sha256
    from atelier.store.models import Asset, Episode
    from atelier.workflows.ledger import record_operator_work

    store = runtime.context.get_store()
    assets_dir = runtime.context.get_studio().assets_dir
    run_id, number = state["run_id"], state["episode"]
    for entry in state.get("files") or []:
        path = assets_dir / entry["path"]
        store.put_asset(Asset(
            run_id=run_id, episode=entry.get("episode"), kind=entry["kind"], path=entry["path"],
            sha256=file_sha256(path), agent=entry.get("agent"),
            prompt_hash=entry.get("prompt_hash"), provider=entry.get("provider"),
            model=entry.get("model"), model_sha256=entry.get("model_sha256"),
            params=entry.get("params") or {}, seed=entry.get("seed"),
            goal_id=state["goal_id"], proposal_ids=list(state.get("proposal_ids") or []),
        ))
    script = script_of(state)
    findings = list(state.get("findings") or [])
    # The reader shows the rows just recorded (hashes, provenance) and records its own pages
    # as assets in turn; every finished episode's page and the run's index are rewritten,
    # so statuses and links stay current. It runs before the episode is marked done, so a
    # crash after this point leaves every file recorded and a rerun adds nothing.
    published = Episode(run_id=run_id, number=number, title=script.title,
                        summary=script.summary, status="done",
                        prompt_hashes=dict(state.get("prompts") or {}), findings=findings)
    publish_reader(store, assets_dir, run_id, goal=state.get("goal"), publishing=published)
    store.finish_episode(run_id, number, title=script.title, summary=script.summary,
                         findings=findings)
    _stamp_publication(runtime, run_id, number)
    store.update_run(run_id, episodes_done=number)
    emit("published", episode=number, title=script.title, files=len(state.get("files") or []),
         findings=len(findings))
    root = anchor_episode(state, runtime)
    if root is not None:  # the operator's entry: revenue shares for running the studio
        record_operator_work(store, run_id, number,
                             runtime.context.get_studio().operator().address, root)
    summaries = [*(state.get("summaries") or []), f"Episode {number}: {script.summary}"]
    return {"files": [], "summaries": summaries, "episode": number + 1, "script": None,
            "layout": None}
