"""The ENA allowance counters: packets a node's network interface dropped over its allowance."""

from __future__ import annotations

from test_prometheus_analyzers import analyze, frame, line, only, readings, steps

from shared.contracts import CauseCategory, Severity


def test_link_local_drops_that_began_are_lost_dns_lookups_on_that_node() -> None:
    node = {"instance": "ip-10-4-7-21.eu-central-1.compute.internal", "device": "eth0"}
    quiet = {"instance": "ip-10-4-9-30.eu-central-1.compute.internal", "device": "eth0"}
    found = analyze(
        readings(
            **{
                "ena:node_ethtool_linklocal_allowance_exceeded": [
                    line(node, steps(0.0, 310.0, 40)),
                    line(quiet, [0.0] * 60),
                ]
            }
        ),
        frame(namespace="search", service="query-api"),
    )
    drops = only(found, "ena")
    assert drops.cause_hint is CauseCategory.NETWORK_FAILURE and drops.severity is Severity.CRITICAL
    assert "ip-10-4-7-21.eu-central-1.compute.internal" in drops.title
    assert "node_ethtool_linklocal_allowance_exceeded" in drops.title and "310/s" in drops.title
    assert "DNS" in drops.detail and drops.resources == ("Node/ip-10-4-7-21.eu-central-1.compute.internal",)


def test_a_counter_that_did_not_grow_in_the_window_says_nothing() -> None:
    flat = {"instance": "ip-10-4-7-21.eu-central-1.compute.internal", "device": "eth0"}
    found = analyze(
        readings(**{"ena:node_ethtool_pps_allowance_exceeded": [line(flat, [0.0] * 60)]}),
        frame(namespace="search", service="query-api"),
    )
    assert not [f for f in found if ":ena:" in f.id]
