"""Anchor a published episode on the chain: its files become the leaves of a
StandardMerkleTree (path below the run folder, sha256 the store recorded) and the root goes
to the studio's provenance registry in one transaction, with the run, the goal's proposal
and the prompt hashes in force.

``publish`` calls it after every file of the episode is recorded. LangGraph re-runs an
interrupted node from its start, so this is idempotent: an episode whose root is in the
store is done; otherwise the registry is asked first (``ProvenanceRegistry.anchor``), so a
crash between the transaction and the store's row re-anchors nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atelier.workflows.context import emit

if TYPE_CHECKING:
    from langgraph.runtime import Runtime

    from atelier.store.database import Store
    from atelier.workflows.context import RunContext
    from atelier.workflows.state import RunState


def episode_leaves(store: Store, run_id: int, number: int) -> list[tuple[str, bytes]]:
    """The episode's files as leaves: (path below ``run-N/``, sha256), in path order."""
    prefix = f"run-{run_id}/"
    return sorted((a.path.removeprefix(prefix), bytes.fromhex(a.sha256))
                  for a in store.assets(run_id, number))


def anchor_episode(state: RunState, runtime: Runtime[RunContext]) -> str | None:
    """Anchor the episode's files once; its root (hex), anchored now or before, or the root
    its files have on a studio founded before the registry existed; None without files."""
    from atelier.governance.merkle import StandardMerkleTree
    from atelier.governance.provenance import studio_provenance
    from atelier.workflows.audit import run_key

    studio, store = runtime.context.get_studio(), runtime.context.get_store()
    run_id, number = state["run_id"], state["episode"]
    episode = store.episode(run_id, number)
    if episode is None or episode.provenance_root is not None:
        return episode.provenance_root if episode is not None else None
    leaves = episode_leaves(store, run_id, number)
    if not leaves:
        return None
    tree = StandardMerkleTree.of(leaves)
    root = "0x" + tree.root.hex()
    run = store.run(run_id)
    with studio.session() as dao:
        if dao.deployment.provenance is None:  # a studio founded before provenance existed
            emit("anchored", episode=number, skipped="this studio has no provenance registry")
            return root
        proposals = state.get("proposal_ids") or []
        goal_proposal = dao.proposal(proposals[0]).id if proposals else 0
        done = studio_provenance(dao).anchor(
            studio.operator(), root=tree.root, run_key=run_key(run), run=run_id,
            episode=number, leaf_count=len(leaves), goal_proposal_id=goal_proposal,
            prompts=dict(state.get("prompts") or {}),
        )
    store.set_provenance(run_id, number, root=root, tx=done.tx,
                         leaves=[[path, digest.hex()] for path, digest in leaves])
    emit("anchored", episode=number, root=root, files=len(leaves), tx=done.tx,
         sent=done.gas_used is not None)
    return root
