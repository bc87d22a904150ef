"""The EKS scanner's Strands tools (LLM mode): read-only, bounded, over the same fetchers
(`reader.KubeReader`) and analyzers as the deterministic scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strands import tool

from agents.common.base import Budget
from agents.common.scope import Scope
from agents.eks import objects as o
from agents.eks.analyzers import analyze
from agents.eks.analyzers.logs import error_lines
from agents.eks.collect import Limits, gather
from shared.errors import SourceError

_TOOL_BUDGET_S = 20.0


def make_tools(scanner: Any) -> list[Any]:
    """The read-only Strands tools of an `EksScanner`, over the same fetchers and analyzers as its
    deterministic scan; each call has its own 20 s budget and capped lists."""

    def scope_for(namespace: str = "", workload: str = "", pod: str = "") -> Scope:
        now = datetime.now(UTC)
        return Scope(
            anchor=now,
            window_start=now - timedelta(hours=1),
            window_end=now,
            namespace=namespace or None,
            workload=workload or None,
            pod=pod or None,
            cluster=scanner.source.cluster,  # the configured cluster, for EKS-by-name access
            region=scanner.config.sources.aws.region,
        )

    def findings_for(scope: Scope) -> dict[str, Any]:
        budget = Budget.of(_TOOL_BUDGET_S)
        try:
            reader = scanner.reader(scope, budget)
            gathered = gather(reader, scope, budget, Limits(log_pods=2))
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        findings, notes = analyze(gathered.state, scope, scanner.signatures())
        return {
            "status": "ok" if findings else "no_data",
            "notes": gathered.notes + notes,
            "errors": gathered.errors,
            "findings": [f.model_dump(mode="json", exclude_none=True) for f in findings[:25]],
        }

    @tool
    def triage_namespace(namespace: str) -> dict:
        """Run every Kubernetes analyzer on one namespace: pods (CrashLoopBackOff with exit codes,
        OOMKilled, image pulls, config errors, Pending, Evicted, not ready, lifecycle hooks, missing
        imagePullSecrets), Deployments, ReplicaSets, StatefulSets, Jobs and CronJobs, HPAs, PDBs,
        PVCs, PVs and StorageClasses, Services, Ingresses, Gateway API routes, NetworkPolicies,
        admission webhooks, nodes (conditions, spot interruptions, drains), Warning events, recent
        rollouts and ConfigMap/Secret changes, and the log tails of the worst pods. Returns
        findings with evidence (object paths like `shop/Pod/checkout-7d9f8c6b5-x2k4p`).

        Args:
            namespace: the Kubernetes namespace, e.g. "shop".
        """
        return findings_for(scope_for(namespace=namespace))

    @tool
    def triage_workload(workload: str, namespace: str = "") -> dict:
        """Like triage_namespace, focused on one workload (Deployment / StatefulSet name): its pods,
        rollout history with the image and env diff between revisions, and the ConfigMaps and Secrets
        it uses (Secret values are never read). If namespace is empty it is found from the pod list.

        Args:
            workload: the workload name, e.g. "checkout".
            namespace: its namespace, if known.
        """
        return findings_for(scope_for(workload=workload, namespace=namespace))

    @tool
    def get_pod_logs(
        namespace: str, pod: str, container: str = "", previous: bool = False, tail_lines: int = 100
    ) -> dict:
        """Read the tail of one container's log (at most 500 lines / 64 kB) and its error lines.

        Args:
            namespace: the pod's namespace.
            pod: the pod name.
            container: the container name (empty: the pod's first container).
            previous: true for the previous (crashed) container instance.
            tail_lines: how many lines from the end, 1 to 500 (default 100).
        """
        budget = Budget.of(_TOOL_BUDGET_S)
        scope = scope_for(namespace=namespace, pod=pod)
        try:
            reader = scanner.reader(scope, budget)
            if reader.logs_private(namespace):
                return {"status": "error", "error": f"pod logs of namespace {namespace} are private"}
            if not container:
                pods, _ = reader.list(
                    "Pod", budget, namespace=namespace, field_selector=f"metadata.name={pod}"
                )
                match = [p for p in pods if o.name(p) == pod]
                containers = (match[0].get("spec") or {}).get("containers") or [] if match else []
                container = containers[0].get("name", "") if containers else ""
            text = reader.pod_log(
                budget,
                namespace,
                pod,
                container,
                previous=previous,
                tail_lines=max(1, min(int(tail_lines), 500)),
            )
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        if text is None:
            return {"status": "no_data", "container": container, "log": ""}
        return {
            "status": "ok",
            "container": container,
            "error_lines": error_lines(text, scanner.signatures(), 10),
            "log": text[-16_000:],
        }

    @tool
    def list_nodes() -> dict:
        """List the cluster's nodes (at most 200) with Ready, pressure conditions, cordon state and
        instance type."""
        budget = Budget.of(_TOOL_BUDGET_S)
        try:
            nodes, truncated = scanner.reader(scope_for(), budget).list("Node", budget, limit=200)
        except SourceError as e:
            return {"status": "error", "error": str(e)}
        return {
            "status": "ok",
            "truncated": truncated,
            "nodes": [
                {
                    "name": o.name(n),
                    "instance_type": o.labels(n).get("node.kubernetes.io/instance-type"),
                    "unschedulable": bool(o.spec(n).get("unschedulable")),
                    "conditions": {t: c.get("status") for t, c in o.conditions(n).items()},
                }
                for n in nodes
            ],
        }

    return [triage_namespace, triage_workload, get_pod_logs, list_nodes]
