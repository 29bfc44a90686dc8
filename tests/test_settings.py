from pathlib import Path

import pytest

from boz.errors import BadSetting
from boz.settings import Settings


def test_defaults_derive_from_home(boz_home: Path) -> None:
    s = Settings()
    assert s.home == boz_home
    assert s.library_dir == boz_home / "library"
    assert s.staging_dir == boz_home / "staging"
    assert s.db_url == f"sqlite:///{boz_home / 'boz.db'}"
    assert s.tvdb_api_key is None


def test_environment_then_toml_then_defaults(
    boz_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boz_home.mkdir(parents=True)
    (boz_home / "config.toml").write_text(
        'library = "/srv/media"\ncrf = 23\nmin_title_seconds = 900\n'
    )
    monkeypatch.setenv("BOZ_CRF", "18")
    s = Settings()
    assert s.library_dir == Path("/srv/media")  # from the file
    assert s.crf == 18  # the environment wins over the file
    assert s.min_title_seconds == 2  # conftest's environment wins too
    assert Settings(crf=30).crf == 30  # explicit arguments win over everything


def test_config_file_can_live_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('ffmpeg = "/opt/ffmpeg/bin/ffmpeg"\n')
    monkeypatch.setenv("BOZ_CONFIG", str(config))
    assert Settings().ffmpeg == "/opt/ffmpeg/bin/ffmpeg"


def test_secret_key_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOZ_TVDB_API_KEY", "very-secret")
    s = Settings()
    assert s.tvdb_api_key is not None and s.tvdb_api_key.get_secret_value() == "very-secret"
    assert "very-secret" not in repr(s) and "very-secret" not in s.model_dump_json()


def test_the_prefect_database_is_postgresql_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOZ_PREFECT_DATABASE_URL", "mysql://boz:s3cret@db/prefect")
    with pytest.raises(BadSetting) as error:
        Settings.with_library(None)
    assert "BOZ_PREFECT_DATABASE_URL" in str(error.value)
    assert "must be a PostgreSQL URL" in str(error.value)
    assert "s3cret" not in str(error.value)

    monkeypatch.setenv("BOZ_PREFECT_DATABASE_URL", "postgresql+psycopg://boz:s3cret@db/prefect")
    settings = Settings()
    assert settings.prefect_database == "postgresql+psycopg://boz:s3cret@db/prefect"
    assert "s3cret" not in repr(settings)
