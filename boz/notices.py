"""Notices for the operator, wherever they read them: a disc waits for approval, a disc is
done, a disc failed. Sent with Apprise, the URL scheme home-lab tools share (ntfy, Gotify,
Discord, mail, Matrix, a JSON webhook ...), to every URL in ``BOZ_NOTIFY_URLS``.

A notice that cannot be delivered never fails or slows a rip beyond Apprise's own
timeouts: ``send`` returns what went wrong for the run's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from boz.models import Preview


class Level(StrEnum):
    """Apprise's notify types: how a client colours or sounds the notice."""

    info = "info"
    success = "success"
    failure = "failure"


@dataclass(frozen=True)
class Notice:
    title: str
    body: str
    level: Level


def send(urls: list[str], notice: Notice) -> list[str]:
    """Deliver ``notice`` to every URL; the problems, if any, as lines for a log."""
    if not urls:
        return []
    import apprise  # 0.2 s of imports, only for hosts that send notices

    notifier = apprise.Apprise()
    problems = [f"not an Apprise URL: {_scheme(url)}://…" for url in urls if not notifier.add(url)]
    if len(notifier) and not notifier.notify(
        title=notice.title, body=notice.body, notify_type=notice.level.value
    ):
        problems.append(f"a notice was not delivered ({notice.title}): see Apprise's log")
    return problems


def _scheme(url: str) -> str:
    """Only the scheme of a URL that failed: the rest may hold a token."""
    return url.partition("://")[0] or "?"


def _titles(preview: Preview, *, landed: bool) -> list[str]:
    lines = []
    for t in preview.selected:
        where = t.destination or "no library name yet"
        if landed and not t.in_library:
            where = f"not filed ({where})"
        lines.append(f"title {t.index}: {where}")
    return lines


def awaiting(proposal: Preview, link: str | None) -> Notice:
    """The preview in short and where to answer it."""
    d = proposal.disc
    what = (
        f"{d.show} season {d.season}" if d.show
        else f"{d.movie_title} ({d.year or 'year unknown'})" if d.movie_title
        else "unknown: say what it is"
    )  # fmt: skip
    lines = [f"{what}; {len(proposal.selected)} of {len(proposal.titles)} titles proposed"
             + (f" ({proposal.confidence})" if proposal.confidence else "")]  # fmt: skip
    lines += _titles(proposal, landed=False)
    lines += [*proposal.notes]
    lines.append(f"Approve: {link}" if link else f"Approve: boz approve {d.id}")
    return Notice(f"Disc {d.label} waits for approval", "\n".join(lines), Level.info)


def done(final: Preview) -> Notice:
    filed = sum(t.in_library for t in final.selected)
    d = final.disc
    body = "\n".join(_titles(final, landed=True)) or "no title was selected"
    return Notice(f"Disc {d.label} done: {filed} titles in the library", body, Level.success)


def failed(disc_id: int, error: str) -> Notice:
    """The one line the operator would see, and where to look further."""
    return Notice(
        f"Disc {disc_id} failed",
        f"{error}\n`boz disc {disc_id}` shows its titles and jobs",
        Level.failure,
    )
