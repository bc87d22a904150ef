"""A client refused on localhost inside a pod dials its library's default host: the setting that
should name its dependency (a renamed property, an unset variable) is not applied. That is a bad
configuration; a refusal from the dependency's own address stays a failing dependency."""

from __future__ import annotations

import pytest

from agents.common.signatures import load_signatures
from shared.contracts import CauseCategory

LOOPBACK_REFUSALS = [
    # Java (Lettuce / Netty), after Spring Boot 3 stopped reading spring.redis.*
    "io.netty.channel.AbstractChannel$AnnotatedConnectException: "
    "Connection refused: localhost/127.0.0.1:6379",
    "Error: connect ECONNREFUSED 127.0.0.1:5432",  # Node.js
    "dial tcp 127.0.0.1:6379: connect: connection refused",  # Go
    # redis-py
    "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
    'psycopg2.OperationalError: connection to server at "localhost" (127.0.0.1), port 5432 failed: '
    "Connection refused",  # libpq
]


@pytest.mark.parametrize("line", LOOPBACK_REFUSALS)
def test_a_refusal_on_localhost_is_a_setting_not_applied(line: str) -> None:
    signature = load_signatures().match(line)
    assert signature is not None and signature.category is CauseCategory.BAD_CONFIG


def test_a_refusal_from_the_dependency_s_address_is_a_failing_dependency() -> None:
    signature = load_signatures().match("dial tcp 10.0.3.17:6379: connect: connection refused")
    assert signature is not None and signature.category is CauseCategory.DEPENDENCY_FAILURE
