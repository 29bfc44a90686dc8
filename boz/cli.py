"""The ``boz`` command: rip a disc, answer its approval, look at discs, jobs and seasons.

Every failure a user can act on is a BozError and is printed as one line on stderr
with a non-zero exit; tracebacks stay in the Prefect run logs.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import uuid4

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn
from rich.table import Table

from boz.errors import ApprovalTimedOut, BozError, PrefectUnavailable
from boz.models import AutoApprove, DiscKind, ExtraKind, JobStatus
from boz.models.plan import MAX_EPISODE
from boz.render import add_row, print_preview, took, visible, when
from boz.settings import Settings

if TYPE_CHECKING:
    from uuid import UUID

    from boz.db.engine import Database
    from boz.models import Decision, Job
    from boz.pipeline.approval import TitleEdits
    from boz.tasks.progress import StepProgress

# Plain help (no rich panels): Typer's panels print a "<bool>" after every flag, as if
# --yes took a value.
app = typer.Typer(
    help="Insert a disc, get correctly named, transcoded files in your media library.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="The domain database.", no_args_is_help=True, rich_markup_mode=None)
server_app = typer.Typer(
    help="A local Prefect server for this machine.", no_args_is_help=True, rich_markup_mode=None
)
thediscdb_app = typer.Typer(
    help="TheDiscDB's data: exact answers for the discs it knows.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(server_app, name="server")
app.add_typer(thediscdb_app, name="thediscdb")


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        sys.stdout.write(f"boz-ripper {version('boz-ripper')}\n")
        raise typer.Exit


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Show the runs' log lines on the terminal."),
    ] = False,
) -> None:
    """Insert a disc, get correctly named, transcoded files in your media library."""
    _VERBOSE.set(verbose)


# Piped or captured output is not cut to 80 columns: a table read by a script or a log
# keeps whole paths (COLUMNS still wins).
out = Console(width=None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "200")))
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout, nothing else.")]
# The ranges the models hold, refused here first: one line naming the option.
SeasonOption = Annotated[int | None, typer.Option(min=0, help="TV season number.")]
FirstEpisodeOption = Annotated[
    int | None, typer.Option(min=1, max=MAX_EPISODE, help="Number of the first episode.")
]
YearOption = Annotated[int | None, typer.Option(min=1870, max=2200, help="Release year.")]
ProgressFlag = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Bars for the rips and transcodes, under the log (default: when it is a terminal).",
    ),
]


def _settings(library: Path | None = None) -> Settings:
    return Settings.with_library(library)


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from boz.db.engine import open_database

    return open_database(settings.db_url)


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


@contextlib.contextmanager
def _prefect(settings: Settings) -> Iterator[str]:
    """A Prefect API that other processes reach, for everything this command runs: the
    one at PREFECT_API_URL, or else this machine's local server under BOZ_HOME, started
    when it is not running. Never Prefect's temporary per-process server: nobody could
    approve there, and it times out on a busy machine."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from boz.deployments import local_server

    url = PREFECT_API_URL.value()
    if url:
        if not local_server.healthy(url):
            raise PrefectUnavailable(
                f"no Prefect server answers at PREFECT_API_URL={url}: start it, or unset "
                "PREFECT_API_URL to use this machine's local server (`boz server start`)"
            )
        yield url
        return
    url = local_server.start(
        settings.home, port=settings.server_port, database_url=settings.prefect_database
    )
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


class _NoTracebacks(logging.Filter):
    """Console only: the Prefect API handler (and so the UI) has already kept the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _prefect_consoles() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if type(h).__name__ == "PrefectConsoleHandler"]


_VERBOSE: ContextVar[bool] = ContextVar("verbose", default=False)


def _quiet_tracebacks() -> None:
    """The run's log stays in Prefect (UI, API); on the terminal only with --verbose, and
    even then without tracebacks: the outcome is the result table or one line."""
    for handler in _prefect_consoles():
        handler.addFilter(_NoTracebacks())
        if not _VERBOSE.get():
            handler.setLevel(logging.CRITICAL + 1)


def _log_console() -> Console:
    """Where Prefect prints run logs (stderr): bars drawn on the same console keep its log
    lines above them, and stdout keeps only the result."""
    handlers = _prefect_consoles()
    return handlers[0].console if handlers else Console(stderr=True)  # type: ignore[attr-defined]


class ProgressBars:
    """A bar per rip and transcode of one run and its child runs, read from their Prefect
    progress artifacts: a transcode on another host reaches this terminal no other way."""

    def __init__(self, console: Console) -> None:
        self.bars = Progress(
            # Colours, not rich's theme names: Prefect's console has a theme of its own.
            BarColumn(
                style="grey23",
                complete_style="magenta",
                finished_style="green",
                pulse_style="magenta",
            ),
            TextColumn("{task.description}", markup=False),
            console=console,
            refresh_per_second=4,
            redirect_stdout=False,  # stdout is for the result, even while the bars show
        )
        self.shown: dict[UUID, TaskID] = {}

    def show(self, steps: list[StepProgress]) -> None:
        for step in steps:
            if step.task_run_id not in self.shown:
                self.shown[step.task_run_id] = self.bars.add_task(step.description, total=100)
            bar = self.shown[step.task_run_id]
            self.bars.update(bar, completed=step.percent, description=step.description)

    @contextlib.contextmanager
    def following(self, tag: str, every_s: float = 1.0) -> Iterator[None]:
        """Poll the runs tagged ``tag`` until the block ends, then once more for the end."""
        from prefect import get_client

        from boz.tasks.progress import runs_progress

        stop = threading.Event()

        def poll() -> None:
            # The run goes on without its bars: no API error reaches it from here.
            with contextlib.suppress(Exception), get_client(sync_client=True) as client:
                while True:
                    ended = stop.wait(every_s)
                    with contextlib.suppress(Exception):
                        self.show(runs_progress(client, tag))
                    if ended:
                        return

        # The thread runs in this context: it holds the API address _prefect() chose.
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(poll,), name="progress", daemon=True
        )
        with self.bars:
            thread.start()
            try:
                yield
            finally:
                stop.set()
                thread.join(timeout=30)


@contextlib.contextmanager
def _watching(wanted: bool | None) -> Iterator[None]:
    """Progress bars for the flow run started in the block (tagged so that they find it),
    if ``wanted``; by default when Prefect's log goes to a terminal."""
    console = _log_console()
    if not (console.is_terminal if wanted is None else wanted):
        yield
        return
    from prefect import tags

    tag = f"boz-progress-{uuid4().hex[:12]}"
    with tags(tag), ProgressBars(console).following(tag):
        yield


@app.command()
def rip(
    source: Annotated[
        str,
        typer.Argument(
            help="disc:N, dev:/dev/sr0, iso:FILE, file:DVD-or-BD-FOLDER, or a folder of title "
            "files; - reads it from stdin once ready (a spare started ahead of the disc)"
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve the proposal.")] = False,
    auto: Annotated[
        AutoApprove,
        typer.Option(
            case_sensitive=False,
            help="Approve the proposal only if it is this sure (strong, medium, any); "
            "otherwise wait for the operator.",
        ),
    ] = AutoApprove.off,
    library: Annotated[Path | None, typer.Option(help="Library folder for this run.")] = None,
    show: Annotated[str | None, typer.Option(help="TV show name.")] = None,
    season: SeasonOption = None,
    first_episode: FirstEpisodeOption = None,
    movie: Annotated[str | None, typer.Option(help="Movie title.")] = None,
    year: YearOption = None,
    again: Annotated[
        bool, typer.Option("--again", help="Rip a disc that was ripped before.")
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(help="Transcode profile (BOZ_PROFILES); default: BOZ_PROFILE, 'default'."),
    ] = None,
    progress: ProgressFlag = None,
) -> None:
    """Rip a disc into the library: preview, approval, rip, transcode, organize."""
    from boz.media.profiles import resolve
    from boz.models import RipRequest
    from boz.sources import open_source

    settings = _settings(library)
    if profile is not None and not settings.transcode_deployment:
        resolve(settings, profile)  # a typo fails now, not after the first rip
    _database(settings)
    if source == "-":
        import boz.flows.disc_to_library  # noqa: F401  # the seconds a spare saves the drive

        source = sys.stdin.readline().strip()
        if not source:
            return  # the watcher stopped before a disc came
    spec = open_source(source, settings).spec
    request = RipRequest(
        show=show,
        season=season,
        first_episode=first_episode,
        movie_title=movie,
        year=year,
        library=str(library.resolve()) if library else None,
        auto_approve=yes,
        auto=auto,
        again=again,
        profile=profile,
    )
    from prefect.exceptions import CancelledRun, FlowPauseTimeout

    from boz.flows.disc_to_library import disc_to_library

    with _prefect(settings) as url:
        if not yes and auto is AutoApprove.off:
            out.print(f"[bold]Waiting for approval[/]: `boz approve DISC_ID` or the Prefect UI "
                      f"at {url.removesuffix('/api')}")  # fmt: skip
        _quiet_tracebacks()
        try:
            with _watching(progress):
                result = disc_to_library(spec, request)
        except CancelledRun as exc:  # the operator rejected the disc
            out.print(str(exc), soft_wrap=True)
            return
        except FlowPauseTimeout:
            raise ApprovalTimedOut(
                f"nobody answered within {settings.approval_timeout_seconds} s; the disc stays "
                "awaiting approval: `boz approve DISC_ID` (see `boz discs`) rips it in a new run"
            ) from None
    print_preview(out, result)


@app.command()
def preview(
    source: Annotated[str, typer.Argument(help="The same sources as boz rip.")],
    show: Annotated[str | None, typer.Option(help="TV show name.")] = None,
    season: SeasonOption = None,
    first_episode: FirstEpisodeOption = None,
    movie: Annotated[str | None, typer.Option(help="Movie title.")] = None,
    year: YearOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show what a disc is and what each title would become, without ripping anything.

    The proposal is stored, so its episode numbers are the ones a rip will use.
    """
    from boz.models import RipRequest
    from boz.pipeline import detect
    from boz.pipeline.preview import Planner

    settings = _settings()
    database = _database(settings)
    disc = detect.detect(database, settings, source)
    assert disc.id is not None
    request = RipRequest(
        show=show, season=season, first_episode=first_episode, movie_title=movie, year=year
    )
    proposal = Planner.for_settings(settings, database).propose(disc.id, request)
    if not as_json:
        print_preview(out, proposal)
        return
    d = proposal.disc
    disc_keys = ("id", "label", "kind", "show", "season", "movie_title", "year", "fingerprint",
                 "status", "source")  # fmt: skip
    title_keys = ("index", "duration_s", "size_bytes", "chapters", "role", "selected",
                  "episodes", "destination", "in_library", "segment_map")  # fmt: skip
    _print_json(
        {
            "disc": d.model_dump(mode="json", include=set(disc_keys)),
            "titles": [t.model_dump(mode="json", include=set(title_keys)) for t in proposal.titles],
            "confidence": proposal.confidence,
            "reasons": proposal.reasons,
            "notes": proposal.notes,
        }
    )


def _titles(value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter("give title numbers separated by commas, e.g. 1,2,4") from None


def _extras(value: str | None) -> dict[int, ExtraKind] | None:
    """``3:featurette,5`` -> {3: featurette, 5: other}."""
    if value is None:
        return None
    kinds = ", ".join(k.value for k in ExtraKind)
    extras: dict[int, ExtraKind] = {}
    for item in (v.strip() for v in value.split(",") if v.strip()):
        index, _, kind = item.partition(":")
        try:
            extras[int(index)] = ExtraKind(kind.strip().replace("-", "_") or "other")
        except ValueError:
            raise typer.BadParameter(
                f"{item!r}: give TITLE or TITLE:KIND, e.g. 3:featurette (kinds: {kinds})"
            ) from None
    return extras


@app.command()
def approve(
    disc_id: Annotated[int, typer.Argument(help="The disc's id (boz discs).")],
    titles: Annotated[
        str | None, typer.Option(help="Titles to rip in their proposed roles, e.g. 1,2,4.")
    ] = None,
    episodes: Annotated[
        str | None,
        typer.Option(help="The disc's episodes in order, e.g. 2,0,1; other titles are not."),
    ] = None,
    extras: Annotated[
        str | None,
        typer.Option(help="Titles that are extras, with their kind: 3:featurette,4:trailer."),
    ] = None,
    skip: Annotated[str | None, typer.Option(help="Titles not to rip, e.g. 4,5.")] = None,
    show: Annotated[str | None, typer.Option(help="TV show name.")] = None,
    season: SeasonOption = None,
    first_episode: FirstEpisodeOption = None,
    movie: Annotated[str | None, typer.Option(help="Movie title.")] = None,
    year: YearOption = None,
    library: Annotated[
        Path | None, typer.Option(help="Library for a new run, if the paused one is gone.")
    ] = None,
    progress: ProgressFlag = None,
) -> None:
    """Approve a disc waiting for approval, with optional edits; its run resumes (or, if it
    timed out, a new run rips the disc from its stored preview). An edit that cannot be
    carried out is refused whole, and the disc keeps waiting."""
    from boz.pipeline.approval import TitleEdits

    edits = TitleEdits(
        titles=_titles(titles), episodes=_titles(episodes), extras=_extras(extras),
        skip=_titles(skip),
    )  # fmt: skip
    _resume(
        disc_id,
        library,
        edits,
        progress=progress,
        approve=True,
        kind=DiscKind.movie if movie and not show else DiscKind.tv if show else None,
        show=show,
        season=season,
        first_episode=first_episode,
        movie_title=movie,
        year=year,
    )


@app.command()
def reject(disc_id: Annotated[int, typer.Argument(help="The disc's id (boz discs).")]) -> None:
    """Reject a disc waiting for approval: its run ends and nothing is ripped."""
    from boz.pipeline.approval import TitleEdits

    _resume(disc_id, None, TitleEdits(), approve=False)


def _resume(
    disc_id: int,
    library: Path | None,
    edits: TitleEdits,
    *,
    progress: bool | None = None,
    **changes: object,
) -> None:
    """Answer the paused run when its process is alive; otherwise (timed out, killed) act
    on the stored preview in a new run, never beside a live one."""
    from uuid import UUID

    from prefect import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.flow_runs import resume_flow_run
    from prefect.states import Cancelled

    from boz.db import claims, store
    from boz.pipeline.approval import pending_decision
    from boz.pipeline.preview import Planner
    from boz.tasks.runtime import run_ended

    settings = _settings(library)
    database = _database(settings)
    flow_run_id, decision = pending_decision(
        database, disc_id, settings.library_dir, edits, **changes
    )
    # Checked before it is sent; TheTVDB names nothing a decision could get wrong.
    Planner(database, settings.min_title_seconds, settings.library_dir).decide(
        disc_id, decision, dry_run=True
    )
    verb = "approved" if decision.approve else "rejected"
    with _prefect(settings), get_client(sync_client=True) as client:
        try:
            state = client.read_flow_run(UUID(flow_run_id)).state
        except ObjectNotFound:
            state = None
        me = claims.Holder.this_process(settings.host_name)
        with database.session() as s:
            alive = store.disc_run_alive(s, disc_id, flow_run_id, me, run_ended)
        paused = state is not None and state.is_paused()
        if paused and alive:
            try:
                resume_flow_run(flow_run_id, run_input=decision.model_dump(mode="json"))
            except RuntimeError as exc:
                raise PrefectUnavailable(f"cannot resume run {flow_run_id}: {exc}") from exc
            out.print(f"disc {disc_id} {verb}; run {flow_run_id} resumes", soft_wrap=True)
            return
        if paused:  # nobody holds it: it must never resume
            client.set_flow_run_state(
                UUID(flow_run_id),
                Cancelled(message=f"its process is gone; the disc was {verb} in a new run"),
                force=True,
            )
        gone = "its process is gone" if paused else state.name if state is not None else "gone"
        out.print(f"run {flow_run_id} is no longer waiting ({gone}); disc {disc_id} {verb} "
                  "from its stored preview", soft_wrap=True)  # fmt: skip
        if decision.approve:
            _rip_stored(database, disc_id, decision, library, progress)
        else:
            Planner.for_settings(settings, database).decide(disc_id, decision)


def _rip_stored(
    database: Database,
    disc_id: int,
    decision: Decision,
    library: Path | None,
    progress: bool | None,
) -> None:
    """A new run that rips what the operator approved, without reading the disc again."""
    from boz.db import store
    from boz.flows.disc_to_library import disc_to_library
    from boz.models import RipRequest, StoredDecision

    with database.session() as s:
        source = store.get_disc(s, disc_id).source
    _quiet_tracebacks()
    request = RipRequest(auto_approve=True, library=str(library.resolve()) if library else None)
    with _watching(progress):
        result = disc_to_library(
            source, request, StoredDecision(disc_id=disc_id, decision=decision)
        )
    print_preview(out, result)


@app.command()
def discs(as_json: JsonFlag = False) -> None:
    """Discs seen so far, with their status."""
    from boz.db import store

    with _database(_settings()).session() as s:
        items = store.list_discs(s)
    if as_json:
        _print_json([d.model_dump(mode="json") for d in items])
        return
    table = Table("id", "label", "kind", "name", "status", "titles", "first seen", "updated",
                  "error")  # fmt: skip
    for d in items:
        name = f"{d.show} S{d.season:02d}" if d.show and d.season is not None else d.movie_title
        add_row(
            table, d.id, d.label, d.kind.value, name or "-", d.status.value, len(d.titles),
            when(d.first_seen), when(d.updated), d.error or "",
        )  # fmt: skip
    out.print(table)


@app.command("disc")
def disc_view(
    disc_id: Annotated[int, typer.Argument(help="The disc's id (see `boz discs`).")],
    as_json: JsonFlag = False,
) -> None:
    """One disc: its titles and where each goes, its jobs, and links to its Prefect runs."""
    from prefect.settings import PREFECT_API_URL

    from boz.db import store
    from boz.pipeline.preview import build_preview

    settings = _settings()
    with _database(settings).session() as s:
        shown = build_preview(s, disc_id, settings.library_dir, ids=settings.library_ids)
        its_jobs = store.list_jobs(s, disc_id)
    ids = [shown.disc.approval_flow_run_id, *(j.flow_run_id for j in its_jobs)]
    api = PREFECT_API_URL.value()
    runs = [
        {
            "flow_run_id": run,
            "url": f"{api.removesuffix('/api')}/runs/flow-run/{run}" if api else None,
        }
        for run in dict.fromkeys(i for i in ids if i)
    ]
    if as_json:
        data = shown.model_dump(mode="json")
        _print_json({**data, "jobs": [j.model_dump(mode="json") for j in its_jobs], "runs": runs})
        return
    d = shown.disc
    line = f"disc {d.id} {d.label}: {d.status.value}" + (f" ({d.error})" if d.error else "")
    out.print(visible(line), markup=False, highlight=False)
    print_preview(out, shown)
    _jobs_table(its_jobs, with_disc=False)
    for run in runs:
        out.print(f"run: {run['url'] or run['flow_run_id']}", soft_wrap=True, markup=False)


def _jobs_table(items: list[Job], *, with_disc: bool = True) -> None:
    if not items:
        return
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    table = Table(*(["id", "disc"] if with_disc else []), "title", "kind", "status", "host",
                  "attempts", "started", "took", "output / error")  # fmt: skip
    for j in items:
        add_row(
            table, *([j.id, j.disc_id] if with_disc else []), j.title_index, j.kind.value,
            j.status.value, j.host or "-", j.attempts, when(j.started),
            took(j.started, j.finished, now),
            f"held by {j.holder}" if j.holder else j.error or j.output_path or "",
        )  # fmt: skip
    out.print(table)


@app.command()
def jobs(
    disc: Annotated[int | None, typer.Option(help="Only this disc's jobs.")] = None,
    status: Annotated[
        JobStatus | None, typer.Option(help="Only jobs in this state.", case_sensitive=False)
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Rip, transcode and organize jobs, one per title and step, with when they ran."""
    from boz.db import store

    with _database(_settings()).session() as s:
        items = [j for j in store.list_jobs(s, disc) if status is None or j.status is status]
    if as_json:
        _print_json([j.model_dump(mode="json") for j in items])
        return
    if not items:
        out.print("no jobs" + (f" {status.value}" if status else "")
                  + (f" for disc {disc}" if disc is not None else ""))  # fmt: skip
    _jobs_table(items)


@app.command()
def seasons(
    show: Annotated[
        str | None, typer.Argument(help="Only this show (as its library folder names it).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """TV season counters: the last episode number handed out per show and season, and
    the numbers discs hold."""
    from boz.db import store
    from boz.pipeline.naming import show_key

    with _database(_settings()).session() as s:
        items = store.list_seasons(s)
    if show is not None:
        items = [x for x in items if x.show.casefold() == show_key(show).casefold()]
    if as_json:
        _print_json([x.model_dump(mode="json") for x in items])
        return
    table = Table("show", "season", "last episode", "episodes")
    for x in items:
        add_row(table, x.show, x.season, x.last_episode_assigned, _runs(x.episodes))
    out.print(table)


def _runs(numbers: list[int]) -> str:
    """1,2,3,5 -> 1-3,5."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ",".join(f"{a}-{b}" if b > a else str(a) for a, b in spans) or "-"


@app.command()
def prune(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Finished longer ago than this: 12h, 30d, 2w.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; remove nothing.")
    ] = False,
) -> None:
    """Remove the history of finished discs and their jobs. Season counters and the discs
    that hold episode numbers stay (only their jobs go): numbers are never given twice."""
    from datetime import UTC, datetime

    from boz.db.prune import age
    from boz.db.prune import prune as forget

    before = datetime.now(UTC) - age(older_than)
    with _database(_settings()).session() as s:
        pruned = forget(s, before, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    out.print(visible(f"{verb} {len(pruned.discs)} discs, {pruned.jobs} jobs (finished before "
                      f"{when(before)}); kept {pruned.kept_discs} finished discs that hold "
                      "episode numbers"), markup=False, highlight=False)  # fmt: skip
    for disc in pruned.discs:
        out.print(visible(f"  disc {disc}"), markup=False, highlight=False)


@app.command()
def watch(
    device: Annotated[
        list[str] | None, typer.Option(help="A drive to watch (repeatable); default: all.")
    ] = None,
    poll: Annotated[
        bool, typer.Option("--poll", help="Poll MakeMKV's drive scan instead of udev.")
    ] = False,
) -> None:
    """On a drive host: rip every disc inserted, one rip per drive at a time (Ctrl-C stops)."""
    from boz.drives.events import polling_events, udev_events
    from boz.drives.watcher import Watcher
    from boz.sources.makemkv.backend import MakeMKV

    settings = _settings()
    database = _database(settings)
    tool = MakeMKV.from_settings(settings)
    if device:
        devices = [(d, None) for d in device]
    else:
        devices = [(s.device, s.drive_name) for s in tool.drives() if s.device]
    watcher = Watcher(database, settings, settings.host_name, devices)
    use_udev = not poll and sys.platform == "linux"
    events = (
        udev_events(settings.watch_poll_seconds)
        if use_udev
        else polling_events(tool, settings.watch_poll_seconds)
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    out.print(f"watching {', '.join(d for d, _ in devices) or 'no drives'} "
              f"({'udev' if use_udev else 'polling'}); Ctrl-C stops")  # fmt: skip
    wanted = set(device or [])
    filtered = (e for e in events if e is None or not wanted or e.device in wanted)
    signal.signal(signal.SIGTERM, _stop_on_term)
    try:
        with _prefect(settings) as url:
            os.environ["PREFECT_API_URL"] = url  # the rips it starts use the same server
            watcher.run(filtered, until=lambda: False)
    except KeyboardInterrupt:
        out.print("stopped; rips already started go on in their own processes")
    finally:
        watcher.stop()


def _stop_on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def hosts(as_json: JsonFlag = False) -> None:
    """Drive hosts (boz watch) and the Prefect workers of the boz pools, with their status."""
    from boz.db import store
    from boz.deployments.hosts import with_workers

    settings = _settings()
    with _database(settings).session() as s:
        known = store.list_hosts(s, settings.host_offline_seconds)
    with _prefect(settings):
        items = with_workers(known)
    if as_json:
        _print_json([h.model_dump(mode="json") for h in items])
        return
    table = Table("name", "roles", "status", "last heartbeat", "drives", "encoders", "workers",
                  "jobs done", "transcode speed")  # fmt: skip
    for h in items:
        add_row(
            table, h.name, ",".join(h.roles) or "-", h.status,
            h.last_heartbeat.strftime("%Y-%m-%d %H:%M:%S") if h.last_heartbeat else "-",
            ",".join(h.drives) or "-", ",".join(h.encoders) or "-", ",".join(h.workers) or "-",
            h.jobs_done, f"{h.transcode_speed}x" if h.transcode_speed else "-",
        )  # fmt: skip
    out.print(table)


@app.command()
def setup() -> None:
    """Create the work pools, drive limits, deployments and crash automation (idempotent)."""
    from boz.db import store
    from boz.deployments import setup as steps

    settings = _settings()
    with _database(settings).session() as s:
        drives = [(host, device) for host, device, _ in store.list_drives(s)]
    checkout = steps.checkout_with_prefect_yaml(Path.cwd())
    with _prefect(settings) as url:
        out.print(f"Prefect server {url}")
        for line in [
            *steps.ensure_pools(),
            *steps.ensure_drive_limits(drives),
            *steps.ensure_reschedule_automation(),
            *steps.ensure_zombie_automation(),
            *steps.deploy(checkout),
        ]:
            out.print(f"  {line}", soft_wrap=True)
    out.print("On drive hosts, to transcode on the transcode hosts:")
    out.print(f"  export BOZ_TRANSCODE_DEPLOYMENT={steps.TRANSCODE_DEPLOYMENT}")
    out.print("On transcode hosts:")
    out.print("  prefect worker start --pool boz-transcode --name <host> --limit N")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the domain database to the newest schema."""
    from sqlalchemy import text

    database = _database(settings := _settings())
    with database.session() as s:
        revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar()
    out.print(f"database {settings.db_url} at revision {revision}")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The new backup file (never overwritten).")],
) -> None:
    """Copy the SQLite database consistently while hosts use it (PostgreSQL: pg_dump)."""
    from boz.db.backup import backup

    settings = _settings()
    size = backup(settings.db_url, file)
    out.print(f"backed up {settings.db_url} to {file} ({size / 1e6:.1f} MB)", soft_wrap=True)


@thediscdb_app.command("import")
def thediscdb_import(
    path: Annotated[Path, typer.Argument(help="A clone of TheDiscDB/data (or its data/ folder).")],
) -> None:
    """Index every disc of TheDiscDB's data, so a disc it knows is named exactly."""
    from boz.db.thediscdb import import_repository

    done = import_repository(_database(_settings()), path)
    for line in done.skipped:
        out.print(f"skipped {line}", soft_wrap=True, markup=False)
    out.print(
        f"imported {done.stored} discs ({done.tv} TV, {done.movies} movies) from {path}; "
        f"the index holds {done.total}; {len(done.skipped)} skipped",
        soft_wrap=True,
        markup=False,
    )


@server_app.command("start")
def server_start(
    port: Annotated[int | None, typer.Option(help="Default: BOZ_SERVER_PORT (4200).")] = None,
    url_only: Annotated[bool, typer.Option("--url-only", help="Print only the API URL.")] = False,
) -> None:
    """Start a Prefect server on 127.0.0.1 (its data under BOZ_HOME), or find it running."""
    from boz.deployments.local_server import start

    settings = _settings()
    url = start(
        settings.home, port=port or settings.server_port, database_url=settings.prefect_database
    )
    if url_only:
        sys.stdout.write(url + "\n")
        return
    out.print(f"Prefect UI: {url.removesuffix('/api')}")
    out.print(f"export PREFECT_API_URL={url}")


@server_app.command("run")
def server_run(
    host: Annotated[str, typer.Option(help="0.0.0.0: reachable from other hosts.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="Default: BOZ_SERVER_PORT (4200).")] = None,
) -> None:
    """Run the Prefect server in the foreground (for systemd), as `boz server start` runs it."""
    from boz.deployments.local_server import run

    settings = _settings()
    run(
        settings.home,
        host=host,
        port=port or settings.server_port,
        database_url=settings.prefect_database,
    )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the Prefect server that `boz server start` left running."""
    from boz.deployments.local_server import stop

    out.print("stopped" if stop(_settings().home) else "no server was running")


@app.command()
def where(
    what: Annotated[str, typer.Argument(help="home, library, staging or database")],
) -> None:
    """Print where this machine keeps its home, library, staging or database."""
    settings = _settings()
    places = {
        "home": str(settings.home),
        "library": str(settings.library_dir),
        "staging": str(settings.staging_dir),
        "database": settings.db_url,
    }
    if what not in places:
        raise typer.BadParameter(f"choose one of {', '.join(places)}")
    sys.stdout.write(places[what] + "\n")


@app.command("sample-disc")
def sample_disc(
    folder: Annotated[Path, typer.Argument(help="Folder to create, named like a disc label.")],
    episodes: Annotated[int, typer.Option(min=0, help="How many episodes.")] = 3,
    seconds: Annotated[float, typer.Option(min=1, help="Length of each episode.")] = 20,
    extras: Annotated[int, typer.Option(min=0, help="How many extras, after them.")] = 1,
    extra_seconds: Annotated[float, typer.Option(min=1, help="Length of each extra.")] = 4,
    variant: Annotated[int, typer.Option(help="Changes the content, so discs differ.")] = 0,
) -> None:
    """Make a small sample TV disc (a folder of title files) with ffmpeg."""
    from boz.media.sample import make_disc

    if folder.exists() and any(folder.iterdir()):
        out.print(f"{folder} exists; keeping it")
        return
    make_disc(folder, episodes=episodes, episode_seconds=seconds, extras=extras,
              extra_seconds=extra_seconds, first_variant=variant,
              ffmpeg=_settings().ffmpeg)  # fmt: skip
    out.print(f"sample disc in {folder}")


def main() -> None:
    """Every failure is one line on stderr: 1 for what the user can fix (an input, an
    option, a setting), 2 for a bug (the run's log in Prefect has its traceback)."""
    from pydantic import ValidationError

    try:
        result = app(standalone_mode=False)
    except typer.Exit as done:  # --version
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        _fail("interrupted", 130)
    except typer.TyperException as exc:  # the command line itself: a usage error
        if type(exc).__name__ == "NoArgsIsHelpError":  # `boz` or `boz db` alone: the help
            exc.show()  # type: ignore[attr-defined]
            raise SystemExit(0) from None
        ctx = getattr(exc, "ctx", None)
        sub = ctx.command_path[len(ctx.find_root().command_path) :] if ctx is not None else ""
        message = exc.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
        _fail(f"{message} (see boz{sub} --help)")  # however it was started: python -m boz
    except BozError as exc:
        _fail(str(exc))
    except ValidationError as exc:  # an option's value that the models refuse
        first = exc.errors()[0]
        field = "--" + "-".join(str(p) for p in first["loc"]).replace("_", "-")
        _fail(f"{field} {first['input']!r}: {first['msg']}")
    except Exception as exc:  # a bug: say so in one line; the run log has the traceback
        _fail(f"unexpected error: {type(exc).__name__}: {exc}", 2)
    raise SystemExit(result if isinstance(result, int) else 0)


def _fail(line: str, status: int = 1) -> None:
    sys.stderr.write(f"boz: {visible(' '.join(line.split()))}\n")
    raise SystemExit(status)
