"""A local fake of TheTVDB v4 (stdlib ``http.server`` on 127.0.0.1) for tests, no network.

It speaks the real response shapes: every body is either a file of
``tests/fixtures/tvdb`` (login, errors) or built from one as a template (see SOURCES.md
there). Tests configure it:

* data: ``add_series(FakeSeries(...))`` with episodes in aired order and, optionally, a
  different DVD order; ``add_movie(FakeMovie(...))``; ``page_size`` for paging.
* failures: ``mode`` = "ok" | "slow" (sleep ``slow_seconds`` before answering) | "error"
  (HTTP 500) | "bad_json" (HTTP 200, truncated JSON), limited to paths starting with
  ``mode_paths`` (e.g. "/series/") when set; "down" is ``stop()`` (connection refused);
  ``expire_tokens()`` makes the issued token answer 401.
* accounting: ``requests`` counts requests per path (after ``/v4``, without the query),
  ``log`` keeps ``METHOD /path?query`` in order, ``logins`` keeps the login bodies.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tvdb"
PREFIX = "/v4"
DEFAULT_KEY = "fake-tvdb-api-key"

#: TheTVDB's season types: id, name, type (values as in series_76290_extended_short.json).
SEASON_TYPES = {
    "official": {"id": 1, "name": "Aired Order", "type": "official", "alternateName": None},
    "dvd": {"id": 2, "name": "DVD Order", "type": "dvd", "alternateName": None},
    "absolute": {"id": 3, "name": "Absolute Order", "type": "absolute", "alternateName": None},
}


def fixture(name: str) -> Any:
    """A fixture file, freshly parsed (callers may change it)."""
    return json.loads((FIXTURES / name).read_text())


@dataclass
class FakeEpisode:
    season: int
    number: int
    name: str | None
    runtime: int | None = None
    aired: str | None = None


@dataclass
class FakeSeries:
    """A series; ``dvd`` is its DVD order when it has one (same episodes, other numbers)."""

    id: int
    name: str
    year: int | None = None
    aliases: list[str] = field(default_factory=list)
    aired: list[FakeEpisode] = field(default_factory=list)
    dvd: list[FakeEpisode] | None = None

    def order(self, season_type: str) -> list[FakeEpisode] | None:
        if season_type in ("default", "official"):
            return self.aired
        if season_type == "dvd":
            return self.dvd
        return None


@dataclass
class FakeMovie:
    id: int
    name: str
    year: int | None = None
    runtime: int | None = None


def _default_series() -> list[FakeSeries]:
    """The series "24" (Season 1 and a special, aired order) and the search's second hit."""
    page = fixture("series_76290_episodes_default_page0.json")["data"]
    episodes = [
        FakeEpisode(e["seasonNumber"], e["number"], e["name"], e["runtime"], e["aired"])
        for e in page["episodes"]
    ]
    second = fixture("search_series_24.json")["data"][1]
    return [
        FakeSeries(76290, "24", 2001, ["24 Twenty Four", "Twenty Four"], episodes),
        FakeSeries(int(second["tvdb_id"]), second["name"], int(second["year"])),
    ]


def _default_movies() -> list[FakeMovie]:
    movie = fixture("movie_base.json")["data"]
    return [FakeMovie(movie["id"], movie["name"], int(movie["year"]), movie["runtime"])]


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def _matches(query: str, names: list[str]) -> bool:
    wanted = query.casefold().strip()
    return any(wanted in name.casefold() for name in names)


class FakeTVDB:
    """The fake server; use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(
        self, api_key: str = DEFAULT_KEY, *, pin: str | None = None, page_size: int = 500
    ) -> None:
        self.api_key = api_key
        self.pin = pin
        self.page_size = page_size
        self.mode = "ok"
        self.mode_paths = ""
        self.slow_seconds = 5.0
        self.series: dict[int, FakeSeries] = {s.id: s for s in _default_series()}
        self.movies: dict[int, FakeMovie] = {m.id: m for m in _default_movies()}
        self.requests: Counter[str] = Counter()
        self.log: list[str] = []
        self.logins: list[dict[str, Any]] = []
        self.token = fixture("login_200.json")["data"]["token"]
        self._valid_tokens = {self.token}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- configuration -----------------------------------------------------------------

    def add_series(self, series: FakeSeries) -> FakeSeries:
        self.series[series.id] = series
        return series

    def add_movie(self, movie: FakeMovie) -> FakeMovie:
        self.movies[movie.id] = movie
        return movie

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on; a new login gets a new one."""
        with self._lock:
            self._valid_tokens.clear()
            self.token = self.token + "x"

    def count(self, prefix: str = "") -> int:
        """Requests whose path (after /v4) starts with ``prefix``."""
        with self._lock:
            return sum(n for path, n in self.requests.items() if path.startswith(prefix))

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give the client (``tvdb_base_url``)."""
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def start(self) -> FakeTVDB:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True  # a "slow" handler must not block stop()
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the port then refuses connections (TheTVDB "down")."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTVDB:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- responses ---------------------------------------------------------------------

    def _record(self, method: str, path: str, query: str) -> None:
        with self._lock:
            self.requests[path] += 1
            self.log.append(f"{method} {path}" + (f"?{query}" if query else ""))

    def _misbehave(self, path: str) -> tuple[int, bytes] | None:
        """The configured failure for this path, or None to answer normally."""
        if self.mode == "ok" or not path.startswith(self.mode_paths):
            return None
        if self.mode == "slow":
            self._stopping.wait(self.slow_seconds)
            return None
        if self.mode == "error":
            body = {
                "status": "failure",
                "message": "fake TheTVDB: internal error (mode error)",
                "data": None,
            }
            return 500, json.dumps(body).encode()
        if self.mode == "bad_json":
            return 200, b'{"status": "success", "data": {"episodes": ['
        raise ValueError(f"unknown mode {self.mode!r}")

    def login(self, body: bytes) -> tuple[int, Any]:
        try:
            sent = json.loads(body)
        except ValueError:
            return 400, {"status": "failure", "message": "InvalidValueType", "data": None}
        with self._lock:
            self.logins.append(sent)
        if sent.get("apikey") != self.api_key:
            return 401, fixture("login_401_invalid_apikey.json")
        if self.pin is not None and sent.get("pin") != self.pin:
            return 400, fixture("login_400_pin_required.json")
        with self._lock:
            self._valid_tokens.add(self.token)
            answer = fixture("login_200.json")
            answer["data"]["token"] = self.token
        return 200, answer

    def authorized(self, header: str | None) -> bool:
        with self._lock:
            return header is not None and header.removeprefix("Bearer ") in self._valid_tokens

    def get(self, path: str, params: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts == ["search"]:
            return 200, self._search(params)
        if len(parts) == 3 and parts[0] == "series" and parts[2] == "extended":
            series = self.series.get(_int(parts[1]))
            return (200, self._extended(series)) if series else _not_found()
        if len(parts) == 4 and parts[0] == "series" and parts[2] == "episodes":
            series = self.series.get(_int(parts[1]))
            if series is None or series.order(parts[3]) is None:
                return _not_found()
            return 200, self._episodes(series, parts[3], params)
        if len(parts) == 2 and parts[0] == "movies":
            movie = self.movies.get(_int(parts[1]))
            return (200, self._movie(movie)) if movie else _not_found()
        return _not_found()

    def _link(self, path: str, **params: object) -> str:
        return f"{self.url}{path}?{urlencode(params)}"

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        query = params.get("query") or params.get("q") or ""
        kind = params.get("type", "series")
        year = _int(params.get("year", ""))
        answer = fixture("search_series_24.json")
        template = answer["data"][0]
        results = []
        if kind == "series":
            for s in self.series.values():
                if _matches(query, [s.name, *s.aliases]) and year in (None, s.year):
                    results.append(self._search_record(template, "series", s.id, s.name, s.year))
                    results[-1]["aliases"] = list(s.aliases)
        elif kind == "movie":
            for m in self.movies.values():
                if _matches(query, [m.name]) and year in (None, m.year):
                    results.append(self._search_record(template, "movie", m.id, m.name, m.year))
        answer["data"] = results
        answer["links"].update(
            self=self._link("/search", query=query, type=kind, page=0),
            total_items=len(results),
        )
        return answer

    @staticmethod
    def _search_record(
        template: dict[str, Any], kind: str, id_: int, name: str, year: int | None
    ) -> dict[str, Any]:
        record = copy.deepcopy(template)
        record.update(
            objectID=f"{kind}-{id_}",
            id=f"{kind}-{id_}",
            name=name,
            tvdb_id=str(id_),
            year=str(year) if year else None,
            slug=_slug(name),
            translations={"eng": name},
            type=kind,
            primary_type=kind,
            aliases=[],
            remote_ids=[],
        )
        if id_ != 76290:
            record["first_air_time"] = f"{year}-01-01" if year else None
            record["image_url"] = record["thumbnail"] = None
        return record

    def _series_record(self, template: dict[str, Any], series: FakeSeries) -> dict[str, Any]:
        record = copy.deepcopy(template)
        record.update(
            id=series.id,
            name=series.name,
            slug=_slug(series.name),
            year=str(series.year) if series.year else None,
            aliases=[{"language": "eng", "name": a} for a in series.aliases],
            defaultSeasonType=SEASON_TYPES["official"]["id"],
        )
        return record

    def _extended(self, series: FakeSeries) -> dict[str, Any]:
        answer = fixture("series_76290_extended_short.json")
        record = self._series_record(answer["data"], series)
        season_template = answer["data"]["seasons"][1]
        types = ["official"] + (["dvd"] if series.dvd is not None else [])
        seasons = []
        for kind in types:
            for number in sorted({e.season for e in series.order(kind) or []}):
                season = copy.deepcopy(season_template)
                season.update(
                    id=900_000_000 + len(seasons),
                    seriesId=series.id,
                    type=dict(SEASON_TYPES[kind]),
                    number=number,
                )
                seasons.append(season)
        record["seasons"] = seasons
        record["seasonTypes"] = [dict(SEASON_TYPES[kind]) for kind in types]
        answer["data"] = record
        return answer

    def _episodes(
        self, series: FakeSeries, season_type: str, params: dict[str, str]
    ) -> dict[str, Any]:
        page = _int(params.get("page", "0")) or 0
        answer = fixture("series_76290_episodes_default_page0.json")
        template = answer["data"]["episodes"][1]
        episodes = list(series.order(season_type) or [])
        if "season" in params:
            episodes = [e for e in episodes if e.season == _int(params["season"])]
        chunk = episodes[page * self.page_size : (page + 1) * self.page_size]
        records = []
        for index, episode in enumerate(chunk, start=page * self.page_size):
            record = copy.deepcopy(template)
            record.update(
                id=series.id * 1000 + index,
                seriesId=series.id,
                name=episode.name,
                aired=episode.aired,
                runtime=episode.runtime,
                number=episode.number,
                seasonNumber=episode.season,
                absoluteNumber=index + 1,
                year=episode.aired[:4] if episode.aired else None,
                finaleType=None,
            )
            records.append(record)
        path = f"/series/{series.id}/episodes/{season_type}"
        more = (page + 1) * self.page_size < len(episodes)
        answer["data"] = {
            "series": self._series_record(answer["data"]["series"], series),
            "episodes": records,
        }
        answer["links"] = {
            "prev": self._link(path, page=page - 1) if page > 0 else None,
            "self": self._link(path, page=page),
            "next": self._link(path, page=page + 1) if more else None,
            "total_items": len(episodes),
            "page_size": self.page_size,
        }
        return answer

    def _movie(self, movie: FakeMovie) -> dict[str, Any]:
        answer = fixture("movie_base.json")
        answer["data"].update(
            id=movie.id,
            name=movie.name,
            slug=_slug(movie.name),
            year=str(movie.year) if movie.year else None,
            runtime=movie.runtime,
        )
        return answer


def _int(text: str) -> int | None:
    return int(text) if text.strip().lstrip("-").isdigit() else None


def _not_found() -> tuple[int, Any]:
    return 404, {"status": "failure", "message": "NotFoundException: not found", "data": None}


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    @property
    def fake(self) -> FakeTVDB:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def _route(self) -> tuple[str, str] | None:
        split = urlsplit(self.path)
        if not split.path.startswith(PREFIX + "/"):
            self._send(*_not_found())
            return None
        path = split.path.removeprefix(PREFIX)
        self.fake._record(self.command, path, split.query)
        failure = self.fake._misbehave(path)
        if failure is not None:
            self._send_raw(*failure)
            return None
        return path, split.query

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = self._route()
        if route is None:
            return
        if route[0] != "/login":
            self._send(*_not_found())
            return
        self._send(*self.fake.login(body))

    def do_GET(self) -> None:
        route = self._route()
        if route is None:
            return
        path, query = route
        if not self.fake.authorized(self.headers.get("Authorization")):
            self._send(401, fixture("error_401_unauthorized.json"))
            return
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        self._send(*self.fake.get(path, params))

    def _send(self, status: int, body: Any) -> None:
        self._send_raw(status, json.dumps(body).encode())

    def _send_raw(self, status: int, payload: bytes) -> None:
        if self.fake._stopping.is_set():
            return  # stopped while sleeping: leave the client to its timeout
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before we answered
