"""Voluntary and involuntary disruptions: PodDisruptionBudgets that allow no eviction (and the
drains they block), and nodes being taken away: spot interruptions, scheduled maintenance and
rebalance recommendations (aws-node-termination-handler), Karpenter disruption and interruption,
Cluster Autoscaler scale-down, as their taints and Node events show."""

from __future__ import annotations

from datetime import datetime, timedelta

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.nodes import spot_capacity
from agents.eks.analyzers.pod_problem import IMAGE_PULL
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger

# Taint key prefix -> what it says about the node.
_NTH = "aws-node-termination-handler/"
TAINTS = {
    _NTH + "spot-itn": "spot interruption notice (node termination handler)",
    _NTH + "scheduled-maintenance": "scheduled EC2 maintenance (node termination handler)",
    _NTH + "rebalance-recommendation": "EC2 rebalance recommendation (node termination handler)",
    _NTH + "asg-lifecycle-termination": "ASG termination (node termination handler)",
    _NTH: "drained by the node termination handler",
    "karpenter.sh/disrupted": "being disrupted by Karpenter",
    "karpenter.sh/disruption": "being disrupted by Karpenter",
    "ToBeDeletedByClusterAutoscaler": "being removed by Cluster Autoscaler (scale-down)",
    "node.kubernetes.io/out-of-service": "marked out of service",
    "eks.amazonaws.com/nodegroup-update": "being replaced by a managed node group update",
}
# Node event reasons (NTH, Karpenter, Cluster Autoscaler, the node lifecycle controller).
INTERRUPTIONS = {
    "SpotInterruption",
    "SpotInterrupted",
    "ScheduledEvent",
    "RebalanceRecommendation",
    "ASGLifecycle",
    "CordonAndDrain",
    "InstanceTerminating",
    "InstanceStopping",
    "InstanceUnhealthy",
    "TerminatingOnInterruption",
    "TerminationGracePeriodExpiring",
    "Disrupting",
    "DisruptionTerminating",
    "ScaleDown",
    "RemovingNode",
    "DeletingNode",
}
DRAIN_FAILURES = {"FailedDraining", "DisruptionBlocked", "CordonAndDrainError", "ScaleDownFailed"}
# What the platform chose to do (consolidation, drift, scale-down, node group update), as opposed to
# the instance being taken away: a cause only when it hit the alert's pods.
VOLUNTARY_TAINTS = ("karpenter.sh/", "ToBeDeletedByClusterAutoscaler", "eks.amazonaws.com/nodegroup-update")
VOLUNTARY_REASONS = {"Disrupting", "DisruptionTerminating", "ScaleDown", "RemovingNode", "DeletingNode"}


def _interruption_taint(node: Obj) -> tuple[str, str] | None:
    for taint in o.spec(node).get("taints") or []:
        key = str(taint.get("key", ""))
        for prefix, meaning in TAINTS.items():
            if key.startswith(prefix):
                return key, meaning
    return None


def analyze_disruptions(analysis: Analysis) -> list[Finding]:
    return _nodes(analysis) + _budgets(analysis)


def _claim_node(analysis: Analysis, claim: str) -> str | None:
    """The Node a NodeClaim launched (its status), when the claim is still there."""
    for obj in analysis.state.kind("NodeClaim"):
        if o.name(obj) == claim:
            return o.status(obj).get("nodeName") or None
    return None


def _hosted(analysis: Analysis) -> dict[str, list[str]]:
    hosting: dict[str, list[str]] = {}
    for pod in analysis.in_scope_pods():
        node = o.spec(pod).get("nodeName")
        if node:
            hosting.setdefault(node, []).append(o.name(pod))
    return hosting


def _nodes(analysis: Analysis) -> list[Finding]:
    """One finding per node being taken away, from its taint or its events (a node already gone is
    known only by its events)."""
    hosting = _hosted(analysis)
    nodes = {o.name(n): n for n in analysis.state.kind("Node")}
    names = set(nodes)
    # Karpenter reports an interruption on the NodeClaim, whose Node may be gone already: a claim
    # without a Node left (or whose Node has no such events) stands for it.
    claims: dict[str, str] = {}
    for event in analysis.state.events:
        kind, _, name = o.involved(event)
        if kind == "Node" and event.get("reason") in INTERRUPTIONS | DRAIN_FAILURES:
            names.add(name)
    for event in analysis.state.events:
        kind, _, name = o.involved(event)
        if kind == "NodeClaim" and event.get("reason") in INTERRUPTIONS:
            node_name = _claim_node(analysis, name)
            if node_name is None or node_name not in names:
                claims[node_name or name] = name
                names.add(node_name or name)
    findings = []
    for name in sorted(names):
        node = nodes.get(name)
        taint = _interruption_taint(node) if node else None
        subject = ("NodeClaim", claims[name]) if name in claims else ("Node", name)
        events = [
            e
            for e in analysis.events.about(subject[0], None, subject[1])
            + analysis.events.about(subject[0], "default", subject[1])
            if e.get("reason") in INTERRUPTIONS | DRAIN_FAILURES
        ]
        recent = [e for e in events if (t := o.event_time(e)) is None or t >= analysis.scope.window_start]
        if not taint and not recent:
            continue
        interruptions = [e for e in recent if e.get("reason") in INTERRUPTIONS]
        blocked = [e for e in recent if e.get("reason") in DRAIN_FAILURES]
        first = interruptions[-1] if interruptions else None
        at: datetime | None = o.event_first_time(first) if first else None
        if at is None and taint is not None:
            at = next(
                (
                    o.ts(t.get("timeAdded"))
                    for t in o.spec(node or {}).get("taints") or []
                    if t.get("key") == taint[0]
                ),
                None,
            )
        what = taint[1] if taint else "drain"
        if first is not None:
            # The event says why (Karpenter's "Disrupting Node: Drifted", the handler's notice).
            said = f"{first.get('reason')}: {short(str(first.get('message', '')), 110)}"
            what = f"{what} ({said})" if taint else said
        # The alert's pods created after the interruption are the ones it evicted, rescheduled.
        replaced = sorted(
            o.name(p)
            for p in analysis.in_scope_pods()
            if at is not None
            and (created := o.created(p)) is not None
            and created >= at - timedelta(minutes=1)
            and o.spec(p).get("nodeName") != name
        )
        # Recreated pods that then fail on their own (an image that is gone from the registry, a
        # missing key) fail for that reason: the disruption only made them start again.
        own = _own_failure(analysis, replaced) if name not in hosting else None
        affected = name in hosting or (bool(replaced) and own is None)
        involuntary = (taint is not None and not taint[0].startswith(VOLUNTARY_TAINTS)) or any(
            e.get("reason") not in VOLUNTARY_REASONS for e in interruptions
        )
        # A blocked drain is a symptom (the PodDisruptionBudget its events name is the cause); a
        # voluntary disruption is one when it took the alert's pods away.
        cause = (
            CauseCategory.NODE_FAILURE
            if own is None and (involuntary or (affected and (interruptions or taint)))
            else None
        )
        relevance = (
            0.9 if affected or analysis.scope.node == name else 0.6 if analysis.scope.has_target else 0.5
        )
        if name in hosting:
            where = f"; hosts {', '.join(sorted(hosting[name])[:3])}"
        elif replaced:
            where = f"; the alert's pods were recreated after it: {', '.join(replaced[:3])}"
            if own:
                where += f", and then failed on their own ({own}), not for lack of a node"
        else:
            where = "" if node else " (the node is gone)"
        state = (
            "interrupted" if involuntary else "being replaced" if interruptions or taint else "drain blocked"
        )
        label = f"Node {name}" if subject[0] == "Node" else f"Karpenter NodeClaim {subject[1]}"
        if subject[0] == "NodeClaim" and name != subject[1]:
            label += f" (node {name})"
        # Spot capacity said once: by the node's capacity label, or by an interruption event.
        told = " ".join(f"{e.get('reason', '')} {e.get('message', '')}" for e in interruptions)
        if "spot" not in what.lower() and ("spot" in told.lower() or spot_capacity(node)):
            what += " (a Spot instance reclaimed by EC2)" if involuntary else " (Spot capacity)"
        title = f"{label} {state}: {what}"
        if at is not None:
            title += f" {ago(analysis.scope, at)}"
        if blocked:
            title += f"; drain blocked: {short(str(blocked[0].get('message', '')), 100)}"
        evidence = [event_evidence(e) for e in (interruptions[:2] + blocked[:1])]
        if node is not None and taint:
            evidence.insert(
                0,
                object_evidence(
                    "Node",
                    node,
                    f"taint {taint[0]}; unschedulable={o.spec(node).get('unschedulable', False)}",
                ),
            )
        findings.append(
            make_finding(
                "node-interrupted" if interruptions or taint else "node-drain-blocked",
                name,
                severity=Severity.CRITICAL if affected else Severity.WARNING,
                title=title + where,
                resources=[
                    f"Node/{name}" if subject[0] == "Node" or name != subject[1] else f"NodeClaim/{name}"
                ],
                evidence=evidence,
                cause=cause,
                change=Trigger.INFRASTRUCTURE if at is not None else None,
                relevance=relevance,
                first_seen=at,
            )
        )
    return findings


def _own_failure(analysis: Analysis, pod_names: list[str]) -> str | None:
    """`ImagePullBackOff` when a recreated pod waits for a reason of its own, not the node's."""
    wanted = set(pod_names)
    for pod in analysis.in_scope_pods():
        if o.name(pod) not in wanted:
            continue
        for cs in o.status(pod).get("containerStatuses") or []:
            reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
            if reason in IMAGE_PULL or reason == "CreateContainerConfigError":
                return str(reason)
    return None


def _names_budget(message: str, ns: str | None, name: str) -> bool:
    lowered = message.lower()
    about_budget = "disruption budget" in lowered or "pdb" in lowered
    return about_budget and (f"{ns}/{name}" in message or f'"{name}"' in message or f" {name} " in message)


def _on_cordoned_nodes(analysis: Analysis, pods: list[Obj]) -> list[tuple[str, str]]:
    """(pod, node) for the running pods among `pods` whose node is cordoned, the alert's node first."""
    cordoned = {o.name(n) for n in analysis.state.kind("Node") if o.spec(n).get("unschedulable")}
    found = [
        (o.name(p), str(o.spec(p).get("nodeName")))
        for p in pods
        if o.spec(p).get("nodeName") in cordoned and o.status(p).get("phase") in (None, "Running", "Pending")
    ]
    return sorted(found, key=lambda pair: pair[1] != analysis.scope.node)


def _budgets(analysis: Analysis) -> list[Finding]:
    findings = []
    for pdb in analysis.state.kind("PodDisruptionBudget"):
        st = o.status(pdb)
        expected = int(st.get("expectedPods") or 0)
        refused = o.conditions(pdb).get("DisruptionAllowed", {}).get("status") == "False"
        if not refused and (expected == 0 or int(st.get("disruptionsAllowed") or 0) > 0):
            continue
        ns, name = o.namespace(pdb), o.name(pdb)
        selector = o.spec(pdb).get("selector") or {}
        pods = [
            p
            for p in analysis.state.pods
            if o.namespace(p) == ns and o.label_selector_matches(selector, o.labels(p))
        ]
        relevance = max([analysis.relevance(ns, name), *(analysis.pod_relevance(p) for p in pods)])
        healthy, desired = int(st.get("currentHealthy") or 0), int(st.get("desiredHealthy") or 0)
        spec = o.spec(pdb)
        rule = (
            f"minAvailable {spec['minAvailable']}"
            if "minAvailable" in spec
            else f"maxUnavailable {spec.get('maxUnavailable')}"
        )
        # Evictions refused because of this budget: the drain's events name it.
        blocked = [e for e in analysis.state.events if _names_budget(str(e.get("message", "")), ns, name)]
        # Its pods still on a cordoned node: a drain that cannot finish (the node stays cordoned).
        stuck = _on_cordoned_nodes(analysis, pods)
        # Healthy pods and still no disruption allowed: the budget itself forbids every eviction.
        by_design = expected > 0 and healthy >= expected
        why = (
            f"{rule} with {expected} pod(s): no eviction is ever allowed"
            if by_design
            else f"only {healthy}/{expected} pods healthy ({desired} required by {rule})"
        )
        findings.append(
            make_finding(
                "pdb-no-disruption",
                f"{ns}/{name}",
                severity=Severity.WARNING if by_design or blocked else Severity.INFO,
                title=f"PodDisruptionBudget {ns}/{name} allows no disruption: {why}"
                + ("; node drains are blocked" if blocked else "")
                + "".join(f"; its pod {p} cannot leave cordoned node {n}" for p, n in stuck[:2]),
                resources=[
                    o.path("PodDisruptionBudget", pdb),
                    *(o.path("Pod", p) for p in pods[:3]),
                    *dict.fromkeys(f"Node/{n}" for _, n in stuck[:2]),
                ],
                evidence=[
                    object_evidence(
                        "PodDisruptionBudget",
                        pdb,
                        f"{rule}; currentHealthy={healthy}, desiredHealthy={desired}, "
                        f"expectedPods={expected}, disruptionsAllowed=0",
                    ),
                    *(event_evidence(e) for e in blocked[:2]),
                ],
                # By design it is a misconfiguration; otherwise the pods' own health is the cause.
                cause=CauseCategory.BAD_CONFIG if by_design else None,
                # A drain it blocks is what a node-rotation alert is about.
                relevance=max(relevance, 0.9)
                if blocked or (by_design and any(n == analysis.scope.node for _, n in stuck))
                else relevance
                if by_design
                else relevance * 0.7,
            )
        )
    return findings
