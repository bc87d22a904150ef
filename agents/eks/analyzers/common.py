"""What every EKS analyzer shares: the analysis context, finding ids, evidence, wording of times."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from agents.common.scope import Scope
from agents.eks import objects as o
from agents.eks.analyzers.endpoints import Endpoint, served_relevance
from agents.eks.objects import EventIndex, Obj
from agents.eks.state import ClusterState
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity, Trigger

AGENT = "eks"
_RS_HASH = re.compile(r"^(.+)-[a-z0-9]{6,10}$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/\-]+")


@dataclass
class Analysis:
    """The fetched state, indexed once, plus the alert's scope. Analyzers only read it."""

    scope: Scope
    state: ClusterState
    # The URLs the alert is about (a probed address): an Ingress or route serving them is on its path.
    endpoints: tuple[Endpoint, ...] = ()
    # What the alert says (its text and annotations): untrusted words, read only to rate how tied
    # a finding is (the alert quotes lookups failing: the cluster DNS is on its path).
    alert_text: str = ""
    events: EventIndex = field(init=False)
    _rs_owner: dict[tuple[str | None, str], tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.events = self.state.event_index()
        self._rs_owner = {}
        for rs in self.state.kind("ReplicaSet"):
            owner = o.owner(rs)
            if owner:
                self._rs_owner[(o.namespace(rs), o.name(rs))] = owner

    def workload_of(self, pod: Obj) -> tuple[str, str]:
        """The controller a pod belongs to: ("Deployment", "checkout"), ("StatefulSet", ...), or
        ("Pod", <name>) for a bare pod. A ReplicaSet is resolved to its Deployment."""
        owner = o.owner(pod)
        if owner is None:
            return "Pod", o.name(pod)
        kind, owner_name = owner
        if kind == "ReplicaSet":
            parent = self._rs_owner.get((o.namespace(pod), owner_name))
            if parent:
                return parent
            pod_hash = o.labels(pod).get("pod-template-hash")
            if pod_hash and owner_name.endswith("-" + pod_hash):
                return "Deployment", owner_name[: -len(pod_hash) - 1]
            match = _RS_HASH.match(owner_name)
            if match:
                return "Deployment", match.group(1)
        return kind, owner_name

    def relevance(self, ns: str | None, name: str) -> float:
        return self.scope.relevance(ns, name)

    def served_relevance(self, hosts: Iterable[str], paths: Iterable[str]) -> float:
        """How tied a rule serving `hosts` and `paths` is to the alert's URLs (0 when it serves none)."""
        return served_relevance(self.endpoints, hosts, paths)

    def pod_relevance(self, pod: Obj) -> float:
        _, workload = self.workload_of(pod)
        ns = o.namespace(pod)
        relevance = max(self.scope.relevance(ns, o.name(pod)), self.scope.relevance(ns, workload))
        if self.scope.node and o.spec(pod).get("nodeName") == self.scope.node:
            relevance = max(relevance, 0.85)  # on the node the alert is about
        return relevance

    def workload_relevance(self, kind: str, ns: str | None, name: str) -> float:
        """A controller is as relevant as its name, or as the most relevant of its pods."""
        relevance = self.scope.relevance(ns, name)
        for pod in self.state.pods:
            if o.namespace(pod) == ns and self.workload_of(pod) == (kind, name):
                relevance = max(relevance, min(0.95, self.pod_relevance(pod)))
        return relevance

    def in_scope_pods(self) -> list[Obj]:
        """Pods of the alert's pod / workload / service (>= 0.9 relevance): the alert's pod first,
        then its workload's, then the rest (the service it calls or is reached through)."""
        pods = [p for p in self.state.pods if self.pod_relevance(p) >= 0.9]
        return sorted(pods, key=self._subject_rank)

    def _subject_rank(self, pod: Obj) -> int:
        if self.scope.pod and o.name(pod) == self.scope.pod:
            return 0
        workload = self.scope.workload
        name = self.workload_of(pod)[1]
        if workload and (name == workload or o.name(pod).startswith(workload + "-")):
            return 1
        return 2


def finding_id(slug: str, subject: str) -> str:
    subject = _ID_UNSAFE.sub("-", subject).strip("-") or "cluster"
    return f"{AGENT}:{slug}:{subject}"[:200]


def make_finding(
    slug: str,
    subject: str,
    *,
    severity: Severity,
    title: str,
    detail: str = "",
    resources: Iterable[str] = (),
    evidence: Iterable[Evidence] = (),
    cause: CauseCategory | None = None,
    change: Trigger | None = None,
    relevance: float = 0.5,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
) -> Finding:
    return Finding(
        id=finding_id(slug, subject),
        agent=AGENT,
        severity=severity,
        title=title if len(title) <= 300 else title[:299] + "…",
        detail=detail[:20_000],
        resources=tuple(dict.fromkeys(resources)),
        first_seen=first_seen,
        last_seen=last_seen,
        evidence=tuple(evidence)[:8],
        cause_hint=cause,
        change=change,
        relevance=round(min(1.0, max(0.0, relevance)), 3),
    )


def object_evidence(kind: str, obj: Obj, excerpt: str, at: datetime | None = None) -> Evidence:
    return Evidence(kind=EvidenceKind.K8S_OBJECT, reference=o.path(kind, obj), excerpt=excerpt[:2000], at=at)


def event_evidence(event: Obj) -> Evidence:
    kind, _, obj_name = o.involved(event)
    count = o.event_count(event)
    excerpt = (
        f"{event.get('type', '')} {event.get('reason', '')} on {kind}/{obj_name}: {event.get('message', '')}"
    )
    if count > 1:
        excerpt += f" (x{count})"
    return Evidence(
        kind=EvidenceKind.K8S_EVENT,
        reference=o.path("Event", event),
        excerpt=excerpt[:2000],
        at=o.event_time(event),
    )


def ago(scope: Scope, at: datetime | None) -> str:
    """`39 min before the alert`, `2 h 5 min before the alert`, `3 d before the alert`."""
    if at is None:
        return "at an unknown time"
    seconds = (scope.anchor - at).total_seconds()
    after = seconds < 0
    minutes = round(abs(seconds) / 60)
    if minutes < 120:
        text = f"{minutes} min"
    elif minutes < 48 * 60:
        text = f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"
    else:
        text = f"{minutes // 1440} d"
    return f"{text} {'after' if after else 'before'} the alert"


def error_tail(message: str, limit: int = 150) -> str:
    """The telling end of a long controller error: after `api error`, else after the last
    `desc = `, else the whole message (`... api error VolumeLimitExceeded: You have exceeded ...`)."""
    for marker in ("api error ", "desc = "):
        if marker in message:
            return short(message.rsplit(marker, 1)[1], limit)
    return short(message, limit)


def short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
