"""The ethics committee's findings on an audit proposal (see ``atelier.kernel.compliance``).

An audit proposal carries model-written text (episode titles and summaries, the scripts and
bible the agents wrote, review findings, the editor's rationale) and prompt rewrites. They
are checked for prompt-injection patterns, secrets and personal data; secret-shaped values
are replaced in the report before it goes on-chain (the proposed prompt texts stay exact:
their hash is what the vote approves); the models and prompt versions of the window's calls
are listed. Everything is read from the store and the asset files, so the same audit gives
the same description byte for byte (its proposal id depends on it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from atelier.kernel.compliance import Finding, check_texts, redact_secrets, section, sources_of

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Run
    from atelier.workflows.audit import AuditReport
    from atelier.workflows.context import StudioServices

# A proposed prompt's full text: hashed, so never rewritten (see workflows.prompt_versions).
_PROMPT_BLOCK = re.compile(r"(````prompty agent=[a-z_]+ hash=0x[0-9a-f]{64}\n.*?\n````)",
                           re.DOTALL)
#: The largest asset file read for its texts (agents' JSON is a few kilobytes).
MAX_ASSET_BYTES = 1_000_000


def with_compliance(description: str, studio: StudioServices, store: Store, run: Run,
                    report: AuditReport) -> str:
    """``description`` with secret-shaped values redacted outside the prompt texts, and the
    "## Compliance findings" section appended."""
    first, last = report.episodes
    texts = list(_model_texts(studio, store, run, report))
    findings: list[Finding] = check_texts(texts)
    findings += check_texts([(f"the proposed {r.agent} prompt ({r.label})",
                              r.proposed.normalized_text) for r in report.rewrites],
                            prompt_file=True)
    calls = [c for c in store.calls(run.id)
             if (first <= c.episode <= last if c.episode is not None else first == 1)]
    sources = sources_of((c.provider, c.model, c.agent, c.prompt_hash) for c in calls)
    checked = [f"the model-written texts of {_covered(first, last)} (episode titles, "
               "summaries, findings, the agents' JSON assets, the editor's rationale), member "
               "comments, audit notes and each proposed prompt; secret-shaped values in the "
               "report above are replaced by [redacted]"]
    parts = _PROMPT_BLOCK.split(description)  # odd items are prompt blocks: kept exact
    redacted = "".join(part if i % 2 else redact_secrets(part) for i, part in enumerate(parts))
    return redacted.rstrip("\n") + "\n\n" + section(
        findings, checked, sources, no_model="No model call was logged in this window.",
        source_notes=_model_notes({(s.provider, s.model) for s in sources}))


def _model_notes(models: set[tuple[str, str]]) -> list[str]:
    """Where each model came from, as far as the studio knows (the weights' origin)."""
    from atelier.agents.models.catalog import DEFAULT_MODEL, KNOWN_MODELS

    notes = []
    known = {m.file_name: m for m in KNOWN_MODELS.values()}
    for model in KNOWN_MODELS.values():
        if ("local", model.file_name) in models:
            what = "the bundled model" if model is DEFAULT_MODEL else "a known model"
            notes.append(f"`{model.file_name}` is {what}: {model.origin}, run in-process by "
                         "llama.cpp; its file was checked against a pinned sha256.")
    if any(p == "local" and m not in known for p, m in models):
        notes.append("Other local models are GGUF files the operator configured "
                     "(`[models.local] gguf` in config.toml); the call log records each "
                     "file's sha256.")
    if any(p not in ("local", "scripted") for p, _ in models):
        notes.append("Remote providers are servers the operator configured; their weights "
                     "and training data are theirs to disclose.")
    return notes


def _model_texts(studio: StudioServices, store: Store, run: Run, report: AuditReport
                 ) -> Iterator[tuple[str, str]]:
    first, last = report.episodes
    for episode in store.episodes(run.id):
        if first <= episode.number <= last:
            yield f"episode {episode.number} title", episode.title
            yield f"episode {episode.number} summary", episode.summary
            yield f"episode {episode.number} findings", "\n".join(episode.findings)
    for asset in store.assets(run.id):
        in_window = (first <= asset.episode <= last if asset.episode is not None
                     else first == 1)
        if in_window and asset.agent and asset.path.endswith(".json"):
            where = f"the {asset.kind} {asset.path}"
            yield where, "\n".join(_strings(_read_json(studio, asset.path)))
    for rewrite in report.rewrites:
        yield (f"the {rewrite.agent} rewrite's rationale",
               "\n".join([rewrite.rationale, *rewrite.changes]))
    for comment in report.comments:
        yield f"episode {comment.episode} comment by {comment.member}", comment.text
    yield "the audit notes", "\n".join(report.notes)


def _read_json(studio: StudioServices, relative: str) -> Any:
    path = studio.assets_dir / relative
    try:
        if path.stat().st_size > MAX_ASSET_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a missing or broken file has no text to check
        return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _covered(first: int, last: int) -> str:
    return f"episode {first}" if first == last else f"episodes {first} to {last}"
