"""Plain-dict access to Kubernetes objects as the API serves them (camelCase JSON).

The analyzers work on these dicts, whether fetched from an API server or read from a scenario
file, so a test can feed them the manifests a user would paste.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.timeutil import parse_time

Obj = dict[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

KINDS = (
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "Node",
    "Event",
    "Service",
    "Endpoints",
    "HorizontalPodAutoscaler",
    "PersistentVolumeClaim",
    "ConfigMap",
    "Secret",
)


def meta(obj: Obj) -> dict[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def name(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def namespace(obj: Obj) -> str | None:
    value = meta(obj).get("namespace")
    return str(value) if value else None


def labels(obj: Obj) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations_of(obj: Obj) -> dict[str, str]:
    return dict(meta(obj).get("annotations") or {})


def path(kind: str, obj: Obj) -> str:
    """`shop/Pod/checkout-7d9f8c6b5-x2k4p`, or `Node/ip-10-0-3-17.ec2.internal` when cluster-scoped."""
    ns = namespace(obj)
    return f"{ns}/{kind}/{name(obj)}" if ns else f"{kind}/{name(obj)}"


def ts(value: Any) -> datetime | None:
    """An RFC 3339 time from the API (or None when absent or malformed)."""
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def created(obj: Obj) -> datetime | None:
    return ts(meta(obj).get("creationTimestamp"))


def spec(obj: Obj) -> dict[str, Any]:
    return obj.get("spec") or {}


def status(obj: Obj) -> dict[str, Any]:
    return obj.get("status") or {}


def conditions(obj: Obj) -> dict[str, dict[str, Any]]:
    return {c.get("type", ""): c for c in status(obj).get("conditions") or [] if isinstance(c, dict)}


def condition_true(obj: Obj, kind: str) -> bool:
    return conditions(obj).get(kind, {}).get("status") == "True"


def owner(obj: Obj) -> tuple[str, str] | None:
    """The controlling owner (kind, name), or the first owner."""
    refs = [r for r in meta(obj).get("ownerReferences") or [] if isinstance(r, dict)]
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return (str(ref.get("kind", "")), str(ref.get("name", ""))) if ref else None


def selector_matches(selector: dict[str, str] | None, obj_labels: dict[str, str]) -> bool:
    """A Service-style equality selector; an empty selector matches nothing (no endpoints managed)."""
    if not selector:
        return False
    return all(obj_labels.get(k) == v for k, v in selector.items())


def label_selector_matches(selector: dict[str, Any] | None, obj_labels: dict[str, str]) -> bool:
    """A workload's `spec.selector` (matchLabels and matchExpressions)."""
    if not selector:
        return False
    if not all(obj_labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), set(expr.get("values") or [])
        present = key in obj_labels
        if (
            (op == "In" and obj_labels.get(key) not in values)
            or (op == "NotIn" and obj_labels.get(key) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def image_ref(image: str) -> str:
    """`123.dkr.ecr.us-east-1.amazonaws.com/checkout:v2.3.0` -> `checkout:v2.3.0` (repo basename)."""
    base = image.rsplit("/", 1)[-1]
    if "@" in base:
        repo, digest = base.split("@", 1)
        return f"{repo}@{digest[:19]}"
    return base


def image_tag(image: str) -> str:
    """The tag (`v2.3.0`), a short digest, or `latest` when none is given."""
    base = image.rsplit("/", 1)[-1]
    if "@" in base:
        return base.split("@", 1)[1][:19]
    return base.split(":", 1)[1] if ":" in base else "latest"


def template_containers(obj: Obj) -> list[dict[str, Any]]:
    """Containers of a workload's pod template, or of a pod (init containers first)."""
    pod_spec = spec(obj).get("template", {}).get("spec") if "template" in spec(obj) else spec(obj)
    pod_spec = pod_spec or {}
    return [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]


def pod_spec(obj: Obj) -> dict[str, Any]:
    return (spec(obj).get("template", {}).get("spec") if "template" in spec(obj) else spec(obj)) or {}


def event_time(event: Obj) -> datetime | None:
    """When an event last happened (core/v1 lastTimestamp, events.k8s.io series / eventTime)."""
    series = event.get("series") or {}
    return (
        ts(event.get("lastTimestamp"))
        or ts(series.get("lastObservedTime"))
        or ts(event.get("eventTime"))
        or created(event)
    )


def event_first_time(event: Obj) -> datetime | None:
    return ts(event.get("firstTimestamp")) or ts(event.get("eventTime")) or event_time(event)


def event_count(event: Obj) -> int:
    return int(event.get("count") or (event.get("series") or {}).get("count") or 1)


def involved(event: Obj) -> tuple[str, str | None, str]:
    """(kind, namespace, name) of the object an event is about."""
    ref = event.get("involvedObject") or event.get("regarding") or {}
    return str(ref.get("kind", "")), ref.get("namespace") or namespace(event), str(ref.get("name", ""))


@dataclass
class EventIndex:
    """Events by the object they are about, newest first."""

    by_object: dict[tuple[str, str | None, str], list[Obj]] = field(default_factory=dict)

    @classmethod
    def of(cls, events: list[Obj]) -> EventIndex:
        index = cls()
        for event in events:
            index.by_object.setdefault(involved(event), []).append(event)
        for items in index.by_object.values():
            items.sort(key=lambda e: event_time(e) or _EPOCH, reverse=True)
        return index

    def about(
        self, kind: str, ns: str | None, obj_name: str, reason: str | None = None, warning_only: bool = False
    ) -> list[Obj]:
        found = self.by_object.get((kind, ns, obj_name), [])
        return [
            e
            for e in found
            if (reason is None or e.get("reason") == reason)
            and (not warning_only or e.get("type") == "Warning")
        ]
