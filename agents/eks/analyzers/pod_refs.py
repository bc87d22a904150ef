"""What a workload's pods refer to or run around their containers: image pull Secrets that do not
exist, lifecycle hooks that fail (FailedPostStartHook kills the container, FailedPreStopHook
delays its stop), and a StatefulSet's `serviceName` without its headless Service."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.netpol import DNS_ERROR
from agents.eks.analyzers.refs import find
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

HOOK_EVENTS = {"FailedPostStartHook": "PostStart", "FailedPreStopHook": "PreStop"}
_PULL_TROUBLE = {"ImagePullBackOff", "ErrImagePull"}


def analyze_pod_refs(analysis: Analysis) -> list[Finding]:
    return _pull_secrets(analysis) + _hooks(analysis) + _headless(analysis)


def _pulling(pod: Obj) -> bool:
    return any(
        ((cs.get("state") or {}).get("waiting") or {}).get("reason") in _PULL_TROUBLE
        for cs in [
            *(o.status(pod).get("initContainerStatuses") or []),
            *(o.status(pod).get("containerStatuses") or []),
        ]
    )


def _pull_secrets(analysis: Analysis) -> list[Finding]:
    """One finding per (workload, missing Secret)."""
    groups: dict[tuple[str | None, str, str, str], list[Obj]] = {}
    for pod in analysis.state.pods:
        ns = o.namespace(pod)
        for ref in o.spec(pod).get("imagePullSecrets") or []:
            secret = str((ref or {}).get("name", ""))
            if secret and analysis.state.known_absent("Secret", ns, secret):
                kind, workload = analysis.workload_of(pod)
                groups.setdefault((ns, kind, workload, secret), []).append(pod)
    findings = []
    for (ns, kind, workload, secret), pods in groups.items():
        pulling = [p for p in pods if _pulling(p)]
        relevance = max(analysis.pod_relevance(p) for p in pods)
        findings.append(
            make_finding(
                "image-pull-secret-missing",
                f"{ns}/{workload}/{secret}",
                severity=Severity.CRITICAL if pulling else Severity.WARNING,
                title=f"imagePullSecret {ns}/{secret} of {kind} {ns}/{workload} does not exist"
                + (
                    f": {len(pulling)} pod(s) cannot pull their image (e.g. {o.name(pulling[0])})"
                    if pulling
                    else ": private images cannot be pulled with it"
                ),
                resources=[f"{ns}/Secret/{secret}", *(o.path("Pod", p) for p in pods[:3])],
                evidence=[
                    object_evidence("Pod", pods[0], f"spec.imagePullSecrets: {secret} (not found in {ns})")
                ],
                cause=CauseCategory.IMAGE_PULL,
                relevance=relevance if pulling else relevance * 0.8,
            )
        )
    return findings


def _hook_error(message: str) -> str:
    """The kubelet's `Exec lifecycle hook ([...]) for Container "x" in Pod "y" failed - error:
    command '...' exited with 127: /bin/sh: ...: not found, message: "..."` -> what failed;
    an HTTP hook's `Http lifecycle hook (/warmup) ... failed - error: Get ...: connection refused`
    likewise."""
    _, found, error = message.partition(" failed - error: ")
    if not found:
        return message
    return error.split(", message: ", 1)[0].strip()


def _hooks(analysis: Analysis) -> list[Finding]:
    groups: dict[tuple[str | None, str, str], list[tuple[Obj, Obj]]] = {}
    for pod in analysis.state.pods:
        for event in analysis.events.about("Pod", o.namespace(pod), o.name(pod)):
            if event.get("reason") in HOOK_EVENTS:
                _, workload = analysis.workload_of(pod)
                groups.setdefault((o.namespace(pod), workload, str(event["reason"])), []).append((pod, event))
    findings = []
    for (ns, workload, reason), pairs in groups.items():
        hook = HOOK_EVENTS[reason]
        pod, event = pairs[0]
        relevance = max(analysis.pod_relevance(p) for p, _ in pairs)
        effect = (
            "the kubelet kills the container after a failed PostStart hook"
            if hook == "PostStart"
            else "the container is stopped without its PreStop hook (no graceful drain)"
        )
        findings.append(
            make_finding(
                f"pod-{hook.lower()}-hook-failed",
                f"{ns}/{workload}",
                severity=Severity.CRITICAL if hook == "PostStart" else Severity.WARNING,
                title=f"{reason}: {hook} lifecycle hook of pod {ns}/{o.name(pod)} failed "
                f"({short(_hook_error(str(event.get('message', ''))), 130)}): {effect}",
                resources=[o.path("Pod", p) for p, _ in pairs[:3]],
                evidence=[event_evidence(e) for _, e in pairs[:3]],
                cause=CauseCategory.BAD_CONFIG,
                relevance=relevance,
                first_seen=min((t for _, e in pairs if (t := o.event_first_time(e))), default=None),
                last_seen=max((t for _, e in pairs if (t := o.event_time(e))), default=None),
            )
        )
    return findings


def _headless(analysis: Analysis) -> list[Finding]:
    findings = []
    for sts in analysis.state.kind("StatefulSet"):
        ns, name = o.namespace(sts), o.name(sts)
        service_name = o.spec(sts).get("serviceName")
        if not service_name:
            continue
        service = find(analysis, "Service", ns, service_name)
        if service is None and analysis.state.known_absent("Service", ns, service_name):
            problem = "does not exist"
        elif service is not None and o.spec(service).get("clusterIP") not in (None, "None"):
            problem = f"is not headless (clusterIP {o.spec(service).get('clusterIP')})"
        else:
            continue
        relevance = analysis.workload_relevance("StatefulSet", ns, name)
        # Many StatefulSets never use their pods' DNS names: only lookups failing on them make
        # the missing Service a cause rather than a loose end.
        shown = next(
            (
                line.strip()
                for key, text in analysis.state.logs.items()
                if key.startswith(f"{ns}/{name}-")
                for line in text.splitlines()
                if DNS_ERROR.search(line) and service_name in line
            ),
            "",
        )
        findings.append(
            make_finding(
                "statefulset-service-missing",
                f"{ns}/{name}",
                severity=Severity.CRITICAL if shown and relevance >= Relevance.DIRECT else Severity.WARNING,
                title=f"StatefulSet {ns}/{name}: its serviceName {service_name} {problem}, so its pods "
                f"get no stable DNS names ({name}-0.{service_name}.{ns}.svc)"
                + (f": their logs show '{short(shown, 110)}'" if shown else ""),
                resources=[o.path("StatefulSet", sts), f"{ns}/Service/{service_name}"],
                evidence=[object_evidence("StatefulSet", sts, f"spec.serviceName: {service_name}")],
                cause=CauseCategory.NETWORK_FAILURE,
                relevance=relevance if shown else relevance * 0.6,
            )
        )
    return findings
