"""What else the cluster serves: the kinds the scanner has no reader for, found through the API
server's discovery, and their objects in the alert's scope.

An alert may be about any object: an ExternalSecret that cannot sync, a TargetGroupBinding, a KEDA
ScaledObject, an Argo CD Application or Rollout, a Flux HelmRelease, a Crossplane claim, a
Karpenter EC2NodeClass. Their controllers write what is wrong into the object's status, so reading
the object is enough to say it (see `analyzers/conditions.py`).

Discovery is asked once per investigation: `/apis` (the aggregated document when the server
offers it, kube-apiserver 1.30+; else the group list, then each group's preferred version) and
`/api/v1`. Groups of high volume or no diagnostic value (events, metrics, leases, endpoint slices,
authorization, API registration, the built-in groups the fixed readers cover) are passed over, as
are resources without the `list` verb, subresources and Secrets. Namespaced kinds are listed in the
alert's namespace (across namespaces when the scan is cluster-wide); cluster-scoped kinds of
custom groups only, those the read objects refer to first. Each list and the number of kinds are
capped, and a 403 or 404 is noted, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from agents.common.base import Budget
from agents.eks.objects import Obj
from agents.eks.reader import RESOURCES, KubeReader, NotServed, Resource
from agents.eks.state import ClusterState
from shared.errors import SourceError

logger = logging.getLogger(__name__)

# Built-in groups: high volume (events, leases, endpoint slices), not objects of a workload
# (authorization reviews, API registration, RBAC, flow control), or covered by the fixed readers.
SKIP_GROUPS = frozenset(
    {
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "custom.metrics.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "external.metrics.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "metrics.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
# Core resources never read generically: events are read by the fixed reader (and are the bulk of
# a cluster), pod templates and component statuses say nothing of a failure, Secrets hold values.
SKIP_CORE = frozenset({"events", "podtemplates", "componentstatuses", "secrets", "bindings"})

# A list across namespaces that keeps only the objects elsewhere tied to the alert's (see
# `read_discovered`).
ELSEWHERE = "*"
_AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json"
)


@dataclass(frozen=True)
class DiscoveryLimits:
    namespaced_kinds: int = 40
    cluster_kinds: int = 10
    objects_per_kind: int = 100
    objects: int = 1500
    group_versions: int = 80
    min_budget_s: float = 2.0


@dataclass(frozen=True)
class Served:
    """A resource the cluster serves, as discovery describes it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    verbs: tuple[str, ...]

    @property
    def resource(self) -> Resource:
        path = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return Resource(self.kind, path, self.plural, self.namespaced)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


def _known() -> set[tuple[str, str]]:
    return {(r.api.rsplit("/", 1)[0] if "/" in r.api else "", r.plural) for r in RESOURCES.values()}


def resource_list(document: Any, group: str, version: str) -> list[Served]:
    """The listable top-level resources of an APIResourceList (`/apis/{group}/{version}`)."""
    found: list[Served] = []
    for entry in (document or {}).get("resources") or [] if isinstance(document, dict) else []:
        if not isinstance(entry, dict) or "/" in str(entry.get("name", "")):
            continue  # a subresource (pods/log, */status)
        found.append(
            Served(
                group,
                version,
                str(entry.get("kind", "")),
                str(entry.get("name", "")),
                bool(entry.get("namespaced")),
                tuple(str(v) for v in entry.get("verbs") or []),
            )
        )
    return found


def aggregated(document: Any) -> list[Served]:
    """The resources of an aggregated discovery document (APIGroupDiscoveryList, apidiscovery.k8s.io
    v2 / v2beta1): each group's versions, its preferred one first."""
    found: list[Served] = []
    for item in (document or {}).get("items") or [] if isinstance(document, dict) else []:
        group = str(((item or {}).get("metadata") or {}).get("name") or "")
        for preferred in [v for v in (item or {}).get("versions") or [] if isinstance(v, dict)]:
            found += _aggregated_version(group, preferred)
    return found


def _aggregated_version(group: str, version: dict[str, Any]) -> list[Served]:
    found: list[Served] = []
    for entry in version.get("resources") or []:
        if not isinstance(entry, dict):
            continue
        response = entry.get("responseKind") or {}
        found.append(
            Served(
                group,
                str(version.get("version", "")),
                str(response.get("kind", "")),
                str(entry.get("resource", "")),
                entry.get("scope") == "Namespaced",
                tuple(str(v) for v in entry.get("verbs") or []),
            )
        )
    return found


def discover(reader: KubeReader, budget: Budget, limits: DiscoveryLimits = DiscoveryLimits()) -> list[Served]:
    """Every resource the cluster serves at its groups' preferred versions (skipped groups aside).
    Raises SourceError when `/apis` cannot be read."""
    status, document = reader.get_json("/apis", budget, accept=_AGGREGATED)
    if status >= 400 or not isinstance(document, dict):
        raise SourceError(f"Kubernetes discovery /apis: HTTP {status}")
    served: list[Served]
    if document.get("kind") == "APIGroupDiscoveryList":
        served = aggregated(document)
        core_status, core = reader.get_json("/api", budget, accept=_AGGREGATED)
        if core_status < 400 and isinstance(core, dict) and core.get("kind") == "APIGroupDiscoveryList":
            served += aggregated(core)
        else:
            served += _legacy([("", "v1")], reader, budget)
    else:
        # Every version of each group, the preferred first: a kind may be served at one version
        # only (kubectl's preferred resources do the same union).
        versions: list[tuple[str, str]] = [("", "v1")]
        for group in document.get("groups") or []:
            name = str((group or {}).get("name") or "")
            if not name or name in SKIP_GROUPS:
                continue
            preferred = str(((group or {}).get("preferredVersion") or {}).get("version") or "")
            listed = [str((v or {}).get("version") or "") for v in (group or {}).get("versions") or []]
            versions += [(name, v) for v in dict.fromkeys([preferred, *listed]) if v]
        served = _legacy(versions[: limits.group_versions], reader, budget)
    return [s for s in served if s.group not in SKIP_GROUPS]


def _legacy(versions: list[tuple[str, str]], reader: KubeReader, budget: Budget) -> list[Served]:
    def one(gv: tuple[str, str]) -> list[Served]:
        group, version = gv
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            status, document = reader.get_json(path, budget)
        except SourceError as e:
            logger.debug("path=<%s> | discovery not read: %s", path, e)
            return []
        # A group whose aggregated API server is down answers 503: its kinds are not read.
        return resource_list(document, group, version) if status < 400 else []

    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="eks-discovery") as pool:
        return [s for found in pool.map(one, versions) for s in found]


def unread(served: Iterable[Served]) -> list[Served]:
    """The listable resources no fixed reader covers (Secrets and skipped core kinds aside)."""
    known = _known()
    chosen: dict[tuple[str, str], Served] = {}
    for s in served:
        if (
            not s.kind
            or not s.plural
            or "list" not in s.verbs
            or (s.group, s.plural) in known
            or (not s.group and s.plural in SKIP_CORE)
        ):
            continue
        chosen.setdefault((s.group, s.plural), s)
    return sorted(chosen.values(), key=lambda s: (s.group, s.kind))


def referenced_kinds(objects: Iterable[Obj]) -> set[str]:
    """Kinds the objects name in references (`nodeClassRef: {kind: EC2NodeClass}`,
    `secretStoreRef: {kind: ClusterSecretStore}`, `resourceRef`): those are read first."""
    found: set[str] = set()
    for obj in objects:
        for ref in _refs(obj.get("spec"), 0):
            found.add(str(ref["kind"]))
    return found


def _refs(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(value, dict):
        if isinstance(value.get("kind"), str) and isinstance(value.get("name"), str):
            yield value
        for child in value.values():
            yield from _refs(child, depth + 1)
    elif isinstance(value, list):
        for child in value[:50]:
            yield from _refs(child, depth + 1)


def state_key(served: Served, state: ClusterState, taken: set[str]) -> str:
    """Where the objects go in `state.objects`: the kind, or `Kind.group` when a fixed reader's kind
    (Istio's Gateway beside Gateway API's) or another discovered group already has that name."""
    if served.kind in RESOURCES or served.kind in taken or served.kind in state.objects:
        return f"{served.kind}.{served.group or 'core'}"
    return served.kind


def read_discovered(
    reader: KubeReader,
    budget: Budget,
    state: ClusterState,
    subjects: tuple[str, ...] = (),
    limits: DiscoveryLimits = DiscoveryLimits(),
) -> list[str]:
    """Discover, then list the kinds no fixed reader covers in the scan's namespaces (cluster-scoped
    custom kinds once); the objects go into `state`, marked in `state.discovered`. Returns notes.

    With a namespace and the alert's workload names (`subjects`), each kind is also listed across
    namespaces (capped), keeping only the objects elsewhere whose spec names the namespace: an Argo
    CD Application or a Flux Kustomization lives in its controller's namespace and deploys into the
    alert's."""
    if budget.remaining() < limits.min_budget_s:
        return ["Discovery skipped: too little budget left."]
    try:
        served = unread(discover(reader, budget, limits))
    except SourceError as e:
        return [f"API discovery not read ({e}): only the scanner's fixed kinds were read."]
    namespaced = [s for s in served if s.namespaced]
    cluster = [s for s in served if not s.namespaced and "." in s.group and not s.group.endswith(".k8s.io")]
    notes: list[str] = []
    if len(namespaced) > limits.namespaced_kinds:
        notes.append(
            f"{len(namespaced)} namespaced kinds discovered without a reader: the first "
            f"{limits.namespaced_kinds} read."
        )
    scopes: list[str | None] = [*state.namespaces] if state.namespaces else [None]
    if state.namespaces and subjects:
        scopes.append(ELSEWHERE)
    jobs = [(s, ns) for s in namespaced[: limits.namespaced_kinds] for ns in scopes]
    total = _list_all(reader, budget, state, jobs, limits, notes, subjects=subjects)
    if cluster and budget.remaining() >= limits.min_budget_s:
        wanted = referenced_kinds(obj for objs in state.objects.values() for obj in objs)
        cluster.sort(key=lambda s: (s.kind not in wanted, s.group, s.kind))
        _list_all(
            reader, budget, state, [(s, None) for s in cluster[: limits.cluster_kinds]], limits, notes, total
        )
    return notes


def points_at(obj: Obj, namespaces: Iterable[str]) -> bool:
    """Whether an object's spec names one of `namespaces` (`destination.namespace`,
    `targetNamespace`): a name without a namespace refers to the object's own, so only a namespace
    ties an object to another namespace."""
    wanted = set(namespaces)
    return any(value in wanted for value in _strings(obj.get("spec"), 0))


def _strings(value: Any, depth: int) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from _strings(child, depth + 1)
    elif isinstance(value, list):
        for child in value[:50]:
            yield from _strings(child, depth + 1)


def _list_all(
    reader: KubeReader,
    budget: Budget,
    state: ClusterState,
    jobs: list[tuple[Served, str | None]],
    limits: DiscoveryLimits,
    notes: list[str],
    total: int = 0,
    subjects: tuple[str, ...] = (),
) -> int:
    listed = set(state.namespaces or [])

    def one(job: tuple[Served, str | None]) -> tuple[Served, list[Obj], bool, str | None]:
        served, namespace = job
        if budget.remaining() < 1.0:
            return served, [], False, "budget"
        try:
            items, truncated = reader.list(
                served.resource,
                budget,
                namespace=None if namespace == ELSEWHERE else namespace,
                limit=limits.objects_per_kind,
            )
            if namespace == ELSEWHERE:
                items = [
                    i
                    for i in items
                    if (i.get("metadata") or {}).get("namespace") not in listed and points_at(i, listed)
                ]
                truncated = False  # what is kept is what matters, not what the cap left out
        except NotServed:
            return served, [], False, "not served"
        except SourceError as e:
            return served, [], False, "forbidden" if "HTTP 403" in str(e) else str(e)
        return served, items, truncated, None

    forbidden: list[str] = []
    taken = set(state.discovered)
    keys: dict[tuple[str, str], str] = {}
    with ThreadPoolExecutor(max_workers=6, thread_name_prefix="eks-discovered") as pool:
        for served, items, truncated, error in pool.map(one, jobs):
            if error == "forbidden":
                forbidden.append(f"{served.plural}.{served.group or 'core'}")
                continue
            if error or not items or total >= limits.objects:
                continue
            key = keys.get((served.group, served.plural)) or state_key(served, state, taken)
            keys[(served.group, served.plural)] = key
            taken.add(key)
            state.discovered[key] = served.api_version
            items = items[: limits.objects - total]
            total += len(items)
            for item in items:
                item["kind"] = served.kind
                item["apiVersion"] = served.api_version
            state.objects.setdefault(key, []).extend(items)
            if truncated:
                notes.append(
                    f"{served.kind} ({served.api_version}): list capped at {limits.objects_per_kind}."
                )
    if forbidden:
        notes.append(
            "Not readable with this identity (RBAC), skipped: "
            + ", ".join(sorted(set(forbidden))[:10])
            + (" …" if len(set(forbidden)) > 10 else "")
            + "."
        )
    return total
