"""Curation benchmark: the time a curation round adds to an episode, besides the waiting for
votes. The same two-episode run (scripted cast at the model seam, embedded chain) is made
side by side with curation off (one outline) and on (three outline variants, a ballot per
episode, every member votes, the run resumes with the winner); the members' voting is timed
apart and left out.

    uv run python -m bench curation      # through the bench runner (prints a table, writes JSON)
    PYTHONPATH=. uv run python bench/curation.py

Target: the round adds under 5% to the episode's wall time.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

EPISODES = 2
REPEATS = 3
VARIANTS = 3
#: Scripted model latency per call (s): a very fast model server (where the studio's own
#: work shows most), and a hosted model's typical structured call.
LATENCIES_S = (0.05, 1.0)
MEMBERS = ("alice", "bob", "carol")


def _studio(folder: Path, variants: int) -> Path:
    from atelier.testing.studio import governed_studio

    curation = f'\n[curation]\nvariants = {variants}\nwindow = "1h"\n'
    return governed_studio(folder, episodes=EPISODES, audit_every=EPISODES, curation=curation)


def _one_run(config: Path, latency_s: float) -> dict[str, float]:
    """Run wall time (run start + each resume), the members' voting time apart, and the
    time the scriptwriter spent writing the variants beyond the first (from the call log)."""
    from atelier.governance.accounts import dev_signer
    from atelier.studio import Studio
    from atelier.testing.models import scripted_provider
    from atelier.testing.studio import with_provider
    from atelier.workflows.community import sign_curation_vote
    from atelier.workflows.runner import Runner

    with scripted_provider("bench-curation", latency_s=latency_s) as name:
        studio = with_provider(Studio.load(config), name)
        store = studio.open_store()
        runner = Runner(studio, store)
        running = voting = 0.0
        started = time.perf_counter()
        outcome = runner.start()
        running += time.perf_counter() - started
        while outcome.ballot is not None:
            started = time.perf_counter()
            for i, member in enumerate(MEMBERS):
                sign_curation_vote(studio, store, dev_signer(member), outcome.ballot,
                                   i % len(outcome.ballot.variants))
            voting += time.perf_counter() - started
            started = time.perf_counter()
            outcome = runner.resume(outcome.run.id or 0)
            running += time.perf_counter() - started
        variants_s = sum(c.latency_ms for c in store.calls(outcome.run.id or 0)
                         if c.task.startswith("outline ") and not c.task.startswith("outline 1/"))
        store.close()
    return {"run_s": running, "voting_s": voting, "variants_s": variants_s / 1000}


def run() -> dict[str, Any]:
    import shutil

    rows = []
    with tempfile.TemporaryDirectory(prefix="atelier-bench-curation-") as tmp:
        templates = {}
        for label, variants in (("off", 1), ("on", VARIANTS)):
            folder = Path(tmp) / f"template-{label}"
            folder.mkdir()
            templates[label] = _studio(folder, variants)
        for latency in LATENCIES_S:
            runs: dict[str, list[dict[str, float]]] = {"off": [], "on": []}
            for repeat in range(REPEATS):
                for label in ("off", "on"):  # alternated: drift on a noisy machine hits both
                    folder = Path(tmp) / f"{label}-{latency}-{repeat}"
                    shutil.copytree(templates[label].parent, folder)
                    runs[label].append(_one_run(folder / "config.toml", latency))
            rows.append(_row(latency, runs))
    return {"episodes": EPISODES, "variants": VARIANTS, "repeats": REPEATS, "rows": rows,
            "target_ratio": 0.05}


def _row(latency: float, runs: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    episode = statistics.median(r["run_s"] for r in runs["off"]) / EPISODES
    with_curation = statistics.median(r["run_s"] for r in runs["on"]) / EPISODES
    variants = statistics.median(r["variants_s"] for r in runs["on"]) / EPISODES
    added = with_curation - episode
    return {
        "scripted_latency_s": latency,
        "episode_s": round(episode, 3),
        "episode_s_with_curation": round(with_curation, 3),
        "added_s": round(added, 3),
        "variant_outlines_s": round(variants, 3),  # the scriptwriter's extra calls
        "round_s": round(added - variants, 3),  # ballot, pause, tally, resume
        "round_ratio": round((added - variants) / episode, 4),
        "added_ratio": round(added / episode, 4),
        "voting_s": round(statistics.median(r["voting_s"] for r in runs["on"]) / EPISODES, 3),
    }


def table(result: dict[str, Any]) -> list[list[str]]:
    rows = [["scripted latency / call", "episode", "with curation", "variant outlines",
             "the round (ballot, pause, tally, resume)", "round / episode (target < 0.05)",
             "all added / episode", "3 votes signed (not counted)"]]
    for r in result["rows"]:
        rows.append([f"{r['scripted_latency_s']} s", f"{r['episode_s']} s",
                     f"{r['episode_s_with_curation']} s", f"{r['variant_outlines_s']} s",
                     f"{r['round_s']} s", f"{r['round_ratio']:.3f}",
                     f"{r['added_ratio']:.3f}", f"{r['voting_s']} s"])
    return rows


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
