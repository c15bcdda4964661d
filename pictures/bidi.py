"""Right-to-left text for the raster path: cairosvg draws text with cairo's "toy" API, which
neither reorders right-to-left runs nor joins Arabic letters, so Hebrew and Arabic would
come out backwards and unjoined in PNG and PDF. Before rasterising, each line that holds
right-to-left letters is put into visual order and Arabic letters are given their joined
(presentation) forms.

The SVG keeps the text in logical order: browsers run the full bidi algorithm themselves.
This is a compact approximation of the Unicode bidi algorithm (strong types, numbers,
neutrals between strong letters, rule L2 reordering, mirrored brackets; no explicit
embeddings) and of Arabic shaping (forms and lam-alef ligatures read from Unicode's own
decompositions of the presentation-form characters), good for lines of dialogue.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MIRROR = dict(zip("()[]{}<>«»\u2039\u203a", ")(][}{><»«\u203a\u2039", strict=True))
_FORMS = ("isolated", "final", "initial", "medial")
_ALEFS = "\u0622\u0623\u0625\u0627"  # lam + one of these is a mandatory ligature


def has_rtl(text: str) -> bool:
    return _RTL.search(text) is not None


@cache
def _tables() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    """Presentation forms per Arabic letter, and per two-letter ligature (lam-alef)."""
    forms: dict[str, dict[str, str]] = {}
    ligatures: dict[tuple[str, str], dict[str, str]] = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFD)):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) < 2 or parts[0].strip("<>") not in _FORMS:
            continue
        form, letters = parts[0].strip("<>"), [chr(int(p, 16)) for p in parts[1:]]
        if len(letters) == 1:
            forms.setdefault(letters[0], {}).setdefault(form, chr(code))
        elif len(letters) == 2 and letters[0] == "\u0644" and letters[1] in _ALEFS:
            ligatures.setdefault((letters[0], letters[1]), {}).setdefault(form, chr(code))
    return forms, ligatures


def _transparent(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me", "Cf")


def shape_arabic(text: str) -> str:
    """Arabic letters replaced by their contextual forms (isolated, final, initial, medial)."""
    forms, ligatures = _tables()
    if not any(ch in forms for ch in text):
        return text
    chars = list(text)
    out: list[str] = []

    def neighbour(i: int, step: int) -> str | None:
        j = i + step
        while 0 <= j < len(chars) and _transparent(chars[j]):
            j += step
        return chars[j] if 0 <= j < len(chars) else None

    def joins_next(ch: str | None) -> bool:  # dual-joining letters (and tatweel)
        return ch == "\u0640" or (ch in forms and ("initial" in forms[ch] or "medial" in forms[ch]))

    def joins_prev(ch: str | None) -> bool:
        return ch == "\u0640" or (ch in forms and "final" in forms[ch])

    i = 0
    while i < len(chars):
        ch = chars[i]
        after = neighbour(i, 1)
        before = neighbour(i, -1)
        linked_before = joins_next(before) and joins_prev(ch)
        pair = ligatures.get((ch, chars[i + 1])) if i + 1 < len(chars) else None
        if pair:  # lam-alef: one glyph, joined only to what precedes it
            out.append(pair.get("final" if linked_before else "isolated", ch + chars[i + 1]))
            i += 2
            continue
        if ch not in forms:
            out.append(ch)
            i += 1
            continue
        linked_after = joins_next(ch) and joins_prev(after)
        form = {
            (True, True): "medial",
            (True, False): "final",
            (False, True): "initial",
            (False, False): "isolated",
        }[(linked_before, linked_after)]
        options = forms[ch]
        out.append(options.get(form) or options.get("final" if linked_before else "isolated") or ch)
        i += 1
    return "".join(out)


def _strong(ch: str) -> str:
    kind = unicodedata.bidirectional(ch)
    if kind in ("R", "AL"):
        return "R"
    if kind == "L":
        return "L"
    if kind in ("EN", "AN"):
        return "N"
    if kind == "NSM":
        return "M"
    return "O"


def visual(line: str) -> str:
    """``line`` (logical order) in the order it is drawn left to right, Arabic shaped."""
    if not has_rtl(line):
        return line
    text = shape_arabic(line)
    types = [_strong(ch) for ch in text]
    for i, t in enumerate(types):  # marks take their letter's type
        if t == "M":
            types[i] = types[i - 1] if i else "O"
    base = 1 if next((t for t in types if t in "LR"), "L") == "R" else 0
    resolved = list(types)
    for i, t in enumerate(types):  # numbers act as R for neutrals (rule N1)
        if t == "O":
            left = next((types[j] for j in range(i - 1, -1, -1) if types[j] != "O"), None)
            right = next((types[j] for j in range(i + 1, len(types)) if types[j] != "O"), None)
            left = "R" if left == "N" else left
            right = "R" if right == "N" else right
            resolved[i] = left if left == right and left else ("R" if base else "L")
    levels = []
    last_strong = "R" if base else "L"
    for t in resolved:
        if t == "L":
            levels.append(2 if base else 0)
            last_strong = "L"
        elif t == "R":
            levels.append(1)
            last_strong = "R"
        else:  # a number: left to right, inside a right-to-left run if it follows one
            levels.append(2 if base or last_strong == "R" else 0)
    # a letter and its marks move as one, so marks stay after their letter
    clusters: list[str] = []
    cluster_levels: list[int] = []
    for ch, t, level in zip(text, types, levels, strict=True):
        if clusters and _transparent(ch) and t != "O":
            clusters[-1] += ch
            continue
        clusters.append(_MIRROR.get(ch, ch) if level % 2 else ch)
        cluster_levels.append(level)
    for level in range(max(cluster_levels), 0, -1):  # rule L2: reverse runs at each level
        i = 0
        while i < len(clusters):
            if cluster_levels[i] < level:
                i += 1
                continue
            j = i
            while j < len(clusters) and cluster_levels[j] >= level:
                j += 1
            clusters[i:j] = clusters[i:j][::-1]
            cluster_levels[i:j] = cluster_levels[i:j][::-1]
            i = j
    return "".join(clusters)
