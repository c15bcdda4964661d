"""`atelier assets list|show|export`: what runs made, with provenance, and a verified copy."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from atelier.cli.context import studio_of
from atelier.cli.output import (
    console,
    emit_json,
    limit_option,
    offset_option,
    page_size,
    print_page_note,
)
from atelier.cli.params import ASSET, EPISODE, RUN
from atelier.kernel.errors import AtelierError
from atelier.kernel.text import clip, clip_repr

if TYPE_CHECKING:
    from atelier.reader.export import Export
    from atelier.store.database import Store
    from atelier.studio import Studio

assets_app = typer.Typer(help="Assets made by runs, with their provenance.",
                         no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]
LimitOption = limit_option(100)
OffsetOption = offset_option()


@assets_app.command("list")
def list_assets(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Option(parser=RUN, help="Only this run.")] = None,
    episode: Annotated[int | None, typer.Option(parser=EPISODE, help="Only this episode.")]
    = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (page_png, script, ...).")]
    = None,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
    as_json: JsonOption = False,
) -> None:
    """Assets, oldest first."""
    studio = studio_of(ctx)
    shown = page_size(limit, as_json, table_default=100)
    with studio.open_store() as store:
        run_id = store.run(run).id if run is not None else None
        assets = store.assets(run_id, episode, kind, limit=shown, offset=offset)
        total = len(assets) if offset == 0 and (shown is None or len(assets) < shown) else \
            store.count_assets(run_id, episode, kind)
    if as_json:
        emit_json([a.model_dump(mode="json") for a in assets])
        return
    if not assets:
        console.print("no assets yet: `atelier run start` makes them" if not total else
                      f"no assets past the first {offset} (there are {total})")
        return
    table = Table("asset", "run", "episode", "kind", "path", "sha256", "agent", "prompt")
    for a in assets:
        table.add_row(str(a.id), str(a.run_id), str(a.episode or "-"), a.kind, escape(a.path),
                      a.sha256[:10] + "…", a.agent or "-",
                      (a.prompt_hash or "-")[:12] + ("…" if a.prompt_hash else ""))
    console.print(table)
    print_page_note(len(assets), offset, total, "assets")
    console.print(f"[dim]files under {studio.workspace.assets_dir}[/]")


@assets_app.command("show")
def show(
    ctx: typer.Context,
    asset: Annotated[int, typer.Argument(parser=ASSET, metavar="ASSET",
                                         help="Asset number (from `atelier assets list`).")],
    as_json: JsonOption = False,
) -> None:
    """One asset's full provenance, and whether the file still matches its hash."""
    from atelier.reader.export import file_sha256

    studio = studio_of(ctx)
    with studio.open_store() as store:
        found = store.asset(asset)
    path = studio.workspace.assets_dir / found.path
    intact = path.exists() and file_sha256(path) == found.sha256
    if as_json:
        emit_json({**found.model_dump(mode="json"), "file": str(path), "intact": intact})
        return
    rows = [("file", str(path)), ("sha256", found.sha256),
            ("intact", "yes" if intact else "[red]no: the file is missing or changed[/]"),
            ("kind", found.kind), ("run", str(found.run_id)),
            ("episode", str(found.episode or "-")), ("agent", found.agent or "-"),
            ("prompt hash", found.prompt_hash or "-"),
            ("model", f"{found.provider or '-'} / {found.model or '-'}"),
            ("parameters", ", ".join(f"{k}={v}" for k, v in sorted(found.params.items())) or "-"),
            ("seed", str(found.seed) if found.seed is not None else "-"),
            ("goal", str(found.goal_id)),
            ("proposals", ", ".join(found.proposal_ids) or "-")]
    for key, value in rows:
        console.print(f"[bold]{key:>12}[/]  {value if key == 'intact' else escape(value)}")


@assets_app.command("export")
def export(
    ctx: typer.Context,
    run: Annotated[int, typer.Argument(parser=RUN, metavar="RUN",
                                       help="Run number (as shown by `atelier run list`).")],
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to copy into "
                                              "(new or empty).")],
    force: Annotated[bool, typer.Option("--force", help="Copy into a folder that is not "
                                        "empty (files of the same name are overwritten).")]
    = False,
    as_json: JsonOption = False,
) -> None:
    """Copy a run's pages, PDFs, sheets, JSON and reader to DIR, each checked against the
    sha256 the store recorded; open DIR/index.html in a browser."""
    from atelier.config import os_path
    from atelier.reader.export import export_run

    try:
        os_path(str(directory))
    except ValueError as exc:
        raise AtelierError(f"DIR {clip_repr(str(directory))}: {exc}") from None
    studio = studio_of(ctx)
    with studio.open_store() as store:
        try:
            done = export_run(store, studio.workspace.assets_dir, run, directory, force=force)
        except OSError as exc:  # the destination: not writable, not a folder, gone, full
            raise AtelierError(
                f"cannot copy to {clip(str(exc.filename or directory))}: "
                f"{exc.strerror or exc.__class__.__name__}",
                hint="choose a folder you can write to (new or empty; --force for one that is "
                "not empty)",
            ) from None
        proved = write_proofs(studio, store, done)
    if as_json:
        emit_json({"run": done.run_id, "directory": str(done.destination),
                   "index": done.index.path if done.index else None,
                   "files": [asdict(f) for f in done.files], "bytes": done.size,
                   "proofs": proved})
        return
    table = Table("file", "kind", "size", "sha256")
    for f in done.files:
        table.add_row(escape(f.path), f.kind, f"{f.size:,}", f.sha256[:12] + "…")
    console.print(table)
    console.print(f"[green]✓[/] copied {len(done.files)} files ({done.size / 1024:,.0f} KB) "
                  f"of run {done.run_id} to {escape(str(done.destination))}; every sha256 "
                  "matches the store", soft_wrap=True)
    console.print(f"  {len(proved)} of them anchored on the chain, each with its proof beside "
                  "it (FILE.proof.json; check one with `atelier verify FILE`)"
                  if proved else "  none of them is anchored on the chain yet: no proofs "
                  "written", soft_wrap=True)
    if done.index is not None:
        console.print(f"  open {escape(str(done.destination / done.index.path))}", soft_wrap=True)
    else:
        console.print("  [yellow]this run has no reader yet[/] (it is written when an episode "
                      "is published)", soft_wrap=True)


def write_proofs(studio: Studio, store: Store, done: Export) -> list[str]:
    """A ``.proof.json`` beside each exported file whose bytes are the ones its episode
    anchored; returns their paths. A file rewritten since (a reader page that now links to
    later episodes) or never anchored (the bible, the run's index) gets none."""
    from atelier.governance.merkle import StandardMerkleTree
    from atelier.governance.proof_file import PROOF_SUFFIX, proof_for

    deployment = studio.deployment()
    if deployment.provenance is None:
        return []
    exported = {(f.path, bytes.fromhex(f.sha256)) for f in done.files}
    written = []
    for episode in store.anchored_episodes(done.run_id):
        leaves = [(path, bytes.fromhex(digest)) for path, digest in
                  episode.provenance_leaves or []]
        tree = StandardMerkleTree.of(leaves)
        if "0x" + tree.root.hex() != episode.provenance_root:
            continue  # leaves and root disagree: write no proof that cannot verify
        for leaf in leaves:
            if leaf not in exported:
                continue
            proof = proof_for(tree, leaf, registry=deployment.provenance,
                              chain_id=deployment.chain_id, run=done.run_id,
                              episode=episode.number)
            target = done.destination / (leaf[0] + PROOF_SUFFIX)
            proof.save(target)
            written.append(leaf[0] + PROOF_SUFFIX)
    return written
