"""TheTVDB v4 lookups for the preview: series, a season's episodes (names, runtimes), movies.

Why it is built this way:

* **Metadata is optional.** Without a key, or when TheTVDB is down, slow, refuses the key
  or answers nonsense, the methods return ``None`` / ``[]`` and say why, one line each,
  in ``Metadata.problems`` for the run log. A rip never fails because a website did.
  After a failure that will not heal within the run (unreachable, timed out, key
  refused) TheTVDB is not asked again by the same ``Metadata``, so a dead service costs
  one timeout per preview, not one per lookup.
* **The official client, with three fixes.** ``tvdb-v4-official`` 1.1.0 builds the URLs
  and knows the endpoints, but it logs in inside its constructor, against a hard-coded
  ``https://api4.thetvdb.com/v4/``, and calls ``urllib.request.urlopen`` without a
  timeout, so a stalled server would hang the preview for ever. ``_Client`` keeps the
  client's URL builder and endpoint methods, points the URL builder at
  ``tvdb_base_url``, logs in only when a lookup misses the cache, and sends every request
  (login included) through its own opener with ``tvdb_timeout_seconds``. The timeout
  belongs to the instance: no process-wide ``socket.setdefaulttimeout`` and no patched
  ``urllib``, which would change every other HTTP call in the process (Prefect's too).
* **Answers are cached in the domain database** (``boz.db.metadata_cache``), so a
  season box ripped disc by disc, on one host or several, asks TheTVDB once per series
  and order, and a cached season still names episodes while TheTVDB is down.
* **The key and the pin stay secret.** They are ``SecretStr`` until the login body is
  built; problem lines and log lines are also scrubbed of them, in case a server ever
  echoes them back.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

import tvdb_v4_official
from pydantic import BaseModel, SecretStr

from boz.db.metadata_cache import KEY_LENGTH, MetadataCache
from boz.errors import MetadataUnavailable
from boz.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``order`` argument -> TheTVDB season type. "default" is the series' default season
#: type, which is the aired order for nearly every series.
ORDERS = {
    "default": "default",
    "aired": "official",
    "official": "official",
    "dvd": "dvd",
    "absolute": "absolute",
    "alternate": "alternate",
    "regional": "regional",
}
#: TheTVDB pages episodes 500 at a time; this bounds a server that never stops paging.
MAX_PAGES = 100
#: Bumped when the shape of cached payloads changes, so old entries are simply missed.
CACHE_PREFIX = "tvdb/v1/"


class EpisodeInfo(BaseModel):
    """One episode in the requested order; ``runtime_min`` is TheTVDB's, in minutes."""

    season: int
    number: int
    name: str | None
    runtime_min: int | None
    aired: str | None


class SeriesInfo(BaseModel):
    """A series as TheTVDB knows it; ``id`` is what ``season_episodes`` takes."""

    id: int
    name: str
    year: int | None


class _Hit(BaseModel):
    """One search result, reduced to what choosing a match needs (and what is cached)."""

    id: int
    name: str
    year: int | None
    aliases: list[str] = []


class _Offline(MetadataUnavailable):
    """TheTVDB cannot help for the rest of this run: unreachable, too slow, key refused."""


class _SessionExpired(MetadataUnavailable):
    """A data call was refused with 401: the token is no longer good, log in again."""


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _server_message(body: Any) -> str:
    """``": <message>"`` from TheTVDB's ``{status, message, data}`` envelope, if any.

    Not shortened here: ``Metadata._problem`` scrubs secrets first, then shortens, so a
    server that echoed the key could not leave half of it behind.
    """
    message = body.get("message") if isinstance(body, dict) else None
    return f": {' '.join(message.split())}" if isinstance(message, str) and message else ""


class _TimedRequest(tvdb_v4_official.Request):
    """The client's ``Request`` sent through an opener with a timeout.

    ``make_request`` keeps the client's contract (returns ``data``, sets ``links``) but
    tells failures apart, because the run log should say *why* names are missing:
    unreachable, too slow, refused, HTTP error or a body that is not JSON.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__(auth_token="")
        self.timeout = timeout
        self._opener = urllib.request.build_opener()

    def _exchange(self, request: urllib.request.Request) -> tuple[int, Any]:
        """HTTP status and decoded JSON body of one request; failures as MetadataUnavailable.

        Exceptions are re-raised ``from None``: their text is ours and known to be clean.
        """
        try:
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    status, body = response.status, response.read()
            except HTTPError as error:  # a status >= 400 still has a body worth reading
                status, body = error.code, error.read()
                error.close()
        except TimeoutError:
            raise _Offline(f"no answer within {self.timeout:g} s") from None
        except URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Offline(f"no answer within {self.timeout:g} s") from None
            reason = getattr(error.reason, "strerror", None) or error.reason
            raise _Offline(f"unreachable ({_one_line(str(reason))})") from None
        except (OSError, http.client.HTTPException) as error:
            raise _Offline(f"connection failed ({type(error).__name__})") from None
        try:
            return status, json.loads(body)
        except ValueError:  # JSONDecodeError, or bytes that are not text at all
            raise MetadataUnavailable(f"HTTP {status} with a body that is not JSON") from None

    def login(self, url: str, apikey: SecretStr, pin: SecretStr | None) -> None:
        """POST /login as the client's ``Auth`` does (pin only when set); keep the token."""
        credentials = {"apikey": apikey.get_secret_value()}
        if pin is not None and pin.get_secret_value():
            credentials["pin"] = pin.get_secret_value()
        request = urllib.request.Request(
            url,
            data=json.dumps(credentials).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        status, body = self._exchange(request)
        data = body.get("data") if isinstance(body, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if status == 200 and isinstance(token, str) and token:
            self.auth_token = token
            return
        hint = {401: "; check the API key", 400: "; check BOZ_TVDB_PIN"}.get(status, "")
        raise _Offline(f"refused (HTTP {status}{_server_message(body)}){hint}")

    def make_request(self, url: str, if_modified_since: str | None = None) -> Any:
        """GET one endpoint; ``data`` of a successful envelope, else MetadataUnavailable."""
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        request.add_header("Authorization", f"Bearer {self.auth_token}")
        if if_modified_since:
            request.add_header("If-Modified-Since", if_modified_since)
        log.debug("TheTVDB GET %s", url)
        status, body = self._exchange(request)
        if status == 401:
            raise _SessionExpired(f"HTTP 401{_server_message(body)}")
        data = body.get("data") if isinstance(body, dict) else None
        if status != 200 or data is None or body.get("status") == "failure":
            raise MetadataUnavailable(f"HTTP {status}{_server_message(body)}")
        self.links = body.get("links")
        return data


class _Client(tvdb_v4_official.TVDB):
    """The official client with a configurable base URL, a timeout and a lazy login."""

    def __init__(self, base_url: str, timeout: float) -> None:
        # TVDB.__init__ is skipped on purpose: it logs in at once, against its fixed URL,
        # without a timeout. The endpoint methods only use ``self.url`` and ``self.request``.
        self.url = tvdb_v4_official.Url()
        self.url.base_url = base_url.rstrip("/") + "/"
        self.request = _TimedRequest(timeout)

    def login(self, apikey: SecretStr, pin: SecretStr | None) -> None:
        self.request.login(self.url.construct("login"), apikey, pin)


def _load_secret_block(name: str) -> SecretStr:
    """The key from a Prefect Secret block; Prefect is imported only when one is configured."""
    from prefect.blocks.system import Secret

    # _sync: a plain call even when a caller up the stack runs an event loop.
    value = Secret.load(name, _sync=True).get()
    if not isinstance(value, str) or not value:
        raise ValueError("the block does not hold a non-empty string")
    return SecretStr(value)


def _int(value: Any) -> int | None:
    """TheTVDB sends ids and years as strings in search results, as numbers elsewhere."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _hits(results: Any) -> list[dict[str, Any]]:
    """Search results -> cacheable ``_Hit`` dicts, English title first when there is one."""
    hits = []
    for record in results or []:
        hit_id = _int(record.get("tvdb_id"))
        name = (record.get("translations") or {}).get("eng") or record.get("name")
        if hit_id is None or not isinstance(name, str) or not name:
            continue
        aliases = [a for a in record.get("aliases") or [] if isinstance(a, str)]
        if name != record.get("name") and isinstance(record.get("name"), str):
            aliases.append(record["name"])
        hits.append(_Hit(id=hit_id, name=name, year=_int(record.get("year")), aliases=aliases))
    return [hit.model_dump() for hit in hits]


def _norm(text: str) -> str:
    """Compare titles the way a disc label spells them: no case, spaces or punctuation."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _best(hits: list[_Hit], query: str, year: int | None = None) -> _Hit | None:
    """An exact title (or alias) match beats TheTVDB's ranking; then a matching year."""
    wanted = _norm(query)

    def rank(indexed: tuple[int, _Hit]) -> tuple[bool, bool, int]:
        position, hit = indexed
        exact = any(_norm(n) == wanted for n in (hit.name, *hit.aliases))
        return (not exact, year is not None and hit.year != year, position)

    return min(enumerate(hits), key=rank)[1] if hits else None


def _episode(record: dict[str, Any]) -> dict[str, Any]:
    return EpisodeInfo(
        season=record["seasonNumber"],
        number=record["number"],
        name=record.get("name") or None,
        runtime_min=record.get("runtime"),
        aired=record.get("aired") or None,
    ).model_dump()


def _all_episodes(client: _Client, series_id: int, season_type: str) -> list[dict[str, Any]]:
    """Every page of ``/series/{id}/episodes/{season-type}`` (all seasons: one cache entry).

    Paging stops at an empty page or when ``links.next`` is null, as the live API
    does both (v4-api#138).
    """
    episodes: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        data = client.get_series_episodes(series_id, season_type, page=page)
        batch = data.get("episodes") or []
        episodes.extend(_episode(record) for record in batch)
        links = client.get_req_links() or {}
        if not batch or not links.get("next"):
            return episodes
    raise MetadataUnavailable(f"still paging after {MAX_PAGES} pages")


def _season_types(extended: dict[str, Any]) -> list[str]:
    return sorted({t["type"] for t in extended.get("seasonTypes") or [] if t.get("type")})


class Metadata:
    """TheTVDB lookups with a database cache; failures become lines in ``problems``.

    Nothing touches the network until a lookup misses the cache: building one per
    preview is cheap, and a preview whose season is cached needs no key at all.
    """

    def __init__(self, settings: Settings, cache: MetadataCache | None = None) -> None:
        self.settings = settings
        self.cache = cache
        self.problems: list[str] = []
        self._client: _Client | None = None
        self._offline = False
        self._secrets: tuple[SecretStr, ...] = tuple(
            s for s in (settings.tvdb_api_key, settings.tvdb_pin) if s is not None
        )

    def __repr__(self) -> str:
        key = "set" if self.settings.tvdb_api_key or self.settings.tvdb_secret_block else "none"
        return (
            f"Metadata(base_url={self.settings.tvdb_base_url!r}, key={key}, "
            f"cache={'on' if self.cache else 'off'}, problems={len(self.problems)})"
        )

    # -- public lookups -------------------------------------------------------------

    def find_series(self, name: str) -> SeriesInfo | None:
        """The series called ``name``: an exact title or alias match, else TheTVDB's best."""
        query = " ".join(name.split())
        if not query:
            return None
        hits = self._lookup(
            f"search/series/{query.casefold()}",
            f"series search for {query!r}",
            lambda client: _hits(client.search(query, type="series")),
            lambda payload: [_Hit.model_validate(h) for h in payload],
        )
        if hits is None:
            return None
        best = _best(hits, query)
        if best is None:
            self._problem(f"TheTVDB: no series called {query!r}")
            return None
        return SeriesInfo(id=best.id, name=best.name, year=best.year)

    def season_episodes(
        self, series_id: int, season: int, order: str = "default"
    ) -> list[EpisodeInfo]:
        """A season's episodes by number, in aired ("default") or DVD ("dvd") order.

        The whole series is fetched (and cached) per order, so the next disc of the box,
        or the next season, costs no request.
        """
        season_type = ORDERS.get(order)
        if season_type is None:
            self._problem(
                f"TheTVDB: unknown episode order {order!r} (use one of {', '.join(ORDERS)})"
            )
            return []
        if season_type not in ("default", "official"):
            types = self._lookup(
                f"series/{series_id}/season-types",
                f"orders of series {series_id}",
                lambda client: _season_types(client.get_series_extended(series_id, short=True)),
                lambda payload: [str(t) for t in payload],
            )
            if types is None:
                return []
            if season_type not in types:
                self._problem(
                    f"TheTVDB: series {series_id} has no {order} order "
                    f"(it has: {', '.join(types) or 'none'})"
                )
                return []
        episodes = self._lookup(
            f"series/{series_id}/episodes/{season_type}",
            f"episodes of series {series_id} ({order} order)",
            lambda client: _all_episodes(client, series_id, season_type),
            lambda payload: [EpisodeInfo.model_validate(e) for e in payload],
        )
        if episodes is None:
            return []
        found = sorted((e for e in episodes if e.season == season), key=lambda e: e.number)
        if not found:
            self._problem(
                f"TheTVDB: series {series_id} has no season {season} episodes in {order} order"
            )
        return found

    def find_movie(self, title: str, year: int | None) -> tuple[str, int | None] | None:
        """``(name, year)`` of the movie called ``title`` (released in ``year`` when given)."""
        query = " ".join(title.split())
        if not query:
            return None
        hits = self._lookup(
            f"search/movie/{query.casefold()}/{year or ''}",
            f"movie search for {query!r}" + (f" ({year})" if year else ""),
            lambda client: _hits(client.search(query, type="movie", year=year)),
            lambda payload: [_Hit.model_validate(h) for h in payload],
        )
        if hits is None:
            return None
        best = _best(hits, query, year)
        if best is None:
            self._problem(f"TheTVDB: no movie called {query!r}" + (f" from {year}" if year else ""))
            return None
        return best.name, best.year

    # -- plumbing ---------------------------------------------------------------------

    def _lookup(
        self,
        key: str,
        what: str,
        fetch: Callable[[_Client], Any],
        parse: Callable[[Any], T],
    ) -> T | None:
        """A fresh cached answer, else ``fetch`` (then cache it); None after a problem."""
        key = self._cache_key(key)
        if self.cache is not None:
            found, payload = self.cache.get(key, timedelta(days=self.settings.tvdb_cache_days))
            if found:
                try:
                    result = parse(payload)
                except ValueError:  # written by an older version: fetch again
                    pass
                else:
                    log.debug("TheTVDB %s: from the cache", what)
                    return result
        client = self._connect()
        if client is None:
            return None
        try:
            payload = fetch(client)
            result = parse(payload)
        except _SessionExpired as error:
            self._client = None  # the next lookup logs in again
            self._problem(f"TheTVDB: {what} refused, session expired ({error})")
            return None
        except _Offline as error:
            self._go_offline(f"{what} failed: {error}")
            return None
        except MetadataUnavailable as error:
            self._problem(f"TheTVDB: {what} failed: {error}")
            return None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self._problem(f"TheTVDB: {what}: unexpected answer ({type(error).__name__})")
            return None
        if self.cache is not None:
            self.cache.put(key, payload)
        return result

    def _connect(self) -> _Client | None:
        """The logged-in client, built on first need; None (and a problem) if impossible."""
        if self._offline:
            return None
        if self._client is not None:
            return self._client
        base_url = self.settings.tvdb_base_url
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self._go_offline(f"tvdb_base_url {base_url!r} is not an http(s) URL")
            return None
        try:
            apikey = self._api_key()
        except MetadataUnavailable as error:
            self._go_offline(str(error))
            return None
        client = _Client(base_url, self.settings.tvdb_timeout_seconds)
        try:
            client.login(apikey, self.settings.tvdb_pin)
        except MetadataUnavailable as error:
            self._go_offline(f"cannot log in at {base_url}: {error}")
            return None
        self._client = client
        return client

    def _api_key(self) -> SecretStr:
        """``tvdb_api_key``, else the Prefect Secret block named by ``tvdb_secret_block``."""
        key = self.settings.tvdb_api_key
        if key is not None and key.get_secret_value():
            return key
        block = self.settings.tvdb_secret_block
        if not block:
            raise _Offline("no API key (set BOZ_TVDB_API_KEY or BOZ_TVDB_SECRET_BLOCK)")
        try:
            key = _load_secret_block(block)
        except Exception as error:  # Prefect raises many types: API down, no block, bad value
            raise _Offline(
                f"cannot read the API key from Prefect Secret block {block!r} "
                f"({type(error).__name__}: {error})"
            ) from None
        self._secrets = (*self._secrets, key)
        return key

    def _go_offline(self, reason: str) -> None:
        self._offline = True
        self._problem(f"TheTVDB: {reason}; continuing without TheTVDB for this run")

    def _problem(self, line: str) -> None:
        """Record (once) and log one run-log line, scrubbed of the key and pin."""
        line = _one_line(self._scrub(line))
        if line not in self.problems:
            self.problems.append(line)
            log.warning("%s", line)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            value = secret.get_secret_value()
            if value:
                text = text.replace(value, "**********")
        return text

    @staticmethod
    def _cache_key(key: str) -> str:
        key = CACHE_PREFIX + key
        if len(key) <= KEY_LENGTH:
            return key
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{key[: KEY_LENGTH - len(digest) - 1]}#{digest}"
