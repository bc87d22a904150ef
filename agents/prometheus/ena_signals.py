"""Packets an EC2 instance's network interface dropped for going over its allowance (the ENA
driver's counters, as node-exporter's ethtool collector publishes them).

An instance's ENA shapes its traffic to per-instance allowances: bandwidth in and out, packets per
second, tracked connections, and packets to link-local services (the VPC DNS resolver, instance
metadata, time sync; 1024 packets/s per interface). Over an allowance, packets are dropped and the
`*_allowance_exceeded` counter grows. Link-local drops are DNS lookups lost at the node: clients
see intermittent name resolution failures for names that exist (two CoreDNS replicas on one node
put all the cluster's upstream queries through its one interface).

The counters are looked up across the cluster (a handful of series per node), since which node
matters is what they tell: a counter that began to grow in the window is a network failure on
that node.
"""

from __future__ import annotations

import re

from agents.prometheus.changepoint import detect_change
from agents.prometheus.common import Frame, fmt_number, hhmm
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

ENA_METRICS = "node_(?:net_)?ethtool_[a-z_]*allowance_exceeded"  # no backslash: it sits in a PromQL string
PREFIX = "ena:"
MAX_COUNTERS = 5
_WHAT = {
    "linklocal": "link-local allowance (DNS to the VPC resolver, instance metadata, time sync)",
    "pps": "packets-per-second allowance",
    "bw_in": "inbound bandwidth allowance",
    "bw_out": "outbound bandwidth allowance",
    "conntrack": "connection-tracking allowance",
}
_KIND = re.compile(r"(linklocal|pps|bw_in|bw_out|conntrack)_allowance_exceeded")


def ena_lookup() -> tuple[str, str, list[str]]:
    return ("ena", ENA_METRICS, ['instance=~".+"'])


def plan_ena(plan: dict[str, str], names: set[str]) -> None:
    """One query per counter name: its rate per node and interface."""
    for name in sorted(names)[:MAX_COUNTERS]:
        plan[f"{PREFIX}{name}"] = f"sum by (instance, device) (rate({name}[5m]))"


def ena(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for key in readings.keys(PREFIX):
        name = key.removeprefix(PREFIX)
        kind = _KIND.search(name)
        what = _WHAT[kind.group(1)] if kind else "allowance"
        for series in readings.get(key):
            if not series.values or series.values[-1] <= 0:
                continue
            change = detect_change(series.points)
            if change is None or not change.rising:
                continue
            node = series.labels.get("instance", "?").split(":")[0]
            device = series.labels.get("device")
            linklocal = bool(kind and kind.group(1) == "linklocal")
            findings.append(
                frame.finding(
                    f"ena:{node}/{name}",
                    severity=Severity.CRITICAL if linklocal else Severity.WARNING,
                    title=(
                        f"Node {node} drops packets over its ENA {what}: {name} grows "
                        f"{fmt_number(round(series.values[-1], 1))}/s since {hhmm(change.onset)}"
                        + (f" ({device})" if device else "")
                    ),
                    detail=(
                        "Packets over the instance's allowance are dropped by its network interface."
                        + (
                            " Link-local drops are DNS lookups lost on their way to the VPC resolver: "
                            "clients on the node, or using the DNS pods on it, see intermittent "
                            "name resolution failures."
                            if linklocal
                            else ""
                        )
                    ),
                    resources=(f"Node/{node}",),
                    first_seen=change.onset,
                    last_seen=series.points[-1][0],
                    evidence=(
                        frame.evidence(
                            readings.expr(key),
                            f"{fmt_number(round(series.values[-1], 1))} packets/s dropped",
                            change.onset,
                        ),
                    ),
                    cause_hint=CauseCategory.NETWORK_FAILURE,
                    # Link-local drops are lost DNS lookups: tied to any name resolution failure.
                    relevance=0.5 if linklocal else 0.3,
                )
            )
    return findings
