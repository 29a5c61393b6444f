"""A progress bar on stderr for the long-running commands and the bench scripts (rich), shown only
when stderr is a terminal: output that is piped, redirected or captured stays as it was.

    with progress_bar(rounds * len(rows), "rounds") as advance:
        for ...:
            ...
            advance(1, f"round {n}: {name}")

The bar is transient (it is gone when the work is done). Text printed while it shows appears
above it; what goes to stdout still goes to stdout when stdout is not the terminal (a bench's
results redirected to a file stay in the file)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: float, what: str, *, show: bool | None = None) -> Iterator[Callable[..., None]]:
    """``advance(n=1, what=None)``: ``n`` more of ``total`` done; ``what`` replaces the label.
    ``show`` None: only when stderr is a terminal."""
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        yield lambda n=1, what=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    # stdout goes through the bar's console (above the bar) only when it is the terminal too.
    with Progress(*columns, console=Console(stderr=True), transient=True,
                  redirect_stdout=sys.stdout.isatty()) as bar:
        task = bar.add_task(what, total=total)

        def advance(n: float = 1, what: str | None = None) -> None:
            bar.update(task, advance=n, **({"description": what} if what is not None else {}))

        yield advance
