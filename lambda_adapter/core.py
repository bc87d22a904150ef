"""The intake core: `Intake.handle_webhook(request) -> response`, the same under Lambda and uvicorn.

Routes:
  POST /slack/events           Slack Events API (url_verification, mentions, alerts, reactions)
  POST /slack/commands         Slack slash command /sre-snapshot
  POST /slack/interactions     Slack block_actions: the report's buttons (silence, re-run, 👍/👎)
  POST /discord/interactions   Discord interactions (PING, /sre-snapshot, /investigate, message command,
                               the report's buttons)
  POST /alertmanager           Alertmanager webhook v4 (?channel=, ?platform=)
  POST /grafana                Grafana's webhook contact point, v1 (the same query)
  GET  /healthz                liveness

Verification comes first: a bad or stale signature is answered 401 before the body is parsed.
A body of another Content-Type than the route reads gets 415, a malformed one 400, each with the
reason; a failed hand-off or a dedup store that fails mid-way 503 (the sender retries, and the dedup
claims were released so the retry investigates).
`handle_webhook` never raises.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lambda_adapter import actions, alertmanager_routes, discord_routes, keys, slack_routes, tenancy
from lambda_adapter.dedup import DedupStore
from lambda_adapter.dispatch import Retryable
from lambda_adapter.events import ALERTMANAGER_VERSION, GRAFANA_VERSION, ROUTE_OF_VERSION
from lambda_adapter.gate import Candidate, Gate, Outcome
from lambda_adapter.jobs import AlertInputs, InvestigateJob, Scheduler, received
from lambda_adapter.settings import MAX_BODY_BYTES, IntakeSettings
from lambda_adapter.storm import storm_group, storm_note
from lambda_adapter.webhook import WebhookRequest, WebhookResponse
from shared.contracts import Platform
from shared.errors import BadRequest, Unauthorized, UnsupportedMediaType
from shared.ledger import Ledger, NoLedger

logger = logging.getLogger(__name__)

REPOSTED = "The same alert was posted again in the channel; it is covered by this investigation."

Route = Callable[["Intake", WebhookRequest], WebhookResponse]

ROUTES: dict[str, Route] = {
    "/slack/events": slack_routes.events,
    "/slack/commands": slack_routes.commands,
    "/slack/interactions": actions.slack_interactions,
    "/discord/interactions": discord_routes.interactions,
    ROUTE_OF_VERSION[ALERTMANAGER_VERSION]: alertmanager_routes.webhook,
    ROUTE_OF_VERSION[GRAFANA_VERSION]: alertmanager_routes.grafana_webhook,
}
HEALTH_PATH = "/healthz"


@dataclass
class Intake:
    settings: IntakeSettings
    dedup: DedupStore
    scheduler: Scheduler
    clock: Callable[[], float] = time.time
    # Whether a model tier will re-check unsure verdicts in the job (it never runs in the ack path).
    llm_enabled: bool = False
    # Where the master records its progress (see `shared.ledger`); none: hand-offs are not watched.
    ledger: Ledger = field(default_factory=NoLedger)
    gate: Gate = field(init=False)

    def __post_init__(self) -> None:
        self.gate = Gate(self.settings, self.dedup, self.scheduler, self.clock, self.ledger)

    def handle_webhook(self, request: WebhookRequest) -> WebhookResponse:
        """Answer one webhook delivery. Never raises."""
        path = route_path(request.path)
        try:
            if path == HEALTH_PATH:
                # The dedup table failing is not an outage (dedup falls back to memory): say so.
                degraded = bool(getattr(self.dedup, "degraded", False))
                return WebhookResponse.json(200, {"status": "ok", "dedup": "memory" if degraded else "ok"})
            route = ROUTES.get(path)
            if route is None:
                return WebhookResponse.error(404, "no such route")
            if request.method != "POST":
                return WebhookResponse(405, b"", {"allow": "POST"})
            if len(request.body) > MAX_BODY_BYTES:
                return WebhookResponse.error(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
            refused = tenancy.refusal(path, request, self.settings, self.clock())
            if refused:
                logger.warning("path=<%s>, reason=<%s> | request from outside refused", path, refused)
                return WebhookResponse.error(403, "this app serves another workspace")
            return route(self, request)
        except Unauthorized as e:
            logger.warning("path=<%s>, reason=<%s> | request refused", path, e)
            return WebhookResponse.error(401, "unauthorized")
        except UnsupportedMediaType as e:
            logger.info("path=<%s>, reason=<%s> | wrong content type", path, e)
            return WebhookResponse.error(415, str(e)[:500])
        except BadRequest as e:
            logger.info("path=<%s>, reason=<%s> | bad request", path, e)
            return WebhookResponse.error(400, str(e)[:500])
        except Retryable as e:
            return WebhookResponse.error(503, f"{e}; send it again")
        except RecursionError:
            logger.info("path=<%s> | bad request: nested too deeply", path)
            return WebhookResponse.error(400, "the body is nested too deeply")
        except Exception as e:
            logger.exception("path=<%s>, error=<%s> | the intake failed", path, type(e).__name__)
            return WebhookResponse.error(500, "internal error")

    # --------------------------------------------------------------------- helpers for the routes

    def new_alert(self, platform: Platform, channel: str, subject_key: str, **fields: Any) -> AlertInputs:
        """The inputs of a new investigation of `subject_key`, received now (`fields`: the rest of
        `AlertInputs`: text, thread_id, labels, annotations, starts_at, operator_notes, mode ...)."""
        now = self.clock()
        investigation_id = keys.investigation_id(platform.value, subject_key, now)
        return AlertInputs(
            platform=platform,
            channel=channel,
            received_at=received(now),
            investigation_id=investigation_id,
            **fields,
        )

    def admit_posted_alert(
        self,
        platform: Platform,
        channel: str,
        message_id: str,
        text: str,
        *,
        thread_id: str | None,
        delivery: str | None,
        addressed: bool,
        recheck: bool,
    ) -> Outcome:
        """A message posted in a channel that is itself the alert (Slack's route and Discord's
        Gateway route alike): claimed by the message and by its text, so the same alert posted again
        joins the investigation; grouped into a storm unless a model still has to confirm it; the
        report goes to `thread_id` (None: wherever the platform puts it, e.g. inside a thread)."""
        subject = keys.message(platform.value, channel, message_id)
        repost = keys.repost(platform.value, channel, text)
        alert = self.new_alert(platform, channel, subject, text=text, thread_id=thread_id)
        job = InvestigateJob(alert=alert, chat=platform.value, addressed=addressed, recheck=recheck)
        return self.gate.admit(
            Candidate(
                job=job,
                subject_keys=(subject, repost) if repost else (subject,),
                subject_ttl=self.settings.dedup_window_seconds,
                delivery_key=delivery,
                storm=None if recheck else lambda: self.storm_of(alert),
                repost_note=REPOSTED,
            )
        )

    def storm_of(self, alert: AlertInputs) -> tuple[str | None, str]:
        """The storm group of `alert` (None: never grouped) and the line it adds when it joins one.
        Hints come from the same extraction the master uses (`build_alert_context`)."""
        from shared.alerts.context import build_alert_context

        hints = build_alert_context(
            platform=alert.platform,
            channel=alert.channel,
            text=alert.text,
            labels=alert.labels,
            annotations=alert.annotations,
            received_at=alert.received_at,
            cluster_default=self.settings.cluster_default,
            investigation_id=alert.investigation_id,
        ).hints
        first_line = alert.text.strip().splitlines()[0] if alert.text.strip() else ""
        severity = hints.severity.value if hints.severity else None
        return storm_group(alert.labels, hints), storm_note(hints.alert_name or "", severity, first_line)


def route_path(path: str) -> str:
    """The route a path names, also behind an API Gateway stage prefix (`/prod/slack/events`)."""
    path = "/" + path.strip("/")
    if path in ROUTES or path == HEALTH_PATH:
        return path
    for route in (*ROUTES, HEALTH_PATH):
        if path.endswith(route) and path[: -len(route)].count("/") == 1:
            return route
    return path
