"""A thin layer over ElementTree for building SVG: the serialiser escapes every text and
attribute value (model text is untrusted), and numbers are written rounded, so the same
input always gives the same bytes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from atelier.pictures import text as T

SVG_NS = "http://www.w3.org/2000/svg"
INK = "#1b1b1f"  # line work and lettering
PAPER = "#ffffff"

Attr = str | float | int | None
Point = tuple[float, float]


def num(value: float) -> str:
    """A number as SVG text: two decimals at most, no trailing zeros, no '-0'."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: dict[str, Attr]) -> dict[str, str]:
    out = {}
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")  # class_ -> class, stroke_width -> stroke-width
        out[name] = num(value) if isinstance(value, float | int) else str(value)
    return out


def el(parent: ET.Element | None, tag: str, **attrs: Attr) -> ET.Element:
    if parent is None:
        return ET.Element(tag, _attrs(attrs))
    return ET.SubElement(parent, tag, _attrs(attrs))


def svg_root(width: float, height: float, title: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": num(width),
            "height": num(height),
            "viewBox": f"0 0 {num(width)} {num(height)}",
        },
    )
    el(root, "title").text = T.clean(title)
    el(root, "rect", x=0, y=0, width=width, height=height, fill=PAPER)
    return root


def resize(root: ET.Element, width: float, height: float) -> None:
    """Set the size of a tree made by ``svg_root`` (its paper too)."""
    root.set("width", num(width))
    root.set("height", num(height))
    root.set("viewBox", f"0 0 {num(width)} {num(height)}")
    paper = root.find("rect")
    if paper is not None:
        paper.set("width", num(width))
        paper.set("height", num(height))


def to_bytes(root: ET.Element) -> bytes:
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


def path_d(points: Sequence[Point], close: bool = True) -> str:
    head, *rest = points
    d = f"M{num(head[0])} {num(head[1])}" + "".join(f"L{num(x)} {num(y)}" for x, y in rest)
    return d + ("Z" if close else "")


def text_lines(
    parent: ET.Element,
    block: T.Block,
    x: float,
    top: float,
    *,
    anchor: str = "middle",
    fill: str = INK,
    italic: bool = False,
) -> None:
    """One <text> per line of ``block``, its top at ``top``; x is the centre for
    anchor="middle", the left edge for "start". Each line is its own element, so a
    right-to-left line is laid out by the viewer's bidi algorithm on its own."""
    for line, baseline in zip(block.lines, block.baselines(top), strict=True):
        node = el(
            parent,
            "text",
            x=x,
            y=baseline,
            font_family=T.FONT_FAMILY,
            font_size=block.size,
            font_weight="bold" if block.bold else None,
            font_style="italic" if italic else None,
            text_anchor=anchor,
            fill=fill,
        )
        node.text = line
