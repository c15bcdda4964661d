"""`atelier demo`: the governed loop on the embedded defaults, narrated step by step.

Founding the DAO (with the founding prompts) → a goal proposed, voted, queued, executed →
a production run → the audit checkpoint pauses it and proposes a prompt rewrite a prompt
engineer drafted → members approve → the run resumes and episode 2 uses the new prompt →
a summary of the pages, the proposals and the prompt hashes each episode used.
"""

from __future__ import annotations

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

#: The prompt engineer's rewrite the first audit carries: (old, new) replacements.
DEMO_REWRITE = (
    ('  version: "1.0.0"', '  version: "1.1.0"'),
    ("    temperature: 0.8", "    temperature: 0.7"),
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
    from atelier.config import Config
    from atelier.studio import Studio
    from atelier.workspace import Workspace

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
    config = Config.model_validate({
        **base.model_dump(), "chain": {"kind": "embedded"}, "storage": {"url": ""},
        "prompts": {"dir": str(root / "drafts")},
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
    if studio.config.models.provider == "local" and studio.config.models.local.gguf is None:
        console.print(f"[dim]{escape(TINY_MODEL_NOTICE)}[/]", soft_wrap=True)
    outcome = _run(studio, lambda runner: runner.start(goal_id=goal_id))
    if outcome.audit is None or outcome.run.status != "paused":
        raise AtelierError(f"the run did not pause at its audit ({outcome.run.status}: "
                           f"{outcome.run.message})")
    number = outcome.audit.proposal_number
    step(f"the run pauses at audit 1; members read the report and the scriptwriter rewrite "
         f"(`atelier audit show {outcome.audit.id}`) and vote on proposal {number}")
    with studio.session() as dao:
        _pass(dao, dao.proposal(str(number)), "the rewrite reads well")
    step(f"resuming run {outcome.run.id}: episode 2 uses the newly approved prompts")
    final = _run(studio, lambda runner: runner.resume(outcome.run.id))
    _summary(studio, final.run.id, time.monotonic() - started)


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
    step("a prompt engineer drafts a scriptwriter rewrite (temperature 0.7, one clear "
         "action per panel); the run keeps using the approved version, the audit carries it")


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
    for pdf in pdfs:
        console.print(f"  pages: {studio.workspace.assets_dir / pdf.path}")
    for reader in readers:
        console.print(f"  [bold]read it:[/] {studio.workspace.assets_dir / reader.path}",
                      soft_wrap=True)
    console.print(f"  workspace: {root}")
    console.print(f"  look around: atelier -w {root} run status {run_id} · "
                  f"atelier -w {root} assets list · atelier -w {root} proposals list",
                  soft_wrap=True)


def _has_config(ctx: typer.Context) -> bool:
    return ctx.find_root().obj.config_path.exists()
