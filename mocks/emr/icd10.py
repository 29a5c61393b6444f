"""The ICD-10-CM items the EMR knows (simple_icd_10_cm's), read from a table built once.

simple_icd_10_cm parses about 10 MB of XML into 98,000 objects when it is imported: 3 to 7 s of
CPU in every process that checks a code (each pytest-xdist worker, each `kipu-harness run`, each
`mocks up`). The EMR only asks, of a code, whether it is an item, whether it is a leaf (billable),
its dotted form and its description. So every item's name and, for a leaf, its description are
written once per library version into an SQLite file in the user's cache folder
(``$KIPU_HARNESS_CACHE``, else ``$XDG_CACHE_HOME/kipu-harness``, else ``~/.cache/kipu-harness``),
and each lookup is one indexed read of that file. The library is imported only to build the
file, or, where no cache folder can be written, to answer from memory as before.

:func:`lookup` answers exactly as the library's ``is_valid_item``, ``is_leaf``, ``add_dot`` and
``get_description`` do for the same text (tests/test_icd10_table.py compares them).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import warnings
from importlib import metadata
from pathlib import Path

FORMAT = 1  # of the table; a new format is a new file


def library():
    # It still reads its data with importlib.resources' legacy API; that warning is not ours.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as icd
    return icd


def items_from_library() -> dict[str, str | None]:
    """{name: description of a leaf, None for an item with children} for every item."""
    tree = library().simple_icd_10_cm  # the module that holds the parsed tree
    return {name: None if node.children else node.description for name, node in tree._code_to_node.items()}


def cache_file() -> Path:
    folder = os.environ.get("KIPU_HARNESS_CACHE")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        folder = Path(base) / "kipu-harness"
    return Path(folder) / f"icd10cm-{metadata.version('simple_icd_10_cm')}-{FORMAT}.sqlite"


def _write(path: Path, items: dict[str, str | None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with sqlite3.connect(partial) as db:
            db.execute("CREATE TABLE item (name TEXT PRIMARY KEY, description TEXT) WITHOUT ROWID")
            db.executemany("INSERT INTO item VALUES (?, ?)", items.items())
            db.execute("CREATE TABLE done (items INTEGER)")  # written last: the file is whole
            db.execute("INSERT INTO done VALUES (?)", (len(items),))
        db.close()
        os.replace(partial, path)  # atomic: a reader sees no file or a whole one
    finally:
        partial.unlink(missing_ok=True)


class _Table:
    """Lookups in the cache file (one connection, serialised), or in memory without one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._memory: dict[str, str | None] | None = None
        path = cache_file()
        for _ in range(2):
            try:
                # immutable: the file is never changed in place (a new one replaces it), so no locks
                # are taken, and a process forked with the connection open (tests/mutants) may read
                db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
                if db.execute("SELECT items FROM done").fetchone():
                    self._db = db
                    return
                db.close()
            except sqlite3.Error:
                pass
            try:
                _write(path, self._build())
            except (OSError, sqlite3.Error):
                return  # no cache folder: answer from memory

    def _build(self) -> dict[str, str | None]:
        if self._memory is None:
            self._memory = items_from_library()
        return self._memory

    def get(self, name: str) -> tuple[bool, str | None]:
        """(known, description of a leaf or None)."""
        if self._db is None:
            items = self._build()
            return name in items, items.get(name)
        with self._lock:
            row = self._db.execute("SELECT description FROM item WHERE name = ?", (name,)).fetchone()
        return (row is not None, row[0] if row else None)


@functools.lru_cache(maxsize=1)
def table() -> _Table:
    return _Table()


def lookup(code: str) -> tuple[str, str | None] | None:
    """None for text that is no ICD-10-CM item; else (its name, dotted where a code has a dot;
    its description if it is a leaf, None if it has children). ``code`` is upper case, stripped."""
    items = table()
    if len(code) >= 4 and code[3] != ".":
        dotted = code[:3] + "." + code[3:]
        known, description = items.get(dotted)  # the library prefers the dotted name, as here
        if known:
            return dotted, description
    known, description = items.get(code)
    return (code, description) if known else None
