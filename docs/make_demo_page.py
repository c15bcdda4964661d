"""Render the demo page shown in the README: page 1 of episode 1 as `atelier demo` draws it,
written by the bundled SmolLM2-135M with the founding prompts. The prompt files fix the
seeds (scriptwriter 7, designer 11, layout's own), so the same model, prompts and code give
the same script; the page shows what the bundled model really writes, unedited.

    uv run python docs/make_demo_page.py   # runs the demo (~4 min), writes docs/demo-page.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "demo-page.png")
    args = parser.parse_args()
    atelier = Path(sys.executable).with_name("atelier")
    with tempfile.TemporaryDirectory(prefix="atelier-demo-page-") as tmp:
        workspace = Path(tmp) / "studio"
        subprocess.run([str(atelier), "demo", "--workspace", str(workspace)],
                       cwd=HERE.parent, check=True, stdout=subprocess.DEVNULL)
        [page] = sorted(workspace.glob("assets/run-*/episode-01/page-01.png"))
        shutil.copyfile(page, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
