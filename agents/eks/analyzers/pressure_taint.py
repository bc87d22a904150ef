"""A node under disk pressure seen from the workload it evicted: a full disk, unless the node's
pressure taint is what keeps the workload's replacement pods from running. Then the workload is
short of replicas because a node left the pool (its taint, and no room elsewhere): the node's
failure, which its full disk explains."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis

# The taints the node lifecycle controller puts on a node whose condition is bad.
CONDITION_TAINTS = {
    "DiskPressure": "node.kubernetes.io/disk-pressure",
    "MemoryPressure": "node.kubernetes.io/memory-pressure",
    "PIDPressure": "node.kubernetes.io/pid-pressure",
}


def pressure_keeps_pods_out(analysis: Analysis, condition: str = "DiskPressure") -> bool:
    """Whether a Pending pod of the alert's workload cannot be scheduled because of the taint a node
    under `condition` carries (`1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }`)."""
    taint = CONDITION_TAINTS[condition]
    for pod in analysis.in_scope_pods():
        scheduled = o.conditions(pod).get("PodScheduled", {})
        if o.status(pod).get("phase") != "Pending" or scheduled.get("status") != "False":
            continue
        if f"untolerated taint {{{taint}" in str(scheduled.get("message", "")):
            return True
    return False
