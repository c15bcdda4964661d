"""The studio's database (runs, episodes, assets, audits, model calls, members' reviews and
curation ballots) and run checkpoints."""

from atelier.store.community import Superseded
from atelier.store.database import Store, StoreCallLog, database_url
from atelier.store.errors import StoreError
from atelier.store.models import (
    Asset,
    Audit,
    Ballot,
    CurationVote,
    Episode,
    ModelCall,
    Review,
    Run,
)

__all__ = [
    "Asset",
    "Audit",
    "Ballot",
    "CurationVote",
    "Episode",
    "ModelCall",
    "Review",
    "Run",
    "Store",
    "StoreCallLog",
    "StoreError",
    "Superseded",
    "database_url",
]
