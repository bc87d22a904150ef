"""CronJobs: a schedule that does not parse, suspended, a starting deadline too short to start,
missed runs (the controller's events), and the last Jobs it made failing (with why their pods did)."""

from __future__ import annotations

import re

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence, short
from agents.eks.analyzers.job_pods import job_failure, job_pods
from agents.eks.analyzers.pods import pod_problems
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_NAMES = {
    3: {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"},
    4: {"sun", "mon", "tue", "wed", "thu", "fri", "sat"},
}
_EVERY = re.compile(r"^@every (\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
# The CronJob controller's Warning reasons for runs that did not start.
MISSED = {"MissSchedule", "TooManyMissedTimes", "FailedNeedsStart"}
MIN_DEADLINE_S = 10  # the controller checks every 10 s: a shorter deadline can miss every run


def schedule_problem(schedule: str) -> str | None:
    """Why a cron schedule is invalid (as the CronJob controller's parser sees it), or None."""
    text = schedule.strip()
    if text.startswith(("TZ=", "CRON_TZ=")):
        return "a time zone in spec.schedule is not supported; use spec.timeZone"
    if text in MACROS or _EVERY.match(text):
        return None
    parts = text.split()
    if len(parts) != 5:
        return f"{len(parts)} fields, a schedule has 5 (minute hour day-of-month month day-of-week)"
    for index, (part, (label, low, high)) in enumerate(zip(parts, _FIELDS, strict=True)):
        for item in part.split(","):
            base, _, step = item.partition("/")
            if step and (not step.isdigit() or int(step) == 0):
                return f"{label} step '{step}' is not a positive number"
            if base in ("*", "?"):
                continue
            for bound in base.split("-", 1):
                if bound.lower() in _NAMES.get(index, set()):
                    continue
                if not bound.isdigit():
                    return f"{label} '{bound}' is not a number"
                if not low <= int(bound) <= high:
                    return f"{label} {bound} is outside {low}-{high}"
    return None


def _jobs_of(analysis: Analysis, cron: Obj) -> list[Obj]:
    ns, name = o.namespace(cron), o.name(cron)
    jobs = [j for j in analysis.state.kind("Job") if o.namespace(j) == ns and o.owner(j) == ("CronJob", name)]
    return sorted(jobs, key=lambda j: str(o.meta(j).get("creationTimestamp", "")), reverse=True)


def _relevance(analysis: Analysis, cron: Obj, jobs: list[Obj]) -> float:
    ns = o.namespace(cron)
    return max([analysis.relevance(ns, o.name(cron)), *(analysis.relevance(ns, o.name(j)) for j in jobs)])


def analyze_cronjobs(analysis: Analysis) -> list[Finding]:
    findings: list[Finding] = []
    for cron in analysis.state.kind("CronJob"):
        ns, name = o.namespace(cron), o.name(cron)
        spec, st = o.spec(cron), o.status(cron)
        jobs = _jobs_of(analysis, cron)
        relevance = _relevance(analysis, cron, jobs)
        severity = Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING
        path = o.path("CronJob", cron)
        ref = f"{ns}/{name}"
        schedule = str(spec.get("schedule", ""))
        last_run = o.ts(st.get("lastScheduleTime"))
        last_ok = o.ts(st.get("lastSuccessfulTime"))
        runs = f"last scheduled {ago(analysis.scope, last_run)}" if last_run else "never scheduled"
        if last_ok:
            runs += f", last succeeded {ago(analysis.scope, last_ok)}"
        events = analysis.events.about("CronJob", ns, name, warning_only=True)
        invalid = schedule_problem(schedule) or next(
            (
                str(e.get("message"))
                for e in events
                if e.get("reason") in {"InvalidSchedule", "UnknownTimeZone"}
            ),
            None,
        )
        if invalid:
            findings.append(
                make_finding(
                    "cronjob-invalid-schedule",
                    ref,
                    severity=severity,
                    title=f"CronJob {ref} schedule '{schedule}' is invalid ({short(invalid, 120)}): "
                    "it never runs",
                    resources=[path],
                    evidence=[object_evidence("CronJob", cron, f"spec.schedule: {schedule!r}; {runs}")],
                    cause=CauseCategory.BAD_CONFIG,
                    relevance=relevance,
                )
            )
        if spec.get("suspend"):
            findings.append(
                make_finding(
                    "cronjob-suspended",
                    ref,
                    severity=Severity.WARNING if relevance >= Relevance.DIRECT else Severity.INFO,
                    title=f"CronJob {ref} is suspended (spec.suspend=true): no Job is created on its "
                    f"schedule '{schedule}'; {runs}",
                    resources=[path],
                    evidence=[object_evidence("CronJob", cron, f"spec.suspend: true; {runs}", last_run)],
                    cause=CauseCategory.BAD_CONFIG,
                    # Suspending is deliberate more often than not: a cause only for the CronJob alerted on.
                    relevance=relevance if relevance >= Relevance.DIRECT else relevance * 0.5,
                )
            )
        deadline = spec.get("startingDeadlineSeconds")
        missed = [e for e in events if e.get("reason") in MISSED]
        if missed or (deadline is not None and int(deadline) < MIN_DEADLINE_S):
            why = (
                short(str(missed[0].get("message", "")), 140)
                if missed
                else f"startingDeadlineSeconds={deadline} is shorter than the controller's 10 s sync"
            )
            findings.append(
                make_finding(
                    "cronjob-missed-runs",
                    ref,
                    severity=severity,
                    title=f"CronJob {ref} missed its scheduled runs: {why}"
                    + (f" (startingDeadlineSeconds={deadline})" if missed and deadline is not None else "")
                    + f"; {runs}",
                    resources=[path],
                    evidence=[
                        object_evidence("CronJob", cron, f"startingDeadlineSeconds: {deadline}; {runs}"),
                        *(event_evidence(e) for e in missed[:2]),
                    ],
                    cause=CauseCategory.BAD_CONFIG,
                    relevance=relevance,
                    last_seen=o.event_time(missed[0]) if missed else None,
                )
            )
        findings += _failing_runs(analysis, cron, jobs, relevance, runs)
        findings += _blocked_by_active(analysis, cron, jobs, relevance, runs)
    return findings


def _blocked_by_active(
    analysis: Analysis, cron: Obj, jobs: list[Obj], relevance: float, runs: str
) -> list[Finding]:
    """concurrencyPolicy Forbid and a Job that never ends: every run after it is skipped, which
    the controller tells only in Normal JobAlreadyActive events."""
    ns, name = o.namespace(cron), o.name(cron)
    skipped = analysis.events.about("CronJob", ns, name, reason="JobAlreadyActive")
    active = [str(r.get("name")) for r in o.status(cron).get("active") or [] if r.get("name")]
    if o.spec(cron).get("concurrencyPolicy") != "Forbid" or not skipped or not active:
        return []
    job = next((j for j in jobs if o.name(j) == active[0]), None)
    started = o.ts(o.status(job).get("startTime")) if job is not None else None
    problem = None
    for pod in job_pods(analysis, job) if job is not None else []:
        problem = next((p for p in pod_problems(pod, analysis) if p.cause is not None), problem)
    count = sum(o.event_count(e) for e in skipped)
    why = (
        f"; its pod {o.name(problem.pod)}: {problem.reason}: {short(problem.message, 100)}" if problem else ""
    )
    return [
        make_finding(
            "cronjob-blocked-by-active-job",
            f"{ns}/{name}",
            severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
            title=f"CronJob {ns}/{name} skips its runs ({count} x JobAlreadyActive): concurrencyPolicy "
            f"Forbid and Job {active[0]} still active"
            + (f" since {ago(analysis.scope, started)}" if started else "")
            + why
            + f"; {runs}",
            resources=[o.path("CronJob", cron), f"{ns}/Job/{active[0]}"]
            + ([o.path("Pod", problem.pod)] if problem else []),
            evidence=[
                object_evidence(
                    "CronJob", cron, f"concurrencyPolicy: Forbid; status.active: {', '.join(active)}; {runs}"
                ),
                *(event_evidence(e) for e in skipped[:1]),
            ],
            cause=problem.cause if problem else None,
            relevance=relevance,
            first_seen=started,
            last_seen=o.event_time(skipped[0]),
        )
    ]


def _failing_runs(
    analysis: Analysis, cron: Obj, jobs: list[Obj], relevance: float, runs: str
) -> list[Finding]:
    """The CronJob's newest Jobs, when the newest failed: how many in a row, and why."""
    failed_in_a_row = []
    for job in jobs:
        if o.conditions(job).get("Failed", {}).get("status") != "True":
            break
        failed_in_a_row.append(job)
    if not failed_in_a_row:
        return []
    ns, name = o.namespace(cron), o.name(cron)
    newest = failed_in_a_row[0]
    why = job_failure(analysis, newest)
    failed = o.conditions(newest).get("Failed", {})
    at = o.ts(failed.get("lastTransitionTime"))
    recent = at is not None and at >= analysis.scope.window_start
    if not recent and relevance < Relevance.NEAR:
        return []
    return [
        make_finding(
            "cronjob-failing",
            f"{ns}/{name}",
            severity=Severity.CRITICAL if relevance >= Relevance.DIRECT else Severity.WARNING,
            title=f"CronJob {ns}/{name}: its last {len(failed_in_a_row)} Job(s) failed, newest "
            f"{o.name(newest)} {failed.get('reason', 'Failed')}"
            + (f"; {why.text}" if why else "")
            + f"; {runs}",
            resources=[o.path("CronJob", cron), *(o.path("Job", j) for j in failed_in_a_row[:3])],
            evidence=[
                object_evidence(
                    "Job",
                    newest,
                    f"Failed=True {failed.get('reason')}: {failed.get('message', '')}"
                    + (f"; {why.text}" if why else ""),
                    at,
                )
            ],
            cause=why.cause if why else None,
            relevance=relevance,
            last_seen=at,
        )
    ]
