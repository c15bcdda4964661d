"""The words atelier.pictures draws: untrusted text escaped on pages and sheets, every panel
count the layout allows lettered inside its balloons, cramped text and missing fonts, and words
that do not fit a panel carried over to the next panel of the scene, else cut and reported."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from PIL import Image

from atelier.agents.layout_solver import PanelRequest, solve_layout
from atelier.agents.scriptwriter import DialogueLine, EpisodeScript, Scene
from atelier.kernel.geometry import Page, PageSpec
from atelier.pictures import render_episode, render_sheet
from atelier.pictures import text as T
from atelier.pictures.episode import figure_styles
from atelier.pictures.page import page_svg, scene_index
from atelier.pictures.svg import to_bytes

from pictures_helpers import (
    NS,
    check_page,
    episode_script,
    fnum,
    layout,
    line,
    line_box,
    make_bible,
    make_sheets,
    panel,
    parse,
)

ALLOWED_TAGS = {"svg", "title", "g", "rect", "circle", "ellipse", "path", "text", "clipPath"}
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
