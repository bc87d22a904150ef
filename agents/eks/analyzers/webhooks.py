"""Admission webhooks that fail closed (failurePolicy Fail) while their Service does not exist or
has no ready backend: every request they match is rejected by the API server, so pods, rollouts
and updates fail with `failed calling webhook`. The failure is the webhook backend's, not the
workload's."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, event_evidence, make_finding, object_evidence
from agents.eks.analyzers.refs import find
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity

KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
# `x509: certificate has expired or is not yet valid`, `x509: certificate signed by unknown authority`
TLS_FAILURE = re.compile(r"x509: [^\"\n]{1,100}")


def _addresses(endpoints: Obj | None) -> tuple[int, list[str]]:
    """Ready addresses, and the pods behind the not-ready ones."""
    ready, not_ready = 0, []
    for subset in (endpoints or {}).get("subsets") or []:
        ready += len(subset.get("addresses") or [])
        for address in subset.get("notReadyAddresses") or []:
            not_ready.append(str((address.get("targetRef") or {}).get("name") or address.get("ip", "?")))
    return ready, not_ready


def _rejections(analysis: Analysis, hook: str, service: str) -> list[Obj]:
    """Warning events whose message says a call to this webhook failed."""
    found = []
    for event in analysis.state.events:
        message = str(event.get("message", ""))
        if (
            event.get("type") == "Warning"
            and "webhook" in message
            and (f'"{hook}"' in message or service in message)
        ):
            found.append(event)
    return found


def _backend_state(analysis: Analysis, ns: str, name: str) -> str | None:
    """What is wrong with the webhook's Service, or None (fine, or not read)."""
    state = analysis.state
    service = find(analysis, "Service", ns, name)
    if service is None:
        return f"its Service {ns}/{name} does not exist" if state.known_absent("Service", ns, name) else None
    endpoints = find(analysis, "Endpoints", ns, name)
    if endpoints is None and not state.known_absent("Endpoints", ns, name):
        return None
    ready, not_ready = _addresses(endpoints)
    selector = o.spec(service).get("selector") or {}
    if endpoints is None and selector:
        # No Endpoints object: judge by the pods the Service selects (as the controller would).
        backends = [
            p for p in state.pods if o.namespace(p) == ns and o.selector_matches(selector, o.labels(p))
        ]
        ready = sum(1 for p in backends if o.condition_true(p, "Ready"))
        not_ready = [o.name(p) for p in backends if not o.condition_true(p, "Ready")]
    if ready:
        return None
    pods = f" ({len(not_ready)} not ready: {', '.join(not_ready[:3])})" if not_ready else " (no backend pod)"
    workload = backend_workload(analysis, ns, selector)
    if workload and not not_ready:
        return f"its Service {ns}/{name} has no ready endpoints ({_workload_state(workload[0], workload[1])})"
    return f"its Service {ns}/{name} has no ready endpoints{pods}"


def backend_workload(analysis: Analysis, ns: str, selector: dict[str, Any]) -> tuple[str, Obj] | None:
    """The controller whose pod template the Service selects: what runs (or should run) its backend."""
    if not selector:
        return None
    for kind in WORKLOADS:
        for workload in analysis.state.kind(kind):
            template = (o.spec(workload).get("template") or {}).get("metadata") or {}
            if o.namespace(workload) == ns and o.selector_matches(selector, template.get("labels") or {}):
                return kind, workload
    return None


def _workload_state(kind: str, workload: Obj) -> str:
    ns, name = o.namespace(workload), o.name(workload)
    desired = o.spec(workload).get("replicas")
    ready = o.status(workload).get("readyReplicas") or o.status(workload).get("numberReady") or 0
    if desired == 0:
        return f"its {kind} {ns}/{name} is scaled to 0 replicas"
    if desired is None:
        return f"its {kind} {ns}/{name} has {ready} ready pods"
    return f"its {kind} {ns}/{name} has {ready}/{desired} replicas ready"


def analyze_webhooks(analysis: Analysis) -> list[Finding]:
    findings = []
    for kind in KINDS:
        for config in analysis.state.kind(kind):
            for hook in config.get("webhooks") or []:
                finding = _webhook(analysis, kind, config, hook)
                if finding:
                    findings.append(finding)
    return findings


def _webhook(analysis: Analysis, kind: str, config: Obj, hook: dict[str, Any]) -> Finding | None:
    service = (hook.get("clientConfig") or {}).get("service") or {}
    policy = hook.get("failurePolicy") or "Fail"
    if policy != "Fail" or not service.get("name"):
        return None
    ns, name = str(service.get("namespace") or "default"), str(service["name"])
    hook_name = str(hook.get("name", ""))
    rejected = _rejections(analysis, hook_name, name)
    # A call that fails verifying the webhook's serving certificate reached a backend that answers:
    # the certificate (expired, or signed by a CA the caBundle does not hold) is what fails.
    tls = next((m.group(0) for e in rejected if (m := TLS_FAILURE.search(str(e.get("message", ""))))), None)
    problem = (
        f"the API server cannot verify its serving certificate ({tls})"
        if tls
        else _backend_state(analysis, ns, name)
    )
    if problem is None:
        return None
    target = find(analysis, "Service", ns, name)
    backend = backend_workload(analysis, ns, o.spec(target).get("selector") or {}) if target else None
    affected = sorted({f"{o.involved(e)[0]} {o.involved(e)[1]}/{o.involved(e)[2]}" for e in rejected})
    relevance = max(
        [
            0.5,
            analysis.relevance(ns, name),
            *(analysis.relevance(o.involved(e)[1], o.involved(e)[2]) for e in rejected),
        ]
    )
    if any(analysis.relevance(o.involved(e)[1], o.involved(e)[2]) >= 0.6 for e in rejected):
        # The alert's objects cannot be created because of this webhook: it is their cause, and
        # ranks just above the rejections it explains.
        relevance = min(1.0, max(relevance, 0.95) + 0.02)
    rules = ", ".join(
        f"{'/'.join(r.get('operations') or [])} {','.join(r.get('resources') or [])}"
        for r in hook.get("rules") or []
    )
    return make_finding(
        "webhook-certificate" if tls else "webhook-backend-down",
        f"{o.name(config)}/{hook_name}",
        severity=Severity.CRITICAL if rejected else Severity.WARNING,
        title=f"{kind} {o.name(config)}: webhook {hook_name} fails closed (failurePolicy Fail) and {problem}"
        + (
            f": the API server rejects {rules or 'what it matches'}, e.g. {affected[0]}"
            if affected
            else f": every request it matches ({rules or 'its rules'}) is rejected"
        ),
        resources=[
            o.path(kind, config),
            f"{ns}/Service/{name}",
            *([o.path(backend[0], backend[1])] if backend else []),
        ],
        evidence=[
            object_evidence(
                kind,
                config,
                f"webhook {hook_name}: service {ns}/{name}, failurePolicy {policy}, rules {rules}",
            ),
            *(event_evidence(e) for e in rejected[:2]),
        ],
        cause=CauseCategory.CERTIFICATE_EXPIRED if tls else CauseCategory.DEPENDENCY_FAILURE,
        relevance=relevance,
        first_seen=min(
            [
                *(t for e in rejected if (t := o.event_first_time(e))),
                *([down] if backend and (down := _down_since(backend[1])) else []),
            ],
            default=None,
        ),
        last_seen=max((t for e in rejected if (t := o.event_time(e))), default=None),
    )


def _down_since(workload: Obj) -> datetime | None:
    """When the backend stopped being available (its Available condition turned False): the
    webhook failed from then on, before the first request it rejected was logged."""
    available = o.conditions(workload).get("Available", {})
    return o.ts(available.get("lastTransitionTime")) if available.get("status") == "False" else None
