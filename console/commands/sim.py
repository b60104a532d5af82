"""`call-console sim`: serve the built-in simulator of the call API (loopback by default)."""

from __future__ import annotations


import click

from console.commands.common import EXIT_INPUT, fail, is_loopback


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port (0 picks a free one).")
@click.option("--token", metavar="TOKEN", help="A fixed bearer token that is always accepted.")
@click.option("--time-scale", type=click.FloatRange(0.01, 1000), default=1.0, show_default=True,
              help="Speed factor of call lifecycles (10 = ten times faster).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the outcome mix for non-scenario numbers.")
@click.option("--access-ttl", type=click.FloatRange(0.5), default=86400.0, show_default=True,
              help="Lifetime of access tokens in seconds (short values test refresh).")
@click.option("--max-concurrent", type=click.IntRange(1, 100000), default=10, show_default=True,
              help="Tenant's concurrent call cap (429 beyond it).")
@click.option("--allow-remote", is_flag=True,
              help="Allow binding an address other than loopback.")
def sim(host, port, token, time_scale, seed, access_ttl, max_concurrent, allow_remote) -> None:
    """Serve the simulator; prints one line with its base URL and token.

    Demo numbers: …0000 answers (~20 s talk), …0001 busy, …0002 no answer, …0003 rejected,
    …0004 long call; other numbers follow a seeded mix. Demo login: demo / demo.
    """
    if not allow_remote and not is_loopback(host):
        fail(f"--host: {host} is not a loopback address; pass --allow-remote to bind it",
             EXIT_INPUT)
    from console.sim.runner import BindError, serve_forever
    from console.sim.state import SimConfig

    config = SimConfig(token=token, time_scale=time_scale, seed=seed, access_ttl=access_ttl,
                       max_concurrent_calls=max_concurrent)
    try:
        serve_forever(config, host=host, port=port)
    except BindError as exc:
        hint = "; choose another --port (0 picks a free one)" if port else ""
        fail(f"{exc}{hint}", EXIT_INPUT)
