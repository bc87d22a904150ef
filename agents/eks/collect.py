"""What the EKS scanner fetches for an alert, bounded in size and time.

Scope: the alert's namespace; with only a pod or workload name, the namespace is found from a
cluster-wide pod list; with no hint at all, cluster-wide lists (no ConfigMaps, Secrets or
Services). Cluster-scoped kinds (nodes, namespaces, volumes, storage and ingress classes, admission
webhooks, Gateway API classes, Karpenter NodeClaims and NodePools, cert-manager ClusterIssuers),
Gateways and ReferenceGrants of every namespace, and the events of Nodes, NodeClaims and NodePools
are listed once. Lists run six at a time, each capped (`limit`), and stop at the budget; a kind the
cluster does not serve (Gateway API without its CRDs) or may not be read (RBAC) is noted and
skipped. The kinds no fixed list names are found through discovery and read in the same scope
(`agents/eks/discover.py`). Then the Services and Endpoints of admission webhooks that fail
closed, read by name (at most four), and the log tails (current and previous container) of at
most three affected pods. Last, the cluster DNS's state in kube-system, for every alert
(`agents.eks.cluster_dns`).
"""

from __future__ import annotations

import logging
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from agents.common.base import Budget
from agents.common.scope import Scope, workload_of_pod
from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis
from agents.eks.analyzers.endpoints import (
    Endpoint,
    ingress_rules,
    route_hosts,
    route_paths,
    route_services,
    served_relevance,
)
from agents.eks.analyzers.netpol_ingress import dependency_namespaces
from agents.eks.analyzers.provisioners import CONTROLLERS, provisioner_controllers, waited_drivers
from agents.eks.cluster_dns import add_cluster_dns
from agents.eks.discover import read_discovered
from agents.eks.mentions import mentioned_workloads, scoped_to
from agents.eks.objects import Obj
from agents.eks.reader import RESOURCES, KubeReader, NotServed
from agents.eks.state import ClusterState
from shared.errors import SourceError
from shared.relevance import Relevance

logger = logging.getLogger(__name__)

CERT_MANAGER = ("Certificate", "CertificateRequest", "Issuer", "Challenge", "Order")
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
    "CronJob",
    "PodDisruptionBudget",
    "Ingress",
    "NetworkPolicy",
    "HTTPRoute",
    "ServiceAccount",
    "ResourceQuota",
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
    "CronJob",
    "PodDisruptionBudget",
)
# Listed once whatever the scope: cluster-scoped, or (Gateways, ReferenceGrants) living in other
# namespaces than the routes and backends that use them.
ONCE = (
    "Node",
    "Namespace",
    "PersistentVolume",
    "StorageClass",
    "VolumeAttachment",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "GatewayClass",
    "Gateway",
    "ReferenceGrant",
    "NodeClaim",
    "NodePool",
    "ClusterIssuer",
    # cert-manager's objects are few (one Certificate per TLS Secret) and a failing one is often
    # another namespace's (the dependency's serving certificate): listed in every namespace.
    *CERT_MANAGER,
)
# Listed cluster-wide when the alert names a URL and no namespace: what serves the URL.
ROUTES = ("Ingress", "HTTPRoute")
# Read in the namespaces of the routes serving the alert's URL: what the routes send traffic to, and
# the TLS Secrets they terminate with (metadata only).
ROUTE_BACKENDS = ("Service", "Endpoints", "Secret")
# Read in the namespaces of the alert's pods' dependencies: what may refuse their traffic.
DEPENDENCY_KINDS = ("NetworkPolicy", "Service")
# Cluster-scoped kinds whose events a cluster-wide scan keeps whatever their type.
CLUSTER_EVENTS = ("Node", "NodeClaim", "NodePool")
WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")


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
    webhook_services: int = 4
    route_namespaces: int = 2
    dependency_namespaces: int = 2
    node_events: int = 200
    workers: int = 6


# More than a node runs (EKS caps pods per node at 110 on the largest instances without prefix delegation).
PODS_PER_NODE = 250


@dataclass(frozen=True)
class ListJob:
    kind: str
    namespace: str | None = None
    field_selector: str | None = None
    limit: int | None = None


@dataclass
class Gathered:
    state: ClusterState
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # The alert's scope narrowed by the workloads its prose names, when its hints found nothing.
    scope: Scope | None = None
    # Crashing pods of a controller the alert's objects wait on (a CSI provisioner's): their
    # crashed container's log says why the controller is down.
    backend_crashes: list[tuple[Obj, str]] = field(default_factory=list)


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


def _scope_from_names(
    reader: KubeReader,
    scope: Scope,
    budget: Budget,
    limits: Limits,
    names: tuple[str, ...],
    pods: list[Obj] | None,
    words: dict[str, int] | None = None,
) -> tuple[Scope | None, list[Obj] | None]:
    """The scope narrowed to the workloads `names` holds, found among the cluster's pods, else among
    its Deployments and StatefulSets (a workload with no pod left); the pod list, read once, too."""
    try:
        if pods is None:
            pods, _ = reader.list("Pod", budget, limit=limits.pods)
        found = mentioned_workloads(names, pods, words)
        if not found:
            controllers: list[Obj] = []
            for kind in ("Deployment", "StatefulSet"):
                items, _ = reader.list(kind, budget, limit=limits.objects)
                controllers += items
            found = mentioned_workloads(names, controllers, words)
    except SourceError:
        return None, pods
    return (scoped_to(scope, found) if found else None), pods


def gather(
    reader: KubeReader,
    scope: Scope,
    budget: Budget,
    limits: Limits = Limits(),
    endpoints: tuple[Endpoint, ...] = (),
    names: tuple[str, ...] = (),
    words: dict[str, int] | None = None,
) -> Gathered:
    """What the scanner reads for the alert. With the alert's URLs (`endpoints`) and no namespace,
    the Ingresses and HTTPRoutes of every namespace too, then the Services and Endpoints of those
    that serve the alerted URLs. With no namespace found from the hints, the workloads the alert's
    prose names (`names`, see `agents.eks.mentions`) set the namespace and the scope."""
    notes: list[str] = []
    namespace = scope.namespace
    prefetched: list[Obj] | None = None
    narrowed: Scope | None = None
    if namespace is None and (scope.pod or scope.workload):
        namespace, prefetched = find_namespace(reader, scope, budget, limits)
        if namespace:
            notes.append(f"Namespace {namespace} found from the pod list (the alert named none).")
        elif not names:
            notes.append(
                f"No pod named like {scope.pod or scope.workload} in the first {limits.pods} pods: "
                "scanned cluster-wide."
            )
    if namespace is None and (names or words):
        narrowed, prefetched = _scope_from_names(reader, scope, budget, limits, names, prefetched, words)
        if narrowed is not None:
            namespace = narrowed.namespace
            scope = narrowed
            notes.append(
                f"Namespace {namespace} found from the workloads the alert names ({narrowed.workload}"
                + (f", {narrowed.service}" if narrowed.service else "")
                + ")."
            )
    kinds = NAMESPACED if namespace else CLUSTER_WIDE + (ROUTES if endpoints else ())
    state = ClusterState(namespaces=[namespace] if namespace else None)
    # What is not listed was not read: no analyzer may take its absence as a fact.
    state.incomplete.update(k for k in RESOURCES if k not in kinds and k not in ONCE)
    gathered = Gathered(state, notes, scope=narrowed)
    jobs = [
        ListJob(k, namespace, "type=Warning" if k == "Event" and not namespace else None)
        for k in kinds
        if not (k == "Pod" and prefetched is not None and not namespace)
    ]
    jobs += [ListJob(k) for k in ONCE]
    state.cluster_wide.update(ONCE)
    # Events about cluster-scoped objects live outside the alert's namespace, in `default`: Nodes'
    # (drains, spot interruptions, kubelet restarts), Karpenter's NodeClaims' (failed launches) and
    # NodePools'. One list of them all (a field selector takes no alternatives, and each selector
    # makes the API server filter every event it holds).
    jobs.append(ListJob("Event", "default", "involvedObject.namespace=", limits.node_events))
    if prefetched is not None and not namespace:
        state.objects["Pod"] = prefetched
    _run_lists(reader, jobs, budget, limits, gathered)
    gathered.notes += read_discovered(reader, budget, state, scope.names)
    _dedupe_events(state)
    if not namespace:
        state.objects["Event"] = [
            e for e in state.kind("Event") if e.get("type") == "Warning" or o.involved(e)[0] in CLUSTER_EVENTS
        ]
        gathered.notes.append(
            "No namespace in the alert: listed cluster-wide (without ConfigMaps, Secrets and "
            "Services), each list capped."
        )
    if namespace and names and not (scope.pod or scope.workload or scope.service):
        # The alert names its namespace only: the workload its prose names there is its subject
        # (a pod's controller, else a controller with no pod running: a suspended CronJob, say).
        found = [m for m in mentioned_workloads(names, state.pods) if m.namespace == namespace] or [
            m for m in mentioned_workloads(names, _controllers(state)) if m.namespace == namespace
        ]
        if found:
            scope = gathered.scope = scoped_to(scope, found)
            gathered.notes.append(f"Workload {scope.workload} taken from the alert's text.")
    _fetch_webhook_backends(reader, budget, limits, gathered)
    _fetch_provisioner_controllers(reader, budget, limits, gathered)
    _fetch_pressured_node_pods(reader, scope, budget, gathered)
    if endpoints and not namespace:
        _fetch_route_backends(reader, budget, limits, gathered, endpoints)
    _fetch_logs(reader, scope, budget, limits, gathered)
    _fetch_dependency_policies(reader, scope, budget, limits, gathered, endpoints)
    add_cluster_dns(reader, budget, gathered.state, gathered.notes)
    return gathered


def _controllers(state: ClusterState) -> list[Obj]:
    return [
        w for kind in ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job") for w in state.kind(kind)
    ]


def _dedupe_events(state: ClusterState) -> None:
    """The namespace's events and the Nodes' events overlap when the alert is about `default`."""
    unique: dict[tuple[str | None, str], Obj] = {}
    for event in state.kind("Event"):
        unique.setdefault((o.namespace(event), o.name(event)), event)
    if state.kind("Event"):
        state.objects["Event"] = list(unique.values())


def webhook_services(state: ClusterState) -> list[tuple[str, str]]:
    """(namespace, name) of the Services behind admission webhooks that fail closed."""
    found: list[tuple[str, str]] = []
    for kind in WEBHOOK_KINDS:
        for config in state.kind(kind):
            for hook in config.get("webhooks") or []:
                service = ((hook or {}).get("clientConfig") or {}).get("service") or {}
                if (hook.get("failurePolicy") or "Fail") != "Fail" or not service.get("name"):
                    continue
                key = (str(service.get("namespace") or "default"), str(service["name"]))
                if key not in found:
                    found.append(key)
    return found


def _fetch_webhook_backends(reader: KubeReader, budget: Budget, limits: Limits, gathered: Gathered) -> None:
    """The Service and Endpoints of each fail-closed webhook outside the listed namespace, by name
    (the pods the Service selects when it has no Endpoints): when they are missing or have no
    ready address, every request the webhook matches fails."""
    state = gathered.state
    listed = set(state.namespaces or [])
    for ns, name in webhook_services(state)[: limits.webhook_services]:
        if ns in listed or budget.remaining() < 1.0:
            continue
        try:
            service = reader.get("Service", budget, ns, name)
            endpoints = reader.get("Endpoints", budget, ns, name) if service is not None else None
        except SourceError as e:
            gathered.notes.append(f"Webhook Service {ns}/{name}: not read ({e}).")
            continue
        state.looked_up.add(("Service", ns, name))
        for kind, found in (("Service", service), ("Endpoints", endpoints)):
            if found is not None:
                state.objects.setdefault(kind, []).append(found)
        selector = o.spec(service).get("selector") if service is not None else None
        if selector and not _ready_addresses(endpoints):
            _fetch_backend_workloads(reader, budget, gathered, ns, selector)
        if service is not None and endpoints is None and selector:
            # No Endpoints to tell: the pods the Service selects do.
            try:
                pods, _ = reader.list(
                    "Pod",
                    budget,
                    namespace=ns,
                    limit=20,
                    label_selector=",".join(f"{k}={v}" for k, v in sorted(selector.items())),
                )
            except SourceError as e:
                gathered.notes.append(f"Pods of webhook Service {ns}/{name}: not read ({e}).")
                continue
            state.looked_up.add(("Endpoints", ns, name))
            state.objects.setdefault("Pod", []).extend(pods)


def serving_namespaces(state: ClusterState, endpoints: tuple[Endpoint, ...]) -> list[str]:
    """The namespaces of the Ingresses and HTTPRoutes that serve one of the alert's URLs."""
    found: list[str] = []
    for ingress in state.kind("Ingress"):
        if any(served_relevance(endpoints, h, p) >= Relevance.DIRECT for h, p in ingress_rules(ingress)):
            found.append(o.namespace(ingress) or "default")
    for route in state.kind("HTTPRoute"):
        if served_relevance(endpoints, route_hosts(route), route_paths(route)) >= Relevance.DIRECT:
            found.append(o.namespace(route) or "default")
    return list(dict.fromkeys(found))


def _fetch_route_backends(
    reader: KubeReader,
    budget: Budget,
    limits: Limits,
    gathered: Gathered,
    endpoints: tuple[Endpoint, ...],
) -> None:
    """The Services, Endpoints and Secrets of the namespaces whose routes serve the alert's URLs:
    without them a route's backend or TLS Secret cannot be told missing or empty. They stay
    incomplete elsewhere."""
    namespaces = serving_namespaces(gathered.state, endpoints)[: limits.route_namespaces]
    if not namespaces:
        return
    jobs = [ListJob(kind, ns) for ns in namespaces for kind in ROUTE_BACKENDS]
    before = len(gathered.errors), len(gathered.notes)
    _run_lists(reader, jobs, budget, limits, gathered)
    if (len(gathered.errors), len(gathered.notes)) != before:
        return  # a list failed or was capped: absence proves nothing
    # Listed in full there: a backend named by a route of these namespaces and not found is absent.
    for kind in ("Ingress", "HTTPRoute"):
        for route in gathered.state.kind(kind):
            if o.namespace(route) in namespaces:
                for ns, name in route_services(route):
                    if ns in namespaces:
                        gathered.state.looked_up.update({("Service", ns, name), ("Endpoints", ns, name)})
                for tls in o.spec(route).get("tls") or [] if kind == "Ingress" else []:
                    if isinstance(tls, dict) and tls.get("secretName"):
                        gathered.state.looked_up.add(
                            ("Secret", o.namespace(route) or "default", str(tls["secretName"]))
                        )
    gathered.notes.append(
        f"Services, Endpoints and Secrets read in {', '.join(namespaces)}, "
        "whose routes serve the alerted URL."
    )


def _fetch_dependency_policies(
    reader: KubeReader,
    scope: Scope,
    budget: Budget,
    limits: Limits,
    gathered: Gathered,
    endpoints: tuple[Endpoint, ...] = (),
) -> None:
    """The NetworkPolicies and Services of the namespaces of the in-cluster dependencies the
    alert's pods time out on, are configured to call, or the alert names: a policy there may
    refuse them."""
    state = gathered.state
    listed = set(state.namespaces or [])
    if not listed or budget.remaining() < 1.0:
        return  # a cluster-wide scan reads no policies to compare with
    others = [ns for ns in dependency_namespaces(Analysis(scope, state, endpoints)) if ns not in listed]
    others = others[: limits.dependency_namespaces]
    if not others:
        return
    _run_lists(reader, [ListJob(k, ns) for ns in others for k in DEPENDENCY_KINDS], budget, limits, gathered)
    gathered.notes.append(
        f"NetworkPolicies and Services read in {', '.join(others)}, where the alert's pods' dependencies run."
    )


def _fetch_provisioner_controllers(
    reader: KubeReader, budget: Budget, limits: Limits, gathered: Gathered
) -> None:
    """The controllers (and their pods) of the external provisioners Pending claims wait for, when
    they run outside the listed namespaces: a claim that waits is answered by their state."""
    state = gathered.state
    drivers = waited_drivers(state.events)
    known = [w for kind in CONTROLLERS for w in state.kind(kind)]
    drivers = [d for d in drivers if not provisioner_controllers(known, d)]
    if not drivers or budget.remaining() < 1.0:
        return
    for kind in CONTROLLERS:
        try:
            items, _ = reader.list(kind, budget, limit=limits.objects)
        except SourceError as e:
            gathered.notes.append(f"{kind}s (provisioner controllers): not read ({e}).")
            continue
        for workload in {id(w): w for d in drivers for w in provisioner_controllers(items, d)}.values():
            state.objects.setdefault(kind, []).append(workload)
            labels = (o.spec(workload).get("selector") or {}).get("matchLabels") or {}
            if not labels:
                continue
            try:
                pods, _ = reader.list(
                    "Pod",
                    budget,
                    namespace=o.namespace(workload),
                    limit=20,
                    label_selector=",".join(f"{k}={v}" for k, v in sorted(labels.items())),
                )
            except SourceError as e:
                gathered.notes.append(
                    f"Pods of {kind} {o.namespace(workload)}/{o.name(workload)}: not read ({e})."
                )
                continue
            listed = {(o.namespace(p), o.name(p)) for p in state.pods}
            state.objects.setdefault("Pod", []).extend(
                p for p in pods if (o.namespace(p), o.name(p)) not in listed
            )
            crashed = _crashed_container(pods)
            if crashed is not None:
                gathered.backend_crashes.append(crashed)


def _ready_addresses(endpoints: Obj | None) -> int:
    return sum(len(s.get("addresses") or []) for s in (endpoints or {}).get("subsets") or [])


def _fetch_backend_workloads(
    reader: KubeReader, budget: Budget, gathered: Gathered, ns: str, selector: dict[str, str]
) -> None:
    """The controllers of a webhook Service without ready backends (those whose pod template it
    selects): scaled to zero, or failing, they say why. Only those are kept."""
    for kind in ("Deployment", "StatefulSet"):
        try:
            items, _ = reader.list(kind, budget, namespace=ns, limit=100)
        except SourceError as e:
            gathered.notes.append(f"{kind}s of {ns} (webhook backends): not read ({e}).")
            continue
        known = {(o.namespace(w), o.name(w)) for w in gathered.state.kind(kind)}
        for workload in items:
            labels = ((o.spec(workload).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if (
                o.selector_matches(selector, labels)
                and (o.namespace(workload), o.name(workload)) not in known
            ):
                gathered.state.objects.setdefault(kind, []).append(workload)


def _run_lists(
    reader: KubeReader, jobs: list[ListJob], budget: Budget, limits: Limits, gathered: Gathered
) -> None:
    state = gathered.state
    unreachable: list[str] = []
    not_served: dict[str, list[str]] = {}
    pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="eks-list")
    try:
        futures: dict[Future[tuple[list[Obj], bool]], str] = {}
        for job in jobs:
            futures[
                pool.submit(
                    reader.list,
                    job.kind,
                    budget,
                    namespace=job.namespace,
                    limit=job.limit or _limit(job.kind, limits),
                    field_selector=job.field_selector,
                )
            ] = job.kind
        pending = set(futures)
        while pending and not budget.expired():
            done, pending = wait(
                pending, timeout=max(0.05, budget.remaining() - 0.5), return_when=FIRST_COMPLETED
            )
            for future in done:
                kind = futures[future]
                try:
                    items, truncated = future.result()
                except NotServed as e:
                    group = e.resource.api.rsplit("/", 1)[0] if "/" in e.resource.api else "core"
                    not_served.setdefault(group, []).append(kind)
                    continue
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
    for group, kinds in sorted(not_served.items()):
        listed = ", ".join(sorted(kinds))
        gathered.notes.append(f"{group} not served by this cluster (not installed): {listed} not read.")
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
        # An init container that has not finished holds the pod's story (it waits on something):
        # read it first; the app containers behind it have not started.
        waiting_init = [
            (str(cs.get("name")), int(cs.get("restartCount") or 0))
            for cs in o.status(pod).get("initContainerStatuses") or []
            if not cs.get("ready") and ("running" in (cs.get("state") or {}) or cs.get("restartCount"))
        ]
        bad = waiting_init + [
            (str(cs.get("name")), int(cs.get("restartCount") or 0))
            for cs in statuses
            if not cs.get("ready") or int(cs.get("restartCount") or 0) > 0
        ]
        relevance = scope.relevance(o.namespace(pod), o.name(pod))
        if scope.workload and workload_of_pod(o.name(pod)) == scope.workload:
            relevance = max(relevance, 0.95)
        if scope.has_target and relevance < Relevance.NEAR:
            continue
        if not bad:
            if relevance >= Relevance.DIRECT and statuses and o.status(pod).get("phase") == "Running":
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


def _fetch_pressured_node_pods(reader: KubeReader, scope: Scope, budget: Budget, gathered: Gathered) -> None:
    """Every pod on a node under disk pressure that hosts the alert's pods (or is its node), when
    the scan read one namespace: the pod filling the node's disk may run in another."""
    state = gathered.state
    if not state.namespaces or budget.remaining() < 1.0:
        return
    hosting = {
        o.spec(p).get("nodeName") for p in state.pods if scope.relevance(o.namespace(p), o.name(p)) >= 0.9
    }
    pressured = [
        o.name(n)
        for n in state.kind("Node")
        if o.conditions(n).get("DiskPressure", {}).get("status") == "True"
        and (o.name(n) in hosting or o.name(n) == scope.node)
    ]
    listed = {(o.namespace(p), o.name(p)) for p in state.pods}
    for node in pressured[:2]:
        try:
            pods, _ = reader.list("Pod", budget, limit=PODS_PER_NODE, field_selector=f"spec.nodeName={node}")
        except SourceError as e:
            gathered.notes.append(f"Pods on node {node}: not read ({e}).")
            continue
        fresh = [p for p in pods if (o.namespace(p), o.name(p)) not in listed]
        listed.update((o.namespace(p), o.name(p)) for p in fresh)
        state.objects.setdefault("Pod", []).extend(fresh)


def _crashed_container(pods: list[Obj]) -> tuple[Obj, str] | None:
    """The pod and container, among `pods`, that restarted most and is not ready."""
    worst: tuple[int, Obj, str] | None = None
    for pod in pods:
        for cs in o.status(pod).get("containerStatuses") or []:
            restarts = int(cs.get("restartCount") or 0)
            if not cs.get("ready") and restarts > 0 and (worst is None or restarts > worst[0]):
                worst = (restarts, pod, str(cs.get("name")))
    return (worst[1], worst[2]) if worst else None


def _fetch_logs(reader: KubeReader, scope: Scope, budget: Budget, limits: Limits, gathered: Gathered) -> None:
    private: set[str] = set()
    chosen = affected_pods(gathered.state, scope, limits.log_pods)
    seen = {(o.namespace(p), o.name(p)) for p, _ in chosen}
    chosen += [
        (pod, [(container, 1)])
        for pod, container in gathered.backend_crashes[:1]
        if (o.namespace(pod), o.name(pod)) not in seen
    ]
    for pod, containers in chosen:
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
