"""Copy a run's files out of the workspace — pages, PDF, sheets, JSON and the reader —
checked against the sha256 the store recorded for each.

The files keep their layout below the run's folder (``run-N/episode-01/page-01.png`` becomes
``DIR/episode-01/page-01.png``), so the reader's relative links work in the copy and
``DIR/index.html`` is the run's index. Nothing is copied unless every file is present and
unchanged; each copy is hashed again after writing.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from atelier.kernel.errors import AtelierError

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Asset

_CHUNK = 1 << 20


class ExportError(AtelierError):
    """The export cannot go ahead: a bad destination, or files that differ from the store."""


@dataclass(frozen=True)
class ExportedFile:
    path: str  # in the destination folder, posix
    source: str  # the asset's path in the workspace's assets folder
    kind: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Problem:
    asset_id: int | None
    path: str  # the asset's path in the assets folder
    what: str  # "missing" | "changed"
    recorded: str
    found: str | None  # the file's sha256 now (None when missing)

    def __str__(self) -> str:
        where = f"asset {self.asset_id} {self.path}"
        if self.what == "missing":
            return f"{where}: missing (recorded sha256 {self.recorded[:12]}…)"
        return (f"{where}: changed since the run recorded it (sha256 "
                f"{(self.found or '?')[:12]}… now, {self.recorded[:12]}… recorded)")


@dataclass(frozen=True)
class Export:
    run_id: int
    destination: Path
    files: tuple[ExportedFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def index(self) -> ExportedFile | None:
        return next((f for f in self.files if f.kind == "reader_index"), None)


def check_files(assets_dir: Path, assets: list[Asset]) -> list[Problem]:
    """Each asset's file against the sha256 the store recorded for it."""
    problems = []
    for asset in assets:
        path = assets_dir / asset.path
        if not path.is_file():
            problems.append(Problem(asset.id, asset.path, "missing", asset.sha256, None))
            continue
        found = file_sha256(path)
        if found != asset.sha256:
            problems.append(Problem(asset.id, asset.path, "changed", asset.sha256, found))
    return problems


def export_run(store: Store, assets_dir: Path, run: int | str, destination: Path, *,
               force: bool = False) -> Export:
    """Copy run ``run``'s files to ``destination`` (created if need be), verified."""
    chosen = store.run(run)
    assets = store.assets(chosen.id)
    destination = Path(destination)
    _check_destination(destination, assets_dir, force=force)
    if not assets:
        raise ExportError(f"run {chosen.id} has no files yet",
                          hint=f"`atelier run status {chosen.id}` shows how far it got")
    problems = check_files(assets_dir, assets)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems)
        count = f"{len(problems)} of {len(assets)} file{'s' if len(assets) != 1 else ''}"
        raise ExportError(
            f"{count} of run {chosen.id} do not match the studio's store; nothing was "
            f"copied:\n{listed}",
            hint=f"restore the files from a backup; `atelier assets show {problems[0].asset_id}` "
            "shows what the run recorded for a file",
        )
    prefix = f"run-{chosen.id}/"
    copied = []
    for asset in assets:
        relative = asset.path.removeprefix(prefix)
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(assets_dir / asset.path, target)
        written = file_sha256(target)
        if written != asset.sha256:  # a full disk, a file changed under our feet
            raise ExportError(f"the copy of {asset.path} at {target} does not match its "
                              "sha256", hint="check the destination's free space and retry")
        copied.append(ExportedFile(relative, asset.path, asset.kind, asset.sha256,
                                   target.stat().st_size))
    return Export(chosen.id, destination, tuple(copied))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_destination(destination: Path, assets_dir: Path, *, force: bool) -> None:
    if destination.exists() and not destination.is_dir():
        raise ExportError(f"{destination} is a file, not a folder",
                          hint="name a new or empty folder to export into")
    resolved, assets = destination.resolve(), assets_dir.resolve()
    if resolved == assets or assets in resolved.parents:
        raise ExportError(f"{destination} is inside the workspace's assets folder",
                          hint="export to a folder outside the workspace")
    if destination.is_dir() and any(destination.iterdir()) and not force:
        raise ExportError(f"{destination} is not empty",
                          hint="choose a new or empty folder, or pass --force to copy into "
                          "it (files of the same name are overwritten)")
