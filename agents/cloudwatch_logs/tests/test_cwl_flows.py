"""VPC flow logs: found beside the cluster's logs, and a REJECT of the very connection a workload
fails to make reads as a network block about that workload; REJECTs elsewhere stay background."""

from __future__ import annotations

from cwl_support import events, scope

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.cloudwatch_logs.flows import link_rejected_flows
from agents.cloudwatch_logs.groups import lookups, score_group
from agents.cloudwatch_logs.markers import deploy_times
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.signatures import load_signatures
from shared.contracts import CauseCategory

SIG = load_signatures()
FLOWS = "/aws/vpc/flowlogs/prod-eks"
APP = "/aws/containerinsights/prod-eks/application"
TIMEOUT = (
    '{"level":"error","msg":"charge failed","error":"Post \\"https://api.psp.example/v1/charges\\": '
    'dial tcp 3.120.1.8:443: i/o timeout"}'
)


def reject(dst: str, port: int) -> str:
    return (
        f"2 123456789012 eni-07a1b2c3d4e5f6a7b 10.70.42.17 {dst} 51244 {port} 6 3 180 1733575620 "
        "1733575680 REJECT OK"
    )


def linked(evts: list[LogEvent]) -> list:
    the_scope = scope(namespace="payments", workload="charges", cluster="prod-eks")
    found = error_findings(
        evts,
        windows=windows_for(the_scope),
        scope=the_scope,
        signatures=SIG,
        region="eu-central-1",
        deploys=deploy_times(evts, SIG),
    )
    return link_rejected_flows(found)


def test_flow_log_groups_are_looked_up_and_scored_below_the_workloads_own() -> None:
    the_scope = scope(namespace="payments", workload="charges", cluster="prod-eks")
    assert any(lookup.pattern == "flow" for lookup in lookups(the_scope, []))
    flows, _ = score_group(FLOWS, the_scope, [])
    assert 0 < flows < score_group(APP, the_scope, [])[0]
    assert score_group("/vpc/prod-eks/flow-logs", the_scope, [])[0] == flows


def test_a_reject_of_the_connection_the_workload_times_out_on_is_a_network_block_about_it() -> None:
    evts = events(
        TIMEOUT, start=13, every_s=4, count=190, stream="charges-7b5d8c9f6-4hjkq_payments_api", group=APP
    )
    evts += events(
        reject("3.120.1.8", 443),
        start=13,
        every_s=20,
        count=38,
        stream="eni-07a1b2c3d4e5f6a7b-all",
        group=FLOWS,
    )
    by_group = {f.resources[0]: f for f in linked(evts)}
    flow, timeout = by_group[FLOWS], by_group[APP]
    assert flow.cause_hint is CauseCategory.NETWORK_FAILURE and flow.relevance == timeout.relevance
    assert "to 3.120.1.8:443, which payments/charges-7b5d8c9f6-4hjkq fails to reach" in flow.title
    assert "security group" in flow.title and "REJECT" in flow.title
    assert timeout.cause_hint is CauseCategory.NETWORK_FAILURE


def test_rejects_to_other_addresses_stay_background() -> None:
    evts = events(
        TIMEOUT, start=13, every_s=4, count=190, stream="charges-7b5d8c9f6-4hjkq_payments_api", group=APP
    )
    evts += events(
        reject("52.1.2.3", 22),
        start=13,
        every_s=20,
        count=38,
        stream="eni-07a1b2c3d4e5f6a7b-all",
        group=FLOWS,
    )
    by_group = {f.resources[0]: f for f in linked(evts)}
    assert by_group[FLOWS].relevance < 0.5
    assert by_group[APP].cause_hint is CauseCategory.DEPENDENCY_FAILURE
