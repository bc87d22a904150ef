"""ResourceQuotas used up, and the ServiceAccount (its IAM role) behind an AWS denial.

A quota at its hard limit stops every pod that requests that resource from being created: the
ReplicaSet or Job controller records `FailedCreate ... exceeded quota: <name>, requested: ...,
used: ..., limited: ...`, and no pod exists to look at. The finding names the quota, the resource
that is used up (`requests.cpu 14/14`) and what could not create pods.

Pods read AWS with the IAM role of their ServiceAccount (IRSA's `eks.amazonaws.com/role-arn`
annotation): when a finding shows pods of the alert denied by AWS, the role to look at is named.
"""

from __future__ import annotations

import re

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence
from agents.eks.objects import Obj
from agents.eks.quantity import parse_quantity
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

EXCEEDED = re.compile(r"exceeded quota: ([a-z0-9][a-z0-9.\-]*)", re.IGNORECASE)
IRSA_ROLE = "eks.amazonaws.com/role-arn"
# How AWS says no (an SDK's error code, STS's or IAM's wording), not a database's password error.
AWS_DENIAL = re.compile(
    r"AccessDenied|UnauthorizedOperation|is not authorized to perform|InvalidIdentityToken|"
    r"ExpiredToken|arn:aws[\w-]*:(iam|sts)::",
    re.IGNORECASE,
)


def used_up(quota: Obj) -> list[tuple[str, str, str]]:
    """(resource, used, hard) of each resource the quota has used up (used >= hard)."""
    status = o.status(quota)
    hard, used = status.get("hard") or o.spec(quota).get("hard") or {}, status.get("used") or {}
    full: list[tuple[str, str, str]] = []
    for resource, limit in sorted(hard.items()):
        limit_n, used_n = parse_quantity(limit), parse_quantity(used.get(resource))
        if limit_n is not None and used_n is not None and used_n >= limit_n:
            full.append((str(resource), str(used.get(resource)), str(limit)))
    return full


def analyze_quotas(analysis: Analysis) -> list[Finding]:
    refusals: dict[tuple[str | None, str], list[Obj]] = {}
    for event in analysis.state.events:
        if event.get("reason") != "FailedCreate":
            continue
        match = EXCEEDED.search(str(event.get("message") or ""))
        if match:
            refusals.setdefault((o.namespace(event), match.group(1)), []).append(event)
    findings: list[Finding] = []
    for quota in analysis.state.kind("ResourceQuota"):
        ns, name = o.namespace(quota), o.name(quota)
        full = used_up(quota)
        events = refusals.get((ns, name), [])
        if not full and not events:
            continue
        refused = sorted({f"{k} {n}" for k, _, n in (o.involved(e) for e in events)})
        relevance = max(
            [Relevance.NEAR if ns == analysis.scope.namespace else analysis.relevance(ns, name)]
            + [_refused_relevance(analysis, e) for e in events]
        )
        if not events:
            relevance = min(relevance, Relevance.SUPPORTING)
        used = ", ".join(f"{r} {u}/{h}" for r, u, h in full) or "(no resource at its limit now)"
        latest = max((t for t in map(o.event_time, events) if t is not None), default=None)
        title = f"ResourceQuota {ns}/{name} used up: {used}"
        if refused:
            title += f"; pods cannot be created (exceeded quota) for {', '.join(refused[:4])}"
        detail = f"ResourceQuota {ns}/{name}: {used}. " + (
            f"{sum(o.event_count(e) for e in events)} FailedCreate refusal(s) naming it, the last "
            f"{ago(analysis.scope, latest)}: every pod that requests a used-up resource is refused "
            "at admission, so no pod exists to show the failure."
            if events
            else "No FailedCreate event names it: nothing was refused yet."
        )
        findings.append(
            make_finding(
                "quota-exceeded",
                f"{ns}/{name}",
                severity=Severity.CRITICAL
                if events and relevance >= Relevance.NEAR
                else Severity.WARNING
                if events
                else Severity.INFO,
                title=title,
                detail=detail,
                resources=[
                    o.path("ResourceQuota", quota),
                    *(f"{ns}/{k}/{n}" for k, _, n in map(o.involved, events)),
                ],
                evidence=[
                    object_evidence("ResourceQuota", quota, f"hard/used: {used}"),
                    *(event_evidence(e) for e in events[:3]),
                ],
                cause=CauseCategory.UNSCHEDULABLE if events else None,
                relevance=relevance,
                last_seen=latest,
            )
        )
    return findings


def _refused_relevance(analysis: Analysis, event: Obj) -> float:
    kind, ns, name = o.involved(event)
    if kind == "ReplicaSet":
        owner = next(
            (
                o.owner(rs)
                for rs in analysis.state.kind("ReplicaSet")
                if o.name(rs) == name and o.namespace(rs) == ns
            ),
            None,
        )
        base = name.rsplit("-", 1)[0]
        kind, name = owner or ("Deployment", base)
    elif kind == "Job":
        owner = next(
            (o.owner(j) for j in analysis.state.kind("Job") if o.name(j) == name and o.namespace(j) == ns),
            None,
        )
        if owner:
            kind, name = owner
    return max(analysis.relevance(ns, name), analysis.workload_relevance(kind, ns, name))


def analyze_service_accounts(analysis: Analysis, findings: list[Finding]) -> list[Finding]:
    """For findings that show AWS denying the alert's pods: the IAM role their ServiceAccount holds
    (IRSA), or that it holds none (then the node's role, or an EKS Pod Identity association, is
    what AWS saw)."""
    denied = [
        f
        for f in findings
        if f.cause_hint is CauseCategory.PERMISSION_DENIED
        and f.relevance >= Relevance.NEAR
        and AWS_DENIAL.search(" ".join([f.title, f.detail, *(e.excerpt for e in f.evidence)]))
    ]
    if not denied:
        return []
    pods = {o.path("Pod", p): p for p in analysis.state.pods}
    accounts: dict[tuple[str | None, str], list[Finding]] = {}
    for finding in denied:
        for resource in finding.resources:
            pod = pods.get(resource) or next(
                (p for path, p in pods.items() if resource.startswith(path + "/")), None
            )
            if pod is not None:
                account = str(o.spec(pod).get("serviceAccountName") or "default")
                accounts.setdefault((o.namespace(pod), account), []).append(finding)
    out: list[Finding] = []
    for (ns, account), by in accounts.items():
        sa = next(
            (
                s
                for s in analysis.state.kind("ServiceAccount")
                if o.namespace(s) == ns and o.name(s) == account
            ),
            None,
        )
        if sa is None:
            continue
        role = o.annotations_of(sa).get(IRSA_ROLE)
        if role:
            title = f"ServiceAccount {ns}/{account} of the denied pods assumes IAM role {role} (IRSA)"
            detail = (
                f"The pods AWS denied run as ServiceAccount {ns}/{account}, annotated {IRSA_ROLE}: {role}. "
                "The denial is that role's: its policies, its trust policy (the service account's "
                "subject), or a KMS key or resource policy that does not name it."
            )
        else:
            title = f"ServiceAccount {ns}/{account} of the denied pods has no IAM role annotation (IRSA)"
            detail = (
                f"The pods AWS denied run as ServiceAccount {ns}/{account}, which carries no "
                f"{IRSA_ROLE} annotation: AWS saw the node's instance role, or an EKS Pod Identity "
                "association's role (listed with `aws eks list-pod-identity-associations`)."
            )
        out.append(
            make_finding(
                "service-account-role",
                f"{ns}/{account}",
                severity=Severity.WARNING,
                title=title,
                detail=detail + f" Denials: {by[0].title[:200]}",
                resources=[o.path("ServiceAccount", sa)],
                evidence=[object_evidence("ServiceAccount", sa, f"{IRSA_ROLE}: {role or '(none)'}")],
                cause=CauseCategory.PERMISSION_DENIED,
                relevance=min(max(f.relevance for f in by), Relevance.DIRECT),
            )
        )
    return out
