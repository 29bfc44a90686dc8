"""Approval in the Prefect UI, in a real browser: Debian's Chromium driven by Playwright.

A ``boz rip`` without ``--yes`` pauses; the operator opens the run's page on a laptop
screen (1366x768), clicks "Resume", reads the disc and where each title would land, makes
a title an extra (a featurette), starts at episode 5 and submits. The edited plan lands.

Selectors are what the operator sees: the button names, the field labels of the form
("Title", "Role (Optional)", "First Episode (Optional)"), the select's options. The UI
gives the dialog no accessible name: it is found by its title text, and one title's row is
the nearest element around its "Title" input that holds a "Role" field. Whether text is
really on screen is read from boxes (the dialog's scrolling body is ``.p-modal__body``).
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
FIELD = "ancestor::div[contains(concat(' ', @class, ' '), ' p-label ')][1]"  # a label's field
UI_TIMEOUT_MS = 20_000  # a page load and its first API answers took about 4 s here


def _in_view(dialog, text: str) -> None:  # type: ignore[no-untyped-def]
    """``text`` is on screen in the dialog's scrolling body as it opens: not merely in the
    DOM (the UI squeezes a long form's description to height 0, where Playwright still
    calls it visible)."""
    from playwright.sync_api import expect

    found = dialog.get_by_text(text).first
    expect(found).to_be_visible(timeout=10_000)
    box, body = found.bounding_box(), dialog.locator(".p-modal__body").bounding_box()
    assert box and body and box["height"] > 0, f"{text!r} has no height"
    assert body["y"] <= box["y"] and box["y"] + box["height"] <= body["y"] + body["height"], (
        f"{text!r} is outside the dialog's view ({box} in {body})"
    )


def _inputs(where, label: str):  # type: ignore[no-untyped-def]
    """The inputs of the fields labelled ``label`` (the labels' ``for`` names no input)."""
    return where.locator(f"xpath=.//span[text()='{label}']/{FIELD}//input")


def _choose(item, label: str, current: str, wanted: str) -> None:  # type: ignore[no-untyped-def]
    """Pick ``wanted`` in the select field ``label`` of one title's row."""
    from playwright.sync_api import expect

    field = item.get_by_text(label, exact=True).locator(f"xpath={FIELD}")
    # A click only focuses the select (the popover opens and closes at once when driven
    # by a click here); the arrow key opens its list, as a keyboard user would.
    field.get_by_role("button", name=current, exact=True).focus(timeout=5_000)
    item.page.keyboard.press("ArrowDown")
    item.page.get_by_role("option", name=wanted, exact=True).click(timeout=5_000)
    expect(field.get_by_role("button", name=wanted, exact=True)).to_be_visible(timeout=5_000)


def _approve_in_the_ui(ui: str, flow_run_id: str, screenshot: Path) -> None:
    """Open the paused run at 1366x768, click Resume, check the disc and its titles'
    destinations are in view, make title 1 a featurette, start at episode 5, submit."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=30_000
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            page.goto(f"{ui}/runs/flow-run/{flow_run_id}", timeout=UI_TIMEOUT_MS)
            page.get_by_role("button", name="Resume", exact=True).click(timeout=UI_TIMEOUT_MS)

            dialog = page.get_by_role("dialog").filter(has_text="Resume Flow Run")
            expect(dialog).to_be_visible(timeout=10_000)
            _in_view(dialog, "(id 1): TV: Sample Show season 1.")
            for n in (1, 2, 3):
                _in_view(dialog, f"{SEASON}/Sample Show - S01E0{n}.mkv")

            rows = _inputs(dialog, "Title")
            expect(rows).to_have_count(4, timeout=10_000)
            assert [rows.nth(i).input_value() for i in range(4)] == ["0", "1", "2", "3"]
            item = rows.nth(1).locator("xpath=ancestor::div[.//span[text()='Role (Optional)']][1]")
            _choose(item, "Role (Optional)", "episode", "extra")
            _choose(item, "Extra Kind (Optional)", "other", "featurette")

            first_episode = _inputs(dialog, "First Episode (Optional)")
            expect(first_episode).to_have_value("1", timeout=5_000)
            first_episode.fill("5", timeout=5_000)

            dialog.get_by_role("button", name="Submit", exact=True).click(timeout=5_000)
            expect(dialog).to_be_hidden(timeout=15_000)  # closes once the server took the input
        except Exception as exc:
            page.screenshot(path=str(screenshot), full_page=True, timeout=10_000)
            raise AssertionError(f"{exc}\nscreenshot: {screenshot}") from exc
        finally:
            browser.close()


@pytest.mark.slow
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
        "TV/Sample Show/Featurettes/Extra d1t01.mkv",
        f"{SEASON}/Sample Show - S01E05.mkv",
        f"{SEASON}/Sample Show - S01E06.mkv",
    ]
    [done] = boz_json("discs")
    assert done["status"] == "done"
    assert [t["selected"] for t in done["titles"]] == [True, True, True, False]
    assert [t["role"] for t in done["titles"]] == ["episode", "extra", "episode", "extra"]
    assert [t["episodes"] for t in done["titles"]] == [[5], [], [6], []]
