"""Run the simulator over real HTTP: in a background thread (tests, `--demo`) or in the foreground.

`fastapi`/`uvicorn` are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from console.sim.state import SimConfig, SimState

START_TIMEOUT = 10.0


class BindError(OSError):
    """The simulator cannot listen on the address asked for (port taken, address not ours)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {_base_url(host, port)}: {reason}")
        self.host, self.port, self.reason = host, port, reason


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets of that proto; without
    # it every response (headers, then body) stalls ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = ("the port is in use (another simulator or program listens there)"
                  if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc))
        raise BindError(host, port, reason) from None
    sock.set_inheritable(True)
    return sock


def _base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _prepare(config: SimConfig | None) -> SimConfig:
    config = config or SimConfig()
    if config.token is None:
        config.token = secrets.token_urlsafe(24)
    return config


def _uvicorn_server(app: Any) -> Any:
    import uvicorn

    uv_config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(uv_config)


@dataclass
class SimServer:
    """A running simulator. `token` is a bearer token the simulator always accepts."""

    base_url: str
    token: str
    config: SimConfig
    port: int = 0
    app: Any = field(default=None, repr=False)
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _sock: socket.socket | None = field(default=None, repr=False)

    @property
    def state(self) -> SimState:
        """The live in-memory world (read it from tests; mutate it only through the routes)."""
        return self.app.state.sim

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stop(self) -> None:
        if self._server is not None:
            # Requests still open (a wait-until-answered POST) are cut on purpose: no traceback
            # on the operator's terminal for that.
            logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_in_thread(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> SimServer:
    """Start the simulator on `host:port` (0 = an ephemeral port) in a daemon thread."""
    from console.sim.app import create_app

    config = _prepare(config)
    app = create_app(config)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    server = _uvicorn_server(app)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"call-console-sim:{bound_port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if errors or not thread.is_alive():
            sock.close()
            raise RuntimeError(f"simulator failed to start: {errors[0] if errors else 'exited'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"simulator did not start within {START_TIMEOUT:.0f} s")
        time.sleep(0.01)
    assert config.token is not None
    return SimServer(
        base_url=_base_url(host, bound_port),
        token=config.token,
        config=config,
        port=bound_port,
        app=app,
        _server=server,
        _thread=thread,
        _sock=sock,
    )


def serve_forever(
    config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> None:
    """Serve in the foreground until Ctrl-C (the `call-console sim` command)."""
    from console.sim.app import create_app

    config = _prepare(config)
    app = create_app(config)
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    server = _uvicorn_server(app)
    print(f"simulator listening on {_base_url(host, bound_port)} token={config.token}", flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
