"""Workload controllers: Deployments (ready below desired, ProgressDeadlineExceeded, rollout in
progress), StatefulSets and DaemonSets (ready below desired), ReplicaSets that cannot create pods
(quota, admission), failed Jobs (with why their pods failed) and suspended ones."""

from __future__ import annotations

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.job_limits import deadline_limits
from agents.eks.analyzers.job_pods import changed_since_success, job_failure
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger
from shared.relevance import Relevance


def failed_create_cause(message: str) -> CauseCategory:
    """Why pods could not be created: quota and limits are capacity; admission denials are config."""
    lowered = message.lower()
    if "exceeded quota" in lowered or "forbidden: failed quota" in lowered or "limitrange" in lowered:
        return CauseCategory.UNSCHEDULABLE
    if "serviceaccount" in lowered and "not found" in lowered:
        return CauseCategory.BAD_CONFIG
    if "is forbidden" in lowered and ("rbac" in lowered or "cannot create" in lowered):
        return CauseCategory.PERMISSION_DENIED
    if "failed calling webhook" in lowered:
        return CauseCategory.DEPENDENCY_FAILURE  # the webhook's backend did not answer: see webhooks
    return CauseCategory.BAD_CONFIG  # admission webhooks, PodSecurity, invalid spec


def _creation_error(message: str) -> str:
    """`Error creating: pods "x-1" is forbidden: exceeded quota: ...` -> `forbidden: exceeded quota: ...`."""
    message = message.removeprefix("Error creating: ")
    marker = " is forbidden: "
    return "forbidden: " + message.split(marker, 1)[1] if marker in message else message


def replicas(obj: Obj, desired_key: str = "replicas") -> tuple[int, int]:
    """(desired, ready) replicas of a Deployment or StatefulSet."""
    desired = o.spec(obj).get(desired_key)
    return (1 if desired is None else int(desired)), int(o.status(obj).get("readyReplicas") or 0)


def _images(obj: Obj) -> str:
    return ", ".join(o.image_ref(c.get("image", "")) for c in o.template_containers(obj) if c.get("image"))


def analyze_deployments(analysis: Analysis) -> list[Finding]:
    findings = []
    for dep in analysis.state.kind("Deployment"):
        ns, name = o.namespace(dep), o.name(dep)
        relevance = analysis.workload_relevance("Deployment", ns, name)
        desired, ready = replicas(dep)
        st, conds = o.status(dep), o.conditions(dep)
        progressing = conds.get("Progressing", {})
        ref = f"{ns}/{name}"
        if progressing.get("status") == "False" and progressing.get("reason") == "ProgressDeadlineExceeded":
            findings.append(
                make_finding(
                    "deployment-progress-deadline",
                    ref,
                    severity=Severity.CRITICAL,
                    title=f"Deployment {ref} rollout stuck (ProgressDeadlineExceeded): "
                    f"{short(progressing.get('message', ''), 120)}"
                    f"; {ready}/{desired} ready, image {_images(dep)}",
                    resources=[o.path("Deployment", dep)],
                    evidence=[
                        object_evidence(
                            "Deployment",
                            dep,
                            f"Progressing=False {progressing.get('reason')}: "
                            f"{progressing.get('message', '')}",
                            o.ts(progressing.get("lastTransitionTime")),
                        )
                    ],
                    relevance=relevance,
                    first_seen=o.ts(progressing.get("lastTransitionTime")),
                )
            )
        updated = int(st.get("updatedReplicas") or 0)
        generation, observed = o.meta(dep).get("generation"), st.get("observedGeneration")
        rolling = (desired > 0 and updated < desired) or (
            generation is not None and observed is not None and int(observed) < int(generation)
        )
        if rolling and progressing.get("reason") != "ProgressDeadlineExceeded":
            findings.append(
                make_finding(
                    "deployment-rollout",
                    ref,
                    severity=Severity.WARNING if ready < desired else Severity.INFO,
                    title=f"Deployment {ref} rollout in progress: {updated}/{desired} replicas updated to "
                    f"{_images(dep)}, "
                    f"{ready} ready",
                    resources=[o.path("Deployment", dep)],
                    evidence=[
                        object_evidence(
                            "Deployment",
                            dep,
                            f"generation={generation}, observedGeneration={observed}, "
                            f"updatedReplicas={updated}, readyReplicas={ready}, replicas={desired}",
                        )
                    ],
                    change=Trigger.DEPLOY,
                    relevance=relevance,
                    first_seen=o.ts(
                        progressing.get("lastUpdateTime") or progressing.get("lastTransitionTime")
                    ),
                )
            )
        if ready < desired:
            findings.append(_not_ready("Deployment", dep, desired, ready, analysis))
    return findings


def analyze_sets(analysis: Analysis) -> list[Finding]:
    """StatefulSets and DaemonSets with fewer ready pods than desired."""
    findings = []
    for sts in analysis.state.kind("StatefulSet"):
        desired, ready = replicas(sts)
        if ready < desired:
            findings.append(_not_ready("StatefulSet", sts, desired, ready, analysis))
    for ds in analysis.state.kind("DaemonSet"):
        st = o.status(ds)
        desired, ready = int(st.get("desiredNumberScheduled") or 0), int(st.get("numberReady") or 0)
        if ready < desired:
            findings.append(_not_ready("DaemonSet", ds, desired, ready, analysis))
    return findings


def _not_ready(kind: str, obj: Obj, desired: int, ready: int, analysis: Analysis) -> Finding:
    ns, name = o.namespace(obj), o.name(obj)
    available = o.conditions(obj).get("Available", {})
    since = o.ts(available.get("lastTransitionTime")) if available.get("status") == "False" else None
    return make_finding(
        f"{kind.lower()}-unavailable",
        f"{ns}/{name}",
        severity=Severity.CRITICAL if ready == 0 else Severity.WARNING,
        title=f"{kind} {ns}/{name}: {ready}/{desired} replicas ready ({desired - ready} unavailable), "
        f"image {_images(obj)}",
        resources=[o.path(kind, obj)],
        evidence=[
            object_evidence(
                kind,
                obj,
                f"desired={desired}, ready={ready}; "
                + "; ".join(
                    f"{t}={c.get('status')} {c.get('reason', '')}" for t, c in o.conditions(obj).items()
                ),
                since,
            )
        ],
        relevance=analysis.workload_relevance(kind, ns, name),
        first_seen=since,
    )


def analyze_replicasets(analysis: Analysis) -> list[Finding]:
    """ReplicaSets that cannot create their pods (ReplicaFailure / FailedCreate events)."""
    findings = []
    covered: set[tuple[str | None, str]] = set()
    for rs in analysis.state.kind("ReplicaSet"):
        ns, name = o.namespace(rs), o.name(rs)
        failure = o.conditions(rs).get("ReplicaFailure", {})
        events = analysis.events.about("ReplicaSet", ns, name, reason="FailedCreate", warning_only=True)
        if failure.get("status") != "True" and not events:
            continue
        message = _creation_error(str(events[0].get("message") if events else failure.get("message", "")))
        owner = o.owner(rs)
        covered.add((ns, owner[1] if owner else name))
        subject_name = owner[1] if owner else name
        findings.append(
            make_finding(
                "replicaset-failedcreate",
                f"{ns}/{name}",
                severity=Severity.CRITICAL,
                title=f"FailedCreate: ReplicaSet {ns}/{name}"
                f"{' of ' + owner[0] + ' ' + subject_name if owner else ''} "
                f"cannot create pods: {short(message, 170)}",
                resources=[o.path("ReplicaSet", rs)] + ([f"{ns}/{owner[0]}/{owner[1]}"] if owner else []),
                evidence=[
                    object_evidence(
                        "ReplicaSet",
                        rs,
                        f"ReplicaFailure={failure.get('status')}: {failure.get('message', '')}",
                    ),
                    *(event_evidence(e) for e in events[:2]),
                ],
                cause=failed_create_cause(message),
                relevance=max(analysis.relevance(ns, name), analysis.relevance(ns, subject_name)),
                first_seen=min((t for e in events if (t := o.event_first_time(e))), default=None),
                last_seen=max((t for e in events if (t := o.event_time(e))), default=None),
            )
        )
    for dep in analysis.state.kind("Deployment"):  # a Deployment whose ReplicaSets were not fetched
        ns, name = o.namespace(dep), o.name(dep)
        failure = o.conditions(dep).get("ReplicaFailure", {})
        if failure.get("status") == "True" and (ns, name) not in covered:
            message = str(failure.get("message", ""))
            findings.append(
                make_finding(
                    "replicaset-failedcreate",
                    f"{ns}/{name}",
                    severity=Severity.CRITICAL,
                    title=f"FailedCreate: Deployment {ns}/{name} cannot create pods: {short(message, 170)}",
                    resources=[o.path("Deployment", dep)],
                    evidence=[
                        object_evidence(
                            "Deployment", dep, f"ReplicaFailure=True {failure.get('reason')}: {message}"
                        )
                    ],
                    cause=failed_create_cause(message),
                    relevance=analysis.relevance(ns, name),
                    first_seen=o.ts(failure.get("lastTransitionTime")),
                )
            )
    return findings


def analyze_jobs(analysis: Analysis) -> list[Finding]:
    """Failed Jobs with why their pods failed, and Jobs suspended with pods still to run."""
    findings = []
    # Newest first: a CronJob's Jobs share one finding id, and its newest run is the one to show.
    newest_first = sorted(
        analysis.state.kind("Job"), key=lambda j: str(o.meta(j).get("creationTimestamp", "")), reverse=True
    )
    for job in newest_first:
        ns, name = o.namespace(job), o.name(job)
        owner = o.owner(job)
        parent = owner[1] if owner and owner[0] == "CronJob" else None
        relevance = max(analysis.relevance(ns, name), analysis.relevance(ns, parent or name))
        if o.spec(job).get("suspend") and o.conditions(job).get("Complete", {}).get("status") != "True":
            findings.append(_suspended_job(analysis, job, relevance))
        failed = o.conditions(job).get("Failed", {})
        if failed.get("status") != "True":
            continue
        st = o.status(job)
        at = o.ts(failed.get("lastTransitionTime"))
        if at is not None and at < analysis.scope.window_start and relevance < Relevance.NEAR:
            continue  # an unrelated Job that failed before the window is old news
        why = job_failure(analysis, job)
        cause = why.cause if why else None
        changed = changed_since_success(analysis, job)
        limits = deadline_limits(analysis.state.kind("Job"), job)
        starved = limits is not None and limits.lowered and cause is None
        if starved:
            cause = CauseCategory.CPU_SATURATION
        findings.append(
            make_finding(
                "job-failed",
                f"{ns}/{parent or name}",
                severity=Severity.CRITICAL if cause and relevance >= Relevance.DIRECT else Severity.WARNING,
                title=f"Job {ns}/{name}{' (CronJob ' + parent + ')' if parent else ''} failed: "
                f"{failed.get('reason', 'Failed')}"
                f" ({short(failed.get('message', ''), 100)}), {st.get('failed', 0)} failed pod(s)"
                + (f"; {why.text}" if why else "")
                + (f"; {changed}" if changed and not starved else "")
                + (f"; {limits.text}" if limits else "")
                + (
                    ": its CPU limit was cut since the last successful run, and the same work, "
                    "throttled to less CPU, no longer fits the deadline"
                    if starved
                    else ""
                ),
                detail="\n".join(
                    line
                    for line in (why.text if why else "", (changed or "")[:1].upper() + (changed or "")[1:])
                    if line
                ),
                resources=[o.path("Job", job), *(f"{ns}/Pod/{p}" for p in (why.pods[:3] if why else []))],
                evidence=[
                    object_evidence(
                        "Job",
                        job,
                        f"Failed=True {failed.get('reason')}: {failed.get('message', '')}; "
                        f"failed={st.get('failed', 0)}, succeeded={st.get('succeeded', 0)}"
                        + (f"; {why.text}" if why else "")
                        + (f"; {limits.text}" if limits else ""),
                        at,
                    )
                ],
                cause=cause,
                change=Trigger.CONFIG_CHANGE if starved or (changed and cause is not None) else None,
                relevance=relevance,
                first_seen=o.ts(st.get("startTime")),
                last_seen=at,
            )
        )
    return findings


def _suspended_job(analysis: Analysis, job: Obj, relevance: float) -> Finding:
    ns, name = o.namespace(job), o.name(job)
    suspended = o.conditions(job).get("Suspended", {})
    since = o.ts(suspended.get("lastTransitionTime")) or o.created(job)
    return make_finding(
        "job-suspended",
        f"{ns}/{name}",
        # The alert is about the Job: a Job that starts no pod is the whole answer.
        severity=Severity.CRITICAL
        if relevance >= Relevance.DIRECT
        else Severity.WARNING
        if relevance >= Relevance.NEAR
        else Severity.INFO,
        title=f"Job {ns}/{name} is suspended (spec.suspend=true) since {ago(analysis.scope, since)}: it "
        f"runs no pods ({o.status(job).get('succeeded', 0)} of {o.spec(job).get('completions', 1)} "
        "completions) until something sets suspend to false",
        resources=[o.path("Job", job)],
        evidence=[
            object_evidence(
                "Job",
                job,
                f"spec.suspend=true; Suspended={suspended.get('status', '?')} {suspended.get('reason', '')}",
                since,
            )
        ],
        cause=CauseCategory.BAD_CONFIG,
        relevance=relevance,
        first_seen=since,
    )
