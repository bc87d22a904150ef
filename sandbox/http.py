"""Serve an ASGI app (Starlette, FastAPI ...) with uvicorn on loopback, in a daemon thread.

The sandbox's stand-ins (Kubernetes, Slack, Discord) and tests run this way: `start()` binds a
free port (the OS picks it unless one is given), waits until uvicorn accepts connections, and
returns the base URL; `stop()` always stops it, also when start failed half-way.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

logger = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class ServedApp:
    """One ASGI app under uvicorn on `host:port` (port 0: any free port)."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        name: str = "served-app",
        start_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        self.start_timeout = start_timeout
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> str:
        """Start serving; the base URL (`http://127.0.0.1:PORT`, no trailing slash) once ready.

        Raises RuntimeError when uvicorn is not accepting connections within `start_timeout`."""
        if self.running:
            return self.url
        # Binding here (not inside uvicorn) gives the real port before the thread starts, and no
        # other process can take it between choosing and serving. The protocol must be named:
        # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP, and without it
        # every response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self._socket = sock
        port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="auto", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._serve, args=(self._server, sock), name=self.name, daemon=True
        )
        self._thread.start()
        self.url = f"http://{self.host}:{port}"
        try:
            self._wait_ready(port)
        except BaseException:
            self.stop()
            raise
        logger.debug("name=<%s>, url=<%s> | serving", self.name, self.url)
        return self.url

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit as e:  # uvicorn exits this way when the app's startup fails
            logger.warning("name=<%s>, code=<%s> | uvicorn exited", self.name, e.code)

    def _wait_ready(self, port: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        delay = 0.005
        while True:
            server, thread = self._server, self._thread
            if server is not None and server.started and _accepts(self.host, port):
                return
            if thread is None or not thread.is_alive():
                raise RuntimeError(f"{self.name}: uvicorn exited before serving on port {port}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{self.name}: not serving on port {port} after {self.start_timeout:.1f}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and wait (at most `timeout` s) for the thread; safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            if self._thread.is_alive():
                assert self._server is not None
                self._server.force_exit = True
                self._thread.join(timeout=timeout)
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def __enter__(self) -> ServedApp:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
