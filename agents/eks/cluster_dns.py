"""The cluster DNS, read for every alert: every workload resolves names through it, so its state is
on every path. Read bounded and cheaply, state only (kube-system's pod logs stay private): the DNS
Deployments of kube-system (CoreDNS or kube-dns, by the labels `dns_placement.is_dns` knows), their
pods and ReplicaSets (by the Deployment's selector), the ConfigMap they mount (the Corefile), the
Service that selects their pods and its Endpoints, the Deployment's events and the Warning events
of its pods. Nothing is read when the scan already listed kube-system. What is read joins the
state beside the alert's namespace (never replacing what was listed there); the analyzers rate it
as context unless the alert's own evidence shows lookups failing."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agents.common.base import Budget
from agents.eks import objects as o
from agents.eks.analyzers.cluster_dns import dns_deployments, mounted_config_maps
from agents.eks.analyzers.dns_placement import is_dns
from agents.eks.objects import Obj
from agents.eks.reader import KubeReader
from agents.eks.state import ClusterState
from shared.errors import SourceError

DNS_NAMESPACE = "kube-system"
# kube-system holds few Deployments and Services; a DNS Deployment runs a handful of pods.
LIST_LIMIT = 100
PODS_LIMIT = 30
EVENTS_LIMIT = 100
FALLBACK_SELECTOR = "k8s-app=kube-dns"
MIN_BUDGET = 1.0


@dataclass
class DnsRead:
    """What was read of the cluster DNS, and what could not be."""

    objects: list[Obj] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _selector(deployment: Obj) -> str:
    labels = (o.spec(deployment).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _run(budget: Budget, calls: dict[str, Callable[[], list[Obj]]], read: DnsRead) -> dict[str, list[Obj]]:
    """The calls, at most four at a time; a call that fails is noted and yields nothing."""
    out: dict[str, list[Obj]] = {}
    if not calls or budget.remaining() < MIN_BUDGET:
        return out
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="eks-dns")
    try:
        futures = {what: pool.submit(call) for what, call in calls.items()}
        for what, future in futures.items():
            try:
                out[what] = future.result(timeout=max(0.1, budget.remaining() - 0.5))
            except SourceError as e:
                read.notes.append(f"Cluster DNS {what}: not read ({e}).")
            except TimeoutError:
                read.notes.append(f"Cluster DNS {what}: not read (budget spent).")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return out


def read_cluster_dns(reader: KubeReader, budget: Budget) -> DnsRead:
    """The cluster DNS's objects (see the module's docstring), in two rounds of parallel reads."""
    read = DnsRead()

    def listing(kind: str, limit: int, **kwargs: str) -> Callable[[], list[Obj]]:
        return lambda: reader.list(kind, budget, namespace=DNS_NAMESPACE, limit=limit, **kwargs)[0]

    def getting(kind: str, name: str) -> Callable[[], list[Obj]]:
        def call() -> list[Obj]:
            found = reader.get(kind, budget, DNS_NAMESPACE, name)
            return [found] if found is not None else []

        return call

    first = _run(
        budget,
        {"Deployments": listing("Deployment", LIST_LIMIT), "Services": listing("Service", LIST_LIMIT)},
        read,
    )
    deployments = dns_deployments(first.get("Deployments", []))
    services = first.get("Services", [])
    selectors = list(dict.fromkeys(s for d in deployments if (s := _selector(d)))) or [FALLBACK_SELECTOR]
    calls: dict[str, Callable[[], list[Obj]]] = {}
    for selector in selectors[:2]:
        calls[f"pods ({selector})"] = listing("Pod", PODS_LIMIT, label_selector=selector)
        calls[f"ReplicaSets ({selector})"] = listing("ReplicaSet", 20, label_selector=selector)
    for deployment in deployments[:2]:
        calls[f"events of Deployment {o.name(deployment)}"] = listing(
            "Event", EVENTS_LIMIT, field_selector=f"involvedObject.name={o.name(deployment)}"
        )
        for name in mounted_config_maps(deployment)[:1]:
            calls[f"ConfigMap {name}"] = getting("ConfigMap", name)
    calls["Warning events"] = listing("Event", EVENTS_LIMIT, field_selector="type=Warning")
    second = _run(budget, calls, read)
    pods = [p for what, items in second.items() if what.startswith("pods") for p in items]
    # The Services that select the DNS pods (kube-dns), and their Endpoints.
    serving = [
        s
        for s in services
        if (
            (wanted := o.spec(s).get("selector"))
            and any(o.selector_matches(wanted, o.labels(p)) for p in pods)
        )
        or (not pods and is_dns(o.labels(s)))
    ]
    endpoints = {f"Endpoints {o.name(s)}": getting("Endpoints", o.name(s)) for s in serving[:2]}
    third = _run(budget, endpoints, read)
    names = [o.name(d) for d in deployments] + [o.name(p) for p in pods]
    for what, items in second.items():
        if what == "Warning events":
            # Only the DNS pods' and ReplicaSets' own warnings: kube-system holds every node agent's.
            items = [e for e in items if any(o.involved(e)[2].startswith(n) for n in names)]
        read.objects += items
    read.objects += deployments + serving + [e for items in third.values() for e in items]
    return read


def add_cluster_dns(reader: KubeReader, budget: Budget, state: ClusterState, notes: list[str]) -> None:
    """Read the cluster DNS (unless the scan listed kube-system already) into `state`, beside what
    was listed; an object already there is kept as listed."""
    if state.namespaces is not None and DNS_NAMESPACE in state.namespaces:
        return
    if budget.remaining() < MIN_BUDGET:
        notes.append("Cluster DNS not read: budget spent.")
        return
    read = read_cluster_dns(reader, budget)
    notes += read.notes
    merge(state, read.objects)


def merge(state: ClusterState, objects: list[Obj]) -> None:
    known = {(str(x.get("kind")), o.namespace(x), o.name(x)) for k in state.objects.values() for x in k}
    for obj in objects:
        key = (str(obj.get("kind")), o.namespace(obj), o.name(obj))
        if key not in known:
            known.add(key)
            state.objects.setdefault(key[0], []).append(obj)
