"""What a disc's run shows on its Artifacts tab: the plan while it is decided, and what
landed where once it is done (progress artifacts are tasks/progress.py's)."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from boz.models import Preview
from boz.pipeline import approval


def publish_preview(proposal: Preview, how: str) -> None:
    """The plan on the flow run's Artifacts tab: a table of titles and the summary. Published
    again under the same keys once decided, so the latest version is what gets ripped."""
    disc = proposal.disc
    assert disc.id is not None
    create_table_artifact(
        table=approval.preview_rows(proposal),
        key=approval.artifact_key(disc.id, "preview"),
        description=f"Titles of disc {disc.label} (id {disc.id}), {how}",
    )
    create_markdown_artifact(
        markdown=approval.summary_markdown(proposal),
        key=approval.artifact_key(disc.id, "summary"),
        description=f"Preview of disc {disc.label} (id {disc.id}), {how}",
    )


def publish_landed(final: Preview) -> None:
    """One row per selected title: where it is in the library now, or that it is not."""
    disc = final.disc
    assert disc.id is not None
    create_table_artifact(
        table=approval.landed_rows(final),
        key=approval.artifact_key(disc.id, "landed"),
        description=f"What disc {disc.label} (id {disc.id}) put in the library",
    )
