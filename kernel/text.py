"""Foreign text made safe to show: cut to a readable length, and stripped of the characters
that would let it steer a terminal (ANSI escapes, cursor moves, bidi overrides)."""

from __future__ import annotations

import re
import unicodedata

#: How much of a user's value an error message repeats: enough to recognise it.
ECHO_LIMIT = 80

# Bidirectional overrides and isolates can make text read differently from what it is
# ("Trojan Source"); they are category Cf, like the joiners emoji need, so listed by hand.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A whole CSI sequence, or an OSC one up to its terminator, goes, not just its ESC, so no
# "[31m" residue is left behind; an unterminated OSC loses only its ESC (the text after it
# stays: it is text once nothing can interpret it).
_ANSI_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)|.?)"
                            r"|\x9b[0-?]*[ -/]*[@-~]", re.DOTALL)
REPLACEMENT = "\ufffd"


def clip(value: object, limit: int = ECHO_LIMIT) -> str:
    """``value`` as text of at most ``limit`` characters, "…" marking a cut (for messages
    that echo what a user typed: a 100,000-character value must not fill the screen)."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_repr(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)``, cut like :func:`clip` (the quotes show where the value starts)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    return clip(repr(value), limit)


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab, and every bidi override,
    replaced by U+FFFD (visible, so a reader sees that something was there); ANSI escape
    sequences are replaced whole."""
    if text.isprintable():  # the common case, cheap: no Cc/Cf/Zl/Zp/Cs characters at all
        return text
    text = _ANSI_SEQUENCE.sub(REPLACEMENT, text)
    return "".join(ch if ch in "\n\t" or not _unsafe(ch) else REPLACEMENT for ch in text)


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS \
        or ch in "\u2028\u2029"
