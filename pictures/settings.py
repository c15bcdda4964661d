"""Who paints the panels: the ``[pictures]`` settings of config.toml::

    [pictures]
    provider = "drawn"                 # drawn | openai

    [pictures.openai]                  # OpenAI's images API or any server speaking it
    base_url = "http://127.0.0.1:8000/v1"   # absent = OpenAI itself
    model = "gpt-image-1"
    api_key_env = "OPENAI_API_KEY"
    size = "1024x1024"
    timeout = 120

"drawn" needs nothing: Atelier draws each panel's staging itself, offline. "openai" asks an
images endpoint for each panel's art; a panel it fails on is drawn instead (and a finding
says so), so an episode always finishes.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ArtProvider = Literal["drawn", "openai"]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host, e.g. 'http://127.0.0.1:8000/v1'")
    return value.rstrip("/")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenAIImageSettings(_Section):
    """OpenAI's ``POST /images/generations``, or a server speaking it."""

    #: ``None`` = OpenAI itself (or the ``OPENAI_BASE_URL`` environment variable).
    base_url: Annotated[str, AfterValidator(_http_url)] | None = None
    model: Annotated[str, Field(min_length=1, max_length=100)] = "gpt-image-1"
    #: Name of the environment variable holding the API key (never put keys in config).
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "OPENAI_API_KEY"
    #: The size asked for, "WIDTHxHEIGHT" or "auto"; the picture is then cropped to the
    #: panel's shape (its middle is kept).
    size: Annotated[str, Field(pattern=r"^(auto|[1-9][0-9]{1,4}x[1-9][0-9]{1,4})$")] = "1024x1024"
    #: Seconds to wait for one picture.
    timeout: Annotated[float, Field(gt=0, le=3600)] = 120


class PicturesSettings(_Section):
    #: "drawn": Atelier draws each panel's staging (offline). "openai": an images endpoint.
    provider: ArtProvider = "drawn"
    openai: OpenAIImageSettings = OpenAIImageSettings()
