"""`atelier run|audit|assets` when something is missing or wrong: one clear line, no traceback,
nothing half-done."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_a_read_only_workspace_reads_and_refuses_writes_in_words(tmp_path: Path) -> None:
    """A workspace on a read-only file system (a backup, a shared mount): commands that only
    read work (no one can write, so they need no lock); a write says why it cannot."""
    import shutil
    import subprocess

    (tmp_path / "studio").mkdir()
    config = governed_studio(tmp_path / "studio", episodes=1)
    workspace = config.parent / ".atelier"
    mounted = tmp_path / "ro"
    mounted.mkdir()
    if shutil.which("mount") is None or subprocess.run(
            ["mount", "--bind", str(workspace), str(mounted)], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here (it needs root): no read-only file system to try")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], check=True)
        for args in (("chain", "status"), ("proposals", "list"), ("goal", "list")):
            ok(atelier(config, "--workspace", str(mounted), *args))
        write = atelier(config, "--workspace", str(mounted), "goal", "propose", "--title", "T",
                        "--brief", "B")
        assert write.code != 0 and "Traceback" not in write.err
        assert "could not save the workspace chain" in write.err and "writable" in write.err
    finally:
        subprocess.run(["umount", str(mounted)], check=False)
