"""A governed studio for tests and benchmarks: founded through the CLI as a user would, its
Lighthouse goal proposed, voted, queued and executed on the embedded chain, the scripted cast
selected in config.toml as its model provider."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.testing import lighthouse

if TYPE_CHECKING:
    from atelier.governance.dao import Support
    from atelier.studio import Studio

REPO = Path(__file__).resolve().parents[1]
MEMBERS = ("alice", "bob", "carol")

#: Governance settings that make a lifecycle take seconds of chain time, not days.
FAST_GOVERNANCE = """
[governance]
voting_delay = "10s"
voting_period = "5m"
timelock_delay = "1m"
"""
#: One outline per episode: no curation round (tests of curation ask for variants).
NO_CURATION = """
[curation]
variants = 1
"""
#: The scripted Lighthouse cast at the model seam, selected like any provider.
SCRIPTED_MODELS = """
[models]
provider = "scripted"
plugins = ["atelier.testing.models"]
"""


class CommandFailed(RuntimeError):
    pass


def atelier_command(config: Path, *args: str) -> str:
    """Run `atelier --config CONFIG ARGS` in this process; its output, or CommandFailed."""
    from typer.testing import CliRunner

    from atelier.cli.main import app

    result = CliRunner().invoke(app, ["--config", str(config), *args], env={"COLUMNS": "200"},
                                catch_exceptions=False)
    if result.exit_code != 0:
        raise CommandFailed(f"atelier {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def write_config(folder: Path, extra: str = FAST_GOVERNANCE) -> Path:
    path = folder / "config.toml"
    path.write_text(f'[workspace]\npath = ".atelier"\n{extra}', encoding="utf-8")
    return path


def governed_studio(folder: Path, *, episodes: int = 2, audit_every: int = 1,
                    extra_config: str = "", provider: str = "scripted",
                    prompts: Path = REPO / "prompts", governance: str = FAST_GOVERNANCE,
                    curation: str = NO_CURATION) -> Path:
    """config.toml of a new studio in ``folder`` whose goal 1 (``episodes``,
    ``audit_every``) is approved, with a copy of ``prompts``. ``provider = "local"`` leaves
    [models] to its defaults (the bundled model); ``governance`` is the [governance]
    section the DAO is deployed with; ``curation`` its [curation] section (none by default:
    one outline per episode)."""
    shutil.copytree(prompts, folder / "prompts")
    models = SCRIPTED_MODELS if provider == "scripted" else ""
    config = write_config(folder, governance + curation + models + extra_config)
    atelier_command(config, "init")
    atelier_command(config, "goal", "propose", "--title", lighthouse.TITLE, "--brief",
                    lighthouse.BRIEF, "--episodes", str(episodes), "--audit-every",
                    str(audit_every))
    pass_proposal(config, 1)
    return config


def pass_proposal(config: Path, number: int, *, support: Support = "for") -> None:
    """The founding members vote; time passes; a passed proposal is queued and executed."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.lifecycle import Ballot
    from atelier.governance.lifecycle import pass_proposal as drive
    from atelier.governance.proposal_state import ProposalState
    from atelier.studio import Studio

    with Studio.load(config).session() as dao:
        proposal = dao.proposal(str(number))
        ballots = [Ballot(dev_signer(member), support) for member in MEMBERS]
        state = drive(dao, proposal, ballots, executor=dev_signer("alice"))
    expected = ProposalState.Executed if support == "for" else ProposalState.Defeated
    if state is not expected:
        raise CommandFailed(f"proposal {number} ended {state.name}, not {expected.name}")


def with_provider(studio: Studio, provider: str) -> Studio:
    """The same studio on another model provider (one registered in this process)."""
    models = studio.config.models.model_copy(update={"provider": provider})
    return dataclasses.replace(studio, config=studio.config.model_copy(update={"models": models}))


def with_concurrency(studio: Studio, max_concurrency: int) -> Studio:
    workflow = studio.config.workflow.model_copy(update={"max_concurrency": max_concurrency})
    return dataclasses.replace(studio, config=studio.config.model_copy(
        update={"workflow": workflow}))
