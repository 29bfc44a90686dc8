"""How well the preview identifies real discs: every disc of TheDiscDB corpus, offline.

Each disc's real MakeMKV ``info`` capture is replayed by the test suite's fake
makemkvcon, read by the real detect step and previewed by the real preview (one
database for the run, discs of a release in order, so disc 2 knows disc 1), the way an
operator who typed the show and season (or the movie) would see it; no TheTVDB. Compared
with TheDiscDB's map of every title:

- TV: are exactly the episode titles picked, in episode order? are their numbers right?
- movies: is the proposed main feature one of TheDiscDB's MainMovie titles?
- confidence: how many proposals are strong, and how many of those are right (the goal:
  strong is never wrong, since ``--auto strong`` rips them unattended).

    .venv/bin/python benchmarks/identify.py [--corpus tests/fixtures/thediscdb] [--alone]
        [--thediscdb] [-v]

``--alone`` previews each disc in a fresh database (no earlier disc of its season known);
by default each release's discs go in order through one database, as a box set is ripped.
``--thediscdb`` first imports the corpus itself as TheDiscDB's index (``boz thediscdb
import``), so every disc has an exact record: it measures the matching, not the rules.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from collections import Counter
from pathlib import Path

from boz.db.engine import open_database
from boz.db.thediscdb import import_repository
from boz.models import RipRequest, TitleRole
from boz.pipeline import detect, preview
from boz.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fakes" / "makemkvcon"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "fixtures" / "thediscdb")
    parser.add_argument(
        "--alone",
        action="store_true",
        help="each disc in a fresh database, as if it were the first disc ever ripped",
    )
    parser.add_argument(
        "--thediscdb",
        action="store_true",
        help="import the corpus as TheDiscDB's index before previewing",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args()

    tv = tv_order = tv_numbers = movies = movies_ok = 0
    levels: Counter[str] = Counter()
    levels_right: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="boz-identify-") as home:
        os.environ["FAKE_MAKEMKV_PROGRESS_DELAY"] = "0"
        for n, capture in enumerate(sorted(opts.corpus.glob("*/*/*/disc*.txt"))):
            if n == 0 or opts.alone:
                own = Path(home) / (f"disc-{n}" if opts.alone else "all")
                settings = Settings(home=own, makemkvcon=str(FAKE), makemkv_minlength=0)
                db = open_database(settings.db_url)
                if opts.thediscdb:
                    import_repository(db, opts.corpus)
            kind, show_folder = capture.parts[-4], capture.parts[-3]
            name, year = _name_year(show_folder)
            items = {
                t["Index"]: t["Item"]
                for t in json.loads(capture.with_suffix(".json").read_text())["Titles"]
                if t.get("Item")
            }
            os.environ["FAKE_MAKEMKV_CAPTURE"] = str(capture)
            disc = detect.detect(db, settings, "disc:0")
            assert disc.id is not None
            if kind == "series":
                seasons = [int(it["Season"]) for it in items.values() if it.get("Season")]
                request = RipRequest(show=name, season=min(seasons) if seasons else 1, year=year)
            else:
                request = RipRequest(movie_title=name, year=year)
            shown = preview.propose(db, disc.id, request, min_seconds=settings.min_title_seconds,
                                    library=settings.library_dir)  # fmt: skip
            where = f"{show_folder}/{capture.parent.name}/{capture.stem}"
            if kind == "series":
                order, numbers = _expected(items)
                picked = sorted((t.episodes, t.index) for t in shown.titles if t.episodes)
                got_order, got_numbers = [i for _, i in picked], [e for e, _ in picked]
                tv += 1
                tv_order += got_order == order
                tv_numbers += got_numbers == numbers
                verdict = "ok" if got_order == order else "WRONG TITLES"
                if got_order == order and got_numbers != numbers:
                    verdict = "titles ok, numbers differ"
                right = got_order == order and got_numbers == numbers
                print(f"{verdict:26} {where}: episodes {got_numbers} from titles {got_order}")
                if verdict != "ok" or opts.verbose:
                    print(f"{'':26} expected {numbers} from titles {order}")
            else:
                main = [t.index for t in shown.titles if t.role is TitleRole.main_feature]
                right = bool(main) and items.get(main[0], {}).get("Type") == "MainMovie"
                movies += 1
                movies_ok += right
                print(f"{'ok' if right else 'WRONG MAIN FEATURE':26} {where}: main feature {main}")
            level = str(shown.confidence)
            levels[level] += 1
            levels_right[level] += right
            if level == "strong" and not right:
                print(f"{'':26} STRONG AND WRONG: {'; '.join(shown.reasons)}")
            elif opts.verbose:
                print(f"{'':26} confidence {level}: {'; '.join(shown.reasons)}")
            for note in shown.notes if opts.verbose else []:
                print(f"{'':26} note: {note}")
    print()
    print(f"TV discs, episode titles and order right : {tv_order}/{tv}")
    print(f"TV discs, episode numbers right          : {tv_numbers}/{tv}")
    print(f"movie discs, main feature right          : {movies_ok}/{movies}")
    total = tv_order + movies_ok
    print(f"all discs identified                     : {total}/{tv + movies} "
          f"({100 * total / (tv + movies):.0f} %)")  # fmt: skip
    for level in ("strong", "medium", "weak"):
        print(f"confidence {level:6}, right / proposals      : "
              f"{levels_right[level]}/{levels[level]}")  # fmt: skip


if __name__ == "__main__":
    main()
