"""A curation ballot's page in the reader: the outline variants members choose from, and once
the ballot closes, the weight each got and the tally root (``run-N/episode-NN/ballot.html``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from atelier.reader.site import READER_AGENT, render_page, write_page
from atelier.reader.views import ballot_path, index_path

if TYPE_CHECKING:
    from atelier.store.database import Store
    from atelier.store.models import Asset, Ballot


@dataclass(frozen=True)
class VariantView:
    number: int  # 1-based, as members vote
    title: str
    summary: str
    scenes: tuple[dict[str, Any], ...]
    weight: int


@dataclass(frozen=True)
class _Run:
    """What the page's frame shows of the run (a ballot page needs no more of it)."""

    run_id: int
    series_title: str
    path: str



def publish_ballot(store: Store, assets_dir: Path, ballot: Ballot) -> Asset:
    """Write the ballot's page and record it as an asset (kind ``reader_ballot``)."""
    from atelier.store.models import Asset

    run = store.run(ballot.run_id)
    view = _Run(run_id=ballot.run_id, series_title=run.goal_title, path=index_path(run.id or 0))
    weights = list(ballot.tally) or [0] * len(ballot.variants)
    variants = [
        VariantView(number=i + 1, title=str(v.get("title") or ""),
                    summary=str(v.get("summary") or ""),
                    scenes=tuple(v.get("scenes") or ()), weight=weights[i] if i < len(weights)
                    else 0)
        for i, v in enumerate(ballot.variants)
    ]
    path = ballot_path(ballot.run_id, ballot.episode)
    data = render_page("ballot.html", view, path, ballot=ballot, variants=variants)
    digest = write_page(assets_dir / path, data)
    return store.put_asset(Asset(
        run_id=ballot.run_id, episode=ballot.episode, kind="reader_ballot", path=path,
        sha256=digest, agent=READER_AGENT, goal_id=run.goal_id, proposal_ids=[]))
