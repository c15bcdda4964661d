"""The floors of the README's architecture section, proven on the source: every import of
every module (top-level, inside functions and under TYPE_CHECKING alike) is read with the
package-dir mapping of pyproject.toml applied, and an import that runs up a floor, or folders
that import each other in a loop, fail the test."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Bottom to top: a folder may import its own floor (without loops) and the floors below.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("kernel",),
    ("agents", "governance", "store", "pictures", "reader"),
    ("workflows",),
    ("service",),
    ("shell",),
)
#: Test doubles: outside the product, so no floor may import them.
OUTSIDE = ("testing",)


def package_folders() -> dict[str, Path]:
    """Import name -> folder, from pyproject.toml's [tool.setuptools] package-dir."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: ROOT / folder
            for name, folder in config["tool"]["setuptools"]["package-dir"].items()}


def folder_of(module: str, folders: dict[str, Path]) -> str | None:
    """The top-level folder (or "shell" for atelier/ itself) an import name lives in."""
    best = max((name for name in folders if module == name or module.startswith(name + ".")),
               key=len, default=None)
    if best is None:
        return None
    return "shell" if best == "atelier" else folders[best].name


def imports_in(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module) of every import in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from atelier import store` imports atelier.store: the deepest mapped name counts.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def dependencies() -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) -> where, for every cross-folder import."""
    folders = package_folders()
    found: dict[tuple[str, str], list[str]] = {}
    for name, folder in folders.items():
        for path in sorted(folder.rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            relative = path.relative_to(folder).with_suffix("")
            parts = [p for p in relative.parts if p != "__init__"]
            package = ".".join([name, *parts[:-1]]) if path.name != "__init__.py" else \
                ".".join([name, *parts])
            source = folder_of(".".join([name, *parts]), folders)
            for line, module in imports_in(path, package):
                target = folder_of(module, folders)
                if target is None or target == source or source is None:
                    continue
                where = f"{path.relative_to(ROOT)}:{line} imports {module}"
                found.setdefault((source, target), []).append(where)
    return found


def floor_of(folder: str) -> int:
    for index, members in enumerate(FLOORS):
        if folder in members:
            return index
    raise AssertionError(f"folder {folder!r} is on no floor: add it to FLOORS and the README")


def test_every_installed_folder_has_a_floor() -> None:
    for name, folder in package_folders().items():
        label = "shell" if name == "atelier" else folder.name
        if label not in OUTSIDE:
            floor_of(label)


def test_no_import_runs_up_a_floor_or_into_the_test_doubles() -> None:
    wrong = []
    for (source, target), where in sorted(dependencies().items()):
        if source in OUTSIDE:
            continue
        if target in OUTSIDE or floor_of(target) > floor_of(source):
            wrong += where
    assert not wrong, "imports against the floors:\n" + "\n".join(wrong)


def test_folders_import_each_other_in_no_loop() -> None:
    edges: dict[str, set[str]] = {}
    for source, target in dependencies():
        edges.setdefault(source, set()).add(target)

    def loop_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(edges.get(node, ())):
                if nxt == start:
                    return [*path, start]
                if nxt not in path:
                    stack.append((nxt, [*path, nxt]))
        return None

    loops = [loop for folder in sorted(edges) if (loop := loop_from(folder))]
    assert not loops, f"folders that import each other: {' -> '.join(loops[0])}"


@pytest.mark.parametrize(("source", "expected"), [
    ("from atelier.workflows.runner import Runner", "workflows"),
    ("import atelier.kernel.errors", "kernel"),
    ("from atelier import store", "store"),
    ("from atelier.cli.main import app", "shell"),
])
def test_imports_are_mapped_to_their_folders(tmp_path: Path, source: str,
                                             expected: str) -> None:
    """The walker itself: an import name lands in the folder package-dir maps it to."""
    path = tmp_path / "probe.py"
    path.write_text(f"def f():\n    {source}\n", encoding="utf-8")
    folders = package_folders()
    targets = {folder_of(module, folders) for _, module in imports_in(path, "atelier.probe")}
    assert expected in targets
