"""Online metadata for the preview (TheTVDB v4): episode names, runtimes, series and movies.

Metadata is a help, never a requirement: every lookup degrades to "unknown" with a
line in ``Metadata.problems`` when there is no key or TheTVDB cannot answer.
"""

from boz.metadata.tvdb import EpisodeInfo, Metadata, SeriesInfo

__all__ = ["EpisodeInfo", "Metadata", "SeriesInfo"]
