"""`boz preview`: the proposal without ripping, as a table or as JSON on stdout alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_boz

TESTS = Path(__file__).resolve().parent
FRASIER = TESTS / "fixtures" / "thediscdb" / "series" / "Frasier (1993)" / "2005-season6dvd"


@pytest.fixture
def frasier(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOZ_MAKEMKVCON", str(TESTS / "fakes" / "makemkvcon"))
    monkeypatch.setenv("FAKE_MAKEMKV_STATE", str(tmp_path / "fake"))
    monkeypatch.setenv("BOZ_MIN_TITLE_SECONDS", "600")


def _preview(capture: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(capture))
    done = run_boz("preview", "disc:0", *args, "--json")
    return json.loads(done.stdout)  # stdout holds the JSON and nothing else


@pytest.mark.usefixtures("frasier")
def test_json_preview_of_a_season_continues_disc_after_disc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one = _preview(FRASIER / "disc01.txt", monkeypatch)
    keys = ("label", "kind", "show", "season", "movie_title", "year")
    assert {k: one["disc"][k] for k in keys} == {
        "label": "FRASIER_S6_D1", "kind": "tv", "show": "Frasier", "season": 6,
        "movie_title": None, "year": None,
    }  # fmt: skip
    assert len(one["disc"]["fingerprint"]) == 32
    roles = [t["role"] for t in one["titles"]]
    assert roles == ["episode"] * 6 + ["play_all", "extra", "duplicate"]
    assert [t["episodes"] for t in one["titles"][:6]] == [[n] for n in range(1, 7)]
    assert one["titles"][0]["destination"] == "TV/Frasier/Season 06/Frasier - S06E01.mkv"
    assert set(one["titles"][0]) >= {"index", "duration_s", "size_bytes", "role", "episodes",
                                     "destination"}  # fmt: skip
    two = _preview(FRASIER / "disc02.txt", monkeypatch)
    assert [t["episodes"] for t in two["titles"][:6]] == [[n] for n in range(7, 13)]
    again = _preview(FRASIER / "disc01.txt", monkeypatch)  # previewed again: same numbers
    assert [t["episodes"] for t in again["titles"]] == [t["episodes"] for t in one["titles"]]
    assert any(n.startswith("seen before on") for n in again["notes"])


@pytest.mark.usefixtures("frasier")
def test_operator_options_and_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_MAKEMKV_CAPTURE", str(FRASIER / "disc04.txt"))
    done = run_boz("preview", "disc:0", "--show", "Frasier", "--season", "6",
                   "--first-episode", "19")  # fmt: skip
    for text in ("FRAZIER_S6_D4", "TV Frasier season 6", "play_all", "twice an episode"):
        assert text in done.stdout
    data = _preview(FRASIER / "disc04.txt", monkeypatch)
    assert [t["episodes"] for t in data["titles"]] == [[19], [20], [21], [22], [23, 24], []]
