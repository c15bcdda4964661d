"""Panel art through the ``ImageProvider`` seam (atelier.pictures.art): the drawn staging as
the default provider, the OpenAI images provider over HTTP exchanges replayed with vcrpy
(record_mode="none": no network), the fallback to the drawn staging when a provider fails,
refusal of anything that is not a real PNG or JPEG, the picture cache, and ``[pictures]``.

The cassettes were WRITTEN FROM OPENAI'S API DOCUMENTATION, not recorded (no key here): see
tests/cassettes/README.md and tests/cassettes/write_openai_images_cassettes.py. Each request
must equal the cassette's as JSON, so a change in what Atelier sends fails these tests.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import socket
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import vcr
from PIL import Image, PngImagePlugin

from atelier.agents.layout_solver import PanelRequest, solve_layout
from atelier.agents.scriptwriter import EpisodeScript, PanelScript, Scene
from atelier.config import config_from_dict, load_config
from atelier.kernel.errors import ConfigError
from atelier.kernel.geometry import Page
from atelier.pictures import image_provider, render_episode
from atelier.pictures.art import (
    DRAWN,
    EMBED_SCALE,
    ImageProviderError,
    PanelArt,
    PanelArtRequest,
    clean_image,
)
from atelier.pictures.episode import RenderedEpisode
from atelier.pictures.openai_images import MAX_PROMPT, OpenAIImageProvider, art_prompt
from atelier.pictures.settings import OpenAIImageSettings, PicturesSettings

from pictures_helpers import NS, check_page, classes, line, make_bible, make_sheets, parse

CASSETTES = Path(__file__).parent / "cassettes"
URI = "https://api.openai.com/v1/images/generations"
KEY_ENV = "ATELIER_TEST_IMAGES_KEY"
#: The cassettes' picture: a magenta field with a yellow disc.
PICTURE_COLOUR = (200, 30, 120)
SETTING = 'The lighthouse gallery at dusk <script>alert("x")</script> & the "sea"'


# -- the scenario the cassettes answer ----------------------------------------------------------
def scenario() -> tuple[EpisodeScript, list[Page]]:
    def panel(number: int, shot: str, cast: list[str], mood: str, action: str, **more: Any):
        return PanelScript.model_validate(
            dict(number=number, shot=shot, characters=cast, mood=mood, action=action, **more)
        )

    panels = (
        panel(
            1,
            "wide",
            ["mara", "pip"],
            "surprised",
            "Mara points past the rocks; Pip squints into the wind.",
            dialogue=[line("mara", "Pip! Do you see that light?")],
        ),
        panel(
            2,
            "medium",
            ["tom"],
            "sad",
            "Old Tom lowers his pipe.",
            dialogue=[line("tom", "Some lights are not meant to be followed.")],
        ),
        panel(
            3,
            "close",
            ["mara"],
            "determined",
            "Mara's face, lit green.",
            dialogue=[line("mara", "Then we follow it anyway.", "thought")],
        ),
        panel(
            4,
            "medium",
            [],
            "neutral",
            "A green glow on the dark sea.",
            caption="Out at sea, the glow grows.",
        ),
    )
    script = EpisodeScript(
        number=1,
        title="Painted",
        summary="The glow at sea, painted.",
        scenes=(Scene(setting=SETTING, beat="They see the light.", panels=panels),),
    )
    pages = solve_layout([PanelRequest(str(p.number), "normal", p.shot) for p in panels])
    return script, pages


def render(out: Path, art: Any = None) -> RenderedEpisode:
    script, pages = scenario()
    bible = make_bible()
    return render_episode(
        script, pages, make_sheets(), bible, out, series_title=bible.title, art=art
    )


class Capture:
    """A provider that notes each request and draws the staging."""

    name = "capture"

    def __init__(self) -> None:
        self.requests: list[PanelArtRequest] = []

    def panel_art(self, request: PanelArtRequest) -> PanelArt:
        self.requests.append(request)
        return DRAWN.panel_art(request)


def scenario_requests() -> list[PanelArtRequest]:
    capture = Capture()
    with tempfile.TemporaryDirectory() as tmp:
        render(Path(tmp), capture)
    return capture.requests


def openai_provider(cache: Path | None, **settings: Any) -> OpenAIImageProvider:
    return OpenAIImageProvider(OpenAIImageSettings(api_key_env=KEY_ENV, **settings), cache)


def request_bodies() -> list[dict[str, Any]]:
    """What Atelier sends for the scenario, panel by panel (the cassette writer uses it)."""
    provider = openai_provider(None)
    return [provider.body(art_prompt(r)) for r in scenario_requests()]


# -- replaying HTTP -----------------------------------------------------------------------------
def _json_body(live: Any, recorded: Any) -> None:
    assert json.loads(live.body or b"null") == json.loads(recorded.body or b"null")


class Wire:
    """vcrpy, replay only, remembering the requests sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.vcr = vcr.VCR(
            cassette_library_dir=str(CASSETTES),
            record_mode="none",
            match_on=["method", "scheme", "host", "port", "path", "query", "json_body"],
            filter_headers=["authorization"],
            before_record_request=self._seen,
        )
        self.vcr.register_matcher("json_body", _json_body)

    def _seen(self, request: Any) -> Any:
        request = copy.deepcopy(request)
        entry = {
            "uri": request.uri,
            "body": json.loads(request.body or b"null"),
            "auth": request.headers.get("authorization") or request.headers.get("Authorization"),
        }
        if entry not in self.sent:  # vcrpy calls this more than once per request
            self.sent.append(entry)
        return request

    def cassette(self, name: str) -> Any:
        return self.vcr.use_cassette(name)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    monkeypatch.setenv(KEY_ENV, "sk-test-not-a-real-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return Wire()


# -- reading pages back -------------------------------------------------------------------------
def panel_groups(svg: Path) -> list[ET.Element]:
    return [g for g in parse(svg.read_bytes()).iter(f"{NS}g") if "panel" in classes(g)]


def art_of(panel: ET.Element) -> ET.Element:
    """The panel's clipped art group (its first child group)."""
    clipped = next(g for g in panel if g.get("clip-path"))
    [art] = list(clipped)
    return art


def embedded_png(image: ET.Element) -> Image.Image:
    href = image.get("href", "")
    assert href.startswith("data:image/png;base64,"), href[:40]
    data = base64.b64decode(href.removeprefix("data:image/png;base64,"), validate=True)
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "PNG"
    return picture


def close_to(a: tuple[int, ...], b: tuple[int, ...], tol: int = 14) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


# -- the drawn staging ------------------------------------------------------------------------
def test_the_drawn_staging_goes_through_the_seam(tmp_path: Path) -> None:
    default = render(tmp_path / "default")
    configured = render(tmp_path / "configured", PicturesSettings())
    capture = Capture()
    captured = render(tmp_path / "captured", capture)
    for a, b, c in zip(default.pages_svg, configured.pages_svg, captured.pages_svg, strict=True):
        assert a.read_bytes() == b.read_bytes() == c.read_bytes()
    assert default.art_provider is None and default.findings == []
    assert not (tmp_path / "default" / "art").exists()  # nothing to keep for drawn art

    script, pages = scenario()
    requests = capture.requests
    assert [r.panel for r in requests] == [1, 2, 3, 4]
    for r, placed in zip(requests, pages[0].panels, strict=True):
        assert (r.width, r.height) == (round(placed.rect.width, 2), round(placed.rect.height, 2))
        assert r.setting == SETTING and r.action == script.panels[r.panel - 1].action
    first = requests[0]
    assert [c.id for c in first.characters] == ["mara", "pip"]  # left to right, speaker first
    mara = first.characters[0]
    assert mara.name == "Mara" and mara.palette["hair"] == "#b8412c"
    assert "long red hair in a ponytail" in mara.description  # the sheet's words
    assert "raincoat" in mara.description  # the bible's look
    assert [r.lettering for r in requests] == [True, True, True, True]
    assert len({r.seed for r in requests}) == 4
    assert [r.seed for r in scenario_requests()] == [r.seed for r in requests]  # stable

    art = DRAWN.panel_art(first)
    assert art.png is None and art.elements and art.provider == "drawn"
    for panel in panel_groups(default.pages_svg[0]):  # drawn art: a group moved into place
        group = art_of(panel)
        assert group.tag == f"{NS}g" and group.get("transform", "").startswith("translate(")
        assert not list(panel.iter(f"{NS}image"))


# -- the OpenAI images provider -----------------------------------------------------------------
def test_openai_paints_each_panel_under_its_lettering(tmp_path: Path, wire: Wire) -> None:
    provider = openai_provider(tmp_path / "art")
    with wire.cassette("openai_images_generations.yaml"):
        result = render(tmp_path, provider)

    assert result.findings == []
    assert (result.art_provider, result.art_model) == ("openai", "gpt-image-1")
    assert provider.calls == 4 and len(wire.sent) == 4
    for sent in wire.sent:  # what the documented API expects
        assert sent["uri"] == URI
        body = sent["body"]
        assert set(body) == {"model", "prompt", "n", "size"}  # no response_format: gpt-image
        assert (body["model"], body["n"], body["size"]) == ("gpt-image-1", 1, "1024x1024")
        assert "Draw no text" in body["prompt"] and SETTING in body["prompt"]
    first = wire.sent[0]["body"]["prompt"]
    assert "a wide shot" in first and "Pip squints into the wind" in first
    assert "Characters, left to right: Mara (" in first and "hair #b8412c" in first
    assert "No characters in view." in wire.sent[3]["body"]["prompt"]

    _, pages = scenario()
    data = result.pages_svg[0].read_bytes()
    assert b"<script" not in data  # the setting is escaped in the caption as ever
    check_page(parse(data), pages[0])
    page_png = Image.open(result.pages_png[0]).convert("RGB")
    for panel, placed in zip(panel_groups(result.pages_svg[0]), pages[0].panels, strict=True):
        image = art_of(panel)
        assert image.tag == f"{NS}image" and "art" in classes(image)
        r = placed.rect
        assert [float(image.get(k, "nan")) for k in ("x", "y", "width", "height")] == [
            pytest.approx(v, abs=0.01) for v in (r.x, r.y, r.width, r.height)
        ]
        picture = embedded_png(image)  # cropped to the panel's shape, at most 1.5 px a unit
        assert picture.width / picture.height == pytest.approx(r.width / r.height, rel=0.02)
        assert picture.width <= round(r.width * EMBED_SCALE)
        # under the lettering: the art comes first in the panel, balloons after it
        order = list(panel.iter())
        balloons = [n for n in order if "balloon" in classes(n)]
        assert balloons and all(order.index(image) < order.index(b) for b in balloons)
        # and it is in the pixels: the bottom corner of each panel shows the magenta field
        corner = page_png.getpixel((round(r.x + 14), round(r.bottom - 14)))
        assert close_to(corner, PICTURE_COLOUR), corner
    cached = sorted((tmp_path / "art").iterdir())
    assert len(cached) == 4 and all(p.name.startswith("openai-") for p in cached)
    assert all(Image.open(p).format == "PNG" for p in cached)


def test_the_cache_prevents_a_second_call(tmp_path: Path, wire: Wire) -> None:
    with wire.cassette("openai_images_generations.yaml"):
        first = render(tmp_path, openai_provider(tmp_path / "art"))
        pages = [p.read_bytes() for p in first.pages_svg]
        # A rerun (``run resume``) builds a new provider: the pictures come from art/. The
        # cassette's answers are all played, so a request now would raise (vcrpy).
        again = openai_provider(tmp_path / "art")
        second = render(tmp_path, again)
    assert again.calls == 0 and len(wire.sent) == 4
    assert second.findings == [] and second.art_provider == "openai"
    assert [p.read_bytes() for p in second.pages_svg] == pages  # the same bytes


def test_a_failing_provider_leaves_the_drawn_staging_and_a_finding(
    tmp_path: Path, wire: Wire
) -> None:
    provider = openai_provider(tmp_path / "art")
    with wire.cassette("openai_images_failures.yaml"):
        result = render(tmp_path, provider)

    assert provider.calls == 4  # each failure was the panel's own: the others were asked
    assert result.art_provider == "openai"  # panel 1 was painted
    failed = {f.split(":")[0]: f for f in result.findings}
    assert set(failed) == {"page 1, panel 2", "page 1, panel 3", "page 1, panel 4"}
    assert all(f.endswith("drawn staging used") for f in result.findings)
    assert (
        "answered 400: Your request was rejected as a result of our safety system"
        in (failed["page 1, panel 2"])
    )
    assert "not a PNG or JPEG picture" in failed["page 1, panel 3"]
    assert "answered with a URL" in failed["page 1, panel 4"]

    data = result.pages_svg[0].read_bytes()
    assert b"<script" not in data and b"alert(1)" not in data  # the "picture" was an SVG
    groups = panel_groups(result.pages_svg[0])
    assert art_of(groups[0]).tag == f"{NS}image"
    for panel in groups[1:]:
        assert art_of(panel).get("transform", "").startswith("translate(")
        assert not list(panel.iter(f"{NS}image"))
    _, pages = scenario()
    check_page(parse(data), pages[0])
    assert len(list((tmp_path / "art").iterdir())) == 1  # only the good picture is kept


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_provider_that_cannot_work_is_asked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    no_key = openai_provider(tmp_path / "a" / "art")
    result = render(tmp_path / "a", no_key)
    assert no_key.calls == 1 and len(result.findings) == 4
    assert all(
        f"no OpenAI API key: the environment variable {KEY_ENV} is not set" in f
        and f.endswith("drawn staging used")
        for f in result.findings
    )
    assert result.art_provider is None

    url = f"http://127.0.0.1:{_closed_port()}/v1"
    down = openai_provider(tmp_path / "b" / "art", base_url=url, timeout=5)
    result = render(tmp_path / "b", down)
    assert down.calls == 1 and len(result.findings) == 4
    assert all(f"cannot reach the images endpoint at {url}" in f for f in result.findings)


# -- untrusted pictures -----------------------------------------------------------------------
def _encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_only_real_png_or_jpeg_pictures_are_kept() -> None:
    photo = Image.new("RGB", (64, 48), PICTURE_COLOUR)
    jpeg = clean_image(_encoded(photo, "JPEG"))
    assert jpeg.startswith(b"\x89PNG\r\n\x1a\n") and Image.open(io.BytesIO(jpeg)).size == (64, 48)

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    tagged = clean_image(_encoded(photo, "PNG", pnginfo=info))
    assert b"script" not in tagged and b"Comment" not in tagged  # written afresh

    see_through = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert Image.open(io.BytesIO(clean_image(_encoded(see_through, "PNG")))).getpixel((5, 5)) == (
        255,
        255,
        255,
    )

    good_png = _encoded(photo, "PNG")
    refused = {
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "html": b"<!doctype html><title>error</title>",
        "empty": b"",
        "gif": _encoded(photo, "GIF"),
        "webp": _encoded(photo, "WEBP"),
        "bmp": _encoded(photo, "BMP"),
        "truncated": good_png[: len(good_png) // 2],
        "truncated jpeg": _encoded(photo, "JPEG")[:300],
        "too small": _encoded(Image.new("RGB", (8, 8)), "PNG"),
        "too large": _encoded(Image.new("1", (5000, 4000)), "PNG"),
    }
    for what, data in refused.items():
        with pytest.raises(ImageProviderError):
            clean_image(data)
        assert what  # (named for the failure report)


def test_the_prompt_is_cleaned_and_bounded() -> None:
    [first, *_] = scenario_requests()
    hostile = PanelArtRequest.make(
        panel=1,
        width=300,
        height=600,
        shot="close",
        mood="angry",
        action="x\x00\x1b[31m" + "word " * 5000,
        setting="s",
        characters=first.characters,
        lettering=False,
    )
    prompt = art_prompt(hostile)
    assert len(prompt) <= MAX_PROMPT and "\x00" not in prompt and "\x1b" not in prompt
    assert "a tall picture" in prompt and "top third" not in prompt
    assert art_prompt(hostile) == prompt


# -- [pictures] in config.toml ------------------------------------------------------------------
def test_pictures_settings_choose_the_provider(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "[pictures]\nprovider = 'openai'\n[pictures.openai]\n"
        "base_url = 'http://127.0.0.1:8000/v1/'\nmodel = 'dall-e-3'\nsize = '1792x1024'\n"
        "timeout = 30\n",
        encoding="utf-8",
    )
    settings = load_config(path).pictures
    provider = image_provider(settings, tmp_path / "art")
    assert isinstance(provider, OpenAIImageProvider)
    assert provider.base_url == "http://127.0.0.1:8000/v1"
    assert provider.cache_dir == tmp_path / "art"
    # DALL-E and compatible servers are asked for base64 data explicitly
    assert provider.body("p") == {
        "model": "dall-e-3",
        "prompt": "p",
        "n": 1,
        "size": "1792x1024",
        "response_format": "b64_json",
    }
    assert image_provider(config_from_dict({}).pictures, tmp_path) is DRAWN


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "[pictures]\nprovider = 'midjourney'\n",
            "[pictures] provider = 'midjourney': Input should be 'drawn' or 'openai'",
        ),
        (
            "[pictures]\nprovder = 'openai'\n",
            "unknown key [pictures] provder; did you mean 'provider'?",
        ),
        ("[pictures.openai]\nsize = 'huge'\n", "[pictures] openai.size = 'huge': String should"),
        (
            "[pictures.openai]\nbase_url = 'ftp://x'\n",
            "[pictures] openai.base_url = 'ftp://x': must be an http(s) URL",
        ),
        (
            "[pictures.openai]\ntimeout = 0\n",
            "[pictures] openai.timeout = 0: Input should be greater than 0",
        ),
    ],
)
def test_pictures_mistakes_are_one_line_config_errors(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert len(raised.value.message.splitlines()) == 1
    assert expected in raised.value.message


# -- the workflow's render node -----------------------------------------------------------------
def test_the_render_node_paints_as_configured_and_finishes_when_the_painter_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from atelier.workflows.runner import Runner

    from workflow_helpers import governed_studio, studio_at

    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    config = governed_studio(
        tmp_path,
        episodes=1,
        audit_every=1,
        extra_config=f"\n[pictures]\nprovider = 'openai'\n\n[pictures.openai]\n"
        f"base_url = '{url}'\ntimeout = 5\n",
    )
    studio = studio_at(config)
    assert studio.config.pictures.provider == "openai"
    store = studio.open_store()
    Runner(studio, store).start()
    [episode] = store.episodes(1)
    assert episode.status == "done"
    failed = [f for f in episode.findings if "drawn staging used" in f]
    assert failed and all(f"cannot reach the images endpoint at {url}" in f for f in failed)
    pages = store.assets(1, episode=1, kind="page_svg")
    assert pages and all(p.provider is None for p in pages)  # nothing was painted
