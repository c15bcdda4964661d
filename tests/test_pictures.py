"""Rendered episodes and character sheets (atelier.pictures): the episode's files, every
page's SVG structure, the title page, PNG pixels, the PDF's pages, determinism, odd inputs
drawn and reported, and the character sheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from atelier.kernel.geometry import Page
from atelier.pictures import RenderedEpisode, render_episode, render_sheet
from atelier.pictures.sheet import sheet_svg
from atelier.pictures.svg import to_bytes

from pictures_helpers import (
    NS,
    check_page,
    classes,
    episode_script,
    fnum,
    layout,
    make_bible,
    make_sheets,
    parse,
    rect_of,
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[RenderedEpisode, list[Page]]:
    script = episode_script()
    pages = layout(script)
    out = tmp_path_factory.mktemp("episode")
    bible = make_bible()
    return render_episode(script, pages, make_sheets(), bible, out, series_title=bible.title), pages


def test_episode_files(rendered: tuple[RenderedEpisode, list[Page]]) -> None:
    result, _ = rendered
    out = result.pdf.parent
    assert [p.name for p in result.pages_svg] == ["page-01.svg", "page-02.svg"]
    assert [p.name for p in result.pages_png] == ["page-01.png", "page-02.png"]
    assert (result.title_svg.name, result.title_png.name, result.pdf.name) == (
        "title.svg",
        "title.png",
        "episode.pdf",
    )
    assert all((out / name).is_file() for name in ("title.svg", "title.png", "episode.pdf"))
    assert result.findings == []  # this script's text all fits at a comfortable size


def test_pages_keep_everything_inside(rendered: tuple[RenderedEpisode, list[Page]]) -> None:
    result, pages = rendered
    balloons = []
    for path, page in zip(result.pages_svg, pages, strict=True):
        balloons += check_page(parse(path.read_bytes()), page)
    kinds = [b["kind"] for b in balloons]
    assert kinds.count("speech") == 7 and kinds.count("location") == 2
    assert {"thought", "shout", "whisper", "caption"} <= set(kinds)
    shown = " ".join(" ".join(b["lines"]) for b in balloons)  # type: ignore[arg-type]
    assert "Some lights are not" in shown and "Tom's kitchen" in shown


def test_title_page(rendered: tuple[RenderedEpisode, list[Page]]) -> None:
    result, _ = rendered
    root = parse(result.title_svg.read_bytes())
    text = " ".join(t.text or "" for t in root.iter(f"{NS}text"))
    for expected in (
        "Lighthouse",
        "Episode 1",
        "A Light Past the Rocks",
        "Mara and Pip",
        "Old Tom",
        "Pip",
    ):
        assert expected in text


def test_png_pixels(rendered: tuple[RenderedEpisode, list[Page]]) -> None:
    result, pages = rendered
    for png, svg, page in zip(result.pages_png, result.pages_svg, pages, strict=True):
        image = Image.open(png).convert("RGB")
        assert image.size == (page.spec.width, page.spec.height)
        assert len(image.getcolors(1 << 20) or []) > 50  # not blank: figures, backdrops, lettering
        for placed in page.panels:  # the middle of each border's left edge is ink
            r = placed.rect
            assert sum(image.getpixel((round(r.x), round(r.y + r.height / 2)))) < 150
        root = parse(svg.read_bytes())
        for b in (g for g in root.iter(f"{NS}g") if "balloon" in classes(g)):
            if classes(b)[1] in ("caption", "location"):
                continue
            body = rect_of(next(r for r in b.iter(f"{NS}rect") if "body" in classes(r)))
            inside = (round(body.x + 6), round(body.y + body.height / 2))  # padding, no text
            assert image.getpixel(inside) == (255, 255, 255), (classes(b), inside)
    assert Image.open(result.title_png).size == (1000, 1500)


def test_pdf_has_the_title_and_every_page(rendered: tuple[RenderedEpisode, list[Page]]) -> None:
    result, pages = rendered
    data = result.pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data)) == len(pages) + 1
    assert re.search(rb"/Count\s+%d\b" % (len(pages) + 1), data)
    assert b"DejaVuSans" in data  # vector text with the font embedded, not a bitmap


def test_rendering_twice_gives_the_same_bytes(tmp_path: Path) -> None:
    script, bible = episode_script(), make_bible()
    pages = layout(script)
    a = render_episode(script, pages, make_sheets(), bible, tmp_path / "a", series_title="S")
    b = render_episode(script, pages, make_sheets(), bible, tmp_path / "b", series_title="S")
    for x, y in zip(
        [a.title_svg, *a.pages_svg, a.title_png, *a.pages_png, a.pdf],
        [b.title_svg, *b.pages_svg, b.title_png, *b.pages_png, b.pdf],
        strict=True,
    ):
        assert x.read_bytes() == y.read_bytes(), x.name
    again = render_episode(script, pages, make_sheets(), bible, tmp_path / "a", series_title="S")
    assert again.pages_svg[0].read_bytes() == a.pages_svg[0].read_bytes()


def test_odd_inputs_are_drawn_and_reported(tmp_path: Path) -> None:
    script = episode_script()
    pages = layout(script)[:1]  # page 2's panels are missing from the layout
    sheets = make_sheets()
    del sheets["pip"]
    result = render_episode(script, pages, sheets, make_bible(), tmp_path, series_title="S")
    assert any("'pip' has no character sheet" in f for f in result.findings)
    assert any("panel 4 is in the script but on no page" in f for f in result.findings)
    assert len(result.pages_svg) == 1


def test_character_sheet(tmp_path: Path) -> None:
    bible, sheets = make_bible(), make_sheets()
    tom = sheets["tom"]
    svg, png = render_sheet(tom, bible.characters[1], tmp_path)
    assert (svg.name, png.name) == ("sheet-tom.svg", "sheet-tom.png")
    root = parse(svg.read_bytes())
    swatches = [r.get("fill") for r in root.iter(f"{NS}rect") if "swatch" in classes(r)]
    assert swatches == [tom.palette.skin, tom.palette.hair, tom.palette.outfit, tom.palette.accent]
    text = [t.text or "" for t in root.iter(f"{NS}text")]
    for expected in (
        "Old Tom",
        "skin",
        "#d9a27a",
        "accent",
        "#b23a48",
        "neutral",
        "surprised",
        "gruff, kind",
        "stout old man, white beard, round glasses",
    ):
        assert any(expected in t for t in text), expected
    width, height = fnum(root, "width"), fnum(root, "height")
    image = Image.open(png)
    assert image.size == (width, height)
    assert svg.read_bytes() == to_bytes(sheet_svg(tom, bible.characters[1]))
