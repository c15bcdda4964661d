"""Console output shared by the command modules: Rich for people, JSON for scripts.

Every character either console writes passes through :class:`PrintableOnly`, so text from
the chain, a member or a model (titles, comments, reports, node errors) cannot steer the
reader's terminal: the one boundary, whatever printer or table the text went through.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, RenderHook
from rich.segment import Segment

from atelier.cli.params import MAX_ROW_ID, BoundedInt
from atelier.kernel.text import printable

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, ConsoleRenderable, RenderResult


class _Printable:
    """A renderable whose text segments lose their control characters; Rich's own control
    segments (cursor moves of a progress display) and styles are kept."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.inner, options):
            if segment.control or segment.text.isprintable():
                yield segment
            else:
                yield Segment(printable(segment.text), segment.style)


class PrintableOnly(RenderHook):
    """Wraps everything a console prints in :class:`_Printable`."""

    def process_renderables(
        self, renderables: list[ConsoleRenderable]
    ) -> list[ConsoleRenderable]:
        return [_Printable(r) for r in renderables]


def _console(**options: Any) -> Console:
    made = Console(highlight=False, **options)
    made.push_render_hook(PrintableOnly())
    return made


#: --limit and --offset: what SQL's LIMIT and OFFSET take.
ROW_COUNT = BoundedInt("number of rows", 0, MAX_ROW_ID)

console = _console()
err_console = _console(stderr=True)


def emit_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (bytes as 0x-hex, big ints kept exact)."""
    sys.stdout.write(json.dumps(data, indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if hasattr(value, "name") and hasattr(value, "value"):  # enums
        return value.name
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short_hash(value: bytes | int, width: int = 10) -> str:
    text = "0x" + value.hex() if isinstance(value, bytes) else f"{value:#x}"
    return text[: width + 2] + "…"


def limit_option(table_default: int) -> Any:
    """The ``--limit`` option of a listing whose table shows ``table_default`` rows."""
    return Annotated[int | None, typer.Option(
        "--limit", parser=ROW_COUNT, help=f"Show at most this many (default: {table_default} "
        "in the table, all with --json; 0: all).")]


def offset_option() -> Any:
    return Annotated[int, typer.Option("--offset", parser=ROW_COUNT,
                                       help="Skip this many first.")]


def page_size(limit: int | None, as_json: bool, *, table_default: int) -> int | None:
    """Rows a listing shows: ``--limit`` (0: all); unset, a table's default page, or every
    row for ``--json`` (a script reading JSON should not be cut short by a default)."""
    if limit is None:
        return None if as_json else table_default
    return limit or None


def print_page_note(shown: int, offset: int, total: int, what: str) -> None:
    """Under a paged table: which rows it showed and how to see the rest."""
    if shown and (offset or shown < total):
        more = f"; the next with --offset {offset + shown}" if offset + shown < total else ""
        console.print(f"[dim]{what} {offset + 1} to {offset + shown} of {total:,}{more}[/]")
