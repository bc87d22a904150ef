"""The contracts between the parts of sre-on-call (DESIGN.md, SCENARIOS.md).

Every model here is frozen and rejects unknown keys: they travel between processes as JSON
inside A2A DataParts, and a typo must fail loudly rather than vanish.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Contract(BaseModel):
    """Base for our own contracts: immutable, strict about keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, defer_build=True)


class Severity(StrEnum):
    """The one severity scale used everywhere."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse: critical 3, warning 2, info 1."""
        return {"critical": 3, "warning": 2, "info": 1}[self.value]

    @classmethod
    def parse(cls, text: str | None, default: Severity | None = None) -> Severity | None:
        """Map the many spellings alerting tools use (P1, page, error, high ...) onto the scale."""
        if not text:
            return default
        word = text.strip().lower()
        if word in {
            "critical",
            "crit",
            "p1",
            "p0",
            "sev1",
            "sev0",
            "page",
            "emergency",
            "fatal",
            "high",
            "error",
            "disaster",
        }:
            return cls.CRITICAL
        if word in {"warning", "warn", "p2", "p3", "sev2", "sev3", "medium", "average", "major", "minor"}:
            return cls.WARNING
        if word in {"info", "informational", "p4", "p5", "low", "none", "notice", "debug"}:
            return cls.INFO
        return default


class CauseCategory(StrEnum):
    """The cause vocabulary of SCENARIOS.md."""

    OOM = "oom"
    CPU_SATURATION = "cpu_saturation"
    DISK_FULL = "disk_full"
    BAD_CONFIG = "bad_config"
    IMAGE_PULL = "image_pull"
    BAD_DEPLOY = "bad_deploy"
    PROBE_FAILURE = "probe_failure"
    UNSCHEDULABLE = "unschedulable"
    NODE_FAILURE = "node_failure"
    SCALING_LIMIT = "scaling_limit"
    DEPENDENCY_FAILURE = "dependency_failure"
    RESOURCE_POOL_EXHAUSTION = "resource_pool_exhaustion"
    RATE_LIMITED = "rate_limited"
    PERMISSION_DENIED = "permission_denied"
    NETWORK_FAILURE = "network_failure"
    CERTIFICATE_EXPIRED = "certificate_expired"
    STORAGE_FAILURE = "storage_failure"
    TRAFFIC_SPIKE = "traffic_spike"
    NO_ISSUE = "no_issue"
    UNKNOWN = "unknown"


class Trigger(StrEnum):
    """What set the incident off, when anything did."""

    DEPLOY = "deploy"
    CONFIG_CHANGE = "config_change"
    TRAFFIC = "traffic"
    DEPENDENCY = "dependency"
    INFRASTRUCTURE = "infrastructure"
    NONE = "none"


class Platform(StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    ALERTMANAGER = "alertmanager"
    # A plain text message sent straight to an agent over A2A: the answer goes back to the caller.
    A2A = "a2a"


class AgentStatus(StrEnum):
    OK = "ok"
    NO_DATA = "no_data"
    ERROR = "error"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class EvidenceKind(StrEnum):
    LOG_LINE = "log_line"
    METRIC = "metric"
    K8S_OBJECT = "k8s_object"
    K8S_EVENT = "k8s_event"
    CHAT_MESSAGE = "chat_message"
    QUERY = "query"


class RiskClass(StrEnum):
    """How dangerous a suggested next step is. Steps are suggested, never executed."""

    SAFE = "safe"
    NEEDS_APPROVAL = "needs-approval"
    FORBIDDEN = "forbidden"


Text = Annotated[str, Field(max_length=20_000)]
# How long an evidence reference (a link, a query, an object path) may be.
MAX_REFERENCE = 4_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class Hints(Contract):
    """What the alert tells us about where to look; every field optional."""

    cluster: str | None = None
    region: str | None = None
    namespace: str | None = None
    workload: str | None = None
    pod: str | None = None
    container: str | None = None
    service: str | None = None
    node: str | None = None
    log_groups: tuple[str, ...] = ()
    alert_name: str | None = None
    severity: Severity | None = None
    generator_url: str | None = None
    extra_channels: tuple[str, ...] = ()


class AlertContext(Contract):
    """One alert, as every agent sees it."""

    investigation_id: str = Field(min_length=8, max_length=128)
    platform: Platform
    channel: str = Field(min_length=1)
    thread_id: str | None = None
    text: Text = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    received_at: AwareDatetime
    alert_started_at: AwareDatetime | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    hints: Hints = Field(default_factory=Hints)
    operator_notes: tuple[str, ...] = ()
    mode: str = Field(default="investigate", pattern="^(investigate|snapshot)$")
    # Which hand-off of this investigation this is (the intake's ledger counts them): a master of an
    # earlier attempt does not post once a later one holds the investigation (fencing).
    attempt: int = Field(default=1, ge=1)

    @field_validator("window_end")
    @classmethod
    def _window_ordered(cls, end: datetime, info: object) -> datetime:
        start = getattr(info, "data", {}).get("window_start")
        if start is not None and end < start:
            raise ValueError("window_end is before window_start")
        return end

    @property
    def anchor(self) -> datetime:
        """The moment the incident is measured against: when it started, else when it was seen."""
        return self.alert_started_at or self.received_at

    def window(self) -> timedelta:
        return self.window_end - self.window_start


class Evidence(Contract):
    """Something a person can follow: a log line with a console link, a PromQL, an object path."""

    kind: EvidenceKind
    reference: str = Field(min_length=1, max_length=MAX_REFERENCE)
    excerpt: Text = ""
    at: AwareDatetime | None = None
    url: str | None = None


class Finding(Contract):
    """One observation of one agent, with its evidence."""

    id: str = Field(pattern=r"^[a-z0-9_]+:[A-Za-z0-9_.:/\-]+$", max_length=200)
    agent: str = Field(min_length=1)
    severity: Severity
    title: str = Field(min_length=1, max_length=300)
    detail: Text = ""
    resources: tuple[str, ...] = ()
    first_seen: AwareDatetime | None = None
    last_seen: AwareDatetime | None = None
    evidence: tuple[Evidence, ...] = ()
    cause_hint: CauseCategory | None = None
    # A finding that reports a change (a rollout, a config push, a traffic surge) names its kind:
    # synthesis uses it for "what changed just before".
    change: Trigger | None = None
    # How sure the analyzer is that this finding is relevant to the alert, 0..1.
    relevance: float = Field(default=0.5, ge=0.0, le=1.0)


class TokenUsage(Contract):
    model: str = "none"
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost_usd: float = Field(default=0.0, ge=0.0)

    def __add__(self, other: TokenUsage) -> TokenUsage:
        model = self.model if self.model == other.model else "mixed"
        return TokenUsage(
            model=model,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
        )


class AgentResult(Contract):
    """What one scanner returns for one investigation."""

    agent: str = Field(min_length=1)
    status: AgentStatus
    findings: tuple[Finding, ...] = ()
    duration_ms: int = Field(default=0, ge=0)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # Why the agent's model was abandoned (throttled, timed out, failed) and its deterministic
    # result stands alone; None when no model was used or the model answered.
    model_fallback: str | None = Field(default=None, max_length=500)


class Cause(Contract):
    category: CauseCategory
    trigger: Trigger = Trigger.NONE
    summary: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: tuple[str, ...] = ()


class TimelineEntry(Contract):
    at: AwareDatetime
    text: str
    finding_id: str | None = None
    agent: str | None = None


class NextStep(Contract):
    text: str
    risk: RiskClass = RiskClass.SAFE
    command: str | None = None


class AgentRun(Contract):
    """An agent's line in the report's status table."""

    name: str
    status: AgentStatus
    duration_ms: int = Field(default=0, ge=0)
    findings: int = Field(default=0, ge=0)
    errors: tuple[str, ...] = ()
    usage: TokenUsage = Field(default_factory=TokenUsage)
    model_fallback: str | None = Field(default=None, max_length=500)


class Telemetry(Contract):
    model: str = "none"
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    elapsed_ms: int = 0
    narrative: str = "deterministic"
    narrative_rejected: int = 0


class IncidentReport(Contract):
    investigation_id: str
    alert: AlertContext
    title: str
    cause: Cause
    timeline: tuple[TimelineEntry, ...] = ()
    findings: tuple[Finding, ...] = ()
    affected_resources: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    agents: tuple[AgentRun, ...] = ()
    telemetry: Telemetry = Field(default_factory=Telemetry)
    posted_text: str = ""
    created_at: AwareDatetime = Field(default_factory=utcnow)

    def finding(self, finding_id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == finding_id), None)
