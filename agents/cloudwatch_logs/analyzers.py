"""Pure analysis of fetched log events: error templates against the preceding baseline window, with
cause hints. Events in, `Finding`s out. (Change markers: `markers.py`.)"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agents.cloudwatch_logs.queries import insights_console_url, template_query
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.named_values import named_in
from agents.common.scope import Scope
from agents.common.signatures import Signatures, excerpt, specifics_in
from agents.common.templates import WILDCARD, TemplateMiner
from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity
from shared.relevance import Relevance

AGENT = "cloudwatch_logs"
ONSET_SLACK = timedelta(minutes=10)
BEGAN_AFTER = timedelta(minutes=5)  # first seen this long after the window began: it began inside it

# Container Insights (Fluent Bit) stream names: `<pod>_<namespace>_<container>`, possibly inside
# `<host>-application.var.log.containers.<pod>_<ns>_<container>-<64 hex>.log`.
_CI_STREAM = re.compile(
    r"(?:^|\.containers\.)(?P<pod>[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*?)_(?P<ns>[a-z0-9][a-z0-9\-]*)"
    r"_(?P<container>[a-z0-9][a-z0-9\-]*?)(?:-[0-9a-f]{64}\.log)?$"
)
_LEADING_TIME = re.compile(r"^\s*(?:\[?\d{4}-\d{2}-\d{2}[T ][\d:.,]+(?:Z|[+-]\d{2}:?\d{2})?\]?\s*)")
_SLUG = re.compile(r"[^A-Za-z0-9_.:/\-]+")


@dataclass(frozen=True)
class Windows:
    """The recent window the alert is about, and the baseline just before it."""

    baseline_start: datetime
    recent_start: datetime
    end: datetime

    @property
    def recent_minutes(self) -> float:
        return max(1.0, (self.end - self.recent_start).total_seconds() / 60)

    @property
    def baseline_minutes(self) -> float:
        return max(0.0, (self.recent_start - self.baseline_start).total_seconds() / 60)


def windows_for(scope: Scope, recent: timedelta = timedelta(minutes=15)) -> Windows:
    """Recent = 15 min before the anchor up to the window's end; baseline = the rest of the window
    before it (at least as long as the recent one)."""
    end = scope.window_end
    recent_start = min(scope.anchor - recent, end - timedelta(minutes=1))
    baseline_start = min(scope.window_start, recent_start - (end - recent_start))
    return Windows(baseline_start, recent_start, end)


def where_of(event: LogEvent) -> str:
    """`namespace/pod` for a Container Insights stream, else the log group."""
    stream = event.stream
    # Fluent Bit prefixes `<host>-application.var.log.containers.`: read what follows it.
    marker = stream.rfind(".containers.")
    match = _CI_STREAM.search(stream[marker:] if marker >= 0 else stream)
    if match:
        return f"{match.group('ns')}/{match.group('pod')}"
    return event.log_group


def slug(text: str) -> str:
    return _SLUG.sub("-", text).strip("-")[:120] or "logs"


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def _short(message: str, limit: int = 150) -> str:
    text = _LEADING_TIME.sub("", message).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def longest_literal(template: str) -> str:
    parts = [p.strip() for p in template.split(WILDCARD)]
    return max(parts, key=len) if parts else template


def ago(scope: Scope, at: datetime) -> str:
    minutes = round((scope.anchor - at).total_seconds() / 60)
    if minutes >= 0:
        return f"{minutes} min before the alert"
    return f"{-minutes} min after the alert"


@dataclass
class _Stats:
    recent: int = 0
    baseline: int = 0
    first: datetime | None = None
    last: datetime | None = None
    first_event: LogEvent | None = None
    last_event: LogEvent | None = None
    wheres: Counter[str] = field(default_factory=Counter)
    groups: Counter[str] = field(default_factory=Counter)

    def add(self, event: LogEvent, recent: bool) -> None:
        if recent:
            self.recent += 1
        else:
            self.baseline += 1
        if self.first is None or event.at < self.first:
            self.first, self.first_event = event.at, event
        if self.last is None or event.at >= self.last:
            self.last, self.last_event = event.at, event
        if len(self.wheres) < 20 or where_of(event) in self.wheres:
            self.wheres[where_of(event)] += 1
        self.groups[event.log_group] += 1


def error_findings(
    events: list[LogEvent],
    *,
    windows: Windows,
    scope: Scope,
    signatures: Signatures,
    region: str,
    deploys: list[datetime] | None = None,
    baseline_complete: bool = True,
    max_findings: int = 8,
    own_groups: frozenset[str] = frozenset(),
) -> list[Finding]:
    """One finding per error template seen in the recent window, ranked, at most `max_findings`.
    Lines from `own_groups` (groups that belong to the alert's target) count as relevant."""
    errors = [
        e
        for e in events
        if windows.baseline_start <= e.at <= windows.end and signatures.is_error_line(e.message)
    ]
    if not errors:
        return []
    miner = TemplateMiner()
    ids = miner.assign(e.message for e in errors)
    stats: dict[int, _Stats] = {}
    for cid, event in zip(ids, errors, strict=True):
        if cid >= 0:
            stats.setdefault(cid, _Stats()).add(event, event.at >= windows.recent_start)
    templates = {c.id: c.template for c in miner.clusters()}
    candidates = []
    for cid, st in stats.items():
        if st.recent == 0 or st.first_event is None:
            continue
        finding = _error_finding(
            templates[cid],
            st,
            windows=windows,
            scope=scope,
            signatures=signatures,
            region=region,
            deploys=deploys or [],
            baseline_complete=baseline_complete,
            own_groups=own_groups,
        )
        candidates.append(finding)
    candidates.sort(key=lambda f: (-f.severity.rank * f.relevance, f.cause_hint is None, -f.relevance, f.id))
    return candidates[:max_findings]


def _error_finding(
    template: str,
    st: _Stats,
    *,
    windows: Windows,
    scope: Scope,
    signatures: Signatures,
    region: str,
    deploys: list[datetime],
    baseline_complete: bool,
    own_groups: frozenset[str],
) -> Finding:
    assert st.first_event is not None and st.last_event is not None and st.first is not None
    recent_rate = st.recent / windows.recent_minutes
    baseline_rate = st.baseline / windows.baseline_minutes if windows.baseline_minutes else 0.0
    # New: absent from the baseline, or only in its last minutes (it began just before the split).
    new = (
        windows.baseline_minutes > 0
        and baseline_complete
        and (st.baseline == 0 or st.first >= windows.recent_start - ONSET_SLACK)
    )
    spike = st.recent >= 3 and (new or recent_rate >= 3 * baseline_rate)
    # Began inside the window, before the recent part: not background that was always there, but a
    # failure that started first (an expired certificate before the retries it set off).
    began = (
        not new
        and baseline_complete
        and windows.baseline_minutes > 0
        and st.first
        >= windows.baseline_start + max(BEGAN_AFTER, (windows.recent_start - windows.baseline_start) / 5)
    )
    signature = signatures.match(st.first_event.message) or signatures.match(st.last_event.message)
    category: CauseCategory | None = signature.category if signature else None
    if signature is not None and signature.after_deploy:
        after_deploy = any(windows.baseline_start <= t <= st.first for t in deploys)
        category = category if (after_deploy or new) else None

    where = st.wheres.most_common(1)[0][0]
    relevance = max(scope.text_relevance(w) for w in st.wheres)
    relevance = max(relevance, scope.text_relevance(st.first_event.message))
    if any(group in own_groups for group in st.groups):
        relevance = max(relevance, Relevance.DIRECT)
    if category is not None and spike and st.recent >= 5:
        severity = Severity.CRITICAL
    elif spike or (category is not None and (new or began or relevance >= Relevance.DIRECT)):
        severity = Severity.WARNING
    else:
        severity = Severity.INFO  # steady background errors elsewhere: there before the alert
    if spike or new:
        relevance = min(1.0, relevance + 0.05)
    elif not (began and category is not None):
        relevance *= 0.6

    before = f"the previous {round(windows.baseline_minutes)} min"
    if new:
        trend = f"new, first seen {ago(scope, st.first)}"
    elif began and not spike:
        trend = f"began {ago(scope, st.first)}, still going"
    elif spike:
        trend = f"{recent_rate / max(baseline_rate, 1e-9):.0f}x the rate of {before}"
    else:
        trend = f"steady: {st.baseline} in {before}"
    label = (signature.label[0].upper() + signature.label[1:]) if signature and category else "Errors"
    count = st.recent + st.baseline if new or began else st.recent
    quoted = excerpt(_LEADING_TIME.sub("", st.first_event.message), signature)
    specifics = specifics_in(st.first_event.message)
    # the flag, key, host or limit the line names, when the quote cut it out
    named = [n for n in named_in(st.first_event.message) if n.split(" ", 1)[-1] not in quoted]
    said = "; ".join(p for p in (specifics, *named) if p and p not in quoted)
    if said:
        label = f"{label} ({said})"
    title = f'{label}: {count}x "{quoted}" in {where} ({trend})'
    groups = [g for g, _ in st.groups.most_common()]
    query = template_query(longest_literal(template))
    url = insights_console_url(region, groups[:10], query, min(windows.baseline_start, st.first), windows.end)
    evidence = [
        Evidence(kind=EvidenceKind.QUERY, reference=url, excerpt=query, url=url),
        Evidence(
            kind=EvidenceKind.LOG_LINE,
            reference=f"{st.first_event.log_group}/{st.first_event.stream}",
            excerpt=st.first_event.message[:2000],
            at=st.first,
            url=url,
        ),
    ]
    if st.last_event.message != st.first_event.message:
        evidence.append(
            Evidence(
                kind=EvidenceKind.LOG_LINE,
                reference=f"{st.last_event.log_group}/{st.last_event.stream}",
                excerpt=st.last_event.message[:2000],
                at=st.last,
                url=url,
            )
        )
    wheres = ", ".join(f"{w} ({n})" for w, n in st.wheres.most_common(5))
    detail = (
        f"Template: {template}\n"
        f"{st.recent} lines since {windows.recent_start:%H:%M} UTC, {st.baseline} in the baseline window "
        f"({windows.baseline_start:%H:%M}-{windows.recent_start:%H:%M} UTC"
        f"{'' if baseline_complete else ', sample cut short: a lower bound'}).\n"
        f"First seen {st.first:%Y-%m-%d %H:%M:%S} UTC, last seen {st.last:%H:%M:%S} UTC.\n"
        f"Where: {wheres}. Log groups: {', '.join(groups[:5])}."
    )
    names = named_in(st.first_event.message)
    if names:
        detail += f"\nNames: {', '.join(names)}."
    if signature is not None:
        detail += f"\nSignature: {signature.id}" + (
            "" if category else " (no rollout before it: no cause hint)"
        )
    return Finding(
        id=f"{AGENT}:errors:{slug(where)}:{digest(template)}",
        agent=AGENT,
        severity=severity,
        title=title[:300],
        detail=detail,
        resources=tuple([*groups[:3], *(w for w, _ in st.wheres.most_common(3) if w not in groups)]),
        first_seen=st.first,
        last_seen=st.last,
        evidence=tuple(evidence),
        cause_hint=category,
        relevance=round(relevance, 3),
    )
