"""Fields the API server always sends, filled in where a scenario's manifest leaves them out.

kube-apiserver serialises Go structs: a field without `omitempty` is always present, at its zero
value when unset (`imageID: ""`, `restartCount: 0`, `replicas: 0`), and fields required at creation
(an owner reference's `uid`, a Deployment's `selector`) always exist on a stored object. The
official Python client (37.x) validates those fields as required, so one partial object would make
a whole LIST unreadable. Scenario authors write partial manifests; this fills what the real server
would have, and only that (a missing value that would need inventing is warned about instead).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

logger = logging.getLogger(__name__)

UidOf = Callable[[str, str, str], str | None]  # (kind, namespace, name) -> uid of a loaded object

_CONTAINER_STATUS_KEYS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
_NODE_INFO_KEYS = (
    "architecture",
    "bootID",
    "containerRuntimeVersion",
    "kernelVersion",
    "kubeProxyVersion",
    "kubeletVersion",
    "machineID",
    "operatingSystem",
    "osImage",
    "systemUUID",
)
_DAEMONSET_COUNTS = ("currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady")


def default_uid(kind: str, namespace: str, name: str) -> str:
    """A stable uid for an object the scenario gives none (the same input, the same uid)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sre-on-call/{kind}/{namespace}/{name}"))


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = {}
        parent[key] = value
    return value


def fill_defaults(obj: dict[str, Any], uid_of: UidOf, default_api_version: Callable[[str], str]) -> None:
    """Complete `obj` (stored form, metadata.namespace already set) in place."""
    kind = str(obj.get("kind"))
    meta = _dict(obj, "metadata")
    namespace = str(meta.get("namespace") or "")
    for ref in meta.get("ownerReferences") or []:
        if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
            continue
        ref.setdefault("apiVersion", default_api_version(str(ref["kind"])))
        if not ref.get("uid"):
            ref_kind, ref_name = str(ref["kind"]), str(ref["name"])
            ref["uid"] = uid_of(ref_kind, namespace, ref_name) or default_uid(ref_kind, namespace, ref_name)
    filler = _FILLERS.get(kind)
    if filler is not None:
        filler(obj)


def _pod_template(template: dict[str, Any]) -> None:
    spec = _dict(template, "spec")
    if not isinstance(spec.get("containers"), list):
        spec["containers"] = []


def _pod(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    _pod_template(obj)
    images = {
        str(c.get("name")): c.get("image") or ""
        for key in ("containers", "initContainers", "ephemeralContainers")
        for c in spec.get(key) or []
        if isinstance(c, Mapping)
    }
    status = _dict(obj, "status")
    for key in _CONTAINER_STATUS_KEYS:
        for entry in status.get(key) or []:
            if not isinstance(entry, dict):
                continue
            entry.setdefault("image", images.get(str(entry.get("name")), ""))
            entry.setdefault("imageID", "")
            entry.setdefault("ready", False)
            entry.setdefault("restartCount", 0)
            for state_key in ("state", "lastState"):
                terminated = (entry.get(state_key) or {}).get("terminated")
                if isinstance(terminated, dict):
                    terminated.setdefault("exitCode", 0)


def _selector_and_template(obj: dict[str, Any], *, template_required: bool = True) -> None:
    spec = _dict(obj, "spec")
    template = spec.get("template")
    template_labels = ((template or {}).get("metadata") or {}).get("labels")
    if not isinstance(spec.get("selector"), dict):
        labels = template_labels or (obj.get("metadata") or {}).get("labels") or {}
        spec["selector"] = {"matchLabels": dict(labels)}
    if isinstance(template, dict):
        _pod_template(template)
    elif template_required:
        labels = spec["selector"].get("matchLabels") or {}
        spec["template"] = {"metadata": {"labels": dict(labels)}, "spec": {"containers": []}}


def _replicas_status(obj: dict[str, Any]) -> None:
    _dict(obj, "status").setdefault("replicas", 0)


def _deployment(obj: dict[str, Any]) -> None:
    _selector_and_template(obj)


def _replicaset(obj: dict[str, Any]) -> None:
    _selector_and_template(obj, template_required=False)
    _replicas_status(obj)


def _statefulset(obj: dict[str, Any]) -> None:
    _selector_and_template(obj)
    _replicas_status(obj)


def _daemonset(obj: dict[str, Any]) -> None:
    _selector_and_template(obj)
    status = _dict(obj, "status")
    for key in _DAEMONSET_COUNTS:
        status.setdefault(key, 0)


def _job(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    _pod_template(_dict(spec, "template"))


def _cronjob(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    job_spec = _dict(_dict(spec, "jobTemplate"), "spec")
    _pod_template(_dict(job_spec, "template"))
    if not spec.get("schedule"):
        _warn(obj, "spec.schedule")


def _hpa(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    for field in ("scaleTargetRef", "maxReplicas"):
        if field not in spec:
            _warn(obj, f"spec.{field}")
    status = _dict(obj, "status")
    status.setdefault("desiredReplicas", status.get("currentReplicas", 0))


def _event(obj: dict[str, Any]) -> None:
    _dict(obj, "involvedObject")
    obj.setdefault("reportingComponent", "")
    obj.setdefault("reportingInstance", "")
    obj.setdefault("eventTime", None)


def _node(obj: dict[str, Any]) -> None:
    info = (obj.get("status") or {}).get("nodeInfo")
    if isinstance(info, dict):
        for key in _NODE_INFO_KEYS:
            info.setdefault(key, "")


def _pdb(obj: dict[str, Any]) -> None:
    status = _dict(obj, "status")
    for key in ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods"):
        status.setdefault(key, 0)


def _webhooks(obj: dict[str, Any]) -> None:
    # The server's defaults for admissionregistration.k8s.io/v1 (sideEffects and
    # admissionReviewVersions are required at creation; a scenario may leave them out).
    for hook in obj.get("webhooks") or []:
        if not isinstance(hook, dict):
            continue
        hook.setdefault("admissionReviewVersions", ["v1"])
        hook.setdefault("sideEffects", "None")
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        hook.setdefault("timeoutSeconds", 10)
        hook.setdefault("namespaceSelector", {})
        hook.setdefault("objectSelector", {})
        _dict(hook, "clientConfig")
        service = hook["clientConfig"].get("service")
        if isinstance(service, dict):
            service.setdefault("port", 443)


def _storageclass(obj: dict[str, Any]) -> None:
    obj.setdefault("reclaimPolicy", "Delete")
    obj.setdefault("volumeBindingMode", "Immediate")
    if not obj.get("provisioner"):
        _warn(obj, "provisioner")


def _ingress(obj: dict[str, Any]) -> None:
    for rule in _dict(obj, "spec").get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict):
                path.setdefault("pathType", "ImplementationSpecific")


def _persistentvolume(obj: dict[str, Any]) -> None:
    spec = _dict(obj, "spec")
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    _dict(obj, "status").setdefault("phase", "Available")


def _namespace(obj: dict[str, Any]) -> None:
    """The API server labels every Namespace with its name (NamespaceDefaultLabelName, 1.22+)."""
    meta = _dict(obj, "metadata")
    _dict(meta, "labels")["kubernetes.io/metadata.name"] = str(meta.get("name", ""))
    _dict(obj, "spec").setdefault("finalizers", ["kubernetes"])
    _dict(obj, "status").setdefault("phase", "Active")


def _warn(obj: Mapping[str, Any], field: str) -> None:
    meta = obj.get("metadata") or {}
    logger.warning(
        "kind=<%s>, name=<%s/%s> | the manifest has no %s; the official client cannot read this object",
        obj.get("kind"),
        meta.get("namespace", ""),
        meta.get("name"),
        field,
    )


_FILLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replicaset,
    "StatefulSet": _statefulset,
    "DaemonSet": _daemonset,
    "Job": _job,
    "CronJob": _cronjob,
    "HorizontalPodAutoscaler": _hpa,
    "Event": _event,
    "Node": _node,
    "PodDisruptionBudget": _pdb,
    "ValidatingWebhookConfiguration": _webhooks,
    "MutatingWebhookConfiguration": _webhooks,
    "StorageClass": _storageclass,
    "Ingress": _ingress,
    "PersistentVolume": _persistentvolume,
    "Namespace": _namespace,
}
