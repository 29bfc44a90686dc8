"""Settings from the environment (prefix ``BOZ_``) and an optional TOML file.

Nothing reads settings at import time: the CLI, the flow and the tests each build a
``Settings`` and pass it down, so a test can point everything at a temporary home.
The TOML file is ``$BOZ_CONFIG`` or ``$BOZ_HOME/config.toml``; environment variables
win over it, explicit keyword arguments win over both.
"""

from __future__ import annotations

import json
import os
import re
import socket
import tomllib
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from boz.errors import BadSetting
from boz.media.profiles import Profile
from boz.models import AutoApprove

DEFAULT_HOME = "~/.boz-ripper"


def config_file() -> Path:
    """Where the optional TOML settings file lives for the current environment."""
    explicit = os.environ.get("BOZ_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return Path(os.environ.get("BOZ_HOME", DEFAULT_HOME)).expanduser() / "config.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOZ_", extra="ignore")

    home: Path = Field(default=Path(DEFAULT_HOME), description="SQLite file, staging, logs")
    database_url: str | None = Field(default=None, description="default: SQLite in home")
    library: Path | None = Field(default=None, description="default: home/library")
    staging: Path | None = Field(default=None, description="default: home/staging")
    tvdb_api_key: SecretStr | None = None
    tvdb_pin: SecretStr | None = None
    tvdb_secret_block: str | None = Field(
        default=None, description="Prefect Secret block holding the key, if no tvdb_api_key"
    )
    tvdb_base_url: str = "https://api4.thetvdb.com/v4"
    tvdb_timeout_seconds: float = Field(default=10, gt=0, description="per HTTP request")
    tvdb_dvd_order: list[str] = Field(
        default_factory=list, description='seasons numbered in DVD order, e.g. ["Firefly/1"]'
    )
    tvdb_cache_days: int = Field(default=7, ge=0, description="0: always refetch")
    min_title_seconds: int = Field(default=600, ge=0, description="shorter titles are extras")
    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    video_encoder: str = "libx264"
    crf: int = Field(default=20, ge=0, le=51)
    x264_preset: str = "medium"
    profile: str = Field(default="default", description="the transcode profile of a run")
    profiles: dict[str, Profile] = Field(
        default_factory=dict,
        description="named profiles; 'default' is built from video_encoder/crf/x264_preset "
        "and 'copy' only remuxes, unless defined here",
    )
    fit_deinterlace: bool = Field(default=True, description="bwdif when idet finds interlacing")
    fit_telecine: bool = Field(default=True, description="restore 23.976 film from telecine")
    fit_crop: bool = Field(default=True, description="crop black bars found at every sample")
    hardware_encoders: list[str] = Field(
        default_factory=lambda: [
            "h264_nvenc", "hevc_nvenc", "av1_nvenc",
            "h264_qsv", "hevc_qsv", "av1_qsv",
            "h264_vaapi", "hevc_vaapi", "av1_vaapi",
        ],
        description="candidates tried by a one-second encode; the ones that work are usable",
    )  # fmt: skip
    vaapi_device: str = "/dev/dri/renderD128"
    verify_decode: bool = Field(default=False, description="decode every output in full")
    keep_extras: bool = Field(default=True, description="select extras of min_title_seconds+")
    collision: Literal["skip", "keep-both", "replace"] = Field(
        default="skip", description="a different file already at a title's library name"
    )
    library_ids: bool = Field(default=False, description="[tvdbid-N] in show folders")
    stall_seconds: float = Field(default=120.0, gt=0, description="kill a tool silent this long")
    makemkvcon: str | None = Field(default=None, description="default: makemkvcon on PATH")
    makemkv_minlength: int = Field(default=120, ge=0, description="--minlength for info and mkv")
    makemkv_cache_mb: int | None = Field(default=None, gt=0, description="--cache for reads")
    makemkv_stall_seconds: float = Field(default=300.0, gt=0)
    makemkv_info_timeout_seconds: float = Field(default=1800.0, gt=0)
    makemkv_rip_timeout_seconds: float = Field(default=6 * 3600.0, gt=0)
    eject_after_rip: bool = False
    eject_command: str = "eject"
    watch_auto_approve: AutoApprove = Field(
        default=AutoApprove.off,
        description="which proposals boz watch's rips approve by themselves: off, strong, "
        "medium or any (true: any, as --yes)",
    )
    watch_poll_seconds: float = Field(default=5.0, gt=0)
    watch_debounce_seconds: float = Field(default=15.0, ge=0)
    approval_timeout_seconds: int = Field(default=86_400, gt=0)
    approval_poll_seconds: int = Field(default=5, gt=0)
    host_name: str = Field(
        default_factory=socket.gethostname, min_length=1,
        description="this host in jobs, hosts and drive limits",
    )  # fmt: skip
    transcode_deployment: str | None = Field(
        default=None, description="flow/deployment that transcodes on other hosts"
    )
    transcode_slots: int = Field(
        default=1, ge=0, description="transcodes run beside the rips in this process; 0: inline"
    )
    transcode_nice: int = Field(
        default=10, ge=0, le=19,
        description="niceness added to a transcode's ffmpeg, so rips and the pipeline's own "
        "work come first on a busy host; 0: none",
    )  # fmt: skip
    heartbeat_seconds: float = Field(default=30.0, gt=0, description="boz watch heartbeat")
    host_offline_seconds: float = Field(default=90.0, gt=0, description="no heartbeat: offline")
    job_lease_seconds: float = Field(
        default=60.0, ge=1, description="a claimed job whose holder went silent this long is free"
    )
    drive_lease_seconds: float = Field(
        default=60.0, ge=60, description="Prefect's lease on a drive's slot (its minimum is 60)"
    )
    server_port: int = Field(default=4200, gt=0, lt=65536, description="the local Prefect server")
    prefect_database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL for the local Prefect server's own data; default SQLite in home",
    )
    notify_urls: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Apprise URLs told when a disc waits, is done or fails (hold tokens)",
    )

    @field_validator("watch_auto_approve", mode="before")
    @classmethod
    def _yes_no_as_level(cls, value: object) -> object:
        """Any case; true/false, as the setting was before it had levels: any/off."""
        text = str(value).strip().lower()
        return {"true": "any", "1": "any", "yes": "any", "false": "off", "0": "off",
                "no": "off"}.get(text, text)  # fmt: skip

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _url_list(cls, value: object) -> object:
        """A TOML list, or from the environment a JSON list or URLs split by spaces or commas."""
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else re.split(r"[\s,]+", text)
        return value

    @field_validator("prefect_database_url")
    @classmethod
    def _postgresql_only(cls, value: SecretStr | None) -> SecretStr | None:
        """Prefect's server keeps its data in SQLite (the default, under home) or PostgreSQL;
        anything else would only fail when the server starts, detached, in its log."""
        if value is None:
            return value
        from sqlalchemy.engine import make_url  # only when set: commands start without it
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value.get_secret_value()).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("postgresql", "postgres"):
            raise ValueError("must be a PostgreSQL URL (postgresql://user:password@host/db)")
        return value

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.home = self.home.expanduser()
        if self.library is None:
            self.library = self.home / "library"
        if self.staging is None:
            self.staging = self.home / "staging"
        self.library = self.library.expanduser()
        self.staging = self.staging.expanduser()
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.home / 'boz.db'}"
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file()),
        )

    @classmethod
    def with_library(cls, library: str | Path | None) -> Settings:
        """This host's settings, with a library given for one command or run; a setting
        that cannot be used is one line naming the variable, or the file and its line."""
        try:
            return cls(library=Path(library)) if library else cls()
        except (ValidationError, SettingsError, tomllib.TOMLDecodeError) as exc:
            raise BadSetting(explain(exc)) from None

    @property
    def library_dir(self) -> Path:
        assert self.library is not None
        return self.library

    @property
    def staging_dir(self) -> Path:
        assert self.staging is not None
        return self.staging

    @property
    def notify_to(self) -> list[str]:
        return [u.get_secret_value() for u in self.notify_urls if u.get_secret_value()]

    @property
    def prefect_database(self) -> str | None:
        url = self.prefect_database_url
        return url.get_secret_value() if url is not None else None

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url


def explain(exc: Exception) -> str:
    """Where a bad setting came from and what is wrong with it, in one line."""
    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"{config_file()}: {exc}: fix the file (TOML) or move it away"
    if isinstance(exc, SettingsError):
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"BOZ_{found[1].upper()}" if found else "a BOZ_ variable"
        return f"{name} is not valid JSON: give a JSON value, e.g. '[\"a\", \"b\"]' or '{{}}'"
    assert isinstance(exc, ValidationError)
    errors = exc.errors()
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    env = f"BOZ_{field.upper()}"
    if env in os.environ:
        where = env if _secret(field) else f"{env}={os.environ[env]!r}"
    else:
        line = _toml_line(field)
        where = f"{config_file()} line {line} ({field})" if line else f"setting {field}"
    inner = ".".join(str(p) for p in first["loc"][1:])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {f'{inner}: ' if inner else ''}{first['msg']}{more}"


def _secret(field: str) -> bool:
    """Whether the setting may hold a password or token, never to be echoed."""
    model = Settings.model_fields.get(field)
    return model is not None and _holds_secret(model.annotation)


def _holds_secret(annotation: object) -> bool:
    """``SecretStr``, or a type built of it (``SecretStr | None``, ``list[SecretStr]``)."""
    return annotation is SecretStr or any(_holds_secret(arg) for arg in get_args(annotation))


def _toml_line(field: str) -> int | None:
    """The line of ``field = …`` or ``[field…]`` in the settings file, if it is there."""
    try:
        text = config_file().read_text(encoding="utf-8")
    except OSError:
        return None
    pattern = re.compile(rf"^\s*(\[\s*{field}\b|{field}\s*=)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None
