"""The service's log lines: readable text on a terminal, or one JSON object a line for a log
collector (``--log-json``). Fields ride in ``extra={"fields": {...}}``."""

from __future__ import annotations

import json
import logging
import time
from typing import Any, TextIO

from atelier.kernel.text import printable


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}) or {})
        return json.dumps(entry, default=str)


class Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {}) or {}
        pairs = " ".join(f"{key}={printable(str(value))}" for key, value in fields.items())
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname.lower():7} {printable(record.getMessage())} {pairs}"
        return line.rstrip()


def configure(stream: TextIO, *, json_lines: bool, verbose: bool = False) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines() if json_lines else Text())
    logger = logging.getLogger("atelier.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
