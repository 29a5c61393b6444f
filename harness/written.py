"""Which report files a run wrote: the last line of ``kipu-harness run`` names only those, plugins'
own files included, and none that an earlier run left or a run stopped early never wrote."""

from __future__ import annotations

from pathlib import Path

# The harness's own reports first, in the order a reader wants them; anything else after, by name.
FIRST = ("index.html", "requirements.md", "requirements.json", "junit.xml", "cucumber.json")


def written_since(folder: Path, since: float) -> list[str]:
    """Files and folders directly in ``folder`` written at or after ``since`` (time.time()); a
    folder counts when a file in it was, and is shown with how many (``x12/ (3 files)``)."""
    if not folder.is_dir():
        return []
    found: dict[str, str] = {}
    for entry in folder.iterdir():
        if entry.is_file() and entry.stat().st_mtime >= since:
            found[entry.name] = entry.name
        elif entry.is_dir():
            fresh = sum(1 for f in entry.rglob("*") if f.is_file() and f.stat().st_mtime >= since)
            if fresh:
                found[entry.name] = f"{entry.name}/ ({fresh} file{'s' if fresh != 1 else ''})"
    order = [name for name in FIRST if name in found] + sorted(set(found) - set(FIRST))
    return [found[name] for name in order]


def reports_line(folder: Path, since: float, elsewhere: list[Path] = ()) -> str | None:
    """``reports: reports/index.html, requirements.md, ...``; None when the run wrote nothing.
    ``elsewhere``: other folders a plugin was told to write into (Allure's --alluredir)."""
    parts = [f"{folder}/{name}" if i == 0 else name for i, name in enumerate(written_since(folder, since))]
    for other in elsewhere:  # a folder of many result files (Allure's): named once, counted
        fresh = sum(1 for f in other.rglob("*") if f.is_file() and f.stat().st_mtime >= since) if other.is_dir() else 0
        if fresh and other.resolve() != folder.resolve():
            parts.append(f"{other}/ ({fresh} file{'s' if fresh != 1 else ''})")
    return "reports: " + ", ".join(parts) if parts else None
