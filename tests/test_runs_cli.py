"""`atelier run|audit|assets` when something is missing or wrong: one clear line, no traceback,
nothing half-done."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import atelier, write_config
from workflow_helpers import governed_studio, ok


def test_run_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    for args in (("run", "list"), ("run", "start"), ("audit", "list"), ("assets", "list")):
        result = atelier(config, *args)
        assert result.code != 0
        assert "atelier init" in result.err and "Traceback" not in result.err
    assert not (tmp_path / ".atelier" / "studio.sqlite3").exists()


def test_start_needs_an_active_goal_and_a_governed_episode_count(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    ok(atelier(config, "init"))
    no_goal = atelier(config, "run", "start")
    assert no_goal.code == 1
    assert "there is no active goal" in no_goal.err and "goal propose" in no_goal.err
    assert "no runs yet" in atelier(config, "run", "list").out


def test_unknown_run_audit_and_asset(tmp_path: Path) -> None:
    config = governed_studio(tmp_path, episodes=1)
    too_many = atelier(config, "run", "start", "--episodes", "3")
    assert too_many.code == 1 and "approves 1 episode(s), not 3" in too_many.err
    assert "no runs yet" in atelier(config, "run", "list").out  # nothing was created
    for args, words in ((("run", "resume", "7"), "no run 7"), (("run", "status", "7"), "no run 7"),
                        (("audit", "show", "3"), "no audit 3"),
                        (("assets", "show", "9"), "no asset 9")):
        result = atelier(config, *args)
        assert result.code == 1, args
        assert words in result.err and "Traceback" not in result.err
