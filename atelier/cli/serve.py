"""`atelier serve`: the studio acts when the DAO decides, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import ipaddress
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from atelier.cli.context import studio_of
from atelier.cli.output import console
from atelier.kernel.errors import ConfigError

if TYPE_CHECKING:
    from atelier.service.http import HealthCheck
    from atelier.studio import Studio


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: \\[service] "
                                             "host, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port (default: "
                                             "\\[service] port, 8765; 0 picks a free one).")]
    = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="One JSON object a log "
                                           "line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every progress "
                                          "event of the runs.")] = False,
) -> None:
    """Run the studio as a service: start a run when a goal proposal executes, resume a run
    when its audit executes or its curation ballot closes, continue runs a killed process
    left; serve /healthz, /status and /metrics over HTTP."""
    import uvicorn

    from atelier.service.http import create_app
    from atelier.service.logs import configure
    from atelier.service.loop import StudioService

    studio = studio_of(ctx)
    studio.workspace.require_initialised()
    settings = studio.config.service
    host = host or settings.host
    port = settings.port if port is None else port
    token = os.environ.get(settings.auth_token_env) or None
    if not _is_loopback(host) and token is None:
        raise ConfigError(
            f"listening on {host[:80]} exposes the studio beyond this machine and needs an "
            "auth token",
            hint=f"set {settings.auth_token_env} (clients send `Authorization: Bearer "
            "TOKEN`), or listen on 127.0.0.1")
    configure(sys.stderr, json_lines=log_json, verbose=verbose)
    service = StudioService(studio, studio.workspace.root / "service-cursor.json",
                            max_runs=settings.max_runs, poll_interval=settings.poll_interval)
    app = create_app(service, health_checks(studio), token=token,
                     studio_name=studio.config.studio.name)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # ours below
    web = threading.Thread(target=server.run, name="http", daemon=True)

    def shutdown(signum: int, _frame: Any) -> None:
        service.stop()  # each run stops before its next node, its checkpoint saved
        server.should_exit = True

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    web.start()
    if not log_json:
        console.print(f"atelier serve: http://{host}:{port} (/healthz /status /metrics); "
                      "SIGTERM or Ctrl-C stops it after the current node", soft_wrap=True)
    try:
        service.serve()
    finally:
        server.should_exit = True
        web.join(5)
        service.close()


def health_checks(studio: Studio) -> dict[str, HealthCheck]:
    """Can the studio work: its chain answers, its store answers, its model is there."""

    def chain() -> str | None:
        with studio.session() as dao:
            dao.now()
        return None

    def store() -> str | None:
        with studio.open_store() as opened:
            opened.runs_by_status()
        return None

    def model() -> str | None:
        return _model_problem(studio)

    return {"chain": chain, "store": store, "model": model}


def _model_problem(studio: Studio) -> str | None:
    """The default model's provider reachable: the verified GGUF file for `local`, the
    server's model list for `openai`/`ollama`; a plugin's provider is not probed."""
    import httpx

    models = studio.config.models
    if models.provider == "local":
        from atelier.agents.models.local import LocalModelError, resolve_model

        local = models.local
        if local.gguf is not None and not local.gguf.is_absolute():
            local = local.model_copy(
                update={"gguf": studio.config_path.resolve().parent / local.gguf})
        try:  # verified once per file (sha256, GGUF metadata), then from the cache
            resolve_model(local)
        except LocalModelError as exc:
            return exc.message
        return None
    if models.provider in ("openai", "ollama"):
        base = models.openai.base_url if models.provider == "openai" else models.ollama.host
        if base is None:
            return f"[models.{models.provider}] has no server address"
        url = f"{str(base).rstrip('/')}/" + ("models" if models.provider == "openai"
                                             else "api/tags")
        try:
            httpx.get(url, timeout=3).raise_for_status()
        except httpx.HTTPError as exc:
            return f"the {models.provider} server does not answer ({type(exc).__name__})"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
