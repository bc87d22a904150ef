"""Which log groups an alert leads to, the Insights queries (inside the sandbox's subset) and links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cwl_support import NOW, scope

from agents.cloudwatch_logs.fallback import signature_terms
from agents.cloudwatch_logs.groups import lookups, score_group, select_groups
from agents.cloudwatch_logs.queries import (
    ERROR_RE,
    MARKER_RE,
    error_count_query,
    errors_query,
    insights_console_url,
    log_events_console_url,
    markers_query,
    template_query,
)
from agents.common.signatures import load_signatures
from sandbox.insights import LogRecord, run_insights

CI = "/aws/containerinsights/prod-eks/application"


def test_lookups_follow_the_hints_and_are_bounded() -> None:
    found = lookups(
        scope(cluster="prod-eks", workload="payments-api", log_groups=("/custom/app",)), ["/team/x"]
    )
    described = [lookup.describe() for lookup in found]
    assert described[:2] == ["prefix /custom/app", "prefix /team/x"]
    assert "prefix /aws/containerinsights/prod-eks/" in described and "prefix /aws/eks/prod-eks/" in described
    assert "prefix /aws/lambda/payments-api" in described and "names containing 'payments-api'" in described
    many = scope(log_groups=tuple(f"/g/{i}" for i in range(20)))
    assert len(lookups(many, [])) == 8


def test_group_scores_rank_what_the_alert_names_first() -> None:
    the_scope = scope(cluster="prod-eks", namespace="payments", workload="payments-api")
    found = {
        CI: 0,
        "/aws/containerinsights/prod-eks/performance": 0,
        "/aws/containerinsights/prod-eks/dataplane": 0,
        "/aws/eks/prod-eks/cluster": 0,
        "/aws/rds/instance/payments-db/postgresql": 0,
        "/ecs/payments-api": 0,
        "/aws/lambda/thumbnailer": 0,
        "/configured": 0,
    }
    chosen = select_groups(found, the_scope, ["/configured"], max_groups=5)
    assert [g.name for g in chosen] == [
        "/configured",
        CI,
        "/ecs/payments-api",
        "/aws/eks/prod-eks/cluster",
        "/aws/rds/instance/payments-db/postgresql",
    ]
    assert score_group("/aws/containerinsights/prod-eks/performance", the_scope, [])[0] == 0
    assert score_group("/aws/lambda/thumbnailer", the_scope, [])[0] == 0


def test_lambda_function_named_by_the_alert_scores_high() -> None:
    score, reason = score_group("/aws/lambda/invoice-exporter", scope(workload="invoice-exporter"), [])
    assert score >= 0.95 and "Lambda" in reason


def test_kubernetes_alert_without_a_cluster_reads_container_insights_application_groups() -> None:
    the_scope = scope(namespace="payments", workload="payments-api")
    assert "prefix /aws/containerinsights/" in [lookup.describe() for lookup in lookups(the_scope, [])]
    found = {
        CI: 0,
        "/aws/containerinsights/prod-eks/performance": 0,
        "/aws/rds/instance/payments-db/postgresql": 0,
    }
    chosen = select_groups(found, the_scope, [], 5)
    assert [g.name for g in chosen] == [CI, "/aws/rds/instance/payments-db/postgresql"]
    assert select_groups({CI: 0}, scope(), [], 5) == []  # no target at all: no guessing


def test_no_hint_means_no_guessing() -> None:
    assert lookups(scope(), []) == []
    assert select_groups({"/aws/lambda/anything": 0, "/app/x": 0}, scope(), [], 5) == []


LINES = [
    ("ERROR HikariPool-1 - Connection is not available", True),
    ('level=error msg="request failed"', True),
    ("java.lang.OutOfMemoryError: Java heap space", True),
    ("POST /v1/charges 503 30012ms", True),
    ("level=info msg=request status=502 duration=0.04s", True),
    ("REPORT Duration: 812.44 ms Memory Size: 512 MB", False),
    ("INFO GET /healthz 200 2ms", False),
    ("INFO  config reloaded: DB_POOL_MAX=8", False),
]


def records(lines: list[str]) -> list[LogRecord]:
    return [
        LogRecord(
            timestamp=datetime(2026, 11, 22, 21, i, tzinfo=UTC), message=m, log_stream="s", log_group="/g"
        )
        for i, m in enumerate(lines)
    ]


def test_errors_query_selects_what_the_local_regex_selects() -> None:
    messages = [m for m, _ in LINES]
    rows = run_insights(errors_query(100), records(messages))
    selected = {r["@message"] for r in rows}
    assert selected == {m for m, is_error in LINES if is_error}
    assert selected == {m for m in messages if ERROR_RE.search(m)}
    assert set(rows[0]) >= {"@timestamp", "@message", "@logStream", "@log"}


def test_markers_query_and_template_query_run_in_the_subset() -> None:
    messages = [
        "INFO  config reloaded: DB_POOL_MAX=8",
        "INFO checkout v2.3.0 started in 6s",
        "INFO GET / 200",
    ]
    assert (
        {r["@message"] for r in run_insights(markers_query(10), records(messages))}
        == {m for m in messages if MARKER_RE.search(m)}
        == set(messages[:2])
    )
    assert [
        r["@message"] for r in run_insights(template_query('say "hi" now'), records(['x say "hi" now', "y"]))
    ] == ['x say "hi" now']
    counted = run_insights(error_count_query(), records(["ERROR a", "ERROR b", "INFO c"]))
    assert counted == [{"@log": counted[0]["@log"], "errors": "2"}]


def test_console_links_are_region_aware_and_escaped() -> None:
    url = insights_console_url(
        "ap-southeast-2", [CI, "/aws/lambda/fn"], "fields @message\n| limit 5", NOW.replace(hour=20), NOW
    )
    assert url.startswith(
        "https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-southeast-2"
        "#logsV2:logs-insights$3FqueryDetail$3D~("
    )
    assert "editorString~'fields*20*40message*0a*7c*20limit*205" in url
    assert "~source~(~'*2faws*2fcontainerinsights*2fprod-eks*2fapplication~'*2faws*2flambda*2ffn))" in url
    assert "start~'2026-11-22T20*3a40*3a00.000Z" in url and " " not in url
    events = log_events_console_url(
        "us-east-1", CI, NOW.replace(hour=20), NOW, stream="s/1", filter_pattern="ERROR"
    )
    assert "log-group/$252Faws$252Fcontainerinsights" in events and "filterPattern$3DERROR" in events


# Lines that say what broke in words ERROR_WORDS does not use: a signature knows each of them.
SIGNATURE_ONLY_LINES = {
    "dns": "dial tcp: lookup ledger-db.payments.svc.cluster.local: NXDOMAIN",
    "code-regression": "goroutine 1 [running]: invalid memory address or nil pointer dereference",
    "disk-full": "write /var/lib/postgresql/data/base/16384: ENOSPC",
    "throttled": 'POST /orders 429 12ms upstream="payments"',
    "network": "connect to 10.0.3.17:5432: no route to host",
    "pool-exhausted": "sqlalchemy: QueuePool limit of size 5 overflow 10 reached",
}


def test_the_error_query_reads_the_lines_only_a_signature_recognises() -> None:
    signatures = load_signatures()
    for signature_id, line in SIGNATURE_ONLY_LINES.items():
        assert not ERROR_RE.search(line), line  # the generic words alone would drop it ...
        matched = signatures.match(line)
        assert matched is not None and matched.id == signature_id, line  # ... a signature explains it
    healthy = ["INFO GET /healthz 200 2ms", "HikariPool-1 - Start completed.", "t=14:29:01 took 1429ms"]
    messages = [*SIGNATURE_ONLY_LINES.values(), *healthy]
    terms = signature_terms(signatures)

    selected = {r["@message"] for r in run_insights(errors_query(100, terms), records(messages))}
    counted = run_insights(error_count_query(terms), records(messages))

    assert selected == set(SIGNATURE_ONLY_LINES.values())
    assert counted[0]["errors"] == str(len(SIGNATURE_ONLY_LINES))
    assert {m for m in messages if signatures.is_error_line(m)} == selected  # the local twin agrees
    assert not run_insights(errors_query(100), records(list(SIGNATURE_ONLY_LINES.values())))


def test_a_teams_own_signature_widens_the_error_query(tmp_path: Path) -> None:
    own = tmp_path / "signatures.yaml"
    own.write_text(
        "signatures:\n  - id: ledger-drift\n    category: bad_deploy\n"
        "    patterns: ['ledger balance drift of \\d+']\n",
        encoding="utf-8",
    )
    line = "ledger balance drift of 42 cents on account 7"
    assert not ERROR_RE.search(line)
    terms = signature_terms(load_signatures(str(own)))
    assert "ledger balance drift of" in terms
    assert [r["@message"] for r in run_insights(errors_query(10, terms), records([line, "INFO ok"]))] == [
        line
    ]


def test_the_widened_query_stays_within_insights_limits() -> None:
    query = errors_query(2000, signature_terms(load_signatures()))
    assert len(query) < 10_000  # StartQuery's queryString limit
    assert "| filter @message like /(?i)(" in query
