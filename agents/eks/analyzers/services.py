"""Services whose selector matches no pod, or which have no ready endpoints."""

from __future__ import annotations

import re
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence
from agents.eks.analyzers.config_changes import change_time
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance


def _addresses(endpoints: Obj) -> tuple[int, int]:
    subsets: list[dict[str, Any]] = endpoints.get("subsets") or []
    ready = sum(len(s.get("addresses") or []) for s in subsets)
    not_ready = sum(len(s.get("notReadyAddresses") or []) for s in subsets)
    return ready, not_ready


def _near_misses(service: str, selector: dict[str, str], pods: list[Obj]) -> str:
    """What the pods that look like the Service's carry instead: the labels of pods named after
    it (`app=wishlist`), else the values the namespace's pods have for the selector's keys."""
    named = [p for p in pods if o.name(p).startswith(service + "-")]
    if named:
        labels = {k: v for k, v in o.labels(named[0]).items() if k != "pod-template-hash"}
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())[:4])
    seen: dict[str, set[str]] = {}
    for pod in pods:
        for key in selector:
            value = o.labels(pod).get(key)
            if value is not None:
                seen.setdefault(key, set()).add(value)
    return ", ".join(f"{k}={v}" for k, values in seen.items() for v in sorted(values)[:3])


def _unmatched(selector: dict[str, str], pods: list[Obj], service: str) -> str:
    """The selector's key=value pairs that no pod carries (of the pods named after the Service
    when there are some): `track=stable (key track)`."""
    named = [p for p in pods if o.name(p).startswith(service + "-")] or pods
    missing = [(k, v) for k, v in selector.items() if not any(o.labels(p).get(k) == v for p in named)]
    return ", ".join(f"{k}={v} (key {k})" for k, v in missing)


CALLED = 0.96
_IP_END = r"(?![\d.])"


def _called_by(analysis: Analysis, svc: Obj) -> str | None:
    """`its ClusterIP 172.20.88.14 in the log of checkout-7d9f-x2k4p` when the alert's pods' logs
    or env name the Service's ClusterIP or DNS name; None otherwise."""
    ns, name = o.namespace(svc), o.name(svc)
    ip = str(o.spec(svc).get("clusterIP") or "")
    patterns = [rf"(?<![\w.-]){re.escape(name)}\.{re.escape(ns or 'default')}(?:\.svc\b|\b)"]
    if ip and ip != "None":
        patterns.append(rf"(?<![\d.]){re.escape(ip)}{_IP_END}")
    pattern = re.compile("|".join(patterns))
    selector = o.spec(svc).get("selector")
    own = {
        f"{ns}/{o.name(p)}"
        for p in analysis.state.pods
        if o.namespace(p) == ns and o.selector_matches(selector, o.labels(p))
    }
    for key, text in analysis.state.logs.items():
        if "/".join(key.split("/")[:2]) not in own and pattern.search(text or ""):
            return f"named in the log of {key.split('/')[1] if '/' in key else key}"
    for pod in analysis.in_scope_pods():
        if f"{o.namespace(pod)}/{o.name(pod)}" in own:
            continue  # its own backends
        for container in o.template_containers(pod):
            for env in container.get("env") or []:
                if isinstance(env, dict) and pattern.search(str(env.get("value", ""))):
                    return f"named in env {env.get('name')} of {o.name(pod)}"
    return None


def analyze_services(analysis: Analysis) -> list[Finding]:
    state = analysis.state
    endpoints = {(o.namespace(e), o.name(e)): e for e in state.kind("Endpoints")}
    findings = []
    for svc in state.kind("Service"):
        spec = o.spec(svc)
        selector = spec.get("selector") or {}
        if spec.get("type") == "ExternalName" or not selector:
            continue  # no selector: endpoints are managed by hand
        ns, name = o.namespace(svc), o.name(svc)
        ns_pods = [p for p in state.pods if o.namespace(p) == ns]
        selected = [
            p
            for p in ns_pods
            if o.selector_matches(selector, o.labels(p))
            and o.status(p).get("phase") not in {"Succeeded", "Failed"}
        ]
        relevance = max([analysis.relevance(ns, name), *(analysis.pod_relevance(p) for p in selected)])
        caller = _called_by(analysis, svc)
        if caller:
            # The alert's pods call this Service (their logs or env name its address): a Service with
            # nothing behind it explains their connection errors, and ranks just above them.
            relevance = max(relevance, CALLED)
        selector_text = ",".join(f"{k}={v}" for k, v in selector.items())
        # Endpoints that hold addresses say pods are selected, whatever the pod list shows.
        name_endpoints = endpoints.get((ns, name))
        served = name_endpoints is not None and _addresses(name_endpoints)[0] > 0
        if (
            not selected
            and not served
            and state.complete("Pod")
            and (state.namespaces is None or ns in state.namespaces)
        ):
            near = _near_misses(name, selector, ns_pods)
            unmatched = _unmatched(selector, ns_pods, name)
            changed, source = change_time(svc)
            recent = changed is not None and changed >= analysis.scope.window_start
            # The pods named after the Service all new, the Service not: a rollout changed their labels.
            named = [t for p in ns_pods if o.name(p).startswith(name + "-") and (t := o.created(p))]
            rolled = (
                not recent
                and bool(near)
                and bool(named)
                and min(named) >= analysis.scope.window_start
                and min(named) <= analysis.scope.anchor
            )
            findings.append(
                make_finding(
                    "service-selects-no-pod",
                    f"{ns}/{name}",
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"Service {ns}/{name} has no endpoints, it selects no pod: selector "
                    f"{selector_text} matches none of the {len(ns_pods)} pods in {ns}"
                    + (f"; no pod carries label {unmatched}" if unmatched else "")
                    + (f"; the alert's pods call it ({caller})" if caller else "")
                    + (f"; its pods carry {near}" if near else "")
                    + (f"; the Service changed {ago(analysis.scope, changed)} ({source})" if recent else "")
                    + (
                        f", and were all created {ago(analysis.scope, min(named))} by a rollout"
                        if rolled
                        else ""
                    ),
                    resources=[o.path("Service", svc)],
                    evidence=[
                        object_evidence(
                            "Service",
                            svc,
                            f"spec.selector: {selector_text}; ports: "
                            + ", ".join(str(p.get("port")) for p in spec.get("ports") or []),
                        )
                    ],
                    cause=CauseCategory.NETWORK_FAILURE,
                    change=Trigger.CONFIG_CHANGE if recent else Trigger.DEPLOY if rolled else None,
                    first_seen=min(named) if rolled else None,
                    relevance=relevance,
                )
            )
            continue
        ep = endpoints.get((ns, name))
        if ep is not None:
            ready, not_ready = _addresses(ep)
        else:
            ready = sum(1 for p in selected if o.condition_true(p, "Ready"))
            not_ready = len(selected) - ready
        if selected and ready == 0:
            findings.append(
                make_finding(
                    "service-no-endpoints",
                    f"{ns}/{name}",
                    severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
                    title=f"Service {ns}/{name} has no ready endpoints: {not_ready} address(es) not ready, "
                    f"{len(selected)} selected pod(s) failing readiness (selector {selector_text})",
                    resources=[o.path("Service", svc), *(o.path("Pod", p) for p in selected[:3])],
                    evidence=[
                        object_evidence(
                            "Endpoints" if ep is not None else "Service",
                            ep or svc,
                            f"ready addresses: {ready}, not ready: {not_ready}",
                        )
                    ],
                    relevance=relevance,
                )
            )
    return findings
