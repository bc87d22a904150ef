"""What a scanner's model may add: the structured-output schema, and the checks that turn its answer
into our `Finding`s.

The schema mirrors `Finding` but is lenient (a model that writes `OOM` or a long slug should not
burn a tool cycle on a validation retry); our code assigns the agent and the id
(`<agent>:llm-<slug>`), checks the cause hint against the vocabulary, caps the relevance, masks
secrets, and keeps only evidence whose excerpt the model actually saw in a tool result or in the
data it was given. A finding left with no evidence is discarded: nothing goes beyond the evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.contracts import CauseCategory, Evidence, EvidenceKind, Finding, Severity, Trigger
from shared.redact import redact

MAX_FINDINGS = 10
MAX_RELEVANCE = 0.8  # a model's finding never outranks the analyzers' surest ones on its word alone
VOCABULARY = tuple(c.value for c in CauseCategory)


class ModelEvidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["log_line", "metric", "k8s_object", "k8s_event", "chat_message", "query"] = Field(
        description="what the evidence is"
    )
    reference: str = Field(
        description="where a person can check it: object path, log group and stream, PromQL, message link"
    )
    excerpt: str = Field(default="", description="text copied exactly from a tool result (no paraphrase)")
    at: datetime | None = Field(default=None, description="when it happened (RFC 3339), if known")


class ModelFinding(BaseModel):
    model_config = ConfigDict(extra="ignore")

    slug: str = Field(description="short kebab-case name, e.g. 'db-pool-timeouts-orders'")
    severity: Literal["critical", "warning", "info"]
    title: str = Field(description="one line a person reads first; name the resource")
    detail: str = ""
    resources: list[str] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence: list[ModelEvidence] = Field(description="at least one item, copied from tool results")
    cause_hint: str | None = Field(default=None, description="one of: " + ", ".join(VOCABULARY))
    change: Literal["deploy", "config_change", "traffic", "dependency", "infrastructure"] | None = Field(
        default=None, description="set only when the finding reports a change"
    )
    relevance: float = Field(default=0.5, description="0..1, how sure you are it explains the alert")


class ScannerFindings(BaseModel):
    """New findings beyond those the deterministic analyzers already reported (never repeat those).
    An empty list is the right answer when the tools showed nothing new."""

    model_config = ConfigDict(extra="ignore")

    findings: list[ModelFinding] = Field(default_factory=list)
    summary: str = Field(default="", description="one or two sentences on what you checked")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "finding"


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


class Corpus:
    """Everything the model was shown, normalized, to check that an excerpt was really seen.
    Tool results arrive as JSON text: their string values are indexed as well as the raw text."""

    def __init__(self, texts: Iterable[str] = ()) -> None:
        self._parts: list[str] = []
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        self._parts.append(normalize(text))
        try:
            leaves = list(_strings(json.loads(text)))
        except (ValueError, TypeError):
            return
        if leaves:
            self._parts.append(normalize("\n".join(leaves)))

    def contains(self, snippet: str) -> bool:
        """True when every substantial piece of `snippet` (split at ellipses) was seen."""
        pieces = [normalize(p) for p in re.split(r"\.\.\.|…", snippet)]
        pieces = [p for p in pieces if len(p) >= 4]
        return bool(pieces) and all(any(p in part for part in self._parts) for p in pieces)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def cause_of(hint: str | None) -> CauseCategory | None:
    if not hint:
        return None
    try:
        return CauseCategory(hint.strip().lower())
    except ValueError:
        return None


def to_findings(
    agent_id: str, answer: ScannerFindings, corpus: Corpus, taken: Iterable[str] = ()
) -> tuple[list[Finding], list[str]]:
    """Our `Finding`s from the model's answer, and notes on what was dropped and why."""
    ids = set(taken)
    findings: list[Finding] = []
    notes: list[str] = []
    for item in answer.findings[:MAX_FINDINGS]:
        title = redact(item.title.strip())[:300] or "(untitled)"
        evidence = [e for e in (_evidence(x, corpus) for x in item.evidence) if e is not None]
        if not evidence:
            notes.append(f"model finding dropped, no evidence it was shown: {title[:120]}")
            continue
        cause = cause_of(item.cause_hint)
        if item.cause_hint and cause is None:
            notes.append(f"model cause hint {item.cause_hint[:40]!r} is not in the vocabulary; dropped")
        finding_id = _unique(f"{agent_id}:llm-{slugify(item.slug or item.title)}", ids)
        try:
            finding = Finding(
                id=finding_id,
                agent=agent_id,
                severity=Severity(item.severity),
                title=title,
                detail=redact(item.detail)[:4_000],
                resources=tuple(redact(r)[:300] for r in item.resources[:20]),
                first_seen=_aware(item.first_seen),
                last_seen=_aware(item.last_seen),
                evidence=tuple(evidence[:5]),
                cause_hint=cause,
                change=Trigger(item.change) if item.change else None,
                relevance=min(MAX_RELEVANCE, max(0.0, item.relevance)),
            )
        except ValidationError as e:
            notes.append(f"model finding dropped, invalid: {title[:80]} ({e.error_count()} errors)")
            continue
        ids.add(finding_id)
        findings.append(finding)
    if len(answer.findings) > MAX_FINDINGS:
        notes.append(f"model gave {len(answer.findings)} findings; kept the first {MAX_FINDINGS}")
    return findings, notes


def _evidence(item: ModelEvidence, corpus: Corpus) -> Evidence | None:
    shown = item.excerpt.strip() or item.reference.strip()
    if not shown or not corpus.contains(shown):
        return None
    try:
        return Evidence(
            kind=EvidenceKind(item.kind),
            reference=redact(item.reference.strip())[:4_000] or "model",
            excerpt=redact(item.excerpt.strip())[:2_000],
            at=_aware(item.at),
        )
    except ValidationError:
        return None


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo is not None else None


def _unique(finding_id: str, taken: set[str]) -> str:
    candidate, n = finding_id, 2
    while candidate in taken:
        candidate, n = f"{finding_id}-{n}", n + 1
    return candidate


def known_texts(findings: Sequence[Finding]) -> list[str]:
    """What the deterministic findings showed the model (their text counts as seen evidence)."""
    out = []
    for f in findings:
        out.append(f.title)
        out.append(f.detail)
        out.extend(e.excerpt for e in f.evidence)
        out.extend(e.reference for e in f.evidence)
    return [t for t in out if t]
