"""Service benchmark: what `atelier serve` adds to a run, and how /status scales.

- overhead (target ≤ 1.05): the same one-episode run (scripted cast with 50 ms a call,
  embedded chain, its audit after the episode) made by ``Runner.start`` directly (store
  opened, as `run start` does) and by a service that has been watching (one tick done, so
  its store is open): the tick that sees the executed goal and the run it starts in its
  worker thread, waited for; side by side in alternated repeats; the median of the repeats'
  ratios.
- /status latency: a store with 100 runs (each with its model-call log) behind the HTTP app,
  median of 30 requests, beside the same with 10 runs.

    uv run python -m bench service
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPEATS = 5
LATENCY_S = 0.05


def _template(folder: Path) -> Path:
    from atelier.testing.studio import governed_studio

    return governed_studio(folder, episodes=1, audit_every=1)


def _direct(config: Path, provider: str) -> float:
    from atelier.studio import Studio
    from atelier.testing.studio import with_provider
    from atelier.workflows.runner import Runner

    studio = with_provider(Studio.load(config), provider)
    started = time.perf_counter()  # as `run start` does: open the store, then drive
    with studio.open_store() as store:
        Runner(studio, store).start(goal_id=1)
    return time.perf_counter() - started


def _served(config: Path, provider: str) -> float:
    from atelier.service.loop import StudioService
    from atelier.studio import Studio
    from atelier.testing.studio import with_provider

    studio = with_provider(Studio.load(config), provider)
    cursor = config.parent / ".atelier" / "service-cursor.json"
    cursor.write_text('{"goal": 1}\n')
    service = StudioService(studio, cursor)
    assert service.tick() == []  # a service that has been watching: store open, index warm
    cursor.write_text('{"goal": 0}\n')  # then goal 1 executes while it watches
    started = time.perf_counter()
    jobs = service.tick()
    service.join()
    elapsed = time.perf_counter() - started
    service.close()
    assert [j.key for j in jobs] == ["start:1"] and service.state.jobs_done == 1
    return elapsed


def _status_latency(runs: int, folder: Path) -> float:
    from starlette.testclient import TestClient

    from atelier.agents.calls import CallRecord
    from atelier.service.http import create_app
    from atelier.service.loop import StudioService
    from atelier.studio import Studio

    config = _template(folder)
    studio = Studio.load(config)
    with studio.open_store() as store:
        for _ in range(runs):
            run = store.create_run(goal_id=1, goal_title="t", episodes_planned=1,
                                   audit_every=1)
            for agent in ("scriptwriter", "designer", "layout"):
                for _call in range(10):
                    store.record_call(run.id or 0, 1, CallRecord(
                        agent=agent, task="t", prompt_hash="0x", provider="scripted",
                        model="m", params={}, seed=None, prompt_tokens=100,
                        completion_tokens=50, latency_ms=10.0, attempts=1, outcome="ok",
                        problems=()))
    service = StudioService(studio, config.parent / ".atelier" / "service-cursor.json")
    client = TestClient(create_app(service, {}))
    client.get("/status")
    times = []
    for _ in range(30):
        started = time.perf_counter()
        assert client.get("/status").status_code == 200
        times.append(time.perf_counter() - started)
    service.close()
    return statistics.median(times)


def run() -> dict[str, Any]:
    from atelier.testing.models import scripted_provider

    with tempfile.TemporaryDirectory(prefix="atelier-bench-service-") as tmp, \
            scripted_provider("bench-service", latency_s=LATENCY_S) as provider:
        root = Path(tmp)
        (root / "template").mkdir()
        template = _template(root / "template")
        direct, served, ratios = [], [], []
        for repeat in range(REPEATS):
            pair = {}
            for label, drive in (("direct", _direct), ("served", _served)):
                folder = root / f"{label}-{repeat}"
                shutil.copytree(template.parent, folder)
                pair[label] = drive(folder / "config.toml", provider)
            direct.append(pair["direct"])
            served.append(pair["served"])
            ratios.append(pair["served"] / pair["direct"])
        (root / "s10").mkdir()
        (root / "s100").mkdir()
        status_10 = _status_latency(10, root / "s10")
        status_100 = _status_latency(100, root / "s100")
    return {"repeats": REPEATS, "scripted_latency_s": LATENCY_S,
            "direct_s": round(statistics.median(direct), 3),
            "served_s": round(statistics.median(served), 3),
            "overhead_ratio": round(statistics.median(ratios), 3), "target_ratio": 1.05,
            "status_ms_10_runs": round(status_10 * 1000, 1),
            "status_ms_100_runs": round(status_100 * 1000, 1)}


def table(result: dict[str, Any]) -> list[list[str]]:
    return [["measure", "value", "target"],
            ["a run by `run start` (median)", f"{result['direct_s']} s", ""],
            ["the same run started by the service", f"{result['served_s']} s", ""],
            ["served / direct (median of pairs)", f"{result['overhead_ratio']:.3f}", "≤ 1.05"],
            ["/status with 10 runs", f"{result['status_ms_10_runs']} ms", ""],
            ["/status with 100 runs", f"{result['status_ms_100_runs']} ms", ""]]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
