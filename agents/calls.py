"""The model-call log: one record per agent call, the raw material of audits.

Every call says which agent and prompt version ran, on which provider/model (and, for a
local model, the sha256 of its GGUF file; ``None`` for a served model) with which
parameters and seed, what it cost (tokens, latency), how many attempts it took and how it
ended. Sinks are pluggable: the workflow stores records in its database; tests keep them
in memory.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from atelier.kernel.errors import AtelierError

Outcome = Literal["ok", "invalid", "semantic", "error"]


@dataclass(frozen=True)
class CallRecord:
    agent: str
    task: str
    prompt_hash: str  # 0x-hex keccak256 of the prompt file version that ran
    provider: str
    model: str
    params: dict[str, Any]
    seed: int | None
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    attempts: int
    outcome: Outcome
    problems: tuple[str, ...] = ()
    started_at: float = field(default_factory=time.time)
    #: sha256 (hex) of the model file that answered (local models); ``None`` = a served
    #: model (openai, ollama), whose weights only its server knows.
    model_sha256: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


class CallLog(Protocol):
    def record(self, record: CallRecord) -> None: ...


@runtime_checkable
class MeteredCallLog(CallLog, Protocol):
    """A call log that also holds the calls to a token budget: ``allow`` is asked before
    every model call and raises ``BudgetExhausted`` when the call could overrun it."""

    def allow(self, agent: str, estimated_tokens: int) -> None: ...


class BudgetExhausted(AtelierError):
    """A model call would overrun the goal's token budget: nothing was sent."""

    def __init__(self, *, goal_id: int, budget: int, spent: int, needed: int,
                 agent: str) -> None:
        super().__init__(
            f"goal {goal_id}'s token budget is spent: {spent:,} of {budget:,} tokens used, "
            f"and the {agent} agent's next call may need up to {needed:,}",
            hint=f"members can raise it: `atelier budget propose {goal_id} --tokens "
            f"{max(budget * 2, spent + needed * 10):,}`".replace(",", "") + ", then vote; "
            "`atelier run resume RUN` (or the service) continues where the run stopped")
        self.goal_id, self.budget, self.spent, self.needed = goal_id, budget, spent, needed


class MemoryCallLog:
    """Keeps records in memory (tests, benchmarks, one-off CLI calls)."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self._lock = threading.Lock()

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self.records.append(record)


class JsonlCallLog:
    """Appends one JSON line per call to a file; a torn last line is skipped on read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, record: CallRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(record.to_json() + "\n")

    def read(self) -> list[CallRecord]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            data["problems"] = tuple(data.get("problems", ()))
            records.append(CallRecord(**data))
        return records
