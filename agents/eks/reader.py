"""Thin, bounded, read-only fetchers over an injected Kubernetes `ApiClient`. Objects come back as
the API's JSON (dicts), as the analyzers expect."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from agents.common.base import Budget
from agents.eks.objects import Obj
from shared.errors import SourceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resource:
    kind: str
    group_path: str  # "/api/v1" or "/apis/apps/v1"
    plural: str
    namespaced: bool = True

    @property
    def api(self) -> str:
        """`gateway.networking.k8s.io/v1`, `v1`: how notes name the group a cluster may not serve."""
        return self.group_path.removeprefix("/apis/").removeprefix("/api/")


RESOURCES = {
    r.kind: r
    for r in (
        Resource("Pod", "/api/v1", "pods"),
        Resource("Event", "/api/v1", "events"),
        Resource("Service", "/api/v1", "services"),
        Resource("Endpoints", "/api/v1", "endpoints"),
        Resource("ConfigMap", "/api/v1", "configmaps"),
        Resource("Secret", "/api/v1", "secrets"),
        Resource("ServiceAccount", "/api/v1", "serviceaccounts"),
        Resource("ResourceQuota", "/api/v1", "resourcequotas"),
        Resource("PersistentVolumeClaim", "/api/v1", "persistentvolumeclaims"),
        Resource("Node", "/api/v1", "nodes", namespaced=False),
        Resource("Namespace", "/api/v1", "namespaces", namespaced=False),
        Resource("Deployment", "/apis/apps/v1", "deployments"),
        Resource("ReplicaSet", "/apis/apps/v1", "replicasets"),
        Resource("StatefulSet", "/apis/apps/v1", "statefulsets"),
        Resource("DaemonSet", "/apis/apps/v1", "daemonsets"),
        Resource("Job", "/apis/batch/v1", "jobs"),
        Resource("HorizontalPodAutoscaler", "/apis/autoscaling/v2", "horizontalpodautoscalers"),
        Resource("CronJob", "/apis/batch/v1", "cronjobs"),
        Resource("PodDisruptionBudget", "/apis/policy/v1", "poddisruptionbudgets"),
        Resource("PersistentVolume", "/api/v1", "persistentvolumes", namespaced=False),
        Resource("StorageClass", "/apis/storage.k8s.io/v1", "storageclasses", namespaced=False),
        Resource("VolumeAttachment", "/apis/storage.k8s.io/v1", "volumeattachments", namespaced=False),
        Resource("Ingress", "/apis/networking.k8s.io/v1", "ingresses"),
        Resource("IngressClass", "/apis/networking.k8s.io/v1", "ingressclasses", namespaced=False),
        Resource("NetworkPolicy", "/apis/networking.k8s.io/v1", "networkpolicies"),
        Resource(
            "ValidatingWebhookConfiguration",
            "/apis/admissionregistration.k8s.io/v1",
            "validatingwebhookconfigurations",
            namespaced=False,
        ),
        Resource(
            "MutatingWebhookConfiguration",
            "/apis/admissionregistration.k8s.io/v1",
            "mutatingwebhookconfigurations",
            namespaced=False,
        ),
        # Gateway API: CRDs, absent from many clusters (a 404 is noted, not an error)
        Resource("GatewayClass", "/apis/gateway.networking.k8s.io/v1", "gatewayclasses", namespaced=False),
        Resource("Gateway", "/apis/gateway.networking.k8s.io/v1", "gateways"),
        Resource("HTTPRoute", "/apis/gateway.networking.k8s.io/v1", "httproutes"),
        Resource("ReferenceGrant", "/apis/gateway.networking.k8s.io/v1beta1", "referencegrants"),
        # Karpenter's node requests: a CRD too
        Resource("NodeClaim", "/apis/karpenter.sh/v1", "nodeclaims", namespaced=False),
        Resource("NodePool", "/apis/karpenter.sh/v1", "nodepools", namespaced=False),
        # cert-manager: CRDs too
        Resource("Certificate", "/apis/cert-manager.io/v1", "certificates"),
        Resource("CertificateRequest", "/apis/cert-manager.io/v1", "certificaterequests"),
        Resource("Issuer", "/apis/cert-manager.io/v1", "issuers"),
        Resource("ClusterIssuer", "/apis/cert-manager.io/v1", "clusterissuers", namespaced=False),
        Resource("Challenge", "/apis/acme.cert-manager.io/v1", "challenges"),
        Resource("Order", "/apis/acme.cert-manager.io/v1", "orders"),
    )
}


class NotServed(SourceError):
    """The cluster does not serve this kind's API group/version (an uninstalled CRD, an old API)."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(f"Kubernetes: {resource.api} {resource.plural} not served by this cluster")
        self.resource = resource


# Secrets are listed as metadata only (the API strips data for this media type); any data a server
# sends anyway is dropped before the object goes further.
_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


class KubeReader:
    """Bounded GETs through `api` (a `kubernetes.client.ApiClient`)."""

    def __init__(self, api: k8s.ApiClient, private_log_namespaces: Iterable[str] = ("kube-system",)) -> None:
        self.api = api
        # Pod logs of these namespaces are never read (`sources.eks.private_log_namespaces`).
        self.private_log_namespaces = frozenset(private_log_namespaces)

    def logs_private(self, namespace: str) -> bool:
        return namespace in self.private_log_namespaces

    def _get(
        self,
        path: str,
        budget: Budget,
        query: list[tuple[str, Any]] | None = None,
        accept: str = "application/json",
    ) -> tuple[int, bytes]:
        if budget.expired():
            raise SourceError(f"Kubernetes: budget exhausted before GET {path}")
        method, url, headers, _, _ = self.api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query or [],
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        timeout = (min(3.0, budget.remaining()), max(0.5, min(10.0, budget.remaining())))
        try:
            response = self.api.call_api(method, url, header_params=headers, _request_timeout=timeout)
            return int(response.status), response.read() or b""
        except ApiException as e:
            return int(e.status or 0), (e.body or "").encode() if isinstance(e.body, str) else (e.body or b"")
        except (HTTPError, OSError) as e:
            raise SourceError(f"Kubernetes API unreachable ({path}): {e}") from e

    def get_json(self, path: str, budget: Budget, accept: str = "application/json") -> tuple[int, Any]:
        """A GET of any read-only API path (discovery documents): the status and the parsed body
        (None when it is not JSON)."""
        status, body = self._get(path, budget, accept=accept)
        try:
            return status, json.loads(body or b"null")
        except ValueError:
            return status, None

    def list(
        self,
        kind: str | Resource,
        budget: Budget,
        *,
        namespace: str | None = None,
        limit: int = 500,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[Obj], bool]:
        """Objects of `kind` (in `namespace`, or cluster-wide), at most `limit`; the bool says the
        list was cut at that bound. Raises NotServed on 404 (the API group is not installed) and
        SourceError with the API's reason on 401/403/5xx. `kind` may be a discovered `Resource`."""
        resource = kind if isinstance(kind, Resource) else RESOURCES[kind]
        kind = resource.kind
        if resource.namespaced and namespace:
            path = f"{resource.group_path}/namespaces/{quote(namespace, safe='')}/{resource.plural}"
        else:
            path = f"{resource.group_path}/{resource.plural}"
        query: list[tuple[str, Any]] = [("limit", limit)]
        if label_selector:
            query.append(("labelSelector", label_selector))
        if field_selector:
            query.append(("fieldSelector", field_selector))
        status, body = self._get(
            path, budget, query, accept=_METADATA_ONLY if kind == "Secret" else "application/json"
        )
        if status == 404:
            raise NotServed(resource)
        if status >= 400:
            raise SourceError(
                f"Kubernetes list {kind}{' in ' + namespace if namespace else ''}: HTTP {status} "
                f"{_reason(body)}"
            )
        data = json.loads(body or b"{}")
        items = [i for i in data.get("items") or [] if isinstance(i, dict)]
        for item in items:
            item["kind"] = kind  # list items carry no kind, or PartialObjectMetadata for secrets
            item.setdefault("apiVersion", resource.api)
            if kind == "Secret":
                for key in ("data", "stringData"):
                    item.pop(key, None)
        if namespace:
            items = [i for i in items if (i.get("metadata") or {}).get("namespace") in (None, namespace)]
        truncated = bool((data.get("metadata") or {}).get("continue")) or len(items) > limit
        return items[:limit], truncated

    def get(self, kind: str, budget: Budget, namespace: str | None, name: str) -> Obj | None:
        """One object by name; None when it does not exist (404). Raises SourceError otherwise."""
        resource = RESOURCES[kind]
        base = resource.group_path
        if resource.namespaced and namespace:
            base = f"{base}/namespaces/{quote(namespace, safe='')}"
        status, body = self._get(f"{base}/{resource.plural}/{quote(name, safe='')}", budget)
        if status == 404:
            return None
        if status >= 400:
            where = f"{namespace}/{name}" if namespace else name
            raise SourceError(f"Kubernetes get {kind} {where}: HTTP {status} {_reason(body)}")
        item = json.loads(body or b"{}")
        if not isinstance(item, dict):
            return None
        item["kind"] = kind
        if kind == "Secret":
            item.pop("data", None)
            item.pop("stringData", None)
        return item

    def pod_log(
        self,
        budget: Budget,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        tail_lines: int = 100,
        limit_bytes: int = 64_000,
    ) -> str | None:
        """The last `tail_lines` lines (at most `limit_bytes`) of a container's log; None when the
        API has none (e.g. no previous container) or the namespace's logs are private."""
        if self.logs_private(namespace):
            return None
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/log"
        query: list[tuple[str, Any]] = [
            ("container", container),
            ("tailLines", tail_lines),
            ("limitBytes", limit_bytes),
        ]
        if previous:
            query.append(("previous", "true"))
        status, body = self._get(path, budget, query, accept="text/plain")
        if status >= 400:
            logger.debug(
                "pod=<%s/%s>, container=<%s>, status=<%d> | no log", namespace, pod, container, status
            )
            return None
        return body[:limit_bytes].decode("utf-8", errors="replace")


def _reason(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", ""))[:300]
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", errors="replace")
