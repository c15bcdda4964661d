"""`atelier budget show|propose`: a goal's model-token budget, what its runs spent, and the
proposal that raises it (and may send treasury funds to the operator's compute account)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import console, emit_json
from atelier.cli.params import GOAL, TOKEN_BUDGET
from atelier.kernel.compliance import check_texts, section
from atelier.kernel.errors import AtelierError
from atelier.kernel.text import clip_repr

if TYPE_CHECKING:
    from atelier.agents.models.settings import TokenPrice

budget_app = typer.Typer(help="Goals' model-token budgets: what is spent, and raising them.",
                         no_args_is_help=True)

GoalArg = Annotated[int, typer.Argument(parser=GOAL, metavar="GOAL", help="Goal id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
WEI_PER_ETH = 10**18


class BudgetRefused(AtelierError):
    exit_code = 2


@budget_app.command("show")
def show(ctx: typer.Context, goal: GoalArg, as_json: JsonOption = False) -> None:
    """A goal's budget (on the chain), what its runs spent (the call log), and by agent."""
    studio = studio_of(ctx)
    with studio.session() as dao:
        found = dao.goal(goal)
    with studio.open_store() as store:
        spent = store.tokens_by_goal(goal)
        runs = [r for r in store.runs() if r.goal_id == goal]
        by_agent: dict[str, list[int]] = {}
        for total in store.call_totals(goal_id=goal):  # outcomes summed per agent
            row = by_agent.setdefault(total.agent, [0, 0, 0])
            row[0] += total.calls
            row[1] += total.prompt_tokens
            row[2] += total.completion_tokens
        by_model = store.tokens_by_model(goal)
    left = found.token_budget - spent
    paused = [r.id for r in runs if r.status == "budget"]
    cost = _cost(studio.config.models.openai.prices, by_model)
    if as_json:
        emit_json({"goal": goal, "budget": found.token_budget, "spent": spent, "left": left,
                   "runs": [r.id for r in runs], "paused_on_budget": paused,
                   "cost_usd": cost,
                   "by_agent": {a: {"calls": c, "prompt_tokens": p, "completion_tokens": o}
                                for a, (c, p, o) in sorted(by_agent.items())}})
        return
    title = found.spec.title if found.spec else f"goal {goal}"
    console.print(f"goal [bold]{goal}[/] “{escape(title)}”: budget {found.token_budget:,} "
                  f"tokens, spent {spent:,}, left {left:,}", soft_wrap=True)
    if cost is not None:
        console.print(f"cost of the priced OpenAI-compatible calls: ${cost:,.4f} "
                      "([models.openai] prices)")
    if by_agent:
        table = Table("agent", "calls", "prompt tokens", "completion tokens", "share")
        for agent, (calls, prompt, completion) in sorted(by_agent.items()):
            share = (prompt + completion) / spent if spent else 0
            table.add_row(agent, str(calls), f"{prompt:,}", f"{completion:,}", f"{share:.0%}")
        console.print(table)
    if paused:
        console.print(f"[yellow]paused on this budget:[/] run(s) "
                      f"{', '.join(str(r) for r in paused)}: raise it with `atelier budget "
                      f"propose {goal} --tokens N`", soft_wrap=True)


@budget_app.command("propose")
def propose(
    ctx: typer.Context,
    goal: GoalArg,
    tokens: Annotated[int, typer.Option(parser=TOKEN_BUDGET, help="The goal's new budget, in "
                                        "model tokens (more than today's).")],
    fund: Annotated[str | None, typer.Option(help="ETH the treasury sends with it (the "
                                             "compute account's funds).")] = None,
    to: Annotated[str | None, typer.Option(help="Who receives --fund (a name or 0x "
                                           "address; default: the operator).")] = None,
    as_: Annotated[str, typer.Option("--as", help="Account that signs.")] = "alice",
    as_json: JsonOption = False,
) -> None:
    """Propose to raise a goal's token budget (and fund compute from the treasury); when it
    executes, a run paused on the budget continues."""
    from atelier.governance.proposals import Action

    studio = studio_of(ctx)
    wei = _wei(fund) if fund is not None else 0
    receiver = studio.address_of(to) if to else studio.operator().address
    signer = studio.signer(as_)
    with studio.session() as dao:
        found = dao.goal(goal)
        if tokens <= found.token_budget:
            raise BudgetRefused(
                f"goal {goal}'s budget is {found.token_budget:,} tokens already: a budget "
                f"proposal raises it (asked {tokens:,})",
                hint="give --tokens more than today's budget")
        actions = [dao.registry_action("setGoalBudget", goal, tokens)]
        if wei:
            treasury = int(dao.chain.w3.eth.get_balance(dao.deployment.timelock))
            if wei > treasury:
                raise BudgetRefused(
                    f"the treasury holds {treasury / WEI_PER_ETH:g} ETH, not the "
                    f"{wei / WEI_PER_ETH:g} ETH asked",
                    hint="ask for less, or send income to the treasury (the timelock at "
                    f"{dao.deployment.timelock}) first")
            actions.append(Action(receiver, wei, b"",
                                  f"send {wei / WEI_PER_ETH:g} ETH to {dao.name_of(receiver)}"))
        title = found.spec.title if found.spec else f"goal {goal}"
        description = (
            f"# Budget of goal {goal}: {found.token_budget:,} → {tokens:,} tokens\n\n"
            f"Raises the model-token budget of goal {goal} (“{title}”)"
            + (f" and sends {wei / WEI_PER_ETH:g} ETH from the treasury to "
               f"{dao.name_of(receiver)} ({receiver}) for compute" if wei else "")
            + ". A run paused on this budget continues once it executes.\n\n"
            + section(check_texts([("the goal's title", title)]), ["the goal's title"], None,
                      no_model="None: the budget is a member's proposal; no model call "
                      "produced it."))
        proposal = dao.propose(signer, actions, description)
    if as_json:
        emit_json({"proposal": proposal.number, "id": str(proposal.id), "goal": goal,
                   "tokens": tokens, "fund_wei": str(wei), "to": receiver if wei else None})
        return
    console.print(f"[green]✓[/] proposal [bold]{proposal.number}[/]: budget of goal {goal} "
                  f"{found.token_budget:,} → {tokens:,} tokens"
                  + (f", {wei / WEI_PER_ETH:g} ETH to {escape(dao.name_of(receiver))}"
                     if wei else ""), soft_wrap=True)
    console.print(f"next: members vote (`atelier vote {proposal.number} for --as NAME`), then "
                  "queue and execute it", soft_wrap=True)


def _cost(prices: Mapping[str, TokenPrice], by_model: list[tuple[str, str, int, int]]
          ) -> float | None:
    """US dollars of the calls made on `openai` models that config prices (None: none)."""
    priced = [(prices[model], p, c) for provider, model, p, c in by_model
              if provider == "openai" and model in prices]
    if not priced:
        return None
    return round(sum(price.prompt * p + price.completion * c for price, p, c in priced)
                 / 1_000_000, 6)


def _wei(text: str) -> int:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise BudgetRefused(f"--fund {clip_repr(text)} is not an amount of ETH",
                            hint="write it like 0.5") from None
    if not amount.is_finite() or amount <= 0 or amount > 10**9:
        raise BudgetRefused(f"--fund {clip_repr(text)} is out of range",
                            hint="a positive amount of ETH, at most 1,000,000,000")
    wei = amount * WEI_PER_ETH
    if wei != wei.to_integral_value():
        raise BudgetRefused(f"--fund {clip_repr(text)} has more than 18 decimals")
    return int(wei)
