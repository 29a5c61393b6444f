"""Persistence for the mock systems: records, journal, outbox and inbox, behind one small interface.

One SQLite database per system: a file by default (records survive a restart) or ``:memory:``
for speed. Every write goes through ``transaction()``: either all of it lands or none of it.
Records are JSON documents keyed by (kind, id); the mocks are small enough that filtering in
Python is simpler than a schema per resource.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, channel TEXT NOT NULL,
    summary TEXT NOT NULL, body TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL, wire TEXT NOT NULL,
    path TEXT NOT NULL, body TEXT NOT NULL, key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, delivered_at TEXT);
CREATE TABLE IF NOT EXISTS inbox (key TEXT PRIMARY KEY, result TEXT NOT NULL);
"""


class Tx:
    """The operations available inside one transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def get(self, kind: str, id: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT doc FROM records WHERE kind = ? AND id = ?", (kind, int(id))
        ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT doc FROM records WHERE kind = ? ORDER BY id", (kind,))
        return [json.loads(doc) for (doc,) in rows]

    def find(self, kind: str, **equal: Any) -> list[dict[str, Any]]:
        return [d for d in self.all(kind) if all(d.get(k) == v for k, v in equal.items())]

    def insert(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Store ``doc`` under the next id of ``kind``; returns the document with its ``id``."""
        (last,) = self._conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM records WHERE kind = ?", (kind,)
        ).fetchone()
        doc = {"id": last + 1, **doc}
        self.put(kind, doc)
        return doc

    def put(self, kind: str, doc: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO records (kind, id, doc) VALUES (?, ?, ?)",
            (kind, int(doc["id"]), json.dumps(doc, sort_keys=True)),
        )

    def delete(self, kind: str, id: int) -> None:
        self._conn.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, int(id)))

    def journal(self, at: str, channel: str, summary: str, body: str = "") -> None:
        self._conn.execute(
            "INSERT INTO journal (at, channel, summary, body) VALUES (?, ?, ?, ?)",
            (at, channel, summary, body),
        )

    def enqueue(self, *, destination: str, wire: str, path: str, body: str, key: str, at: str) -> bool:
        """Add a delivery; a key already in the outbox is ignored (returns False)."""
        cur = self._conn.execute(
            "INSERT OR IGNORE INTO outbox (destination, wire, path, body, key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (destination, wire, path, body, key, at),
        )
        return cur.rowcount == 1

    def remember(self, key: str, result: str) -> str | None:
        """Record that message ``key`` was applied; returns the earlier result if it already was."""
        row = self._conn.execute("SELECT result FROM inbox WHERE key = ?", (key,)).fetchone()
        if row:
            return row[0]
        self._conn.execute("INSERT INTO inbox (key, result) VALUES (?, ?)", (key, result))
        return None


class Store:
    """A SQLite database shared by the threads of one mock system."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection behind a lock: the mocks serve a handful of threads, and a single
        # writer is what SQLite wants anyway.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def is_new(self) -> bool:
        """True until anything has been written: a fresh file or an in-memory store."""
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0

    def read(self) -> "_Reader":
        return _Reader(self)

    def journal_entries(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            sql = "SELECT id, at, channel, summary, body FROM journal"
            args: tuple[Any, ...] = ()
            if channel:
                sql += " WHERE channel = ?"
                args = (channel,)
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(zip(("id", "at", "channel", "summary", "body"), r)) for r in rows]

    def outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        cols = ("id", "destination", "wire", "path", "body", "key", "status", "attempts", "detail", "created_at", "delivered_at")
        with self._lock:
            sql = f"SELECT {', '.join(cols)} FROM outbox"
            args: tuple[Any, ...] = ()
            if status:
                sql += " WHERE status = ?"
                args = (status,)
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(zip(cols, r)) for r in rows]

    def mark(self, delivery_id: int, status: str, detail: str, at: str | None) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, detail = ?, delivered_at = ?"
                " WHERE id = ?",
                (status, detail, at, delivery_id),
            )

    def reset(self) -> None:
        with self.transaction() as tx:
            for table in ("records", "journal", "outbox", "inbox"):
                tx._conn.execute(f"DELETE FROM {table}")
            tx._conn.execute("DELETE FROM sqlite_sequence")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _Reader:
    """Read-only access outside a write transaction (same lock, no BEGIN)."""

    def __init__(self, store: Store):
        self._store = store

    def __enter__(self) -> Tx:
        self._store._lock.acquire()
        return Tx(self._store._conn)

    def __exit__(self, *exc: object) -> None:
        self._store._lock.release()
