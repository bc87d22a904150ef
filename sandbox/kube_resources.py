"""What the Kubernetes stand-in serves: resource types (kind <-> plural, group/version, scope),
discovery documents, and the version conversions the real API server does for kinds stored once
and served at two versions (HorizontalPodAutoscaler autoscaling/v2 and v1, Event v1 and
events.k8s.io/v1).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    # Objects of this type live in the store under (storage_group, kind): a kind served at two
    # group/versions (Event) is stored once.
    storage_group: str | None = None
    builtin: bool = True

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def qualified(self) -> str:
        """How error messages name the resource: `pods`, `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def storage_key(self) -> tuple[str, str]:
        return (self.group if self.storage_group is None else self.storage_group, self.kind)


def _r(
    group: str,
    version: str,
    kind: str,
    plural: str,
    *short: str,
    namespaced: bool = True,
    storage: str | None = None,
) -> ResourceType:
    return ResourceType(group, version, kind, plural, namespaced, tuple(short), storage)


STANDARD: tuple[ResourceType, ...] = (
    _r("", "v1", "Pod", "pods", "po"),
    _r("", "v1", "Service", "services", "svc"),
    _r("", "v1", "Endpoints", "endpoints", "ep"),
    _r("", "v1", "Event", "events", "ev"),
    _r("", "v1", "Node", "nodes", "no", namespaced=False),
    _r("", "v1", "Namespace", "namespaces", "ns", namespaced=False),
    _r("", "v1", "ConfigMap", "configmaps", "cm"),
    _r("", "v1", "Secret", "secrets"),
    _r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "pvc"),
    _r("", "v1", "PersistentVolume", "persistentvolumes", "pv", namespaced=False),
    _r("", "v1", "ServiceAccount", "serviceaccounts", "sa"),
    _r("", "v1", "ResourceQuota", "resourcequotas", "quota"),
    _r("", "v1", "LimitRange", "limitranges", "limits"),
    _r("", "v1", "ReplicationController", "replicationcontrollers", "rc"),
    _r("apps", "v1", "Deployment", "deployments", "deploy"),
    _r("apps", "v1", "ReplicaSet", "replicasets", "rs"),
    _r("apps", "v1", "StatefulSet", "statefulsets", "sts"),
    _r("apps", "v1", "DaemonSet", "daemonsets", "ds"),
    _r("apps", "v1", "ControllerRevision", "controllerrevisions"),
    _r("batch", "v1", "Job", "jobs"),
    _r("batch", "v1", "CronJob", "cronjobs", "cj"),
    _r("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "hpa"),
    _r("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "hpa"),
    _r("events.k8s.io", "v1", "Event", "events", "ev", storage=""),
    _r("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "pdb"),
    _r("networking.k8s.io", "v1", "Ingress", "ingresses", "ing"),
    _r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "netpol"),
    _r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    _r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    _r("storage.k8s.io", "v1", "StorageClass", "storageclasses", "sc", namespaced=False),
    _r(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "crd",
        "crds",
        namespaced=False,
    ),
    _r("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", namespaced=False),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        namespaced=False,
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        namespaced=False,
    ),
)

# Custom resources a cluster serves once their CRDs are installed: the whole group appears as soon
# as a scenario holds one object of it (a Gateway without HTTPRoutes still lists routes, empty);
# without any, the group is absent and its paths answer 404, as on a cluster without the CRDs.
KNOWN_CRDS: tuple[ResourceType, ...] = tuple(
    ResourceType(g, v, k, p, namespaced, builtin=False)
    for g, v, k, p, namespaced in (
        ("gateway.networking.k8s.io", "v1", "GatewayClass", "gatewayclasses", False),
        ("gateway.networking.k8s.io", "v1", "Gateway", "gateways", True),
        ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", True),
        ("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes", True),
        ("gateway.networking.k8s.io", "v1beta1", "ReferenceGrant", "referencegrants", True),
        ("karpenter.sh", "v1", "NodeClaim", "nodeclaims", False),
        ("karpenter.sh", "v1", "NodePool", "nodepools", False),
        ("cert-manager.io", "v1", "Certificate", "certificates", True),
        ("cert-manager.io", "v1", "CertificateRequest", "certificaterequests", True),
        ("cert-manager.io", "v1", "Issuer", "issuers", True),
        ("cert-manager.io", "v1", "ClusterIssuer", "clusterissuers", False),
        ("acme.cert-manager.io", "v1", "Order", "orders", True),
        ("acme.cert-manager.io", "v1", "Challenge", "challenges", True),
    )
)

_KUBE_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """How the API server orders a group's versions (preferred first): GA, then beta, then alpha,
    the higher number first within each; versions of other shapes last, alphabetically."""
    match = _KUBE_VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    return ({None: 0, "beta": 1, "alpha": 2}[stage], -int(major), -int(minor or 0), version)


def crd_types(obj: dict[str, Any]) -> list[ResourceType]:
    """The types a CustomResourceDefinition (apiextensions.k8s.io/v1) makes the server serve: one
    per served version."""
    if obj.get("kind") != "CustomResourceDefinition" or not str(obj.get("apiVersion", "")).startswith(
        "apiextensions.k8s.io/"
    ):
        return []
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
    if not (group and kind and plural):
        return []
    return [
        ResourceType(
            str(group),
            str(v["name"]),
            str(kind),
            str(plural),
            spec.get("scope") != "Cluster",
            tuple(str(n) for n in names.get("shortNames") or []),
            builtin=False,
        )
        for v in spec.get("versions") or []
        if isinstance(v, dict) and v.get("name") and v.get("served", True)
    ]


# The group/version each standard kind is stored at (scenario objects are converted to it).
STORAGE_VERSION = {
    r.storage_key: r
    for r in STANDARD
    if (r.group, r.version) not in (("autoscaling", "v1"), ("events.k8s.io", "v1"))
}


def guess_plural(kind: str) -> str:
    """The plural the API machinery guesses for an unknown kind (UnsafeGuessKindToResource)."""
    lower = kind.lower()
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + "s"


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class Registry:
    """The standard resource types plus any custom kind the scenario's objects use."""

    def __init__(self, extra: Iterable[ResourceType] = ()) -> None:
        self.types: list[ResourceType] = [*STANDARD, *extra]
        self._by_path = {(t.group, t.version, t.plural): t for t in self.types}

    @classmethod
    def for_objects(cls, objects: Iterable[dict[str, Any]]) -> Registry:
        """Standard types, plus the types the scenario's CustomResourceDefinitions define (their
        plural, scope and served versions, as the API server serves them), plus a type per other
        custom (group, version, kind) seen in `objects`."""
        objects = list(objects)
        defined = [t for obj in objects for t in crd_types(obj)]
        known = {(t.group, t.kind) for t in [*STANDARD, *defined]}
        crds = {(t.group, t.kind): t for t in KNOWN_CRDS if (t.group, t.kind) not in known}
        custom: dict[tuple[str, str, str], bool] = {}
        installed: set[str] = set()
        for obj in objects:
            group, version = split_api_version(str(obj.get("apiVersion") or ""))
            kind = str(obj.get("kind") or "")
            if (group, kind) in crds and crds[(group, kind)].version == version:
                installed.add(group)
                continue
            if not kind or not version or (group, kind) in known or (group == "" and kind in _CORE_KINDS):
                continue
            namespaced = bool((obj.get("metadata") or {}).get("namespace"))
            key = (group, version, kind)
            custom[key] = custom.get(key, False) or namespaced
        extra = [
            ResourceType(g, v, k, guess_plural(k), namespaced, builtin=False)
            for (g, v, k), namespaced in sorted(custom.items())
        ]
        return cls([*defined, *(t for t in crds.values() if t.group in installed), *extra])

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def storage_type(self, api_version: str, kind: str) -> ResourceType | None:
        """The type an object of `apiVersion`/`kind` is stored as."""
        group, version = split_api_version(api_version)
        if (group, kind) in STORAGE_VERSION:
            return STORAGE_VERSION[(group, kind)]
        if group == "events.k8s.io" and kind == "Event":
            return STORAGE_VERSION[("", "Event")]
        for t in self.types:
            if t.kind == kind and t.group == group and t.version == version:
                return t
        return None

    def default_type(self, kind: str) -> ResourceType | None:
        """For an object without apiVersion: the standard type of that kind, if only one group has it."""
        matches = {t.storage_key: t for t in STANDARD if t.kind == kind}
        if len(matches) == 1:
            return STORAGE_VERSION.get(next(iter(matches)))
        return STORAGE_VERSION.get(("", kind))

    def group_versions(self) -> dict[str, list[str]]:
        """Every served group (not the core one) and its versions, preferred first."""
        groups: dict[str, list[str]] = {}
        for t in self.types:
            if t.group and t.version not in groups.setdefault(t.group, []):
                groups[t.group].append(t.version)
        for versions in groups.values():
            versions.sort(key=version_priority)
        return groups

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.types if t.group == group and t.version == version]


_CORE_KINDS = {t.kind for t in STANDARD if t.group == ""}


# ----------------------------------------------------------------------------- discovery


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(group: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(registry: Registry) -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [api_group(g, vs) for g, vs in registry.group_versions().items()],
    }


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    types = registry.in_group_version(group, version)
    if not types:
        return None
    resources: list[dict[str, Any]] = []
    for t in types:
        entry: dict[str, Any] = {
            "name": t.plural,
            "singularName": t.kind.lower(),
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": ["get", "list"],
        }
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        resources.append(entry)
        subresources = ["status"] + (["log"] if t.kind == "Pod" and not t.group else [])
        for sub in subresources:
            resources.append(
                {
                    "name": f"{t.plural}/{sub}",
                    "singularName": "",
                    "namespaced": t.namespaced,
                    "kind": t.kind,
                    "verbs": ["get"],
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


# ----------------------------------------------------------------------------- conversions

_HPA_CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"


def _cpu_utilization(metrics: Any, key: str) -> int | None:
    for metric in metrics or []:
        resource = (metric or {}).get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            value = (resource.get(key) or {}).get("averageUtilization")
            if isinstance(value, int):
                return value
    return None


def hpa_v2_to_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """An autoscaling/v2 HPA as autoscaling/v1 shows it: CPU utilisation only, conditions in an
    annotation (the v1 API has no field for them)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    metadata = copy.deepcopy(obj.get("metadata") or {})
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    target = _cpu_utilization(spec.get("metrics"), "target")
    if target is not None:
        out_spec["targetCPUUtilizationPercentage"] = target
    out_status = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if k in status}
    # Both are always present in v1 (no omitempty); v2 may leave currentReplicas out.
    out_status["currentReplicas"] = status.get("currentReplicas", 0)
    out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    current = _cpu_utilization(status.get("currentMetrics"), "current")
    if current is not None:
        out_status["currentCPUUtilizationPercentage"] = current
    if status.get("conditions"):
        metadata.setdefault("annotations", {})[_HPA_CONDITIONS] = json.dumps(status["conditions"])
    return {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": out_spec,
        "status": out_status,
    }


def hpa_v1_to_v2(obj: dict[str, Any]) -> dict[str, Any]:
    """The reverse, for a scenario that writes its HPA as autoscaling/v1."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    metadata = copy.deepcopy(obj.get("metadata") or {})
    out_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    if "targetCPUUtilizationPercentage" in spec:
        out_spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": spec["targetCPUUtilizationPercentage"],
                    },
                },
            }
        ]
    out_status = {k: v for k, v in status.items() if k != "currentCPUUtilizationPercentage"}
    if "currentCPUUtilizationPercentage" in status:
        out_status["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    annotations = metadata.get("annotations") or {}
    if _HPA_CONDITIONS in annotations:
        with contextlib.suppress(ValueError):
            out_status["conditions"] = json.loads(annotations.pop(_HPA_CONDITIONS))
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata,
        "spec": out_spec,
        "status": out_status,
    }


# core/v1 Event field <-> events.k8s.io/v1 Event field
_EVENT_FIELDS = (
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("count", "deprecatedCount"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("source", "deprecatedSource"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
)
_EVENT_SHARED = ("metadata", "eventTime", "series", "action", "reason", "related", "type")


def event_core_to_events(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    out.update({k: copy.deepcopy(obj[k]) for k in _EVENT_SHARED if k in obj})
    out.update({new: copy.deepcopy(obj[old]) for old, new in _EVENT_FIELDS if old in obj})
    if "reportingController" not in out and (obj.get("source") or {}).get("component"):
        out["reportingController"] = obj["source"]["component"]
    if not out.get("eventTime"):
        # Events recorded through core/v1 have no eventTime; the official Python client requires
        # one on events.k8s.io objects, so fall back to when the event was last seen.
        out["eventTime"] = (
            obj.get("lastTimestamp")
            or obj.get("firstTimestamp")
            or (obj.get("metadata") or {}).get("creationTimestamp")
        )
    return out


def event_events_to_core(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"apiVersion": "v1", "kind": "Event"}
    out.update({k: copy.deepcopy(obj[k]) for k in _EVENT_SHARED if k in obj})
    out.update({old: copy.deepcopy(obj[new]) for old, new in _EVENT_FIELDS if new in obj})
    return out


def to_storage(obj: dict[str, Any]) -> dict[str, Any]:
    """A scenario object in the version its kind is stored at."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if kind == "HorizontalPodAutoscaler" and api_version == "autoscaling/v1":
        return hpa_v1_to_v2(obj)
    if kind == "Event" and api_version == "events.k8s.io/v1":
        return event_events_to_core(obj)
    return obj


def to_served(obj: dict[str, Any], served: ResourceType) -> dict[str, Any]:
    """A stored object as `served` (its group/version) shows it."""
    if served.kind == "HorizontalPodAutoscaler" and served.version == "v1":
        return hpa_v2_to_v1(obj)
    if served.kind == "Event" and served.group == "events.k8s.io":
        return event_core_to_events(obj)
    return obj
