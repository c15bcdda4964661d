"""The studio's database (runs, episodes, assets, audits, model calls) and run checkpoints."""

from atelier.store.database import Store, StoreCallLog, database_url
from atelier.store.errors import StoreError
from atelier.store.models import Asset, Audit, Episode, ModelCall, Run

__all__ = [
    "Asset",
    "Audit",
    "Episode",
    "ModelCall",
    "Run",
    "Store",
    "StoreCallLog",
    "StoreError",
    "database_url",
]
