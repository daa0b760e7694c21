"""A progress bar on stderr while ``scan`` reads large files at a terminal.

Only when stderr is a terminal and --quiet is not given (commands.py decides); never on a
pipe, and never on stdout, where the results go. A file name is outside text: it is shown
through ``visible()`` and never read as rich markup (``[link=…]`` stays literal).
"""

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from b12check.render.encoding import fitter
from b12check.render.safe import visible

Report = Callable[[str, int, int], None]


def file_label(name: str) -> str:
    """The bar's label for one input: its base name, safe to show."""
    return visible(os.path.basename(name) or name)


@contextmanager
def progress_on_stderr(paths: tuple[str, ...]) -> Iterator[Report]:
    console = Console(stderr=True, markup=False, emoji=False, highlight=False)
    fit = fitter(console.encoding)
    bar = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        console=console,
        transient=True,
        redirect_stdout=False,  # results on stdout are never touched by the bar
        redirect_stderr=True,  # diagnostics print above it
    )
    tasks: dict[str, TaskID] = {}
    started: dict[str, float] = {}

    def report(name: str, done_bytes: int, rows: int) -> None:
        if name not in tasks:
            size = os.path.getsize(name) if name != "-" and os.path.isfile(name) else None
            tasks[name] = bar.add_task(fit(file_label(name)), total=size, rate="")
            started[name] = time.monotonic()
        elapsed = max(time.monotonic() - started[name], 1e-6)
        bar.update(tasks[name], completed=done_bytes, rate=f"{rows / elapsed:,.0f} rows/s")

    with bar:
        yield report
