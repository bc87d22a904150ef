"""A connection pool whose requests wait because new connections to the database cannot be made
(the connection attempts time out: a NetworkPolicy, a security group, a route drops them): the report
names the connections that get no answer, not the pool (whose thread names appear in those lines
too). A pool that is simply full stays pool exhaustion."""

from __future__ import annotations

from test_synthesis import ago, finding, ok, oom_ctx

from agents.common.signatures import load_signatures
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity

C = Severity.CRITICAL
POD = ("shop/Pod/checkout-7d9f8c6b5-x2k4p",)
WAITS = "HikariPool-1 - Connection is not available, request timed out after 30000ms."
CONNECTS = (
    "ERROR [HikariPool-1 connection adder] The connection attempt failed. "
    "Caused by: java.net.SocketTimeoutException: Connect timed out (orders-db:5432)"
)


def _category(*lines: tuple[str, int]) -> CauseCategory:
    signatures = load_signatures()
    findings = []
    for i, (line, count) in enumerate(lines):
        signature = signatures.match(line)
        assert signature is not None
        findings.append(
            finding(
                f"cloudwatch_logs:errors:shop/checkout-7d9f8c6b5-x2k4p:{i}",
                C,
                f"{signature.label}: {count}x {line!r} in shop/checkout-7d9f8c6b5-x2k4p",
                relevance=0.95,
                at=ago(24),
                cause=signature.category,
                resources=POD,
            )
        )
    return synthesize(oom_ctx(), [ok("cloudwatch_logs", *findings)]).cause.category


def test_pool_waits_after_connect_timeouts_are_a_network_failure() -> None:
    assert _category((WAITS, 90), (CONNECTS, 46)) is CauseCategory.NETWORK_FAILURE


def test_a_pool_full_on_its_own_is_pool_exhaustion() -> None:
    assert _category((WAITS, 90)) is CauseCategory.RESOURCE_POOL_EXHAUSTION


def test_sqlalchemy_s_own_pool_timeout_is_not_a_connect_timeout() -> None:
    line = "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"
    assert _category((line, 200)) is CauseCategory.RESOURCE_POOL_EXHAUSTION


def test_connect_timeouts_in_many_languages_read_as_network_failure() -> None:
    signatures = load_signatures()
    for line in (
        "dial tcp 10.60.21.44:5432: connect: connection timed out",  # Go
        "Error: connect ETIMEDOUT 10.60.21.44:5432",  # Node.js
        'connection to server at "db" (10.60.21.44), port 5432 failed: timeout expired',  # libpq
        "httpx.ConnectTimeout: timed out",  # Python
        "io.netty.channel.ConnectTimeoutException: connection timed out: /10.60.21.44:6379",  # Netty
    ):
        signature = signatures.match(line)
        assert signature is not None and signature.category is CauseCategory.NETWORK_FAILURE, line
