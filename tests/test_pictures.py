"""Rendered comic pages, title pages and character sheets (atelier.pictures): the SVG's
structure (everything inside what holds it), escaping of untrusted text, PNG pixels, the
PDF's pages, determinism, and every panel count the layout allows."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from atelier.agents.designer import CharacterSheet, Palette
from atelier.agents.layout_solver import Page, PageSpec, PanelRequest, Rect, solve_layout
from atelier.agents.scriptwriter import (
    BibleCharacter,
    DialogueLine,
    EpisodeScript,
    PanelScript,
    Scene,
    SeriesBible,
)
from atelier.pictures import RenderedEpisode, render_episode, render_sheet
from atelier.pictures import text as T
from atelier.pictures.balloons import MARGIN
from atelier.pictures.episode import figure_styles
from atelier.pictures.page import page_svg, scene_index
from atelier.pictures.sheet import sheet_svg
from atelier.pictures.svg import to_bytes

NS = "{http://www.w3.org/2000/svg}"
ALLOWED_TAGS = {"svg", "title", "g", "rect", "circle", "ellipse", "path", "text", "clipPath"}
EPS = 0.011  # the SVG holds numbers to two decimals


# -- inputs, built by hand --------------------------------------------------------------------
def make_bible(**changes: object) -> SeriesBible:
    fields: dict[str, object] = dict(
        title="The Lighthouse Keepers",
        logline="Two siblings keep the last lighthouse on a haunted coast.",
        tone="mystery",
        world="A windswept coast where the sea keeps secrets.",
        arc="They learn what the light at sea is.",
        characters=[
            BibleCharacter(
                id="mara",
                name="Mara",
                role="protagonist",
                look="a tall girl with long red hair and a raincoat",
                personality="brave, curious",
            ),
            BibleCharacter(
                id="tom",
                name="Old Tom",
                role="mentor",
                look="a stout old man with a white beard and glasses",
                personality="gruff, kind",
            ),
            BibleCharacter(
                id="pip",
                name="Pip",
                role="sidekick",
                look="a small boy with spiky black hair",
                personality="cheeky",
            ),
        ],
    )
    fields.update(changes)
    return SeriesBible.model_validate(fields)


def make_sheets() -> dict[str, CharacterSheet]:
    def sheet(
        cid: str, name: str, skin: str, hair: str, outfit: str, accent: str, appearance: str
    ) -> CharacterSheet:
        return CharacterSheet(
            character_id=cid,
            name=name,
            appearance=appearance,
            silhouette="recognisable",
            costume="everyday clothes",
            palette=Palette(skin=skin, hair=hair, outfit=outfit, accent=accent),
            expressions=["neutral", "happy", "surprised"],
        )

    return {
        "mara": sheet(
            "mara",
            "Mara",
            "#f2c9a0",
            "#b8412c",
            "#f2c12e",
            "#2e7d4f",
            "tall girl, long red hair in a ponytail",
        ),
        "tom": sheet(
            "tom",
            "Old Tom",
            "#d9a27a",
            "#eeeeee",
            "#23395b",
            "#b23a48",
            "stout old man, white beard, round glasses",
        ),
        "pip": sheet(
            "pip", "Pip", "#8d5524", "#1a1a1a", "#3f88c5", "#f49d37", "small boy, spiky black hair"
        ),
    }


def line(speaker: str, text: str, style: str = "speech") -> DialogueLine:
    return DialogueLine.model_validate({"speaker": speaker, "text": text, "style": style})


def panel(
    number: int,
    shot: str,
    characters: list[str],
    dialogue: list[DialogueLine],
    caption: str = "",
    mood: str = "neutral",
) -> PanelScript:
    return PanelScript.model_validate(
        dict(
            number=number,
            shot=shot,
            action="They look out to sea.",
            characters=characters,
            mood=mood,
            dialogue=dialogue,
            caption=caption,
        )
    )


def episode_script(
    title: str = "A Light Past the Rocks",
    summary: str | None = None,
    setting: str = "The lighthouse gallery at dusk",
    caption: str = "The night the sea began to glow.",
    words: str = "Pip! Do you see that light out past the rocks?",
) -> EpisodeScript:
    first = Scene(
        setting=setting,
        beat="Mara spots a light.",
        panels=(
            panel(
                1,
                "wide",
                ["mara", "pip"],
                [line("mara", words), line("pip", "It's just a boat. Probably.")],
                caption=caption,
            ),
            panel(
                2,
                "close",
                ["mara"],
                [line("mara", "That's no boat...", "thought")],
                mood="surprised",
            ),
            panel(
                3,
                "medium",
                ["mara", "pip"],
                [
                    line("pip", "MARA, IT'S COMING CLOSER!", "shout"),
                    line("mara", "Quiet. Get Tom.", "whisper"),
                ],
                mood="scared",
            ),
        ),
    )
    second = Scene(
        setting="Tom's kitchen, warm and cluttered",
        beat="Tom remembers.",
        panels=(
            panel(4, "medium", ["tom", "mara", "pip"], [line("tom", "Sit down, both of you.")]),
            panel(
                5,
                "close",
                ["tom"],
                [line("tom", "Some lights are not meant to be followed.")],
                mood="sad",
            ),
            panel(
                6,
                "wide",
                ["tom", "mara", "pip"],
                [
                    line("mara", "Then we follow it anyway."),
                    line("pip", "We?!"),
                    line("tom", "Hmph. I'll get my coat."),
                ],
                mood="determined",
            ),
        ),
    )
    return EpisodeScript(
        number=1,
        title=title,
        scenes=(first, second),
        summary=summary or "Mara and Pip see a glow at sea; Old Tom knows it.",
    )


def layout(script: EpisodeScript, seed: int | None = None) -> list[Page]:
    rng = random.Random(seed)
    requests = []
    for p in script.panels:
        emphasis = (
            rng.choice(["small", "normal", "normal", "large"])
            if seed is not None
            else ("large" if p.shot == "wide" else "normal")
        )
        requests.append(
            PanelRequest(
                str(p.number), emphasis, p.shot, break_before=seed is None and p.number == 4
            )
        )
    return solve_layout(requests)


# -- reading the SVG back ---------------------------------------------------------------------
def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # raises on anything that is not well-formed XML


def fnum(node: ET.Element, name: str) -> float:
    return float(node.get(name, "0"))


def rect_of(node: ET.Element) -> Rect:
    return Rect(fnum(node, "x"), fnum(node, "y"), fnum(node, "width"), fnum(node, "height"))


def classes(node: ET.Element) -> list[str]:
    return node.get("class", "").split()


def points(group: ET.Element) -> list[tuple[float, float]]:
    """The extreme points of every shape in ``group`` (paths: their absolute coordinates)."""
    out: list[tuple[float, float]] = []
    for node in group.iter():
        tag = node.tag.removeprefix(NS)
        if tag == "rect":
            r = rect_of(node)
            out += [(r.x, r.y), (r.right, r.bottom)]
        elif tag == "circle":
            cx, cy, r = fnum(node, "cx"), fnum(node, "cy"), fnum(node, "r")
            out += [(cx - r, cy - r), (cx + r, cy + r)]
        elif tag == "path":
            d = node.get("d", "")
            assert re.fullmatch(r"[MLQZ0-9.\s-]+", d), f"unexpected path commands: {d}"
            numbers = [float(n) for n in re.findall(r"-?[0-9.]+", d)]
            out += list(zip(numbers[::2], numbers[1::2], strict=True))
    return out


def line_box(node: ET.Element) -> Rect:
    """A drawn line of text's extent, by the renderer's own measure."""
    size = fnum(node, "font-size")
    width = T.text_width(node.text or "", size, node.get("font-weight") == "bold")
    x = fnum(node, "x")
    left = x - width / 2 if node.get("text-anchor") == "middle" else x
    top = fnum(node, "y") - T.ASCENT * size
    return Rect(left, top, width, (T.ASCENT + T.DESCENT) * size)


def inside_rounded(r: Rect, body: Rect, radius: float) -> bool:
    if not r.inside(body, tol=EPS):
        return False
    for px, py in ((r.x, r.y), (r.right, r.y), (r.x, r.bottom), (r.right, r.bottom)):
        cx = min(max(px, body.x + radius), body.right - radius)
        cy = min(max(py, body.y + radius), body.bottom - radius)
        if (px - cx) ** 2 + (py - cy) ** 2 > radius**2 + EPS:
            return False
    return True


def check_page(root: ET.Element, page: Page) -> list[dict[str, object]]:
    """Assert the page's structure; return its balloons as dicts for further checks."""
    spec = page.spec
    assert (fnum(root, "width"), fnum(root, "height")) == (spec.width, spec.height)
    panels = [g for g in root.iter(f"{NS}g") if "panel" in classes(g)]
    assert len(panels) == len(page.panels)
    found = []
    for g, placed in zip(panels, page.panels, strict=True):
        border = next(r for r in g.iter(f"{NS}rect") if "border" in classes(r))
        frame = rect_of(border)
        assert all(
            abs(a - b) <= EPS
            for a, b in zip(
                (frame.x, frame.y, frame.width, frame.height),
                (placed.rect.x, placed.rect.y, placed.rect.width, placed.rect.height),
                strict=True,
            )
        )
        assert frame.inside(page.content_rect, tol=EPS)
        bodies = []
        for b in (x for x in g.iter(f"{NS}g") if "balloon" in classes(x)):
            kind = classes(b)[1]
            for px, py in points(b):
                assert frame.x - EPS <= px <= frame.right + EPS, (kind, px, frame)
                assert frame.y - EPS <= py <= frame.bottom + EPS, (kind, py, frame)
            body_node = next(r for r in b.iter(f"{NS}rect") if "body" in classes(r))
            body = rect_of(body_node)
            radius = fnum(body_node, "rx")
            lines = [t for t in b.iter(f"{NS}text")]
            assert lines, "a balloon without text is not drawn"
            for t in lines:
                assert inside_rounded(line_box(t), body, radius), (kind, t.text, body)
            outer = (
                body
                if kind not in MARGIN
                else Rect(
                    body.x - MARGIN[kind],
                    body.y - MARGIN[kind],
                    body.width + 2 * MARGIN[kind],
                    body.height + 2 * MARGIN[kind],
                )
            )
            bodies.append(outer)
            found.append(
                {
                    "kind": kind,
                    "body": body,
                    "lines": [t.text for t in lines],
                    "panel": placed.panel_id,
                }
            )
        for i, a in enumerate(bodies):  # balloons and captions never cover each other
            for other in bodies[i + 1 :]:
                assert not a.overlaps(other, tol=0.5), (a, other)
    assert any(t.text == str(page.number) for t in root.iter(f"{NS}text"))
    return found


# -- the tests --------------------------------------------------------------------------------
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


NASTY = '<script>alert("x")</script> & "q" \'a\' ]]> <!-- x --> &amp; \x00\x07\x1b[31m'
RTL = "مرحبا بالعالم שלום עולם"
EMOJI = "👩‍👩‍👧 🎉 🏳️‍🌈"


def test_untrusted_text_is_escaped(tmp_path: Path) -> None:
    long_word = "Aaaaargh" * 17  # 136 letters, no space
    script = episode_script(
        title=NASTY[:80],
        summary=f"{NASTY} {RTL} {EMOJI}",
        setting=f"<g onload='x()'>{RTL}</g>",
        caption=f"{EMOJI} {NASTY}"[:160],
        words=long_word,
    )
    bible = make_bible(logline=NASTY)
    sheets = make_sheets()
    result = render_episode(
        script, layout(script), sheets, bible, tmp_path, series_title=f"{NASTY} {RTL}"
    )
    shown = []
    for path in [result.title_svg, *result.pages_svg]:
        data = path.read_bytes()
        root = parse(data)
        for node in root.iter():
            assert node.tag.removeprefix(NS) in ALLOWED_TAGS, node.tag
            assert not any(name.lower().startswith("on") for name in node.attrib), node.attrib
            assert not any("javascript" in v.lower() for v in node.attrib.values())
        assert b"<script" not in data and b"\x00" not in data and b"\x1b" not in data
        shown.append("".join(t.text or "" for t in root.iter(f"{NS}text")))
    everything = "".join(shown).replace(" ", "").replace("-", "")
    for expected in (
        '<script>alert("x")</script>',
        "&amp;",
        "مرحبا",
        "שלום",
        "👩‍👩‍👧",
        "<gonload='x()'>",
        long_word[:40],
    ):
        assert expected.replace(" ", "") in everything, expected
    pages = layout(script)
    for path, page in zip(result.pages_svg, pages, strict=True):
        check_page(parse(path.read_bytes()), page)
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", result.pdf.read_bytes())) == 3


def _long_script(count: int, seed: int) -> EpisodeScript:
    rng = random.Random(seed)
    ids = ["mara", "tom", "pip"]
    words = [
        "the",
        "light",
        "keeps",
        "moving",
        "closer",
        "to",
        "the",
        "rocks",
        "and",
        "nobody",
        "believes",
        "me",
        "Supercalifragilisticexpialidocious",
        "👋",
        "שלום",
    ]
    panels = []
    for n in range(1, count + 1):
        cast = rng.sample(ids, rng.randint(0, 3))
        dialogue = [
            line(
                rng.choice(cast),
                " ".join(rng.choices(words, k=rng.randint(1, 22)))[:140],
                rng.choice(["speech", "speech", "thought", "whisper", "shout"]),
            )
            for _ in range(rng.randint(0, 3) if cast else 0)
        ]
        caption = " ".join(rng.choices(words, k=rng.randint(0, 20)))[:160]
        panels.append(
            panel(
                n,
                rng.choice(["wide", "medium", "close"]),
                cast,
                dialogue,
                caption=caption,
                mood=rng.choice(["happy", "angry", "confused"]),
            )
        )
    scenes = tuple(
        Scene(
            setting=rng.choice(["a forest at night", "the harbour", "zzz"]),
            beat="beat",
            panels=tuple(panels[i : i + 4]),
        )
        for i in range(0, count, 4)
    )
    return EpisodeScript(number=2, title="Range", summary="Every panel count.", scenes=scenes)


@pytest.mark.parametrize("count", range(1, 13))
def test_every_panel_count_fits(count: int) -> None:
    script = _long_script(count, seed=count)
    pages = layout(script, seed=count)
    bible = make_bible()
    styles = figure_styles(make_sheets(), bible)
    index = scene_index(script)
    for page in pages:
        findings: list[str] = []
        root, _ = page_svg(page, index, styles, running_title="Range", findings=findings)
        found = check_page(parse(to_bytes(root)), page)
        by_panel: dict[str, list[dict[str, object]]] = {}
        for b in found:
            if b["kind"] not in ("caption", "location"):
                by_panel.setdefault(str(b["panel"]), []).append(b)
        said = [  # the page's lines in reading order
            T.clean(d.text)
            for placed in sorted(page.panels, key=lambda p: p.order)
            for d in index[placed.panel_id][0].dialogue
            if T.clean(d.text)
        ]
        shown = [
            b["lines"]
            for placed in sorted(page.panels, key=lambda p: p.order)
            for b in by_panel.get(placed.panel_id, [])
        ]
        check_said(said, shown, findings)  # type: ignore[arg-type]


def _flat(text: str) -> str:
    return text.replace(" ", "").replace("-", "")


def check_said(said: list[str], shown: list[list[str]], findings: list[str]) -> None:
    """Every line is shown whole and in order, in one balloon or split across balloons
    (the first part ending in an ellipsis unless a sentence ends there, the next starting
    with one), or else cut and reported; nothing is shown that was not said."""
    reported = [f for f in findings if "cut to fit" in f or "left out" in f]
    i, rest = 0, ""  # the line being shown and what of it is still to come
    for lines in shown:
        text = _flat("".join(lines))
        if text.startswith(T.ELLIPSIS) and rest:  # a continuation
            text = text.removeprefix(T.ELLIPSIS)
        elif rest:  # the line before was cut
            assert reported, (said[i], lines)
            i, rest = i + 1, ""
        piece = text.removesuffix(T.ELLIPSIS)
        if not rest:
            while i < len(said) and not _flat(said[i]).startswith(piece):
                assert reported, (said[i], lines)  # a line left out
                i += 1
            assert i < len(said), lines
            rest = _flat(said[i])
        assert rest.startswith(piece), (rest, lines)
        rest = rest[len(piece) :]
        if not rest:
            i += 1
    if rest or i < len(said):
        assert reported, said[i:]


def test_cramped_text_is_reported(tmp_path: Path) -> None:
    words = "A light, a light, out past the rocks, and it is coming for us all tonight!"
    cast = ["mara", "tom", "pip"]
    panels = [
        panel(
            n,
            "close",
            cast,
            [line(c, (words * 2 if n % 2 else words)[:140]) for c in cast],
            caption=(words * 3)[:160],
        )
        for n in range(1, 7)
    ]
    script = EpisodeScript(
        number=3,
        title="Crowded",
        summary="Too many words.",
        scenes=(
            Scene(setting="the harbour", beat="b", panels=tuple(panels[:4])),
            Scene(setting="the harbour", beat="b", panels=tuple(panels[4:])),
        ),
    )
    small_page = PageSpec(width=500, height=750, margin=25, gutter=12)
    pages = solve_layout([PanelRequest(str(n), "small", "close") for n in range(1, 7)], small_page)
    result = render_episode(
        script, pages, make_sheets(), make_bible(), tmp_path, series_title="Crowded"
    )
    assert any("line was cut to fit" in f for f in result.findings)
    assert any("caption was cut to fit" in f for f in result.findings)
    for path, png, page in zip(result.pages_svg, result.pages_png, pages, strict=True):
        check_page(parse(path.read_bytes()), page)
        assert Image.open(png).size == (500, 750)


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


def test_character_sheet_with_long_and_hostile_text(tmp_path: Path) -> None:
    bible = make_bible()
    mara = bible.characters[0].model_copy(update={"name": NASTY[:40], "look": RTL * 8})
    sheet = make_sheets()["mara"].model_copy(
        update={
            "name": "<b>Mara</b> & co",
            "appearance": ("x" * 299) + "y",
            "costume": EMOJI * 10,
            "silhouette": NASTY,
        }
    )
    svg, _ = render_sheet(sheet, mara, tmp_path)
    root = parse(svg.read_bytes())
    assert all(node.tag.removeprefix(NS) in ALLOWED_TAGS for node in root.iter())
    assert any("<b>Mara</b> & co" in (t.text or "") for t in root.iter(f"{NS}text"))
    width = fnum(root, "width")
    for t in root.iter(f"{NS}text"):
        box = line_box(t)
        assert box.x >= 0 and box.right <= width, t.text


def test_pages_hold_with_the_estimated_widths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the font file (a machine without fonts-dejavu-core) the generous estimate
    lays the text out, and everything still fits."""
    T.advance.cache_clear()
    monkeypatch.setattr(T, "_font", lambda bold: None)
    try:
        script = _long_script(8, seed=99)
        pages = layout(script, seed=99)
        styles = figure_styles(make_sheets(), make_bible())
        for page in pages:
            root, _ = page_svg(page, scene_index(script), styles, running_title="R", findings=[])
            check_page(parse(to_bytes(root)), page)
    finally:
        T.advance.cache_clear()


# -- words that do not fit: carried over to the next panel, else cut --------------------------
WORDY = [
    line(
        "mara",
        "Listen to me, both of you: the light out past the rocks is not a boat and it never "
        "was, whatever the harbour master says",
    ),
    line(
        "tom",
        "Grandmother wrote about it in her logbook fifty years ago, the same green glow on "
        "the same night of the year, and then she vanished",
    ),
    line("mara", "So tonight we row out there and we find out what it wants from us"),
]
SMALL_PAGE = PageSpec(width=500, height=750, margin=25, gutter=12)


def _wordy_episode(second: list[DialogueLine], *, new_scene: bool = False) -> EpisodeScript:
    panels = [
        panel(1, "medium", ["mara", "tom"], WORDY),
        panel(2, "wide", ["mara", "tom"], second, mood="determined"),
        panel(3, "close", ["tom"], [line("tom", "Hmph.")]),
    ]
    cut = 1 if new_scene else 3
    scenes = [Scene(setting="the harbour", beat="b", panels=tuple(panels[:cut]))]
    if new_scene:
        scenes.append(Scene(setting="the boat", beat="b", panels=tuple(panels[cut:])))
    return EpisodeScript(number=4, title="Wordy", summary="s", scenes=tuple(scenes))


def _wordy_pages() -> list[Page]:
    shots = {1: "medium", 2: "wide", 3: "close"}
    requests = [PanelRequest(str(n), "normal", shot) for n, shot in shots.items()]  # type: ignore[arg-type]
    return solve_layout(requests, SMALL_PAGE)


def test_words_that_do_not_fit_continue_in_the_next_panel(tmp_path: Path) -> None:
    script, pages = _wordy_episode([]), _wordy_pages()
    assert len(pages) == 1
    result = render_episode(script, pages, make_sheets(), make_bible(), tmp_path, series_title="S")
    assert not any("cut to fit" in f or "left out" in f for f in result.findings)
    [carried] = [f for f in result.findings if "continue in" in f]
    assert carried.startswith("page 1, panel 1: too many words for the panel; the last ")
    assert carried.endswith("continue in panel 2")

    found = check_page(parse(result.pages_svg[0].read_bytes()), pages[0])  # all inside
    said = [b for b in found if b["kind"] not in ("caption", "location")]
    first = [b["lines"] for b in said if b["panel"] == "1"]
    second = [b["lines"] for b in said if b["panel"] == "2"]
    assert second, "the quiet panel took the rest"
    assert second[0][0].startswith(T.ELLIPSIS)  # a continued balloon, marked as such
    assert first[-1][-1].endswith(T.ELLIPSIS)  # cut mid-sentence, marked too
    # every word shown once, in order, nothing cut
    check_said([T.clean(d.text) for d in WORDY] + ["Hmph."], [b["lines"] for b in said], [])
    again = render_episode(
        script, pages, make_sheets(), make_bible(), tmp_path / "again", series_title="S"
    )
    assert again.pages_svg[0].read_bytes() == result.pages_svg[0].read_bytes()


@pytest.mark.parametrize("why", ["next scene", "next panel is full"])
def test_words_are_cut_when_no_panel_can_take_them(tmp_path: Path, why: str) -> None:
    if why == "next scene":
        script = _wordy_episode([], new_scene=True)
    else:
        script = _wordy_episode([line("tom", WORDY[1].text), WORDY[0]])
    pages = _wordy_pages()
    result = render_episode(script, pages, make_sheets(), make_bible(), tmp_path, series_title="S")
    assert not any("continue in panel 2" in f for f in result.findings)
    assert any(f.startswith("page 1, panel 1: ") and "cut to fit" in f for f in result.findings)
    check_page(parse(result.pages_svg[0].read_bytes()), pages[0])
