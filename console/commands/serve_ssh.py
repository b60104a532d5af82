"""`call-console serve-ssh`: serve the console to operators over SSH (public keys only).

asyncssh is imported only when this command runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from console.commands.common import EXIT_INPUT, fail, is_loopback, settings
from console.commands.remote_options import (
    bound_text, child_command, console_options, forwarded_options, log_to_stderr)


@click.command("serve-ssh")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=2222, show_default=True,
              help="Port (0 picks a free one; the start line shows it).")
@click.option("--authorized-keys", "authorized_keys", type=click.Path(dir_okay=False,
              path_type=Path), default=None,
              help="Operators' public keys, OpenSSH authorized_keys format; re-read on every "
                   "login.  [default: authorized_keys in the config dir]")
@click.option("--host-key", "host_key", type=click.Path(dir_okay=False, path_type=Path),
              default=None,
              help="Host private key; an ed25519 key is generated (mode 0600) if missing.  "
                   "[default: ssh_host_ed25519_key in the data dir]")
@console_options("session")
@click.option("--allow-remote", is_flag=True,
              help="Allow binding an address other than loopback.")
@click.option("--hangup-grace", type=click.FloatRange(0), default=5.0, hidden=True,
              help="Seconds between SIGHUP and SIGTERM when a client goes away.")
@click.option("--login-timeout", type=click.FloatRange(1), default=30.0, hidden=True,
              help="Seconds a client has to authenticate.")
@click.pass_context
def serve_ssh(ctx: click.Context, host: str, port: int, authorized_keys: Path | None,
              host_key: Path | None, max_sessions: int, idle_timeout: float,
              allow_remote: bool, command: str | None, hangup_grace: float, term_grace: float,
              login_timeout: float) -> None:
    """Serve the console over SSH: each operator's key opens their own console session.

    Public-key authentication only, against the authorized-keys file (edits apply on the next
    login). The operator's name comes from an `operator="name"` option on the key's line, or
    else its comment. Each session runs its own `call-console` in its own terminal; passwords,
    commands, sftp and every kind of forwarding are refused. Console options given before the
    command are passed on: `call-console --demo serve-ssh` serves the demo console.

    Connections, sessions and (written by the consoles) calls are recorded in audit.jsonl in
    the data dir. In a session the console reads and writes files only in the operator's
    exchange folder (exchange/NAME/ in the data dir, or exchange_dir in config.toml). See
    docs/ssh.md, also for the plain-OpenSSH setup.
    """
    if not allow_remote and not is_loopback(host):
        fail(f"--host: {host} is not a loopback address; pass --allow-remote to bind it",
             EXIT_INPUT)
    argv = child_command(command)

    from console.account import audit
    from console.ssh import keys
    from console.ssh.server import ServeConfig, serve_forever
    from console.store.exchange import ExchangeFolder

    exchange = ExchangeFolder.for_settings(settings(), operator="NAME",
                                           environ={audit.SESSION_ENV: "serve-ssh"})

    keys_path = (authorized_keys or keys.default_authorized_keys_path()).absolute()
    host_key_path = (host_key or keys.default_host_key_path()).absolute()
    if not keys_path.is_file():
        fail(f"--authorized-keys: {keys_path} does not exist. Put the operators' public keys in "
             "it, one per line as in ~/.ssh/authorized_keys, e.g.\n"
             '  operator="alice" ssh-ed25519 AAAAC3Nz... alice@laptop', EXIT_INPUT)
    listed = keys.load_authorized_keys(keys_path)
    for line, message in listed.problems:
        click.echo(f"warning: {keys_path}:{line}: {message} (line ignored)", err=True)
    if not listed.keys:
        click.echo(f"warning: {keys_path} lists no usable key yet; nobody can log in until one "
                   "is added (no restart needed)", err=True)

    log_to_stderr("console.ssh")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)

    config = ServeConfig(host=host, port=port, authorized_keys=keys_path,
                         host_key=host_key_path, max_sessions=max_sessions,
                         idle_timeout=idle_timeout, command=argv,
                         child_args=forwarded_options(ctx), hangup_grace=hangup_grace,
                         term_grace=term_grace, login_timeout=login_timeout)

    def ready(running) -> None:
        fp = keys.fingerprint(running.host_key)
        click.echo("call-console serve-ssh listening on "
                   + bound_text(running.addresses, host, running.port))
        click.echo(f"host key: {running.host_key.get_algorithm()} {fp} ({host_key_path}"
                   f"{', generated now' if running.host_key_created else ''})")
        click.echo(f"authorized keys: {keys_path} ({len(listed.keys)} "
                   f"key{'s' if len(listed.keys) != 1 else ''}; re-read on every login)")
        click.echo(f"audit log: {audit.audit_path()}")
        click.echo(f"exchange folders: {exchange.folder} (each operator's files, NAME = the "
                   "operator)")
        click.echo(f"connect: ssh -t -p {running.port} operator@{host}")
        sys.stdout.flush()

    try:
        serve_forever(config, ready)
    except keys.HostKeyError as exc:
        fail(str(exc), EXIT_INPUT)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_INPUT)
    except KeyboardInterrupt:
        pass
