"""Changes the logs record (config reloads with their settings, releases starting with their
version), closest before the alert first. Events in, `Finding`s out.

A process starting with its version is a release only when that version is new: the first start
line of a workload in the window, or one whose version differs from the workload's earlier line.
A restart (an OOM kill, a crash) logs the same version again, and says so often enough
(`starting (restart 2)`): neither is a deploy."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from agents.cloudwatch_logs.analyzers import AGENT, Windows, ago, digest, longest_literal, slug, where_of
from agents.cloudwatch_logs.queries import MARKER_RE, insights_console_url, template_query
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.named_values import change_fields, message_field
from agents.common.scope import Scope, workload_of_pod
from agents.common.signatures import Marker, Signatures, settings_in, version_in
from agents.common.templates import TemplateMiner
from shared.contracts import Evidence, EvidenceKind, Finding, Severity, Trigger

_RESTART = re.compile(r"\brestart(s|ed|ing)?\b|\bre-started\b|\brecover(ed|ing) from\b", re.IGNORECASE)


def _source(event: LogEvent) -> str:
    """The workload a line comes from (its pod's controller), so a restarted or rescheduled pod
    of the same release compares with its siblings."""
    where = where_of(event)
    if where == event.log_group:
        return where
    ns, _, pod = where.partition("/")
    return f"{event.log_group}|{ns}/{workload_of_pod(pod) or pod}"


def _changes(events: list[LogEvent], signatures: Signatures) -> list[tuple[LogEvent, Marker]]:
    """The marker lines that record a change: every config reload, and the starts that are
    releases (see the module docstring), oldest first."""
    changes: list[tuple[LogEvent, Marker]] = []
    versions: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.at):
        if not MARKER_RE.search(event.message):
            continue
        marker = signatures.marker(event.message)
        if marker is None:
            continue
        if marker.change is not Trigger.DEPLOY:
            changes.append((event, marker))
            continue
        key, version = _source(event), version_in(event.message)
        earlier = versions.get(key)
        if version:
            versions[key] = version
        if _RESTART.search(event.message):
            continue
        if earlier is not None and (version is None or version == earlier):
            continue  # the same release starting again
        changes.append((event, marker))
    return changes


def deploy_times(events: list[LogEvent], signatures: Signatures) -> list[datetime]:
    """When releases started, per the logs (new versions starting; restarts are not releases)."""
    return [e.at for e, m in _changes(events, signatures) if m.change is Trigger.DEPLOY]


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
    marked = _changes(events, signatures)
    if not marked:
        return []
    miner = TemplateMiner()
    ids = miner.assign(e.message for e, _ in marked)
    chosen: dict[int, tuple[LogEvent, Trigger]] = {}
    counts: Counter[int] = Counter()
    for cid, (event, marker) in zip(ids, marked, strict=True):
        if cid < 0:
            continue
        counts[cid] += 1
        # A reload is told by its first line; of several releases, the latest is the change.
        latest = marker.change is Trigger.DEPLOY
        if cid not in chosen or (event.at > chosen[cid][0].at if latest else event.at < chosen[cid][0].at):
            chosen[cid] = (event, marker.change)
    templates = {c.id: c.template for c in miner.clusters()}
    findings = []
    for cid, (event, change) in chosen.items():
        where = where_of(event)
        settings = settings_in(event.message)
        version = version_in(event.message)
        if change is Trigger.CONFIG_CHANGE:
            # what changed and to what: `DB_POOL_MAX=8`, or a structured line's fields
            # (`feature flag changed: flag=cart-autosave-v2, value=true`)
            fields = settings or change_fields(event.message)
            said = message_field(event.message)
            what = (f"Config change logged ({said})" if said else "Config reloaded") + (
                f": {', '.join(fields)}" if fields else ""
            )
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
