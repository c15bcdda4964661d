"""The service's HTTP face: ``/healthz`` (can the studio work: chain, store, model), ``/status``
(the loop, every run and what it waits for, the goal cursor, token budgets) and ``/metrics``
(Prometheus text format). Loopback by default; with an auth token every route but
``/healthz`` wants ``Authorization: Bearer TOKEN``."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from atelier.service.loop import StudioService

#: A named readiness check: None when fine, else what is wrong (one line).
HealthCheck = Callable[[], "str | None"]

_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(service: StudioService, checks: Mapping[str, HealthCheck], *,
               token: str | None = None) -> Starlette:
    registry = CollectorRegistry()
    registry.register(_StudioCollector(service))

    def authorised(request: Request) -> bool:
        if token is None:
            return True
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())

    def guarded(handler: Callable[[Request], Response]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if not authorised(request):
                return _secure(JSONResponse({"error": "missing or wrong bearer token"},
                                            status_code=401,
                                            headers={"WWW-Authenticate": "Bearer"}))
            return _secure(handler(request))
        return endpoint

    def healthz(_: Request) -> Response:
        results = {name: _run_check(check) for name, check in checks.items()}
        healthy = all(problem is None for problem in results.values())
        body = {"ok": healthy,
                "checks": {name: "ok" if problem is None else problem
                           for name, problem in results.items()}}
        return JSONResponse(body, status_code=200 if healthy else 503)

    def status(_: Request) -> Response:
        return JSONResponse(status_of(service))

    def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def open_healthz(request: Request) -> Response:
        return _secure(healthz(request))

    return Starlette(routes=[
        Route("/healthz", open_healthz),
        Route("/status", guarded(status)),
        Route("/metrics", guarded(metrics)),
    ])


def status_of(service: StudioService) -> dict[str, Any]:
    """The loop, every run with what it waits for, and each goal's token budget."""
    store = service.store()
    state = service.state
    spent: dict[int, int] = {}
    runs = []
    tokens_by_run = store.tokens_by_run()
    for run in store.runs():
        tokens = tokens_by_run.get(run.id or 0, 0)
        spent[run.goal_id] = spent.get(run.goal_id, 0) + tokens
        runs.append({"id": run.id, "goal": run.goal_id, "title": run.goal_title,
                     "status": run.status, "episodes_done": run.episodes_done,
                     "episodes_planned": run.episodes_planned, "message": run.message,
                     "waits_for": state.waits.get(run.id or 0), "tokens": tokens})
    return {
        "service": {"started_at": state.started_at, "ticks": state.ticks,
                    "tick_errors": state.tick_errors, "last_tick_at": state.last_tick_at,
                    "last_error": state.last_error, "goal_cursor": state.goal_cursor,
                    "chain_time": state.chain_time, "max_runs": service.max_runs,
                    "poll_interval_s": service.poll_interval,
                    "driving": sorted(service.driving()),
                    "stopping": service.stopping.is_set()},
        "runs": runs,
        "tokens_by_goal": spent,
    }


def _run_check(check: HealthCheck) -> str | None:
    try:
        return check()
    except Exception as exc:  # a check that breaks is a failed check, said in one line
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]


def _secure(response: Response) -> Response:
    response.headers.update(_SECURITY_HEADERS)
    return response


class _StudioCollector:
    """Reads the store at each scrape: what the studio did, not a copy kept in memory."""

    def __init__(self, service: StudioService) -> None:
        self.service = service

    def collect(self) -> Any:
        store = self.service.store()
        state = self.service.state
        runs = GaugeMetricFamily("atelier_runs", "Production runs by status.",
                                 labels=["status"])
        for status, count in sorted(store.runs_by_status().items()):
            runs.add_metric([status], count)
        yield runs
        calls = CounterMetricFamily("atelier_model_calls", "Agent model calls.",
                                    labels=["agent", "outcome"])
        tokens = CounterMetricFamily("atelier_model_tokens", "Model tokens used.",
                                     labels=["agent", "kind"])
        seconds = CounterMetricFamily("atelier_model_call_seconds",
                                      "Seconds spent in model calls.", labels=["agent"])
        by_agent: dict[str, list[float]] = {}
        for total in store.call_totals():
            calls.add_metric([total.agent, total.outcome], total.calls)
            sums = by_agent.setdefault(total.agent, [0, 0, 0.0])
            sums[0] += total.prompt_tokens
            sums[1] += total.completion_tokens
            sums[2] += total.latency_s
        for agent, (prompt, completion, latency) in sorted(by_agent.items()):
            tokens.add_metric([agent, "prompt"], prompt)
            tokens.add_metric([agent, "completion"], completion)
            seconds.add_metric([agent], latency)
        yield from (calls, tokens, seconds)
        yield CounterMetricFamily("atelier_episodes_published", "Episodes published.",
                                  value=store.count_published())
        yield CounterMetricFamily("atelier_service_ticks", "Polls of the chain and store.",
                                  value=state.ticks)
        yield CounterMetricFamily("atelier_service_tick_errors", "Polls that failed.",
                                  value=state.tick_errors)
        since = GaugeMetricFamily("atelier_service_seconds_since_tick",
                                  "Seconds since the last successful poll (-1: none yet).")
        since.add_metric([], -1 if state.last_tick_at is None else time.time() - state.last_tick_at)
        yield since
        age = GaugeMetricFamily("atelier_chain_head_age_seconds",
                                "Wall clock minus the latest block's time at the last poll "
                                "(a stalled node or a dev chain whose clock was advanced).")
        age.add_metric([], -1 if state.head_age_s is None else state.head_age_s)
        yield age
