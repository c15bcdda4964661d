"""`atelier demo`: the governed loop on the embedded defaults, narrated step by step.

Founding the DAO (with the founding prompts) → a goal proposed, voted, queued, executed →
a production run → the audit checkpoint pauses it and proposes a prompt rewrite a prompt
engineer drafted → members review episode 1 (signed, gasless) and approve the audit → the
run resumes: the scriptwriter offers two outlines of episode 2 and members curate → episode
2 uses the new prompt → the final audit reads the reviews and carries the editor agent's
rewrite, which members approve → a summary of the pages, the proposals, the reviews, the
ballot and the prompt hashes each episode used → episode 1 is released by proposal as an
ERC-721 token, a collector buys it, and the income is split by contribution and claimed →
each episode was anchored on the chain when published: the run is exported with its proofs
and `atelier verify` checks one page.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from atelier.cli.context import studio_of
from atelier.cli.output import console
from atelier.kernel.durations import format_duration
from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.governance.dao import StudioDAO
    from atelier.governance.proposals import Proposal
    from atelier.studio import Studio
    from atelier.workflows.runner import Runner, RunOutcome

DEMO_GOAL = {
    "title": "The Lighthouse Keepers",
    "brief": "Two keepers on a remote island keep the light burning through a season of "
    "storms, and find out what the sea has been sending them.",
    "episodes": 2,
    "audit_every": 1,
    "token_budget": 200_000,
}

#: What members say about episode 1: (member, scriptwriter, designer, layout, comment).
DEMO_REVIEWS = (
    ("alice", 2, 4, 4, "The dialogue is thin: give the characters more to say."),
    ("bob", 2, 4, 3, "The story wanders; every scene needs one clear goal."),
    ("carol", 3, 4, 4, ""),
)
#: Outline variants of episode 2 the members choose from, and how each member votes (1-based).
DEMO_VARIANTS = 2
DEMO_CURATION = (("alice", 2), ("bob", 2), ("carol", 1))

#: The prompt engineer's rewrite the first audit carries: (old, new) replacements.
DEMO_REWRITE = (
    ('  version: "1.0.0"', '  version: "1.1.0"'),
    ("Write concrete, visual moments that an artist can draw.",
     "Write concrete, visual moments that an artist can draw. Give every panel one clear "
     "action."),
)


def step(text: str) -> None:
    console.print(f"[bold cyan]▸[/] {text}", soft_wrap=True)


def demo(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Keep the demo studio here (default: a "
                     "temporary folder)."),
    ] = None,
) -> None:
    """Run the studio's governed loop end to end on the embedded chain, offline."""
    from atelier.agents.models.local import TINY_MODEL_NOTICE
    from atelier.cli.demo_economy import release_sell_split
    from atelier.config import Config
    from atelier.studio import Studio
    from atelier.workspace import Workspace

    if workspace is not None:
        from atelier.config import os_path
        from atelier.kernel.text import clip_repr

        try:
            os_path(str(workspace))
        except ValueError as exc:
            raise AtelierError(f"--workspace {clip_repr(str(workspace))}: {exc}") from None
    base = studio_of(ctx).config if _has_config(ctx) else Config()
    root = (workspace or ctx.find_root().obj.workspace or Path(
        tempfile.mkdtemp(prefix="atelier-demo-"))).resolve()
    source_prompts = studio_of(ctx).prompts_dir if _has_config(ctx) else _shipped_prompts()
    if not source_prompts.is_dir():
        raise AtelierError(f"no prompt files at {source_prompts}",
                           hint="set [prompts] dir in config.toml to the folder of *.prompty "
                           "files, or run from the Atelier checkout")
    # The demo runs on the embedded chain with dev accounts, whatever config says, and on
    # its own copy of the prompt files (it drafts a rewrite; your prompts/ stay untouched).
    # One outline for episode 1; members curate from episode 2 on (see below).
    config = Config.model_validate({
        **base.model_dump(), "chain": {"kind": "embedded"}, "storage": {"url": ""},
        "prompts": {"dir": str(root / "drafts")},
        "curation": {**base.curation.model_dump(), "variants": 1},
    })
    # Relative paths in config (a GGUF file) stay relative to the real config.toml.
    config_path = ctx.find_root().obj.config_path if _has_config(ctx) else root / "config.toml"
    studio = Studio(config=config, workspace=Workspace(root), config_path=config_path)
    started = time.monotonic()
    studio.workspace.prepare_new(force=False)
    shutil.copytree(source_prompts, root / "drafts")

    dao_address = _found_dao(studio)
    console.print(f"  governor {dao_address}")
    goal_id = _approve_goal(studio)
    _draft_rewrite(studio)
    if studio.config.models.provider == "local" and studio.config.models.local.bundled:
        console.print(f"[dim]{escape(TINY_MODEL_NOTICE)}[/]", soft_wrap=True)
    outcome = _run(studio, lambda runner: runner.start(goal_id=goal_id))
    if outcome.audit is None or outcome.run.status != "paused":
        raise AtelierError(f"the run did not pause at its audit ({outcome.run.status}: "
                           f"{outcome.run.message})")
    number = outcome.audit.proposal_number
    step(f"the run pauses at audit 1; members read the report and the scriptwriter rewrite "
         f"(`atelier audit show {outcome.audit.id}`) and vote on proposal {number}")
    _review(studio, outcome.run.id or 0)
    with studio.session() as dao:
        _pass(dao, dao.proposal(str(number)), "the rewrite reads well")
    # Curation from episode 2 on, as an operator would switch it on in config.toml.
    studio = dataclasses.replace(studio, config=studio.config.model_copy(update={
        "curation": studio.config.curation.model_copy(update={"variants": DEMO_VARIANTS})}))
    step(f"resuming run {outcome.run.id}: episode 2 uses the newly approved prompts, and the "
         f"scriptwriter offers {DEMO_VARIANTS} outlines for the members to choose from")
    final = _run(studio, lambda runner: runner.resume(outcome.run.id))
    while final.ballot is not None:
        _curate(studio, final.ballot.id or 0)
        final = _run(studio, lambda runner: runner.resume(outcome.run.id))
    _approve_final_audit(studio, final)
    release_sell_split(studio, final.run.id or 0, _pass, step)
    _summary(studio, final.run.id, time.monotonic() - started)
    _verify_a_page(studio, final.run.id or 0)


def _review(studio: Studio, run_id: int) -> None:
    """Members rate episode 1 with signed, gasless messages (`atelier review`)."""
    from atelier.governance.accounts import dev_signer
    from atelier.workflows.community import Ratings, sign_review

    step("members review episode 1 per agent with signed, gasless messages (EIP-712); the "
         "next audit reads them")
    with studio.open_store() as store:
        run = store.run(run_id)
        for member, script, design, layout, comment in DEMO_REVIEWS:
            sign_review(studio, store, dev_signer(member), run, 1,
                        Ratings(script, design, layout), comment)
            said = f": “{comment}”" if comment else ""
            console.print(f"  {member}: scriptwriter {script}, designer {design}, layout "
                          f"{layout}{escape(said)}", soft_wrap=True)


def _curate(studio: Studio, ballot_id: int) -> None:
    """Members choose an outline with signed votes weighed by reputation (`atelier curate`)."""
    from atelier.governance.accounts import dev_signer
    from atelier.workflows.community import sign_curation_vote

    with studio.open_store() as store:
        ballot = store.ballot(ballot_id)
        step(f"the run pauses at curation ballot {ballot.id}: {len(ballot.variants)} outlines "
             f"of episode {ballot.episode}")
        for i, variant in enumerate(ballot.variants, 1):
            console.print(f"  variant {i}: “{escape(str(variant.get('title', '')))}” — "
                          f"{escape(str(variant.get('summary', ''))[:120])}", soft_wrap=True)
        for member, choice in DEMO_CURATION:
            sign_curation_vote(studio, store, dev_signer(member), ballot, choice - 1)
        votes = ", ".join(f"{m} → {c}" for m, c in DEMO_CURATION)
    step(f"members vote with signed messages ({votes}); everyone has voted, so the ballot "
         "closes and the run resumes with the winner")


def _approve_final_audit(studio: Studio, outcome: RunOutcome) -> None:
    audit = outcome.audit
    if audit is None or audit.proposal_number is None or audit.status != "open":
        return
    from atelier.workflows.audit import EDITOR

    with studio.open_store() as store:
        report = store.audit(audit.id or 0).report_markdown
    by_editor = f"drafted by the {EDITOR} agent" in report
    what = ("a scriptwriter rewrite the editor agent drafted from the reviews"
            if by_editor else "the editor's notes (its draft was dropped: see the report)")
    step(f"the final audit (proposal {audit.proposal_number}) reads the members' ratings and "
         f"carries {what} (`atelier audit show {audit.id}`)")
    with studio.session() as dao:
        _pass(dao, dao.proposal(str(audit.proposal_number)), "the editor heard us")
    with studio.open_store() as store:  # no resume follows the final audit to record it
        store.update_audit(audit.id or 0, status="executed")


def _shipped_prompts() -> Path:
    path = Path.cwd() / "prompts"
    if not path.is_dir():
        raise AtelierError("no prompts/ folder here and no config.toml naming one",
                           hint="run `atelier demo` from the Atelier checkout")
    return path


def _found_dao(studio: Studio) -> str:
    from atelier.cli.dao import dao_settings, founding_prompts, store_founding_prompts
    from atelier.governance.accounts import dev_signer
    from atelier.governance.deploy import deploy_dao

    config, gov = studio.config, studio.config.governance
    settings = dao_settings(studio)
    founding = founding_prompts(studio)
    step(f"founding the studio DAO in {studio.workspace.root} with members "
         f"{', '.join(f'{m} ({p} reputation)' for m, p in config.members.items())}; the "
         f"ethics committee is {gov.guardian}; the founding prompts are approved as version 1")
    with studio.open_chain() as chain:
        deployment = deploy_dao(
            chain, dev_signer("deployer"), studio_name=config.studio.name, settings=settings,
            grants={studio.address_of(m): p for m, p in config.members.items()},
            guardian=studio.address_of(gov.guardian),
            founding_prompts={agent: p.content_hash for agent, p in founding.items()},
            anchorer=studio.address_of(config.workflow.operator),
        )
        deployment.save(studio.workspace.deployment_file)
    store_founding_prompts(studio, founding)
    for agent, prompt in founding.items():
        console.print(f"  {agent}: {prompt.hash_hex}", soft_wrap=True)
    return deployment.governor


def _approve_goal(studio: Studio) -> int:
    from atelier.governance.accounts import dev_signer
    from atelier.governance.goals import GoalSpec

    spec = GoalSpec(**DEMO_GOAL)
    proposer = next(iter(studio.config.members))
    step(f"{proposer} proposes the goal “{spec.title}”: {spec.episodes} episodes, an audit "
         f"after every {spec.audit_every}")
    with studio.session() as dao:
        proposal = dao.propose_goal(dev_signer(proposer), spec)
        console.print(f"  proposal {proposal.number}, goal content hash "
                      f"0x{spec.content_hash.hex()}", soft_wrap=True)
        _pass(dao, proposal, "a good first series")
        [goal] = [g for g in dao.goals() if g.content_hash == spec.content_hash]
    step(f"goal {goal.id} is active on-chain")
    return goal.id


def _pass(dao: StudioDAO, proposal: Proposal, reason: str) -> None:
    """Members vote for; local time skips the delays; the first member queues and executes."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.lifecycle import Ballot, Step, pass_proposal
    from atelier.governance.proposal_state import ProposalState

    gov = dao.settings()
    members = [dao.name_of(a) for a in dao.deployment.founding_members]

    def narrate(event: Step, ballot: Ballot | None, receipt: object, seconds: float) -> None:
        if event == "voting opened":
            step(f"waiting out the voting delay ({format_duration(gov['voting_delay'])}) on "
                 "the local chain clock")
        elif event == "voting closed":
            tally = dao.status(proposal).tally
            console.print(f"  {', '.join(members)} vote for: {tally.for_ // 10**18} for, "
                          f"{tally.against // 10**18} against")
        elif event == "queued":
            step(f"proposal {proposal.number} passed and is queued; waiting the timelock delay "
                 f"({format_duration(gov['timelock_delay'])})")
        elif event == "executed":
            step(f"proposal {proposal.number} executed")

    ballots = [Ballot(dev_signer(member), "for", reason) for member in members]
    state = pass_proposal(dao, proposal, ballots, executor=dev_signer(members[0]),
                          on_step=narrate)
    if state is not ProposalState.Executed:
        raise AtelierError(f"proposal {proposal.number} ended {state.name}, not executed",
                           hint="check the members and quorum in config.toml")


def _draft_rewrite(studio: Studio) -> None:
    path = studio.working_prompt_path("scriptwriter")
    text = path.read_text(encoding="utf-8")
    for old, new in DEMO_REWRITE:
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    step("a prompt engineer drafts a scriptwriter rewrite (one clear action per panel); the "
         "run keeps using the approved version, the audit carries it")


def _run(studio: Studio, action: Callable[[Runner], RunOutcome]) -> RunOutcome:
    from atelier.cli.runs import runner_for

    with runner_for(studio, live=True) as runner:
        return action(runner)


def _summary(studio: Studio, run_id: int, seconds: float) -> None:

    with studio.open_store() as store:
        episodes = store.episodes(run_id)
        audits = store.audits(run_id)
        pdfs = store.assets(run_id, kind="episode_pdf")
        readers = store.assets(run_id, kind="reader_index")
        reviews = store.reviews(run_id)
        ballots = store.ballots(run_id)
    root = studio.workspace.root
    console.print()
    console.print(f"[green]✓[/] demo finished in {format_duration(int(seconds))}")
    for episode in episodes:
        hashes = ", ".join(f"{a} {h[:10]}…" for a, h in sorted(episode.prompt_hashes.items()))
        console.print(f"  episode {episode.number} “{escape(episode.title)}”: {hashes}",
                      soft_wrap=True)
    for audit in audits:
        console.print(f"  audit {audit.index}: proposal {audit.proposal_number} "
                      f"({audit.status}), rewrites: {', '.join(audit.proposed_prompts) or '-'}")
    console.print(f"  reviews: {len(reviews)} signed (`atelier reviews list`)")
    for ballot in ballots:
        chosen = f"variant {ballot.winner + 1}" if ballot.winner is not None else "open"
        console.print(f"  curation ballot {ballot.id} (episode {ballot.episode}): {chosen}, "
                      f"tally root {(ballot.tally_root or '-')[:14]}…")
    for pdf in pdfs:
        console.print(f"  pages: {studio.workspace.assets_dir / pdf.path}")
    for reader in readers:
        console.print(f"  [bold]read it:[/] {studio.workspace.assets_dir / reader.path}",
                      soft_wrap=True)
    console.print(f"  workspace: {root}")
    console.print(f"  look around: atelier -w {root} run status {run_id} · "
                  f"atelier -w {root} assets list · atelier -w {root} proposals list",
                  soft_wrap=True)


def _verify_a_page(studio: Studio, run_id: int) -> None:
    """Each published episode was anchored on the chain: export the run with its proofs and
    check one page as a stranger would (`atelier verify`)."""
    from atelier.cli.assets import write_proofs
    from atelier.cli.verify import check_file, show
    from atelier.reader.export import export_run

    out = studio.workspace.root / "export"
    with studio.open_store() as store:
        done = export_run(store, studio.workspace.assets_dir, run_id, out, force=True)
        proofs = write_proofs(studio, store, done)
    pages = sorted(p.removesuffix(".proof.json") for p in proofs
                   if "/page-" in p and p.endswith(".png.proof.json"))
    if not pages:
        raise AtelierError("the demo's episodes were not anchored on the chain")
    page = out / pages[0]
    console.print()
    step(f"every published episode's files were anchored on the chain (a Merkle root in the "
         f"provenance registry); `atelier assets export {run_id} {out}` wrote "
         f"{len(proofs)} proofs beside the files, and anyone can check one:")
    console.print(f"  $ atelier -w {studio.workspace.root} verify {page}", soft_wrap=True)
    show(check_file(studio, page), studio)


def _has_config(ctx: typer.Context) -> bool:
    return ctx.find_root().obj.config_path.exists()
