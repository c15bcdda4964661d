"""Render benchmark: wall time per comic page for episodes of 4, 8 and 12 panels built by
hand, split into the SVG (staging, balloons, text fitting), the PNG (cairosvg) and each
page's share of the episode's one PDF (the title page counts as a page).

    uv run python -m bench.render          # this benchmark alone
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from atelier.agents.designer import CharacterSheet, Palette
from atelier.agents.layout_solver import PanelRequest, solve_layout
from atelier.agents.scriptwriter import (
    BibleCharacter,
    DialogueLine,
    EpisodeScript,
    PanelScript,
    Scene,
    SeriesBible,
)
from atelier.kernel.geometry import Page
from atelier.pictures.episode import figure_styles
from atelier.pictures.output import write_pdf, write_png
from atelier.pictures.page import page_svg, scene_index, title_svg
from atelier.pictures.svg import to_bytes

PANEL_COUNTS = (4, 8, 12)
REPEATS = 3
SERIES = "The Lighthouse Keepers"

BIBLE = SeriesBible(
    title=SERIES, logline="Two keepers guard a light the sea wants out.", tone="mystery",
    world="A rocky island with a tall lighthouse and a storm every night.",
    arc="They learn the storm is a messenger, not an enemy.",
    characters=[
        BibleCharacter(id="mara", name="Mara", role="protagonist",
                       look="a tall girl with red hair and a yellow raincoat",
                       personality="stubborn, curious"),
        BibleCharacter(id="tom", name="Old Tom", role="mentor",
                       look="a stout old man with a white beard and a blue cap",
                       personality="gruff, kind"),
        BibleCharacter(id="pip", name="Pip", role="sidekick",
                       look="a small boy with spiky black hair", personality="cheeky"),
    ],
)


def _sheet(cid: str, name: str, colours: tuple[str, str, str, str]) -> CharacterSheet:
    skin, hair, outfit, accent = colours
    return CharacterSheet(character_id=cid, name=name, appearance=f"{name} as in the bible",
                          silhouette="recognisable", costume="weather gear",
                          palette=Palette(skin=skin, hair=hair, outfit=outfit, accent=accent),
                          expressions=["neutral", "happy", "surprised"])


SHEETS = {
    "mara": _sheet("mara", "Mara", ("#f2c9a0", "#b8412c", "#f2c12e", "#2e7d4f")),
    "tom": _sheet("tom", "Old Tom", ("#d9a27a", "#eeeeee", "#23395b", "#b23a48")),
    "pip": _sheet("pip", "Pip", ("#8d5524", "#1a1a1a", "#3f88c5", "#f49d37")),
}

_BEATS = [  # shot, cast, mood, lines (speaker, style, text), caption
    ("wide", ["mara", "pip"], "neutral",
     [("mara", "speech", "Pip! Do you see that light out past the rocks?"),
      ("pip", "speech", "It's just a boat. Probably.")], "The night the sea began to glow."),
    ("close", ["mara"], "surprised", [("mara", "thought", "That's no boat...")], ""),
    ("medium", ["mara", "pip"], "scared",
     [("pip", "shout", "MARA, IT'S COMING CLOSER!"), ("mara", "whisper", "Quiet. Get Tom.")],
     ""),
    ("medium", ["tom", "mara", "pip"], "neutral",
     [("tom", "speech", "Sit down, both of you. And take those wet boots off.")], ""),
    ("close", ["tom"], "sad", [("tom", "speech", "Some lights are not meant to be followed.")],
     ""),
    ("wide", ["tom", "mara", "pip"], "determined",
     [("mara", "speech", "Then we follow it anyway."), ("pip", "speech", "We?!"),
      ("tom", "speech", "Hmph. I'll get my coat.")], "Later, at the boathouse."),
]


def episode(panels: int) -> tuple[EpisodeScript, list[Page]]:
    """A script of ``panels`` panels (scenes of up to four) and its layout."""
    drafts = []
    for number in range(1, panels + 1):
        shot, cast, mood, lines, caption = _BEATS[(number - 1) % len(_BEATS)]
        drafts.append(PanelScript(
            number=number, shot=shot, action="They look out to sea.", characters=cast,
            mood=mood, caption=caption,
            dialogue=[DialogueLine(speaker=s, style=style, text=t) for s, style, t in lines]))
    settings = ["The lighthouse gallery at dusk", "Tom's kitchen, warm and cluttered",
                "The boathouse in the rain"]
    scenes = tuple(
        Scene(setting=settings[i // 4 % len(settings)], beat="Something glows at sea.",
              panels=tuple(drafts[i:i + 4]))
        for i in range(0, panels, 4))
    script = EpisodeScript(number=1, title="A Light Past the Rocks",
                           summary="Mara and Pip see a glow at sea; Old Tom knows it.",
                           scenes=scenes)
    requests = [PanelRequest(str(p.number), "large" if p.shot == "wide" else "normal", p.shot)
                for p in script.panels]
    return script, solve_layout(requests)


def _time_episode(script: EpisodeScript, pages: list[Page], out: Path) -> dict[str, float]:
    """Seconds spent on each stage for one whole episode (title page included)."""
    findings: list[str] = []
    styles = figure_styles(SHEETS, BIBLE, findings)
    panels = scene_index(script)
    started = time.perf_counter()
    svgs = [to_bytes(title_svg(script, BIBLE, styles, pages[0].spec, series_title=SERIES,
                               findings=findings))]
    for page in pages:
        root, _ = page_svg(page, panels, styles, running_title=f"{SERIES} · Episode 1",
                           findings=findings)
        svgs.append(to_bytes(root))
    svg_done = time.perf_counter()
    for i, data in enumerate(svgs):
        write_png(data, out / f"page-{i:02d}.png")
    png_done = time.perf_counter()
    write_pdf(svgs, out / "episode.pdf", title="benchmark")
    pdf_done = time.perf_counter()
    return {"svg": svg_done - started, "png": png_done - svg_done, "pdf": pdf_done - png_done}


def run(panel_counts: tuple[int, ...] = PANEL_COUNTS, repeats: int = REPEATS) -> dict[str, Any]:
    """Median per-page milliseconds of each stage over ``repeats`` renders per episode."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in panel_counts:
            script, pages = episode(count)
            drawn = len(pages) + 1  # the title page too
            runs = [_time_episode(script, pages, Path(tmp)) for _ in range(repeats)]
            per_page = {stage: statistics.median(r[stage] for r in runs) * 1000 / drawn
                        for stage in ("svg", "png", "pdf")}
            total = sum(per_page.values())
            rows.append({
                "panels": count, "pages": drawn, "repeats": repeats,
                "svg_ms_per_page": round(per_page["svg"], 1),
                "png_ms_per_page": round(per_page["png"], 1),
                "pdf_ms_per_page": round(per_page["pdf"], 1),
                "ms_per_page": round(total, 1),
                "svg_share": round(per_page["svg"] / total, 3),
                "png_share": round(per_page["png"] / total, 3),
                "pdf_share": round(per_page["pdf"] / total, 3),
                "episode_ms": round(total * drawn, 1),
            })
    return {"name": "render", "rows": rows}


def table(result: dict[str, Any]) -> list[list[str]]:
    header = ["panels", "pages with title", "ms / page", "SVG", "PNG", "PDF share",
              "episode ms"]
    body = [[str(r["panels"]), str(r["pages"]), f"{r['ms_per_page']:.0f}",
             f"{r['svg_ms_per_page']:.0f} ms ({r['svg_share']:.0%})",
             f"{r['png_ms_per_page']:.0f} ms ({r['png_share']:.0%})",
             f"{r['pdf_ms_per_page']:.0f} ms ({r['pdf_share']:.0%})",
             f"{r['episode_ms']:.0f}"] for r in result["rows"]]
    return [header, *body]


def main() -> dict[str, Any]:
    """Run the benchmark and print its table (``python -m bench.render``)."""
    from rich.console import Console
    from rich.table import Table

    result = run()
    rows = table(result)
    printed = Table(title="benchmark: render (median of "
                    f"{result['rows'][0]['repeats'] if result['rows'] else 0} renders)")
    for column in rows[0]:
        printed.add_column(column, justify="right")
    for row in rows[1:]:
        printed.add_row(*row)
    Console(width=max(Console().width, 110)).print(printed)
    return result


if __name__ == "__main__":
    main()
