"""The store sink's database layer: one interface, SQLite (embedded) and PostgreSQL backends, versioned migrations.

``open_store(url)`` opens either backend and applies pending migrations; ``upgrade(url)`` only migrates.
"""

from pipeline.sinks.store.interface import (
    AgencyKeyExistsError,
    Store,
    StoreDataError,
    StoreError,
    StoreUnavailableError,
    open_store,
    upgrade,
)
from pipeline.sinks.store.query import (
    AgencyKey,
    ClusterMember,
    InvalidCursorError,
    StoryPage,
    StoryQuery,
    StoryWithHistory,
    WriteResult,
)

__all__ = [
    "AgencyKey",
    "AgencyKeyExistsError",
    "ClusterMember",
    "InvalidCursorError",
    "Store",
    "StoreDataError",
    "StoreError",
    "StoreUnavailableError",
    "StoryPage",
    "StoryQuery",
    "StoryWithHistory",
    "WriteResult",
    "open_store",
    "upgrade",
]
