"""Tables beside the event store (SQLAlchemy 2): sealed signing keys and private values.

Nothing a verifier needs lives only here. Tables that later issues add (log nodes,
checkpoints, tokens, read models) join this metadata.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, Text

__all__ = ["metadata", "private_values", "signing_keys"]

metadata = MetaData()

signing_keys = Table(
    "agritrace_signing_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("org_id", String(40), nullable=False, index=True),
    Column("sealed_private_key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

private_values = Table(
    "agritrace_private_values",
    metadata,
    Column("commitment", String(64), primary_key=True),
    Column("chain", String(48), nullable=False, index=True),
    Column("value_json", Text, nullable=True),
    Column("salt", LargeBinary, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)
