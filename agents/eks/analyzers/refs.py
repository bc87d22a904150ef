"""What the routing analyzers share: resolving a reference to a Service (and its port) in what was
read, telling "does not exist" from "was not read", and the relevance of the workloads behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago
from agents.eks.analyzers.config_changes import change_time
from agents.eks.objects import Obj


@dataclass(frozen=True)
class ServiceRef:
    namespace: str
    name: str
    port: int | str | None = None  # a number, a port name, or unset

    @property
    def text(self) -> str:
        port = f":{self.port}" if self.port not in (None, "") else ""
        return f"{self.namespace}/{self.name}{port}"


def find(analysis: Analysis, kind: str, namespace: str | None, name: str) -> Obj | None:
    for obj in analysis.state.kind(kind):
        if o.name(obj) == name and o.namespace(obj) == namespace:
            return obj
    return None


def port_problem(service: Obj, port: int | str | None) -> str | None:
    """Why `port` is not one of the Service's ports (None when it is, or when no port is given)."""
    if port in (None, ""):
        return None
    ports = [p for p in o.spec(service).get("ports") or [] if isinstance(p, dict)]
    if isinstance(port, int) or str(port).isdigit():
        if any(int(p.get("port") or 0) == int(port) for p in ports):
            return None
    elif any(p.get("name") == port for p in ports):
        return None
    offered = ", ".join(f"{p.get('port')}" + (f" ({p['name']})" if p.get("name") else "") for p in ports)
    return f"has no port {port} (it offers {offered or 'none'})"


def service_problem(analysis: Analysis, ref: ServiceRef) -> tuple[str, Obj | None] | None:
    """(`does not exist` | `has no port 8080 (...)`, the Service) for a reference that cannot route;
    None when it resolves or when what would tell was not read."""
    service = find(analysis, "Service", ref.namespace, ref.name)
    if service is None:
        if analysis.state.known_absent("Service", ref.namespace, ref.name):
            return "does not exist", None
        return None
    problem = port_problem(service, ref.port)
    return (problem, service) if problem else None


def backend_relevance(analysis: Analysis, ref: ServiceRef) -> float:
    """A Service is as relevant as its name, or as the pods it selects."""
    relevance = analysis.relevance(ref.namespace, ref.name)
    service = find(analysis, "Service", ref.namespace, ref.name)
    selector = o.spec(service).get("selector") if service else None
    if selector:
        for pod in analysis.state.pods:
            if o.namespace(pod) == ref.namespace and o.selector_matches(selector, o.labels(pod)):
                relevance = max(relevance, analysis.pod_relevance(pod))
    return relevance


def recent_change(analysis: Analysis, objects: list[tuple[str, Obj | None]]) -> tuple[datetime, str] | None:
    """The newest change inside the window among `objects` ((kind, object) pairs), worded:
    `the Service shop/checkout changed 11 min before the alert`."""
    found: list[tuple[datetime, str]] = []
    for kind, obj in objects:
        if obj is None:
            continue
        at, _ = change_time(obj)
        if at is not None and at >= analysis.scope.window_start:
            found.append((at, f"{kind} {o.namespace(obj)}/{o.name(obj)} changed {ago(analysis.scope, at)}"))
    return max(found, key=lambda f: f[0]) if found else None
