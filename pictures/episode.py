"""Render an episode: the title page and every comic page as SVG (the source of truth),
a PNG of each, and one PDF with them all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from atelier.agents.designer import CharacterSheet
from atelier.agents.scriptwriter import EpisodeScript, SeriesBible
from atelier.kernel.geometry import Page, PageSpec
from atelier.pictures import text as T
from atelier.pictures.art import DRAWN, CharacterArt, ImageProvider, PanelArt
from atelier.pictures.figures import UNKNOWN, FigureStyle
from atelier.pictures.output import write_pdf, write_png
from atelier.pictures.page import page_svg, scene_index, title_svg
from atelier.pictures.settings import PicturesSettings
from atelier.pictures.svg import to_bytes

#: Where a raster provider's pictures are kept, in the episode's folder: rendering again
#: asks for nothing twice.
ART_CACHE = "art"


@dataclass(frozen=True)
class RenderedEpisode:
    pages_svg: list[Path]
    pages_png: list[Path]
    pdf: Path
    title_svg: Path
    title_png: Path
    # text that had to be shrunk, carried over or cut, panels that could not be drawn as
    # written, art the image provider failed to give: one sentence each, for the review
    findings: list[str] = field(default_factory=list)
    # who painted panel art, if not the drawn staging (provenance of the pages)
    art_provider: str | None = None
    art_model: str | None = None


def figure_styles(
    sheets: Mapping[str, CharacterSheet], bible: SeriesBible, findings: list[str] | None = None
) -> dict[str, FigureStyle]:
    """Each character's figure style from its sheet (the bible's 'look' adds words)."""
    looks = {c.id: c.look for c in bible.characters}
    styles = {}
    for cid, sheet in sorted(sheets.items()):
        styles[cid] = FigureStyle.from_sheet(sheet, looks.get(cid, ""))
    if findings is not None:
        for c in bible.characters:
            if c.id not in sheets:
                findings.append(f"{c.id!r} has no character sheet; drawn as a grey figure")
    return styles


def cast_art(
    sheets: Mapping[str, CharacterSheet], bible: SeriesBible, styles: Mapping[str, FigureStyle]
) -> dict[str, CharacterArt]:
    """Each character as panel art needs it: name, the sheet's and the bible's words, and
    the figure style (palette)."""
    out = {}
    for c in bible.characters:
        sheet = sheets.get(c.id)
        words = [sheet.appearance, sheet.silhouette, sheet.costume] if sheet else []
        description = "; ".join(w for w in (*words, c.look) if T.clean(w))
        out[c.id] = CharacterArt(c.id, c.name, description, styles.get(c.id, UNKNOWN))
    for cid, sheet in sheets.items():  # a sheet for someone the bible does not name
        if cid not in out:
            words = "; ".join(w for w in (sheet.appearance, sheet.silhouette, sheet.costume) if w)
            out[cid] = CharacterArt(cid, sheet.name, words, styles.get(cid, UNKNOWN))
    return out


def image_provider(settings: PicturesSettings, cache_dir: Path) -> ImageProvider:
    """The provider ``[pictures]`` names; raster pictures are kept in ``cache_dir``."""
    if settings.provider == "openai":
        from atelier.pictures.openai_images import OpenAIImageProvider

        return OpenAIImageProvider(settings.openai, cache_dir)
    return DRAWN


def _write(path: Path, data: bytes) -> Path:
    # unchanged files are left alone, so a rerun touches nothing (and keeps mtimes)
    if not (path.is_file() and path.read_bytes() == data):
        path.write_bytes(data)
    return path


def render_episode(
    script: EpisodeScript,
    pages: Sequence[Page],
    sheets: Mapping[str, CharacterSheet],
    bible: SeriesBible,
    out_dir: Path,
    *,
    series_title: str,
    art: ImageProvider | PicturesSettings | None = None,
) -> RenderedEpisode:
    """Write ``title.svg/.png``, ``page-01.svg/.png``, ... and ``episode.pdf`` (title page
    first) to ``out_dir``. The same input gives byte-identical SVG (with a raster provider:
    once its pictures are in ``out_dir/art``). ``art``: who paints the panels, or the
    ``[pictures]`` settings naming it; None = the drawn staging."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(art, PicturesSettings):
        art = image_provider(art, out_dir / ART_CACHE)
    provider = art if art is not None else DRAWN
    findings: list[str] = []
    styles = figure_styles(sheets, bible, findings)
    cast = cast_art(sheets, bible, styles)
    used: list[PanelArt] = []
    panels = scene_index(script)
    on_pages = {p.panel_id for page in pages for p in page.panels}
    for number in panels:
        if number not in on_pages:
            findings.append(f"panel {number} is in the script but on no page; not drawn")

    spec = pages[0].spec if pages else PageSpec()
    title = to_bytes(
        title_svg(script, bible, styles, spec, series_title=series_title, findings=findings)
    )
    title_path = _write(out_dir / "title.svg", title)
    title_png = write_png(title, out_dir / "title.png")

    running = f"{T.clean(series_title)} · Episode {script.number}"
    svgs, svg_paths, png_paths = [title], [], []
    width = max(2, len(str(len(pages))))
    for page in pages:
        root, _ = page_svg(
            page,
            panels,
            styles,
            running_title=running,
            findings=findings,
            art=provider,
            cast=cast,
            used=used,
        )
        data = to_bytes(root)
        stem = f"page-{page.number:0{width}d}"
        svg_paths.append(_write(out_dir / f"{stem}.svg", data))
        png_paths.append(write_png(data, out_dir / f"{stem}.png"))
        svgs.append(data)
    pdf = write_pdf(
        svgs,
        out_dir / "episode.pdf",
        title=f"{T.clean(series_title)}, episode {script.number}: {T.clean(script.title)}",
        labels=["title", *(str(p.number) for p in pages)],
    )
    painted = next((a for a in used if a.provider != DRAWN.name), None)
    return RenderedEpisode(
        svg_paths,
        png_paths,
        pdf,
        title_path,
        title_png,
        findings,
        art_provider=painted.provider if painted else None,
        art_model=painted.model if painted else None,
    )
