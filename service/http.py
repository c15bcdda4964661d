"""The service's HTTP face: ``/healthz`` (can the studio work: chain, store, model), ``/status``
(the loop, every run and what it waits for, the goal cursor, token budgets), ``/metrics``
(Prometheus text format) and the members' page (``atelier.service.web``). Loopback by
default; with an auth token every route but ``/healthz`` wants it."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.service.loop import StudioService

#: A named readiness check: None when fine, else what is wrong (one line).
HealthCheck = Callable[[], "str | None"]

def create_app(service: StudioService, checks: Mapping[str, HealthCheck], *,
               token: str | None = None, studio_name: str = "Atelier Studio") -> Starlette:
    """The service's routes and the members' page, behind one auth and headers layer."""
    from atelier.service.web import READER_CSP, error_response, web_routes

    registry = CollectorRegistry()
    registry.register(_StudioCollector(service))

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

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AtelierError)
        return error_response(request, exc, studio_name)

    app = Starlette(routes=[Route("/healthz", healthz), Route("/status", status),
                            Route("/metrics", metrics), *web_routes(service, studio_name)],
                    exception_handlers={AtelierError: refused})
    app.add_middleware(_Guard, token=token, reader_csp=READER_CSP)
    return app


class _Guard:
    """Security headers on every answer; with a token, every route but /healthz wants it
    (``Authorization: Bearer TOKEN``, or the cookie a browser gets from one visit with
    ``?token=TOKEN``)."""

    def __init__(self, app: ASGIApp, *, token: str | None, reader_csp: str) -> None:
        self.app = app
        self.token = token
        self.reader_csp = reader_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        if self.token is not None and path != "/healthz":
            given = request.query_params.get("token")
            if given is not None and _same(given, self.token):
                response: Response = RedirectResponse(path, status_code=303)
                response.set_cookie(_COOKIE, self.token, httponly=True, samesite="strict")
                await _secured(response, path, self.reader_csp)(scope, receive, send)
                return
            header = request.headers.get("authorization", "")
            cookie = request.cookies.get(_COOKIE, "")
            if not (_same(header, f"Bearer {self.token}") or _same(cookie, self.token)):
                response = JSONResponse({"error": "missing or wrong bearer token"},
                                        status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await _secured(response, path, self.reader_csp)(scope, receive, send)
                return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _headers(path, self.reader_csp).items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_secured)


_COOKIE = "atelier_token"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _headers(path: str, reader_csp: str) -> dict[str, str]:
    from atelier.service.web import PAGE_CSP

    csp = reader_csp if path.startswith("/reader/") else PAGE_CSP
    return {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
            "X-Frame-Options": "DENY"}


def _secured(response: Response, path: str, reader_csp: str) -> Response:
    response.headers.update(_headers(path, reader_csp))
    return response


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
