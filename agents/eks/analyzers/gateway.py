"""Gateway API: GatewayClasses no controller accepted, Gateways and listeners not accepted or not
programmed, HTTPRoutes not accepted or whose parent Gateway, backend Service or port does not exist,
and cross-namespace backends no ReferenceGrant allows."""

from __future__ import annotations

from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence, short
from agents.eks.analyzers.endpoints import route_hosts, route_paths
from agents.eks.analyzers.refs import ServiceRef, backend_relevance, find, recent_change, service_problem
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance

GROUP = "gateway.networking.k8s.io"
# The route's namespace or kind is not among those its Gateway's listeners allow.
NOT_ALLOWED = "NotAllowedByListeners"
# Route condition reasons saying traffic cannot reach the backend: a reference that does not resolve
# to a backend that exists, or a cross-namespace attachment or reference the other side does not
# allow (the Gateway's allowedRoutes, a missing ReferenceGrant). The route is refused where it
# attaches, as a network policy refuses a connection: a network failure, not a setting to fix in the
# workload.
_UNREACHABLE = {"BackendNotFound", NOT_ALLOWED, "RefNotPermitted"}


def _false(conditions: list[dict[str, Any]] | None, kind: str) -> dict[str, Any] | None:
    for cond in conditions or []:
        if isinstance(cond, dict) and cond.get("type") == kind and cond.get("status") == "False":
            return cond
    return None


def _cond_text(cond: dict[str, Any]) -> str:
    return f"{cond.get('type')}=False {cond.get('reason', '')}: {short(str(cond.get('message', '')), 140)}"


def analyze_gateway_api(analysis: Analysis) -> list[Finding]:
    findings: list[Finding] = []
    findings += _classes(analysis)
    findings += _gateways(analysis)
    findings += _routes(analysis)
    return findings


def _gateway_relevance(analysis: Analysis, gateway: Obj) -> float:
    """A Gateway matters as much as the most relevant route attached to it."""
    relevance = analysis.relevance(o.namespace(gateway), o.name(gateway))
    for route in analysis.state.kind("HTTPRoute"):
        for parent in o.spec(route).get("parentRefs") or []:
            ns = parent.get("namespace") or o.namespace(route)
            if parent.get("name") == o.name(gateway) and ns == o.namespace(gateway):
                relevance = max(relevance, _route_relevance(analysis, route))
    return relevance


def _route_relevance(analysis: Analysis, route: Obj) -> float:
    """A route is as relevant as its name, its backends, or the alerted URLs it serves."""
    relevance = analysis.relevance(o.namespace(route), o.name(route))
    relevance = max(relevance, analysis.served_relevance(route_hosts(route), route_paths(route)))
    for ref in _backend_refs(route):
        relevance = max(relevance, backend_relevance(analysis, ref))
    return relevance


def _classes(analysis: Analysis) -> list[Finding]:
    findings = []
    for gc in analysis.state.kind("GatewayClass"):
        name = o.name(gc)
        conditions = o.status(gc).get("conditions") or []
        refused = _false(conditions, "Accepted")
        accepted = any(c.get("type") == "Accepted" and c.get("status") == "True" for c in conditions)
        if accepted:
            continue
        users = [g for g in analysis.state.kind("Gateway") if o.spec(g).get("gatewayClassName") == name]
        relevance = max([0.5, *(_gateway_relevance(analysis, g) for g in users)])
        controller = o.spec(gc).get("controllerName", "?")
        why = _cond_text(refused) if refused else f"no controller ({controller}) has accepted it"
        findings.append(
            make_finding(
                "gatewayclass-not-accepted",
                name,
                severity=Severity.CRITICAL if users and relevance >= Relevance.DIRECT else Severity.WARNING,
                title=f"GatewayClass {name} not accepted ({why})"
                + (f"; used by Gateway {o.namespace(users[0])}/{o.name(users[0])}" if users else ""),
                resources=[o.path("GatewayClass", gc), *(o.path("Gateway", g) for g in users[:3])],
                evidence=[object_evidence("GatewayClass", gc, f"controllerName {controller}; {why}")],
                cause=CauseCategory.BAD_CONFIG,
                relevance=relevance,
            )
        )
    return findings


def _gateways(analysis: Analysis) -> list[Finding]:
    findings = []
    state = analysis.state
    for gw in state.kind("Gateway"):
        ns, name = o.namespace(gw), o.name(gw)
        relevance = _gateway_relevance(analysis, gw)
        severity = Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING
        class_name = o.spec(gw).get("gatewayClassName", "")
        conditions = o.status(gw).get("conditions") or []
        # A Gateway its controller accepted has a class that controller serves, whatever the list of
        # GatewayClasses read says (one not readable, or not served by a stand-in).
        accepted = any(c.get("type") == "Accepted" and c.get("status") == "True" for c in conditions)
        if class_name and not accepted and state.known_absent("GatewayClass", None, class_name):
            findings.append(
                make_finding(
                    "gateway-class-missing",
                    f"{ns}/{name}",
                    severity=severity,
                    title=f"Gateway {ns}/{name} names GatewayClass {class_name}, which does not exist",
                    resources=[o.path("Gateway", gw)],
                    evidence=[object_evidence("Gateway", gw, f"spec.gatewayClassName: {class_name}")],
                    cause=CauseCategory.BAD_CONFIG,
                    relevance=relevance,
                )
            )
            continue
        bad = _false(conditions, "Accepted") or _false(conditions, "Programmed")
        listeners = []
        for listener in o.status(gw).get("listeners") or []:
            cond = (
                _false(listener.get("conditions"), "Programmed")
                or _false(listener.get("conditions"), "ResolvedRefs")
                or _false(listener.get("conditions"), "Accepted")
            )
            if cond:
                listeners.append((str(listener.get("name", "?")), cond))
        if not bad and not listeners:
            continue
        parts = [_cond_text(bad)] if bad else []
        parts += [f"listener {n}: {_cond_text(c)}" for n, c in listeners[:3]]
        reasons = {str(c.get("reason")) for c in ([bad] if bad else []) + [c for _, c in listeners]}
        cause = CauseCategory.NETWORK_FAILURE if "AddressNotAssigned" in reasons else CauseCategory.BAD_CONFIG
        what = "not programmed" if any(c.get("type") == "Programmed" for c in [bad] if c) else "not accepted"
        if not bad:
            what = "listener " + ", ".join(n for n, _ in listeners[:3]) + " not ready"
        findings.append(
            make_finding(
                "gateway-not-ready",
                f"{ns}/{name}",
                severity=severity,
                title=f"Gateway {ns}/{name} {what}: " + "; ".join(parts),
                resources=[o.path("Gateway", gw)],
                evidence=[object_evidence("Gateway", gw, "; ".join(parts))],
                cause=cause,
                relevance=relevance,
            )
        )
    return findings


def _backend_refs(route: Obj) -> list[ServiceRef]:
    ns = o.namespace(route) or "default"
    refs = []
    for rule in o.spec(route).get("rules") or []:
        for backend in (rule or {}).get("backendRefs") or []:
            if not isinstance(backend, dict) or backend.get("kind", "Service") != "Service":
                continue
            if backend.get("group", "") not in ("", "core"):
                continue
            refs.append(
                ServiceRef(backend.get("namespace") or ns, str(backend.get("name", "")), backend.get("port"))
            )
    return refs


def _granted(analysis: Analysis, route_ns: str, ref: ServiceRef) -> bool | None:
    """Whether a ReferenceGrant in the Service's namespace lets HTTPRoutes of `route_ns` reach it
    (None when the grants were not read)."""
    if not analysis.state.complete("ReferenceGrant"):
        return None
    for grant in analysis.state.kind("ReferenceGrant"):
        if o.namespace(grant) != ref.namespace:
            continue
        spec = o.spec(grant)
        from_ok = any(
            f.get("group") == GROUP and f.get("kind") == "HTTPRoute" and f.get("namespace") == route_ns
            for f in spec.get("from") or []
        )
        to_ok = any(
            t.get("group", "") in ("", "core")
            and t.get("kind") == "Service"
            and t.get("name") in (None, ref.name)
            for t in spec.get("to") or []
        )
        if from_ok and to_ok:
            return True
    return False


def _routes(analysis: Analysis) -> list[Finding]:
    findings = []
    state = analysis.state
    for route in state.kind("HTTPRoute"):
        ns, name = o.namespace(route) or "default", o.name(route)
        relevance = _route_relevance(analysis, route)
        severity = Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING
        path = o.path("HTTPRoute", route)
        own: list[Finding] = []
        for parent in o.spec(route).get("parentRefs") or []:
            if parent.get("kind", "Gateway") != "Gateway":
                continue
            gw_ns, gw_name = parent.get("namespace") or ns, str(parent.get("name", ""))
            if find(analysis, "Gateway", gw_ns, gw_name) is None and state.known_absent(
                "Gateway", gw_ns, gw_name
            ):
                own.append(
                    make_finding(
                        "httproute-gateway-missing",
                        f"{ns}/{name}/{gw_ns}/{gw_name}",
                        severity=severity,
                        title=f"HTTPRoute {ns}/{name} attaches to Gateway {gw_ns}/{gw_name}, which does not "
                        "exist: the route serves no traffic",
                        resources=[path],
                        evidence=[object_evidence("HTTPRoute", route, f"parentRefs: {gw_ns}/{gw_name}")],
                        cause=CauseCategory.BAD_CONFIG,
                        relevance=relevance,
                    )
                )
        for ref in _backend_refs(route):
            if ref.namespace != ns and _granted(analysis, ns, ref) is False:
                own.append(
                    make_finding(
                        "httproute-ref-not-permitted",
                        f"{ns}/{name}/{ref.namespace}/{ref.name}",
                        severity=severity,
                        title=f"HTTPRoute {ns}/{name} sends traffic to Service {ref.text} in another "
                        f"namespace and no ReferenceGrant in {ref.namespace} allows HTTPRoutes from {ns}: "
                        "RefNotPermitted",
                        resources=[path, f"{ref.namespace}/Service/{ref.name}"],
                        evidence=[
                            object_evidence(
                                "HTTPRoute", route, f"backendRefs: {ref.text} (namespace {ref.namespace})"
                            )
                        ],
                        cause=CauseCategory.NETWORK_FAILURE,
                        relevance=relevance,
                    )
                )
                continue
            problem = service_problem(analysis, ref)
            if problem:
                changed = recent_change(analysis, [("HTTPRoute", route), ("Service", problem[1])])
                own.append(
                    make_finding(
                        "httproute-backend-missing"
                        if problem[0] == "does not exist"
                        else "httproute-backend-port",
                        f"{ns}/{name}/{ref.namespace}/{ref.name}",
                        severity=severity,
                        change=Trigger.CONFIG_CHANGE if changed else None,
                        first_seen=changed[0] if changed else None,
                        title=f"HTTPRoute {ns}/{name} sends traffic to Service {ref.text}, "
                        f"which {problem[0]}" + (f"; the {changed[1]}" if changed else ""),
                        resources=[path, f"{ref.namespace}/Service/{ref.name}"],
                        evidence=[object_evidence("HTTPRoute", route, f"backendRefs: {ref.text}")],
                        cause=CauseCategory.NETWORK_FAILURE,
                        relevance=relevance,
                    )
                )
        status = _route_status(analysis, route, relevance, severity)
        if status and status[0].id.startswith("eks:httproute-not-accepted:"):
            # Not attached to its Gateway, the route takes no traffic: its backends are not why
            # requests fail.
            own = status
        findings += own or status
    return findings


def _route_status(analysis: Analysis, route: Obj, relevance: float, severity: Severity) -> list[Finding]:
    """What the Gateway controllers say about the route in its status, per parent."""
    ns, name = o.namespace(route), o.name(route)
    for parent in o.status(route).get("parents") or []:
        ref = parent.get("parentRef") or {}
        cond = _false(parent.get("conditions"), "Accepted") or _false(
            parent.get("conditions"), "ResolvedRefs"
        )
        if not cond:
            continue
        reason = str(cond.get("reason", ""))
        cause = CauseCategory.NETWORK_FAILURE if reason in _UNREACHABLE else CauseCategory.BAD_CONFIG
        gw_ns, gw_name = str(ref.get("namespace") or ns), str(ref.get("name", "?"))
        gateway = f"{gw_ns}/{gw_name}"
        gw = find(analysis, "Gateway", gw_ns, gw_name)
        why = _listener_limits(gw, ref.get("sectionName"), str(ns)) if gw and reason == NOT_ALLOWED else ""
        changed = recent_change(analysis, [("HTTPRoute", route), ("Gateway", gw)])
        evidence = [object_evidence("HTTPRoute", route, f"status.parents[{gateway}]: {_cond_text(cond)}")]
        if why and gw:
            evidence.append(object_evidence("Gateway", gw, why))
        return [
            make_finding(
                "httproute-not-accepted" if cond.get("type") == "Accepted" else "httproute-refs-unresolved",
                f"{ns}/{name}",
                severity=severity,
                change=Trigger.CONFIG_CHANGE if changed else None,
                first_seen=changed[0] if changed else None,
                title=f"HTTPRoute {ns}/{name} on Gateway {gateway}: {_cond_text(cond)}"
                + (f"; {why}" if why else "")
                + (f"; the {changed[1]}" if changed else ""),
                resources=[o.path("HTTPRoute", route), *([o.path("Gateway", gw)] if gw else [])],
                evidence=evidence,
                cause=cause,
                relevance=relevance,
            )
        ]
    return []


def _listener_limits(gateway: Obj, section: Any, route_ns: str) -> str:
    """Which routes the Gateway's listeners (the one the route names, else all) allow to attach,
    worded against the route's namespace: why a controller says NotAllowedByListeners."""
    parts = []
    gw_ns = o.namespace(gateway)
    for listener in o.spec(gateway).get("listeners") or []:
        if section and listener.get("name") != section:
            continue
        allowed = listener.get("allowedRoutes") or {}
        namespaces = allowed.get("namespaces") or {}
        source = str(namespaces.get("from") or "Same")
        kinds = ", ".join(str(k.get("kind")) for k in allowed.get("kinds") or [] if isinstance(k, dict))
        text = f"listener {listener.get('name', '?')} allowedRoutes.namespaces.from: {source}"
        if source == "Same" and route_ns != gw_ns:
            text += f" (only routes in {gw_ns}, the route is in {route_ns})"
        elif source == "Selector":
            text += f" (selector {namespaces.get('selector')})"
        if kinds:
            text += f", kinds: {kinds}"
        parts.append(text)
    return "; ".join(parts[:3])
