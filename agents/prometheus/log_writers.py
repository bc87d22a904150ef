"""Who fills a node's disk with logs: the containers whose log files on the node grew most.

A node low on disk evicts pods for `ephemeral-storage`, and the evicted pods are rarely the ones
writing: a verbose logging level left on in one service fills `/var/log/pods` on the nodes it runs
on. `kubelet_container_log_filesystem_used_bytes` (per container, with its node) says who wrote it.
A container whose logs grew by at least `MIN_GROWTH` in the window, on a node whose filesystem is
short of space, is named with its node and what it wrote.
"""

from __future__ import annotations

import re

from agents.prometheus.common import Frame, fmt_bytes
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

METRIC = "kubelet_container_log_filesystem_used_bytes"
KEY = "log_used"
MIN_GROWTH = 1 << 30  # 1 GiB of logs in the window
MAX_WRITERS = 2
_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")


def host_names(nodes: list[str]) -> list[str]:
    """The EC2 host name of each IPv4 node address (`10.70.2.58:9100` -> `ip-10-70-2-58`):
    node-exporter names a node by its address, the kubelet by its host name."""
    out = []
    for node in nodes:
        m = _IPV4.match(node.split(":")[0])
        if m:
            out.append("ip-" + "-".join(m.groups()))
    return out


def plan_log_writers(plan: dict[str, str], names: set[str], selector: str) -> None:
    if METRIC in names and selector:
        plan[KEY] = f"max by (namespace, pod, container, node) ({METRIC}{{{selector}}})"


def log_writers(readings: Readings, frame: Frame) -> list[Finding]:
    short = [
        s for s in readings.get("node_fs_free") if s.values and s.values[-1] <= 0.1
    ]  # the filesystems node_disks reports
    if not short:
        return []
    grown = []
    for series in readings.get(KEY):
        if len(series.points) < 2:
            continue
        growth = series.values[-1] - min(series.values)
        if growth >= MIN_GROWTH:
            grown.append((growth, series))
    grown.sort(key=lambda g: (-g[0], g[1].labels.get("pod", "")))
    findings = []
    for growth, series in grown[:MAX_WRITERS]:
        labels = series.labels
        ns, pod, container = labels.get("namespace", ""), labels.get("pod", ""), labels.get("container", "")
        node = labels.get("node", "")
        began = series.points[0][0]
        findings.append(
            frame.finding(
                f"log-writer:{ns}/{pod}/{container}",
                severity=Severity.CRITICAL if short[0].values[-1] <= 0.05 else Severity.WARNING,
                title=(
                    f"Container {container} of {ns}/{pod} wrote {fmt_bytes(growth)} of logs"
                    + (f" on node {node}" if node else "")
                    + f" since {began:%H:%M} UTC ({fmt_bytes(series.values[-1])} now): its log files fill "
                    "the node's ephemeral-storage"
                ),
                resources=(f"{ns}/Pod/{pod}", *((f"Node/{node}",) if node else ())),
                first_seen=began,
                last_seen=series.points[-1][0],
                evidence=(
                    frame.evidence(readings.expr(KEY), f"{fmt_bytes(series.values[-1])} of logs", began),
                ),
                cause_hint=CauseCategory.DISK_FULL,
                relevance=0.6,
            )
        )
    return findings
