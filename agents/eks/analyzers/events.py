"""Warning events of the window, grouped by reason and message template, for what the other
analyzers did not already report."""

from __future__ import annotations

import re

from agents.common.templates import mask
from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, event_evidence, make_finding, short
from agents.eks.analyzers.pod_phases import NOT_STORAGE
from agents.eks.analyzers.workloads import failed_create_cause
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

REASON_CAUSE: dict[str, CauseCategory] = {
    "FailedScheduling": CauseCategory.UNSCHEDULABLE,
    "FailedMount": CauseCategory.STORAGE_FAILURE,
    "FailedAttachVolume": CauseCategory.STORAGE_FAILURE,
    "FailedMapVolume": CauseCategory.STORAGE_FAILURE,
    "ProvisioningFailed": CauseCategory.STORAGE_FAILURE,
    "FailedCreatePodSandBox": CauseCategory.NETWORK_FAILURE,
    "NetworkNotReady": CauseCategory.NETWORK_FAILURE,
    "Unhealthy": CauseCategory.PROBE_FAILURE,
    "OOMKilling": CauseCategory.OOM,
    "SystemOOM": CauseCategory.OOM,
    "EvictionThresholdMet": CauseCategory.NODE_FAILURE,
    "NodeNotReady": CauseCategory.NODE_FAILURE,
    "Rebooted": CauseCategory.NODE_FAILURE,
    "FreeDiskSpaceFailed": CauseCategory.DISK_FULL,
    "ImageGCFailed": CauseCategory.DISK_FULL,
    "ErrImagePull": CauseCategory.IMAGE_PULL,
    "FailedGetResourceMetric": CauseCategory.SCALING_LIMIT,
    "FailedComputeMetricsReplicas": CauseCategory.SCALING_LIMIT,
    "FailedPostStartHook": CauseCategory.BAD_CONFIG,
    "FailedPreStopHook": CauseCategory.BAD_CONFIG,
    "SyncLoadBalancerFailed": CauseCategory.NETWORK_FAILURE,
    "FailedBuildModel": CauseCategory.BAD_CONFIG,  # AWS Load Balancer Controller
    "FailedDeployModel": CauseCategory.NETWORK_FAILURE,
    "InvalidSchedule": CauseCategory.BAD_CONFIG,
    "ExternalProvisioning": CauseCategory.STORAGE_FAILURE,
    "VolumeFailedDelete": CauseCategory.STORAGE_FAILURE,
    "FailedDetachVolume": CauseCategory.STORAGE_FAILURE,
    "SpotInterrupted": CauseCategory.NODE_FAILURE,
    "SpotInterruption": CauseCategory.NODE_FAILURE,
}


LOAD_BALANCER = {
    "SyncLoadBalancerFailed",
    "FailedDeployModel",
    "FailedBuildModel",
    "EnsuringLoadBalancerFailed",
}
DENIED = re.compile(r"AccessDenied|UnauthorizedOperation|is not authorized to perform", re.IGNORECASE)
# A controller's own warning that a certificate it holds or checks is no longer valid (a mesh's
# identity failing to validate its issuer, a webhook serving an expired certificate).
CERT_EXPIRED = re.compile(
    r"x509: certificate has expired|certificate has expired or is not yet valid", re.IGNORECASE
)


def _cause(event: Obj) -> CauseCategory | None:
    reason, message = str(event.get("reason", "")), str(event.get("message", ""))
    if reason == "FailedCreate":
        return failed_create_cause(message)
    if reason in LOAD_BALANCER and DENIED.search(message):
        return CauseCategory.PERMISSION_DENIED  # the controller's IAM role may not do it
    if reason in {"FailedMount", "FailedMapVolume"} and NOT_STORAGE.search(message):
        return CauseCategory.BAD_CONFIG
    if reason == "Failed" and "pull" in message.lower():
        return CauseCategory.IMAGE_PULL
    if reason not in REASON_CAUSE and CERT_EXPIRED.search(message):
        return CauseCategory.CERTIFICATE_EXPIRED
    return REASON_CAUSE.get(reason)


def analyze_events(analysis: Analysis, covered: set[str]) -> list[Finding]:
    """Groups of Warning events in the window about objects no other finding covers."""
    groups: dict[tuple[str | None, str, str, str], list[Obj]] = {}
    for event in analysis.state.events:
        if event.get("type") != "Warning":
            continue
        at = o.event_time(event)
        if at is not None and at < analysis.scope.window_start:
            continue
        kind, ns, name = o.involved(event)
        if f"{ns}/{kind}/{name}" in covered or f"{kind}/{name}" in covered:
            continue
        key = (ns, str(event.get("reason", "")), kind, mask(str(event.get("message", ""))))
        groups.setdefault(key, []).append(event)
    findings = []
    for (ns, reason, kind, template), events in groups.items():
        events.sort(key=lambda e: (-o.event_count(e), o.involved(e)[2]))
        count = sum(o.event_count(e) for e in events)
        names = sorted({o.involved(e)[2] for e in events})
        relevance = max(analysis.relevance(ns, n) for n in names)
        first = events[0]
        more = f" and {len(names) - 1} more" if len(names) > 1 else ""
        where = f"{kind} {ns + '/' if ns else ''}{names[0]}{more}"
        findings.append(
            make_finding(
                f"events-{reason.lower() or 'warning'}",
                f"{ns or 'cluster'}/{kind}/{names[0]}",
                severity=Severity.WARNING if relevance >= Relevance.NEAR and count >= 3 else Severity.INFO,
                title=f"{count} Warning {reason} event(s) on {where}: "
                f"{short(str(first.get('message', '')), 150)}",
                detail=f"Template: {template}\nObjects: {', '.join(names[:10])}",
                resources=[f"{ns}/{kind}/{n}" if ns else f"{kind}/{n}" for n in names[:5]],
                evidence=[event_evidence(e) for e in events[:3]],
                cause=_cause(first),
                relevance=relevance * 0.9,
                first_seen=min((t for e in events if (t := o.event_first_time(e))), default=None),
                last_seen=max((t for e in events if (t := o.event_time(e))), default=None),
            )
        )
    findings.sort(key=lambda f: (-f.relevance, f.id))
    return findings[:10]
