"""What the terminal shows: the preview table (the same in run logs) and the cells of every
table, with names from discs kept harmless.

A disc label, a show name typed by anyone or a file name on a disc can hold escape
sequences or rich markup; shown raw they would recolour, retitle or hide the terminal's
output. Every cell is plain text with control and format characters written as escapes.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime

from rich.console import Console
from rich.table import Table
from rich.text import Text

from boz.models import Preview


def visible(value: object) -> str:
    """``value`` as text, each control or invisible format character as its escape (\\x1b)."""
    return "".join(
        c.encode("unicode_escape").decode() if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in str(value)
    )


def add_row(table: Table, *cells: object, style: str | None = None) -> None:
    """A row of plain text: no markup, no raw control characters."""
    table.add_row(*(Text(visible(c)) for c in cells), style=style)


def when(moment: datetime | None) -> str:
    """A time in this machine's zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "-"


def took(start: datetime | None, end: datetime | None, now: datetime) -> str:
    """How long a step ran (``1:02:03``, ``4:05``), or has run so far (``running 0:40``)."""
    if start is None:
        return "-"
    seconds = round(((end or now) - start).total_seconds())
    minutes, secs = divmod(max(seconds, 0), 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return text if end else f"running {text}"


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
    title = Text(visible(f"disc {d.id} {d.label}: {what}, {d.status.value}"))
    table = Table(title=title, title_justify="left")
    for column in ("title", "duration", "size", "chapters", "role", "episodes", "destination"):
        table.add_column(column, overflow="fold")
    for t in preview.titles:
        style = None if t.selected else "dim"
        add_row(
            table,
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
    if preview.confidence:
        why = "; ".join(preview.reasons)
        console.print(visible(f"confidence: {preview.confidence} ({why})"), markup=False,
                      highlight=False)  # fmt: skip
    for note in preview.notes:
        console.print(f"note: {visible(note)}", markup=False, highlight=False)
