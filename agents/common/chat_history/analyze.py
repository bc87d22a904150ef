"""Chat messages in, `Finding`s out: announced changes, earlier firings of the alert and how they ended,
and people reporting symptoms. Deterministic: ids come from what a message says (service and version,
config key) or from the message's own id, never from the order things were read in.

Names and permalinks come through a `Resolver` (the scan's `HistoryReader`, or a dict in tests).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from agents.common.chat_history.caps import lowers_a_cap
from agents.common.chat_history.commands import plan_shown
from agents.common.chat_history.extract import Kind, Mention, classify, resolution_in
from agents.common.chat_history.said import setting_said
from agents.common.chat_history.subject import NAMES_NAMESPACE, ChatSubject
from agents.common.chat_history.values import platform_component, same_as
from shared.causes import CEILING_LOOKBACK, dormant_cause
from shared.chat.base import ChatMessage
from shared.contracts import (
    AlertContext,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Severity,
    Trigger,
)
from shared.redact import redact
from shared.relevance import Relevance

EARLIER_GAP = timedelta(minutes=15)  # firings closer to the alert than this are the alert itself
MAX_SYMPTOMS = 5
NOTICE_ANSWER = timedelta(minutes=10)  # a notice this soon after a firing in its channel answers it
NOTICE_WINDOW = timedelta(hours=2)  # "firing a test in a few min": said shortly before the alert
FIRINGS_LOOKBACK = timedelta(hours=6)  # how far before the window earlier firings are read
DORMANT_LOOKBACK = timedelta(hours=6)  # how far before the window a dormant change is read
MAX_EXCERPT = 400
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/\-]+")


class Resolver(Protocol):
    def user_name(self, message: ChatMessage) -> str: ...
    def channel_name(self, channel: str) -> str: ...
    def permalink(self, message: ChatMessage) -> str: ...


@dataclass(frozen=True)
class Item:
    """One message with what it says; `parent` is the thread it replied in, if any."""

    message: ChatMessage
    text: str
    mention: Mention
    parent: ChatMessage | None = None


def items_of(
    messages: Iterable[ChatMessage],
    clean: Callable[[str], str],
    noise: Callable[[ChatMessage, str], bool],
    parent: ChatMessage | None = None,
) -> list[Item]:
    out: list[Item] = []
    messages = list(messages)
    for message in messages:
        text = clean(message.text)
        if not text.strip() or noise(message, text):
            continue
        if plan_shown(text) and _applied_later(message, messages, clean):
            # a plan posted for review, then "applied." by the same person: the plan says what changed
            text = f"{text}\napplied"
        mentions = classify(text, bot=message.bot)
        if not mentions and parent is not None:
            # A reply that only says how it ended ("fixed by restarting the consumer") still counts.
            mentions = [Mention(Kind.REPLY)]
        out.extend(Item(message, text, mention, parent) for mention in mentions)
    return out


APPLIED_WITHIN = timedelta(minutes=30)
_APPLIED = re.compile(
    r"^\W*(?:applied|apply complete|applying (?:it|now)|done,? applied|merged and applied)\b", re.I
)


def _applied_later(plan: ChatMessage, messages: list[ChatMessage], clean: Callable[[str], str]) -> bool:
    """Whether the author of a posted plan says, soon after in the same channel, that it was applied."""
    return any(
        m.user == plan.user
        and m.channel == plan.channel
        and timedelta(0) < m.at - plan.at <= APPLIED_WITHIN
        and _APPLIED.search(clean(m.text))
        for m in messages
    )


def slug(text: str) -> str:
    return _SLUG_UNSAFE.sub("-", text).strip("-")[:150] or "x"


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def _quote(text: str) -> str:
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= MAX_EXCERPT else flat[: MAX_EXCERPT - 1] + "…"


@dataclass(frozen=True)
class Analysis:
    ctx: AlertContext
    subject: ChatSubject
    agent: str
    resolver: Resolver

    def evidence(self, item: Item) -> Evidence:
        link = self.resolver.permalink(item.message)
        return Evidence(
            kind=EvidenceKind.CHAT_MESSAGE,
            reference=link,
            url=link,
            excerpt=_quote(item.message.text),
            at=item.message.at,
        )

    def where(self, item: Item) -> str:
        return f"#{self.resolver.channel_name(item.message.channel)}"

    def who(self, item: Item) -> str:
        return self.resolver.user_name(item.message)

    def finding(self, key: str, **fields: Any) -> Finding:
        return Finding(id=f"{self.agent}:{slug(key)}", agent=self.agent, **fields)


def analyze(items: list[Item], analysis: Analysis) -> list[Finding]:
    ctx = analysis.ctx
    inside = [
        i for i in items if ctx.window_start <= i.message.at <= ctx.window_end and not _is_alert(i, ctx)
    ]
    # A change that can lie dormant (a trust policy tightened hours ago bites when something next
    # assumes the role) is read from before the window too.
    dormant = [
        i
        for i in items
        if ctx.window_start - DORMANT_LOOKBACK <= i.message.at < ctx.window_start
        and i.mention.kind in (Kind.CONFIG, Kind.INFRA)
        and dormant_cause(i.text) is not None
        and not _is_alert(i, ctx)
    ]
    # A capacity ceiling lowered while load was low bites when load next rises to it.
    dormant += [
        i
        for i in items
        if ctx.window_start - CEILING_LOOKBACK <= i.message.at < ctx.window_start
        and i.mention.kind in (Kind.CONFIG, Kind.INFRA)
        and lowers_a_cap(i.text)
        and not _is_alert(i, ctx)
        and i not in dormant
    ]
    findings = (
        _deploys(inside, analysis)
        + _configs(dormant + inside, analysis)
        + _traffic(inside, analysis)
        + _earlier_firings(items, analysis)
        + _symptoms(inside, analysis)
        + _notices(inside, analysis)
    )
    return sorted(findings, key=lambda f: (-f.severity.rank, -f.relevance, f.id))


def _is_alert(item: Item, ctx: AlertContext) -> bool:
    """The alert message itself, and what bots posted after it (notices, this very report)."""
    m = item.message
    return m.id == ctx.thread_id or (m.bot and m.at >= ctx.anchor - timedelta(minutes=1))


def _severity(relevance: float) -> Severity:
    return Severity.WARNING if relevance >= Relevance.UNSURE else Severity.INFO


def _deploys(items: list[Item], analysis: Analysis) -> list[Finding]:
    groups: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for item in items:
        m = item.mention
        if m.kind is Kind.DEPLOY:
            groups[(m.service or "-", m.version or item.message.id)].append(item)
    out = []
    for (service, version), group in sorted(groups.items()):
        first, last = group[0], group[-1]
        relevance = max(analysis.subject.relevance(i.text, i.mention.service) for i in group)
        what = " ".join(p for p in (first.mention.service, first.mention.version) if p) or "a release"
        verb = first.mention.phrase.lower()
        done = f", {last.mention.phrase.lower()} {_hhmm(last.message.at)}" if len(group) > 1 else ""
        out.append(
            analysis.finding(
                f"deploy:{service}/{version}",
                severity=_severity(relevance),
                title=(
                    f"Deploy announced: {what} ({verb} at {_hhmm(first.message.at)}{done}; "
                    f"{analysis.where(first)}, {analysis.who(first)})"
                ),
                detail=" / ".join(_quote(i.text) for i in group[:3]),
                resources=(service,) if service != "-" else (),
                first_seen=_made(first),
                last_seen=last.message.at,
                evidence=tuple(analysis.evidence(i) for i in group[:3]),
                change=Trigger.DEPLOY,
                relevance=relevance,
            )
        )
    return out


def _configs(items: list[Item], analysis: Analysis) -> list[Finding]:
    out = []
    for item in items:
        m = item.mention
        if m.kind not in (Kind.CONFIG, Kind.INFRA):
            continue
        relevance = analysis.subject.relevance(item.text, m.service)
        if m.service is None and m.thing and analysis.subject.shares_word(m.thing):
            relevance = max(relevance, NAMES_NAMESPACE)  # the same product's bucket, secret, database
        if m.service is None and m.key and m.new and analysis.subject.shares_word(m.key):
            relevance = max(relevance, NAMES_NAMESPACE)  # the same product's flag (`cart-autosave-v2`)
        if m.service is None and m.thing is None and dormant_cause(item.text) is not None:
            # An IAM, trust or key policy change names roles and keys, not workloads: unnamed, it
            # still reaches whatever uses them.
            relevance = max(relevance, Relevance.UNSURE if analysis.subject.known else Relevance.SUPPORTING)
        if m.kind is Kind.INFRA and m.service is None:
            # Nodes and node groups run every workload: unnamed, such a change is still plausible.
            relevance = max(relevance, Relevance.UNSURE if analysis.subject.known else Relevance.SUPPORTING)
        if platform_component(" ".join(p for p in (m.service, m.thing, m.key, item.text) if p)):
            # Cluster DNS, an ingress controller, a mesh's trust anchor: every workload goes through
            # them, so a change to one is plausible for any alert that names none of them.
            relevance = max(relevance, Relevance.UNSURE if analysis.subject.known else Relevance.SUPPORTING)
        said = setting_said(m, item.text)
        if m.verbatim and m.diff:
            what = f"{said + ': ' if said else ''}“{_quote(m.phrase)[:100]}” changing {_quote(m.diff)}"
        elif m.verbatim:
            what = f"{said + ': ' if said else ''}“{_quote(item.text)[:160]}”"
        elif m.key and m.new:
            what = said or m.key
        else:
            what = f"“{_quote(item.text)[:120]}”"
        infra = m.kind is Kind.INFRA
        key = f"{m.key}/{item.message.id}" if m.verbatim else (m.key or item.message.id)
        named = (
            m.service,
            same_as(m.service),  # CoreDNS is the kube-dns Service: a change to one is to the other
            m.thing,
            path_alias(m.thing),
            f"Namespace/{m.namespace}" if m.namespace else None,
        )
        resources = tuple(dict.fromkeys(n for n in named if n))
        out.append(
            analysis.finding(
                f"config:{m.service or '-'}/{key}",
                severity=_severity(relevance),
                title=_fitted(
                    f"{'Infrastructure' if infra else 'Config'} change announced: ",
                    what,
                    f" at {_hhmm(item.message.at)} ({analysis.where(item)}, {analysis.who(item)})",
                ),
                detail=_quote(item.text),
                resources=resources,
                first_seen=_made(item),
                last_seen=item.message.at,
                evidence=(analysis.evidence(item),),
                change=Trigger.INFRASTRUCTURE if infra else Trigger.CONFIG_CHANGE,
                relevance=relevance,
            )
        )
    return out


MAX_TITLE = 300


def _fitted(head: str, what: str, tail: str) -> str:
    """`head + what + tail`, with `what` cut short (its start kept: the value said first) to fit."""
    room = MAX_TITLE - len(head) - len(tail)
    if len(what) > room:
        what = what[: max(0, room - 1)] + "…"
    return (head + what + tail)[:MAX_TITLE]


_ENVIRONMENTS = frozenset(
    {"prod", "production", "prd", "staging", "stage", "stg", "dev", "qa", "uat", "live"}
)


def path_alias(thing: str | None) -> str | None:
    """The name a path-like secret or parameter is the credential of, as hosts and workloads name
    it: `prod/orders/db` -> `orders-db`, `/staging/payments/api-key` -> `payments-api-key`. None for
    a thing that is not such a path (an ARN, a plain name)."""
    if not thing or "/" not in thing or thing.startswith(("arn:", "http")) or "://" in thing:
        return None
    parts = [p for p in re.split(r"/+", thing.strip("/")) if p and p.lower() not in _ENVIRONMENTS]
    return "-".join(parts).lower() if len(parts) >= 2 else None


def _made(item: Item) -> datetime:
    """When a change was made: when it was said, unless the message says how long before."""
    before = item.mention.before
    return item.message.at - before if before is not None else item.message.at


def _traffic(items: list[Item], analysis: Analysis) -> list[Finding]:
    out = []
    for item in items:
        if item.mention.kind is not Kind.TRAFFIC:
            continue
        # A surge reaches every service behind the front door: unnamed, it is still plausible.
        relevance = max(analysis.subject.relevance(item.text), 0.5 if analysis.subject.known else 0.3)
        out.append(
            analysis.finding(
                f"traffic:{item.message.channel}/{item.message.id}",
                severity=_severity(relevance),
                title=(
                    f"Traffic change announced at {_hhmm(item.message.at)} ({analysis.where(item)}, "
                    f"{analysis.who(item)}): “{_quote(item.text)[:140]}”"
                ),
                first_seen=item.message.at,
                last_seen=item.message.at,
                evidence=(analysis.evidence(item),),
                change=Trigger.TRAFFIC,
                relevance=min(relevance, 0.7),
            )
        )
    return out


def _earlier_firings(items: list[Item], analysis: Analysis) -> list[Finding]:
    name = analysis.subject.alert_name
    if not name:
        return []
    cutoff = analysis.ctx.anchor - EARLIER_GAP
    firings = [
        i
        for i in items
        if i.parent is None
        and i.mention.kind is Kind.FIRING
        and i.message.at >= analysis.ctx.window_start - FIRINGS_LOOKBACK
        and (i.mention.key or "").lower() == name.lower()
        and i.message.at < cutoff
    ]
    if not firings:
        return []
    resolved = [
        i
        for i in items
        if i.parent is None
        and i.mention.kind is Kind.RESOLVED
        and (i.mention.key or "").lower() == name.lower()
        and i.message.at < analysis.ctx.anchor
    ]
    replies = [i for i in items if i.parent is not None and any(i.parent.id == f.message.id for f in firings)]
    how = [r for r in replies if resolution_in(r.text)]
    latest = firings[-1]
    hours = max(1, round((analysis.ctx.anchor - firings[0].message.at).total_seconds() / 3600))
    ended = ""
    if how:
        ended = f"; the thread says: “{_quote(how[-1].text)[:160]}”"
    elif resolved:
        ended = f"; resolved at {_hhmm(resolved[-1].message.at)}"
    return [
        analysis.finding(
            f"earlier-firing:{name}",
            severity=Severity.INFO,
            title=(
                f"{name} fired before: {len(firings)} time(s) in the last {hours} h, latest at "
                f"{_hhmm(latest.message.at)} in {analysis.where(latest)}{ended}"
            ),
            detail="\n".join(_quote(r.text) for r in how[-3:]),
            first_seen=firings[0].message.at,
            last_seen=latest.message.at,
            evidence=tuple(analysis.evidence(i) for i in [*firings[-2:], *how[-2:], *resolved[-1:]]),
            relevance=0.6,
        )
    ]


def _symptoms(items: list[Item], analysis: Analysis) -> list[Finding]:
    reports = []
    for item in items:
        if item.mention.kind is not Kind.SYMPTOM:
            continue
        relevance = analysis.subject.relevance(item.text)
        if analysis.subject.names_subject(item.text) or analysis.subject.names_alert(item.text):
            relevance = 0.8
        if item.mention.asked:
            relevance = min(relevance, Relevance.SUPPORTING)  # a question is not a report
        elif (
            analysis.subject.known
            and relevance < Relevance.CITABLE
            and analysis.ctx.anchor - item.message.at <= timedelta(minutes=30)
        ):
            relevance = Relevance.CITABLE  # unnamed, but reported in the half hour before the alert
        reports.append((relevance, item))
    reports.sort(key=lambda r: (-r[0], r[1].message.at))
    out = []
    for relevance, item in reports[:MAX_SYMPTOMS]:
        out.append(
            analysis.finding(
                f"symptom:{item.message.channel}/{item.message.id}",
                severity=_severity(relevance),
                title=(
                    f"{analysis.who(item)} reported in {analysis.where(item)} at {_hhmm(item.message.at)}: "
                    f"“{_quote(item.text)[:160]}”"
                ),
                first_seen=item.message.at,
                last_seen=item.message.at,
                evidence=(analysis.evidence(item),),
                relevance=min(relevance, 0.8),
            )
        )
    return out


def _notices(items: list[Item], analysis: Analysis) -> list[Finding]:
    """People saying the alert is a test, expected, or to be ignored. Only a notice that names the
    alert (or its workload) says the alert is noise; one about another alert is left out."""
    out = []
    name = (analysis.subject.alert_name or "").lower()
    firings = [
        i for i in items if i.mention.kind is Kind.FIRING and name and (i.mention.key or "").lower() == name
    ]
    for item in items:
        if item.mention.kind is not Kind.NOTICE:
            continue
        # "expected, it'll clear" posted right under a firing of this alert answers that firing
        answers = any(
            f.message.channel == item.message.channel
            and timedelta(0) <= item.message.at - f.message.at <= NOTICE_ANSWER
            for f in firings
        )
        names_alert = analysis.subject.names_alert(item.text) or answers
        if not (names_alert or analysis.subject.names_subject(item.text)):
            continue
        if analysis.ctx.anchor - item.message.at > NOTICE_WINDOW:
            continue
        out.append(
            analysis.finding(
                f"notice:{item.message.channel}/{item.message.id}",
                severity=Severity.INFO,
                title=(
                    f"{analysis.who(item)} said in {analysis.where(item)} at {_hhmm(item.message.at)}, "
                    "before "
                    f"the alert, that it is a test or expected ({item.mention.phrase.strip()}): "
                    f"“{_quote(item.text)[:200]}”"
                ),
                first_seen=item.message.at,
                last_seen=item.message.at,
                evidence=(analysis.evidence(item),),
                cause_hint=CauseCategory.NO_ISSUE,
                relevance=Relevance.LINKED if names_alert else Relevance.NEAR,
            )
        )
    return out[-2:]
