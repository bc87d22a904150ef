"""A database's own log tied to the workload whose errors it explains."""

from __future__ import annotations

from datetime import UTC, datetime

from cwl_support import scope as scope_of

from agents.cloudwatch_logs.groups import lookups, score_group
from agents.cloudwatch_logs.servers import database_of, link_server_errors
from shared.contracts import CauseCategory, Finding, Severity

T = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)


def _finding(fid: str, hint: CauseCategory | None, relevance: float, *resources: str) -> Finding:
    return Finding(
        id=f"cloudwatch_logs:errors:{fid}",
        agent="cloudwatch_logs",
        severity=Severity.CRITICAL,
        title=f"No space left on device: 80x in {resources[-1]}",
        resources=resources,
        first_seen=T,
        cause_hint=hint,
        relevance=relevance,
    )


def test_the_databases_own_log_of_the_workloads_failure_names_the_database() -> None:
    client = _finding(
        "cart", CauseCategory.DISK_FULL, 0.95, "/aws/containerinsights/prod/application", "shop/cart-1"
    )
    server = _finding("db", CauseCategory.DISK_FULL, 0.3, "/aws/rds/instance/carts-pg/postgresql")
    unrelated = _finding("other", CauseCategory.PERMISSION_DENIED, 0.3, "/aws/rds/cluster/ledger/postgresql")
    linked = {f.id: f for f in link_server_errors([client, server, unrelated])}
    assert linked[server.id].relevance == 0.95 and "carts-pg" in linked[server.id].resources
    assert "The database carts-pg logs the same failure as shop/cart-1" in linked[server.id].detail
    assert linked[unrelated.id].relevance == 0.3  # another cause: background
    assert database_of("/aws/rds/cluster/orders-aurora/error") == "orders-aurora"
    # Without a workload failing the same way, a database's errors stay background.
    assert link_server_errors([server])[0].relevance == 0.3


def test_database_log_groups_are_listed_and_read_last() -> None:
    scope = scope_of(cluster="prod", namespace="shop", workload="cart")
    assert "prefix /aws/rds/" in [lookup.describe() for lookup in lookups(scope, [])]
    score, _ = score_group("/aws/rds/instance/ledger-pg/postgresql", scope, [])
    assert 0 < score < score_group("/aws/containerinsights/prod/dataplane", scope, [])[0]
