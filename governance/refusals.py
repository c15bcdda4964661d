"""Pre-flight refusals: the client checked the chain before sending and said no.

Nothing was sent, so there is no contract error to decode; ``Refused.reason`` says which check
failed, in names of our own that no contract uses (a revert that still happens is a
``TransactionFailed`` carrying the contract's custom error).
"""

from __future__ import annotations

from enum import StrEnum

from atelier.kernel.errors import ChainError


class Refusal(StrEnum):
    """Why a pre-flight check refused, before anything was sent (not a contract error)."""

    VotingNotOpen = "voting-not-open"
    VotingClosed = "voting-closed"
    AlreadyVoted = "already-voted"
    NoVotingPower = "no-voting-power"
    NotSucceeded = "not-succeeded"
    NotQueued = "not-queued"
    TimelockDelay = "timelock-delay"
    NotQueuedYet = "not-queued-yet"


class Refused(ChainError):
    """A pre-flight check said no: nothing was sent. ``reason`` says which check."""

    def __init__(self, message: str, *, reason: Refusal, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
