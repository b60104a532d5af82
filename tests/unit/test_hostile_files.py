"""Hostile files the console reads (config.toml, the profiles file, bundles to import) and a
config dir it cannot write: each ends in one clear message naming the file and line (or the
path), exit code 2 from the CLI, and nothing overwritten; never a traceback, a RecursionError,
a hang on a FIFO or a read of /dev/zero to the end. Real files in the test's temp dirs."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from console import paths
from console.config import toml_input
from console.cli import main
from console.limits import PROFILES_MAX_BYTES, TOML_MAX_DEPTH
from console.store.input_files import InputFileError, read_limited
from console.store.profiles import ProfilesError, ProfilesReadOnly, ProfilesStore

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
COMMAND = str(Path(sys.executable).with_name("call-console"))
DEEP_ARRAYS = "[" * 5000 + "]" * 5000
DEEP_TABLES = "{a = " * 5000 + "1" + "}" * 5000


def cli(*args: str, input: bytes | str | None = None):
    """The real command in-process; an exception (a traceback) fails the test."""
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- TOML: deep nesting, huge numbers, bad bytes -----------------------------------------

@pytest.mark.parametrize("text,line,message", [
    ("a = 1\nx = " + DEEP_ARRAYS, 2, f"nested more than {TOML_MAX_DEPTH} levels deep"),
    ("x = " + DEEP_TABLES, 1, f"nested more than {TOML_MAX_DEPTH} levels deep"),
    ("[t]\nx = " + "[" * 80 + "]" * 80, 2, f"nested more than {TOML_MAX_DEPTH} levels deep"),
    ("a" + ".a" * 5000 + " = 1", 1, f"nested more than {TOML_MAX_DEPTH} levels deep"),
    ("[" + ".".join(["t"] * 40) + "]\n" + ".".join(["k"] * 40) + " = 1", 2,
     f"nested more than {TOML_MAX_DEPTH} levels deep"),
    ("a = 1\n\nb = " + "1" * 5001, 3, "a number of 5001 digits; the limit is 100"),
])
def test_toml_past_the_limits_is_a_located_toml_error(text, line, message):
    with pytest.raises(tomllib.TOMLDecodeError) as info:  # what every caller already catches
        toml_input.loads(text)
    assert isinstance(info.value, toml_input.TomlInputError)
    assert info.value.line == line
    assert info.value.reason.startswith(message)
    assert f"(at line {line}, column " in str(info.value)


def test_toml_near_the_limits_still_parses():
    depth = TOML_MAX_DEPTH - 2
    assert toml_input.loads("x = " + "[" * depth + "]" * depth)["x"]
    assert toml_input.loads('s = "' + "[" * 5000 + '"\nn = 1_000.5\n')["n"] == 1000.5
    assert toml_input.loads("f = [" + ", ".join(["1.5"] * 500) + "]")["f"][0] == 1.5


def test_toml_bytes_that_are_not_utf8_name_the_line():
    with pytest.raises(toml_input.TomlInputError) as info:
        toml_input.decode(b'a = 1\nb = "caf\xe9"\n')
    assert (info.value.reason, info.value.line, info.value.column) == ("not UTF-8 text", 2, 9)


def write_config(content: bytes) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content,where,message", [
    (b"x = " + DEEP_ARRAYS.encode(), 1, "nested more than 64 levels deep"),
    (b'theme = "dark"\nx = ' + b"1" * 5001, 2, "a number of 5001 digits; the limit is 100 "
                                                 "(put longer ones in quotes)"),
    (b'theme = "caf\xe9"\n', 1, "not UTF-8 text"),
], ids=["deep", "digits", "latin1"])
@pytest.mark.parametrize("command", [
    ("env", "list"), ("call", "list", "--agent", A1),
    ("call", "place", "--agent", A1, "--to", "+14155550000", "--dry-run")])
def test_hostile_config_toml_exits_2_with_file_and_line(command, content, where, message):
    path = write_config(content)
    line = one_error_line(cli(*command))
    assert line == f"error: {path}:{where}: {message}"


def test_a_config_toml_that_is_a_fifo_a_device_or_huge_exits_2_at_once(isolated_dirs):
    """Read at every start: a FIFO nobody writes to must not hang the console, /dev/zero must
    not be read to the end (the installed command, with a timeout and a memory cap)."""
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    try:
        result = run_command("env", "list", timeout=30)
    finally:
        try:  # release a reader stuck on the FIFO (if the check ever regresses)
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"error: {path}: is a FIFO (named pipe), not a config file: give "
                             "the path of a regular file\n")
    path.unlink()
    path.symlink_to("/dev/zero")
    result = run_command("env", "list", timeout=30)
    assert result.returncode == 2 and result.stderr == (
        f"error: {path}: is a character device, not a config file: give the path of a "
        "regular file\n")
    path.unlink()
    path.write_bytes(b"# padding\n" * 110_000)
    assert one_error_line(cli("call", "list", "--agent", A1)) == (
        f"error: {path}: is 1,100,000 bytes; a config file may have at most 1 MiB")


@pytest.mark.parametrize("where", ["environment", "config.toml"])
def test_a_base_url_with_an_escape_character_is_refused_by_name(where, monkeypatch):
    """An escape sequence in the URL would reach the terminal wherever the API is named (the
    header, the settings panel, error messages)."""
    url = "http://evil\x1b]0;owned\x07.example.com"
    if where == "environment":
        monkeypatch.setenv("CALL_CONSOLE_BASE_URL", url)
    else:
        path = write_config(b'base_url = "http://evil\\u001b]0;owned\\u0007.example.com"\n')
    line = one_error_line(cli("call", "list", "--agent", A1))
    shown = "CALL_CONSOLE_BASE_URL" if where == "environment" else f"{path}:1: base_url"
    assert line == f"error: {shown}: contains a control character (U+001B at character 12)"


def test_an_environment_url_with_a_control_character_is_refused():
    from console.account.environments import check_url

    assert check_url("http://api.example.com/v1\u2028") == (
        "contains a control character (U+2028 at character 26)")
    assert check_url("https://api.example.com/v1") is None


# --- the profiles file --------------------------------------------------------------------

@pytest.fixture
def profiles_file(isolated_dirs) -> Path:
    path = isolated_dirs / "config" / "profiles.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_a_5000_deep_profiles_file_is_reported_with_its_line_and_never_written(profiles_file):
    text = f'schema_version = 1\n[templates.t]\ncontext = {{ a = {DEEP_ARRAYS} }}\n'
    profiles_file.write_text(text)
    store = ProfilesStore()
    with pytest.raises(ProfilesError) as info:
        store.load()
    assert (info.value.file, info.value.line) == (profiles_file, 3)
    assert info.value.message == "nested more than 64 levels deep"
    assert store.read_only
    with pytest.raises(ProfilesReadOnly):
        store.add_agent("sales", A1)
    assert profiles_file.read_text() == text
    assert one_error_line(cli("profiles", "list")) == (
        f"error: {profiles_file}:3: nested more than 64 levels deep")
    result = cli("profiles", "add", "agent", "sales", A1)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert profiles_file.read_text() == text


@pytest.mark.parametrize("text,line,key,message", [
    ('[caller_ids.main]\nnumber = "+14155550100"\ndisplay_name = "ACME\\r\\nVia: x"\n', 4,
     "caller_ids.main.display_name", "contains a line break (CR/LF), which could inject a "
                                     "SIP header (character 5)"),
    ('[caller_ids.main]\nnumber = "+14155550100"\ndisplay_name = "A\\u001b[2J"\n', 4,
     "caller_ids.main.display_name", "character 2 U+001B is not allowed in a display name"),
    ('[templates.t]\nfields = { display_name = "B\\nX-A: 1" }\n', 3,
     "templates.t.fields.display_name", "contains a line break (CR/LF)"),
    ("[templates.t]\ncontext = " + "{a = " * 40 + "1" + "}" * 40 + "\n", 3,
     "templates.t.context" + ".a" * 32, "nested more than 32 levels deep"),
    ('[templates.t]\n[templates.t.context]\nn = ' + "9" * 150 + "\n", 4,
     "templates.t.context.n", "a number of more than 100 digits"),
    ("[templates.t]\n[templates.t.context]\nx = inf\n", 4, "templates.t.context.x",
     "inf is not a JSON number"),
], ids=["crlf", "escape", "template-field", "deep-context", "digits", "inf"])
def test_profiles_file_values_obey_the_call_form_rules(profiles_file, text, line, key, message):
    profiles_file.write_text("schema_version = 1\n" + text)
    with pytest.raises(ProfilesError) as info:
        ProfilesStore().load()
    assert (info.value.line, info.value.key) == (line, key)
    assert info.value.message.startswith(message), info.value.message


def test_cli_refuses_a_caller_id_display_name_with_crlf(profiles_file):
    result = cli("profiles", "add", "caller-id", "main", "+14155550100",
                 "--display-name", "ACME\r\nX-Evil: 1")
    assert one_error_line(result) == (
        "error: caller_ids.main.display_name: contains a line break (CR/LF), which could "
        "inject a SIP header (character 5)")
    assert not profiles_file.exists()


def test_profiles_file_that_is_a_fifo_or_device_is_refused(isolated_dirs, monkeypatch):
    fifo = isolated_dirs / "profiles.fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO (named pipe)"), (Path("/dev/zero"), "a character device")):
        monkeypatch.setenv("CALL_CONSOLE_PROFILES", str(path))
        with pytest.raises(ProfilesError) as info:
            ProfilesStore().load()
        assert str(info.value) == (f"{path}: is {kind}, not a profiles file: give the path of "
                                   "a regular file")


# --- bundles ------------------------------------------------------------------------------

def test_bundle_with_a_crlf_display_name_names_bundle_line_and_key(tmp_path, profiles_file):
    bundle = tmp_path / "evil.toml"
    bundle.write_text('schema_version = 1\n\n[caller_ids.main]\nnumber = "+14155550100"\n'
                      'display_name = "ACME\\r\\nVia: SIP/2.0/UDP evil"\n')
    assert one_error_line(cli("profiles", "import", str(bundle))) == (
        f"error: {bundle}:5: caller_ids.main.display_name: contains a line break (CR/LF), "
        "which could inject a SIP header (character 5)")
    assert not profiles_file.exists()


def test_a_5000_deep_bundle_is_reported_with_file_and_line(tmp_path, profiles_file):
    ProfilesStore().add_agent("sales", A1)
    before = profiles_file.read_bytes()
    bundle = tmp_path / "deep.toml"
    bundle.write_text(f"schema_version = 1\n[templates.t]\ncontext = {DEEP_TABLES}\n")
    assert one_error_line(cli("profiles", "import", str(bundle))) == (
        f"error: {bundle}:3: nested more than 64 levels deep")
    with pytest.raises(ProfilesError) as info:
        ProfilesStore().import_bundle(bundle.read_text(), source=bundle)
    assert (info.value.file, info.value.line) == (bundle, 3)
    assert profiles_file.read_bytes() == before


def _limit_memory() -> None:  # a regression must not eat the CI machine's memory
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))


def run_command(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed command; a hang (an import blocked on a FIFO) fails with the timeout."""
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, env=os.environ,
                          timeout=timeout, preexec_fn=_limit_memory)


def test_import_refuses_a_device_and_a_fifo_at_once(tmp_path, profiles_file):
    fifo = tmp_path / "bundle.fifo"
    os.mkfifo(fifo)
    try:
        for path, kind in ((Path("/dev/zero"), "a character device"),
                           (fifo, "a FIFO (named pipe)")):
            result = run_command("profiles", "import", str(path))
            assert result.returncode == 2, result.stderr
            assert result.stderr == (f"error: {path}: is {kind}, not a bundle: give the path of "
                                     "a regular file\n")
    finally:
        try:  # release a reader stuck on the FIFO (if the check ever regresses)
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert not profiles_file.exists()


def test_import_caps_the_size_of_a_file_and_of_standard_input(tmp_path, profiles_file):
    huge = tmp_path / "huge.toml"
    with open(huge, "wb") as out:
        out.truncate(PROFILES_MAX_BYTES + 1)  # sparse: 16 MiB of NULs that take no disk
    assert one_error_line(cli("profiles", "import", str(huge))) == (
        f"error: {huge}: is {PROFILES_MAX_BYTES + 1:,} bytes; a bundle may have at most 16 MiB")
    endless = b"# " + b"x" * PROFILES_MAX_BYTES
    assert one_error_line(cli("profiles", "import", "-", input=endless)) == (
        "error: <stdin>: holds more than 16 MiB; that is the most a bundle may have")
    assert not profiles_file.exists()


def test_read_limited_reads_up_to_the_limit_and_no_further(tmp_path):
    path = tmp_path / "ten"
    path.write_bytes(b"0123456789")
    assert read_limited(path, 10) == b"0123456789"
    with pytest.raises(InputFileError) as info:
        read_limited(path, 9, what="bundle")
    assert info.value.message == "is 10 bytes; a bundle may have at most 9 bytes"
    with pytest.raises(InputFileError) as info:
        read_limited("/dev/zero", 1000, regular_only=False, what="context file")
    assert info.value.message == ("holds more than 1,000 bytes; that is the most a context "
                                  "file may have")
    with pytest.raises(InputFileError) as info:
        read_limited(tmp_path / "missing", 10)
    assert info.value.missing and str(info.value).startswith("cannot read ")


# --- a config dir that cannot be written ----------------------------------------------------

WRITERS = [
    ("env", "add", "prod", "https://api.example.com"),
    ("profiles", "add", "agent", "sales", A1),
]


@pytest.mark.parametrize("command", WRITERS, ids=["env-add", "profiles-add"])
def test_config_dir_under_a_regular_file_exits_2_naming_the_path(tmp_path, monkeypatch,
                                                                 command):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the config dir's parent should be\n")
    monkeypatch.setenv("CALL_CONSOLE_CONFIG_DIR", str(blocker / "config"))
    line = one_error_line(cli(*command))
    assert str(blocker / "config") in line and "Not a directory" in line


@pytest.mark.parametrize("command,lock", [
    (WRITERS[0], "config.toml.lock"), (WRITERS[1], "profiles.toml.lock")],
    ids=["env-add", "profiles-add"])
def test_a_lock_file_that_cannot_be_created_exits_2_naming_it(isolated_dirs, command, lock):
    config = isolated_dirs / "config"
    (config / lock).mkdir(parents=True)  # a directory where the lock file must go
    line = one_error_line(cli(*command))
    assert str(config / lock) in line and "Is a directory" in line
    assert not (config / lock.removesuffix(".lock")).exists()


@pytest.mark.skipif(not Path("/proc/self/fdinfo").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", WRITERS, ids=["env-add", "profiles-add"])
def test_an_unwritable_config_dir_is_reported_at_once_not_as_a_busy_lock(monkeypatch,
                                                                         command):
    # /proc/self/fdinfo exists and can be read, but no file can be created in it, even by
    # root (mode bits do not stop root, so a 0500 directory would not do here).
    monkeypatch.setenv("CALL_CONSOLE_CONFIG_DIR", "/proc/self/fdinfo")
    line = one_error_line(cli(*command))
    assert "another process" not in line  # the lock was never contended
    assert "fdinfo" in line and "No such file or directory" in line
