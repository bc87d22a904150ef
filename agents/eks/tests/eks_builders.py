"""Builders for the EKS analyzer tests: minimal objects in the API's JSON shape, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agents.common.scope import Scope
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.analyzers.common import Analysis
from agents.eks.state import ClusterState
from shared.contracts import Finding

NOW = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
SCENARIOS = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def scope(**targets: Any) -> Scope:
    return Scope(
        anchor=NOW - timedelta(minutes=2), window_start=NOW - timedelta(minutes=60), window_end=NOW, **targets
    )


def pod(
    name: str,
    ns: str = "shop",
    *,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    owner: tuple[str, str] | None = None,
    node: str = "ip-10-0-1-1.ec2.internal",
    labels: dict[str, str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    containers: list[dict[str, Any]] | None = None,
    created: float = 60 * 24,
    **status: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "creationTimestamp": at(created),
        "labels": labels or {},
    }
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "controller": True}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": node, "containers": containers or [{"name": "app", "image": "repo/app:v1"}]},
        "status": {
            "phase": phase,
            "conditions": conditions or [],
            "containerStatuses": statuses or [],
            **status,
        },
    }


def running(
    name: str = "app",
    *,
    ready: bool = True,
    restarts: int = 0,
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": at(30)}},
    }
    if last:
        status["lastState"] = {"terminated": last}
    return status


def waiting(
    reason: str,
    message: str = "",
    *,
    name: str = "app",
    restarts: int = 0,
    last: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": message}},
    }
    if last:
        status["lastState"] = {"terminated": last}
    return status


def event(
    kind: str,
    name: str,
    reason: str,
    message: str,
    *,
    ns: str | None = "shop",
    type_: str = "Warning",
    count: int = 1,
    first: float = 10,
    last: float = 1,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}", "namespace": ns or "default"},
        "involvedObject": {"kind": kind, "name": name, **({"namespace": ns} if ns else {})},
        "type": type_,
        "reason": reason,
        "message": message,
        "count": count,
        "firstTimestamp": at(first),
        "lastTimestamp": at(last),
    }


def obj(
    kind: str,
    name: str,
    ns: str | None = "shop",
    *,
    api: str = "apps/v1",
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    **meta: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, **meta}
    if ns:
        metadata["namespace"] = ns
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec or {}, "status": status or {}}


def run(
    objects: list[dict[str, Any]],
    the_scope: Scope | None = None,
    logs: dict[str, str] | None = None,
) -> list[Finding]:
    findings, _ = analyze(ClusterState.of(objects, logs), the_scope or scope(), load_signatures())
    return findings


def analysis(objects: list[dict[str, Any]], the_scope: Scope | None = None) -> Analysis:
    return Analysis(the_scope or scope(), ClusterState.of(objects))


def by_prefix(findings: list[Finding], prefix: str) -> list[Finding]:
    return [f for f in findings if f.id.startswith(prefix)]
