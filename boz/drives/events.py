"""Media events from a host's optical drives: udev when it is there, MakeMKV's drive scan else.

One physical insert makes several udev "change" events (tray closed, media detected,
filesystem probed); the watcher debounces them. Sources yield ``None`` between events
so the watcher can send heartbeats and collect finished rips.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from boz.sources.makemkv.backend import MakeMKV
from boz.sources.makemkv.robot import DriveSlot


class Action(StrEnum):
    inserted = "inserted"
    removed = "removed"


class Media(StrEnum):
    video = "video"  # a DVD or Blu-ray that may hold video
    data = "data"
    audio = "audio"
    blank = "blank"
    none = "none"


@dataclass(frozen=True)
class MediaEvent:
    device: str
    action: Action
    media: Media = Media.video
    label: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def rippable(self) -> bool:
        return self.action is Action.inserted and self.media is Media.video


def from_udev(action: str, properties: Mapping[str, str]) -> MediaEvent | None:
    """Read a udev block-device event (its ID_CDROM_* properties) as a media event."""
    if properties.get("ID_CDROM") != "1" or action not in ("change", "add", "remove"):
        return None
    device = properties.get("DEVNAME", "")
    if action == "remove" or properties.get("ID_CDROM_MEDIA") != "1":
        return MediaEvent(device, Action.removed, Media.none)
    if properties.get("ID_CDROM_MEDIA_STATE") == "blank":
        media = Media.blank
    elif any(properties.get(k) == "1" for k in ("ID_CDROM_MEDIA_DVD", "ID_CDROM_MEDIA_BD")) or any(
        k.startswith(("ID_CDROM_MEDIA_DVD", "ID_CDROM_MEDIA_BD")) for k in properties
    ):
        media = Media.video
    elif int(properties.get("ID_CDROM_MEDIA_TRACK_COUNT_AUDIO", "0") or 0) > 0:
        media = Media.audio
    else:
        media = Media.data
    return MediaEvent(device, Action.inserted, media, properties.get("ID_FS_LABEL"))


def from_drive_scan(slot: DriveSlot) -> MediaEvent:
    """What a drive holds by MakeMKV's scan: its flags say whether DVD/BD video files exist."""
    if not slot.has_disc:
        return MediaEvent(slot.device, Action.removed, Media.none)
    media = Media.video if slot.is_video else (Media.data if slot.disc_name else Media.blank)
    return MediaEvent(slot.device, Action.inserted, media, slot.disc_name or None)


def udev_events(poll_seconds: float) -> Iterator[MediaEvent | None]:
    """Events from the kernel via udev (Linux; needs pyudev)."""
    import pyudev

    context = pyudev.Context()
    monitor = pyudev.Monitor.from_netlink(context)
    monitor.filter_by("block")
    monitor.start()
    while True:
        device = monitor.poll(timeout=poll_seconds)
        if device is None:
            yield None
            continue
        event = from_udev(device.action or "", dict(device.properties))
        if event is not None:
            yield event


def polling_events(tool: MakeMKV, poll_seconds: float) -> Iterator[MediaEvent | None]:
    """Events from comparing MakeMKV drive scans (``info disc:9999``), for hosts without udev."""
    known: dict[str, bool] = {}
    while True:
        for slot in tool.drives():
            if not slot.device:
                continue
            if known.get(slot.device) != slot.has_disc:
                known[slot.device] = slot.has_disc
                yield from_drive_scan(slot)
        yield None
        time.sleep(poll_seconds)
