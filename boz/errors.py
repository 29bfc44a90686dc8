"""Errors a user can act on: one type per failure, each shown as a single line.

Everything raised on purpose derives from BozError; the CLI prints its message and
exits non-zero, so a message must say what failed and what to do about it.
Transient errors are the only ones Prefect retries.
"""

from __future__ import annotations


class BozError(Exception):
    """A failure with a message fit to show the user as is."""

    transient = False


class BadSetting(BozError):
    """A BOZ_ variable or a line of config.toml that cannot be used."""


class BadOption(BozError):
    """A command-line option or a setting whose value cannot be used as given."""


class SourceNotFound(BozError):
    """The disc source (folder, device, image) does not exist."""


class NoTitles(BozError):
    """The source holds nothing that could be a title."""


class UnreadableMedia(BozError):
    """ffprobe or ffmpeg could not read a title."""


class ToolMissing(BozError):
    """An external program (ffmpeg, ffprobe) is not installed or not executable."""


class ToolFailed(BozError):
    """An external program ran but failed; may succeed on retry."""

    transient = True


class ToolStalled(BozError):
    """An external program stopped making progress and was killed."""

    transient = True


class NoSpace(BozError):
    """The staging or library filesystem is full; retrying will not help until space is freed."""


class SourceDamaged(BozError):
    """A ripped or source title is shorter than it declares or does not decode cleanly."""


class LibraryUnwritable(BozError):
    """The library or staging folder cannot be written by this host."""


class NoDisc(BozError):
    """The drive or image holds no readable disc."""


class DiscReadError(BozError):
    """The drive could not read part of a title; another attempt often succeeds."""

    transient = True


class DiscKeyError(BozError):
    """MakeMKV could not decrypt the disc (missing or outdated keys, hash check)."""


class MakeMKVTooOld(BozError):
    """MakeMKV refuses to run: its beta key expired or the version is too old."""


class OutputInvalid(BozError):
    """A produced file failed verification (missing packets, streams or chapters)."""

    transient = True


class LibraryConflict(BozError):
    """A different file already sits at the destination; we never overwrite."""


class BadProfile(BozError):
    """The run's transcode profile is not defined, or the encoder settings the default
    profile is built from name no codec we can encode."""


class NeedsDecision(BozError):
    """The preview cannot proceed without the operator (unknown kind, no show)."""


class BadDecision(BozError):
    """An approval that cannot be carried out as given (a title that does not exist, a role
    the disc's kind cannot hold, numbers that clash); nothing of it is stored."""


class NothingToRip(BozError):
    """An approval that would rip nothing: the proposal selected no title."""


class EpisodeConflict(BozError):
    """Requested episode numbers already belong to another disc."""


class JobHeld(BozError):
    """Another live process or host is running this very step of this title."""


class DiscBusy(BozError):
    """Another live run owns this disc (ripping it, or waiting for its approval)."""


class StagingUnreachable(BozError):
    """This host cannot see a file in BOZ_STAGING that another host wrote there."""


class StepNotDone(BozError):
    """A step was asked for a title whose earlier step has not finished (rip before transcode)."""


class DiscNotFound(BozError):
    """No disc with that id in the domain database."""


class NotAwaitingApproval(BozError):
    """approve/reject was asked for a disc that is not waiting for approval."""


class ApprovalTimedOut(BozError):
    """Nobody approved in time; the disc waits, and `boz approve` rips it in a new run."""


class PrefectUnavailable(BozError):
    """No Prefect API that other processes can reach."""


class DatabaseError(BozError):
    """The domain database cannot be opened or migrated."""

    @classmethod
    def cannot(cls, doing: str, url: str, exc: Exception) -> DatabaseError:
        """``cannot <doing> the database at <url>: <reason>``, the reason in the driver's
        own words on one line (drivers wrap their hints onto more lines)."""
        orig = getattr(exc, "orig", None)
        said = str(orig) if orig else str(exc).splitlines()[0]
        return cls(f"cannot {doing} the database at {url}: {' '.join(said.split())}")


class BackupFailed(BozError):
    """No backup was made: not SQLite, nothing to copy, the file exists, or the copy
    failed (and was removed)."""


class MetadataUnavailable(BozError):
    """TheTVDB could not answer (no key, rejected key, down, slow, bad reply); names are omitted."""


class NoDiscData(BozError):
    """A folder given to ``boz thediscdb import`` holds no disc of TheDiscDB's layout."""
