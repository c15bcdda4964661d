"""`atelier chain status|advance`: the chain the studio lives on, and local time travel."""

from __future__ import annotations

from typing import Annotated

import typer

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json, utc
from atelier.kernel.durations import format_duration, parse_duration
from atelier.kernel.errors import AtelierError

#: 9999-12-31 23:59:59 UTC: the last moment a date (and so `chain status`) can show.
LAST_CHAIN_TIME = 253_402_300_799

chain_app = typer.Typer(help="The chain: status and (local chains) time travel.",
                        no_args_is_help=True)


@chain_app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show chain id, head block and chain time."""
    studio = studio_of(ctx)
    with studio.open_chain() as chain:
        w3 = chain.w3
        head = w3.eth.get_block("latest")
        data = {
            "kind": chain.kind, "chain_id": w3.eth.chain_id, "block": int(head["number"]),
            "time": int(head["timestamp"]), "dao": studio.workspace.is_initialised,
            "workspace": str(studio.workspace.root),
        }
    if as_json:
        emit_json(data)
        return
    console.print(f"{data['kind']} chain, id {data['chain_id']}: block {data['block']} at "
                  f"{utc(data['time'])}")
    if not data["dao"]:
        console.print("no DAO in this workspace yet: [bold]atelier init[/]")


@chain_app.command("advance")
def advance(
    ctx: typer.Context,
    duration: Annotated[str, typer.Argument(help="How far: 90s, 15m, 2h, 2d, 1h30m.")],
) -> None:
    """Move a local chain's clock forward (embedded or anvil only)."""
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        raise AtelierError(str(exc), hint="e.g. `atelier chain advance 2d`") from None
    if seconds == 0:
        raise AtelierError("advancing by 0 s would change nothing but mine a block",
                           hint="give a duration longer than 0 s, e.g. 90s, 15m or 2d")
    from atelier.governance.chain.base import DevChain

    studio = studio_of(ctx)
    with studio.open_chain() as chain:
        if not isinstance(chain, DevChain):
            raise AtelierError(
                "this chain's clock cannot be moved: it is a real network",
                hint="time travel works on the embedded chain and anvil only",
            )
        # Refused before the clock moves: a chain saved past what a timestamp can hold
        # could never be read again (every later command would fail on its head block).
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        if now + seconds > LAST_CHAIN_TIME:
            raise AtelierError(
                f"advancing {format_duration(seconds)} would take the chain clock past "
                f"{utc(LAST_CHAIN_TIME)}, the last time it can hold",
                hint="give a shorter duration",
            )
        timestamp = chain.advance_time(seconds)
        block = chain.w3.eth.block_number
    console.print(f"[green]✓[/] chain time advanced {format_duration(seconds)}: block {block} "
                  f"at {utc(timestamp)}")
