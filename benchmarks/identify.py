"""How well the preview identifies real discs: every disc of TheDiscDB corpus, offline.

Each disc's real MakeMKV ``info`` capture is replayed by the test suite's fake
makemkvcon (with ``--minlength=0``, so title numbers are the capture's, as TheDiscDB's
map counts them; the tests match at MakeMKV's default 120 s), read by the real detect
step and previewed by the real preview, the way an operator who typed the show and
season (or the movie) would see it; no TheTVDB. Three ways:

- (a) each disc alone, in a fresh database (no earlier disc of its season known);
- (b) each release's discs in order through one database, as a box set is ripped;
- (c) as (b), with the corpus itself imported as TheDiscDB's index first (``boz
  thediscdb import``): every disc has an exact record, so this measures the matching.

Compared with TheDiscDB's map of every title:

- TV: are exactly the episode titles picked, in episode order? are their numbers right?
- movies: is the proposed main feature one of TheDiscDB's MainMovie titles?
- confidence: how many proposals are strong, and how many of those are right (the goal:
  strong is never wrong, since ``--auto strong`` rips them unattended).

    .venv/bin/python benchmarks/identify.py [--corpus tests/fixtures/thediscdb]
        [--mode a|b|c ...] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from boz.db.engine import Database, open_database
from boz.db.thediscdb import import_repository
from boz.models import Preview, RipRequest, TitleRole
from boz.pipeline import detect, preview
from boz.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fakes" / "makemkvcon"
MODES = {
    "a": "each disc alone",
    "b": "each release in order",
    "c": "in order, TheDiscDB index",
}


def _name_year(folder: str) -> tuple[str, int | None]:
    found = re.match(r"^(.*?)\s*\((\d{4})\)$", folder)
    return (found[1], int(found[2])) if found else (folder, None)


def _expected(items: dict[int, dict]) -> tuple[list[int], list[list[int]]]:
    episodes = sorted(
        ([int(n) for n in re.findall(r"\d+", it["Episode"])], i)
        for i, it in items.items()
        if it.get("Type") == "Episode"
    )
    return [i for _, i in episodes], [numbers for numbers, _ in episodes]


@dataclass
class Tally:
    tv: int = 0
    tv_order: int = 0
    tv_numbers: int = 0
    movies: int = 0
    movies_ok: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    levels_right: Counter[str] = field(default_factory=Counter)
    strong_wrong: list[str] = field(default_factory=list)


def _judge(capture: Path, shown: Preview, tally: Tally, verbose: bool) -> str:
    """One disc's verdict, counted into ``tally``."""
    items = {
        t["Index"]: t["Item"]
        for t in json.loads(capture.with_suffix(".json").read_text())["Titles"]
        if t.get("Item")
    }
    if capture.parts[-4] == "series":
        order, numbers = _expected(items)
        picked = sorted((t.episodes, t.index) for t in shown.titles if t.episodes)
        got_order, got_numbers = [i for _, i in picked], [e for e, _ in picked]
        tally.tv += 1
        tally.tv_order += got_order == order
        tally.tv_numbers += got_numbers == numbers
        right = got_order == order and got_numbers == numbers
        verdict = "ok" if right else "WRONG TITLES" if got_order != order else "NUMBERS"
        if not right or verbose:
            verdict += f" (episodes {got_numbers} from titles {got_order}; "
            verdict += f"expected {numbers} from titles {order})"
    else:
        main = [t.index for t in shown.titles if t.role is TitleRole.main_feature]
        right = bool(main) and items.get(main[0], {}).get("Type") == "MainMovie"
        tally.movies += 1
        tally.movies_ok += right
        verdict = "ok" if right else f"WRONG MAIN FEATURE {main}"
    level = str(shown.confidence)
    tally.levels[level] += 1
    tally.levels_right[level] += right
    if level == "strong" and not right:
        tally.strong_wrong.append(f"{capture.parent.parent.name}/{capture.stem}")
        verdict += f" STRONG AND WRONG: {'; '.join(shown.reasons)}"
    elif verbose:
        verdict += f" [{level}: {'; '.join(shown.reasons)}]"
    return f"{verdict} [{level}]" if "[" not in verdict else verdict


def _request(capture: Path) -> RipRequest:
    name, year = _name_year(capture.parts[-3])
    if capture.parts[-4] != "series":
        return RipRequest(movie_title=name, year=year)
    items = json.loads(capture.with_suffix(".json").read_text())["Titles"]
    seasons = [int(t["Item"]["Season"]) for t in items if (t.get("Item") or {}).get("Season")]
    return RipRequest(show=name, season=min(seasons) if seasons else 1, year=year)


def run(
    mode: str, captures: list[Path], corpus: Path, home: Path, verbose: bool
) -> tuple[Tally, list[str]]:
    tally, verdicts = Tally(), []
    db: Database | None = None
    settings = Settings(home=home / mode, makemkvcon=str(FAKE))
    for n, capture in enumerate(captures):
        if db is None or mode == "a":
            settings = Settings(home=home / f"{mode}-{n}", makemkvcon=str(FAKE),
                                makemkv_minlength=0)  # fmt: skip
            db = open_database(settings.db_url)
            if mode == "c":
                import_repository(db, corpus)
        os.environ["FAKE_MAKEMKV_CAPTURE"] = str(capture)
        disc = detect.detect(db, settings, "disc:0")
        assert disc.id is not None
        shown = preview.propose(db, disc.id, _request(capture),
                                min_seconds=settings.min_title_seconds,
                                library=settings.library_dir)  # fmt: skip
        verdicts.append(_judge(capture, shown, tally, verbose))
    return tally, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures" / "thediscdb")
    parser.add_argument("--mode", action="append", choices=sorted(MODES),
                        help="a, b or c (repeatable); all three by default")  # fmt: skip
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args()
    modes = opts.mode or sorted(MODES)
    captures = sorted(opts.corpus.glob("*/*/*/disc*.txt"))
    os.environ["FAKE_MAKEMKV_PROGRESS_DELAY"] = "0"
    results: dict[str, tuple[Tally, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="boz-identify-") as home:
        os.environ["FAKE_MAKEMKV_STATE"] = str(Path(home) / "fake")
        for mode in modes:
            results[mode] = run(mode, captures, opts.corpus, Path(home), opts.verbose)
    for i, capture in enumerate(captures):
        where = f"{capture.parts[-3]}/{capture.parent.name}/{capture.stem}"
        print(where)
        for mode in modes:
            print(f"  ({mode}) {results[mode][1][i]}")
    print()
    print(f"{'':42}" + "".join(f"{f'({m}) ' + MODES[m]:>30}" for m in modes))

    def row(label: str, cell) -> None:  # type: ignore[no-untyped-def]
        print(f"{label:42}" + "".join(f"{cell(results[m][0]):>30}" for m in modes))

    row("TV discs, episode titles and order right", lambda t: f"{t.tv_order}/{t.tv}")
    row("TV discs, episode numbers right", lambda t: f"{t.tv_numbers}/{t.tv}")
    row("movie discs, main feature right", lambda t: f"{t.movies_ok}/{t.movies}")
    row("all discs identified", lambda t: f"{t.tv_order + t.movies_ok}/{t.tv + t.movies}")
    for level in ("strong", "medium", "weak"):
        row(f"confidence {level}, right / proposals",
            lambda t, lv=level: f"{t.levels_right[lv]}/{t.levels[lv]}")  # fmt: skip
    row("strong share of discs", lambda t: f"{100 * t.levels['strong'] / len(captures):.0f} %")
    for mode in modes:
        for miss in results[mode][0].strong_wrong:
            print(f"({mode}) strong and wrong: {miss}")


if __name__ == "__main__":
    main()
