"""Score the intake on a folder of third-party payloads (`<id>.payload.json|.form` beside
`<id>.case.json`): what the intake did with each (the classification) and the alert target the
master would get (the fields). Used by `scripts/bench_payloads.py` and the corpus test; nothing
here runs in the intake.

A case file names its `kind` (slack_event, slack_command, discord, alertmanager), the `expected`
outcome (alert, snapshot, chatter, help, handshake, unknown_command, ignored, duplicate, refused),
the HTTP status, and for an alert the `hints` a competent reader takes from it. Optional: `seed`
(messages already in the channel), `before` (earlier deliveries of the same body, with their
headers), `headers`, `query`, `content_type`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambda_adapter.webhook import WebhookResponse
from sandbox.intake_fakes import Harness
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, TEST_SLACK_SECRET, discord_headers, slack_headers
from shared.contracts import AlertContext

# The fields of the alert target a case may expect; `service` is the application (its workload).
FIELDS = ("alert_name", "namespace", "pod", "service", "severity", "node")
PATHS = {
    "slack_event": "/slack/events",
    "slack_command": "/slack/commands",
    "discord": "/discord/interactions",
    "alertmanager": "/alertmanager",
    "grafana": "/grafana",
}
CONTENT_TYPES = {
    "slack_command": "application/x-www-form-urlencoded",
}


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    body: bytes
    expected: dict[str, Any]
    spec: dict[str, Any]


@dataclass
class Scored:
    case: Case
    status: int
    outcome: str
    fields: dict[str, str | None] = field(default_factory=dict)
    reply: str = ""

    @property
    def expected_outcome(self) -> str:
        return str(self.case.expected.get("outcome", ""))

    @property
    def classification_right(self) -> bool:
        expected_status = self.case.expected.get("status")
        status_ok = expected_status is None or int(expected_status) == self.status
        return status_ok and self.outcome == self.expected_outcome

    def field_results(self) -> list[tuple[str, str, str | None, bool]]:
        """(field, expected, got, right) for each expected field."""
        hints = self.case.expected.get("hints") or {}
        rows = []
        for name, want in hints.items():
            got = self.fields.get(name)
            rows.append((name, str(want), got, got is not None and got.lower() == str(want).lower()))
        return rows

    def spurious(self) -> list[tuple[str, str]]:
        """Values given for fields the case does not expect (only for alerts, which list them)."""
        if self.outcome != "alert" or "hints" not in self.case.expected:
            return []
        hints = self.case.expected.get("hints") or {}
        extra = self.case.expected.get("may_also") or []
        return [
            (name, value)
            for name, value in self.fields.items()
            if value is not None
            and name not in hints
            and name not in extra
            and name not in ("service", "service_label")
        ] + (
            [("service", self.fields["service_label"] or "")]
            if self.fields.get("service_label") and "service" not in hints and "service" not in extra
            else []
        )


def load_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.case.json")):
        spec = json.loads(path.read_text())
        body_path = path.parent / spec["payload_file"]
        cases.append(
            Case(
                id=spec["id"],
                kind=spec["kind"],
                body=body_path.read_bytes(),
                expected=spec.get("expected", {}),
                spec=spec,
            )
        )
    return cases


def _fields(ctx: AlertContext) -> dict[str, str | None]:
    h = ctx.hints
    return {
        "alert_name": h.alert_name,
        "namespace": h.namespace,
        "pod": h.pod,
        # A reader names the application: a service label, else the workload behind the pod.
        "service": h.service or h.workload,
        "severity": h.severity.value if h.severity else None,
        "node": h.node,
        "service_label": h.service,
    }


def _send(h: Harness, case: Case, body: bytes, headers: dict[str, str]) -> WebhookResponse:
    path = PATHS[case.kind]
    stamp = int(h.clock())
    content_type = case.spec.get("content_type") or CONTENT_TYPES.get(case.kind, "application/json")
    if case.kind == "discord":
        sent = discord_headers(h.signing_key, body, stamp)
    elif case.kind in ("alertmanager", "grafana"):
        sent = {"authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}"}
    else:
        sent = slack_headers(TEST_SLACK_SECRET, body, stamp)
    sent["content-type"] = content_type
    sent.update({k.lower(): v for k, v in headers.items()})
    return h.request(path, body, sent, query=case.spec.get("query"))


def run_case(case: Case) -> Scored:
    h = Harness()
    for seed in case.spec.get("seed") or []:
        chat = h.slack_chat if case.kind.startswith("slack") else h.discord_chat
        at = datetime.fromtimestamp(float(seed["ts"]), UTC) if "." in seed["ts"] else None
        chat.add(seed["channel"], seed["ts"], seed["text"], bot=bool(seed.get("bot", True)), at=at)
    for earlier in case.spec.get("before") or []:
        _send(h, case, case.body, earlier.get("headers") or {})
    started_before = len(h.started)
    replies_before = len(h.slack_chat.posted) + len(h.discord_chat.posted)
    answer = _send(h, case, case.body, case.spec.get("headers") or {})
    started = h.started[started_before:]
    posted = (h.slack_chat.posted + h.discord_chat.posted)[replies_before:]
    reply = posted[-1].text if posted else ""
    outcome = _outcome(case, answer, started, reply)
    fields = _fields(started[0]) if started else {}
    return Scored(case=case, status=answer.status, outcome=outcome, fields=fields, reply=reply)


def _outcome(case: Case, answer: WebhookResponse, started: list[AlertContext], reply: str) -> str:
    if answer.status >= 400:
        return "refused"
    try:
        body = json.loads(answer.body or b"{}")
    except ValueError:
        body = {}
    if started:
        return "snapshot" if started[0].mode == "snapshot" else "alert"
    if isinstance(body, dict):
        if "challenge" in body or body.get("type") == 1:
            return "handshake"
        said = body.get("outcome")
        if said in ("duplicate", "duplicate_delivery", "joined"):
            return "duplicate"
        if said == "replied":
            return "help" if reply.startswith(HELP_PREFIXES) else "chatter"
        if said == "ignored":
            return "ignored"
        if case.kind in ("slack_command", "discord") and (body.get("response_type") or body.get("type") == 4):
            return "unknown_command"
    return "other"


# How the one-line replies start (`lambda_adapter.classify`): the help tells what the bot does.
HELP_PREFIXES = ("I investigate alerts",)


@dataclass
class Score:
    rows: list[Scored]

    @property
    def classification(self) -> tuple[int, int]:
        return sum(r.classification_right for r in self.rows), len(self.rows)

    @property
    def fields(self) -> tuple[int, int]:
        results = [ok for r in self.rows for *_, ok in r.field_results()]
        return sum(results), len(results)

    @property
    def spurious(self) -> int:
        return sum(len(r.spurious()) for r in self.rows)

    def table(self) -> str:
        lines = [f"{'case':48} {'expected':16} {'got':16} fields"]
        for r in self.rows:
            mark = "ok" if r.classification_right else "MISS"
            wrong = [f"{n}={g!r}(want {w!r})" for n, w, g, ok in r.field_results() if not ok]
            spurious = [f"+{n}={v!r}" for n, v in r.spurious()]
            right, total = sum(ok for *_, ok in r.field_results()), len(r.field_results())
            detail = " ".join(wrong + spurious)
            lines.append(
                f"{r.case.id[:48]:48} {r.expected_outcome[:16]:16} {r.outcome[:12]:12} {mark:4} "
                f"{right}/{total} {detail}".rstrip()
            )
        c, ct = self.classification
        f, ft = self.fields
        lines.append(
            f"classification {c}/{ct} right; fields {f}/{ft} right"
            f" ({100 * f / ft if ft else 100:.1f}%); spurious values {self.spurious}"
        )
        return "\n".join(lines)


def score(cases: Iterable[Case]) -> Score:
    return Score([run_case(c) for c in cases])
