"""Command-line values with bounds: record numbers, counts and amounts are checked where they
are parsed, so a value no database column or contract argument can hold is a one-line
refusal naming the bound (exit code 2), never an overflow deep in SQLite or the ABI encoder.
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from atelier.kernel.text import clip_repr

#: Largest row id SQLite (and PostgreSQL's bigint) can store.
MAX_ROW_ID = 2**63 - 1
#: The registry keeps episode and audit counts as uint32.
MAX_UINT32 = 2**32 - 1
MAX_UINT64 = 2**64 - 1
# int() refuses more than 4,300 digits (with its own traceback); anything past 30 is over
# every bound here anyway.
_MAX_DIGITS = 30


class BoundedInt:
    """A whole number in ``low..high``, as a Typer ``parser=``; ``prefix`` is an optional
    spelling to drop first (``run-3`` is run 3, as LangGraph names its thread)."""

    def __init__(self, what: str, low: int, high: int, *, prefix: str = "") -> None:
        self.what, self.low, self.high, self.prefix = what, low, high, prefix

    def __call__(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            text = str(value).strip().replace("_", "")
            if self.prefix and text.lower().startswith(self.prefix):
                text = text[len(self.prefix):]
            digits = text.removeprefix("-")
            if not digits.isascii() or not digits.isdigit():
                self._fail(f"{clip_repr(value)} is not {self._article} {self.what}: write a "
                           f"whole number {self._range()}")
            if len(digits) > _MAX_DIGITS:
                self._fail(f"{clip_repr(value)} is too large for {self._article} {self.what} "
                          f"({self._range()})")
            number = int(text)
        if not self.low <= number <= self.high:
            self._fail(f"{clip_repr(number)} is out of range for {self._article} {self.what} "
                      f"({self._range()})")
        return number

    @staticmethod
    def _fail(message: str) -> NoReturn:
        # Typer names the parameter (it fills in the BadParameter raised during conversion).
        raise typer.BadParameter(message)

    @property
    def _article(self) -> str:
        return "an" if self.what[0] in "aeiou" else "a"

    def _range(self) -> str:
        return f"from {self.low:,} to {self.high:,}"

    def __repr__(self) -> str:
        return f"BoundedInt({self.what!r}, {self.low}, {self.high})"


RUN = BoundedInt("run number", 1, MAX_ROW_ID, prefix="run-")
AUDIT = BoundedInt("audit number", 1, MAX_ROW_ID)
ASSET = BoundedInt("asset number", 1, MAX_ROW_ID)
BALLOT = BoundedInt("ballot number", 1, MAX_ROW_ID)
GOAL = BoundedInt("goal id", 1, MAX_ROW_ID)
EPISODE = BoundedInt("episode number", 1, MAX_UINT32)
EPISODE_COUNT = BoundedInt("number of episodes", 1, 1000)
AUDIT_EVERY = BoundedInt("audit interval", 1, 1000)
TOKEN_BUDGET = BoundedInt("token budget", 0, MAX_UINT64)
