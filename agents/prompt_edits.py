"""Edits to a prompt file's text that leave the rest of the file as it was: the marked block
of instructions at the end of the ``system:`` section, and single keys of the YAML front
matter.

A rewrite should differ from the file it rewrites only where it means to, so comments, key
order and layout are kept: the front matter is edited line by line where its layout allows,
and written out again from its data only where it does not (flow style, say); either way the
result must load as the intended data. The instruction block sits between
``{# editor: audit N #}`` and ``BLOCK_END`` (Jinja comments: they render to nothing), so a
later audit replaces the block instead of stacking another one.

These take plain text and values, not the editor's answer model (``atelier.agents.editor``
turns an answer into calls here), so the text surgery can be read and tested on its own. A
file that cannot take an edit raises ``EditRefused`` with a reason fit for a report.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from atelier.agents.prompt_syntax import FrontMatter, KeyPath, PromptFileError
from atelier.agents.prompt_template import scan_sections

#: One front matter edit: the key path, its value, and its YAML text (None for a list, which
#: is laid out where it is written).
Edit = tuple[KeyPath, Any, str | None]


class EditRefused(Exception):
    """The current file cannot take the edit (reported as the draft's drop reason)."""


def clean(text: str) -> str:
    """One line; a list number or bullet the model put in front is dropped (the block is
    one sentence a line already)."""
    return re.sub(r"^(\d{1,2}[.)]|[-*\u2022])\s+", "", " ".join(text.split()))


# -- the whole file -------------------------------------------------------------------------
def split(text: str) -> tuple[str, str]:
    """(front matter text, body) of a parsed file's normalized text."""
    lines = text.split("\n")
    close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == "---")
    return "\n".join(lines[1:close]) + "\n", "\n".join(lines[close + 1 :])


def bump_version(version: str, audit: int) -> str:
    """The next minor version ("1.0.0" -> "1.1.0", "2.3" -> "2.4", "1" -> "1.1"); a version
    not numbered that way gets an ``+editor.N`` suffix for audit N instead."""
    match = re.fullmatch(r"(\d+)(?:\.(\d+))?(\.\d+)?([-+].*)?", version)
    if match:
        major, minor = match.group(1), int(match.group(2) or 0) + 1
        return f"{major}.{minor}" + (".0" if match.group(3) else "")
    base = re.sub(r"\+editor\.\d+$", "", version)
    return f"{base}+editor.{audit}"[:64]


def number(value: float) -> str:
    """A sampling value as a change line shows it (1.0 as "1", 0.85 as "0.85")."""
    return f"{value:g}"


# -- the instruction block -------------------------------------------------------------------
BLOCK_END = "{# editor: end #}"
_BLOCK_START_RE = re.compile(r"^\s*\{#-?\s*editor:\s*audit\s+(\d+)\s*-?#\}\s*$")
_BLOCK_END_RE = re.compile(r"^\s*\{#-?\s*editor:\s*end\s*-?#\}\s*$")


def system_range(body: str, lines: list[str]) -> tuple[int, int]:
    """(start, end) indexes in ``lines`` (``body`` split) of the first section's text, the
    ``system:`` one, its marker line left out."""
    markers = scan_sections(body, 1, "<prompt>")
    return markers[0][0] + 1, markers[1][0] if len(markers) > 1 else len(lines)


def _blocks(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """(first, last) line indexes of each editor block in lines[start:end]."""
    found = []
    index = start
    while index < end:
        if _BLOCK_START_RE.match(lines[index]):
            close = next((j for j in range(index + 1, end) if _BLOCK_END_RE.match(lines[j])), None)
            if close is None:
                raise EditRefused(
                    f"the current prompt's editor block (body line {index + 1}) has no end "
                    f"line {BLOCK_END!r}; mend the file by hand before the editor edits it"
                )
            found.append((index, close))
            index = close
        index += 1
    return found


def _key(text: str) -> str:
    return clean(text).casefold()


def with_block(body: str, instructions: list[str], audit: int) -> tuple[str, list[str], list[str]]:
    """The body with this audit's block, the instructions added and those removed."""
    lines = body.split("\n")
    start, end = system_range(body, lines)
    blocks = _blocks(lines, start, end)
    inside = {i for first, last in blocks for i in range(first, last + 1)}
    old = [
        clean(lines[i])
        for first, last in blocks
        for i in range(first + 1, last)
        if lines[i].strip()
    ]
    outside = _key(" ".join(lines[i] for i in range(start, end) if i not in inside))
    new: list[str] = []
    for text in instructions:
        # An instruction the file already gives outside the block adds nothing.
        if text and _key(text) not in outside and _key(text) not in map(_key, new):
            new.append(text)
    if not new or [_key(t) for t in new] == [_key(t) for t in old]:
        return body, [], []  # nothing new: an earlier audit's block stays as it is
    block = [f"{{# editor: audit {audit} #}}", *new, BLOCK_END]
    if blocks:
        at = blocks[0][0]  # where the earlier block was: a person may have moved it there
    else:
        at = next(i for i in range(end - 1, start - 1, -1) if lines[i].strip()) + 1
    after = [line for i, line in enumerate(lines) if i >= at and i not in inside]
    old_keys = {_key(t) for t in old}
    new_keys = {_key(t) for t in new}
    added = [t for t in new if _key(t) not in old_keys]
    removed = [t for t in old if _key(t) not in new_keys]
    return "\n".join([*lines[:at], *block, *after]), added, removed


# -- front matter edits ----------------------------------------------------------------------
class _NotInPlace(Exception):
    """This front matter cannot take the edit line by line; it is written out again."""


def edit_front(front_text: str, edits: list[Edit]) -> str:
    """``front_text`` with each key path set to its value: line by line where the layout
    allows (comments and order kept), else the whole front matter written out from its data.
    Either way the result must load as the intended data, or the edit is refused."""
    expected = yaml.safe_load(front_text) or {}
    for path, value, _ in edits:
        _set(expected, path, value)
    try:
        lines = front_text.rstrip("\n").split("\n")
        for path, value, text in edits:
            lines = _set_line(lines, path, value, text)
        edited = "\n".join(lines) + "\n"
        if yaml.safe_load(edited) == expected:
            return edited
    except (_NotInPlace, yaml.YAMLError, PromptFileError):
        pass
    dumped = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=10**6)
    if yaml.safe_load(dumped) != expected:
        raise EditRefused("the editor could not write the draft's front matter")
    return dumped


def _set(data: dict[str, Any], path: KeyPath, value: Any) -> None:
    for key in path[:-1]:
        if not isinstance(data.get(key), dict):
            data[key] = {}
        data = data[key]
    data[path[-1]] = value


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


_KEY_LINE_RE = re.compile(r"^(?P<head>\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*):)(?P<rest>.*)$")


def _front(lines: list[str]) -> FrontMatter:
    front = FrontMatter("<front matter>")
    front.parse("\n".join(lines) + "\n")
    return front


def _set_line(lines: list[str], path: KeyPath, value: Any, text: str | None) -> list[str]:
    """``lines`` with the key at ``path`` set: its value replaced on its line, or a new line
    last in its parent mapping (made first where it is missing)."""
    rendered = _flow(value) if isinstance(value, list) else text
    front = _front(lines)
    if path not in front.lines:
        return _insert_key(_ensure(lines, path[:-1]), path, rendered)
    index = front.lines[path] - 2  # the front matter's first line is the file's second
    match = _KEY_LINE_RE.match(lines[index])
    if not match or match.group("key") != path[-1]:
        raise _NotInPlace
    rest = match.group("rest")
    comment = re.search(r"\s+#[^\"']*$", rest)
    tail = comment.group(0) if comment else ""
    old = rest[: len(rest) - len(tail)].strip()
    # A block list or mapping, an alias or a tag: rare in prompt files, written out again.
    if not old or old[0] in "{|>&*!" or (old[0] == "[") != isinstance(value, list):
        raise _NotInPlace
    return [*lines[:index], f"{match.group('head')} {rendered}{tail}", *lines[index + 1 :]]


def _ensure(lines: list[str], path: KeyPath) -> list[str]:
    """``lines`` with a (possibly empty) mapping at ``path``."""
    if not path or path in _front(lines).lines:
        return lines
    return _insert_key(_ensure(lines, path[:-1]), path, None)


def _insert_key(lines: list[str], path: KeyPath, rendered: str | None) -> list[str]:
    entry = f"{path[-1]}:" + ("" if rendered is None else f" {rendered}")
    parent = path[:-1]
    if not parent:
        return [*lines, entry]
    front = _front(lines)
    at = front.lines[parent] - 2
    match = _KEY_LINE_RE.match(lines[at])
    if (
        not match
        or match.group("key") != parent[-1]
        or re.sub(r"\s+#.*$", "", match.group("rest")).strip()
    ):
        raise _NotInPlace  # a flow mapping or some other value on the parent's line
    children = [
        front.lines[p] - 2
        for p in front.lines
        if len(p) == len(parent) + 1 and p[: len(parent)] == parent
    ]
    indent = _indent(lines[min(children)]) if children else _indent(lines[at]) + 2
    last = at
    for index in range(at + 1, len(lines)):
        if lines[index].strip():
            if _indent(lines[index]) <= _indent(lines[at]):
                break
            last = index
    return [*lines[: last + 1], " " * indent + entry, *lines[last + 1 :]]


def _flow(items: list[Any]) -> str:
    """A one-line YAML list; words stay bare, anything else is quoted."""
    shown = []
    for item in items:
        plain = isinstance(item, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", item)
        if plain and yaml.safe_load(item) == item:
            shown.append(item)
        else:
            shown.append(json.dumps(item, ensure_ascii=False))
    return "[" + ", ".join(shown) + "]"
