"""Start and stop a real anvil node (npm ``@foundry-rs/anvil-linux-amd64``) on loopback.

Used by the tests and the benchmarks; anvil is opt-in and never the pip user's default.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from atelier.kernel.errors import ChainUnavailable

_REPO_BIN = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "anvil"


def find_anvil() -> Path | None:
    """anvil from governance/node_modules (``npm ci`` there), else from PATH."""
    if _REPO_BIN.exists():
        return _REPO_BIN
    found = shutil.which("anvil")
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_anvil(*, block_gas_limit: int = 30_000_000) -> Iterator[str]:
    """Run anvil on 127.0.0.1 at a free port; yields its URL; stops it on exit."""
    binary = find_anvil()
    if binary is None:
        raise ChainUnavailable(
            "anvil is not installed", hint="run `npm ci` in governance/ (it pins anvil)"
        )
    port = _free_port()
    process = subprocess.Popen(
        [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", "31337",
         "--gas-limit", str(block_gas_limit), "--hardfork", "prague"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    # anvil blocks once its stdout pipe fills: drain it for its whole life.
    assert process.stdout is not None
    drain = threading.Thread(target=process.stdout.read, daemon=True)
    drain.start()
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ChainUnavailable("anvil did not start") from None
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
