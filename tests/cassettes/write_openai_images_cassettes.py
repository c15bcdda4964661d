"""Write openai_images_*.yaml from OpenAI's documented images API.

No OpenAI key is available where Atelier is developed, so these exchanges are NOT recorded:
they are written from the API reference ("Create image", ``POST /v1/images/generations``):

- request: JSON with ``model``, ``prompt``, ``n`` and ``size`` (``response_format`` is not
  sent to gpt-image models, which always answer with base64 data);
- response: ``{"created": ..., "background", "data": [{"b64_json": "<base64 PNG>"}],
  "output_format", "quality", "size", "usage": {...}}``; errors as ``{"error": {"message",
  "type", "param", "code"}}`` with an HTTP status.

The requests are what Atelier sends for the scenario in tests/test_image_provider.py (one
per panel; the prompts are built by ``atelier.pictures.openai_images.art_prompt``), so a
change in what Atelier sends fails the replay. The picture is a real 1024x1024 PNG drawn
here (a flat magenta field with a yellow disc): tiny, and easy to find in rendered pixels.

Run from the repository root: ``uv run python tests/cassettes/write_openai_images_cassettes.py``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from test_image_provider import (  # noqa: E402  (needs the tests folder on the path)
    PICTURE_COLOUR,
    request_bodies,
)

URI = "https://api.openai.com/v1/images/generations"
CREATED = 1763650000  # 2025-11-20


def picture() -> bytes:
    image = Image.new("P", (1024, 1024))
    image.putpalette([*PICTURE_COLOUR, 250, 210, 60, 40, 40, 60])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1023, 1023), fill=0)
    draw.ellipse((312, 312, 712, 712), fill=1, outline=2, width=12)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def ok(data: dict[str, Any]) -> dict[str, Any]:
    body = {
        "created": CREATED,
        "background": "opaque",
        "data": [data],
        "output_format": "png",
        "quality": "medium",
        "size": "1024x1024",
        "usage": {
            "input_tokens": 120,
            "input_tokens_details": {"image_tokens": 0, "text_tokens": 120},
            "output_tokens": 1056,
            "total_tokens": 1176,
        },
    }
    return _response(200, "OK", body)


def error(status: int, reason: str, message: str, type_: str, code: str) -> dict[str, Any]:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return _response(status, reason, body)


def _response(status: int, reason: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "body": {"string": json.dumps(body, indent=2) + "\n"},
        "headers": {
            "Content-Type": ["application/json"],
            "Date": ["Thu, 20 Nov 2025 14:46:40 GMT"],
            "openai-processing-ms": ["21480"],
            "x-request-id": ["req_" + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:32]],
        },
        "status": {"code": status, "message": reason},
    }


def interaction(body: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    return {
        "request": {
            "body": json.dumps(body, indent=2, ensure_ascii=False) + "\n",
            "headers": {"Content-Type": ["application/json"], "Accept": ["application/json"]},
            "method": "POST",
            "uri": URI,
        },
        "response": response,
    }


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as literal blocks, so the JSON reads as written."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _text)


def write(name: str, interactions: list[dict[str, Any]]) -> None:
    header = (
        "# Written by tests/cassettes/write_openai_images_cassettes.py from OpenAI's documented\n"
        "# images API (POST /v1/images/generations); NOT recorded from a server (README.md).\n"
    )
    text = yaml.dump(
        {"interactions": interactions, "version": 1},
        Dumper=_LiteralDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    (HERE / name).write_text(header + text, encoding="utf-8")


def main() -> None:
    png = base64.b64encode(picture()).decode("ascii")
    bodies = request_bodies()
    write("openai_images_generations.yaml", [interaction(b, ok({"b64_json": png})) for b in bodies])
    # one panel of each kind of failure: refused prompt, bytes that are no picture, a URL only
    not_a_picture = base64.b64encode(
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    ).decode("ascii")
    answers = [
        ok({"b64_json": png}),
        error(
            400,
            "Bad Request",
            "Your request was rejected as a result of our safety system.",
            "image_generation_user_error",
            "moderation_blocked",
        ),
        ok({"b64_json": not_a_picture}),
        ok({"url": "https://example.invalid/picture.png"}),
    ]
    write(
        "openai_images_failures.yaml",
        [interaction(b, a) for b, a in zip(bodies, answers, strict=True)],
    )


if __name__ == "__main__":
    main()
