"""Human durations: parse ``"2d"``, ``"1h30m"``, ``"90s"`` and print ``"1 d 3 h"``."""

from __future__ import annotations

import re

_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)\s*([wdhms])")


def parse_duration(text: str | int) -> int:
    """Seconds in ``text``: an int, digits (seconds), or parts like ``2d``, ``1h30m``.

    Raises ValueError with a message fit for users on anything else, negatives included.
    """
    if isinstance(text, bool):
        raise ValueError("expected a duration like '90s', '15m', '2h' or '1d'")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a duration cannot be negative (got {text})")
        return text
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.startswith("-"):
        raise ValueError(f"a duration cannot be negative (got {text!r})")
    if cleaned.isdigit():
        return int(cleaned)
    if not cleaned or _PART.sub("", cleaned):
        raise ValueError(
            f"{text!r} is not a duration; write e.g. '90s', '15m', '2h', '1d' or '1h30m'"
        )
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))


def format_duration(seconds: float) -> str:
    """``93784`` -> ``"1 d 2 h"``: the two largest non-zero units, for messages and tables."""
    seconds = round(seconds)
    if seconds <= 0:
        return "0 s"
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)
