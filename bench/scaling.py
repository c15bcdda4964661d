"""Scaling benchmark: what a command costs as the studio's history grows.

Three studios side by side, grown from one another: a DAO with 10, 100 and 1,000 proposals
and a store with 10, 100 and 1,000 published episodes' assets (20 files an episode, in runs
of 10 episodes, written through the store as publish writes them). In every round each
command runs once against each studio, the order of the studios flipped every other round,
so a shared machine's drift hits all three alike; the ratio is the median over the rounds of
(time at 1,000) / (time at 10).

Commands run in this process through the CLI (Typer's runner), imports warm, so a constant
start-up cost cannot hide growth: `proposals list` and `assets list` (listings, paged by
default: reported, no target), `proposals show` of an early proposal, `vote` (a fresh
ballot on an open proposal each round), `run status` of the newest run, and the sync before
a run's first agent call (``Runner.start`` until the model is first called). Target: ≤ 1.5
for all but the listings.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.studio import Studio

SIZES = (10, 100, 1000)
ROUNDS = 5
FILES_PER_EPISODE = 20
EPISODES_PER_RUN = 10
TARGET = 1.5
LISTINGS = ("proposals list", "assets list")
VOTERS = ("alice", "bob", "carol")
#: A long voting period: the vote targets stay open while the bench runs.
GOVERNANCE = """
[governance]
voting_delay = "10s"
voting_period = "1d"
timelock_delay = "1m"
"""


class FirstModelCall(AtelierError):
    """Raised by the bench's model at its first call: the sync is over. (An AtelierError,
    so the agent passes it on as it is.)"""


# -- growing a studio ------------------------------------------------------------------------------
def add_proposals(studio: Studio, count: int, *, start: int) -> None:
    """``count`` more goal proposals (the cheapest kind to make), numbered from ``start``."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.goals import GoalSpec

    signer = dev_signer("alice")
    with studio.session() as dao:
        for n in range(start, start + count):
            dao.propose_goal(signer, GoalSpec(title=f"Side series {n}", episodes=1))


def add_episodes(studio: Studio, count: int) -> None:
    """``count`` more published episodes in runs of EPISODES_PER_RUN, each with its files'
    rows (paths and hashes; the files themselves are not needed by the commands timed)."""
    from atelier.store.models import Asset

    prompts = {"scriptwriter": "0x" + "11" * 32, "designer": "0x" + "22" * 32,
               "layout": "0x" + "33" * 32}
    with studio.open_store() as store:
        for first in range(0, count, EPISODES_PER_RUN):
            run = store.create_run(goal_id=1, goal_title="The Lighthouse Keepers",
                                   episodes_planned=EPISODES_PER_RUN, audit_every=5)
            for number in range(1, min(EPISODES_PER_RUN, count - first) + 1):
                store.start_episode(run.id, number, prompts)
                for index in range(FILES_PER_EPISODE):
                    store.put_asset(Asset(
                        run_id=run.id, episode=number, kind="page_png",
                        path=f"run-{run.id}/episode-{number:02d}/page-{index:02d}.png",
                        sha256=f"{index:064x}", agent="render", params={},
                        goal_id=1, proposal_ids=["1"]))
                store.finish_episode(run.id, number, title=f"Storm {number}",
                                     summary="A storm.", findings=[])
            store.update_run(run.id, status="done", episodes_done=EPISODES_PER_RUN)


def open_vote_targets(studio: Studio, rounds: int) -> list[int]:
    """One open proposal per round for the members to vote on; their numbers."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.goals import GoalSpec
    from atelier.governance.lifecycle import open_voting

    signer = dev_signer("bob")
    numbers = []
    with studio.session() as dao:
        for n in range(rounds):
            proposal = dao.propose_goal(signer, GoalSpec(title=f"Vote target {n}", episodes=1))
            numbers.append(proposal.number)
        open_voting(dao, proposal)
    return numbers


def grow(root: Path, rounds: int) -> dict[int, Path]:
    """config.toml of a studio at each size, each grown from a copy of the one before."""
    from atelier.studio import Studio
    from atelier.testing.studio import governed_studio

    configs: dict[int, Path] = {}
    previous = 1  # proposals so far: the approved goal
    episodes = 0
    for size in SIZES:
        folder = root / f"studio-{size}"
        if not configs:
            folder.mkdir()
            config = governed_studio(folder, episodes=2, audit_every=1, governance=GOVERNANCE)
        else:
            shutil.copytree(root / f"studio-{SIZES[SIZES.index(size) - 1]}", folder,
                            ignore=shutil.ignore_patterns("proposals.sqlite3"))
            config = folder / "config.toml"
        studio = Studio.load(config)
        add_proposals(studio, size - previous, start=previous + 1)
        add_episodes(studio, size - episodes)
        previous, episodes = size, size
        configs[size] = config
    for config in configs.values():  # after the copies: each studio votes on its own
        open_vote_targets(Studio.load(config), rounds)
    return configs


# -- the commands --------------------------------------------------------------------------------
def _cli(config: Path, *args: str) -> Callable[[], None]:
    from atelier.testing.studio import atelier_command

    return lambda: atelier_command(config, *args) and None


def commands(config: Path, size: int, rounds: int
             ) -> dict[str, Callable[[int], float | None]]:
    """name -> a function of the round that runs the command once (and returns the seconds
    it took, when the wall time around the call is not the measure)."""
    from atelier.studio import Studio

    studio = Studio.load(config)
    with studio.open_store() as store:
        newest = store.runs()[0].id
    with studio.session() as dao:
        targets = [p.number for p in dao.proposals(limit=rounds, newest_first=True)][::-1]

    def vote(round_: int) -> None:
        # one ballot a round; three voters take turns on the round's own proposal
        _cli(config, "vote", str(targets[round_]), "for", "--as",
             VOTERS[round_ % len(VOTERS)])()

    return {
        "proposals list": lambda _: _cli(config, "proposals", "list")(),
        "proposals show": lambda _: _cli(config, "proposals", "show", "2")(),
        "vote": vote,
        "run status": lambda _: _cli(config, "run", "status", str(newest))(),
        "assets list": lambda _: _cli(config, "assets", "list")(),
        "sync before the first agent call": lambda _: sync_until_first_call(config),
    }


def sync_until_first_call(config: Path) -> float:
    """Seconds from ``Runner.start`` of goal 1 to its first model call (the run then fails,
    by design: its row stays in the store, as a crashed run's would)."""
    from atelier.agents.models.providers import register_provider
    from atelier.studio import Studio
    from atelier.testing.models import scripted_factory
    from atelier.testing.studio import with_provider
    from atelier.workflows.runner import Runner

    called: list[float] = []

    def stop(messages: list[BaseMessage]) -> str:
        called.append(time.perf_counter())
        raise FirstModelCall("the first model call")

    register_provider("bench-first-call", scripted_factory(stop))
    studio = with_provider(Studio.load(config), "bench-first-call")
    with studio.open_store() as store:
        started = time.perf_counter()
        try:
            Runner(studio, store).start(goal_id=1, episodes=1)
        except FirstModelCall:
            return called[0] - started
    raise RuntimeError("the run reached no model call")


# -- measuring -----------------------------------------------------------------------------------
def run(*, rounds: int = ROUNDS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="atelier-bench-scaling-") as tmp:
        started = time.perf_counter()
        configs = grow(Path(tmp), rounds)
        setup_s = time.perf_counter() - started
        runners = {size: commands(config, size, rounds) for size, config in configs.items()}
        names = list(runners[SIZES[0]])
        for size in SIZES:  # warm-up: imports, caches, the proposal index of each studio
            for name in names:
                if name != "vote":
                    runners[size][name](0)
        samples: dict[str, dict[int, list[float]]] = {n: {s: [] for s in SIZES} for n in names}
        for round_ in range(rounds):
            order = SIZES if round_ % 2 == 0 else SIZES[::-1]
            for name in names:
                for size in order:
                    begun = time.perf_counter()
                    seconds = runners[size][name](round_)
                    samples[name][size].append(seconds if seconds is not None
                                               else time.perf_counter() - begun)
    rows = []
    small, large = SIZES[0], SIZES[-1]
    for name in names:
        ratios = [big / little for big, little in zip(samples[name][large], samples[name][small],
                                                      strict=True)]
        ratio = statistics.median(ratios)
        listing = name in LISTINGS
        rows.append({
            "command": name, "listing": listing,
            "median_ms": {str(s): round(statistics.median(samples[name][s]) * 1000, 1)
                          for s in SIZES},
            "ratio": round(ratio, 3),
            "target": None if listing else TARGET,
            "meets_target": True if listing else ratio <= TARGET,
        })
    return {"name": "scaling", "sizes": list(SIZES), "rounds": rounds,
            "files_per_episode": FILES_PER_EPISODE, "setup_s": round(setup_s, 1), "rows": rows}


def table(result: dict[str, Any]) -> list[list[str]]:
    sizes = [str(s) for s in result["sizes"]]
    header = ["command", *(f"ms at {s}" for s in sizes), f"{sizes[-1]} / {sizes[0]}", "target"]
    body = []
    for row in result["rows"]:
        target = "listing" if row["listing"] else f"≤ {row['target']}"
        mark = "" if row["meets_target"] else " ✗"
        body.append([row["command"], *(f"{row['median_ms'][s]:.0f}" for s in sizes),
                     f"{row['ratio']:.2f}{mark}", target])
    return [header, *body]
