"""The operator's answer: ``boz approve``'s title options and the checks that refuse a
decision whole (pure: no database, no Prefect)."""

from __future__ import annotations

import pytest

from boz.errors import BadDecision
from boz.models import (
    Decision,
    Disc,
    DiscKind,
    ExtraKind,
    PlannedTitle,
    Preview,
    Role,
    TitleChoice,
    TitleRole,
)
from boz.pipeline.approval import TitleEdits, edited_titles
from boz.pipeline.decision import numbers, resolve

# A proposal as the sample TV disc gets it: three episodes E01-E03 and a short title.
PROPOSED = [
    (TitleRole.episode, True, [1]),
    (TitleRole.episode, True, [2]),
    (TitleRole.episode, True, [3]),
    (TitleRole.extra, False, []),
]


def _preview(proposed=PROPOSED, kind: DiscKind = DiscKind.tv) -> Preview:  # type: ignore[no-untyped-def]
    titles = [
        PlannedTitle(index=i, name=f"t{i:02d}.mkv", duration_s=1500 if eps else 90,
                     size_bytes=10**8, role=role, selected=selected, episodes=eps)
        for i, (role, selected, eps) in enumerate(proposed)
    ]  # fmt: skip
    disc = Disc(id=7, label="SHOW_S1_D1", fingerprint="f", source="x", kind=kind,
                show="Show" if kind is DiscKind.tv else None, season=1, titles=titles)  # fmt: skip
    return Preview(disc=disc, titles=titles)


def _plan(decision: Decision, preview: Preview | None = None):  # type: ignore[no-untyped-def]
    preview = preview or _preview()
    return resolve(preview.disc, decision, preview.disc.kind)


def _edited(**edits: object) -> Decision:
    preview = _preview()
    return preview.decision().model_copy(
        update={"titles": edited_titles(preview, TitleEdits(**edits))}  # type: ignore[arg-type]
    )


def test_the_proposal_unchanged_keeps_its_numbers() -> None:
    plan = _plan(_preview().decision())
    assert plan.order == [0, 1, 2]
    assert plan.chosen == {0, 1, 2}
    assert numbers(plan) == [1, 2, 3]


@pytest.mark.parametrize(
    ("edits", "order", "first", "chosen", "extras"),
    [
        # --episodes is the whole list, in the order given, from the proposal's first number
        ({"episodes": [2, 0, 1]}, [2, 0, 1], 1, {0, 1, 2}, {}),
        ({"episodes": [0, 1, 2, 3]}, [0, 1, 2, 3], 1, {0, 1, 2, 3}, {}),
        ({"episodes": [0, 2], "extras": {1: ExtraKind.featurette}}, [0, 2], 1, {0, 1, 2},
         {1: ExtraKind.featurette}),
        ({"skip": [0]}, [1, 2], 1, {1, 2}, {}),  # dropping a title renumbers the rest from E01
        ({"titles": [0, 2, 3]}, [0, 2], 1, {0, 2, 3}, {3: ExtraKind.other}),  # 3 as proposed
        ({"extras": {3: ExtraKind.trailer}}, [0, 1, 2], 1, {0, 1, 2, 3}, {3: ExtraKind.trailer}),
    ],
)  # fmt: skip
def test_approve_options_become_roles_and_an_episode_order(
    edits: dict, order: list[int], first: int, chosen: set[int], extras: dict
) -> None:
    plan = _plan(_edited(**edits))
    assert plan.order == order
    assert plan.first_episode == first
    assert plan.chosen == chosen
    assert plan.extra_kinds == extras


def test_a_first_episode_moves_the_whole_run() -> None:
    decision = _preview().decision().model_copy(update={"first_episode": 5})
    assert numbers(_plan(decision)) == [5, 6, 7]


def test_numbers_typed_in_the_form_set_the_order_doubles_and_start() -> None:
    rows = [
        TitleChoice(title=0, role=Role.episode, episodes=[8]),
        TitleChoice(title=1, role=Role.episode, episodes=[6, 7]),  # a double, first
        TitleChoice(title=2, role=Role.extra, extra_kind=ExtraKind.interview, episodes=[3]),
    ]
    plan = _plan(_preview().decision().model_copy(update={"titles": rows}))
    assert plan.order == [1, 0]
    assert plan.counts == {1: 2, 0: 1}
    assert numbers(plan) == [6, 7, 8]
    assert plan.extra_kinds == {2: ExtraKind.interview}


@pytest.mark.parametrize(
    ("decision", "line"),
    [
        ({"titles": [{"title": 9, "role": "episode"}]},
         "disc SHOW_S1_D1 has no title 9 (its titles are 0,1,2,3)"),
        ({"titles": [{"title": 0, "role": "episode"}, {"title": 0, "role": "skip"}]},
         "title 0 is given twice: give each title one role"),
        ({"titles": [{"title": 0, "role": "skip"}]},
         "disc SHOW_S1_D1: no title is selected: give titles a role, or reject the disc"),
        ({"titles": [{"title": 0, "role": "main_feature"}]},
         "title 0 is a main feature but the disc is tv: set the kind to movie, or make the "
         "title an episode or an extra"),
        ({"titles": [{"title": 0, "role": "episode", "episodes": [4, 6]}]},
         "title 0's episode numbers 4,6 do not run on: a double episode is two numbers in a "
         "row, e.g. 5,6"),
        ({"titles": [{"title": 0, "role": "episode", "episodes": [1, 2, 3, 4]}]},
         "title 0 is given 4 episode numbers: at most 3 (a double episode has two)"),
        ({"titles": [{"title": 0, "role": "episode", "episodes": [4]},
                     {"title": 1, "role": "episode", "episodes": [4]}]},
         "episode 4 is given to titles 0 and 1: give each its own number"),
        ({"titles": [{"title": 0, "role": "episode", "episodes": [0]}]},
         "title 0: episode 0 is out of range (1 to 999)"),
        ({"first_episode": 998, "titles": [{"title": i, "role": "episode"} for i in range(3)]},
         "episodes from E998 would run past E999: give a lower first episode"),
    ],
)  # fmt: skip
def test_a_decision_that_cannot_be_carried_out_is_refused_with_one_line(
    decision: dict, line: str
) -> None:
    with pytest.raises(BadDecision) as refused:
        _plan(Decision.model_validate({"show": "Show", "season": 1, **decision}))
    assert str(refused.value) == line


def test_an_episode_on_a_movie_disc_is_refused() -> None:
    movie = _preview([(TitleRole.main_feature, True, [])], kind=DiscKind.movie)
    with pytest.raises(BadDecision, match="title 0 is an episode but the disc is a movie"):
        _plan(Decision(titles=[TitleChoice(title=0, role=Role.episode)]), movie)


@pytest.mark.parametrize(
    ("edits", "line"),
    [
        ({"episodes": [0], "skip": [0]},
         "title 0 is in both --episodes and --skip: give it one role"),
        ({"extras": {5: ExtraKind.other}},
         "disc SHOW_S1_D1 has no title 5 (its titles are 0,1,2,3)"),
    ],
)  # fmt: skip
def test_contradicting_approve_options_are_refused(edits: dict, line: str) -> None:
    with pytest.raises(BadDecision) as refused:
        _edited(**edits)
    assert str(refused.value) == line


def test_titles_cannot_pick_a_title_the_preview_gave_no_role() -> None:
    play_all = _preview([*PROPOSED, (TitleRole.play_all, False, [])])
    with pytest.raises(BadDecision) as refused:
        edited_titles(play_all, TitleEdits(titles=[0, 4]))
    assert str(refused.value) == (
        "title 4 is proposed as play_all: say what it is with --episodes 4 or --extras 4:KIND"
    )
