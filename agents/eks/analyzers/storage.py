"""PersistentVolumeClaims: Pending (with ProvisioningFailed or FailedBinding events, or waiting on
an external provisioner that does not answer) or Lost."""

from __future__ import annotations

import re
from datetime import timedelta

from agents.eks import objects as o
from agents.eks.analyzers.common import (
    Analysis,
    ago,
    error_tail,
    event_evidence,
    make_finding,
    object_evidence,
)
from agents.eks.analyzers.provisioners import controller_state
from shared.contracts import CauseCategory, Finding, Severity

PENDING_GRACE = timedelta(minutes=2)
STUCK_WAIT = timedelta(minutes=10)
_PROVISIONER = re.compile(r"external provisioner \"?'?([A-Za-z0-9_.\-/]+)")


def analyze_pvcs(analysis: Analysis) -> list[Finding]:
    findings = []
    users: dict[tuple[str | None, str], list[str]] = {}
    for pod in analysis.state.pods:
        for volume in o.spec(pod).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                users.setdefault((o.namespace(pod), claim), []).append(o.name(pod))
    for pvc in analysis.state.kind("PersistentVolumeClaim"):
        ns, name = o.namespace(pvc), o.name(pvc)
        phase = o.status(pvc).get("phase")
        created = o.created(pvc)
        if phase not in {"Pending", "Lost"}:
            continue
        # ProvisioningFailed from the provisioner; FailedBinding when the claim names a volume
        # that is bound (or Released) to another claim.
        failures = [
            e
            for e in analysis.events.about("PersistentVolumeClaim", ns, name, warning_only=True)
            if e.get("reason") in ("ProvisioningFailed", "FailedBinding")
        ]
        young = created is not None and analysis.scope.window_end - created < PENDING_GRACE
        if phase == "Pending" and not failures and young:
            continue
        pods = users.get((ns, name), [])
        relevance = max([analysis.relevance(ns, name), *(analysis.relevance(ns, p) for p in pods)])
        storage_class = o.spec(pvc).get("storageClassName") or "default"
        requested = ((o.spec(pvc).get("resources") or {}).get("requests") or {}).get("storage")
        message = str(failures[0].get("message", "")) if failures else ""
        # Without a failure, the claim may wait on an external provisioner that never answers.
        waiting = analysis.events.about("PersistentVolumeClaim", ns, name, reason="ExternalProvisioning")
        provisioner = _PROVISIONER.search(str(waiting[0].get("message", ""))) if waiting else None
        controller = controller_state(analysis, provisioner.group(1)) if provisioner else None
        young_wait = created is not None and analysis.scope.window_end - created < STUCK_WAIT
        title = (
            f"PersistentVolumeClaim {ns}/{name} {phase} (storage class {storage_class})"
            + (
                f": {failures[0].get('reason')}: {error_tail(message)}"
                if message
                # A controller that is down says it all; its time is the finding's first_seen.
                else f", waiting for the external provisioner {provisioner.group(1)}: {controller[3]}"
                if provisioner and controller
                else f" since {ago(analysis.scope, created)}"
                + (
                    f", waiting for the external provisioner {provisioner.group(1)} "
                    f"({o.event_count(waiting[0])} times): is it running?"
                    if provisioner
                    else ""
                )
            )
            + (f"; used by pod {pods[0]}" if pods else "")
        )
        findings.append(
            make_finding(
                "pvc-" + phase.lower(),
                f"{ns}/{name}",
                # A provisioner that has not answered a pod's claim for minutes is as sure a
                # failure as one that said no.
                severity=Severity.CRITICAL
                if failures or phase == "Lost" or (provisioner and pods and not young_wait)
                else Severity.WARNING,
                title=title,
                resources=[
                    o.path("PersistentVolumeClaim", pvc),
                    *(f"{ns}/Pod/{p}" for p in pods[:3]),
                    *([o.path(controller[0], controller[1])] if controller else []),
                ],
                evidence=[
                    object_evidence(
                        "PersistentVolumeClaim",
                        pvc,
                        f"phase={phase}, storageClassName={storage_class}, requested {requested}",
                        created,
                    ),
                    *(event_evidence(e) for e in (failures or waiting)[:2]),
                    *([object_evidence(controller[0], controller[1], controller[2])] if controller else []),
                ],
                cause=CauseCategory.STORAGE_FAILURE,
                relevance=relevance,
                first_seen=min((t for e in failures if (t := o.event_first_time(e))), default=created),
                last_seen=max((t for e in failures if (t := o.event_time(e))), default=None),
            )
        )
    return findings
