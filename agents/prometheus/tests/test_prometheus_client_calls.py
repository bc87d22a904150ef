"""Calls the workload makes to a dependency, from its own client metrics: the share that fails, per
remote, and the plan that reads it only when a remote and a status label are there."""

from __future__ import annotations

from test_prometheus_analyzers import POINTS, analyze, frame, line, readings, steps

from agents.prometheus.client_signals import plan_client_errors
from shared.contracts import CauseCategory, Severity

COUNTER = "http_client_requests_seconds_count"


def test_the_plan_reads_the_failing_share_of_calls_per_remote() -> None:
    plan: dict[str, str] = {}
    labels = {COUNTER: {"__name__", "service", "clientName", "uri", "status"}}
    plan_client_errors(plan, {COUNTER}, labels, {COUNTER: 'service="rewards-redemption"'})
    [(key, expr)] = plan.items()
    assert key == f"client_errors:clientName:{COUNTER}"
    assert 'status=~"5..' in expr and "sum by (clientName)" in expr and 'service="rewards-redemption"' in expr
    # Without a label naming the remote there is nothing to say about a dependency.
    plan = {}
    plan_client_errors(plan, {COUNTER}, {COUNTER: {"service", "status"}}, {})
    assert plan == {}


def test_calls_to_a_remote_that_began_failing_are_a_dependency_failure_naming_it() -> None:
    key = f"client_errors:clientName:{COUNTER}"
    paygate = line({"clientName": "api.paygatex.com"}, steps(0.0, 0.72, POINTS - 30))
    healthy = line({"clientName": "ledger.internal"}, [0.001] * POINTS)
    found = analyze(readings(**{key: [paygate, healthy]}), frame(service="rewards-redemption"))
    failing = [f for f in found if f.id.split(":")[1] == "client-errors"]
    assert len(failing) == 1
    [f] = failing
    assert f.cause_hint is CauseCategory.DEPENDENCY_FAILURE and f.severity is Severity.CRITICAL
    assert "api.paygatex.com" in f.title and "rewards-redemption" in f.title and "72" in f.title
    assert "api.paygatex.com" in f.resources
