"""The `atelier` command: global options, command groups, and the one error layer.

Expected failures (``AtelierError``) become one message plus a hint and an exit code here,
and nowhere else, and so do a command's usage errors (a bad argument or option: exit code 2);
tracebacks never show locals (they could hold keys or RPC URLs).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from typer._click.core import Command
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from atelier.cli import assets as asset_cmds
from atelier.cli import audits as audit_cmds
from atelier.cli import budget as budget_cmds
from atelier.cli import chain as chain_cmds
from atelier.cli import dao as dao_cmds
from atelier.cli import demo as demo_cmds
from atelier.cli import members as member_cmds
from atelier.cli import prompts as prompt_cmds
from atelier.cli import proposals as proposal_cmds
from atelier.cli import releases as release_cmds
from atelier.cli import revenue as revenue_cmds
from atelier.cli import runs as run_cmds
from atelier.cli import serve as serve_cmds
from atelier.cli import verify as verify_cmds
from atelier.cli.context import AppContext
from atelier.cli.output import err_console
from atelier.kernel.errors import AtelierError

#: The global options, also accepted after the command (`atelier run status 1 -w DIR`), as
#: users of git-like tools expect; ``demo`` has a --workspace of its own.
GLOBAL_OPTIONS = ("--config", "-c", "--workspace", "-w")
OWN_WORKSPACE_COMMANDS = frozenset({"demo"})


class AtelierGroup(TyperGroup):
    """The one error layer: expected errors become a message, a hint and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args, self))

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:  # the global options are parsed here, before any command runs
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            if isinstance(exc, NoArgsIsHelpError):  # the help text, as asked
                raise
            report_usage(exc)
            raise typer.Exit(2) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            if isinstance(exc, NoArgsIsHelpError):
                raise
            report_usage(exc)
            raise typer.Exit(2) from None
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
        typer.Option("--config", "-c", envvar="ATELIER_CONFIG",
                     help="Path of config.toml (here or after the command)."),
    ] = Path("config.toml"),
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace", "-w", envvar="ATELIER_WORKSPACE",
            help="Studio state folder (default: \\[workspace] path in config, .atelier); "
            "here or after the command.",
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
app.command("serve")(serve_cmds.serve)
app.add_typer(budget_cmds.budget_app, name="budget")
app.add_typer(revenue_cmds.revenue_app, name="revenue")
app.add_typer(release_cmds.release_app, name="release")


def hoist_global_options(args: list[str], root: Command | None = None) -> list[str]:
    """``args`` with the global options found after the command moved in front of it, where
    the root parses them (a later one wins over an earlier one, as for any option). With the
    ``root`` group, the value of one of the command's own options is never taken for a global
    option (`review 1 --comment -w` comments "-w")."""
    front: list[str] = []
    i = 0
    while i < len(args):  # the root's own, already in front
        if args[i] in GLOBAL_OPTIONS:
            front.extend(args[i:i + 2])
            i += 2
        elif _is_joined_global(args[i]):
            front.append(args[i])
            i += 1
        else:
            break
    if i >= len(args) or args[i] in OWN_WORKSPACE_COMMANDS:
        return args
    hoisted: list[str] = []
    rest: list[str] = []
    takes_value = _value_options(root, args[i:])
    tokens = iter(args[i:])
    for token in tokens:
        if token == "--":  # everything after it is an argument, whatever it looks like
            rest.append(token)
            rest.extend(tokens)
            break
        if token in takes_value:  # its value is the next token, whatever it looks like
            rest.append(token)
            rest.append(next(tokens, ""))
        elif token in GLOBAL_OPTIONS:
            hoisted.append(token)
            hoisted.append(next(tokens, ""))  # a missing value: the root's parser says so
        elif _is_joined_global(token):
            hoisted.append(token)
        else:
            rest.append(token)
    return front + hoisted + rest


def _value_options(root: Command | None, args: list[str]) -> frozenset[str]:
    """The options that take a value, of the command ``args`` name (``goal propose ...``)."""
    command = root
    for token in args:
        subcommands = getattr(command, "commands", None)  # a group (Typer's own click)
        if subcommands is None:
            break
        command = subcommands.get(token)
    if command is None:
        return frozenset()
    return frozenset(name for param in command.params
                     if param.param_type_name == "option" and not getattr(param, "is_flag", False)
                     and not getattr(param, "count", False) for name in param.opts
                     if name not in GLOBAL_OPTIONS)


def _is_joined_global(token: str) -> bool:
    return token.startswith(("--config=", "--workspace="))


def report_usage(exc: UsageError) -> None:
    """A bad argument or option as one line, with where to read how the command is used."""
    command = exc.ctx.command_path if exc.ctx is not None else "atelier"
    message = exc.format_message()
    hint = f"`{command} --help` shows its arguments and options"
    if re.match(r"No such option: -\d", message):  # `chain advance -5m`, `vote -1 for`
        hint = (f"a value starting with '-' reads as an option: put `--` before the "
                f"arguments (`{command} -- -1`), or {hint}")
    report(AtelierError(message, hint=hint))


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
