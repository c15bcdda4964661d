"""Live progress of a production run: a spinner on the current step, a line per result."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status

_OUTCOME = {"ok": "[green]✓[/]", "invalid": "[red]✗[/]", "semantic": "[red]✗[/]",
            "error": "[red]✗[/]"}


class RunProgress(AbstractContextManager["RunProgress"]):
    """Turns the graph's progress events into terminal output (``on_event``)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def __enter__(self) -> RunProgress:
        self._status = self.console.status("starting…")
        self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()

    def on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        show = getattr(self, f"_{kind}", None)
        if show is not None:
            show(event)

    def _say(self, text: str) -> None:
        self.console.print(text, soft_wrap=True)

    def _notice(self, e: dict[str, Any]) -> None:
        self._say(f"[yellow]![/] {escape(e['text'])}")

    def _governance(self, e: dict[str, Any]) -> None:
        prompts = ", ".join(f"{a} {h[:10]}…" for a, h in e["prompts"].items())
        self._say(f"[bold cyan]▸[/] goal {e['goal']}; approved prompts: {prompts}")

    def _episode(self, e: dict[str, Any]) -> None:
        self._say(f"[bold cyan]▸[/] [bold]episode {e['episode']}[/]")

    def _step(self, e: dict[str, Any]) -> None:
        where = f"episode {e['episode']}: " if e.get("episode") else ""
        if self._status is not None:
            self._status.update(f"{where}{e['agent']} — {escape(e['task'])}…")

    def _call(self, e: dict[str, Any]) -> None:
        attempts = f", {e['attempts']} attempts" if e["attempts"] > 1 else ""
        self._say(f"  {_OUTCOME.get(e['outcome'], '?')} {e['agent']}: {escape(e['task'])} "
                  f"[dim]{e['seconds']:.1f} s, {e['tokens']} tokens{attempts}[/]")

    def _review(self, e: dict[str, Any]) -> None:
        found = e["findings"]
        self._say(f"  [green]✓[/] review: {found} finding{'s' if found != 1 else ''}")

    def _published(self, e: dict[str, Any]) -> None:
        self._say(f"  [green]✓[/] published episode {e['episode']} "
                  f"“{escape(e['title'])}”: {e['files']} files")

    def _anchored(self, e: dict[str, Any]) -> None:
        if "skipped" in e:
            self._say(f"  [yellow]![/] episode {e['episode']} not anchored: {e['skipped']}")
            return
        sent = "" if e.get("sent") else " (already on the chain)"
        self._say(f"  [green]✓[/] anchored episode {e['episode']}'s {e['files']} files on the "
                  f"chain: Merkle root {e['root'][:14]}…{sent}")

    def _audit(self, e: dict[str, Any]) -> None:
        rewrites = ", ".join(e["prompts"]) or "no prompt rewrites"
        self._say(f"[bold cyan]▸[/] audit {e['index']}: proposal [bold]{e['proposal']}[/] "
                  f"opened ({rewrites})")

    def _ballot(self, e: dict[str, Any]) -> None:
        self._say(f"[bold cyan]▸[/] curation ballot [bold]{e['ballot']}[/]: members choose "
                  f"among {e['variants']} outlines of episode {e['episode']} "
                  f"(`atelier curate show {e['ballot']}`)")

    def _curated(self, e: dict[str, Any]) -> None:
        self._say(f"  [green]✓[/] ballot {e['ballot']}: the members chose variant "
                  f"{e['winner']}")

    def _editor(self, e: dict[str, Any]) -> None:
        mark = "[green]✓[/]" if e["drafted"] else "[yellow]![/]"
        self._say(f"  {mark} editor: {escape(e['agent'])}: {escape(e['text'])}")
