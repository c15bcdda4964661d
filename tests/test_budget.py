"""Compute budgets from the treasury: a goal's token budget is held before every model call;
a run that would overrun it pauses cleanly (not a failure); a budget proposal raises it (and
may fund compute from the treasury); the run then continues where it stopped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier.governance.accounts import dev_signer
from atelier.testing import lighthouse

from cli_helpers import atelier
from workflow_helpers import governed_studio, ok, pass_proposal, studio_at


def run_json(config: Path, run: int = 1) -> dict:
    return json.loads(atelier(config, "run", "status", str(run), "--json").out)


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def tight(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """Goal 2 (approved) has a budget that runs out during its first episode; on the
    embedded chain, or on a real anvil."""
    if request.param == "embedded":
        yield _tight(tmp_path)
        return
    from atelier.governance.chain.anvil import running_anvil

    with running_anvil() as url:
        yield _tight(tmp_path, f'\n[chain]\nkind = "rpc"\nrpc_url = "{url}"\n')


def _tight(folder: Path, chain: str = "") -> Path:
    config = governed_studio(folder, episodes=1, audit_every=1, extra_config=chain)
    ok(atelier(config, "goal", "propose", "--title", "Tight", "--brief", lighthouse.BRIEF,
               "--episodes", "1", "--audit-every", "1", "--token-budget", "2500"))
    pass_proposal(config, 2)
    return config


def test_a_run_pauses_before_a_call_would_overrun_and_resumes_once_raised(tight: Path) -> None:
    config = tight
    started = atelier(config, "run", "start", "--goal", "2", "--json")
    assert started.code == 0, started.err
    run = json.loads(started.out)
    assert run["status"] == "budget"
    assert "goal 2's token budget is spent" in run["message"]
    assert "atelier budget propose 2 --tokens" in run["message"]
    store = studio_at(config).open_store()
    spent = store.tokens_by_goal(2)
    assert spent <= 2500  # held: no call went past the budget
    assert all(c.outcome == "ok" for c in store.calls(1))  # paused, nothing failed
    bible_calls = sum(c.task == "bible" for c in store.calls(1))

    needed = store.run(1).budget_needed
    assert needed is not None and needed > 2500
    still = atelier(config, "run", "resume", "1")
    assert still.code != 0 and "still paused" in still.err and "budget propose" in still.err
    assert f"needs at least {needed:,}" in still.err

    shown = json.loads(atelier(config, "budget", "show", "2", "--json").out)
    assert (shown["budget"], shown["spent"], shown["paused_on_budget"]) == (2500, spent, [1])
    assert sum(a["calls"] for a in shown["by_agent"].values()) == len(store.calls(1))

    lower = atelier(config, "budget", "propose", "2", "--tokens", "2000")
    assert lower.code == 2 and "raises it" in lower.err
    unknown = atelier(config, "budget", "propose", "9", "--tokens", "9000")
    assert unknown.code != 0 and "goal 9" in unknown.err.lower()
    ok(atelier(config, "budget", "propose", "2", "--tokens", "500000"))
    shown = atelier(config, "proposals", "show", "3").out
    assert "2,500 → 500,000 tokens" in shown and "Compliance findings" in shown
    pass_proposal(config, 3)
    resumed = atelier(config, "run", "resume", "1", "--json")
    assert resumed.code == 0, resumed.err
    assert json.loads(resumed.out)["status"] == "done"
    assert sum(c.task == "bible" for c in store.calls(1)) == bible_calls  # no work redone
    assert json.loads(atelier(config, "budget", "show", "2", "--json").out)["budget"] == 500000
    store.close()


def test_a_budget_proposal_funds_compute_from_the_treasury(tight: Path) -> None:
    from atelier.governance.tx import send_value

    config = tight
    studio = studio_at(config)
    operator = studio.operator().address  # the compute account, by default
    too_much = atelier(config, "budget", "propose", "2", "--tokens", "9000", "--fund", "1")
    assert too_much.code == 2 and "the treasury holds 0 ETH" in too_much.err
    with studio.session() as dao:  # income reaches the treasury
        w3 = dao.chain.w3
        send_value(dao.chain, dev_signer("alice"), dao.deployment.timelock, 2 * 10**18,
                   action="income")
        before = int(w3.eth.get_balance(operator))
    ok(atelier(config, "budget", "propose", "2", "--tokens", "9000", "--fund", "1.5"))
    pass_proposal(config, 3)
    with studio.session() as dao:
        assert int(dao.chain.w3.eth.get_balance(operator)) == before + 15 * 10**17
        assert int(dao.chain.w3.eth.get_balance(dao.deployment.timelock)) == 5 * 10**17
        assert dao.goal(2).token_budget == 9000
    bad = atelier(config, "budget", "propose", "2", "--tokens", "10000", "--fund", "abc")
    assert bad.code == 2 and "not an amount of ETH" in bad.err
    stranger = atelier(config, "budget", "propose", "2", "--tokens", "10000", "--fund", "0.1",
                       "--to", "nobody")
    assert stranger.code != 0 and "unknown account" in stranger.err


def test_budget_show_prices_openai_calls_from_the_config_table(tmp_path: Path) -> None:
    from atelier.agents.calls import CallRecord

    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    config.write_text(config.read_text() + '\n[models.openai.prices]\n'
                      '"gpt-4o-mini" = { prompt = 0.15, completion = 0.60 }\n')
    store = studio_at(config).open_store()
    run = store.create_run(goal_id=1, goal_title="t", episodes_planned=1, audit_every=1)
    for provider, model in (("openai", "gpt-4o-mini"), ("openai", "unpriced"),
                            ("local", "gpt-4o-mini")):
        store.record_call(run.id or 0, 1, CallRecord(
            agent="scriptwriter", task="t", prompt_hash="0x", provider=provider, model=model,
            params={}, seed=None, prompt_tokens=1_000_000, completion_tokens=500_000,
            latency_ms=1.0, attempts=1, outcome="ok"))
    store.close()
    shown = json.loads(atelier(config, "budget", "show", "1", "--json").out)
    assert shown["cost_usd"] == pytest.approx(0.15 + 0.30)  # only the priced openai model
    assert shown["spent"] == 4_500_000
    assert "$0.4500" in atelier(config, "budget", "show", "1").out
    bad = write_config_with(config, '\n[models.openai.prices]\n"m" = { prompt = -1, '
                            'completion = 1 }\n')
    refused = atelier(bad, "budget", "show", "1")
    assert refused.code == 2 and "prices" in refused.err


def write_config_with(config: Path, extra: str) -> Path:
    text = config.read_text().split("\n[models.openai.prices]")[0]
    config.write_text(text + extra)
    return config


@pytest.mark.parametrize("goal", ["0", "", "99999999999999999999999999", "9223372036854775807"])
def test_bad_goal_ids_are_refused_in_one_line(tmp_path: Path, goal: str) -> None:
    config = governed_studio(tmp_path, episodes=1, audit_every=1)
    for args in (("budget", "show", goal), ("budget", "propose", goal, "--tokens", "9"),
                 ("run", "create", "--goal", goal)):
        result = atelier(config, *args)
        assert result.code in (1, 2) and "Traceback" not in result.err, (args, result.err)
        assert "goal" in result.err.lower(), (args, result.err)
    assert json.loads(atelier(config, "run", "list", "--json").out) == []  # nothing created
