"""A governed studio ready to run (``atelier.testing.studio``): DAO deployed with the
founding prompts, the Lighthouse goal approved, working prompt files copied into the test
folder (so tests may edit them), the scripted cast selected in config.toml.

Founding a studio takes seconds of chain work, so each kind of studio is built once per test
session (in a temporary folder) and copied into every test that asks for it.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from atelier.studio import Studio
from atelier.testing import studio as testing
from atelier.testing.studio import FAST_GOVERNANCE as FAST
from atelier.testing.studio import MEMBERS, pass_proposal, with_provider

__all__ = ["FAST", "MEMBERS", "governed_studio", "ok", "pass_proposal", "studio_at",
           "with_provider"]

_templates: dict[tuple[int, int, str, str, str], Path] = {}
_template_root: Path | None = None


def governed_studio(folder: Path, *, episodes: int = 2, audit_every: int = 1,
                    extra_config: str = "", provider: str = "scripted",
                    curation: str = testing.NO_CURATION) -> Path:
    """config.toml of a studio in ``folder`` whose goal 1 is approved; returns its path."""
    key = (episodes, audit_every, extra_config, provider, curation)
    if key not in _templates:
        _templates[key] = testing.governed_studio(
            _new_template_folder(), episodes=episodes, audit_every=audit_every,
            extra_config=extra_config, provider=provider, curation=curation)
    for item in _templates[key].parent.iterdir():
        copy = shutil.copytree if item.is_dir() else shutil.copy2
        copy(item, folder / item.name)
    return folder / "config.toml"


def _new_template_folder() -> Path:
    global _template_root
    if _template_root is None:
        _template_root = Path(tempfile.mkdtemp(prefix="atelier-studio-templates-"))
        atexit.register(shutil.rmtree, _template_root, ignore_errors=True)
    folder = _template_root / str(len(_templates))
    folder.mkdir()
    return folder


def ok(result: object) -> None:
    code = getattr(result, "code", 0)
    assert code == 0, f"{getattr(result, 'out', '')}\n{getattr(result, 'err', '')}"


def studio_at(config: Path) -> Studio:
    return Studio.load(config)
