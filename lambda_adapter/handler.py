"""The Lambda edge: HTTP event in, the core's answer out; jobs leave by asynchronous self-invocation.

Three kinds of invocation reach `lambda_handler`:
- an HTTP event (function URL, API Gateway v1/v2): verified, decided and acknowledged by the core;
- a Discord channel message from the Gateway listener (`{"sre_on_call_discord_message": {...}}`,
  a direct invocation its IAM role may make): decided by the same core (`discord_messages`);
  the work left is sent to this same function with `InvocationType="Event"` (no waiting);
- that self-invocation (`{"sre_on_call_job": {...}}`): the worker runs the job and hands the
  `AlertContext` to the master (A2A, or `invoke_agent_runtime` on AgentCore).

Heavy modules (boto3, the chat clients, the A2A client) load on first use, never at import.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from lambda_adapter import discord_messages
from lambda_adapter.classify import LlmClassifier
from lambda_adapter.core import Intake
from lambda_adapter.dedup import DedupStore, DynamoDedupStore, InMemoryDedupStore, dynamo_store_from_env
from lambda_adapter.dispatch import Dispatcher, HandOffError
from lambda_adapter.jobs import JOB_ADAPTER, AnyJob
from lambda_adapter.lambda_events import event_response, is_http_event, request_from_event
from lambda_adapter.settings import IntakeSettings
from lambda_adapter.webhook import WebhookResponse
from shared.errors import BadRequest
from shared.ledger import Ledger, NoLedger

logger = logging.getLogger(__name__)

JOB_KEY = "sre_on_call_job"
# The self-invocation is in the ack path (Slack waits 3 s; an Event invoke answers in tens of ms):
# fail fast and answer 503 so the sender retries. A retried invoke may queue the job twice; the
# worker's run key makes the second copy a no-op.
SELF_INVOKE_TIMEOUTS: dict[str, Any] = {
    "connect_timeout": 1,
    "read_timeout": 1,
    "retries": {"max_attempts": 2, "mode": "standard"},
}


class SelfInvoke:
    """The Lambda `Scheduler`: the job goes to this function as an asynchronous event."""

    def __init__(self, client_factory: Any = None) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self.function_name: str | None = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")

    def submit(self, job: AnyJob) -> None:
        if not self.function_name:
            raise HandOffError("the function's own name is unknown")
        payload = json.dumps({JOB_KEY: job.model_dump(mode="json")}).encode("utf-8")
        answer = self._lambda().invoke(
            FunctionName=self.function_name, InvocationType="Event", Payload=payload
        )
        if answer.get("StatusCode") != 202:
            raise HandOffError(f"self-invocation answered {answer.get('StatusCode')}")

    def _lambda(self) -> Any:
        if self._client is None:
            if self._client_factory is not None:
                self._client = self._client_factory()
            else:
                import boto3
                from botocore.config import Config

                self._client = boto3.client("lambda", config=Config(**SELF_INVOKE_TIMEOUTS))
        return self._client


class Runtime:
    """What one Lambda container keeps between invocations."""

    def __init__(
        self,
        config: Any,
        *,
        dedup: DedupStore | None = None,
        scheduler: SelfInvoke | None = None,
        dispatcher: Dispatcher | None = None,
        chat_for: Any = None,
        llm: LlmClassifier | None = None,
        clock: Callable[[], float] = time.time,
        ledger: Ledger | None = None,
    ) -> None:
        self.config = config
        self.settings = IntakeSettings.from_config(config)
        self.dedup = dedup if dedup is not None else _dedup_from_env(config)
        self.ledger = _ledger_for(self.dedup) if ledger is None else ledger
        self.scheduler = scheduler or SelfInvoke()
        # Only whether a model tier exists is known here; the model is built in the job's copy.
        self._llm = llm if llm is not None else _classifier(config)
        self.intake = Intake(
            settings=self.settings,
            dedup=self.dedup,
            scheduler=self.scheduler,
            clock=clock,
            llm_enabled=self._llm is not None,
            ledger=self.ledger,
        )
        self._dispatcher = dispatcher
        self._chat_for = chat_for
        self._clock = clock
        self._worker: Any = None

    def worker(self) -> Any:
        if self._worker is None:
            from lambda_adapter.followup import DiscordInteractionResponder
            from lambda_adapter.worker import Worker

            self._worker = Worker(
                settings=self.settings,
                dedup=self.dedup,
                dispatcher=self._dispatcher or master_dispatcher(self.config),
                chat_for=self._chat_for or _chat_for(self.config),
                responder=DiscordInteractionResponder(self.settings.discord_api_base),
                llm=self._llm,
                raise_failures=True,
                ledger=self.ledger,
                scheduler=self.scheduler,
                clock=self._clock,
            )
        return self._worker

    def handle(self, event: Any, context: Any) -> dict[str, Any]:
        if isinstance(event, dict) and JOB_KEY in event:
            # A job that fails raises (after releasing its claims): the failed asynchronous
            # invocation goes to the dead-letter queue and the Errors alarm sees it.
            job = JOB_ADAPTER.validate_python(event[JOB_KEY])
            return {"ok": self.worker().run(job)}
        arn = getattr(context, "invoked_function_arn", None)
        if arn:
            self.scheduler.function_name = arn
        if isinstance(event, dict) and discord_messages.EVENT_KEY in event:
            # A Discord channel message from the Gateway listener (an IAM-authenticated invoke).
            return discord_messages.accept(self.intake, event[discord_messages.EVENT_KEY])
        if not is_http_event(event):
            return event_response(WebhookResponse.error(400, "not an HTTP event"))
        try:
            request = request_from_event(event)
        except BadRequest as e:
            return event_response(WebhookResponse.error(400, str(e)))
        return event_response(self.intake.handle_webhook(request))


def _dedup_from_env(config: Any) -> DedupStore:
    """The dedup table, falling back to memory while it fails (fail open: see `dedup_fallback`)."""
    table = os.environ.get(config.intake.dedup_table_env)
    if not table:
        logger.warning(
            "env=<%s> | no dedup table configured; dedup is per container only", config.intake.dedup_table_env
        )
        return InMemoryDedupStore()
    from lambda_adapter.dedup_fallback import FallbackDedupStore

    endpoint = os.environ.get(config.sources.aws.endpoint_url_env) or None
    region = os.environ.get("AWS_REGION") or config.sources.aws.region
    return FallbackDedupStore(dynamo_store_from_env(table, region, endpoint))


def _ledger_for(store: DedupStore) -> Ledger:
    """The ledger in the dedup table (the master writes there too); none without a table."""
    store = getattr(store, "primary", store)  # behind the fallback to memory
    if isinstance(store, DynamoDedupStore):
        from shared.ledger import DynamoLedger

        return DynamoLedger(store.client, store.table)
    return NoLedger()


def _classifier(config: Any) -> LlmClassifier | None:
    if config.intake.classifier_model.provider == "none":
        return None  # no import of the model code at all: the common case stays light
    from lambda_adapter.model_tier import classifier_from_config

    return classifier_from_config(config)


def _chat_for(config: Any) -> Any:
    from shared.chat import platform_from_env

    return lambda name: platform_from_env(name, config)


def master_dispatcher(config: Any) -> Dispatcher:
    """The hand-off from the invoked copy to the master agent, over the project's A2A client
    (local URL from config, or AgentCore's `invoke_agent_runtime` with the master's runtime ARN)."""
    from lambda_adapter.master import a2a_dispatcher

    return a2a_dispatcher(config)


_runtime: Runtime | None = None


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    global _runtime
    if _runtime is None:
        from shared.config import load_config
        from shared.logsetup import install_scrubber
        from shared.secrets import hydrate_secrets

        logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
        config = load_config()
        install_scrubber(config)  # on the handler the Lambda runtime installed
        hydrate_secrets(config)
        _runtime = Runtime(config)
    return _runtime.handle(event, context)
