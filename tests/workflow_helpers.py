"""A governed studio ready to run: DAO deployed with the founding prompts, a goal approved,
working prompt files copied into the test folder (so tests may edit them)."""

from __future__ import annotations

import shutil
from pathlib import Path

from atelier.studio import Studio

from cli_helpers import atelier, write_config

REPO_PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
MEMBERS = ("alice", "bob", "carol")


def governed_studio(folder: Path, *, episodes: int = 2, audit_every: int = 1,
                    extra_config: str = "") -> Path:
    """config.toml of a studio whose goal 1 is approved; returns its path."""
    shutil.copytree(REPO_PROMPTS, folder / "prompts")
    config = write_config(folder, FAST + extra_config)
    ok(atelier(config, "init"))
    ok(atelier(config, "goal", "propose", "--title", "The Lighthouse Keepers", "--brief",
               "Two keepers and a storm.", "--episodes", str(episodes), "--audit-every",
               str(audit_every)))
    pass_proposal(config, 1)
    return config


FAST = """
[governance]
voting_delay = "10s"
voting_period = "5m"
timelock_delay = "1m"
"""


def pass_proposal(config: Path, number: int, *, support: str = "for") -> None:
    """Members vote; time passes; a passed proposal is queued and executed."""
    ok(atelier(config, "chain", "advance", "11s"))
    for member in MEMBERS:
        ok(atelier(config, "vote", str(number), support, "--as", member))
    ok(atelier(config, "chain", "advance", "5m"))
    if support == "for":
        ok(atelier(config, "queue", str(number)))
        ok(atelier(config, "chain", "advance", "1m"))
        ok(atelier(config, "execute", str(number)))


def ok(result: object) -> None:
    code = getattr(result, "code", 0)
    assert code == 0, f"{getattr(result, 'out', '')}\n{getattr(result, 'err', '')}"


def studio_at(config: Path) -> Studio:
    return Studio.load(config)
