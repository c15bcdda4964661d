"""`atelier release propose|list|buy`: published episodes as ERC-721 tokens the treasury sells
at a fixed price; the sale is income the next revenue split pays out by contribution."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.cli.params import EPISODE, RUN, BoundedInt

release_app = typer.Typer(help="Published episodes as ERC-721 tokens sold by the treasury.",
                          no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
RELEASE = BoundedInt("release number", 1, 2**63 - 1)


def _eth(wei: int) -> str:
    from atelier.governance.revenue import eth  # the chain's modules load slowly: lazily

    return eth(wei)


@release_app.command("propose")
def propose(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(parser=RUN, metavar="RUN", help="The run.")],
    episode: Annotated[int, typer.Argument(parser=EPISODE, metavar="EPISODE",
                                           help="A published (anchored) episode of it.")],
    price: Annotated[str, typer.Option(help="Its fixed price, in ETH (paid to the "
                                       "treasury).")],
    as_: Annotated[str, typer.Option("--as", help="Account that signs.")] = "alice",
    as_json: JsonOption = False,
) -> None:
    """Propose to release an anchored episode: minted to the treasury, for sale at --price."""
    from atelier.cli.revenue import eth_amount
    from atelier.governance.provenance import studio_provenance
    from atelier.governance.releases import (
        ReleaseRefused,
        release_action,
        release_description,
    )
    from atelier.workflows.audit import run_key

    studio = studio_of(ctx)
    wei = eth_amount(price, option="--price")
    signer = studio.signer(as_)
    with studio.open_store() as store:
        key = run_key(store.run(run))
    with studio.session() as dao:
        root = studio_provenance(dao).root_of(key, episode)
        if root is None:
            raise ReleaseRefused(f"episode {episode} of run {run} is not anchored on the "
                                 "chain: only a published episode is released")
        action = release_action(dao, root, wei)
        proposal = dao.propose(signer, [action], release_description(run, episode, root, wei))
    if as_json:
        emit_json({"proposal": proposal.number, "id": str(proposal.id), "run": run,
                   "episode": episode, "root": "0x" + root.hex(), "price_wei": str(wei)})
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: release episode "
                  f"{episode} of run {run} at {_eth(wei)} ETH", soft_wrap=True)


@release_app.command("list")
def list_releases(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every release: its provenance root, price, and who holds it."""
    from atelier.governance.releases import metadata, releases

    studio = studio_of(ctx)
    with studio.session() as dao:
        found = [(r, metadata(dao, r.token_id)) for r in releases(dao)]
        treasury = dao.deployment.timelock
        rows = [{"release": r.token_id, "name": m.get("name"), "root": "0x" + r.root.hex(),
                 "price_wei": str(r.price), "for_sale": r.for_sale(treasury),
                 "owner": dao.name_of(r.owner) if r.owner != treasury else "treasury"}
                for r, m in found]
    if as_json:
        emit_json(rows)
        return
    table = Table("release", "episode", "price (ETH)", "holder", "provenance root")
    for row in rows:
        table.add_row(str(row["release"]), escape(str(row["name"])),
                      _eth(int(row["price_wei"])), escape(str(row["owner"])),
                      str(row["root"])[:14] + "…")
    console.print(table)


@release_app.command("buy")
def buy(
    ctx: typer.Context,
    release: Annotated[int, typer.Argument(parser=RELEASE, metavar="RELEASE",
                                           help="The release number.")],
    as_: Annotated[str, typer.Option("--as", help="The buyer.")],
    as_json: JsonOption = False,
) -> None:
    """Buy a release from the treasury at its price (the ETH goes to the treasury)."""
    from atelier.governance.releases import buy as buy_release

    studio = studio_of(ctx)
    with studio.session() as dao:
        bought, receipt = buy_release(dao, studio.signer(as_), release)
    if as_json:
        emit_json({"release": release, "buyer": as_, "price_wei": str(bought.price),
                   "tx": receipt["transactionHash"].hex(), "gas": receipt["gasUsed"]})
        return
    console.print(f"[green]✓[/] {escape(as_)} bought release {release} for "
                  f"{_eth(bought.price)} ETH (paid to the treasury)", soft_wrap=True)
