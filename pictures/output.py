"""PNG and PDF from the SVG pages, through cairosvg (libcairo).

One vector PDF per episode: cairosvg writes one document per SVG, so each page is drawn by
cairosvg's own PDF surface onto a single shared cairo PDF surface (cairocffi, which cairosvg
is built on), one ``show_page`` per SVG. The PDF's dates are pinned so that the same pages
give the same file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import cairocffi
import cairosvg
from cairosvg.parser import Tree
from cairosvg.surface import PDFSurface

from atelier.pictures.bidi import has_rtl, visual
from atelier.pictures.svg import SVG_NS, to_bytes

TRIM_WIDTH_IN = 6.625  # a US comic page's trim width: the PDF page is this wide
FIXED_DATE = "2000-01-01T00:00:00Z"  # no wall clock in the file: reruns give the same bytes


def for_cairo(svg: bytes) -> bytes:
    """The SVG as cairo should draw it: right-to-left lines in visual order with Arabic
    joined (cairo's toy text API does neither; browsers do both from the SVG itself)."""
    if not has_rtl(svg.decode("utf-8")):
        return svg
    root = ET.fromstring(svg)
    for node in root.iter(f"{{{SVG_NS}}}text"):
        if node.text:
            node.text = visual(node.text)
    return to_bytes(root)


def write_png(svg: bytes, path: Path, scale: float = 1.0) -> Path:
    # unsafe=False (the default): no external files or entities are read while rendering
    cairosvg.svg2png(bytestring=for_cairo(svg), write_to=str(path), scale=scale)
    return path


class _SharedPDFPage(PDFSurface):
    """cairosvg's PDF surface drawing onto a PDF surface shared by all pages."""

    shared: cairocffi.PDFSurface

    def _create_surface(self, width: float, height: float):  # type: ignore[no-untyped-def]
        self.shared.set_size(width, height)
        return self.shared, width, height

    def finish(self) -> None:  # end the page, not the document
        self.context.show_page()


def write_pdf(
    pages: Sequence[bytes], path: Path, *, title: str, labels: Sequence[str] | None = None
) -> Path:
    """One PDF with one page per SVG in ``pages``, each ``TRIM_WIDTH_IN`` wide."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    surface = cairocffi.PDFSurface(str(path), 1, 1)
    surface.set_metadata(cairocffi.PDF_METADATA_TITLE, title)
    surface.set_metadata(cairocffi.PDF_METADATA_CREATOR, "Atelier")
    surface.set_metadata(cairocffi.PDF_METADATA_CREATE_DATE, FIXED_DATE)
    surface.set_metadata(cairocffi.PDF_METADATA_MOD_DATE, FIXED_DATE)
    page_class = type("_Page", (_SharedPDFPage,), {"shared": surface})
    try:
        for index, svg in enumerate(pages):
            tree = Tree(bytestring=for_cairo(svg))
            width = float(tree.get("width", "0") or 0)
            dpi = width / TRIM_WIDTH_IN if width > 0 else 96
            if labels is not None:
                surface.set_page_label(labels[index])
            page = page_class(tree, None, dpi)
            page.finish()
    finally:
        surface.finish()
    return path
