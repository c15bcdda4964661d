"""`atelier assets export RUN DIR`: a run's files copied out with the reader's layout, each
checked against the sha256 the store recorded; refusals are one clear error, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_reader import broken_links

from atelier.workflows.runner import Runner

from cli_helpers import atelier
from workflow_helpers import governed_studio, studio_at


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A studio whose one-episode run is done: its config.toml and its assets folder."""
    folder = tmp_path_factory.mktemp("export")
    config = governed_studio(folder, episodes=1, audit_every=1)
    studio = studio_at(config)
    with studio.open_store() as store:
        assert Runner(studio, store).start().status == "done"
    return config, studio.workspace.assets_dir


@pytest.fixture
def config(workspace: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the finished studio (tests may tamper with its files)."""
    source, _ = workspace
    copy = tmp_path / "studio"
    shutil.copytree(source.parent, copy)
    return copy / "config.toml"


def assets_of(config: Path) -> Path:
    return studio_at(config).workspace.assets_dir


def test_export_copies_every_file_and_the_reader_still_works(config: Path, tmp_path: Path
                                                              ) -> None:
    out = tmp_path / "out"
    result = atelier(config, "assets", "export", "1", str(out), "--json")
    assert result.code == 0, result.err
    done = json.loads(result.out)
    with studio_at(config).open_store() as s:
        recorded = {a.path: a.sha256 for a in s.assets(1)}
    assert {f["source"]: f["sha256"] for f in done["files"]} == recorded
    kinds = {f["kind"] for f in done["files"]}
    assert {"page_png", "page_svg", "episode_pdf", "sheet_png", "sheet_svg", "script",
            "bible", "reader_episode", "reader_index"} <= kinds
    assert done["index"] == "index.html" and done["run"] == 1
    assert done["bytes"] == sum(f["size"] for f in done["files"])
    # the layout below run-1/ is kept, so the copied reader's links resolve
    for f in done["files"]:
        assert (out / f["path"]).read_bytes() == (assets_of(config) / f["source"]).read_bytes()
    pages = sorted(out.rglob("*.html"))
    assert [p.relative_to(out).as_posix() for p in pages] == ["episode-01/index.html",
                                                               "index.html"]
    for html in pages:
        assert broken_links(html) == [], html


def test_export_prints_what_it_copied(config: Path, tmp_path: Path) -> None:
    result = atelier(config, "assets", "export", "1", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert "every sha256 matches the store" in result.out
    assert "index.html" in result.out and "episode-01/page-01.png" in result.out


def test_export_refuses_a_folder_that_is_not_empty(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = atelier(config, "assets", "export", "1", str(out))
    assert result.code == 1
    assert "is not empty" in result.err and "--force" in result.err
    assert "Traceback" not in result.err + result.out
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    forced = atelier(config, "assets", "export", "1", str(out), "--force")
    assert forced.code == 0, forced.err
    assert (out / "notes.txt").read_text() == "mine" and (out / "index.html").is_file()


def test_a_tampered_or_missing_file_is_reported_and_nothing_is_copied(
        config: Path, tmp_path: Path) -> None:
    assets = assets_of(config)
    page = assets / "run-1" / "episode-01" / "page-01.png"
    page.write_bytes(page.read_bytes() + b"tampered")
    (assets / "run-1" / "characters" / "sheet-mara.svg").unlink()
    out = tmp_path / "out"
    result = atelier(config, "assets", "export", "1", str(out))
    assert result.code == 1
    assert "Traceback" not in result.err + result.out
    text = " ".join(result.err.split())
    assert "2 of" in text and "do not match the studio's store; nothing was copied" in text
    assert "run-1/episode-01/page-01.png: changed since the run recorded it" in text
    assert "run-1/characters/sheet-mara.svg: missing" in text
    assert "atelier assets show" in text  # the hint
    assert not out.exists()


def test_export_refuses_bad_destinations_and_runs(config: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = atelier(config, "assets", "export", "1", str(a_file))
    assert result.code == 1 and "is a file, not a folder" in result.err
    inside = assets_of(config) / "copy"
    result = atelier(config, "assets", "export", "1", str(inside), "--force")
    assert result.code == 1 and "inside the workspace's assets folder" in result.err
    result = atelier(config, "assets", "export", "7", str(tmp_path / "out"))
    assert result.code == 1 and "no run 7" in result.err
    assert not (tmp_path / "out").exists()


def test_export_to_a_path_the_system_cannot_use_is_one_line(workspace: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    config, _ = workspace  # refused before anything is copied: the shared studio will do
    too_long = atelier(config, "assets", "export", "1", str(tmp_path / ("e" * 300)))
    assert too_long.code == 1 and "255 bytes" in too_long.err and "Traceback" not in too_long.err
    assert len(too_long.err) < 400
    nowhere = atelier(config, "assets", "export", "1", "/proc/no-such-folder/out")
    assert nowhere.code == 1 and "cannot copy to /proc/no-such-folder" in nowhere.err
    assert "Traceback" not in nowhere.err + nowhere.out
