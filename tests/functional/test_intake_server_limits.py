"""A bounded intake over HTTP on loopback: a chunked body past the limit is refused (413) while it
is being read, not after; a client that trickles its body is let go (408); a signed body nested
1,000 deep is a bad request (400), not a server error."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from lambda_adapter.background import LocalDispatcher
from lambda_adapter.server import ThreadedServer, create_app
from lambda_adapter.settings import MAX_BODY_BYTES, IntakeSettings, Secrets
from sandbox.intake_fakes import MemoryChat
from sandbox.signing import TEST_SLACK_SECRET, slack_headers

pytestmark = pytest.mark.functional


async def _nothing(_ctx: object) -> None:
    return None


@pytest.fixture
def url() -> Iterator[str]:
    chat = MemoryChat("slack")
    settings = IntakeSettings(secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET))
    app = create_app(
        settings=settings, dispatcher=LocalDispatcher(_nothing), chat_for=lambda _n: chat, body_timeout=1.0
    )
    with ThreadedServer(app) as server:
        yield server.url


def _connect(url: str) -> socket.socket:
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
    return sock


def test_a_chunked_body_past_the_limit_is_refused_while_it_is_read(url: str) -> None:
    # Twice the limit in chunks, and the body never ends: only a server that counts while it
    # reads can answer (one that reads the whole body first waits for ever).
    sock = _connect(url)
    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    for _ in range(2 * MAX_BODY_BYTES // len(chunk)):
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    assert sock.recv(64).startswith(b"HTTP/1.1 413")
    sock.close()


def test_a_declared_oversized_body_is_refused_before_it_is_read(url: str) -> None:
    sock = _connect(url)
    sock.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
        b"Content-Type: application/json\r\n\r\n{"
    )
    assert sock.recv(64).startswith(b"HTTP/1.1 413")
    sock.close()


def test_a_client_that_trickles_its_body_is_let_go(url: str) -> None:
    sock = _connect(url)
    sock.sendall(b'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"a":')
    started = time.monotonic()
    answer = sock.recv(64)  # the server gives up on the body after its timeout
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 8
    sock.close()


def test_a_signed_body_nested_a_thousand_deep_is_a_bad_request(url: str) -> None:
    body = b'{"type": "event_callback", "event": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    headers = slack_headers(TEST_SLACK_SECRET, body, int(time.time()))
    answer = httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)
    assert answer.status_code == 400
