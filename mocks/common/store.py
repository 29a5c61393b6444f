"""Persistence for the mock systems: records, journal, outbox and inbox, behind one small interface.

One SQLite database per system: a file by default (records survive a restart) or ``:memory:``
for speed. Every write goes through ``transaction()``: either all of it lands or none of it.
Records are JSON documents keyed by (kind, id), filtered in Python rather than through a schema
per resource; the fields records are looked up by (``INDEXED``: a patient's insurances, the RCM
patient of an EMR patient...) have an expression index, so such a lookup reads only the records
it finds, however many the store holds.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from kipu_harness.phi import mask_ssn

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
    detail TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, delivered_at TEXT,
    next_attempt_at REAL, last_error TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS inbox (key TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER, answer TEXT, record TEXT);
"""
# The fields Tx.find looks records up by through an index (an expression index per field, over
# every kind: a kind without the field has NULL there). Any other field is found by a scan.
INDEXED = ("patient_id", "emr_patient_id", "crm_prospect_id", "prospect_id")


def _field(name: str) -> str:
    """The SQL of a record's field: the very text its index was made with, so SQLite uses it."""
    return f"json_extract(doc, '$.{name}')"


# How many records of each kind there are, kept by the database itself (any process writing to
# it): a census page counts in O(1). A record is written by an upsert (PUT): a new (kind, id)
# fires the insert trigger, an existing one is updated in place and fires none. (The first
# release wrote INSERT OR REPLACE with a BEFORE INSERT trigger that looked the key up again:
# 75 us a write against 34; a database made by it loses that trigger on open.)
PUT = ("INSERT INTO records (kind, id, doc) VALUES (?, ?, ?)"
       " ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc")
COUNTS = """
DROP TRIGGER IF EXISTS records_counted;
CREATE TABLE IF NOT EXISTS counts (kind TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS records_inserted AFTER INSERT ON records
    BEGIN INSERT INTO counts (kind, n) VALUES (NEW.kind, 1) ON CONFLICT (kind) DO UPDATE SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS records_uncounted AFTER DELETE ON records
    BEGIN UPDATE counts SET n = n - 1 WHERE kind = OLD.kind; END;
"""
INDEXES = "".join(f"CREATE INDEX IF NOT EXISTS records_by_{name} ON records (kind, {_field(name)});\n"
                  for name in INDEXED)
# The outbox's pending rows, which every write and every pass of the retrier look up: a partial
# index reads only them, however many rows were delivered (without it, 17 ms a write at 20,000).
INDEXES += "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (destination, id) WHERE status = 'pending';\n"
# Columns added after the first release: a database made before them gets them on open.
_ADDED_COLUMNS = {"outbox": (("next_attempt_at", "REAL"), ("last_error", "TEXT NOT NULL DEFAULT ''"))}
# What `synchronous` may be (see Store): NORMAL survives a crash of the process, FULL a power loss too.
DURABILITY = ("normal", "full")


_RECORD_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
                   | orjson.OPT_PASSTHROUGH_DATETIME)


def dump(doc: dict[str, Any]) -> str:
    """A record as the text stored: orjson, keys sorted (a fifth of the standard library's time;
    reading and writing records was a tenth of a simulated day). What orjson refuses (an integer
    over 64 bits) is written by the standard library, and what it would write where the standard
    library refuses (a dataclass, a datetime) is refused as before. A NaN is stored as null, as
    the mocks' answers (json_provider.py) already write it."""
    try:
        return orjson.dumps(doc, option=_RECORD_OPTIONS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(doc, sort_keys=True)


def load(text: str) -> Any:
    """A stored record, read as the standard library reads it. orjson reads in half the time but
    differs where the standard library's text may hold what orjson never writes: an integer
    outside 64 bits (which orjson reads as a float, without an error) and NaN. So text with a key
    the standard library wrote (``": "``: dump's fallback, or a record from before orjson) is read
    by it; orjson's own compact text by orjson (a string holding ``\\": `` takes the slow way)."""
    if '": ' in text:
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _indexable(value: Any) -> bool:
    """A value SQLite compares as Python does: text, or an integer it can hold (a bool is 0 or 1)."""
    return isinstance(value, str) or (isinstance(value, int) and -(2**63) <= value < 2**63)


class Tx:
    """The operations available inside one transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def get(self, kind: str, id: int) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT doc FROM records WHERE kind = ? AND id = ?", (kind, int(id))
        ).fetchone()
        return load(row[0]) if row else None

    def all(self, kind: str) -> list[dict[str, Any]]:
        rows = self._conn.execute("SELECT doc FROM records WHERE kind = ? ORDER BY id", (kind,))
        return [load(doc) for (doc,) in rows]

    def find(self, kind: str, **equal: Any) -> list[dict[str, Any]]:
        """The records of ``kind`` whose fields equal ``equal`` (Python's ==), by id. A field of
        INDEXED with a text or integer value narrows them through its index first: SQLite's = on
        the JSON value keeps every record Python's == would (a number equals an integer of the
        same value, text only text), and Python's == then decides, as for the others."""
        key = next((k for k, v in equal.items() if k in INDEXED and _indexable(v)), None)
        if key is None:
            candidates = self.all(kind)
        else:
            # INDEXED BY: left to itself, SQLite walks the kind's whole primary key to save a sort by id.
            rows = self._conn.execute(f"SELECT doc FROM records INDEXED BY records_by_{key}"
                                      f" WHERE kind = ? AND {_field(key)} = ? ORDER BY id", (kind, equal[key]))
            candidates = [load(doc) for (doc,) in rows]
        return [d for d in candidates if all(d.get(k) == v for k, v in equal.items())]

    def count(self, kind: str) -> int:
        row = self._conn.execute("SELECT n FROM counts WHERE kind = ?", (kind,)).fetchone()
        return row[0] if row else 0

    def page(self, kind: str, offset: int, limit: int, *, truthy: str | None = None) -> tuple[int, list[dict[str, Any]]]:
        """How many records of ``kind`` there are and ``limit`` of them from ``offset``, by id, reading
        only those; ``truthy``: only the records whose field of that name is a non-empty text (a
        field that holds text or null: an MR Number)."""
        where, args = "kind = ?", (kind,)
        if truthy:
            where += f" AND {_field(truthy)} > ''"  # SQLite: every text is above '', no number or null is
            (total,) = self._conn.execute(f"SELECT COUNT(*) FROM records WHERE {where}", args).fetchone()
        else:
            total = self.count(kind)
        if offset >= total:
            return total, []
        if not truthy and self._dense(kind, total):  # ids 1..total: the page is a range of ids
            rows = self._conn.execute("SELECT doc FROM records WHERE kind = ? AND id BETWEEN ? AND ? ORDER BY id",
                                      (kind, offset + 1, offset + limit))
            return total, [load(doc) for (doc,) in rows]
        # The ids first, from the primary key alone, then only their documents.
        rows = self._conn.execute(f"SELECT doc FROM records WHERE kind = ? AND id IN (SELECT id FROM records WHERE"
                                  f" {where} ORDER BY id LIMIT ? OFFSET ?) ORDER BY id", (kind, *args, limit, offset))
        return total, [load(doc) for (doc,) in rows]

    def _dense(self, kind: str, total: int) -> bool:
        """Whether the ids of ``kind`` are exactly 1..total (none deleted): two lookups of the key."""
        (low,) = self._conn.execute("SELECT MIN(id) FROM records WHERE kind = ?", (kind,)).fetchone()
        (high,) = self._conn.execute("SELECT MAX(id) FROM records WHERE kind = ?", (kind,)).fetchone()
        return low == 1 and high == total

    def insert(self, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Store ``doc`` under the next id of ``kind``; returns the document with its ``id``."""
        (last,) = self._conn.execute(
            "SELECT COALESCE(MAX(id), 0) FROM records WHERE kind = ?", (kind,)
        ).fetchone()
        doc = {"id": last + 1, **doc}
        self.put(kind, doc)
        return doc

    def put(self, kind: str, doc: dict[str, Any]) -> None:
        self._conn.execute(PUT, (kind, int(doc["id"]), dump(doc)))

    def delete(self, kind: str, id: int) -> None:
        self._conn.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, int(id)))

    def journal(self, at: str, channel: str, summary: str, body: str = "") -> None:
        """An entry of the journal, its SSNs masked: the journal never holds one in clear."""
        self._conn.execute(
            "INSERT INTO journal (at, channel, summary, body) VALUES (?, ?, ?, ?)",
            (at, channel, mask_ssn(summary), mask_ssn(body)),
        )

    def enqueue(self, *, destination: str, wire: str, path: str, body: str, key: str, at: str) -> bool:
        """Add a delivery; a key already in the outbox is ignored (returns False)."""
        cur = self._conn.execute(
            "INSERT OR IGNORE INTO outbox (destination, wire, path, body, key, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (destination, wire, path, body, key, at),
        )
        return cur.rowcount == 1

    def outbox_id(self, key: str) -> int | None:
        row = self._conn.execute("SELECT id FROM outbox WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def remember(self, key: str, result: str) -> str | None:
        """Record that message ``key`` was applied; returns the earlier result if it already was."""
        row = self._conn.execute("SELECT result FROM inbox WHERE key = ?", (key,)).fetchone()
        if row:
            return row[0]
        self._conn.execute("INSERT INTO inbox (key, result) VALUES (?, ?)", (key, result))
        return None

    def idempotent(self, key: str) -> dict[str, Any] | None:
        """What was kept for a request's Idempotency-Key (idempotency.py), or None."""
        row = self._conn.execute(
            "SELECT fingerprint, status, answer, record FROM idempotency WHERE key = ?", (key,)).fetchone()
        return dict(zip(("fingerprint", "status", "answer", "record"), row)) if row else None

    def keep_idempotent(self, key: str, fingerprint: str, *, status: int | None = None, answer: str | None = None,
                        record: str | None = None) -> None:
        self._conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, answer, record) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET status = excluded.status, answer = excluded.answer,"
            " record = COALESCE(excluded.record, idempotency.record)",
            (key, fingerprint, status, answer, record))


class Store:
    """A SQLite database shared by the threads of one mock system."""

    def __init__(self, path: str | Path = ":memory:", durability: str = "normal"):
        """``durability`` (a file only): ``normal`` (WAL, ``synchronous=NORMAL``): a committed write
        survives a crash of the process, but a power loss or OS crash may lose the last
        transactions (never corrupt the file); ``full`` (``synchronous=FULL``): a commit waits
        until the WAL is on disk, so it survives a power loss too, at the cost of an fsync each."""
        if durability not in DURABILITY:
            raise ValueError(f"durability {durability!r}: expected one of {', '.join(DURABILITY)}")
        self.path = str(path)
        self.durability = durability
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # One connection behind a lock: the mocks serve a handful of threads, and a single
        # writer is what SQLite wants anyway.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={durability.upper()}")
        counted = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'counts'").fetchone()
        self._conn.executescript(SCHEMA + COUNTS + INDEXES)
        if not counted:  # a database made before the counts: count once
            self._conn.execute("INSERT OR REPLACE INTO counts SELECT kind, COUNT(*) FROM records GROUP BY kind")
        for table, columns in _ADDED_COLUMNS.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for name, declaration in columns:
                if name not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

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
            return self._conn.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None

    def read(self) -> "_Reader":
        return _Reader(self)

    def journal(self, at: str, channel: str, summary: str, body: str = "") -> None:
        """An entry of the journal on its own: one INSERT, its own transaction (autocommit), its
        SSNs masked before the lock is taken."""
        row = (at, channel, mask_ssn(summary), mask_ssn(body))
        with self._lock:
            self._conn.execute("INSERT INTO journal (at, channel, summary, body) VALUES (?, ?, ?, ?)", row)

    def journal_entries(self, channel: str | None = None, after: int | None = None,
                        bodies: bool = True) -> list[dict[str, Any]]:
        """The journal's entries above ``after``, oldest first; ``bodies=False``: without their bodies."""
        columns = ("id", "at", "channel", "summary", "body")[:None if bodies else 4]
        with self._lock:
            sql = f"SELECT {', '.join(columns)} FROM journal WHERE id > ?"
            args: tuple[Any, ...] = (after or 0,)
            if channel:
                sql += " AND channel = ?"
                args += (channel,)
            rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(zip(columns, r)) for r in rows]

    def journal_since(self, after: int | None, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` entries with an id above ``after``, oldest first (``None``: the last
        ``limit``), and the journal's last id (0 when empty): what a console polls for."""
        columns = "id, at, channel, summary, body"
        with self._lock:
            if after is None:
                sql, args = f"SELECT * FROM (SELECT {columns} FROM journal ORDER BY id DESC LIMIT ?) ORDER BY id", (limit,)
            else:
                sql, args = f"SELECT {columns} FROM journal WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            rows = self._conn.execute(sql, args).fetchall()
            (last,) = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM journal").fetchone()
        return [dict(zip(("id", "at", "channel", "summary", "body"), r)) for r in rows], last

    _OUTBOX = ("id", "destination", "wire", "path", "body", "key", "status", "attempts", "detail", "created_at",
               "delivered_at", "next_attempt_at", "last_error")

    def outbox(self, status: str | None = None) -> list[dict[str, Any]]:
        return self._outbox(*(("status = ?", (status,)) if status else ("1", ())))

    def _outbox(self, where: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {', '.join(self._OUTBOX)} FROM outbox WHERE {where} ORDER BY id",
                                      args).fetchall()
        return [dict(zip(self._OUTBOX, r)) for r in rows]

    def outbox_summary(self, limit: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """How many deliveries there are of each status, and the latest ``limit`` rows together
        with the latest ``limit`` not delivered (oldest first)."""
        with self._lock:
            counts = dict(self._conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        rows = self._outbox("id IN (SELECT id FROM outbox ORDER BY id DESC LIMIT ?) OR id IN (SELECT id FROM outbox"
                            " WHERE status != 'delivered' ORDER BY id DESC LIMIT ?)", (limit, limit))
        return counts, rows

    def mark(self, delivery_id: int, status: str, detail: str, at: str | None, *,
             next_attempt_at: float | None = None, error: bool = False) -> None:
        """One attempt's outcome; ``error``: ``detail`` is also kept as the row's ``last_error``."""
        with self._lock:
            self._conn.execute(
                "UPDATE outbox SET status = ?, attempts = attempts + 1, detail = ?, delivered_at = ?,"
                " next_attempt_at = ?, last_error = CASE WHEN ? THEN ? ELSE last_error END WHERE id = ?",
                (status, detail, at, next_attempt_at, error, detail, delivery_id),
            )

    def schedule(self, delivery_id: int, next_attempt_at: float | None) -> None:
        """Move a pending delivery's next attempt (None: at once)."""
        with self._lock:
            self._conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending'",
                               (next_attempt_at, delivery_id))

    def outbox_rows(self, ids: list[int]) -> list[dict[str, Any]]:
        """The outbox rows with these ids (what one write queued)."""
        ids = [int(i) for i in ids]
        return self._outbox(f"id IN ({', '.join('?' * len(ids))})", tuple(ids)) if ids else []

    def pending_destinations(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT destination FROM outbox WHERE status = 'pending' GROUP BY destination ORDER BY MIN(id)")
            return [d for (d,) in rows.fetchall()]

    def pending(self, destination: str) -> list[dict[str, Any]]:
        """A destination's pending deliveries, oldest first."""
        return self._outbox("status = 'pending' AND destination = ?", (destination,))

    def earliest_attempt(self) -> float | None:
        """When the earliest scheduled retry is due (None: none is scheduled)."""
        with self._lock:
            (at,) = self._conn.execute(
                "SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'pending'").fetchone()
            return at

    def reset(self) -> None:
        with self.transaction() as tx:
            for table in ("records", "journal", "outbox", "inbox", "idempotency"):
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
