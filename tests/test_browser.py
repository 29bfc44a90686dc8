"""Approval in the Prefect UI, in a real browser: Debian's Chromium driven by Playwright.

A ``boz rip`` without ``--yes`` pauses; the operator opens the run's page, clicks
"Resume", edits the typed form (drops title 1, starts at episode 5) and submits. Only the
edited selection lands in the library.

Selectors are what the operator sees: the button names, the field labels of the form
("Titles (Optional)", "First Episode (Optional)") and the inputs' roles. The UI gives the
dialog no accessible name and the list editor's delete button no name: the dialog is found
by its title text, a field's inputs by the nearest element around its label that holds an
input, and an item's delete button is the first button of its row (the trash icon; the
other one opens a menu).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import boz_json, library_files, start_rip, wait_for_status

pytestmark = pytest.mark.usefixtures("prefect_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEASON = "TV/Sample Show/Season 01"
UI_TIMEOUT_MS = 20_000  # a page load and its first API answers took about 4 s here


def _approve_in_the_ui(ui: str, flow_run_id: str, screenshot: Path) -> None:
    """Open the paused run, click Resume, keep titles 0 and 2, start at episode 5, submit."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            page.goto(f"{ui}/runs/flow-run/{flow_run_id}", timeout=UI_TIMEOUT_MS)
            page.get_by_role("button", name="Resume", exact=True).click(timeout=UI_TIMEOUT_MS)

            dialog = page.get_by_role("dialog").filter(has_text="Resume Flow Run")
            expect(dialog).to_be_visible(timeout=10_000)
            # the preview (RunInput description) is shown above the form
            expect(
                dialog.get_by_role("heading", name="Disc SAMPLE_SHOW_S1_D1 (id 1)")
            ).to_be_visible(timeout=10_000)
            expect(dialog.get_by_text(f"{SEASON}/Sample Show - S01E03.mkv")).to_be_visible(
                timeout=5_000
            )

            def field(label: str):  # type: ignore[no-untyped-def]
                return dialog.get_by_text(label, exact=True).locator(
                    "xpath=ancestor::div[.//input][1]"
                )

            titles = field("Titles (Optional)").get_by_role("spinbutton")
            expect(titles).to_have_count(3, timeout=10_000)
            values = [titles.nth(i).input_value(timeout=5_000) for i in range(3)]
            assert values == ["0", "1", "2"], values
            row = titles.nth(values.index("1")).locator("xpath=ancestor::div[.//button][1]")
            row.get_by_role("button").first.click(timeout=5_000)  # the trash icon
            expect(titles).to_have_count(2, timeout=5_000)
            expect(titles.nth(0)).to_have_value("0", timeout=5_000)
            expect(titles.nth(1)).to_have_value("2", timeout=5_000)

            first_episode = field("First Episode (Optional)").get_by_role("spinbutton")
            expect(first_episode).to_have_value("1", timeout=5_000)
            first_episode.fill("5", timeout=5_000)
            expect(first_episode).to_have_value("5", timeout=5_000)

            dialog.get_by_role("button", name="Submit", exact=True).click(timeout=5_000)
            expect(dialog).to_be_hidden(timeout=15_000)  # closes once the server took the input
        except Exception as exc:
            page.screenshot(path=str(screenshot), full_page=True, timeout=10_000)
            raise AssertionError(f"{exc}\nscreenshot: {screenshot}") from exc
        finally:
            browser.close()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (make test-deps)")
def test_an_edited_approval_form_in_the_prefect_ui_resumes_the_run(
    disc_factory, boz_home: Path, tmp_path: Path
) -> None:
    ui = os.environ["PREFECT_API_URL"].removesuffix("/").removesuffix("/api")
    disc = disc_factory("SAMPLE_SHOW_S1_D1")
    rip = start_rip(str(disc))
    try:
        waiting = wait_for_status("awaiting_approval", timeout=45)
        assert [t["episodes"] for t in waiting["titles"]] == [[1], [2], [3], []]
        _approve_in_the_ui(ui, waiting["approval_flow_run_id"], tmp_path / "resume-dialog.png")
        out, err = rip.communicate(timeout=60)
    finally:
        rip.kill()
        rip.wait(timeout=10)
    assert rip.returncode == 0, f"boz rip failed ({rip.returncode}):\n{err}\n{out}"

    assert library_files(boz_home) == [
        f"{SEASON}/Sample Show - S01E05.mkv",
        f"{SEASON}/Sample Show - S01E06.mkv",
    ]
    [done] = boz_json("discs")
    assert done["status"] == "done"
    assert [t["selected"] for t in done["titles"]] == [True, False, True, False]
    assert [t["episodes"] for t in done["titles"]] == [[5], [], [6], []]
