"""makemkvcon in robot mode: read a disc's titles (``info``) and save one title (``mkv``).

makemkvcon's exit status says little (a failed save can exit 0), so outcomes are read
from its messages, and each failure a user can act on gets its own error: no disc, a
read error (retried), keys MakeMKV cannot use, a version too old to run, a full disk.
Every call has a deadline and a stall detector on its output lines; a killed call
takes its whole process group with it.

Title numbers depend on ``--minlength``: ``info`` and ``mkv`` must use the same value,
which is why it is a constructor argument here and stored with the disc.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from boz.errors import (
    BozError,
    DiscKeyError,
    DiscReadError,
    MakeMKVTooOld,
    NoDisc,
    NoSpace,
    ToolFailed,
    ToolMissing,
)
from boz.process import Finished, run_lines
from boz.settings import Settings
from boz.sources.makemkv.robot import (
    DiscScan,
    DriveSlot,
    Message,
    Progress,
    RobotFormatError,
    parse_info,
    parse_line,
)

MSG_NO_DISC = 5010
MSG_TOO_OLD = 5021
MSG_SAVED = 5036
_KEY_TROUBLE = re.compile(
    r"hash check|aacs|bd\+|decrypt|processing key|volume unique key|\bvuk\b|keydb|"
    r"copy protection",
    re.IGNORECASE,
)
_TOO_OLD = re.compile(r"too old|evaluation period has expired|registration key", re.IGNORECASE)
_NO_SPACE = re.compile(r"no space left|not enough (free )?(disk )?space", re.IGNORECASE)
_READ_ERROR = re.compile(r"error .* occurred while reading|medium error|read error", re.IGNORECASE)
_FAILED_SAVE = re.compile(r"failed to save|titles? saved, \d+ failed", re.IGNORECASE)


def makemkvcon_missing() -> ToolMissing:
    return ToolMissing(
        "makemkvcon not found: install MakeMKV (https://www.makemkv.com) or set BOZ_MAKEMKVCON"
    )


def find_makemkvcon(configured: str | None) -> str:
    found = shutil.which(configured or "makemkvcon")
    if not found:
        raise makemkvcon_missing()
    return found


@dataclass(frozen=True)
class MakeMKV:
    executable: str
    minlength: int
    stall_seconds: float
    info_timeout_seconds: float
    rip_timeout_seconds: float
    cache_mb: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, minlength: int | None = None) -> MakeMKV:
        return cls(
            executable=find_makemkvcon(settings.makemkvcon),
            minlength=settings.makemkv_minlength if minlength is None else minlength,
            stall_seconds=settings.makemkv_stall_seconds,
            info_timeout_seconds=settings.makemkv_info_timeout_seconds,
            rip_timeout_seconds=settings.makemkv_rip_timeout_seconds,
            cache_mb=settings.makemkv_cache_mb,
        )

    def _options(self) -> list[str]:
        options = ["-r", "--progress=-same", f"--minlength={self.minlength}"]
        return options + ([f"--cache={self.cache_mb}"] if self.cache_mb else [])

    def _scan(self, args: list[str]) -> tuple[DiscScan, Finished]:
        lines: list[str] = []
        done = run_lines(
            [self.executable, *args],
            on_line=lines.append,
            stall_seconds=self.stall_seconds,
            timeout_seconds=self.info_timeout_seconds,
            missing=makemkvcon_missing(),
        )
        try:
            return parse_info(lines), done
        except RobotFormatError as exc:
            raise ToolFailed(f"makemkvcon printed what its robot mode never does: {exc}") from exc

    def info(self, source: str) -> DiscScan:
        scan, done = self._scan([*self._options(), "info", source])
        failure = classify(scan.messages, doing=f"reading {source}")
        if failure is not None:
            raise failure
        if not scan.titles:
            if any(m.code == MSG_NO_DISC for m in scan.messages) or scan.title_count == 0:
                raise NoDisc(f"no readable disc in {source}")
            raise ToolFailed(f"makemkvcon info {source} gave no titles: {_last_words(scan, done)}")
        return scan

    def drives(self) -> list[DriveSlot]:
        """The host's drives and what they hold (``info disc:9999`` scans without reading)."""
        scan, _ = self._scan(["-r", "info", "disc:9999"])
        failure = classify(scan.messages, doing="scanning drives")
        if isinstance(failure, MakeMKVTooOld):
            raise failure
        return scan.drives

    def mkv(
        self,
        source: str,
        title_index: int,
        output_dir: Path,
        *,
        output_file: str | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> Path:
        """Save one title into ``output_dir``; returns the file makemkvcon wrote."""
        output_dir.mkdir(parents=True, exist_ok=True)
        before = set(output_dir.glob("*.mkv"))
        messages: list[Message] = []

        def on_line(line: str) -> None:
            try:
                record = parse_line(line)
            except RobotFormatError:
                return  # one garbled progress line is no reason to abandon a rip
            if isinstance(record, Message):
                messages.append(record)
            elif isinstance(record, Progress) and on_progress and record.maximum:
                on_progress(min(1.0, record.total / record.maximum))

        done = run_lines(
            [self.executable, *self._options(), "mkv", source, str(title_index), str(output_dir)],
            on_line=on_line,
            stall_seconds=self.stall_seconds,
            timeout_seconds=self.rip_timeout_seconds,
            missing=makemkvcon_missing(),
        )
        doing = f"saving title {title_index} of {source}"
        failure = classify(messages, doing=doing)
        if failure is not None:
            raise failure
        written = output_dir / output_file if output_file else None
        if written is None or not written.is_file():
            new = sorted(set(output_dir.glob("*.mkv")) - before)
            written = new[0] if len(new) == 1 else None
        if written is None or not any(m.code == MSG_SAVED for m in messages):
            last = messages[-1].text if messages else done.stderr or f"exit {done.returncode}"
            raise ToolFailed(f"makemkvcon did not save title {title_index}: {last}")
        return written


def classify(messages: list[Message], *, doing: str) -> BozError | None:
    """The error a user can act on that these messages report, if any."""
    texts = [m.text for m in messages]
    too_old = [m.text for m in messages if m.code == MSG_TOO_OLD or _TOO_OLD.search(m.text)]
    if too_old:
        return MakeMKVTooOld(
            f"MakeMKV refuses to run ({too_old[0]}): install the current MakeMKV or enter "
            "a registration key (the beta key is on makemkv.com)"
        )
    keys = [t for t in texts if _KEY_TROUBLE.search(t)]
    failed = [t for t in texts if _FAILED_SAVE.search(t)]
    no_disc = any(m.code == MSG_NO_DISC for m in messages)
    if keys and (failed or no_disc or doing.startswith("reading")):
        return DiscKeyError(
            f"MakeMKV cannot decrypt this disc ({keys[0]}): update MakeMKV and its keys"
        )
    space = [t for t in texts if _NO_SPACE.search(t)]
    if space:
        return NoSpace(f"{doing}: {space[0]}; free space in staging or set BOZ_STAGING")
    reads = [t for t in texts if _READ_ERROR.search(t)]
    if reads and failed:
        return DiscReadError(f"{doing}: {reads[0]}")
    if failed:
        return ToolFailed(f"{doing}: {failed[0]}")
    return None


def _last_words(scan: DiscScan, done: Finished) -> str:
    return scan.messages[-1].text if scan.messages else done.stderr or f"exit {done.returncode}"
