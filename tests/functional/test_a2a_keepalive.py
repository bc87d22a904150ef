"""The master's connections to its scanners: a connection left idle is closed by the client before
the agent's server would close it, so a request is never sent on a connection the server is closing
(that crossing failed whole scanners with "the agent is unreachable: ReadError" between two
investigations a few seconds apart)."""

from __future__ import annotations

import asyncio
import inspect
import json

import pytest
import uvicorn

from shared.a2a import client as a2a_client
from shared.a2a.client import KEEPALIVE_EXPIRY_S, HttpTransport

pytestmark = pytest.mark.functional


def test_idle_connections_expire_before_the_agents_server_closes_them() -> None:
    server_keepalive = inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default
    assert server_keepalive / 2 > KEEPALIVE_EXPIRY_S  # agents.serve runs uvicorn with its default


async def _serve_counting(connections: list[int]) -> tuple[asyncio.Server, str]:
    """A keep-alive HTTP/1.1 server answering `{}` to every POST; counts the connections it accepts."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": {}}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def test_a_connection_idle_longer_than_the_expiry_is_not_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(a2a_client, "KEEPALIVE_EXPIRY_S", 0.2)

    async def scenario() -> list[int]:
        connections: list[int] = []
        server, url = await _serve_counting(connections)
        async with server:
            transport = HttpTransport(url)
            await transport.post({"n": 1}, timeout=5, session="s")
            await transport.post({"n": 2}, timeout=5, session="s")  # within a fan-out: reused
            assert len(connections) == 1
            await asyncio.sleep(0.5)  # idle past the expiry
            await transport.post({"n": 3}, timeout=5, session="s")
        return connections

    assert len(asyncio.run(scenario())) == 2
