"""Odd input a new user might type (issue 20): huge ids and amounts, zero and overflowing
durations, paths the system cannot hold, blank names, options after the command, and text
that would steer a terminal. Each is one clear line and changes nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from atelier.cli import chain as chain_cmds
from atelier.cli.main import hoist_global_options
from atelier.cli.output import PrintableOnly
from atelier.kernel.durations import MAX_DURATION, parse_duration
from atelier.kernel.text import clip, printable

from cli_helpers import assert_refused, atelier, snapshot, write_config
from workflow_helpers import governed_studio

HUGE = str(10**30)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A governed studio (goal 1 approved), read once so its caches are warm: refused
    commands share it, and each test checks they left every file as it was."""
    config = governed_studio(tmp_path_factory.mktemp("bad-input"), episodes=1)
    # Warm before any snapshot: the proposal index cache, and the store's database (made
    # on first open, whichever command opens it first).
    assert atelier(config, "proposals", "list").code == 0
    assert atelier(config, "run", "list").code == 0
    return config


@pytest.mark.parametrize("args, words", [
    (("run", "status", HUGE), ["run number", "9,223,372,036,854,775,807"]),
    (("run", "resume", HUGE), ["run number"]),
    (("run", "status", "run-" + HUGE), ["run number"]),
    (("assets", "show", HUGE), ["asset number"]),
    (("assets", "list", "--run", HUGE), ["run number"]),
    (("assets", "list", "--episode", "0"), ["episode number", "from 1"]),
    (("audit", "show", HUGE), ["audit number"]),
    (("audit", "list", "--run", "-1"), ["run number"]),
    (("audit", "show", "1" * 5000), ["audit number", "…"]),
    (("goal", "propose", "--title", "x", "--token-budget", str(2**300)),
     ["token budget", "18,446,744,073,709,551,615"]),
    (("goal", "propose", "--title", "x", "--episodes", HUGE), ["number of episodes", "1,000"]),
    (("run", "start", "--episodes", "0"), ["number of episodes"]),
    (("run", "start", "--goal", HUGE), ["goal id"]),
    (("reviews", "list", "--run", "abc"), ["is not a run number"]),
    (("curate", "show", HUGE), ["ballot number"]),
])
def test_ids_and_amounts_out_of_bounds_are_one_line_naming_the_bound(
        studio: Path, args: tuple[str, ...], words: list[str]) -> None:
    before = snapshot(studio.parent)
    result = atelier(studio, *args)
    assert_refused(result, *words, code=2)
    assert len(result.err) < 400  # the 5,000 digits are not echoed back
    assert snapshot(studio.parent) == before


def test_a_run_can_still_be_named_as_its_thread(studio: Path) -> None:
    result = atelier(studio, "run", "status", "run-7")
    assert_refused(result, "no run 7", code=1)


@pytest.mark.parametrize("duration, words", [
    ("0", ["0 s"]), ("0s", ["0 s"]), (f"{2**64}s", ["at most 100 years"]),
    (f"{10**30}d", ["at most 100 years"]), ("36600d", ["at most 100 years"]),
    ("9" * 5000, ["at most 100 years"]), ("-5m", ["negative"]),
    ("2 fortnights", ["not a duration"]),
])
def test_chain_advance_refuses_before_the_clock_moves(
        studio: Path, duration: str, words: list[str]) -> None:
    before = snapshot(studio.parent)
    result = atelier(studio, "chain", "advance", "--", duration)
    assert_refused(result, *words, code=1)
    assert len(result.err) < 300
    assert snapshot(studio.parent) == before
    assert atelier(studio, "chain", "status").code == 0


def test_a_negative_value_read_as_an_option_says_how_to_pass_it(studio: Path) -> None:
    result = atelier(studio, "chain", "advance", "-5m")
    assert_refused(result, "No such option: -5", "put `--` before", code=2)


def test_chain_advance_never_saves_a_clock_past_what_a_date_holds(
        studio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    now = json.loads(atelier(studio, "chain", "status", "--json").out)["time"]
    monkeypatch.setattr(chain_cmds, "LAST_CHAIN_TIME", now + 86400)
    before = snapshot(studio.parent)
    assert_refused(atelier(studio, "chain", "advance", "2d"), "the last time it can hold",
                   code=1)
    assert snapshot(studio.parent) == before


def test_durations_are_bounded_everywhere_they_are_parsed() -> None:
    assert parse_duration("100w") == 100 * 7 * 86400
    assert parse_duration(MAX_DURATION) == MAX_DURATION
    for bad in (MAX_DURATION + 1, f"{MAX_DURATION + 1}", "1" * 100 + "s"):
        with pytest.raises(ValueError, match="at most 100 years") as refused:
            parse_duration(bad)
        assert len(str(refused.value)) < 150


@pytest.mark.parametrize("section, key, value, words", [
    ("workspace", "path", "a" * 100_000, ["[workspace] path", "100,000 bytes", "4,096"]),
    ("prompts", "dir", "p" * 100_000, ["[prompts] dir", "100,000 bytes"]),
    ("workspace", "path", "ok/" + "n" * 300, ["[workspace] path", "255 bytes"]),
    ("workspace", "path", "   ", ["[workspace] path", "empty"]),
    ("models.local", "gguf", "g" * 300 + ".gguf", ["[models.local] gguf", "255 bytes"]),
    ("chain", "lock_timeout", "9" * 100_000, ["[chain] lock_timeout", "100 years"]),
    ("studio", "name", "s" * 100_000, ["[studio] name", "at most 80"]),
])
def test_config_values_too_long_name_their_key_and_are_not_echoed_whole(
        tmp_path: Path, section: str, key: str, value: str, words: list[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[{section}]\n{key} = "{value}"\n', encoding="utf-8")
    before = snapshot(tmp_path)
    result = atelier(config, "chain", "status")
    assert_refused(result, *words, code=2)
    assert len(result.err) < 600
    assert snapshot(tmp_path) == before  # no workspace folder made


def test_a_workspace_option_too_long_names_the_option(tmp_path: Path) -> None:
    config = write_config(tmp_path, prompts=False)
    result = atelier(config, "chain", "status", "--workspace", str(tmp_path / ("w" * 300)))
    assert_refused(result, "--workspace", "255 bytes", code=2)
    assert len(result.err) < 400
    demo = atelier(config, "demo", "--workspace", str(tmp_path / ("w" * 300)))
    assert_refused(demo, "--workspace", "255 bytes", code=1)
    assert len(demo.err) < 400


def test_proposal_references_never_fall_back_to_another_proposal(studio: Path) -> None:
    before = snapshot(studio.parent)
    for args in (("proposals", "show", "0"), ("proposals", "show", ""),
                 ("proposals", "show", "0x"), ("proposals", "show", "9" * 5000),
                 ("vote", "0", "for"), ("vote", "", "against"), ("vote", " ", "for"),
                 ("queue", "0"), ("execute", ""), ("cancel", "0x")):
        result = atelier(studio, *args)
        assert_refused(result, "no proposal", code=1)
        assert len(result.err) < 300
    assert snapshot(studio.parent) == before


def test_blank_titles_and_zero_episodes_are_refused(studio: Path) -> None:
    before = snapshot(studio.parent)
    for title in ("   ", "", "\t\n"):
        assert_refused(atelier(studio, "goal", "propose", "--title", title), "title", code=1)
    assert_refused(atelier(studio, "run", "start", "--episodes", "0"), "episodes", code=2)
    assert snapshot(studio.parent) == before
    assert "no runs yet" in atelier(studio, "run", "list").out


@pytest.mark.parametrize("prompts", ["missing", "empty"])
def test_init_refuses_to_deploy_without_founding_prompts(tmp_path: Path, prompts: str) -> None:
    config = write_config(tmp_path, prompts=False)
    if prompts == "empty":
        (tmp_path / "prompts").mkdir()
    result = atelier(config, "init")
    assert_refused(result, f"no prompt files at {tmp_path / 'prompts'}", "[prompts] dir",
                   code=1)
    assert not (tmp_path / ".atelier" / "deployment.json").exists()
    assert not (tmp_path / ".atelier" / "chain.sqlite3").exists()


def test_global_options_work_after_the_command_too(tmp_path: Path, studio: Path) -> None:
    elsewhere = write_config(tmp_path, prompts=True)
    folder = tmp_path / "other-workspace"
    made = atelier(elsewhere, "init", "--workspace", str(folder))
    assert made.code == 0, made.err
    assert (folder / "deployment.json").exists()
    assert not (tmp_path / ".atelier").exists()
    listed = atelier(elsewhere, "proposals", "list", "-w", str(studio.parent / ".atelier"))
    assert listed.code == 0 and "The Lighthouse Keepers" in listed.out
    status = atelier(elsewhere, "run", "status", "1", f"--workspace={folder}")
    assert_refused(status, "no run 1", code=1)
    assert atelier(studio, "dao", "status", "--config", str(elsewhere),
                   "--workspace", str(folder)).code == 0


def test_global_options_are_hoisted_in_front_of_the_command_only_where_they_are_global(
        ) -> None:
    assert hoist_global_options(["run", "status", "1", "-w", "W", "--config=C"]) == \
        ["-w", "W", "--config=C", "run", "status", "1"]
    assert hoist_global_options(["-c", "A", "vote", "1", "for", "-c", "B"]) == \
        ["-c", "A", "-c", "B", "vote", "1", "for"]
    # After `--` everything is an argument; `demo` has a --workspace of its own.
    assert hoist_global_options(["goal", "propose", "--title", "--", "-w"]) == \
        ["goal", "propose", "--title", "--", "-w"]
    assert hoist_global_options(["demo", "--workspace", "D"]) == ["demo", "--workspace", "D"]


def test_an_option_value_that_looks_like_a_global_option_stays_the_value(tmp_path: Path
                                                                          ) -> None:
    import typer

    from atelier.cli.main import app

    root = typer.main.get_command(app)
    args = ["review", "1", "--comment", "-w", "--as", "bob"]
    assert hoist_global_options(args, root) == args  # the comment is "-w"
    assert hoist_global_options(["goal", "propose", "--title", "-c", "-w", "W"], root) == [
        "-w", "W", "goal", "propose", "--title", "-c"]
    assert hoist_global_options(["review", "1", "--json", "-w", "W"], root) == [
        "-w", "W", "review", "1", "--json"]  # a flag takes no value
    config = governed_studio(tmp_path, episodes=1)
    shown = atelier(config, "goal", "propose", "--title", "-w", "--brief", "A brief.",
                    "--episodes", "1", "--as", "alice", "--json")
    assert shown.code == 0, shown.err
    assert json.loads(shown.out)["title"] == "Goal: -w"  # the title, not a workspace


INJECTED = "Night \x1b[2J\x1b[31mMarket\x1b]0;pwned\x07 \u202egnp.exe\x00 [/x] [red]tail"


def test_text_from_the_chain_cannot_steer_the_terminal(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1)
    proposed = atelier(config, "goal", "propose", "--title", INJECTED, "--brief", INJECTED)
    assert proposed.code == 0, proposed.err
    for args in (("proposals", "list"), ("proposals", "show", "2"), ("goal", "propose",
                                                                      "--title", INJECTED)):
        result = atelier(config, *args)
        assert result.code == 0, result.err
        shown = result.out + result.err
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert "\x00" not in shown
        assert "Night" in shown and "[/x]" in shown  # shown, as text, not as markup
    shown = atelier(config, "proposals", "show", "2").out
    assert "Night \ufffd\ufffdMarket\ufffd" in shown
    assert "\ufffdgnp.exe\ufffd [/x] [red]tail" in shown
    assert "\x1b" in json.loads(atelier(config, "proposals", "show", "2", "--json").out)[
        "title"]  # JSON keeps the exact text (escaped by the JSON encoder)


def test_every_printer_goes_through_the_boundary() -> None:
    """Tables, Markdown and plain text alike: the hook sits on the console, not the printer."""
    out = io.StringIO()
    console = Console(file=out, width=100, color_system="truecolor", force_terminal=True)
    console.push_render_hook(PrintableOnly())
    table = Table("title")
    table.add_row(INJECTED.replace("[", "\\["))
    console.print(table)
    console.print(Markdown(f"# {INJECTED}\n\n{INJECTED}"))
    console.print(INJECTED, markup=False)
    console.print("[bold red]styled[/]")
    text = out.getvalue()
    assert "\x07" not in text and "\u202e" not in text and "\x00" not in text
    assert "\x1b[2J" not in text and "\x1b]0;" not in text and "\x1b[31mMarket" not in text
    assert "\x1b[1;31mstyled" in text  # our own styles still reach the terminal


def test_printable_and_clip() -> None:
    assert printable("a\x1b[31mb\x1b[0m\tc\nd\r\u202ee\u200df") == \
        "a\ufffdb\ufffd\tc\nd\ufffd\ufffde\u200df"
    assert printable("plain: ü ✓ 漫画") == "plain: ü ✓ 漫画"
    assert clip("x" * 100) == "x" * 79 + "…" and clip("short") == "short"
