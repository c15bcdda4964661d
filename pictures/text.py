"""Text for pictures: clean untrusted model text, measure it, wrap it, fit it in a box.

Widths come from the real font that cairosvg draws with (DejaVu Sans, through fontconfig):
its advances are read with Pillow from the TTF file. cairosvg draws letter by letter with
each letter's own advance (no kerning); on PNG surfaces cairo rounds each advance to a whole
device pixel (hinted metrics), which is at most half a unit per letter at scale 1 or more,
so a line's measured width is its advances plus half a unit per character: an upper bound
for PNG and PDF alike. (``text-rendering="geometricPrecision"`` would switch hinting off,
but cairosvg 2.x then draws broken glyphs.) Without the TTF a deliberately generous
estimate stands in: text may look loose but never overflows.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

from atelier.pictures.bidi import has_rtl, shape_arabic

FAMILY = "DejaVu Sans"  # cairosvg uses only the first family of a list
FONT_FAMILY = f"{FAMILY}, Verdana, sans-serif"  # browsers fall back sensibly
LINE_HEIGHT = 1.2  # line pitch, in font sizes
ASCENT = 0.93  # DejaVu Sans: above the baseline / below it, in font sizes
DESCENT = 0.24
ELLIPSIS = "…"

_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu (fonts-dejavu-core)
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
)
_REFERENCE_SIZE = 1000  # advances are read at this size and scaled: no rounding to pixels


# -- cleaning ---------------------------------------------------------------------------------
def clean(text: str) -> str:
    """Model text made safe to draw: whitespace runs become one space, and characters XML 1.0
    cannot hold (control characters, lone surrogates, non-characters) are dropped, so the
    serialised SVG always parses. Escaping of <, & and quotes is the serialiser's job."""
    out: list[str] = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co") or ch in "\ufffe\uffff":
            continue
        out.append(ch)
    return " ".join("".join(out).split())


# -- measuring --------------------------------------------------------------------------------
def _find_font_file(name: str) -> Path | None:
    for folder in _FONT_DIRS:
        path = Path(folder) / name
        if path.is_file():
            return path
    fc_match = shutil.which("fc-match")  # elsewhere, ask fontconfig where the family lives
    if fc_match:
        style = "Bold" if "Bold" in name else "Book"
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{file}", f"{FAMILY}:style={style}"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        if found.endswith(name):
            return Path(found)
    return None


@cache
def _font(bold: bool) -> ImageFont.FreeTypeFont | None:
    path = _find_font_file(_FILES[bold])
    if path is None:
        return None
    try:
        return ImageFont.truetype(str(path), _REFERENCE_SIZE, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        return None


def font_available() -> bool:
    """True when widths come from the real font file, not the estimate."""
    return _font(False) is not None


def _wide(ch: str) -> bool:
    # Emoji and CJK: browsers draw them from another font, about 1 em wide or more.
    return ord(ch) >= 0x1F000 or unicodedata.east_asian_width(ch) in ("W", "F")


def _estimate(ch: str, bold: bool) -> float:
    """A generous advance in ems when the font file is missing: above DejaVu Sans's (a wide
    face) for every ASCII character, and a full 1.1 em for anything else."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    if _wide(ch):
        return 1.25
    if not ch.isascii():
        base = 1.1
    elif ch in " .,:;'!|il":
        base = 0.5
    elif ch.isupper() or ch in "mwMW@%&#^+<=>~_":
        base = 1.05
    else:
        base = 0.8
    return base * (1.1 if bold else 1.0)


@cache
def advance(ch: str, bold: bool = False) -> float:
    """One character's advance in ems (cached: pages repeat the same few letters)."""
    font = _font(bold)
    if font is None:
        return _estimate(ch, bold)
    width = font.getlength(ch) / _REFERENCE_SIZE
    return max(width, 1.0) if _wide(ch) else width


HINTING_SLACK = 0.5  # units per character: cairo's rounding of each advance on PNG pages


def _width(text: str, size: float, bold: bool) -> float:
    return size * math.fsum(advance(ch, bold) for ch in text) + HINTING_SLACK * len(text)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The drawn width of ``text`` on one line, an upper bound for PNG and PDF output (where
    Arabic is drawn in its joined forms, see ``bidi``)."""
    width = _width(text, size, bold)
    if has_rtl(text):
        width = max(width, _width(shape_arabic(text), size, bold))
    return width


# -- wrapping ---------------------------------------------------------------------------------
def _clusters(word: str) -> list[str]:
    """Split a word into pieces that must stay together: a letter with its combining marks,
    an emoji sequence joined by ZWJ or variation selectors."""
    out: list[str] = []
    for ch in word:
        joins = out and (
            unicodedata.combining(ch)
            or unicodedata.category(ch) in ("Mn", "Me")
            or ch in "\u200d\ufe0e\ufe0f"
            or out[-1].endswith("\u200d")
            or 0x1F3FB <= ord(ch) <= 0x1F3FF  # skin-tone modifiers
        )
        if joins:
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _break_word(word: str, size: float, width: float, bold: bool) -> list[str]:
    """A word too long for a line, cut into line-sized pieces; letter-to-letter cuts get a
    hyphen, other cuts (URLs, emoji runs) none."""
    pieces: list[str] = []
    current = ""
    for cluster in _clusters(word):
        # Room for a hyphen is always kept, so a piece fits whether or not it gets one.
        if current and text_width(current + cluster + "-", size, bold) > width:
            hyphen = "-" if current[-1].isalpha() and cluster[0].isalpha() else ""
            pieces.append(current + hyphen)
            current = cluster
        else:
            current += cluster
    if current:
        pieces.append(current)
    # A single cluster wider than the line (an enormous emoji at a tiny width) stays whole:
    # callers check widths and truncate.
    return pieces


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width``; words longer than a line are broken."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if text_width(trial, size, bold) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
            current = ""
        if text_width(word, size, bold) <= width:
            current = word
        else:
            *full, current = _break_word(word, size, width, bold)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def shorten(line: str, size: float, width: float, bold: bool = False) -> str:
    """``line`` cut so that it ends in an ellipsis within ``width``: at a word boundary if
    a whole word fits, else within the word."""
    words = line.split(" ")
    while len(words) > 1:
        candidate = " ".join(words).rstrip(" ,;:-") + ELLIPSIS
        if text_width(candidate, size, bold) <= width:
            return candidate
        words.pop()
    clusters = _clusters(line.rstrip())
    while clusters:
        candidate = "".join(clusters).rstrip(" ,;:-") + ELLIPSIS
        if text_width(candidate, size, bold) <= width:
            return candidate
        clusters.pop()
    return ELLIPSIS if text_width(ELLIPSIS, size, bold) <= width else ""


# -- fitting ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """Lines of text set at one size; ``width`` is the widest line, ``height`` the pitch
    times the number of lines (each line's glyphs stay within its pitch)."""

    lines: tuple[str, ...]
    size: float
    bold: bool
    truncated: bool = False

    @property
    def line_height(self) -> float:
        return self.size * LINE_HEIGHT

    @property
    def width(self) -> float:
        return max((text_width(line, self.size, self.bold) for line in self.lines), default=0.0)

    @property
    def height(self) -> float:
        return self.line_height * len(self.lines)

    def baselines(self, top: float) -> list[float]:
        """Baseline y of each line for a block whose top is at ``top``: the glyphs of a line
        (ascent + descent = 1.17 sizes) sit centred in its 1.2-size pitch."""
        first = top + (self.line_height - (ASCENT + DESCENT) * self.size) / 2 + ASCENT * self.size
        return [first + i * self.line_height for i in range(len(self.lines))]


def sizes(largest: float, smallest: float) -> list[float]:
    """Font sizes to try, largest first, one unit apart."""
    count = max(int(largest - smallest), 0)
    return [largest - i for i in range(count + 1)]


def _candidate_widths(
    text: str, size: float, max_width: float, aspect: float | None, bold: bool
) -> Iterable[float]:
    """Wrap widths to try: around ``aspect`` (width / height) first, for pleasant shapes."""
    if aspect is None:
        yield max_width
        return
    total = text_width(text, size, bold)
    ideal = math.sqrt(total * size * LINE_HEIGHT * aspect)
    width = min(max(ideal, 6 * size), max_width)
    while width < max_width:
        yield width
        width *= 1.15
    yield max_width


def fit(
    text: str,
    max_width: float,
    max_height: float,
    font_sizes: Sequence[float],
    *,
    bold: bool = False,
    aspect: float | None = None,
) -> Block:
    """The largest size in ``font_sizes`` at which ``text`` wraps within the box; else the
    smallest size, cut to the lines that fit, the last ending in an ellipsis
    (``truncated``). An empty result means not even one line fits."""
    text = clean(text)
    for size in font_sizes:
        if size * LINE_HEIGHT > max_height:
            continue
        for width in _candidate_widths(text, size, max_width, aspect, bold):
            lines = wrap(text, size, width, bold)
            block = Block(tuple(lines), size, bold)
            if block.height <= max_height and block.width <= max_width:
                return block
    size = font_sizes[-1]
    room = int(max_height // (size * LINE_HEIGHT) + 1e-9)
    lines = wrap(text, size, max_width, bold)
    kept: list[str] = []
    for line in lines[:room]:
        if text_width(line, size, bold) > max_width:  # one cluster wider than the box
            break
        kept.append(line)
    if len(kept) < len(lines) and room:
        last = kept.pop() if kept else lines[0]
        kept.append(shorten(last, size, max_width, bold))
    return Block(tuple(line for line in kept if line), size, bold, truncated=True)
