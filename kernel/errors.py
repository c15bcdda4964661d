"""The one exception family the CLI turns into a clean message and exit code.

Every error a user can cause or fix (bad config, unreachable node, reverted transaction)
is an ``AtelierError`` whose message says what went wrong and whose ``hint`` says what to do.
"""

from __future__ import annotations


class AtelierError(Exception):
    """An expected failure: reported as one clear line (plus a hint), never a traceback."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class NotFound(AtelierError):
    """What was asked for does not exist (a run, an audit, a proposal, ...): a web page
    answers it with 404, not 400."""


class ConfigError(AtelierError):
    """config.toml is missing, not TOML, or does not validate."""

    exit_code = 2


class WorkspaceError(AtelierError):
    """The workspace folder is missing, already initialised, or inconsistent."""


class ChainError(AtelierError):
    """The chain could not be reached or refused what we asked."""


class ChainUnavailable(ChainError):
    """No answer from the node (RPC URL down, anvil missing, workspace chain locked)."""


class TransactionFailed(ChainError):
    """A transaction or call reverted; ``error_name`` is the decoded Solidity custom error."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        error_name: str | None = None,
        error_args: tuple[object, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.error_name = error_name
        self.error_args = error_args
