"""Changes the logs record (config reloads with their settings, releases starting with their
version), closest before the alert first. Events in, `Finding`s out."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from agents.cloudwatch_logs.analyzers import AGENT, Windows, ago, digest, longest_literal, slug, where_of
from agents.cloudwatch_logs.queries import MARKER_RE, insights_console_url, template_query
from agents.cloudwatch_logs.reader import LogEvent
from agents.cloudwatch_logs.signatures import Signatures, settings_in, version_in
from agents.cloudwatch_logs.templates import TemplateMiner
from agents.eks.scope import Scope
from shared.contracts import Evidence, EvidenceKind, Finding, Severity, Trigger


def deploy_times(events: list[LogEvent], signatures: Signatures) -> list[datetime]:
    """When releases started, per the logs (deploy markers)."""
    times = []
    for event in events:
        marker = signatures.marker(event.message)
        if marker is not None and marker.change is Trigger.DEPLOY:
            times.append(event.at)
    return sorted(times)


def marker_findings(
    events: list[LogEvent],
    *,
    scope: Scope,
    signatures: Signatures,
    region: str,
    windows: Windows,
    max_findings: int = 5,
    own_groups: frozenset[str] = frozenset(),
) -> list[Finding]:
    """Changes the logs record (config reloads, releases starting), closest before the alert first."""
    marked = [(e, m) for e in events if MARKER_RE.search(e.message) and (m := signatures.marker(e.message))]
    if not marked:
        return []
    miner = TemplateMiner()
    ids = miner.assign(e.message for e, _ in marked)
    firsts: dict[int, tuple[LogEvent, Trigger]] = {}
    counts: Counter[int] = Counter()
    for cid, (event, marker) in zip(ids, marked, strict=True):
        if cid < 0:
            continue
        counts[cid] += 1
        if cid not in firsts or event.at < firsts[cid][0].at:
            firsts[cid] = (event, marker.change)
    templates = {c.id: c.template for c in miner.clusters()}
    findings = []
    for cid, (event, change) in firsts.items():
        where = where_of(event)
        settings = settings_in(event.message)
        version = version_in(event.message)
        if change is Trigger.CONFIG_CHANGE:
            what = "Config reloaded" + (f": {', '.join(settings)}" if settings else "")
        else:
            what = f"Release {version} started" if version else "Release started"
        title = f"{what} in {where}, {ago(scope, event.at)}"
        target = 0.9 if event.log_group in own_groups else 0.0
        relevance = max(
            target, scope.text_relevance(where), scope.text_relevance(event.message)
        ) * scope.proximity(event.at)
        query = template_query(longest_literal(templates[cid]))
        url = insights_console_url(region, [event.log_group], query, windows.baseline_start, windows.end)
        findings.append(
            Finding(
                id=f"{AGENT}:change:{slug(where)}:{digest(templates[cid])}",
                agent=AGENT,
                severity=Severity.INFO,
                title=title[:300],
                detail=f'{counts[cid]} such line(s); the first: "{event.message[:500]}"',
                resources=(event.log_group, where) if where != event.log_group else (event.log_group,),
                first_seen=event.at,
                last_seen=event.at,
                evidence=(
                    Evidence(
                        kind=EvidenceKind.LOG_LINE,
                        reference=f"{event.log_group}/{event.stream}",
                        excerpt=event.message[:2000],
                        at=event.at,
                        url=url,
                    ),
                ),
                change=change,
                relevance=round(max(0.05, relevance), 3),
            )
        )
    findings.sort(key=lambda f: (-f.relevance, f.id))
    return findings[:max_findings]
