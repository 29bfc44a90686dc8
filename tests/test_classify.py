"""Title roles on real disc layouts (TheDiscDB corpus) and on the hard cases real box sets hold."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import median

import pytest

from boz.models import Stream, Title, TitleRole
from boz.pipeline.classify import classify_movie, classify_tv, is_play_all
from boz.sources.makemkv.robot import parse_info

CORPUS = Path(__file__).resolve().parent / "fixtures" / "thediscdb"
E, X, P, D, S, M = (TitleRole.episode, TitleRole.extra, TitleRole.play_all, TitleRole.duplicate,
                    TitleRole.skipped, TitleRole.main_feature)  # fmt: skip


def _read(disc: Path) -> tuple[list[Title], dict[int, dict]]:
    scan = parse_info(disc.read_text(errors="replace").splitlines())
    items = {t["Index"]: t["Item"] for t in json.loads(disc.with_suffix(".json").read_text())[
        "Titles"] if t.get("Item")}  # fmt: skip
    return scan.titles, items


def _releases(kind: str) -> list[Path]:
    return sorted({p.parent for p in (CORPUS / kind).glob("*/*/disc*.txt")})


@pytest.mark.parametrize("release", _releases("series"), ids=lambda p: p.parent.name)
def test_episodes_and_their_order_on_every_corpus_season(release: Path) -> None:
    seen: list[float] = []
    for disc in sorted(release.glob("disc*.txt")):
        titles, items = _read(disc)
        found = classify_tv(titles, min_seconds=600, typical_s=median(seen) if seen else None)
        expected = [i for _, _, i in sorted(
            (int(it["Season"]), int(it["Episode"].split()[0]), i)
            for i, it in items.items() if it["Type"] == "Episode")]  # fmt: skip
        assert found.episode_order == expected, disc.name
        seen += [
            t.duration_s for t in titles if t.index in expected and t.index not in found.doubles
        ]


@pytest.mark.parametrize("release", _releases("movie"), ids=lambda p: p.parent.name)
def test_the_main_feature_on_every_corpus_movie(release: Path) -> None:
    for disc in release.glob("disc*.txt"):
        titles, items = _read(disc)
        roles = classify_movie(titles, min_seconds=600).roles
        [main] = [i for i, r in roles.items() if r is M]
        assert items[main]["Type"] == "MainMovie"


def _t(index: int, minutes: float, **kw: object) -> Title:
    size = kw.pop("size", int(minutes * 60e6) + index)
    return Title(index=index, name=f"t{index}", duration_s=minutes * 60, size_bytes=size, **kw)  # type: ignore[arg-type]


def _roles(found) -> list[TitleRole]:  # type: ignore[no-untyped-def]
    return [found.roles[i] for i in sorted(found.roles)]


def test_a_dvd_play_all_is_the_sum_of_consecutive_episodes() -> None:
    titles = [_t(0, 22.1), _t(1, 21.2), _t(2, 22.0), _t(3, 22.1), _t(4, 87.4), _t(5, 0.2)]
    found = classify_tv(titles, min_seconds=600)
    assert _roles(found) == [E, E, E, E, P, S]


def test_a_dvd_play_all_of_two_episodes_is_their_sum_in_bytes_too() -> None:
    episodes = [_t(0, 22.1, size=1_210_000_000), _t(1, 22.0, size=1_190_000_000)]
    play = _t(2, 44.1, size=2_400_000_000 + 4096)  # a few sectors of padding
    found = classify_tv([*episodes, play, _t(3, 0.3)], min_seconds=600)
    assert _roles(found) == [E, E, P, S]


def test_an_alternate_version_with_a_thin_bitrate_is_not_an_episode() -> None:
    titles = [_t(i, 44 + i / 10, size=int(2.0e9) + i * 10**7) for i in range(3)]
    raw = _t(3, 44.1, size=int(0.8e9))  # same length, 40 % of the bytes
    found = classify_tv([*titles, raw], min_seconds=600)
    assert _roles(found) == [E, E, E, X]
    assert "title 3 holds under half the bytes per second" in found.notes[0]


def test_a_bluray_play_all_is_proved_by_its_segments() -> None:
    ep = [_t(i, 25, segment_map=str(10 + i), source_file=f"0100{i}.mpls") for i in range(1, 3)]
    play = _t(0, 50.5, segment_map="11,12", source_file="01000.mpls")  # off by 1 %: not by sum
    assert is_play_all(play, ep)
    assert _roles(classify_tv([play, *ep], min_seconds=600)) == [P, E, E]


def test_two_similar_titles_do_not_make_a_double_episode_a_play_all() -> None:
    # A double episode is encoded on its own: its size is not its neighbours' sum.
    titles = [_t(0, 22.1), _t(1, 22.0), _t(2, 44.1, size=int(44.1 * 57e6)), _t(3, 22.2)]
    found = classify_tv(titles, min_seconds=600)
    assert _roles(found) == [E, E, E, E]
    assert found.doubles == {2} and "twice an episode" in found.notes[0]


def test_a_double_length_pilot_opens_the_season() -> None:
    titles = [_t(0, 88.0), _t(1, 44.0), _t(2, 43.5), _t(3, 44.2)]
    found = classify_tv(titles, min_seconds=600)
    assert found.episode_order == [0, 1, 2, 3] and found.doubles == {0}


def test_duplicates_angles_and_noise() -> None:
    titles = [
        _t(0, 42.0, size=2_000_000_000),
        _t(1, 42.0, size=2_000_000_000),  # the same title twice (DVD): same length and size
        _t(2, 41.0),
        _t(3, 41.0, angle=2),  # another angle of a title
        _t(4, 0.3),
        _t(5, 4.0),
    ]
    assert _roles(classify_tv(titles, min_seconds=600)) == [E, D, E, D, S, X]


def test_bluray_segment_copies_are_duplicates_even_with_other_sizes() -> None:
    main = _t(0, 157.8, segment_map="740", source_file="00034.mpls", chapters=16)
    pip = _t(1, 157.8, segment_map="740", source_file="00632.mpls", chapters=39)
    raw = _t(2, 157.8, segment_map="740", source_file="00740.m2ts", chapters=0)
    assert _roles(classify_movie([main, pip, raw], min_seconds=600)) == [M, D, D]


def test_episode_length_extras_among_episodes_use_the_season_history() -> None:
    # Sherlock, disc 2: a documentary (33 min), the unaired pilot (55 min), episode 3 (89 min)
    titles = [_t(0, 32.6), _t(1, 55.2), _t(2, 89.3), _t(3, 1.0)]
    found = classify_tv(titles, min_seconds=600, typical_s=88 * 60)
    assert _roles(found) == [X, X, E, X]


def test_a_last_disc_of_extras_proposes_no_episode() -> None:
    titles = [_t(0, 28.0), _t(1, 31.5), _t(2, 12.0)]
    by_history = classify_tv(titles, min_seconds=600, typical_s=44 * 60)
    assert by_history.episode_order == [] and "a disc of extras" in by_history.notes[0]
    by_label = classify_tv([_t(0, 44.0), _t(1, 43.0)], min_seconds=600, extras_only=True)
    assert by_label.episode_order == []


def test_thetvdb_runtimes_reorder_a_disc_in_the_wrong_order() -> None:
    titles = [_t(0, 44.0), _t(1, 52.0), _t(2, 38.0)]
    found = classify_tv(titles, min_seconds=600, runtimes_s=[52 * 60, 38 * 60, 44 * 60])
    assert found.episode_order == [1, 2, 0]
    alike = [_t(0, 44.0), _t(1, 43.0), _t(2, 45.0)]
    same = classify_tv(alike, min_seconds=600, runtimes_s=[45 * 60, 44 * 60, 43 * 60])
    assert same.episode_order == [0, 1, 2]  # small differences do not reorder


def test_a_movie_tie_goes_to_chapters_then_to_makemkvs_order() -> None:
    feature = _t(4, 107.47, chapters=20)
    angle1 = _t(5, 107.62, chapters=1, angle=1)
    angle2 = _t(6, 107.62, chapters=1, angle=2)
    trailer = _t(0, 2.0)
    roles = classify_movie([trailer, feature, angle1, angle2], min_seconds=600).roles
    assert (roles[4], roles[5], roles[6], roles[0]) == (M, X, D, X)
    twins = classify_movie([_t(0, 100.0, chapters=12), _t(1, 100.0, chapters=12)], min_seconds=600)
    assert twins.roles[0] is M


def _bd(index: int, minutes: float, playlist: int, clip: int) -> Title:
    return _t(index, minutes, source_file=f"{playlist:05d}.mpls", segment_map=str(clip))


def test_a_bluray_listed_out_of_order_is_ordered_as_it_was_authored() -> None:
    """Playlists 2-5 in a run, clips agreeing: MakeMKV's reversed listing is undone."""
    titles = [_bd(0, 21.9, 5, 17), _bd(1, 21.5, 4, 13), _bd(2, 21.6, 3, 11), _bd(3, 21.0, 2, 5)]
    found = classify_tv(titles, min_seconds=600)
    assert found.episode_order == [3, 2, 1, 0] and not found.order_unsure


def test_a_playlist_apart_from_the_run_defers_to_the_clips() -> None:
    titles = [_bd(0, 24.0, 800, 2609), _bd(1, 23.7, 801, 2610), _bd(2, 23.9, 100, 2611),
              _bd(3, 23.0, 803, 2612)]  # fmt: skip
    found = classify_tv(titles, min_seconds=600)
    assert found.episode_order == [0, 1, 2, 3] and found.order_unsure


def test_playlists_and_clips_that_disagree_leave_the_order_open() -> None:
    titles = [_bd(0, 21.0, 7, 15), _bd(1, 21.2, 6, 6), _bd(2, 21.3, 5, 12), _bd(3, 21.4, 4, 10)]
    found = classify_tv(titles, min_seconds=600)
    assert found.episode_order == [3, 2, 1, 0]  # the playlists' order
    assert found.order_unsure


@pytest.mark.parametrize(
    ("lengths", "guide", "doubles"),
    [
        ([88.0, 44.0, 43.5], None, {0}),  # a two-part pilot opens the season
        ([22.0, 21.5, 22.1, 43.9], None, {3}),  # a two-part finale closes it
        ([88.0, 44.0, 43.5], "TheTVDB knows", set()),  # its runtimes decide instead
    ],
)
def test_a_double_length_title_is_two_episodes_when_thetvdb_cannot_say(
    lengths: list[float], guide: str | None, doubles: set[int]
) -> None:
    from boz.pipeline.preview import two_part

    found = classify_tv([_t(i, m) for i, m in enumerate(lengths)], min_seconds=600)
    assert two_part(found, guide) == doubles  # type: ignore[arg-type]


def _subs(*languages: str) -> list[Stream]:
    return [Stream(index=0, kind="video")] + [
        Stream(index=i, kind="subtitles", language=lang) for i, lang in enumerate(languages, 1)
    ]


def test_an_episode_length_title_without_the_episodes_subtitles_is_an_extra() -> None:
    """A cartoon Blu-ray: 22-minute episodes with English subtitles, a 21-minute
    documentary with none."""
    episodes = [_t(i, 22.5 + i / 10, streams=_subs("eng", "eng")) for i in range(4)]
    documentary = _t(4, 21.2, streams=_subs())
    found = classify_tv([*episodes, documentary], min_seconds=600)
    assert _roles(found) == [E, E, E, E, X]
    assert found.unlike == {4}
    assert "has none of the subtitles the episodes have" in found.notes[0]


@pytest.mark.parametrize(
    "subtitles",
    [
        [("eng",), ("eng",), ("eng",), ("eng",)],  # a DVD whose extras carry them too
        [(), (), (), ()],  # no subtitles anywhere: nothing to go by
        [("eng",), ("eng", "spa"), ("eng",), ("eng",)],  # more of them is no sign
        [("eng",), (), ("fre",), ()],  # no language most episodes share
    ],
)
def test_subtitles_set_no_title_apart_when_they_say_nothing(
    subtitles: list[tuple[str, ...]],
) -> None:
    titles = [_t(i, 22.5 + i / 10, streams=_subs(*s)) for i, s in enumerate(subtitles)]
    found = classify_tv(titles, min_seconds=600)
    assert _roles(found) == [E, E, E, E] and found.unlike == set()
