"""A disc read through makemkvcon: a drive, a device, an ISO image or a VIDEO_TS/BDMV folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from boz.errors import NoSpace, OutputInvalid, SourceNotFound
from boz.media.probe import probe
from boz.media.runner import ProgressCallback
from boz.models import Title
from boz.settings import Settings
from boz.sources.identity import fingerprint
from boz.sources.makemkv.backend import MakeMKV
from boz.sources.makemkv.robot import DiscScan

SPACE_MARGIN = 1.05  # MKV overhead over MakeMKV's size estimate


class MakeMKVSource:
    def __init__(self, spec: str, settings: Settings, *, minlength: int | None = None) -> None:
        kind, _, where = spec.partition(":")
        if kind in ("iso", "file") and not Path(where).exists():
            raise SourceNotFound(f"no such {'image' if kind == 'iso' else 'folder'}: {where}")
        if kind == "dev" and not where:
            raise SourceNotFound("dev: needs a device, e.g. dev:/dev/sr0")
        self.spec = spec
        self.settings = settings
        self.tool = MakeMKV.from_settings(settings, minlength=minlength)
        self.minlength: int | None = self.tool.minlength
        self._scan: DiscScan | None = None

    @property
    def scan(self) -> DiscScan:
        if self._scan is None:
            self._scan = self.tool.info(self.spec)
        return self._scan

    @property
    def label(self) -> str:
        return self.scan.label or self.spec.rpartition("/")[2] or "DISC"

    def fingerprint(self) -> str:
        """Label plus layout, so discs of one box set (often labelled alike) differ."""
        layout = [
            (t.index, round(t.duration_s), t.size_bytes, t.segment_map or "", t.source_file or "")
            for t in self.scan.titles
        ]
        return fingerprint(self.label, layout)

    def read_titles(self) -> list[Title]:
        return self.scan.titles

    def rip(self, title: Title, target: Path, *, on_progress: ProgressCallback | None) -> None:
        """Save ``title`` with makemkvcon and move it to ``target`` once it checks out."""
        free = shutil.disk_usage(target.parent).free
        if title.size_bytes * SPACE_MARGIN > free:
            raise NoSpace(
                f"title {title.index} needs about {title.size_bytes / 1e9:.1f} GB and "
                f"{target.parent} has {free / 1e9:.1f} GB free; free space or set BOZ_STAGING"
            )
        work = target.with_name(target.name + ".makemkv")
        shutil.rmtree(work, ignore_errors=True)
        try:
            written = self.tool.mkv(
                self.spec,
                title.index,
                work,
                output_file=title.output_file,
                on_progress=on_progress,
            )
            info = probe(written, ffprobe=self.settings.ffprobe, count_packets=True)
            if not info.packets("video") or info.warnings:
                raise OutputInvalid(f"title {title.index} from makemkvcon does not read back whole")
            written.replace(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
