"""Settings: one database URL chooses the backend (DESIGN §3).

``AGRITRACE_DB=sqlite:///path/agritrace.db`` (the default, ``var/agritrace.db``) or
``postgresql://user@host:port/db[?schema=name]``. The master key that seals server-held
signing keys comes from ``AGRITRACE_MASTER_KEY`` (64 hex digits) or a key file; for SQLite
the file defaults to one beside the database, created on first use with mode 0600.

An organisation's key history travels in every proof bundle that carries its records, so
its growth is bounded: ``AGRITRACE_MAX_ACTIVE_KEYS`` (default 16) active keys at once and
``AGRITRACE_MAX_NEW_KEYS_PER_DAY`` (default 10) keys added or rotated in any 24 hours.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import InvalidInput
from ledger.keys.secret_files import read_or_create_secret

__all__ = ["DEFAULT_DB", "Backend", "Settings", "parse_db_url"]

DEFAULT_DB = "sqlite:///var/agritrace.db"


@dataclass(frozen=True)
class Backend:
    """Where the event store and the read-model tables live."""

    kind: str  # "sqlite" or "postgres"
    eventsourcing_env: dict[str, str]
    sqlalchemy_url: str
    schema: str | None = None
    sqlite_path: Path | None = None


def parse_db_url(url: str) -> Backend:
    """Turn an ``AGRITRACE_DB`` URL into backend settings; raises ``InvalidInput``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw_path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ""
        if not raw_path or raw_path.startswith(":memory:"):
            raise InvalidInput("use sqlite:///path/to/file.db (a file; memory is not shared)",
                               field="db")
        path = Path(raw_path)
        return Backend(
            kind="sqlite",
            eventsourcing_env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "APPLICATION_RECORDER_TOPIC": "ledger.persistence.recorders:GuardedSQLiteRecorder",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
            },
            sqlalchemy_url=f"sqlite:///{path}",
            sqlite_path=path,
        )
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        query = parse_qs(parts.query)
        schema = query.get("schema", [None])[0]
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise InvalidInput("name the database: postgresql://user@host:5432/dbname",
                               field="db")
        user = unquote(parts.username or "postgres")
        password = unquote(parts.password or "")
        host = parts.hostname or "127.0.0.1"
        port = str(parts.port or 5432)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "ledger.persistence.recorders:GuardedPostgresRecorder",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": host,
            "POSTGRES_PORT": port,
            "POSTGRES_USER": user,
            "POSTGRES_PASSWORD": password,
            # Each process holds two pools (eventsourcing's and SQLAlchemy's); keep both
            # small so many workers and test stores fit PostgreSQL's connection limit.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        auth = user + (f":{parts.password}" if parts.password else "")
        return Backend(
            kind="postgres",
            eventsourcing_env=env,
            sqlalchemy_url=f"postgresql+psycopg://{auth}@{host}:{port}/{dbname}",
            schema=schema,
        )
    raise InvalidInput("must start with sqlite:/// or postgresql://", field="db")


@dataclass(frozen=True)
class Settings:
    """Everything the ledger needs to open its store."""

    db_url: str = DEFAULT_DB
    master_key: bytes = field(default=b"", repr=False)
    max_active_keys: int = 16
    max_new_keys_per_day: int = 10

    @classmethod
    def from_env(cls, db_url: str | None = None) -> Settings:
        url = db_url or os.environ.get("AGRITRACE_DB") or DEFAULT_DB
        backend = parse_db_url(url)
        return cls(db_url=url, master_key=_master_key(backend),
                   max_active_keys=_count("AGRITRACE_MAX_ACTIVE_KEYS", cls.max_active_keys),
                   max_new_keys_per_day=_count("AGRITRACE_MAX_NEW_KEYS_PER_DAY",
                                               cls.max_new_keys_per_day))

    @property
    def backend(self) -> Backend:
        return parse_db_url(self.db_url)


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment variable ``name``, else ``default``."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise InvalidInput("must be a whole number from 1 to 1000000", field=name)
    return int(text)


def _master_key(backend: Backend) -> bytes:
    text = os.environ.get("AGRITRACE_MASTER_KEY", "").strip()
    if text:
        try:
            key = bytes.fromhex(text)
        except ValueError as error:
            raise InvalidInput("must be 64 hex digits", field="AGRITRACE_MASTER_KEY") from error
        if len(key) != 32:
            raise InvalidInput("must be 64 hex digits (32 bytes)", field="AGRITRACE_MASTER_KEY")
        return key
    configured = os.environ.get("AGRITRACE_MASTER_KEY_FILE")
    if configured:
        path = Path(configured)
    elif backend.sqlite_path is not None:
        path = backend.sqlite_path.with_name(backend.sqlite_path.name + ".master-key")
    else:
        path = Path.home() / ".agritrace" / "master-key"
    return _key_file(path)


def _key_file(path: Path) -> bytes:
    text = read_or_create_secret(path, lambda: secrets.token_hex(32))
    try:
        key = bytes.fromhex(text)
    except ValueError as error:
        raise InvalidInput(f"{path} does not hold 64 hex digits",
                           field="AGRITRACE_MASTER_KEY_FILE") from error
    if len(key) != 32:
        raise InvalidInput(f"{path} does not hold 32 bytes", field="AGRITRACE_MASTER_KEY_FILE")
    return key
