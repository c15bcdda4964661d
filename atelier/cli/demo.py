"""`atelier demo`: the governed loop on the embedded defaults, narrated step by step.

Today it walks the governance half: deploy a studio DAO, propose a production goal, vote,
queue and execute it through the timelock. The production run joins it as the workflow lands.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from atelier.cli.context import studio_of
from atelier.cli.output import console
from atelier.config import Config
from atelier.durations import format_duration
from atelier.studio import Studio
from atelier.workspace import Workspace

DEMO_GOAL = {
    "title": "The Lighthouse Keepers",
    "brief": "Two keepers on a remote island keep the light burning through a season of "
    "storms, and find out what the sea has been sending them.",
    "episodes": 2,
    "audit_every": 1,
    "token_budget": 200_000,
}


def demo(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Keep the demo studio here (default: a "
                     "temporary folder)."),
    ] = None,
) -> None:
    """Run the studio's governed loop end to end on the embedded chain, offline."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.chain.base import DevChain
    from atelier.governance.dao import StudioDAO
    from atelier.governance.deploy import DaoSettings, deploy_dao
    from atelier.governance.goals import GoalSpec

    base = studio_of(ctx).config if _has_config(ctx) else Config()
    # The demo always runs on the embedded chain with dev accounts, whatever config says.
    config = Config.model_validate({**base.model_dump(), "chain": {"kind": "embedded"}})
    root = workspace or ctx.find_root().obj.workspace or Path(
        tempfile.mkdtemp(prefix="atelier-demo-")
    )
    studio = Studio(config=config, workspace=Workspace(root.resolve()), config_path=Path("-"))
    started = time.monotonic()

    def step(text: str) -> None:
        console.print(f"[bold cyan]▸[/] {text}")

    studio.workspace.prepare_new(force=False)
    gov = config.governance
    settings = DaoSettings(
        voting_delay=gov.voting_delay, voting_period=gov.voting_period,
        timelock_delay=gov.timelock_delay, quorum_percent=gov.quorum_percent,
        proposal_threshold=gov.proposal_threshold,
    )
    names = studio.account_names()
    members = list(config.members)
    step(f"Founding the studio DAO in {root} with members "
         f"{', '.join(f'{m} ({p} reputation)' for m, p in config.members.items())}; "
         f"the ethics committee is {gov.guardian}")
    with studio.open_chain() as chain:
        deployment = deploy_dao(
            chain, dev_signer("deployer"), studio_name=config.studio.name, settings=settings,
            grants={studio.address_of(m): p for m, p in config.members.items()},
            guardian=studio.address_of(gov.guardian),
        )
        deployment.save(studio.workspace.deployment_file)
        console.print(f"  governor {deployment.governor}, timelock {deployment.timelock}")

        assert isinstance(chain, DevChain)
        dao = StudioDAO(chain, deployment, names=names)
        spec = GoalSpec(**DEMO_GOAL)
        proposer = dev_signer(members[0])
        step(f"{proposer.name} proposes the goal “{spec.title}”: {spec.episodes} episodes, "
             f"an audit after every {spec.audit_every}")
        proposal = dao.propose_goal(proposer, spec)
        console.print(f"  proposal {proposal.number}, content hash 0x{spec.content_hash.hex()}")

        step(f"waiting out the voting delay ({format_duration(gov.voting_delay)}) on the local "
             "chain clock")
        chain.advance_time(max(proposal.vote_start + 1 - dao.now(), 0))
        for member in members:
            dao.vote(dev_signer(member), proposal, "for", reason="a good first series")
            console.print(f"  {member} votes for")
        status = dao.status(proposal)
        step(f"closing the vote after {format_duration(gov.voting_period)}: "
             f"{status.tally.for_ // 10**18} for, {status.tally.against // 10**18} against")
        chain.advance_time(max(proposal.vote_end + 1 - dao.now(), 0))
        dao.queue(proposer, proposal)
        step(f"queued in the timelock; waiting its delay ({format_duration(gov.timelock_delay)})")
        chain.advance_time(max(dao.status(proposal).eta + 1 - dao.now(), 0))
        dao.execute(proposer, proposal)
        [goal] = [g for g in dao.goals() if g.content_hash == spec.content_hash]
        step(f"executed: goal {goal.id} is active on-chain "
             f"({goal.episodes} episodes, audit every {goal.audit_every})")

    console.print()
    console.print(f"[green]✓[/] demo finished in {time.monotonic() - started:.1f} s")
    console.print(f"  workspace: {root}")
    console.print(f"  look around: atelier --workspace {root} proposals show 1")
    console.print("  the production run (agents, audit checkpoints) joins the demo as the "
                  "workflow lands")


def _has_config(ctx: typer.Context) -> bool:
    return ctx.find_root().obj.config_path.exists()
