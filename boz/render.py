"""The preview as a table, the same on the terminal (`boz preview`, `boz rip`) and in run logs."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from boz.models import Preview


def _size(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e7 else f"{n / 1e6:.1f} MB"


def preview_table(preview: Preview) -> Table:
    d = preview.disc
    what = (
        f"TV {d.show} season {d.season}" if d.kind.value == "tv"
        else f"movie {d.movie_title} ({d.year or '?'})" if d.kind.value == "movie"
        else "kind unknown"
    )  # fmt: skip
    table = Table(title=f"disc {d.id} {d.label}: {what}, {d.status.value}", title_justify="left")
    for column in ("title", "duration", "size", "chapters", "role", "episodes", "destination"):
        table.add_column(column, overflow="fold")
    for t in preview.titles:
        style = None if t.selected else "dim"
        table.add_row(
            str(t.index),
            f"{t.duration_s / 60:.1f} min",
            _size(t.size_bytes),
            str(t.chapters),
            t.role.value if t.role else "-",
            ",".join(map(str, t.episodes)) or "-",
            (t.destination or "-") + (" (in library)" if t.in_library else ""),
            style=style,
        )
    return table


def preview_text(preview: Preview, width: int = 140) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None)
    print_preview(console, preview)
    return console.file.getvalue()  # type: ignore[attr-defined]


def print_preview(console: Console, preview: Preview) -> None:
    console.print(preview_table(preview))
    for note in preview.notes:
        console.print(f"note: {note}")
