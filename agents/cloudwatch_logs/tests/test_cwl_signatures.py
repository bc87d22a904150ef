"""The signature file: every cause in the vocabulary a log line can show, markers, user extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.common.signatures import excerpt, load_signatures, settings_in, version_in
from shared.contracts import CauseCategory as C
from shared.contracts import Trigger
from shared.errors import ConfigError

LINES = [
    ("java.lang.OutOfMemoryError: Java heap space", C.OOM),
    ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", C.OOM),
    ("write /data/wal/000123.log: no space left on device", C.DISK_FULL),
    (
        "HikariPool-1 - Connection is not available, request timed out after 30000ms",
        C.RESOURCE_POOL_EXHAUSTION,
    ),
    ('FATAL: sorry, too many connections for role "app"', C.RESOURCE_POOL_EXHAUSTION),
    (
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
        C.RESOURCE_POOL_EXHAUSTION,
    ),
    (
        "An error occurred (ThrottlingException) when calling the PutMetricData operation: Rate exceeded",
        C.RATE_LIMITED,
    ),
    (
        "ProvisionedThroughputExceededException: The level of configured provisioned throughput was exceeded",
        C.RATE_LIMITED,
    ),
    ("upstream answered 429 Too Many Requests", C.RATE_LIMITED),
    (
        "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
        C.PERMISSION_DENIED,
    ),
    (
        'pods is forbidden: User "system:serviceaccount:shop:default" cannot list resource',
        C.PERMISSION_DENIED,
    ),
    ('FATAL:  password authentication failed for user "orders_app"', C.PERMISSION_DENIED),
    (
        "ERROR 1045 (28000): Access denied for user 'app'@'10.0.3.7' (using password: YES)",
        C.PERMISSION_DENIED,
    ),
    ("x509: certificate has expired or is not yet valid", C.CERTIFICATE_EXPIRED),
    # a data store upgraded past what the client's driver speaks: the store, not the client, fails
    (
        "MongoQueryException: Query failed with error code 352 and error message 'Unsupported OP_QUERY "
        "command: find. The client driver may require an upgrade.' on server catalog-db:27017",
        C.DEPENDENCY_FAILURE,
    ),
    (
        'Received response: {"status":500,"error":"Internal Server Error","message":"Server at '
        'mongo-0:27017 reports wire version 21, but this version of the Java driver requires at least 6"}',
        C.DEPENDENCY_FAILURE,
    ),
    (
        "SequelizeConnectionError: Client does not support authentication protocol requested by server",
        C.DEPENDENCY_FAILURE,
    ),
    # a server that refuses to run as root: the container's user, not the server, is wrong
    ('"root" execution of the PostgreSQL server is not permitted.', C.BAD_CONFIG),
    ("java.lang.RuntimeException: can not run elasticsearch as root", C.BAD_CONFIG),
    (
        '[ERROR] Fatal error: Please read "Security" section of the manual to find out how to run mysqld '
        "as root!",
        C.BAD_CONFIG,
    ),
    # a mesh proxy that cannot get its workload certificate from the mesh's identity CA
    (
        'WARN linkerd_app: Failed to certify identity: grpc-message: "could not process CSR because of '
        'CA cert validation failure"',
        C.CERTIFICATE_EXPIRED,
    ),
    ('[FATAL] plugin/loop: Loop (127.0.0.1:51374 -> :53) detected for zone "."', C.NETWORK_FAILURE),
    ("javax.net.ssl.SSLHandshakeException: PKIX path validation failed", C.CERTIFICATE_EXPIRED),
    ("dial tcp: lookup db.internal on 172.20.0.10:53: no such host", C.NETWORK_FAILURE),
    ("getaddrinfo ENOTFOUND payments.internal", C.NETWORK_FAILURE),
    # A lookup that timed out is DNS failing, not the host it was for.
    ("dial tcp: lookup inventory.shop.svc.cluster.local: i/o timeout", C.NETWORK_FAILURE),
    (
        "lookup api.example.com on 172.20.0.10:53: read udp 10.0.9.7:51522->172.20.0.10:53: i/o timeout",
        C.NETWORK_FAILURE,
    ),
    (
        "[ERROR] plugin/errors: 2 api.example.internal. A: read udp 10.0.7.4:438->10.0.0.2:53: i/o timeout",
        C.NETWORK_FAILURE,
    ),
    ("dial tcp 10.0.3.4:5432: i/o timeout", C.DEPENDENCY_FAILURE),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", C.NETWORK_FAILURE),
    ('Service "shop/cart" does not have any active Endpoint.', C.NETWORK_FAILURE),
    ("dial tcp 10.0.3.17:5432: connect: connection refused", C.DEPENDENCY_FAILURE),
    ("context deadline exceeded while calling inventory", C.DEPENDENCY_FAILURE),
    ('java.lang.NullPointerException: Cannot invoke "Coupon.discount()"', C.BAD_DEPLOY),
    ("panic: runtime error: invalid memory address or nil pointer dereference", C.BAD_DEPLOY),
    ("TypeError: Cannot read properties of undefined (reading 'id')", C.BAD_DEPLOY),
    ("POST /v1/checkout 500 31ms", C.BAD_DEPLOY),
    ("KeyError: 'DATABASE_URL'", C.BAD_CONFIG),
    ("container app is CPU throttled 87% of periods", C.CPU_SATURATION),
    ('Failed to pull image "repo/cart:v1.9.1": not found', C.IMAGE_PULL),
    ("Readiness probe failed: HTTP probe failed with statuscode: 404", C.PROBE_FAILURE),
    ("0/4 nodes are available: 3 Insufficient cpu.", C.UNSCHEDULABLE),
    ('MountVolume.SetUp failed for volume "data": mount failed: exit status 32', C.STORAGE_FAILURE),
    ("Kubelet stopped posting node status.", C.NODE_FAILURE),
    ("the desired replica count is more than the maximum replica count", C.SCALING_LIMIT),
    ("missing required environment variable STRIPE_KEY", C.BAD_CONFIG),
]


@pytest.mark.parametrize(("line", "category"), LINES, ids=[c.value + ":" + text[:25] for text, c in LINES])
def test_builtin_signatures(line: str, category: C) -> None:
    signature = load_signatures().match(line)
    assert signature is not None and signature.category is category


def test_lines_without_a_cause_match_nothing() -> None:
    signatures = load_signatures()
    for line in ("INFO GET /healthz 200 2ms", "REPORT Duration: 812 ms Memory Size: 512 MB", "took 403ms"):
        assert signatures.match(line) is None


STATUS_LINES = [
    ('10.0.4.7 - - "GET /api/orders HTTP/1.1" 403 153 "-" "okhttp"', C.PERMISSION_DENIED),
    ("GET /v1/cart 401 4ms", C.PERMISSION_DENIED),
    ('{"level":"warn","status":401,"msg":"token rejected"}', C.PERMISSION_DENIED),
    ("s3 GetObject returned 403", C.PERMISSION_DENIED),
    ("call to stripe failed: status_code=429", C.RATE_LIMITED),
    ('10.0.4.7 - - "POST /v1/pay HTTP/1.1" 429 0 "-" "-"', C.RATE_LIMITED),
    ("s3 PutObject retry after 503 SlowDown", C.RATE_LIMITED),
]


@pytest.mark.parametrize(("line", "category"), STATUS_LINES, ids=[t[:30] for t, _ in STATUS_LINES])
def test_status_codes_with_http_context_give_their_cause(line: str, category: C) -> None:
    signature = load_signatures().match(line)
    assert signature is not None and signature.category is category


@pytest.mark.parametrize(
    "line",
    [
        "order 403: record not found",
        "user 401 logged in from 10.0.1.9",
        "processed 429 items in batch 7",
        "retry after 429ms backoff",
        "gc slowdown detected in worker 3",
    ],
)
def test_bare_numbers_and_lowercase_slowdown_are_no_cause(line: str) -> None:
    assert load_signatures().match(line) is None


def test_code_regressions_are_marked_as_needing_a_rollout() -> None:
    assert load_signatures().match("java.lang.NullPointerException").after_deploy  # type: ignore[union-attr]


def test_change_markers_and_the_facts_they_quote() -> None:
    signatures = load_signatures()
    reload = "INFO  config reloaded: DB_POOL_MAX=8"
    assert signatures.marker(reload).change is Trigger.CONFIG_CHANGE  # type: ignore[union-attr]
    assert settings_in(reload) == ["DB_POOL_MAX=8"]
    start = "INFO  c.s.checkout.App - checkout v2.3.0 started in 6.1s"
    assert signatures.marker(start).change is Trigger.DEPLOY  # type: ignore[union-attr]
    assert version_in(start) == "v2.3.0"
    assert signatures.marker("INFO GET /healthz 200 2ms") is None
    assert settings_in('level=info msg="x" caller=main.go:12') == []


def test_excerpt_keeps_the_matched_part_of_a_long_line() -> None:
    line = (
        'level=error msg="partner request failed" '
        + "x" * 200
        + " x509: certificate has expired or is not yet"
    )
    signature = load_signatures().match(line)
    short = excerpt(line, signature, 150)
    assert len(short) <= 150 and "x509: certificate has expired" in short


def test_user_file_comes_first_and_overrides_by_id(tmp_path: Path) -> None:
    user = tmp_path / "sig.yaml"
    user.write_text(
        "signatures:\n"
        "  - {id: legacy-billing, category: dependency_failure, label: billing mainframe,\n"
        "     patterns: ['BILL-E42']}\n"
        "  - {id: oom, category: cpu_saturation, patterns: ['OutOfMemoryError']}\n"
        "markers:\n"
        "  - {id: flags, change: config_change, patterns: ['flagd: applied']}\n"
    )
    signatures = load_signatures(str(user))
    assert signatures.match("BILL-E42 host unavailable").category is C.DEPENDENCY_FAILURE  # type: ignore[union-attr]
    assert signatures.match("OutOfMemoryError").category is C.CPU_SATURATION  # type: ignore[union-attr]
    assert signatures.match("no space left on device").category is C.DISK_FULL  # type: ignore[union-attr]
    assert signatures.marker("flagd: applied new ruleset") is not None


@pytest.mark.parametrize(
    "text",
    [
        "signatures:\n  - {id: x, category: not_a_cause, patterns: ['a']}\n",
        "signatures:\n  - {id: x, category: oom, patterns: ['(unclosed']}\n",
        "signatures: [{id: x, category: oom}]\n",
    ],
)
def test_malformed_user_file_is_a_config_error_naming_the_file(tmp_path: Path, text: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_signatures(str(bad))
