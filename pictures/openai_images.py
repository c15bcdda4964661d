"""Panel art from an OpenAI-compatible images endpoint (``[pictures] provider = "openai"``).

One ``POST {base_url}/images/generations`` per panel (through the ``openai`` client) with a
prompt written from the panel's script and the cast's sheets, asking for one picture as
base64 data (``b64_json``): gpt-image models always answer so, DALL-E models and most
compatible servers when ``response_format`` says so. A picture only given as a URL is
refused (Atelier does not fetch addresses an answer names). OpenAI's images API takes no
seed, so the request's seed only keys the cache.

The prompt carries model text (setting, action, descriptions): that is what a prompt is for;
it is cleaned and cut to length. What comes back is checked by ``art.clean_image``.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atelier.pictures import text as T
from atelier.pictures.art import (
    MAX_IMAGE_BYTES,
    ImageProviderError,
    PanelArtRequest,
    RasterProvider,
)
from atelier.pictures.settings import OpenAIImageSettings

OPENAI_HOST = "api.openai.com"
PLACEHOLDER_KEY = "not-needed"  # servers on your own machine ignore the key
MAX_PROMPT = 3800  # characters; DALL-E 3 takes 4000, gpt-image models more
_FIELD = 400  # characters of any one piece of model text in the prompt


def _short(text: str, limit: int = _FIELD) -> str:
    text = T.clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + T.ELLIPSIS


def art_prompt(request: PanelArtRequest) -> str:
    """The words an image model gets for one panel."""
    w, h = request.width, request.height
    shape = "wide" if w > 1.25 * h else "tall" if h > 1.25 * w else "square"
    parts = [
        f"One panel of a comic book: a {request.shot} shot, a {shape} picture.",
        f"Setting: {_short(request.setting)}.",
        f"What we see: {_short(request.action)}",
        f"Mood: {request.mood}.",
    ]
    if request.characters:
        people = []
        for c in request.characters:
            colours = ", ".join(f"{use} {hex_}" for use, hex_ in c.palette.items())
            name, words = _short(c.name, 60), _short(c.description, 300)
            about = f"{words}; colours: {colours}" if words else f"colours: {colours}"
            people.append(f"{name} ({about})")
        parts.append("Characters, left to right: " + "; ".join(people) + ".")
    else:
        parts.append("No characters in view.")
    parts.append(
        "Style: clean ink outlines, flat bright colours, simple shapes, the same look for "
        "every panel. Draw no text, letters, speech balloons, captions or panel borders: "
        "the lettering is added afterwards."
    )
    if request.lettering:
        parts.append("Keep the top third of the picture calm, without faces: balloons go there.")
    prompt = " ".join(parts)
    return prompt if len(prompt) <= MAX_PROMPT else prompt[: MAX_PROMPT - 1] + T.ELLIPSIS


class OpenAIImageProvider(RasterProvider):
    name = "openai"

    def __init__(self, settings: OpenAIImageSettings, cache_dir: Path | None = None) -> None:
        super().__init__(cache_dir)
        self.settings = settings
        self.model = settings.model
        self.base_url = settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
        self.official = self.base_url is None or urlsplit(self.base_url).hostname == OPENAI_HOST
        self._client: Any = None

    def identity(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url or f"https://{OPENAI_HOST}/v1",
            "model": self.settings.model,
            "size": self.settings.size,
        }

    def prompt(self, request: PanelArtRequest) -> str:
        return art_prompt(request)

    def body(self, prompt: str) -> dict[str, Any]:
        """The JSON body sent (without the model-independent client defaults)."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "prompt": prompt,
            "n": 1,
            "size": self.settings.size,
        }
        if not self.settings.model.startswith("gpt-image"):
            # gpt-image models refuse the parameter (they always answer with b64_json)
            body["response_format"] = "b64_json"
        return body

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            key = os.environ.get(self.settings.api_key_env)
            if not key:
                if self.official:
                    raise ImageProviderError(
                        f"no OpenAI API key: the environment variable "
                        f"{self.settings.api_key_env} is not set",
                        hint=f"export {self.settings.api_key_env}=sk-..., set [pictures.openai] "
                        "base_url to your own images server, or set [pictures] provider = "
                        "'drawn'",
                        provider_wide=True,
                    )
                key = PLACEHOLDER_KEY
            self._client = openai.OpenAI(
                api_key=key, base_url=self.base_url, timeout=self.settings.timeout, max_retries=1
            )
        return self._client

    def generate(self, prompt: str, request: PanelArtRequest) -> bytes:
        import openai

        client = self._openai()
        where = self.base_url or "OpenAI"
        try:
            reply = client.images.generate(**self.body(prompt))
        except openai.APIConnectionError as exc:  # includes timeouts
            raise ImageProviderError(
                f"cannot reach the images endpoint at {where}: {exc}",
                hint="check [pictures.openai] base_url and that the server runs",
                provider_wide=True,
            ) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            detail = _detail(exc)
            # a refused key, a missing model or endpoint, no quota: every panel would fail
            wide = status in (401, 403, 404, 429)
            raise ImageProviderError(
                f"the images endpoint at {where} answered {status}: {detail}",
                hint="check [pictures.openai] model and api_key_env"
                if wide
                else "the panel's prompt may have been refused; see the finding",
                provider_wide=wide,
            ) from None
        except openai.OpenAIError as exc:  # an answer the client cannot read
            raise ImageProviderError(
                f"the images endpoint at {where} sent an unreadable answer: {exc}"
            ) from None
        items = list(getattr(reply, "data", None) or [])
        if not items:
            raise ImageProviderError("the images endpoint answered without a picture")
        encoded = getattr(items[0], "b64_json", None)
        if not isinstance(encoded, str) or not encoded:
            if getattr(items[0], "url", None):
                raise ImageProviderError(
                    "the images endpoint answered with a URL, not the picture's data; "
                    "Atelier asks for b64_json and does not fetch URLs"
                )
            raise ImageProviderError("the images endpoint answered without picture data")
        if len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            raise ImageProviderError("the picture is larger than Atelier accepts")
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ImageProviderError("the picture's data is not valid base64") from None


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _short(error["message"], 200)
    return _short(str(getattr(exc, "message", exc)), 200)
