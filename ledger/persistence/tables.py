"""Tables beside the event store (SQLAlchemy 2): sealed signing keys and private values.

Nothing a verifier needs lives only here. The transparency log's tables, API tokens,
idempotency keys, read models and scan counts join this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

__all__ = [
    "RETIRED_TABLES",
    "api_tokens",
    "idempotency_keys",
    "log_checkpoints",
    "log_leaves",
    "log_nodes",
    "log_state",
    "lot_index",
    "metadata",
    "pairing_codes",
    "platform_notices",
    "private_values",
    "projection_state",
    "signing_keys",
    "token_events",
    "webhook_attempts",
    "webhook_outbox",
    "webhook_subscriptions",
]

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

# -- the transparency log (ledger.log) ----------------------------------------------------
# Leaf indices are dense and assigned by the integrator; a node is the RFC 9162 hash of the
# complete subtree of 2**level leaves starting at leaf node_index * 2**level (level 0 holds
# the leaf hashes). Leaves, nodes and state change together, in one transaction per batch.

log_leaves = Table(
    "agritrace_log_leaves",
    metadata,
    # On SQLite an INTEGER primary key is the rowid itself: one B-tree fewer to insert into.
    Column("leaf_index", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=False),
    Column("notification_id", BigInteger, nullable=False, unique=True),
    Column("record_hash", LargeBinary(32), nullable=False, unique=True),
)

log_nodes = Table(
    "agritrace_log_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("node_index", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,  # the primary key is the table: one B-tree per node insert
)

log_state = Table(
    "agritrace_log_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),  # always 1
    Column("size", BigInteger, nullable=False),  # leaves integrated
    Column("position", BigInteger, nullable=False),  # last integrated notification id
)

log_checkpoints = Table(
    "agritrace_log_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("note", Text, nullable=False),  # the signed note, with any cosignatures
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- access and read models ---------------------------------------------------------------

api_tokens = Table(
    "agritrace_api_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("org_id", String(40), nullable=True, index=True),  # NULL for an admin token
    Column("admin", Boolean, nullable=False),
    Column("secret_sha256", LargeBinary(32), nullable=False),
    Column("label", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Every issuance and revocation of a token, appended in the same transaction as the change
# and never updated or deleted (``ledger.access.tokens``): who did it, for whom, with which roles,
# when. Neither the secret nor its hash.
token_events = Table(
    "agritrace_token_events",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(16), nullable=False),  # issued, revoked
    Column("token_id", String(16), nullable=False, index=True),
    Column("org_id", String(40), nullable=True, index=True),  # NULL for an admin token
    Column("admin", Boolean, nullable=False),
    Column("roles", String(200), nullable=False),  # the organisation's roles, space-separated
    Column("label", String(120), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("by", String(200), nullable=False),  # an admin token, an organisation's, a user
)

# A client's Idempotency-Key, per organisation (``ledger.persistence.idempotency``): the request it
# named
# (an HMAC of its method, path and body; NULL once a private value it may have carried is
# erased), the chain it is on (NULL: several), the claim running it and until when, and,
# stored in the same transaction as its records, what it recorded (NULL while it runs).
idempotency_keys = Table(
    "agritrace_idempotent_requests",
    metadata,
    Column("scope", String(40), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", LargeBinary(32), nullable=True),
    Column("chain", String(48), nullable=True, index=True),
    Column("owner", String(32), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("outcome", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# Tables earlier versions kept and this one drops when it opens a store: the idempotency
# keys whose fingerprints were unkeyed SHA-256 (a guessed name could be tested against them).
RETIRED_TABLES = ("agritrace_idempotency_keys",)

# One row per lot, rebuilt from the lot aggregates; search reads it, verification never does.
lot_index = Table(
    "agritrace_lot_index",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("product", String(80), nullable=False, index=True),
    Column("variety", String(80), nullable=True),
    Column("grade", String(40), nullable=True),
    Column("gtin", String(14), nullable=True, index=True),
    Column("province", String(40), nullable=False),
    Column("city", String(40), nullable=False),
    Column("county", String(40), nullable=False, index=True),
    Column("producer", String(40), nullable=False, index=True),
    Column("custodian", String(40), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("started_at", String(32), nullable=False, index=True),
    Column("updated_at", String(32), nullable=False),
    Column("records", Integer, nullable=False),
)

projection_state = Table(
    "agritrace_projection_state",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("position", BigInteger, nullable=False),  # last notification id applied
)

# -- devices that sign (ledger.devices) -----------------------------------------------------
# A one-time pairing code: only its SHA-256 is kept, with the organisation it pairs a device
# to and until when. Redeeming it fills in the device's key and token; a code is redeemed once.
pairing_codes = Table(
    "agritrace_pairing_codes",
    metadata,
    Column("code_sha256", LargeBinary(32), primary_key=True),
    Column("org_id", String(40), nullable=False, index=True),
    Column("label", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("key_id", String(16), nullable=True, unique=True),
    Column("token_id", String(16), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# -- scans of serialised units (ledger.consumer.scans) ------------------------------------
# How often each serialised unit's code was resolved, per UTC day: no address, no agent, no
# finer time, so a count says nothing about who scanned it.
scan_counts = Table(
    "agritrace_scan_counts",
    metadata,
    Column("gtin", String(14), primary_key=True),
    Column("lot", String(20), primary_key=True),
    Column("serial", String(20), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("scans", BigInteger, nullable=False),
)

# -- a cooperative's lists for its forms (ledger.coopsettings) -----------------------------
# Its varieties per product and its protective price per product, as one JSON document per
# organisation: what the recording app offers and pre-fills, not a rule of the ledger.
org_settings = Table(
    "agritrace_org_settings",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("settings_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# -- platform notices and webhooks (ledger.platform) ---------------------------------------
# Times are milliseconds since the epoch (UTC): the rows below are written both through
# SQLAlchemy and by the event recorders' own cursors, inside the events' transaction
# (``ledger.persistence.recorders``), and an integer reads back alike everywhere.

# One row per notice (``ledger.platform.notices``): written with the record that causes it.
platform_notices = Table(
    "agritrace_platform_notices",
    metadata,
    Column("notice_id", String(64), primary_key=True),  # the record's hash, hex
    Column("record_hash", LargeBinary(32), nullable=False, unique=True),
    Column("notice_json", Text, nullable=False),  # the notice without its leaf index
    Column("created_ms", BigInteger, nullable=False),
)

# A platform's webhook: where to, what it lists, and its signing secret sealed under a key
# derived from the master key (``ledger.platform.subscriptions``). Deleting sets deleted_ms.
webhook_subscriptions = Table(
    "agritrace_webhook_subscriptions",
    metadata,
    Column("subscription_id", String(24), primary_key=True),
    Column("owner", String(40), nullable=True, index=True),  # NULL: made by an admin token
    Column("url", Text, nullable=False),
    Column("filters_json", Text, nullable=False),  # {"gtins", "orgs", "lots", "everything"}
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("deleted_ms", BigInteger, nullable=True),
)

# One row per (notice, subscription), inserted in the transaction of the notice's record.
# ``delivery_id`` is the webhook-id the receiver sees. ``status``: pending (never tried),
# retrying, delivered, dead (gave up after the horizon from ``since_ms``, creation or
# replay), cancelled (its subscription was deleted). A worker holds a row while
# ``lease_until_ms`` is ahead, as ``lease_owner``.
webhook_outbox = Table(
    "agritrace_webhook_outbox",
    metadata,
    Column("delivery_id", String(40), primary_key=True),
    Column("subscription_id", String(24), nullable=False, index=True),
    Column("owner", String(40), nullable=True, index=True),
    Column("notice_id", String(64), nullable=False, index=True),
    Column("status", String(12), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False, index=True),
    Column("lease_owner", String(32), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("since_ms", BigInteger, nullable=False),
    Column("delivered_ms", BigInteger, nullable=True),
)

# Every attempt to deliver: when, how long, and the answer's status code or the error.
webhook_attempts = Table(
    "agritrace_webhook_attempts",
    metadata,
    Column("attempt_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("delivery_id", String(40), nullable=False, index=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(300), nullable=True),
)
