"""Measuring, wrapping and fitting lettering (atelier.pictures.text)."""

from __future__ import annotations

import string
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from atelier.pictures import bidi
from atelier.pictures import text as T
from atelier.pictures.output import for_cairo


def _letters(lines: tuple[str, ...] | list[str]) -> str:
    """Text with the spaces and break hyphens that wrapping adds or removes taken out."""
    return "".join(lines).replace(" ", "").replace("-", "")


def test_the_real_font_is_measured() -> None:
    # DejaVu Sans (fonts-dejavu-core); without it the estimate stands in (tested below)
    assert T.font_available(), "DejaVu Sans is missing: install fonts-dejavu-core"
    assert T.advance("M") == pytest.approx(0.863, abs=0.01)
    assert T.advance("i") < T.advance("m")
    assert T.advance("W", bold=True) > T.advance("W")
    assert T.advance("中") >= 1.0 and T.advance("😀") >= 1.0  # other fonts draw these wider


def test_width_is_an_upper_bound_of_cairos_rounded_advances() -> None:
    import cairocffi

    ctx = cairocffi.Context(cairocffi.ImageSurface(cairocffi.FORMAT_ARGB32, 4, 4))
    ctx.select_font_face(T.FAMILY)
    line = "Pip! Do you see that light out past the rocks? WWW iii"
    for size in (14, 17, 22):
        ctx.set_font_size(size)
        drawn = sum(ctx.text_extents(ch)[4] for ch in line)  # as cairosvg draws: per letter
        assert drawn <= T.text_width(line, size) <= drawn + len(line)


def test_the_fallback_estimate_is_generous(monkeypatch: pytest.MonkeyPatch) -> None:
    real = {(ch, bold): T.advance(ch, bold) for ch in string.printable for bold in (False, True)}
    T.advance.cache_clear()
    monkeypatch.setattr(T, "_font", lambda bold: None)
    try:
        assert not T.font_available()
        for (ch, bold), width in real.items():
            if not ch.isspace() or ch == " ":
                assert T.advance(ch, bold) >= width, ch
    finally:
        T.advance.cache_clear()


def test_clean_drops_what_xml_cannot_hold() -> None:
    assert T.clean("a\x00b\x07c\x1b[31m\ud800 d\t\ne\ufffe") == "abc[31m d e"
    assert T.clean("  many   spaces\n") == "many spaces"
    assert T.clean("שלום 👩‍👩‍👧") == "שלום 👩‍👩‍👧"  # ZWJ sequences stay


def test_wrap_breaks_long_words_with_hyphens_between_letters() -> None:
    word = "Supercalifragilisticexpialidocious" * 3
    lines = T.wrap(f"oh {word} indeed", 20, 200)
    assert all(T.text_width(line, 20) <= 200 for line in lines)
    assert _letters(lines) == _letters([f"oh {word} indeed"])
    assert any(line.endswith("-") for line in lines)
    url = "https://example.org/" + "x/" * 40
    assert all(T.text_width(line, 20) <= 200 for line in T.wrap(url, 20, 200))


def test_wrap_keeps_emoji_sequences_and_marks_together() -> None:
    family = "👩‍👩‍👧"
    lines = T.wrap(family * 12, 20, 70)
    assert all(line.count("\u200d") == 2 * line.count("👧") for line in lines)
    accented = "e\u0301" * 40  # e + combining acute: never split from its letter
    assert not any(line.startswith("\u0301") for line in T.wrap(accented, 20, 100))


def test_fit_shrinks_before_it_cuts() -> None:
    text = "Some lights are not meant to be followed, said the keeper."
    roomy = T.fit(text, 400, 200, T.sizes(22, 14))
    assert (roomy.size, roomy.truncated) == (22, False)
    tight = T.fit(text, 200, 80, T.sizes(22, 14))
    assert tight.size < 22 and not tight.truncated
    cut = T.fit(text * 5, 200, 80, T.sizes(22, 14))
    assert cut.truncated and cut.size == 14 and cut.lines[-1].endswith(T.ELLIPSIS)
    assert cut.height <= 80 and cut.width <= 200
    assert T.fit(text, 200, 5, T.sizes(22, 14)).lines == ()  # not even one line fits


def test_baselines_keep_glyphs_within_the_block() -> None:
    block = T.Block(("one", "two", "three"), 20, False)
    baselines = block.baselines(100)
    assert baselines[0] - T.ASCENT * 20 >= 100
    assert baselines[-1] + T.DESCENT * 20 <= 100 + block.height


_texts = st.text(
    alphabet=st.sampled_from(
        [*"abcdefghij KLMNOP.,!? -", "é", "ש", "\u0627", "😀", "中", "\u200d", "\x07", "\n"]
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(text=_texts, width=st.floats(20, 600), height=st.floats(0, 300))
def test_fit_never_overflows(text: str, width: float, height: float) -> None:
    block = T.fit(text, width, height, T.sizes(22, 14))
    assert block.width <= width + 1e-6
    assert block.height <= height + 1e-6
    if not block.truncated:
        assert _letters(block.lines) == _letters([T.clean(text)])


# -- right-to-left lines for cairo (atelier.pictures.bidi) ------------------------------------
def test_visual_order_of_right_to_left_lines() -> None:
    assert bidi.visual("plain English") == "plain English"
    assert bidi.visual("שלום עולם") == "םלוע םולש"
    assert bidi.visual("He said שלום עולם today") == "He said םלוע םולש today"
    assert bidi.visual("שלום 123") == "123 םולש"  # numbers stay left to right
    assert bidi.visual("שלום (עולם)") == "(םלוע) םולש"  # brackets mirrored
    # shin with a qamats point, lamed, vav, final mem: the point stays after its letter
    assert bidi.visual("\u05e9\u05b8\u05dc\u05d5\u05dd") == "\u05dd\u05d5\u05dc\u05e9\u05b8"


def test_arabic_is_joined_and_reordered() -> None:
    assert bidi.shape_arabic("لا") == "\ufefb"  # lam-alef ligature
    # meem initial, reh final, hah initial, beh medial, alef final
    assert bidi.shape_arabic("مرحبا") == "\ufee3\ufeae\ufea3\ufe92\ufe8e"
    assert bidi.visual("مرحبا") == "\ufe8e\ufe92\ufea3\ufeae\ufee3"
    assert bidi.shape_arabic("ب") == "\ufe8f"  # alone: isolated


def test_for_cairo_changes_only_right_to_left_text() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="2">שלום &amp; hi</text>'
        "<text>plain</text></svg>"
    ).encode()
    drawn = ET.fromstring(for_cairo(svg))
    assert [t.text for t in drawn] == ["hi & םולש", "plain"]
    plain = b'<svg xmlns="http://www.w3.org/2000/svg"><text>plain</text></svg>'
    assert for_cairo(plain) is plain


def test_arabic_is_measured_as_drawn() -> None:
    text = "مرحبا بالعالم"
    shaped = bidi.shape_arabic(text)
    assert T.text_width(text, 20) >= T.text_width(shaped, 20) - 1e-9
