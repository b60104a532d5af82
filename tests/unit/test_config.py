from pathlib import Path

import pytest

from console import paths
from console.config.settings import ConfigError, load_settings


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file():
    settings = load_settings()
    assert settings.base_url is None
    assert settings.token is None
    assert settings.default_region == "US"


def test_file_values_and_env_override(monkeypatch):
    write_config('base_url = "https://api.example.com/"\ndefault_region = "gb"\n')
    settings = load_settings()
    assert settings.base_url == "https://api.example.com"
    assert settings.default_region == "GB"
    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", "http://127.0.0.1:9")
    assert load_settings().base_url == "http://127.0.0.1:9"


def test_token_never_in_repr(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", "tok-s3cr3t-value")
    settings = load_settings()
    assert settings.token.get_secret_value() == "tok-s3cr3t-value"
    assert "tok-s3cr3t-value" not in repr(settings)
    assert "tok-s3cr3t-value" not in str(settings)


def test_bad_value_names_file_line_and_key():
    path = write_config('# comment\nbase_url = "https://a.example.com"\ndefault_region = "USA"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.file == path
    assert err.value.line == 3
    assert err.value.key == "default_region"
    assert f"{path}:3: default_region:" in str(err.value)


def test_invalid_toml_names_line():
    path = write_config('base_url = "https://a.example.com"\n\nthis is not toml\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.line == 3
    assert str(path) in str(err.value)


def test_unknown_key_is_an_error():
    write_config('base_urll = "https://a.example.com"\n')
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.key == "base_urll"
    assert err.value.line == 1


def test_bad_env_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", "ftp://nope")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.key == "CALL_CONSOLE_BASE_URL"
