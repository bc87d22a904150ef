"""Ingresses: a backend Service or port that does not exist, an IngressClass that does not exist
(or none set while no class is the default), a TLS Secret that does not exist."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence
from agents.eks.analyzers.endpoints import ingress_rules
from agents.eks.analyzers.refs import ServiceRef, backend_relevance, find, recent_change, service_problem
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

DEFAULT_CLASS = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS = "kubernetes.io/ingress.class"
EVENT_TTL = timedelta(hours=1)


def _backends(ingress: Obj) -> list[tuple[str, dict[str, Any]]]:
    """(where, backend) of every rule path and the default backend."""
    spec = o.spec(ingress)
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(spec.get("defaultBackend"), dict):
        found.append(("default backend", spec["defaultBackend"]))
    for rule in spec.get("rules") or []:
        host = (rule or {}).get("host") or "*"
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(path, dict) and isinstance(path.get("backend"), dict):
                found.append((f"{host}{path.get('path') or '/'}", path["backend"]))
    return found


def _service_ref(ns: str, backend: dict[str, Any]) -> ServiceRef | None:
    service = backend.get("service")
    if not isinstance(service, dict) or not service.get("name"):
        return None  # a resource backend (e.g. a bucket), not a Service
    port = service.get("port") or {}
    return ServiceRef(ns, str(service["name"]), port.get("number") or port.get("name"))


def ingress_relevance(analysis: Analysis, ingress: Obj) -> float:
    """An Ingress is as relevant as its name, as the Services (and their pods) it routes to, or as
    the alerted URLs it serves."""
    ns = o.namespace(ingress) or "default"
    refs = [ref for _, b in _backends(ingress) if (ref := _service_ref(ns, b))]
    return max(
        [
            analysis.relevance(ns, o.name(ingress)),
            *(backend_relevance(analysis, r) for r in refs),
            *(analysis.served_relevance(hosts, paths) for hosts, paths in ingress_rules(ingress)),
        ]
    )


def _backend_relevance(analysis: Analysis, ingress: Obj, ref: ServiceRef, wheres: list[str]) -> float:
    """A broken backend is as relevant as the Ingress by name, as its Service, or as the alerted
    URLs its own rules serve: not as a sibling rule that serves the alerted URL (the alert is about
    /account; the /search backend is missing: that is not on its path)."""
    own: list[tuple[list[str], list[str]]] = []
    for where in wheres:
        if where == "default backend":
            own.append(([], ["/"]))
            continue
        host, _, path = where.partition("/")
        own.append(([] if host == "*" else [host], ["/" + path]))
    return max(
        [
            analysis.relevance(ref.namespace, o.name(ingress)),
            backend_relevance(analysis, ref),
            *(analysis.served_relevance(hosts, paths) for hosts, paths in own),
        ]
    )


_CLASS_ARGS = (
    "--ingress-class",
    "--controller-class",
    "--watch-ingress-without-class",
    "--ingress-class-name",
)


def _controllers(analysis: Analysis) -> list[tuple[Obj, str, str]]:
    """(workload, `Deployment ingress-nginx/ingress-nginx-controller`, `--ingress-class=nginx ...`)
    for the ingress controllers read: workloads whose container args choose the classes they serve."""
    found = []
    for kind in ("Deployment", "DaemonSet", "StatefulSet"):
        for workload in analysis.state.kind(kind):
            args = [
                str(a)
                for c in o.template_containers(workload)
                for a in [*(c.get("command") or []), *(c.get("args") or [])]
            ]
            chosen = [a for a in args if a.split("=", 1)[0] in _CLASS_ARGS]
            if chosen:
                found.append(
                    (workload, f"{kind} {o.namespace(workload)}/{o.name(workload)}", " ".join(chosen))
                )
    labels = {label for _, label, _ in found}
    for pod in analysis.state.pods:  # a controller whose Deployment was not read: its pods say it
        kind, name = analysis.workload_of(pod)
        label = f"{kind} {o.namespace(pod)}/{name}"
        args = [
            str(a)
            for c in o.template_containers(pod)
            for a in [*(c.get("command") or []), *(c.get("args") or [])]
        ]
        chosen = [a for a in args if a.split("=", 1)[0] in _CLASS_ARGS]
        if chosen and label not in labels:
            labels.add(label)
            found.append((pod, label, " ".join(chosen)))
    return found


def _controller_text(analysis: Analysis) -> tuple[str, Trigger | None, datetime | None]:
    """`; the controllers: Deployment ingress-nginx/ingress-nginx-controller (--ingress-class=nginx),
    rolled out 25 min before the alert (controller v0.49.3 -> v1.0.4)`, with the rollout as a
    change when it is inside the window."""
    parts, change, at = [], None, None
    for workload, label, chosen in _controllers(analysis)[:2]:
        text = label
        rolled = _rolled_out(analysis, workload)
        if rolled:
            when, what = rolled
            text += f" rolled out {ago(analysis.scope, when)}{' (' + what + ')' if what else ''}"
            if when >= analysis.scope.window_start:
                change, at = Trigger.DEPLOY, when
        parts.append(f"{text}, serves {chosen}")
    return (f"; controller {'; '.join(parts)}" if parts else ""), change, at


def _rolled_out(analysis: Analysis, workload: Obj) -> tuple[datetime, str] | None:
    """When the workload's newest ReplicaSet was created, and its image change, within 24 h."""
    sets = [
        rs
        for rs in analysis.state.kind("ReplicaSet")
        if o.namespace(rs) == o.namespace(workload) and o.owner(rs) == ("Deployment", o.name(workload))
    ]
    sets.sort(key=lambda rs: str(o.meta(rs).get("creationTimestamp", "")), reverse=True)
    if (
        not sets
        or (created := o.created(sets[0])) is None
        or created < analysis.scope.anchor - timedelta(days=1)
    ):
        return None
    what = ""
    if len(sets) > 1:
        old = {c.get("name"): c.get("image") for c in o.template_containers(sets[1])}
        what = ", ".join(
            f"{o.image_ref(str(old[c.get('name')]))} -> {o.image_ref(str(c.get('image')))}"
            for c in o.template_containers(sets[0])
            if old.get(c.get("name")) not in (None, c.get("image"))
        )
    return created, what


def _class_list(classes: dict[str, Obj]) -> str:
    """`alb (ingress.k8s.aws/alb), nginx (k8s.io/ingress-nginx)`: each class with its controller."""
    return ", ".join(
        f"{name} ({o.spec(c)['controller']})" if o.spec(c).get("controller") else name
        for name, c in sorted(classes.items())
    )


def analyze_ingresses(analysis: Analysis) -> list[Finding]:
    state = analysis.state
    classes = {o.name(c): c for c in state.kind("IngressClass")}
    defaults = [n for n, c in classes.items() if o.annotations_of(c).get(DEFAULT_CLASS) == "true"]
    findings: list[Finding] = []
    for ingress in state.kind("Ingress"):
        ns, name = o.namespace(ingress) or "default", o.name(ingress)
        refs = [(where, ref) for where, b in _backends(ingress) if (ref := _service_ref(ns, b))]
        relevance = ingress_relevance(analysis, ingress)
        severity = Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING
        path = o.path("Ingress", ingress)
        warnings = analysis.events.about("Ingress", ns, name, warning_only=True)
        problems: dict[tuple[str, int | str | None], list[str]] = {}
        for where, ref in refs:
            unroutable = service_problem(analysis, ref)
            if unroutable:
                problems.setdefault((ref.name, ref.port), [unroutable[0]]).append(where)
        for (service, port), (problem, *wheres) in problems.items():
            ref = ServiceRef(ns, service, port)
            backend = _backend_relevance(analysis, ingress, ref, wheres)
            missing = problem == "does not exist"
            target = find(analysis, "Service", ns, service)
            changed = recent_change(analysis, [("Ingress", ingress), ("Service", target)])
            findings.append(
                make_finding(
                    "ingress-backend-missing" if missing else "ingress-backend-port",
                    f"{ns}/{name}/{service}",
                    severity=Severity.CRITICAL if backend >= Relevance.DIRECT else Severity.WARNING,
                    change=Trigger.CONFIG_CHANGE if changed else None,
                    first_seen=changed[0] if changed else None,
                    title=f"Ingress {ns}/{name} routes {', '.join(wheres[:3])} to Service {ref.text}, which "
                    f"{problem}: those requests get 503s from the ingress controller"
                    + (f"; the {changed[1]}" if changed else ""),
                    resources=[path, f"{ns}/Service/{service}"],
                    evidence=[
                        object_evidence(
                            "Ingress", ingress, f"backend service {service} port {port} ({', '.join(wheres)})"
                        ),
                        *(event_evidence(e) for e in warnings[:2]),
                    ],
                    cause=CauseCategory.NETWORK_FAILURE,
                    relevance=backend,
                )
            )
        class_name = o.spec(ingress).get("ingressClassName")
        legacy = o.annotations_of(ingress).get(LEGACY_CLASS)
        # A cluster listing no IngressClass at all is more likely a partial picture than the cause.
        class_severity, class_relevance = (
            (severity, relevance) if classes else (Severity.WARNING, relevance * 0.7)
        )
        # A controller that writes events about the Ingress, or gave it an address, serves it (with
        # no class listed at all, the list is what is missing, not the class).
        # An event older than the API server's event TTL (1 h) is from an earlier state of the
        # Ingress (a Sync before its class was changed), not a sign that a controller serves it now.
        served = bool((o.status(ingress).get("loadBalancer") or {}).get("ingress")) or any(
            e.get("source", {}).get("component") not in (None, "", "kubelet")
            and (at := o.event_time(e)) is not None
            and at >= analysis.scope.anchor - EVENT_TTL
            for e in analysis.events.about("Ingress", ns, name)
        )
        if state.complete("IngressClass") and not served:
            controllers, rolled, rolled_at = _controller_text(analysis)
            if class_name and class_name not in classes:
                known = _class_list(classes) or "none"
                findings.append(
                    make_finding(
                        "ingress-class-missing",
                        f"{ns}/{name}",
                        severity=class_severity,
                        title=f"Ingress {ns}/{name} names IngressClass {class_name}, which does not exist "
                        f"(classes: {known}): no controller serves it" + controllers,
                        change=rolled,
                        first_seen=rolled_at,
                        resources=[path],
                        evidence=[
                            object_evidence("Ingress", ingress, f"spec.ingressClassName: {class_name}")
                        ],
                        cause=CauseCategory.BAD_CONFIG,
                        relevance=class_relevance,
                    )
                )
            elif not class_name and not legacy and not defaults:
                known = _class_list(classes) or "none exists"
                findings.append(
                    make_finding(
                        "ingress-class-unset",
                        f"{ns}/{name}",
                        severity=class_severity,
                        title=f"Ingress {ns}/{name} sets no ingressClassName and no IngressClass is the "
                        f"default ({known}): no controller serves it" + controllers,
                        change=rolled,
                        first_seen=rolled_at,
                        resources=[path],
                        evidence=[
                            object_evidence(
                                "Ingress", ingress, f"no spec.ingressClassName, no {LEGACY_CLASS} annotation"
                            )
                        ],
                        cause=CauseCategory.BAD_CONFIG,
                        relevance=class_relevance,
                    )
                )
        for tls in o.spec(ingress).get("tls") or []:
            secret = (tls or {}).get("secretName")
            if secret and state.known_absent("Secret", ns, secret):
                hosts = ", ".join((tls or {}).get("hosts") or []) or "its hosts"
                changed = recent_change(analysis, [("Ingress", ingress)])
                # Clients get the controller's default (self-signed, wrong-name) certificate: an
                # invalid certificate, whatever made the Secret go missing.
                findings.append(
                    make_finding(
                        "ingress-tls-secret-missing",
                        f"{ns}/{name}/{secret}",
                        severity=severity,
                        change=Trigger.CONFIG_CHANGE if changed else None,
                        first_seen=changed[0] if changed else None,
                        title=f"Ingress {ns}/{name}: TLS Secret {ns}/{secret} for {hosts} does not exist: "
                        f"the controller serves its default certificate for {hosts} instead, which "
                        "clients reject" + (f"; the {changed[1]}" if changed else ""),
                        resources=[path, f"{ns}/Secret/{secret}"],
                        evidence=[
                            object_evidence("Ingress", ingress, f"spec.tls: secretName {secret} ({hosts})")
                        ],
                        cause=CauseCategory.CERTIFICATE_EXPIRED,
                        relevance=relevance,
                    )
                )
    return findings
