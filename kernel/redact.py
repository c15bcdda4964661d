"""Foreign text made safe to keep and show: error texts from model servers, image servers and
chain nodes can echo an API key, a URL with credentials or terminal escapes. ``scrub`` is
applied where such text enters (before it reaches the store, a checkpoint, a proposal or a
terminal), not where it is printed."""

from __future__ import annotations

import os
import re

from atelier.kernel.text import clip, printable

#: Environment variables whose values are secrets whatever they are called in config.
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL)", re.I)
_MIN_SECRET = 8  # shorter values are too likely to be ordinary words

_PATTERNS = (
    # user:password@ in a URL
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),
    # key=..., api_key=..., token=... in a query string or a message
    (re.compile(r"(?i)\b((?:api[_-]?)?key|token|secret|password|passphrase|auth)=([^&\s'\"]+)"),
     r"\1=***"),
    # Authorization: Bearer ... / Basic ...
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
    # OpenAI-style keys (hex private keys look like hashes, which errors rightly name:
    # they are caught by value, from the environment, not by shape)
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-***"),
)


def secret_values(extra: tuple[str, ...] = ()) -> list[str]:
    """Secret values this process knows: the environment's keys, tokens and passphrases, and
    ``extra`` (values read from elsewhere)."""
    found = [value for name, value in os.environ.items()
             if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET]
    found += [value for value in extra if len(value) >= _MIN_SECRET]
    return sorted(set(found), key=len, reverse=True)


def _mask_shapes(text: str) -> str:
    """Every other secret shape the compliance check knows (detect-secrets' detectors: AWS,
    GitHub, Slack, Stripe, … keys, PEM private keys): one list of shapes for both, so what a
    proposal would flag never reaches the store or a terminal unmasked."""
    from atelier.kernel.compliance import secret_spans

    for span in reversed(secret_spans(text)):
        text = text[:span.start] + "***" + text[span.end:]
    return text


def scrub(text: str, *, secrets: tuple[str, ...] = (), limit: int = 2000) -> str:
    """``text`` with secrets replaced by ``***``, control characters removed (newlines and
    tabs become spaces) and at most ``limit`` characters."""
    for value in secret_values(secrets):
        text = text.replace(value, "***")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _mask_shapes(text)
    text = printable(text.replace("\r", "\n"))  # escape sequences go whole, marked
    return clip(" ".join(text.split("\n")).replace("\t", " "), limit)
