"""What any object's status says is wrong, in its controller's own words.

Controllers of every kind (External Secrets, the AWS Load Balancer Controller, KEDA, Argo CD and
Argo Rollouts, Flux, Crossplane, Karpenter, Istio, Gateway API) report failure the same few ways:
a condition whose positive type is False (`Ready`, `Available`, `Synced`, `Accepted`,
`Programmed`, `ResolvedRefs`, `Healthy`, `Established`...) or whose negative type is True
(`Stalled`, `Degraded`, `Failed`, `ReconcileError`...), an Argo CD condition that is an error by
its type (`ComparisonError`, `SyncError`), a `status.phase` of Failed / Error / Degraded, Argo's
`health.status: Degraded` and `operationState.phase: Failed|Error`, Cluster API's
`failureMessage`. The finding quotes the reason and the message verbatim (the words an engineer
searches for), says when the condition turned, and takes a cause hint from the shared log
signatures when the message matches one.

It runs over the kinds read through discovery and over the fixed kinds whose own analyzer said
nothing about that object; `with_reasons` makes sure a specific analyzer's finding on an object
whose condition failed quotes that condition's reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents.common.signatures import Signatures
from agents.eks import objects as o
from agents.eks.analyzers.common import (
    Analysis,
    ago,
    error_tail,
    event_evidence,
    make_finding,
    object_evidence,
    short,
)
from agents.eks.discover import points_at
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity
from shared.relevance import Relevance

# Condition types that say the object works when True.
POSITIVE = frozenset(
    {
        "Ready",
        "Available",
        "Synced",
        "Accepted",
        "Programmed",
        "ResolvedRefs",
        "Healthy",
        "Established",
        "Reconciled",
        "Released",
        "Valid",
        "Progressing",
        "Bound",
        "Installed",
        "Succeeded",
    }
)
POSITIVE_SUFFIX = re.compile(
    r"(Ready|Succeeded|Available|Healthy|Synced|Valid|Accepted|Programmed|Resolved)$"
)
# Condition types that say the object fails when True (or, Argo CD's, by being there at all).
NEGATIVE = re.compile(r"Stalled|Degraded|Fail(ed|ure)?|Error|Invalid", re.IGNORECASE)
# Reasons of a condition on its way (not yet a failure): Flux's and cert-manager's progress words.
IN_PROGRESS = frozenset({"Progressing", "Reconciling", "InProgress", "Pending", "Issuing", "Creating"})
MAX_FINDINGS = 12
# The AWS SDK's trailer on an error (`status code: 400, request id: ...`): noise in a title.
_AWS_REQUEST = re.compile(r"\s*status code: \d+, request id: [\w-]+", re.IGNORECASE)
BAD_PHASES = frozenset({"failed", "failure", "error", "errored", "degraded", "invalid"})
# Kinds whose conditions echo their pods' (a Deployment's Available=False is its pods crashing):
# the pod and workload analyzers tell those better.
ECHOES = frozenset(
    {"Pod", "Event", "Node", "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "Namespace"}
)


@dataclass(frozen=True)
class Problem:
    """One thing an object's status says is wrong."""

    what: str  # `Ready=False`, `health.status=Degraded`, `operationState.phase=Failed`
    reason: str
    message: str
    at: datetime | None

    @property
    def text(self) -> str:
        reason = f" {self.reason}" if self.reason else ""
        return f"{self.what}{reason}" + (f": {self.message}" if self.message else "")


def problems(obj: Obj) -> list[Problem]:
    """What the object's status says is failing, the condition first."""
    status = o.status(obj)
    found: list[Problem] = []
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict):
            problem = _condition(cond)
            if problem is not None:
                found.append(problem)
    # Gateway API routes (HTTPRoute, GRPCRoute, TLSRoute...) say it per parent Gateway.
    for parent in status.get("parents") or []:
        if not isinstance(parent, dict):
            continue
        ref = parent.get("parentRef") or {}
        where = "/".join(str(p) for p in (ref.get("namespace"), ref.get("name")) if p)
        for cond in parent.get("conditions") or []:
            problem = _condition(cond) if isinstance(cond, dict) else None
            if problem is not None:
                found.append(
                    Problem(f"{problem.what} (parent {where})", problem.reason, problem.message, problem.at)
                )
    phase = status.get("phase") or status.get("state")
    if isinstance(phase, str) and phase.lower() in BAD_PHASES:
        found.append(
            Problem(
                f"phase={phase}",
                str(status.get("reason") or ""),
                str(status.get("message") or ""),
                o.ts(status.get("lastTransitionTime")),
            )
        )
    health = status.get("health")
    if isinstance(health, dict) and health.get("status") == "Degraded":
        found.append(Problem("health.status=Degraded", "", str(health.get("message") or ""), None))
    operation = status.get("operationState")
    if isinstance(operation, dict) and operation.get("phase") in ("Failed", "Error"):
        found.append(
            Problem(
                f"operationState.phase={operation['phase']}",
                "",
                str(operation.get("message") or ""),
                o.ts(operation.get("finishedAt")),
            )
        )
    if status.get("failureReason") or status.get("failureMessage"):
        found.append(
            Problem(
                "failure",
                str(status.get("failureReason") or ""),
                str(status.get("failureMessage") or ""),
                None,
            )
        )
    return found


def _condition(cond: dict[str, Any]) -> Problem | None:
    kind, state = str(cond.get("type") or ""), cond.get("status")
    reason = str(cond.get("reason") or "")
    positive = kind in POSITIVE or bool(POSITIVE_SUFFIX.search(kind))
    if positive and state == "False":
        if reason in IN_PROGRESS and kind != "Progressing":
            return None
    elif not (not positive and NEGATIVE.search(kind) and state in ("True", None)):
        return None
    what = f"{kind}={state}" if state else kind
    return Problem(what, reason, str(cond.get("message") or ""), o.ts(cond.get("lastTransitionTime")))


def analyze_conditions(analysis: Analysis, signatures: Signatures, covered: set[str]) -> list[Finding]:
    """A finding per object (discovered kinds, and fixed kinds no other analyzer reported on) whose
    status says it fails."""
    state = analysis.state
    links = Links.of(analysis)
    findings: list[Finding] = []
    for key, objs in sorted(state.objects.items()):
        discovered = key in state.discovered
        if not discovered and key in ECHOES:
            continue
        for obj in objs:
            kind = str(obj.get("kind") or key)
            if not discovered and o.path(kind, obj) in covered:
                continue
            found = problems(obj)
            if found:
                findings.append(_finding(analysis, signatures, links, kind, obj, found))
    findings.sort(key=lambda f: (-f.relevance, f.id))
    return findings[:MAX_FINDINGS]


def _finding(
    analysis: Analysis,
    signatures: Signatures,
    links: Links,
    kind: str,
    obj: Obj,
    found: list[Problem],
) -> Finding:
    ns, name = o.namespace(obj), o.name(obj)
    where = f"{ns}/{name}" if ns else name
    main = found[0]
    events = analysis.events.about(kind, ns, name, warning_only=True)
    cause: CauseCategory | None = None
    label = ""
    # The condition's words first; a controller that words its condition generically ("could not
    # get secret data from provider") gives the provider's error in its Warning events.
    for text in [f"{p.reason} {p.message}" for p in found] + [
        str(e.get("message") or "") for e in events[:3]
    ]:
        signature = signatures.match(text)
        if signature is not None:
            cause, label = signature.category, signature.label or signature.id
            break
    relevance = links.relevance(kind, obj)
    lines = [f"{kind} {where} ({obj.get('apiVersion', '')}) reports:"]
    for problem in found:
        when = f" (since {ago(analysis.scope, problem.at)})" if problem.at else ""
        lines.append(f"- {problem.text}{when}")
    if label:
        lines.append(f"The message reads as: {label}.")
    evidence: list[Evidence] = [object_evidence(kind, obj, "\n".join(p.text for p in found[:4]), main.at)]
    evidence += [event_evidence(e) for e in events[:2]]
    return make_finding(
        "status",
        f"{kind}/{ns or ''}/{name}",
        severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
        title=_title(kind, where, main, events[0] if events else None),
        detail="\n".join(lines),
        resources=[o.path(kind, obj)],
        evidence=evidence,
        cause=cause,
        relevance=relevance,
        first_seen=main.at,
        last_seen=analysis.scope.anchor if main.at else None,
    )


def _title(kind: str, where: str, main: Problem, event: Obj | None) -> str:
    """The condition in its own words, and the controller's latest Warning event when it says more
    (External Secrets words its condition generically and puts the provider's error there)."""
    title = f"{kind} {where}: {main.what}" + (f" {main.reason}" if main.reason else "")
    said = _AWS_REQUEST.sub("", str((event or {}).get("message") or ""))
    if not said or _overlaps(said, main.message):
        return title + (f": {_ends(main.message, max(80, 298 - len(title)))}" if main.message else "")
    if main.message:
        title += f": {short(main.message, 60)}"
    title += f"; last {(event or {}).get('reason', 'Warning')}: "
    return title + error_tail(said, max(60, 300 - len(title)))


def _ends(message: str, limit: int) -> str:
    """A long message's start and end: the words it is searched by come first, and a wrapped error
    chain (`a: b: failed calling webhook ...: x509: ...`) ends with its root cause."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return text
    head = max(40, limit // 3)
    return f"{text[:head]} … {text[-(limit - head - 3) :]}"


def _overlaps(event_message: str, message: str) -> bool:
    """Whether the event repeats the condition's message (Argo CD's OperationCompleted, say)."""
    tail = " ".join(event_message.split())[-80:]
    return bool(message) and tail[:40] in " ".join(message.split())


@dataclass
class Links:
    """What ties an object to the alert: the names the alert's pods and workloads use (Secrets,
    ConfigMaps, claims, service account), and the workload and Service names themselves."""

    analysis: Analysis
    used: set[tuple[str | None, str]]
    subjects: set[tuple[str | None, str]]

    @classmethod
    def of(cls, analysis: Analysis) -> Links:
        used: set[tuple[str | None, str]] = set()
        subjects: set[tuple[str | None, str]] = set()
        for pod in analysis.in_scope_pods():
            ns = o.namespace(pod)
            used.update((ns, n) for n in referenced_names(o.spec(pod)))
            subjects.add((ns, analysis.workload_of(pod)[1]))
        scope = analysis.scope
        for name in (scope.workload, scope.service, scope.pod):
            if name:
                subjects.add((scope.namespace, name))
        return cls(analysis, used, subjects)

    def relevance(self, kind: str, obj: Obj) -> float:
        ns, name = o.namespace(obj), o.name(obj)
        relevance = self.analysis.relevance(ns, name)
        scope = self.analysis.scope
        if scope.namespace and ns not in (None, scope.namespace) and points_at(obj, [scope.namespace]):
            # In its controller's namespace, deploying into the alert's (an Argo CD Application).
            relevance = max(relevance, Relevance.DIRECT if scope.matches_name(name) else Relevance.NEAR)
        if self._same(ns, name, self.used) or self._same(ns, _target_name(obj), self.used):
            relevance = max(relevance, Relevance.DIRECT)  # a Secret an ExternalSecret writes
        refs = list(_ref_names(o.spec(obj), 0))
        if any(self._same(ns, ref, self.subjects | self.used) for ref in refs):
            relevance = max(relevance, Relevance.DIRECT)  # a ScaledObject's scaleTargetRef
        if ns is None and relevance < Relevance.NEAR and self._referenced_in_scope(kind, name):
            relevance = Relevance.NEAR  # a NodePool's EC2NodeClass
        return relevance

    @staticmethod
    def _same(ns: str | None, name: str | None, names: set[tuple[str | None, str]]) -> bool:
        return bool(name) and any(n == name and (ns is None or n_ns in (None, ns)) for n_ns, n in names)

    def _referenced_in_scope(self, kind: str, name: str) -> bool:
        state, namespace = self.analysis.state, self.analysis.scope.namespace
        for objs in state.objects.values():
            for obj in objs:
                if o.namespace(obj) not in (None, namespace):
                    continue
                for ref in _refs(o.spec(obj), 0):
                    if ref.get("kind") == kind and ref.get("name") == name:
                        return True
        return False


def _target_name(obj: Obj) -> str | None:
    """The object an operator writes from this one (an ExternalSecret's `spec.target.name`)."""
    target = o.spec(obj).get("target")
    return str(target["name"]) if isinstance(target, dict) and target.get("name") else None


def referenced_names(pod_spec: dict[str, Any]) -> set[str]:
    """Secrets, ConfigMaps, claims and the service account a pod spec uses, by name."""
    names: set[str] = set()
    for volume in pod_spec.get("volumes") or []:
        volume = volume or {}
        names.add(str((volume.get("secret") or {}).get("secretName") or ""))
        names.add(str((volume.get("configMap") or {}).get("name") or ""))
        names.add(str((volume.get("persistentVolumeClaim") or {}).get("claimName") or ""))
        for source in (volume.get("projected") or {}).get("sources") or []:
            for key in ("secret", "configMap"):
                names.add(str(((source or {}).get(key) or {}).get("name") or ""))
    for container in [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]:
        for env in (container or {}).get("env") or []:
            source = (env or {}).get("valueFrom") or {}
            for key in ("secretKeyRef", "configMapKeyRef"):
                names.add(str((source.get(key) or {}).get("name") or ""))
        for env_from in (container or {}).get("envFrom") or []:
            for key in ("secretRef", "configMapRef"):
                names.add(str(((env_from or {}).get(key) or {}).get("name") or ""))
    names.add(str(pod_spec.get("serviceAccountName") or ""))
    names.update(str((s or {}).get("name") or "") for s in pod_spec.get("imagePullSecrets") or [])
    names.discard("")
    return names


def _refs(value: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(value, dict):
        if isinstance(value.get("name"), str):
            yield value
        for child in value.values():
            yield from _refs(child, depth + 1)
    elif isinstance(value, list):
        for child in value[:50]:
            yield from _refs(child, depth + 1)


def _ref_names(spec: dict[str, Any], depth: int) -> Iterable[str]:
    """Names the object's spec refers to (`scaleTargetRef.name`, `serviceRef.name`, `target.name`)."""
    return (str(ref["name"]) for ref in _refs(spec, depth) if ref is not spec)


def with_reasons(findings: list[Finding], state_objects: dict[str, list[Obj]]) -> list[Finding]:
    """Each finding on an object whose condition failed, made to quote that condition's reason when
    its text does not (an analyzer that words a problem its own way still leaves the API's word)."""
    by_path: dict[str, list[Problem]] = {}
    for key, objs in state_objects.items():
        if key in ECHOES:
            continue
        for obj in objs:
            found = [p for p in problems(obj) if p.reason]
            if found:
                by_path[o.path(str(obj.get("kind") or key), obj)] = found
    if not by_path:
        return findings
    out: list[Finding] = []
    for finding in findings:
        text = " ".join([finding.title, finding.detail, *(e.excerpt for e in finding.evidence)])
        missing = [
            (path, p) for path in finding.resources for p in by_path.get(path, []) if p.reason not in text
        ]
        if missing:
            extra = tuple(
                Evidence(kind=EvidenceKind.K8S_OBJECT, reference=path, excerpt=p.text[:2000], at=p.at)
                for path, p in missing[:2]
            )
            finding = finding.model_copy(
                update={
                    "evidence": (*finding.evidence[: 8 - len(extra)], *extra),
                    "detail": (finding.detail + "\n" if finding.detail else "")
                    + "\n".join(f"{path}: {p.text}" for path, p in missing[:2]),
                }
            )
        out.append(finding)
    return out
