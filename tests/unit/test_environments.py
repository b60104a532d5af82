"""Named environments in config.toml: strict parsing, which one is used, editing in place."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from console import paths
from console.cli import main
from console.config.settings import ConfigError, load_settings, locate_key
from console.account.environments import (
    Environment,
    add_environment,
    load_environments,
    remove_environment,
    resolve_target,
    set_active_environment,
)
from console.store.secrets import StoredTokens, TokenStore

GOOD = textwrap.dedent("""\
    # operators' settings
    default_region = "GB"   # numbers without +44
    active_env = "prod"

    # the real thing
    [environments.prod]
    base_url = "https://api.example.com/"
    auth = "login"          # refreshing login
    username = "alice"

    [environments.ci]
    base_url = "http://127.0.0.1:8000"
    auth = "token"
    token_env = "CI_CALL_TOKEN"
    """)


def write_config(text: str):
    file = paths.config_file()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text)
    return file


def error_of(text: str) -> ConfigError:
    write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_environments()
    return caught.value


def test_parses_environments_and_the_other_preferences():
    write_config(GOOD)
    envs = load_environments()
    assert envs.active == "prod" and len(envs) == 2
    prod = envs.get("prod")
    assert prod == Environment("prod", "https://api.example.com", "login", "alice", None)
    assert envs.get("ci").token_env == "CI_CALL_TOKEN" and envs.get("ci").auth == "token"
    settings = load_settings()
    assert settings.default_region == "GB" and settings.active_env == "prod"


def test_missing_file_means_no_environments():
    envs = load_environments()
    assert len(envs) == 0 and envs.active is None


@pytest.mark.parametrize("text,line,key,needle", [
    ('[environments.prod]\nbase_url = "https://a.example"\ncolour = "red"\n',
     3, "environments.prod.colour", "unknown key"),
    ('[environments.prod]\nbase_url = "ftp://a.example"\n', 2, "environments.prod.base_url",
     "http"),
    ('[environments.prod]\nbase_url = "https://user:pw@a.example"\n', 2,
     "environments.prod.base_url", "user info"),
    ('[environments.prod]\nbase_url = "https://a.example"\nauth = "oauth"\n', 3,
     "environments.prod.auth", '"login" or "token"'),
    ('[environments.prod]\nauth = "login"\n', 1, "environments.prod.base_url", "required"),
    ('[environments.prod]\nbase_url = "https://a.example"\ntoken_env = "X"\n', 3,
     "environments.prod.token_env", 'auth = "token"'),
    ('[environments.ci]\nbase_url = "https://a.example"\nauth = "token"\ntoken_env = "1X"\n', 4,
     "environments.ci.token_env", "environment variable"),
    ('active_env = "staging"\n\n[environments.prod]\nbase_url = "https://a.example"\n', 1,
     "active_env", "no [environments.staging]"),
    ('environments = 3\n', 1, "environments", "must be a table"),
    ('[environments."bad name"]\nbase_url = "https://a.example"\n', 1,
     'environments.bad name', "environment name"),
    ('[environments]\nprod = { base_url = "https://a.example", bogus = 1 }\n', 2,
     "environments.prod.bogus", "unknown key"),
])
def test_errors_name_file_line_and_key(text, line, key, needle):
    error = error_of(text)
    assert error.file == paths.config_file()
    assert (error.line, error.key) == (line, key)
    assert needle in str(error)
    assert str(error).startswith(f"{paths.config_file()}:{line}: {key}: ")


def test_toml_syntax_error_names_the_line():
    error = error_of('[environments.prod]\nbase_url = "https://a.example\n')
    assert error.line == 2 and "not valid TOML" in str(error)


def test_other_preferences_still_validate_next_to_environments():
    write_config(GOOD.replace('default_region = "GB"', 'default_region = "Britain"'))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.line == 2 and caught.value.key == "default_region"
    write_config("poll_concurrency = 0\n" + GOOD)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "poll_concurrency" and caught.value.line == 1
    # Appended after the tables, TOML puts the key inside the last one: say so, with its line.
    write_config(GOOD + "poll_concurrency = 4\n")
    with pytest.raises(ConfigError) as caught:
        load_environments()
    assert caught.value.key == "environments.ci.poll_concurrency"
    assert caught.value.line == len(GOOD.splitlines()) + 1


def test_locate_key_follows_tables_and_dotted_keys(tmp_path):
    file = tmp_path / "c.toml"
    file.write_text('a = 1\n[x."y.z"]\nk = 2\n[x.w]\nq.r = 3\n')
    assert locate_key(file, "a") == 1
    assert locate_key(file, ["x", "y.z", "k"]) == 3
    assert locate_key(file, "x.w.q.r") == 5
    assert locate_key(file, "x.w.missing") == 4
    assert locate_key(file, "nope.nope") is None


def test_resolution_order(monkeypatch):
    write_config(GOOD)
    settings = load_settings()
    assert resolve_target(settings).name == "prod"
    assert resolve_target(settings).source == "active_env"
    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", "http://127.0.0.1:9999")
    adhoc = resolve_target(load_settings())
    assert (adhoc.source, adhoc.base_url, adhoc.is_named) == (
        "CALL_CONSOLE_BASE_URL", "http://127.0.0.1:9999", False)
    monkeypatch.setenv("CALL_CONSOLE_ENV", "ci")
    assert resolve_target(load_settings()).name == "ci"
    assert resolve_target(load_settings(), "prod").source == "--env"
    with pytest.raises(ConfigError, match="no environment named 'qa'.*known: ci, prod"):
        resolve_target(load_settings(), "qa")


def test_plain_base_url_still_works_without_environments(monkeypatch):
    write_config('base_url = "https://plain.example"\n')
    found = resolve_target(load_settings())
    assert (found.name, found.base_url, found.source, found.auth) == (
        "default", "https://plain.example", "base_url", "login")
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", "t")
    assert resolve_target(load_settings()).auth == "token"
    write_config("")
    assert resolve_target(load_settings()) is None


def test_add_edit_remove_keep_comments_and_write_atomically():
    file = write_config(GOOD)
    add_environment(Environment("staging", "https://staging.example.com/"), make_active=True)
    text = file.read_text()
    for comment in ("# operators' settings", "# numbers without +44", "# the real thing",
                    "# refreshing login"):
        assert comment in text
    envs = load_environments()
    assert envs.active == "staging" and envs.get("staging").base_url == "https://staging.example.com"
    assert text.index("active_env") < text.index("[environments.prod]")

    with pytest.raises(ConfigError, match="already exists"):
        add_environment(Environment("prod", "https://other.example"))
    add_environment(Environment("prod", "https://new.example", username="bob"), replace=True)
    text = file.read_text()
    assert "# refreshing login" in text  # edited in place
    assert load_environments().get("prod").base_url == "https://new.example"

    remove_environment("staging")
    envs = load_environments()
    assert "staging" not in envs.items and envs.active is None
    assert "# the real thing" in file.read_text()
    set_active_environment("ci")
    assert load_environments().active == "ci"
    set_active_environment(None)
    assert load_environments().active is None
    assert not [p for p in file.parent.iterdir() if p.name.endswith(".tmp")]


def test_edits_are_validated_and_never_touch_a_broken_file():
    file = write_config(GOOD)
    with pytest.raises(ConfigError, match="http"):
        add_environment(Environment("bad", "not a url"))
    with pytest.raises(ConfigError, match="environment name"):
        add_environment(Environment("no spaces", "https://a.example"))
    with pytest.raises(ConfigError, match="no environment named"):
        set_active_environment("ghost")
    assert file.read_text() == GOOD
    broken = GOOD + "\n[environments.x\n"
    file.write_text(broken)
    with pytest.raises(ConfigError, match="not valid TOML"):
        add_environment(Environment("new", "https://a.example"))
    assert file.read_text() == broken


def test_new_file_from_nothing():
    add_environment(Environment("one", "http://127.0.0.1:8000"), make_active=True)
    envs = load_environments()
    assert envs.active == "one" and envs.get("one").auth == "login"


def test_remove_forgets_stored_tokens(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    write_config(GOOD)
    TokenStore().save("prod", StoredTokens(access_token="a", refresh_token="r"))
    remove_environment("prod")
    assert TokenStore().load("prod") is None


# --------------------------------------------------------------------------- the CLI


def run(*args, env=None):
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def test_env_commands_and_global_env_selection(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    assert run("env", "add", "prod", "https://prod.example", "--username", "alice",
               "--use").exit_code == 0
    assert run("env", "add", "stage", "https://stage.example").exit_code == 0
    assert run("env", "add", "ci", "https://ci.example", "--auth", "token",
               "--token-env", "CI_TOKEN").exit_code == 0
    listed = json.loads(run("env", "list", "--json").output)
    assert [(r["name"], r["active"]) for r in listed] == [
        ("prod", True), ("stage", False), ("ci", False)]
    assert listed[2]["token_env"] == "CI_TOKEN"

    def dry_run_url(*before):
        result = run(*before, "call", "place", "--agent", "3b1f8a52-3c1e-4a0a-9a36-6f2b8d9a1c01",
                     "--to", "+14155550000", "--dry-run", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["curl"]

    assert "https://prod.example/calls/outbound" in dry_run_url()
    assert "https://stage.example/calls/outbound" in dry_run_url("--env", "stage")
    monkeypatch.setenv("CALL_CONSOLE_ENV", "ci")
    assert "https://ci.example/calls/outbound" in dry_run_url()
    assert "https://stage.example/calls/outbound" in dry_run_url("--env", "stage")
    monkeypatch.delenv("CALL_CONSOLE_ENV")

    unknown = run("--env", "qa", "call", "status", "x")
    assert unknown.exit_code == 2 and "no environment named 'qa'" in unknown.output
    assert run("env", "use", "stage").exit_code == 0
    assert load_environments().active == "stage"
    assert run("env", "remove", "stage").exit_code == 0
    assert load_environments().active is None
    assert run("env", "use").exit_code == 2
    bad = run("env", "add", "x", "ftp://nope")
    assert bad.exit_code == 2 and "base_url" in bad.output


def test_not_signed_in_and_token_env_messages(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    write_config(GOOD)
    result = run("call", "status", "3b1f8a52-3c1e-4a0a-9a36-6f2b8d9a1c01")
    assert result.exit_code == 1
    assert "not signed in to environment 'prod'" in result.output
    assert "call-console login --env prod" in result.output
    result = run("--env", "ci", "whoami")
    assert result.exit_code == 1 and "$CI_CALL_TOKEN" in result.output


def test_broken_environment_table_exits_2_naming_the_line():
    write_config('[environments.prod]\nbase_url = "https://a.example"\nbase = 1\n')
    result = run("call", "status", "x")
    assert result.exit_code == 2
    assert f"{paths.config_file()}:3: environments.prod.base:" in result.output
