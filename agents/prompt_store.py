"""A content-addressed store of every prompt version ever proposed or approved.

Layout of the store folder (the caller passes ``<workspace>/prompts``)::

    objects/<64 hex digits>.prompty   normalized prompt text; the name is its keccak256
    history.jsonl                     append-only: one JSON object per line, one line per event
    .history.lock                     serializes appends between processes

Objects are written atomically (temporary file, fsync, rename) and never change: a run asks
for the approved hash and gets exactly that text, whatever happens to the working file.
``get`` re-hashes what it reads, so an edited object is reported, not used.

A history line is ``{"agent", "content_hash", "event", "proposal", "note", "at"}`` with
``content_hash`` as ``0x`` + hex and ``at`` in Unix seconds. Each append is flushed and
fsynced. A last line with no newline (a process killed mid-write) is ignored on read and cut
off before the next append; any other unreadable line is reported as corruption.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer, field_validator

from atelier.agents.prompt_file import (
    PromptFile,
    PromptFileError,
    normalize_prompt_text,
    parse_prompt,
    prompt_hash,
)
from atelier.kernel.errors import AtelierError

__all__ = ["PromptEvent", "PromptStore", "PromptStoreError", "PromptVersionRecord"]

PromptEvent = Literal["proposed", "approved", "rejected"]

_AGENT_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_HEX_RE = re.compile(r"^0x[0-9a-f]{64}$")


class PromptStoreError(AtelierError):
    """A prompt version is missing or damaged, or the history cannot be read or written."""


class PromptVersionRecord(BaseModel):
    """One history event: ``content_hash`` was proposed, approved or rejected for ``agent``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agent: str
    content_hash: bytes
    event: PromptEvent
    proposal: str | None = None
    note: str = ""
    at: float

    @property
    def hash_hex(self) -> str:
        return "0x" + self.content_hash.hex()

    @field_validator("content_hash", mode="before")
    @classmethod
    def _from_hex(cls, value: object) -> object:
        if isinstance(value, str):
            if not _HEX_RE.match(value):
                raise ValueError("expected 0x followed by 64 lowercase hex digits")
            return bytes.fromhex(value[2:])
        return value

    @field_validator("content_hash")
    @classmethod
    def _length(cls, value: bytes) -> bytes:
        if len(value) != 32:
            raise ValueError("a content hash is 32 bytes")
        return value

    @field_serializer("content_hash")
    def _to_hex(self, value: bytes) -> str:
        return "0x" + value.hex()


class PromptStore:
    """Prompt versions by content hash, plus the per-agent history of what happened to them."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.history_path = self.root / "history.jsonl"
        self._lock_path = self.root / ".history.lock"

    # --- objects ---------------------------------------------------------------------------

    def object_path(self, content_hash: bytes) -> Path:
        return self.objects / f"{_hex(content_hash)}.prompty"

    def put(self, raw_or_normalized: bytes | str, *, source: str = "<prompt>") -> bytes:
        """Validate and store a prompt version; return its content hash. Idempotent.

        The text is normalized first (so CRLF and LF copies are one object) and must parse as
        a prompt file (``PromptFileError`` otherwise): only usable versions get a hash.
        """
        text = normalize_prompt_text(raw_or_normalized, source=source)
        prompt = parse_prompt(text, source=source)
        data = text.encode("utf-8")
        target = self.object_path(prompt.content_hash)
        try:
            if target.is_file() and target.read_bytes() == data:
                return prompt.content_hash
            self.objects.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".prompty", dir=self.objects)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)  # also repairs a damaged object of the same name
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(self.objects)
        except OSError as exc:
            raise PromptStoreError(
                f"cannot write prompt version {_hex0x(prompt.content_hash)} to {self.objects}: "
                f"{exc.strerror or exc}",
                hint="check that the workspace folder exists and is writable",
            ) from exc
        return prompt.content_hash

    def has(self, content_hash: bytes) -> bool:
        return self.object_path(content_hash).is_file()

    def get(self, content_hash: bytes) -> PromptFile:
        """The stored version with this hash, re-hashed and parsed."""
        path = self.object_path(content_hash)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise PromptStoreError(
                f"prompt version {_hex0x(content_hash)} is not in the store at {self.root}",
                hint="it was never proposed from this workspace: propose the prompt file again "
                "(atelier prompts propose) or copy objects/"
                f"{_hex(content_hash)}.prompty from the workspace that proposed it",
            ) from None
        except OSError as exc:
            raise PromptStoreError(
                f"cannot read prompt version {_hex0x(content_hash)} at {path}: "
                f"{exc.strerror or exc}",
                hint="check the store folder's permissions",
            ) from exc
        try:
            actual = "0x" + prompt_hash(data).hex()
        except PromptFileError:
            actual = "nothing (it is not UTF-8 any more)"
        if actual != _hex0x(content_hash):
            raise PromptStoreError(
                f"prompt version {_hex0x(content_hash)} at {path} was modified: its text now "
                f"hashes to {actual}",
                hint="objects never change; restore it with put() of the approved text, or "
                "copy it from a backup or another workspace",
            )
        return parse_prompt(data, source=str(path), path=path)

    # --- history ---------------------------------------------------------------------------

    def record(
        self,
        agent: str,
        content_hash: bytes,
        *,
        event: PromptEvent,
        proposal: str | None = None,
        note: str = "",
    ) -> PromptVersionRecord:
        """Append one event to the history (flushed and fsynced before returning)."""
        _check_agent(agent)
        if not self.has(content_hash):
            raise PromptStoreError(
                f"cannot record {event} for {agent}: prompt version {_hex0x(content_hash)} "
                "is not in the store",
                hint="put() the prompt text first, so the version can always be read back",
            )
        try:
            entry = PromptVersionRecord(
                agent=agent,
                content_hash=content_hash,
                event=event,
                proposal=proposal,
                note=note,
                at=time.time(),
            )
        except ValidationError as exc:
            raise PromptStoreError(
                f"cannot record prompt event: {exc.errors()[0]['msg']}"
            ) from None
        line = (json.dumps(entry.model_dump(mode="json"), ensure_ascii=False) + "\n").encode()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with FileLock(self._lock_path), open(self.history_path, "ab+") as handle:
                _cut_torn_tail(handle)
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise PromptStoreError(
                f"cannot append to {self.history_path}: {exc.strerror or exc}",
                hint="check that the workspace folder exists and is writable",
            ) from exc
        return entry

    def history(self, agent: str | None = None) -> list[PromptVersionRecord]:
        """Events for ``agent`` (all agents when ``None``), oldest first."""
        if agent is not None:
            _check_agent(agent)
        try:
            data = self.history_path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise PromptStoreError(
                f"cannot read {self.history_path}: {exc.strerror or exc}"
            ) from exc
        lines = data.split(b"\n")
        lines.pop()  # after the last newline: empty, or a torn line still being written
        records: list[PromptVersionRecord] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                entry = PromptVersionRecord.model_validate_json(raw)
            except ValidationError as exc:
                raise PromptStoreError(
                    f"{self.history_path}:{number}: history line is damaged "
                    f"({exc.errors()[0]['msg']})",
                    hint="the history is append-only: restore the file from a backup, or "
                    "remove that line if you know what it was",
                ) from None
            if agent is None or entry.agent == agent:
                records.append(entry)
        return records

    def latest(self, agent: str, event: PromptEvent = "approved") -> PromptVersionRecord | None:
        """The most recent ``event`` (by default: approval) for ``agent``, or ``None``."""
        matching = [r for r in self.history(agent) if r.event == event]
        return matching[-1] if matching else None


def _cut_torn_tail(handle: io.BufferedRandom) -> None:
    """Drop a last line that has no newline (a writer died mid-line) before appending."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return
    handle.seek(size - 1)
    if handle.read(1) == b"\n":
        return
    # Find the last newline; everything after it is the torn fragment.
    block = 4096
    pos = size
    keep = 0
    while pos > 0:
        start = max(0, pos - block)
        handle.seek(start)
        chunk = handle.read(pos - start)
        index = chunk.rfind(b"\n")
        if index >= 0:
            keep = start + index + 1
            break
        pos = start
    handle.truncate(keep)
    handle.seek(0, os.SEEK_END)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_agent(agent: str) -> None:
    if not _AGENT_RE.match(agent):
        raise PromptStoreError(
            f"{agent!r} is not a valid agent name",
            hint="use lowercase letters, digits, '-' or '_' (e.g. scriptwriter)",
        )


def _hex(content_hash: bytes) -> str:
    if not isinstance(content_hash, bytes) or len(content_hash) != 32:
        raise PromptStoreError(
            f"{content_hash!r} is not a content hash",
            hint="a content hash is 32 bytes (keccak256 of the normalized prompt text)",
        )
    return content_hash.hex()


def _hex0x(content_hash: bytes) -> str:
    return "0x" + _hex(content_hash)
