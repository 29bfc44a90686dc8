"""The operator's answer, checked whole and turned into a plan's roles and numbers.

A decision is refused as a whole, with one line that names the title and what to change,
before anything is stored: the paused run asks again, ``boz approve`` exits 1, and the
disc's numbers and roles stay as proposed.
"""

from __future__ import annotations

from dataclasses import dataclass

from boz.errors import BadDecision
from boz.models import Decision, Disc, DiscKind, ExtraKind, Role, TitleChoice, TitleRole
from boz.models.plan import MAX_EPISODE

_ROLES = {
    Role.episode: TitleRole.episode,
    Role.main_feature: TitleRole.main_feature,
    Role.extra: TitleRole.extra,
}
MAX_NUMBERS_PER_TITLE = 3
"""A title holds at most three numbers (a triple-length premiere); more is a typo."""


@dataclass(frozen=True)
class Resolved:
    """What a decision makes of each title it names, ready for planning."""

    roles: dict[int, TitleRole]
    chosen: set[int]
    extra_kinds: dict[int, ExtraKind]
    order: list[int]  # episode titles, first number first
    counts: dict[int, int]  # how many numbers each episode title holds
    first_episode: int | None  # None: the season's counter decides


def resolve(disc: Disc, decision: Decision, kind: DiscKind) -> Resolved:
    """Roles, selection, episode order and the start of the numbers of an approval.

    Episode order comes from the numbers the rows give (rows without any follow, in
    row order); the numbers themselves are laid out afresh from the start, so a
    double, a swap or a dropped title renumbers the rest without gaps. The start is
    ``first_episode``, unless it is the disc's current first number and the rows give
    numbers the disc does not hold yet: then the operator typed the numbers they want,
    and the lowest of them starts the run.
    """
    indices = {t.index for t in disc.titles}
    seen: set[int] = set()
    for c in decision.titles:
        if c.title not in indices:
            raise BadDecision(
                f"disc {disc.label} has no title {c.title} (its titles are "
                f"{_ranges(sorted(indices))})"
            )
        if c.title in seen:
            raise BadDecision(f"title {c.title} is given twice: give each title one role")
        seen.add(c.title)
    picked = [c for c in decision.titles if c.selected]
    if not picked:
        raise BadDecision(
            f"disc {disc.label}: no title is selected: give titles a role, or reject the disc"
        )
    if kind is not DiscKind.unknown:  # unknown: the planner asks what the disc is
        for c in picked:
            _fits_kind(c, kind)
    episodes = [c for c in picked if c.role is Role.episode]
    numbered = sorted((c for c in episodes if c.episodes), key=lambda c: c.episodes[0])
    _numbers_make_sense(numbered)
    held = [n for t in disc.titles for n in t.episodes]
    current_first = min(held) if held else None
    typed = {n for c in numbered for n in c.episodes} - set(held)
    start = decision.first_episode
    if numbered and (start is None or (start == current_first and typed)):
        start = numbered[0].episodes[0]
    order = [c.title for c in numbered] + [c.title for c in episodes if not c.episodes]
    counts = {c.title: max(1, len(c.episodes)) for c in episodes}
    if start is not None and start + sum(counts.values()) - 1 > MAX_EPISODE:
        raise BadDecision(
            f"episodes from E{start:02d} would run past E{MAX_EPISODE}: give a lower first episode"
        )
    stored = {t.index: t.role for t in disc.titles}
    roles = {c.title: _ROLES.get(c.role) or stored[c.title] or TitleRole.skipped
             for c in decision.titles}  # fmt: skip
    return Resolved(
        roles=roles,
        chosen={c.title for c in picked},
        extra_kinds={c.title: c.extra_kind for c in picked if c.role is Role.extra},
        order=order,
        counts=counts,
        first_episode=start,
    )


def _fits_kind(choice: TitleChoice, kind: DiscKind) -> None:
    if choice.role is Role.episode and kind is not DiscKind.tv:
        raise BadDecision(
            f"title {choice.title} is an episode but the disc is a {kind.value}: set the kind "
            "to tv (with show and season), or make the title a main feature or an extra"
        )
    if choice.role is Role.main_feature and kind is not DiscKind.movie:
        raise BadDecision(
            f"title {choice.title} is a main feature but the disc is {kind.value}: set the "
            "kind to movie, or make the title an episode or an extra"
        )


def _numbers_make_sense(numbered: list[TitleChoice]) -> None:
    """Each title's numbers run on (E05, E06), and no number is given twice."""
    owner: dict[int, int] = {}
    for c in numbered:
        if len(c.episodes) > MAX_NUMBERS_PER_TITLE:
            raise BadDecision(
                f"title {c.title} is given {len(c.episodes)} episode numbers: at most "
                f"{MAX_NUMBERS_PER_TITLE} (a double episode has two)"
            )
        for a, b in zip(c.episodes, c.episodes[1:], strict=False):
            if b != a + 1:
                raise BadDecision(
                    f"title {c.title}'s episode numbers {_ranges(c.episodes)} do not run on: "
                    "a double episode is two numbers in a row, e.g. 5,6"
                )
        for n in c.episodes:
            if not 1 <= n <= MAX_EPISODE:
                raise BadDecision(
                    f"title {c.title}: episode {n} is out of range (1 to {MAX_EPISODE})"
                )
            if n in owner:
                raise BadDecision(
                    f"episode {n} is given to titles {owner[n]} and {c.title}: give each "
                    "its own number"
                )
            owner[n] = c.title


def numbers(resolved: Resolved) -> list[int]:
    """The numbers the decision gives out (empty when the season's counter decides)."""
    if resolved.first_episode is None:
        return []
    total = sum(resolved.counts.values())
    return list(range(resolved.first_episode, resolved.first_episode + total))


def _ranges(values: list[int]) -> str:
    return ",".join(str(v) for v in values)
