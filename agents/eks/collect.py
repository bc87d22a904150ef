"""What the EKS scanner fetches for an alert, bounded in size and time.

Scope: the alert's namespace; with only a pod or workload name, the namespace is found from a
cluster-wide pod list; with no hint at all, cluster-wide lists (no ConfigMaps, Secrets or
Services). Lists run four at a time, each capped (`limit`), and stop at the budget. Then the log
tails (current and previous container) of at most three affected pods.
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from agents.common.base import Budget
from agents.common.scope import Scope, workload_of_pod
from agents.eks import objects as o
from agents.eks.objects import Obj
from agents.eks.reader import RESOURCES, KubeReader
from agents.eks.state import ClusterState
from shared.errors import SourceError

logger = logging.getLogger(__name__)

NAMESPACED = (
    "Pod",
    "Event",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Service",
    "Endpoints",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "ConfigMap",
    "Secret",
)
CLUSTER_WIDE = (
    "Pod",
    "Event",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
)


@dataclass(frozen=True)
class Limits:
    pods: int = 500
    events: int = 500
    objects: int = 300
    nodes: int = 200
    log_pods: int = 3
    log_containers: int = 2
    tail_lines: int = 100
    log_bytes: int = 64_000
    workers: int = 4


@dataclass
class Gathered:
    state: ClusterState
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _limit(kind: str, limits: Limits) -> int:
    return {"Pod": limits.pods, "Event": limits.events, "Node": limits.nodes}.get(kind, limits.objects)


def find_namespace(
    reader: KubeReader, scope: Scope, budget: Budget, limits: Limits
) -> tuple[str | None, list[Obj]]:
    """The namespace of the alert's pod or workload, from a cluster-wide pod list (also returned)."""
    pods, _ = reader.list("Pod", budget, limit=limits.pods)
    for pod in pods:
        name = o.name(pod)
        if (scope.pod and name == scope.pod) or (scope.workload and workload_of_pod(name) == scope.workload):
            return o.namespace(pod), pods
    return None, pods


def gather(reader: KubeReader, scope: Scope, budget: Budget, limits: Limits = Limits()) -> Gathered:
    notes: list[str] = []
    namespace = scope.namespace
    prefetched: list[Obj] | None = None
    if namespace is None and (scope.pod or scope.workload):
        namespace, prefetched = find_namespace(reader, scope, budget, limits)
        if namespace:
            notes.append(f"Namespace {namespace} found from the pod list (the alert named none).")
        else:
            notes.append(
                f"No pod named like {scope.pod or scope.workload} in the first {limits.pods} pods: "
                "scanned cluster-wide."
            )
    kinds = NAMESPACED if namespace else CLUSTER_WIDE
    state = ClusterState(namespaces=[namespace] if namespace else None)
    # What is not listed was not read: no analyzer may take its absence as a fact.
    state.incomplete.update(k for k in RESOURCES if k not in kinds and k != "Node")
    gathered = Gathered(state, notes)
    jobs: list[tuple[str, str | None]] = [
        (k, namespace) for k in kinds if not (k == "Pod" and prefetched and not namespace)
    ]
    jobs.append(("Node", None))
    if prefetched is not None and not namespace:
        state.objects["Pod"] = prefetched
    _run_lists(reader, jobs, budget, limits, gathered)
    if not namespace:
        state.objects["Event"] = [e for e in state.kind("Event") if e.get("type") == "Warning"]
        gathered.notes.append(
            "No namespace in the alert: listed cluster-wide (without ConfigMaps, Secrets and "
            "Services), each list capped."
        )
    _fetch_logs(reader, scope, budget, limits, gathered)
    return gathered


def _run_lists(
    reader: KubeReader, jobs: list[tuple[str, str | None]], budget: Budget, limits: Limits, gathered: Gathered
) -> None:
    state = gathered.state
    unreachable: list[str] = []
    pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="eks-list")
    try:
        futures: dict[Future[tuple[list[Obj], bool]], str] = {}
        for kind, ns in jobs:
            field_selector = "type=Warning" if kind == "Event" and ns is None else None
            futures[
                pool.submit(
                    reader.list,
                    kind,
                    budget,
                    namespace=ns,
                    limit=_limit(kind, limits),
                    field_selector=field_selector,
                )
            ] = kind
        pending = set(futures)
        while pending and not budget.expired():
            done, pending = wait(
                pending, timeout=max(0.05, budget.remaining() - 0.5), return_when=FIRST_COMPLETED
            )
            for future in done:
                kind = futures[future]
                try:
                    items, truncated = future.result()
                except SourceError as e:
                    state.incomplete.add(kind)
                    text = str(e)
                    if "HTTP 403" in text:
                        gathered.notes.append(f"{kind}: not readable with this identity (RBAC), skipped.")
                    elif "unreachable" in text:
                        unreachable.append(text)
                    else:
                        gathered.errors.append(text)
                    continue
                state.objects.setdefault(kind, []).extend(items)
                if truncated:
                    state.incomplete.add(kind)
                    gathered.notes.append(f"{kind}: list capped at {_limit(kind, limits)} objects.")
            if budget.remaining() <= 0.5:
                break
        for future in pending:
            state.incomplete.add(futures[future])
            future.cancel()
        if pending:
            gathered.notes.append(
                "Budget spent before listing: " + ", ".join(sorted(futures[f] for f in pending))
            )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if unreachable and len(unreachable) == len(jobs):
        raise SourceError(unreachable[0])
    gathered.errors.extend(dict.fromkeys(unreachable))


def affected_pods(state: ClusterState, scope: Scope, limit: int) -> list[tuple[Obj, list[tuple[str, int]]]]:
    """Pods whose logs are worth reading, with the containers (name, restartCount) to read.

    The alert's own pods that are not ready or restarted come first, then other unhealthy pods in
    scope. When every pod of the alert's workload looks healthy (errors without crashes, say), its
    newest pods are read anyway: the errors are in their logs."""
    ranked: list[tuple[float, str, Obj, list[tuple[str, int]]]] = []
    healthy_in_scope: list[tuple[str, str, Obj, list[tuple[str, int]]]] = []
    for pod in state.pods:
        statuses = o.status(pod).get("containerStatuses") or []
        bad = [
            (str(cs.get("name")), int(cs.get("restartCount") or 0))
            for cs in statuses
            if not cs.get("ready") or int(cs.get("restartCount") or 0) > 0
        ]
        relevance = scope.relevance(o.namespace(pod), o.name(pod))
        if scope.workload and workload_of_pod(o.name(pod)) == scope.workload:
            relevance = max(relevance, 0.95)
        if scope.has_target and relevance < 0.6:
            continue
        if not bad:
            if relevance >= 0.9 and statuses and o.status(pod).get("phase") == "Running":
                created = str(o.meta(pod).get("creationTimestamp", ""))
                healthy_in_scope.append((created, o.name(pod), pod, [(str(statuses[0].get("name")), 0)]))
            continue
        ranked.append((-relevance, o.name(pod), pod, bad))
    ranked.sort(key=lambda r: (r[0], r[1]))
    chosen = [(pod, bad) for _, _, pod, bad in ranked[:limit]]
    if not any(scope.relevance(o.namespace(p), o.name(p)) >= 0.9 for p, _ in chosen) and healthy_in_scope:
        healthy_in_scope.sort(key=lambda r: (r[0], r[1]), reverse=True)  # newest first
        chosen = [(pod, containers) for _, _, pod, containers in healthy_in_scope[:2]] + chosen
    return chosen[:limit]


def _fetch_logs(reader: KubeReader, scope: Scope, budget: Budget, limits: Limits, gathered: Gathered) -> None:
    private: set[str] = set()
    for pod, containers in affected_pods(gathered.state, scope, limits.log_pods):
        ns, name = o.namespace(pod) or "default", o.name(pod)
        if reader.logs_private(ns):
            if ns not in private:
                private.add(ns)
                gathered.notes.append(f"Pod logs of namespace {ns} are private: not read.")
            continue
        for container, restarts in containers[: limits.log_containers]:
            for previous in (False, True) if restarts > 0 else (False,):
                if budget.remaining() < 1.5:
                    gathered.notes.append("Budget spent before every pod log was read.")
                    return
                try:
                    text = reader.pod_log(
                        budget,
                        ns,
                        name,
                        container,
                        previous=previous,
                        tail_lines=limits.tail_lines,
                        limit_bytes=limits.log_bytes,
                    )
                except SourceError as e:
                    gathered.errors.append(str(e))
                    return
                if text:
                    gathered.state.logs[f"{ns}/{name}/{container}" + ("/previous" if previous else "")] = text
