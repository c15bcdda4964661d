"""Human durations: parse ``"2d"``, ``"1h30m"``, ``"90s"`` and print ``"1 d 3 h"``."""

from __future__ import annotations

import re

from atelier.kernel.text import clip_repr

#: The longest duration anything accepts: 100 years. It fits every clock field it lands in
#: (the Governor's uint32 voting period, a chain timestamp, a datetime) with room to spare.
MAX_DURATION = 100 * 365 * 86400
_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)\s*([wdhms])")


def parse_duration(text: str | int) -> int:
    """Seconds in ``text``: an int, digits (seconds), or parts like ``2d``, ``1h30m``.

    Raises ValueError with a message fit for users on anything else: negatives, and more
    than :data:`MAX_DURATION` (a clock pushed past what it can hold cannot be moved back).
    """
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError("expected a duration like '90s', '15m', '2h' or '1d'")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a duration cannot be negative (got {clip_repr(text)})")
        return _bounded(text, text)
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.startswith("-"):
        raise ValueError(f"a duration cannot be negative (got {clip_repr(text)})")
    if not cleaned.isascii() or not cleaned or (
            not cleaned.isdigit() and _PART.sub("", cleaned)):
        raise ValueError(f"{clip_repr(text)} is not a duration; write e.g. '90s', '15m', '2h', "
                         "'1d' or '1h30m'")
    # Digit runs past 12 are over the bound whatever the unit (and int() of thousands of
    # digits is slow, then refused).
    if any(len(n) > 12 for n in re.findall(r"\d+", cleaned)):
        return _bounded(MAX_DURATION + 1, text)
    if cleaned.isdigit():
        return _bounded(int(cleaned), text)
    return _bounded(sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned)), text)


def _bounded(seconds: int, text: str | int) -> int:
    if seconds > MAX_DURATION:
        raise ValueError(f"{clip_repr(text)} is too long: a duration can be at most 100 years")
    return seconds


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
