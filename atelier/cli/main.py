"""The `atelier` command: global options, command groups, and the one error layer.

Expected failures (``AtelierError``) become one message plus a hint and an exit code here,
and nowhere else; tracebacks never show locals (they could hold keys or RPC URLs).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from atelier.cli import assets as asset_cmds
from atelier.cli import audits as audit_cmds
from atelier.cli import chain as chain_cmds
from atelier.cli import dao as dao_cmds
from atelier.cli import demo as demo_cmds
from atelier.cli import members as member_cmds
from atelier.cli import prompts as prompt_cmds
from atelier.cli import proposals as proposal_cmds
from atelier.cli import runs as run_cmds
from atelier.cli import verify as verify_cmds
from atelier.cli.context import AppContext
from atelier.cli.output import err_console
from atelier.kernel.errors import AtelierError


class AtelierGroup(TyperGroup):
    """The one error layer: expected errors become a message, a hint and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AtelierError as exc:
            report(exc)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            translated = _translate(exc)
            if translated is None:
                raise
            report(translated)
            raise typer.Exit(translated.exit_code) from None


app = typer.Typer(
    name="atelier",
    cls=AtelierGroup,
    help="Atelier: a DAO-governed studio where AI agents make a serialized comic.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path,
        typer.Option("--config", "-c", envvar="ATELIER_CONFIG", help="Path of config.toml."),
    ] = Path("config.toml"),
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace", "-w", envvar="ATELIER_WORKSPACE",
            help="Studio state folder (default: \\[workspace] path in config, .atelier).",
        ),
    ] = None,
) -> None:
    ctx.obj = AppContext(config_path=config, workspace=workspace)


app.command("demo")(demo_cmds.demo)
app.command("init")(dao_cmds.init)
app.add_typer(dao_cmds.dao_app, name="dao")
app.add_typer(proposal_cmds.goal_app, name="goal")
app.add_typer(proposal_cmds.proposals_app, name="proposals")
app.command("vote")(proposal_cmds.vote)
app.command("queue")(proposal_cmds.queue)
app.command("execute")(proposal_cmds.execute)
app.command("cancel")(proposal_cmds.cancel)
app.add_typer(chain_cmds.chain_app, name="chain")
app.add_typer(prompt_cmds.prompts_app, name="prompts")
app.add_typer(dao_cmds.accounts_app, name="accounts")
app.add_typer(run_cmds.run_app, name="run")
app.add_typer(audit_cmds.audit_app, name="audit")
app.add_typer(asset_cmds.assets_app, name="assets")
app.command("verify")(verify_cmds.verify)
app.command("review")(member_cmds.review)
app.add_typer(member_cmds.reviews_app, name="reviews")
app.add_typer(member_cmds.curate_app, name="curate")
app.add_typer(member_cmds.members_app, name="members")


def report(exc: AtelierError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {escape(exc.hint)}", soft_wrap=True)


def _translate(exc: Exception) -> AtelierError | None:
    """Transport errors from the chain node, raised anywhere, become ChainUnavailable."""
    if "web3" not in sys.modules and "requests" not in sys.modules:
        return None
    import requests
    from web3.exceptions import ProviderConnectionError, Web3RPCError

    from atelier.governance.chain.rpc import translate_chain_exception

    if isinstance(exc, requests.exceptions.RequestException | ProviderConnectionError |
                  Web3RPCError | ConnectionError):
        return translate_chain_exception(exc)
    return None
