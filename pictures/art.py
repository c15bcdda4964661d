"""Panel art behind one seam: ``ImageProvider.panel_art(PanelArtRequest) -> PanelArt``.

A request is one panel as the script has it (action, setting, shot, mood, the cast left to
right with their sheets' words and palettes), its size in page units and a seed derived from
all of that. The art is either SVG elements in the panel's own units, (0, 0) its top left
corner (``DrawnProvider``: the built-in staging, offline), or a PNG already cropped to the
panel's shape (a raster provider such as ``atelier.pictures.openai_images``). The page
places either under the panel's border, clipped to it, beneath captions and balloons.

Pictures from a provider are untrusted bytes: ``clean_image`` keeps only a real PNG or JPEG
of sane size, decoded by Pillow and written out again as a fresh PNG (no metadata, no
other chunks); nothing else is ever embedded. A provider that fails raises
``ImageProviderError``; ``art_or_drawn`` then draws the panel's staging instead and notes
it as a finding, so an episode always finishes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from PIL import Image, UnidentifiedImageError

from atelier.agents.scriptwriter import Mood, Shot
from atelier.kernel.errors import AtelierError
from atelier.kernel.geometry import Rect
from atelier.pictures import text as T
from atelier.pictures.figures import FigureStyle
from atelier.pictures.staging import draw_backdrop, draw_cast, stage
from atelier.pictures.svg import el, num

#: A provider's picture is refused beyond these (decoded bytes; pixels).
MAX_IMAGE_BYTES = 25 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096
MIN_IMAGE_SIDE = 16
#: Embedded pictures get at most this many pixels per page unit (the page PNG is drawn at
#: 1 pixel per unit; the PDF prints a 1000-unit page about 151 units per inch).
EMBED_SCALE = 1.5


class ImageProviderError(AtelierError):
    """The image provider gave no usable picture. ``provider_wide``: every later panel
    would fail the same way (no key, server unreachable, key refused), so it is not asked
    again in this render."""

    def __init__(self, message: str, *, hint: str | None = None, provider_wide: bool = False):
        super().__init__(message, hint=hint)
        self.provider_wide = provider_wide


@dataclass(frozen=True)
class CharacterArt:
    """A character as panel art needs it."""

    id: str
    name: str
    #: The sheet's appearance, silhouette and costume and the bible's look (model text).
    description: str
    #: Palette and features as the drawn staging draws them.
    style: FigureStyle

    @property
    def palette(self) -> dict[str, str]:
        s = self.style
        return {"skin": s.skin, "hair": s.hair, "outfit": s.outfit, "accent": s.accent}


@dataclass(frozen=True)
class PanelArtRequest:
    panel: int  # the panel's number in the episode
    width: float  # the panel's size in page units
    height: float
    shot: Shot
    mood: Mood
    action: str
    setting: str
    characters: tuple[CharacterArt, ...]  # left to right
    #: The panel has balloons or captions: figures leave its top free.
    lettering: bool
    seed: int

    @classmethod
    def make(
        cls,
        *,
        panel: int,
        width: float,
        height: float,
        shot: Shot,
        mood: Mood,
        action: str,
        setting: str,
        characters: tuple[CharacterArt, ...],
        lettering: bool,
    ) -> PanelArtRequest:
        """A request whose seed is derived from everything else in it: the same panel
        always gets the same seed."""
        fields: dict[str, Any] = dict(
            panel=panel,
            width=round(width, 2),
            height=round(height, 2),
            shot=shot,
            mood=mood,
            action=T.clean(action),
            setting=T.clean(setting),
            characters=characters,
            lettering=lettering,
        )
        described = {**fields, "characters": [_describe(c) for c in characters]}
        digest = hashlib.sha256(json.dumps(described, sort_keys=True).encode("utf-8")).digest()
        return cls(**fields, seed=int.from_bytes(digest[:4], "big"))


def _describe(c: CharacterArt) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "description": c.description, "palette": c.palette}


@dataclass(frozen=True)
class PanelArt:
    """One panel's picture: SVG elements in the panel's own units, or a verified PNG of the
    panel's shape. ``provider`` and ``model`` say who made it (provenance)."""

    elements: tuple[ET.Element, ...] = ()
    png: bytes | None = None
    provider: str = "drawn"
    model: str | None = None


class ImageProvider(Protocol):
    name: str

    def panel_art(self, request: PanelArtRequest) -> PanelArt: ...


class DrawnProvider:
    """The built-in staging: a backdrop from the setting, the cast as palette-coloured
    figures placed by shot size, left to right. Offline and deterministic."""

    name = "drawn"

    def panel_art(self, request: PanelArtRequest) -> PanelArt:
        root = el(None, "g")
        rect = Rect(0, 0, request.width, request.height)
        draw_backdrop(root, rect, request.setting, request.shot)
        cast = [(c.id, c.style) for c in request.characters]
        draw_cast(root, stage(rect, request.shot, cast, lettering=request.lettering), request.mood)
        return PanelArt(elements=tuple(root))


DRAWN = DrawnProvider()


def art_or_drawn(
    provider: ImageProvider, request: PanelArtRequest, where: str, findings: list[str]
) -> PanelArt:
    """The provider's art for the panel; if it fails, the drawn staging and a finding."""
    if provider is DRAWN:
        return DRAWN.panel_art(request)
    try:
        return provider.panel_art(request)
    except ImageProviderError as exc:
        findings.append(
            f"{where}: image provider {provider.name!r} failed ({exc.message}): drawn staging used"
        )
        return DRAWN.panel_art(request)


def place_art(parent: ET.Element, rect: Rect, art: PanelArt) -> None:
    """Put ``art`` in ``rect`` on the page (``parent`` clips it to the panel)."""
    if art.png is not None:
        el(
            parent,
            "image",
            x=rect.x,
            y=rect.y,
            width=rect.width,
            height=rect.height,
            preserveAspectRatio="xMidYMid slice",
            href="data:image/png;base64," + base64.b64encode(art.png).decode("ascii"),
            class_="art",
        )
        return
    group = el(parent, "g", transform=f"translate({num(rect.x)} {num(rect.y)})")
    group.extend(art.elements)


# -- untrusted pictures -----------------------------------------------------------------------
def clean_image(data: bytes) -> bytes:
    """``data`` as a fresh RGB PNG if it is a real PNG or JPEG of sane size; else
    ``ImageProviderError``. Transparency is laid on white."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageProviderError(
            f"the picture is {len(data) // (1024 * 1024)} MB, over the "
            f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB Atelier accepts"
        )
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS or min(width, height) < MIN_IMAGE_SIDE:
                raise ImageProviderError(
                    f"the picture is {width}x{height} pixels; Atelier accepts "
                    f"{MIN_IMAGE_SIDE} to 4096 pixels a side"
                )
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info
            ):
                rgba = image.convert("RGBA")
                picture = Image.new("RGB", rgba.size, (255, 255, 255))
                picture.paste(rgba, mask=rgba.getchannel("A"))
            else:
                picture = image.convert("RGB")
    except ImageProviderError:
        raise
    except UnidentifiedImageError:
        raise ImageProviderError("the answer is not a PNG or JPEG picture") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ImageProviderError("the answer is a damaged PNG or JPEG picture") from None
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def fit_to_panel(png: bytes, width: float, height: float) -> bytes:
    """A clean PNG cropped to the panel's shape (its middle kept) and scaled down to at most
    ``EMBED_SCALE`` pixels per unit (never up)."""
    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        image.load()
        w, h = image.size
        aspect = width / height
        if w / h > aspect:  # too wide: keep the middle columns
            crop_w, crop_h = max(1, round(h * aspect)), h
        else:
            crop_w, crop_h = w, max(1, round(w / aspect))
        left, top = (w - crop_w) // 2, (h - crop_h) // 2
        picture = image.crop((left, top, left + crop_w, top + crop_h))
        target = (
            max(1, min(crop_w, round(width * EMBED_SCALE))),
            max(1, min(crop_h, round(height * EMBED_SCALE))),
        )
        if target != picture.size:
            picture = picture.resize(target, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        picture.save(out, "PNG")
        return out.getvalue()


class RasterProvider:
    """A provider that paints pictures (bytes) from a prompt: asks once per distinct
    request, keeps each picture (cleaned) in ``cache_dir`` under a hash of what decides it,
    so rendering again costs nothing, and stops asking after a provider-wide failure."""

    name: ClassVar[str] = "raster"
    model: str | None = None

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.calls = 0  # requests actually sent (tests, benches)
        self._broken: ImageProviderError | None = None

    # -- to implement --
    def identity(self) -> dict[str, Any]:
        """Everything besides the prompt and seed that decides the picture."""
        raise NotImplementedError

    def prompt(self, request: PanelArtRequest) -> str:
        raise NotImplementedError

    def generate(self, prompt: str, request: PanelArtRequest) -> bytes:
        """The provider's picture (untrusted bytes) or ``ImageProviderError``."""
        raise NotImplementedError

    # -- the seam --
    def cache_key(self, request: PanelArtRequest) -> str:
        decided = {
            "provider": self.name,
            **self.identity(),
            "prompt": self.prompt(request),
            "seed": request.seed,
        }
        return hashlib.sha256(json.dumps(decided, sort_keys=True).encode("utf-8")).hexdigest()

    def panel_art(self, request: PanelArtRequest) -> PanelArt:
        png = self._cached(request)
        if png is None:
            if self._broken is not None:
                raise self._broken
            self.calls += 1
            try:
                png = clean_image(self.generate(self.prompt(request), request))
            except ImageProviderError as exc:
                if exc.provider_wide:
                    self._broken = exc
                raise
            self._store(request, png)
        return PanelArt(
            png=fit_to_panel(png, request.width, request.height),
            provider=self.name,
            model=self.model,
        )

    def _path(self, request: PanelArtRequest) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{self.name}-{self.cache_key(request)[:32]}.png"

    def _cached(self, request: PanelArtRequest) -> bytes | None:
        path = self._path(request)
        if path is None or not path.is_file():
            return None
        try:  # our own file, but checked like any other picture before it is used
            return clean_image(path.read_bytes())
        except (ImageProviderError, OSError):
            return None

    def _store(self, request: PanelArtRequest, png: bytes) -> None:
        path = self._path(request)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(png)
        tmp.replace(path)  # a killed render never leaves half a picture in the cache
