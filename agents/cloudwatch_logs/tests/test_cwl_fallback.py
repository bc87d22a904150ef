"""The filter_log_events fallback reads every line a signature explains: its filter patterns come
from the signature file, in CloudWatch's syntax and size limit."""

from __future__ import annotations

import re
from pathlib import Path

from cwl_support import GROUP, ScriptedLogs, client_error, events, scope
from test_cwl_scanner import context, scanner

from agents.cloudwatch_logs.analyzers import windows_for
from agents.cloudwatch_logs.fallback import MAX_PATTERN, filter_patterns, matches
from agents.cloudwatch_logs.fetch import fetch_window
from agents.cloudwatch_logs.queries import MARKER_RE
from agents.cloudwatch_logs.reader import LogsReader
from agents.common.base import Budget
from agents.common.signatures import load_signatures
from agents.common.tests.signature_corpus import CORPUS
from shared.contracts import AgentStatus, CauseCategory, Trigger

# One line a real service writes for each built-in signature, in its usual spelling (lower case
# where Go and kubelet write it so, with no level word where servers omit one).
SAMPLES = {
    "oom": "Memory cgroup out of memory: Killed process 4121 (java) total-vm:2316412kB",
    "disk-full": "write /var/lib/postgresql/data/base/16384/2619: no space left on device",
    "connect-timeout": (
        "ERROR [HikariPool-1 connection adder] org.postgresql.util.PSQLException: The connection attempt "
        "failed. Caused by: java.net.SocketTimeoutException: Connect timed out"
    ),
    "pool-exhausted": "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached",
    "cpu-throttled": "container app is CPU throttled 87% of periods",
    "disruption-budget-blocks-eviction": (
        'error when evicting pods/"ledger-writer-6d7c8b9f5-2vx8n" -n "ledger" (will retry after 5s): '
        "Cannot evict pod as it would violate the pod's disruption budget."
    ),
    "throttled": "botocore: ProvisionedThroughputExceededException when calling PutItem",
    "health-check-failing": '10.90.5.44 - - "GET /health HTTP/1.1" 404 124 "-" "ELB-HealthChecker/2.0"',
    "access-denied-explicit": (
        "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/app/s is not authorized to perform: "
        "s3:GetObject on resource: arn:aws:s3:::media/a.png with an explicit deny in a resource-based policy"
    ),
    "kms-denied": "ClientError: KMS.AccessDeniedException when calling the Decrypt operation",
    "access-denied": 'level=warn msg="s3 PutObject" status=403',
    "certificate": "Get https://vault.internal/v1/sys: x509: certificate signed by unknown authority",
    "dns": "dial tcp: lookup payments.internal on 172.20.0.10:53: no such host",
    "dns-loop": '[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io',
    "network": "connect: no route to host 10.0.7.3:443",
    "flow-log-reject": (
        "2 123456789012 eni-07a1b2c3d4e5f6a7b 10.70.42.17 3.120.1.8 51244 443 6 3 180 1733575620 1733575680 "
        "REJECT OK"
    ),
    "image-pull": 'Failed to pull image "repo/cart:v1.9.1": manifest unknown',
    "probe": "Readiness probe failed: HTTP probe failed with statuscode: 503",
    "scheduling": "0/6 nodes are available: 6 Insufficient memory.",
    "volumes": 'MountVolume.SetUp failed for volume "data": mount failed: exit status 32',
    "instance-metadata": (
        'E1207 main.go:154] "Could not determine region from any metadata service." '
        'err="error getting instance data from ec2 metadata or kubernetes api"'
    ),
    "node": "Kubelet stopped posting node status.",
    "autoscaler": "the desired replica count is more than the maximum replica count",
    "config": "KeyError: 'DATABASE_URL'",
    "missing-config-object": "Error: couldn't find key DB_PASSWORD in Secret orders/db-creds",
    "unknown-argument": "flag provided but not defined: -since-hours",
    "pod-ip-exhausted": "add cmd: failed to assign an IP address to container",
    "datastore-full": "OOM command not allowed when used memory > 'maxmemory'.",
    "write-to-read-only": (
        "ERROR 1290 (HY000): The MySQL server is running with the --read-only option "
        "so it cannot execute this statement"
    ),
    "default-host-refused": (
        "io.netty.channel.AbstractChannel$AnnotatedConnectException: "
        "Connection refused: localhost/127.0.0.1:6379"
    ),
    "dependency-refused": "dial tcp 10.0.3.17:6379: connect: connection refused",
    "datastore-protocol": "MongoQueryException: Unsupported OP_QUERY command: find on server carts-db:27017",
    "refuses-root": '"root" execution of the PostgreSQL server is not permitted.',
    "code-regression": "POST /v1/checkout 500 31ms",
}
# What the audit found the old fixed term list never returned from real CloudWatch.
MISSED_BEFORE = [
    "open /data/segments/0042.log: no space left on device",
    "remote error: tls: bad certificate; x509: certificate has expired or is not yet valid",
    "dial tcp: lookup db.internal: no such host",
    "container app OOMKilled (exit code 137)",
    "fork: Cannot allocate memory",
    '10.0.4.7 - - "GET /api/orders HTTP/1.1" 503 0 "-" "okhttp"',
]


def test_every_builtin_signature_has_a_sample() -> None:
    assert set(SAMPLES) == {s.id for s in load_signatures().signatures}


def fallback_read(lines: list[str]) -> list[str]:
    """The error lines `fetch_window` keeps when Insights is refused and CloudWatch answers the
    filter patterns (case-sensitive terms), from a group holding `lines` and healthy chatter."""
    stream = "payments-api-84c6d9b7f-t4w9z_payments_api"
    held = events("INFO GET /healthz 200 2ms", start=40, every_s=30, count=60, stream=stream)
    for i, line in enumerate(lines):
        held += events(line, start=10 - i * 0.1, every_s=1, count=1, stream=stream)
    raw = [
        {"timestamp": int(e.at.timestamp() * 1000), "message": e.message, "logStreamName": e.stream}
        for e in sorted(held, key=lambda e: e.at)
    ]
    client = ScriptedLogs(
        events=raw, fail={"start_query": client_error("AccessDeniedException", "StartQuery")}
    )
    fetched = fetch_window(
        LogsReader(client), [GROUP], windows_for(scope()), Budget.of(10), load_signatures()
    )
    assert any("filter_log_events instead" in n for n in fetched.notes)
    return [e.message for e in fetched.error_lines]


def test_every_signature_cause_is_reachable_through_the_fallback() -> None:
    signatures = load_signatures()
    read = fallback_read(list(SAMPLES.values()))
    assert sorted(read) == sorted(SAMPLES.values())  # every one, and no healthz line
    for signature_id, line in SAMPLES.items():
        signature = signatures.match(line)
        assert signature is not None and signature.id == signature_id


def test_lines_the_fixed_term_list_missed_are_read() -> None:
    assert sorted(fallback_read(MISSED_BEFORE)) == sorted(MISSED_BEFORE)


def test_release_and_reload_markers_are_read() -> None:
    patterns = filter_patterns(load_signatures())
    for line in ("INFO ledger-worker v3.10.0 starting", "config reloaded: DB_POOL_MAX=8"):
        assert MARKER_RE.search(line) and any(matches(p, line) for p in patterns)


def test_patterns_are_quoted_or_terms_within_the_api_limit() -> None:
    patterns = filter_patterns(load_signatures())
    assert 1 < len(patterns) <= 8
    for pattern in patterns:
        assert len(pattern) <= MAX_PATTERN
        assert re.fullmatch(r'\?"[^"]+"( \?"[^"]+")*', pattern)
    assert not any(matches(p, "INFO GET /healthz 200 2ms") for p in patterns)


def test_a_user_signature_is_read_through_the_fallback(tmp_path: Path) -> None:
    user = tmp_path / "signatures.yaml"
    user.write_text(
        "signatures:\n  - id: ledger-lock\n    category: dependency_failure\n"
        "    patterns: ['ledger lock held']\n"
    )
    patterns = filter_patterns(load_signatures(str(user)))
    line = "WARN ledger lock held by 4 writers"
    assert any(matches(p, line) for p in patterns)
    assert not any(matches(p, line) for p in filter_patterns(load_signatures()))


def test_scanner_fallback_finds_causes_the_old_terms_missed() -> None:
    stream = "payments-api-84c6d9b7f-t4w9z_payments_api"
    lines = events("INFO GET /healthz 200 2ms", start=40, every_s=30, count=60, stream=stream)
    lines += events(MISSED_BEFORE[0], start=10, every_s=20, count=20, stream=stream)
    lines += events(MISSED_BEFORE[1], start=9, every_s=30, count=10, stream=stream)
    lines += events("INFO payments-api v7.13.0 starting", start=30, every_s=1, count=1, stream=stream)
    raw = sorted(
        (
            {"timestamp": int(e.at.timestamp() * 1000), "message": e.message, "logStreamName": e.stream}
            for e in lines
        ),
        key=lambda e: int(str(e["timestamp"])),
    )
    client = ScriptedLogs(
        groups=[GROUP], events=raw, fail={"start_query": client_error("AccessDeniedException", "StartQuery")}
    )
    result = scanner(client).run(context(cluster="prod-eks", service="payments-api"), Budget.of(10))
    assert result.status is AgentStatus.OK
    causes = {f.cause_hint for f in result.findings}
    assert {CauseCategory.DISK_FULL, CauseCategory.CERTIFICATE_EXPIRED} <= causes
    assert any(f.change is Trigger.DEPLOY and "v7.13.0" in f.title for f in result.findings)
    calls = client.called("filter_log_events")
    assert calls and all(len(c["filterPattern"]) <= MAX_PATTERN and c["limit"] <= 1000 for c in calls)


def test_the_real_error_lines_of_the_signature_corpus_are_read_through_the_fallback() -> None:
    """Each runtime's own error text (a c3p0 checkout timeout, a Kafka broker unreachable, an
    Elasticsearch flood-stage block), capitalised or not, is selected by the size-limited patterns."""
    lines = [line.text for line in CORPUS]
    lines += [line[:1].upper() + line[1:] for line in lines if line[:1].islower()]
    for start in range(0, len(lines), 50):  # fallback_read spreads its lines over the recent window
        chunk = lines[start : start + 50]
        assert sorted(fallback_read(chunk)) == sorted(chunk)
