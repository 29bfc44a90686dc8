"""Hand each ripped title to the flow ``transcode_title`` as soon as its rip ends.

With ``BOZ_TRANSCODE_DEPLOYMENT`` set, a run of that deployment on the transcode pool
(whichever worker takes it); otherwise in this process, beside the next rip, at most
``BOZ_TRANSCODE_SLOTS`` encodes at a time (0: in line, before the next rip, as one
machine did before work pools). Either way Prefect runs and records them; nothing here
queues work beyond a thread pool for the in-process case, one thread more than the slots
so that the next title's run starts while the last one ends (see ``encode_turn``).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from prefect import get_run_logger
from prefect.deployments import run_deployment
from prefect.runtime import flow_run

from boz.db import claims, store
from boz.db.engine import open_database
from boz.errors import BozError
from boz.flows.transcode_title import TURNS, transcode_title
from boz.media.encoders import usable_encoders
from boz.settings import Settings
from boz.tasks.runtime import run_ended


class Handoff:
    def __init__(self, settings: Settings, library: str | None, profile: str | None) -> None:
        self.settings = settings
        self.library = library
        self.profile = profile
        self.deployment = settings.transcode_deployment
        inline = self.deployment or settings.transcode_slots == 0
        slots = settings.transcode_slots
        self.pool = None if inline else ThreadPoolExecutor(slots + 1, "transcode")
        self.turns = threading.BoundedSemaphore(max(slots, 1))
        self.futures: list[Future[str]] = []
        if self.deployment and library:
            get_run_logger().warning(
                "--library applies to this host only; %s files titles in its own BOZ_LIBRARY",
                self.deployment,
            )

    def warm_up(self) -> None:
        """As the run starts: the first transcode in this process needs this host's
        encoder trials (a second of trial encodes when the day's answer is not cached),
        so they run beside the preview and the approval (and the first rip, if they take
        longer), never between that rip and its transcode."""
        if not self.deployment:
            threading.Thread(target=_try_encoders, args=(self.settings,), daemon=True).start()

    def submit(
        self,
        disc_id: int,
        title_index: int,
        position: tuple[int, int] | None = None,
        run_tags: list[str] | None = None,
    ) -> None:
        """``run_tags``: the disc's, for a run on another host (in this process, the
        child run takes them from the caller's ``tags`` block)."""
        if self.deployment:
            me = claims.Holder.this_process(self.settings.host_name)
            with open_database(self.settings.db_url).session() as s:
                if store.in_hand(s, disc_id, title_index, me, run_ended):
                    get_run_logger().info("title %d: filed or being transcoded", title_index)
                    return
                key = store.handoff_key(s, disc_id, title_index, flow_run.get_id())
            run = run_deployment(
                self.deployment,
                parameters={
                    "disc_id": disc_id,
                    "title_index": title_index,
                    **({"profile": self.profile} if self.profile else {}),
                    **({"position": list(position)} if position else {}),
                },
                timeout=0,
                idempotency_key=f"boz-transcode-{key}",
                tags=run_tags,
            )
            get_run_logger().info("title %d: transcode run %s", title_index, run.name)
        elif self.pool is None:
            transcode_title(disc_id, title_index, self.library, self.profile, position)
        else:
            context = contextvars.copy_context()  # the child run's parent is this flow run
            context.run(TURNS.set, self.turns)
            future = self.pool.submit(
                context.run,
                transcode_title,
                disc_id,
                title_index,
                self.library,
                self.profile,
                position,
            )
            self.futures.append(future)

    def wait(self) -> None:
        """Wait for in-process transcodes; raise the first failure once all have ended."""
        if self.pool is None:
            return
        self.pool.shutdown(wait=True)
        failures = []
        for future in self.futures:
            try:
                future.result()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def wait_quietly(self) -> None:
        """After a failed rip: let the titles already handed over finish, then fail."""
        try:
            self.wait()
        except Exception as exc:
            get_run_logger().warning("a transcode failed as well: %s", exc)


def _try_encoders(settings: Settings) -> None:
    """A failure here is the transcode's to report, when it asks again."""
    with contextlib.suppress(BozError, OSError):
        usable_encoders(settings)
