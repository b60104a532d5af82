"""Named API environments in `config.toml`, which one is in use, and editing them in place.

```toml
active_env = "prod"              # used when neither --env nor CALL_CONSOLE_ENV is given

[environments.prod]
base_url = "https://api.example.com"
auth = "login"                   # `call-console login --env prod`; tokens refresh themselves
username = "alice"               # optional: the login prompt's default

[environments.ci]
base_url = "https://staging.example.com"
auth = "token"                   # a pre-issued bearer token, never refreshed
token_env = "CI_CALL_TOKEN"      # optional: the environment variable that holds it
```

Which API a command talks to (first match wins):

1. `--env NAME` on the command line,
2. `CALL_CONSOLE_ENV=NAME`,
3. `CALL_CONSOLE_BASE_URL` in the process environment (an ad-hoc API for one invocation; it
   is never mixed with an environment's stored tokens),
4. `active_env` in the config file,
5. a plain `base_url` in the config file.

Errors name the file, the line and the key (`ConfigError`). Editing functions (`add_environment`,
`remove_environment`, `set_active_environment`) go through `console.config.toml_edit`: comments
and layout survive, the result is validated before it is written, writes are atomic under a file
lock, and a file that does not parse is never touched. Headless: no Textual here; tomlkit is
imported only to edit.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from console import paths
from console.config.settings import (ConfigError, Settings, control_character, locate_key,
                                     read_toml)
from console.config.toml_edit import edit_toml, set_top_level

AuthKind = Literal["login", "token"]
AUTH_KINDS: tuple[str, ...] = ("login", "token")
ENV_KEYS = ("base_url", "auth", "username", "token_env")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
URL_RE = re.compile(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$")
#: Store key of the unnamed API given by a plain `base_url` / `CALL_CONSOLE_BASE_URL`.
DEFAULT_NAME = "default"


@dataclass(frozen=True)
class Environment:
    name: str
    base_url: str
    auth: AuthKind = "login"
    username: str | None = None
    token_env: str | None = None

    def to_table(self) -> dict[str, str]:
        table = {"base_url": self.base_url, "auth": self.auth}
        if self.username:
            table["username"] = self.username
        if self.token_env:
            table["token_env"] = self.token_env
        return table


@dataclass(frozen=True)
class Environments:
    """The parsed `[environments]` tables and `active_env` of one config file."""

    items: dict[str, Environment]
    active: str | None
    file: Path

    def get(self, name: str) -> Environment | None:
        return self.items.get(name)

    def __iter__(self):
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class Target:
    """The API a command or the console talks to, and how it authenticates there."""

    name: str  # the environment's name, or DEFAULT_NAME for a plain base URL
    base_url: str
    auth: AuthKind
    #: How it was chosen: "--env", "CALL_CONSOLE_ENV", "CALL_CONSOLE_BASE_URL", "active_env",
    #: "base_url" (config file) or "connect" (the TUI/demo pointed the session at it).
    source: str
    environment: Environment | None = None

    @property
    def is_named(self) -> bool:
        return self.environment is not None

    @property
    def host(self) -> str:
        import urllib.parse

        return urllib.parse.urlsplit(self.base_url).netloc or self.base_url


# --------------------------------------------------------------------------- validation


def check_name(name: str) -> str | None:
    if not NAME_RE.fullmatch(name or ""):
        return "an environment name is 1-64 letters, digits, '-' or '_', starting with a letter or digit"
    return None


def check_url(url: Any) -> str | None:
    if isinstance(url, str) and (problem := control_character(url)) is not None:
        return problem
    if not isinstance(url, str) or not URL_RE.fullmatch(url.strip()):
        return "must be an http:// or https:// URL naming a host, with no query, fragment or user info"
    return None


def _normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def _parse_one(name: str, table: Any, file: Path) -> Environment:
    where = ["environments", name]

    def error(message: str, key: str | None = None) -> ConfigError:
        dotted = where + ([key] if key else [])
        return ConfigError(message, file=file, line=locate_key(file, dotted),
                           key=".".join(dotted))

    if problem := check_name(name):
        raise error(problem)
    if not isinstance(table, dict):
        raise error("must be a table such as [environments." + name + "] with base_url = ...")
    for key in table:
        if key not in ENV_KEYS:
            raise error(f"unknown key (expected one of: {', '.join(ENV_KEYS)})", key)
    if "base_url" not in table:
        raise error("base_url is required", "base_url")
    if problem := check_url(table["base_url"]):
        raise error(problem, "base_url")
    auth = table.get("auth", "login")
    if auth not in AUTH_KINDS:
        raise error('must be "login" or "token"', "auth")
    username = table.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise error("must be a non-empty string", "username")
    token_env = table.get("token_env")
    if token_env is not None:
        if not isinstance(token_env, str) or not ENV_VAR_RE.fullmatch(token_env):
            raise error("must be the name of an environment variable, e.g. CI_CALL_TOKEN",
                        "token_env")
        if auth != "token":
            raise error('only used with auth = "token"', "token_env")
    return Environment(name=name, base_url=_normalise_url(table["base_url"]), auth=auth,
                       username=username.strip() if username else None, token_env=token_env)


def parse_environments(data: dict[str, Any], file: Path) -> Environments:
    raw = data.get("environments", {})
    if not isinstance(raw, dict):
        raise ConfigError("must be a table: [environments.NAME]", file=file,
                          line=locate_key(file, ["environments"]), key="environments")
    items = {name: _parse_one(name, table, file) for name, table in raw.items()}
    active = data.get("active_env")
    if active is not None:
        if not isinstance(active, str):
            raise ConfigError("must be a string", file=file,
                              line=locate_key(file, ["active_env"]), key="active_env")
        if active == "":
            active = None
        elif active not in items:
            raise ConfigError(f"no [environments.{active}] in this file"
                              + _known(items), file=file,
                              line=locate_key(file, ["active_env"]), key="active_env")
    return Environments(items=items, active=active, file=file)


def _known(items: dict[str, Environment]) -> str:
    return f" (known: {', '.join(sorted(items))})" if items else " (none defined)"


def load_environments(path: Path | None = None) -> Environments:
    """Parse and validate the environments of the config file (missing file → none)."""
    file = path or paths.config_file()
    return parse_environments(read_toml(file), file)


# --------------------------------------------------------------------------- resolution


def resolve_target(settings: Settings, env: str | None = None, *,
                   environments: Environments | None = None) -> Target | None:
    """The API in use (see the module docstring for the order); None when nothing is set.

    Raises `ConfigError` for an environment name that is not defined.
    """
    envs = environments if environments is not None else load_environments()
    chosen, source = None, None
    if env:
        chosen, source = env, "--env"
    elif os.environ.get("CALL_CONSOLE_ENV"):
        chosen, source = os.environ["CALL_CONSOLE_ENV"], "CALL_CONSOLE_ENV"
    if chosen is not None:
        found = envs.get(chosen)
        if found is None:
            raise ConfigError(f"no environment named {chosen!r}" + _known(envs.items)
                              + "; add one with `call-console env add`",
                              file=envs.file, key=source)
        return Target(name=found.name, base_url=found.base_url, auth=found.auth,
                      source=source, environment=found)
    if os.environ.get("CALL_CONSOLE_BASE_URL") and settings.base_url:
        return Target(name=DEFAULT_NAME, base_url=settings.base_url, auth=_plain_auth(settings),
                      source="CALL_CONSOLE_BASE_URL")
    active = envs.active or settings.active_env
    if active:
        found = envs.get(active)
        if found is None:
            raise ConfigError(f"no environment named {active!r}" + _known(envs.items),
                              file=envs.file, line=locate_key(envs.file, ["active_env"]),
                              key="active_env")
        return Target(name=found.name, base_url=found.base_url, auth=found.auth,
                      source="active_env", environment=found)
    if settings.base_url:
        return Target(name=DEFAULT_NAME, base_url=settings.base_url, auth=_plain_auth(settings),
                      source="base_url")
    return None


def _plain_auth(settings: Settings) -> AuthKind:
    return "token" if settings.token is not None else "login"


def adhoc_target(base_url: str, *, token: bool = True) -> Target:
    """A target for an API given directly (the demo simulator, a URL typed in the TUI)."""
    return Target(name=DEFAULT_NAME, base_url=_normalise_url(base_url),
                  auth="token" if token else "login", source="connect")


# --------------------------------------------------------------------------- editing


def _edit(change, path: Path | None = None) -> Environments:
    """Change the config file with the one TOML editor (`console.config.toml_edit`: under its
    lock, comments kept, atomic); the result must still hold valid environments."""
    file = path or paths.config_file()
    return edit_toml(file, change, validate=lambda data: parse_environments(data, file))


def _environments_table(document, *, create: bool):
    import tomlkit

    table = document.get("environments")
    if table is None and create:
        table = tomlkit.table(is_super_table=True)
        document["environments"] = table
    return table


def add_environment(environment: Environment, *, path: Path | None = None,
                    replace: bool = False, make_active: bool = False) -> Environments:
    """Add (or with `replace`, edit) `[environments.NAME]`; comments elsewhere are kept."""
    if problem := check_name(environment.name):
        raise ConfigError(problem, key=f"environments.{environment.name}")
    if problem := check_url(environment.base_url):
        raise ConfigError(problem, key=f"environments.{environment.name}.base_url")
    environment = Environment(name=environment.name,
                              base_url=_normalise_url(environment.base_url),
                              auth=environment.auth, username=environment.username,
                              token_env=environment.token_env)

    def change(document) -> None:
        import tomlkit

        table = _environments_table(document, create=True)
        existing = table.get(environment.name)
        if existing is not None and not replace:
            raise ConfigError(f"environment {environment.name!r} already exists",
                              file=path or paths.config_file(),
                              key=f"environments.{environment.name}")
        values = environment.to_table()
        if existing is not None and hasattr(existing, "items"):
            # Edit in place so comments inside the table survive.
            for key in list(existing.keys()):
                if key in ENV_KEYS and key not in values:
                    del existing[key]
            for key, value in values.items():
                existing[key] = value
        else:
            new = tomlkit.table()
            for key, value in values.items():
                new[key] = value
            table[environment.name] = new
        if make_active:
            set_top_level(document, {"active_env": environment.name})

    return _edit(change, path)


def remove_environment(name: str, *, path: Path | None = None,
                       forget_tokens: bool = True) -> Environments:
    """Remove `[environments.NAME]` (and `active_env` if it named it) and its stored tokens."""

    def change(document) -> None:
        table = _environments_table(document, create=False)
        if table is None or name not in table:
            raise ConfigError(f"no environment named {name!r}",
                              file=path or paths.config_file(), key=f"environments.{name}")
        del table[name]
        if document.get("active_env") == name:
            set_top_level(document, {"active_env": None})

    result = _edit(change, path)
    if forget_tokens:
        from console.store.secrets import TokenStore

        TokenStore().clear(name)
    return result


def set_active_environment(name: str | None, *, path: Path | None = None) -> Environments:
    """Make `name` the default environment (None: no default)."""

    def change(document) -> None:
        if name is not None:
            table = _environments_table(document, create=False)
            if table is None or name not in table:
                raise ConfigError(f"no environment named {name!r}",
                                  file=path or paths.config_file(), key="active_env")
        set_top_level(document, {"active_env": name})

    return _edit(change, path)
