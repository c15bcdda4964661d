"""Cold start of the read-only chain commands: each `atelier` command as a user's shell starts
it (a new process), beside a bare web3.py script that makes the same reads against the same
chain, side by side in rounds, median of the rounds' ratios (target ≤ 1.2).

The bare scripts know only the deployment's addresses (deployment.json) and the contracts'
ABIs; on the embedded chain they open its file with ``EmbeddedChain`` (the only reader of
that file), on anvil they are plain ``Web3(HTTPProvider(url))``. What the difference buys:
config validation, the CLI, names for addresses, readable output.

The studio has a goal and a handful of proposals (growth with history is ``bench.scaling``'s
subject).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 9
TARGET = 1.2
ARTIFACTS = Path(__file__).resolve().parents[1] / "governance" / "artifacts"

_CONNECT = {
    "embedded": """
from atelier.governance.chain.embedded import EmbeddedChain
chain = EmbeddedChain.open(Path(sys.argv[1]) / "chain.sqlite3")
w3 = chain.w3
def logs(address, topic, start):
    return chain.get_logs(address=address, topics=[topic], from_block=start)
""",
    "anvil": """
from web3 import HTTPProvider, Web3
w3 = Web3(HTTPProvider(sys.argv[2]))
def logs(address, topic, start):
    return w3.eth.get_logs({"address": address, "topics": [topic], "fromBlock": start})
""",
}

_PRELUDE = """
import json, sys
from pathlib import Path
{connect}
deployment = json.loads((Path(sys.argv[1]) / "deployment.json").read_text())
def contract(name, address):
    abi = json.loads((Path({artifacts!r}) / f"{{name}}.json").read_text())["abi"]
    return w3.eth.contract(address=address, abi=abi)
governor = contract("StudioGovernor", deployment["governor"])
registry = contract("StudioRegistry", deployment["registry"])
token = contract("Reputation", deployment["token"])
timelock = contract("TimelockController", deployment["timelock"])
def proposals():
    event = governor.events.ProposalCreated()
    return [event.process_log(log)["args"]
            for log in logs(deployment["governor"], event.topic, deployment["block"])]
def status(p):
    g = governor.functions
    head = w3.eth.get_block("latest")
    return (g.state(p["proposalId"]).call(), g.proposalVotes(p["proposalId"]).call(),
            g.quorum(p["voteStart"]).call() if p["voteStart"] < head["timestamp"] else 0,
            g.proposalEta(p["proposalId"]).call(), w3.eth.get_block("pending")["timestamp"])
"""

#: command -> (atelier arguments, the bare script's reads)
COMMANDS: dict[str, tuple[list[str], str]] = {
    "chain status": (["chain", "status"], """
head = w3.eth.get_block("latest")
print(w3.eth.chain_id, head["number"], head["timestamp"])
"""),
    "goal list": (["goal", "list"], """
found = proposals()
for goal_id in range(1, registry.functions.goalCount().call() + 1):
    print(registry.functions.getGoal(goal_id).call())
print(len(found))
"""),
    "proposals list": (["proposals", "list"], """
for p in proposals()[::-1][:50]:
    print(p["description"].splitlines()[0], status(p))
"""),
    "proposals show": (["proposals", "show", "1"], """
p = proposals()[0]
print(p["description"], status(p))
for kind in (governor.events.VoteCast, governor.events.VoteCastWithParams):
    event = kind()
    for log in logs(deployment["governor"], event.topic, 0):
        print(event.process_log(log)["args"])
"""),
    "dao status": (["dao", "status"], """
g = governor.functions
print(g.name().call(), g.votingDelay().call(), g.votingPeriod().call(),
      g.proposalThreshold().call(), g.quorumNumerator().call(),
      timelock.functions.getMinDelay().call(), g.proposalGuardian().call(),
      g.CLOCK_MODE().call(), token.functions.totalSupply().call())
for member in deployment["founding_members"]:
    print(token.functions.getVotes(member).call())
for goal_id in range(1, registry.functions.goalCount().call() + 1):
    print(registry.functions.getGoal(goal_id).call())
print(len(proposals()), w3.eth.get_block("latest")["number"])
"""),
}


def bare_script(kind: str, reads: str) -> str:
    return _PRELUDE.format(connect=_CONNECT[kind], artifacts=str(ARTIFACTS)) + reads


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}… failed: {done.stderr[-2000:]}")
    return seconds


def _studio(folder: Path, kind: str, url: str | None) -> Path:
    """A studio with its goal approved and a few more proposals, on ``kind``'s chain."""
    from atelier.governance.accounts import dev_signer
    from atelier.governance.goals import GoalSpec
    from atelier.studio import Studio
    from atelier.testing.studio import governed_studio

    chain = f'\n[chain]\nkind = "rpc"\nrpc_url = "{url}"\n' if kind == "anvil" else ""
    config = governed_studio(folder, extra_config=chain)
    with Studio.load(config).session() as dao:
        for n in range(4):
            dao.propose_goal(dev_signer("bob"), GoalSpec(title=f"Another series {n}"))
    return config


def measure(kind: str, config: Path, url: str | None, rounds: int) -> list[dict[str, Any]]:
    from atelier.studio import Studio

    workspace = Studio.load(config).workspace.root
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("ATELIER_CONFIG", None)
    script = Path(sys.executable).with_name("atelier")
    atelier = [str(script)] if script.exists() else [sys.executable, "-m", "atelier"]
    pairs = {name: ([*atelier, "--config", str(config), *args],
                    [sys.executable, "-c", bare_script(kind, reads), str(workspace), url or ""])
             for name, (args, reads) in COMMANDS.items()}
    for ours, bare in pairs.values():  # warm: page cache, .pyc files, the proposal index
        _time(ours, env)
        _time(bare, env)
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in pairs}
    for round_ in range(rounds):
        for name, (ours, bare) in pairs.items():
            first, second = (ours, bare) if round_ % 2 == 0 else (bare, ours)
            a, b = _time(first, env), _time(second, env)
            samples[name][0].append(a if first is ours else b)
            samples[name][1].append(b if first is ours else a)
    rows = []
    for name, (ours, bare) in samples.items():
        ratio = statistics.median(o / b for o, b in zip(ours, bare, strict=True))
        rows.append({"chain": kind, "command": name,
                     "atelier_ms": round(statistics.median(ours) * 1000),
                     "bare_ms": round(statistics.median(bare) * 1000),
                     "ratio": round(ratio, 3), "target": TARGET,
                     "meets_target": ratio <= TARGET})
    return rows


def run(*, rounds: int = ROUNDS, chains: tuple[str, ...] = ("embedded", "anvil")
        ) -> dict[str, Any]:
    from atelier.governance.chain.anvil import running_anvil

    rows: list[dict[str, Any]] = []
    floor = statistics.median(_time([sys.executable, "-c", "import web3"], dict(os.environ))
                              for _ in range(5))
    with tempfile.TemporaryDirectory(prefix="atelier-bench-reads-") as tmp:
        for kind in chains:
            folder = Path(tmp) / kind
            folder.mkdir()
            if kind == "anvil":
                with running_anvil() as url:
                    rows += measure(kind, _studio(folder, kind, url), url, rounds)
            else:
                rows += measure(kind, _studio(folder, kind, None), None, rounds)
    return {"name": "reads", "rounds": rounds, "import_web3_ms": round(floor * 1000),
            "rows": rows}


def table(result: dict[str, Any]) -> list[list[str]]:
    rows = [["command (new process each)", "atelier ms", "bare web3 ms", "ratio", "target"]]
    for r in result["rows"]:
        mark = "" if r["meets_target"] else " ✗"
        rows.append([f"{r['command']} ({r['chain']})", str(r["atelier_ms"]), str(r["bare_ms"]),
                     f"{r['ratio']:.2f}{mark}", f"≤ {r['target']}"])
    rows.append(["python -c 'import web3' (the floor of both)", "",
                 str(result["import_web3_ms"]), "", ""])
    return rows
