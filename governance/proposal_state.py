"""Where a proposal stands: OpenZeppelin's ``IGovernor.ProposalState`` and the timelock's
``OperationState``, mirrored as enums so code compares members, never strings or numbers."""

from __future__ import annotations

from enum import IntEnum


class ProposalState(IntEnum):
    """Mirror of OpenZeppelin's ``IGovernor.ProposalState``."""

    Pending = 0
    Active = 1
    Canceled = 2
    Defeated = 3
    Succeeded = 4
    Queued = 5
    Expired = 6
    Executed = 7

    @classmethod
    def from_bitmap(cls, bitmap: int) -> list[ProposalState]:
        return [state for state in cls if bitmap & (1 << state)]


class OperationState(IntEnum):
    """Mirror of ``TimelockController.OperationState``."""

    Unset = 0
    Waiting = 1
    Ready = 2
    Done = 3
