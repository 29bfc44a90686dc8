"""The in-process hand-over: BOZ_TRANSCODE_SLOTS encodes at a time, and a title's run
starts while the previous title's run is still ending."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from boz.flows import handoff
from boz.flows.transcode_title import encode_turn
from boz.settings import Settings


def test_one_slot_one_encode_at_a_time_and_the_next_run_starts_while_the_last_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in for transcode_title that, after its encode, stays 'ending' until the next
    title has begun encoding: with the slot held for the whole run that would never
    happen (it fails after 20 s)."""
    encoding: list[int] = []
    most = 0
    began = [threading.Event() for _ in range(3)]
    waited: list[str] = []
    lock = threading.Lock()

    def transcode_title(disc_id: int, title_index: int, *_: object) -> str:
        nonlocal most
        with encode_turn(waited.append):
            with lock:
                encoding.append(title_index)
                most = max(most, len(encoding))
            began[title_index].set()
            with lock:
                encoding.remove(title_index)
        if title_index + 1 < len(began):  # the run ending: Prefect joins its threads
            assert began[title_index + 1].wait(20), "the next title waited for this run to end"
        return f"title {title_index}"

    monkeypatch.setattr(handoff, "transcode_title", transcode_title)
    hand = handoff.Handoff(Settings(home=tmp_path, transcode_slots=1), None, None)
    for index in range(3):
        hand.submit(1, index)
    hand.wait()
    assert all(event.is_set() for event in began)
    assert most == 1
    assert hand.turns.acquire(blocking=False)  # every slot given back
