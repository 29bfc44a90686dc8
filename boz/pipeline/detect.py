"""Detect: read the source, find or create its disc row, record its titles."""

from __future__ import annotations

from boz.db import store
from boz.db.engine import Database
from boz.errors import BozError
from boz.models import Disc, DiscStatus
from boz.settings import Settings
from boz.sources import open_source


def detect(db: Database, settings: Settings, source_spec: str) -> Disc:
    """The disc in ``source_spec``; a failure to read its titles is stored on the disc row.

    Reading a disc before it has a row (no disc, keys MakeMKV cannot use) leaves nothing
    to mark: the error goes to the caller alone.
    """
    source = open_source(source_spec, settings)
    label, fp = source.label, source.fingerprint()
    with db.session() as s:
        disc_id = store.find_or_create_disc(
            s,
            label=label,
            fingerprint=fp,
            source=source.spec,
            scan_minlength=source.minlength,
            drive_id=store.drive_id(s, source.spec, settings.host_name),
        )
    try:
        titles = source.read_titles()
    except BozError as exc:
        with db.session() as s:
            store.set_disc_status(s, disc_id, DiscStatus.failed, error=str(exc))
        raise
    with db.session() as s:
        store.save_titles(s, disc_id, titles)
        return store.get_disc(s, disc_id)
