"""The intake's hand-off to the master agent, through the one A2A client (`shared.a2a.client`): a
non-blocking `message/send` carrying the `AlertContext` as a DataPart (`{"alert": ...}`), so the master
answers as soon as the task is accepted and investigates on its own time; a blocking one when the
intake must post a snapshot's report itself. Routing and session ids are the client's, as for the
master's own calls to the scanners.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from lambda_adapter.dispatch import Dispatcher, HandOffError
from shared.a2a.client import A2AClient, ClientFactory, client_from_config
from shared.contracts import AlertContext
from shared.errors import TransportError

logger = logging.getLogger(__name__)

HAND_OFF_TIMEOUT_S = 10.0  # accepting a task takes milliseconds; past this the master is in trouble


class MasterDispatcher:
    """`dispatch` hands off without waiting; `report` waits for the report (up to `timeout_s`)."""

    def __init__(self, client: A2AClient, master_id: str) -> None:
        self._client = client
        self._master_id = master_id

    def dispatch(self, ctx: AlertContext) -> None:
        self._send(ctx, blocking=False, timeout_s=HAND_OFF_TIMEOUT_S)
        logger.info("investigation=<%s> | handed to the master", ctx.investigation_id)

    def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
        """Blocking `message/send`: the completed task's report text (its `posted_text`)."""
        data = self._send(ctx, blocking=True, timeout_s=timeout_s)
        report = data.get("report")
        if isinstance(report, dict) and report.get("posted_text"):
            return str(report["posted_text"])
        raise HandOffError("the master's task ended without a report")

    def _send(self, ctx: AlertContext, *, blocking: bool, timeout_s: float) -> dict[str, Any]:
        try:
            return self._client.send_sync(
                self._master_id,
                {"alert": ctx.model_dump(mode="json")},
                timeout=timeout_s,
                investigation_id=ctx.investigation_id,
                blocking=blocking,
            )
        except TransportError as e:
            raise HandOffError(f"the master did not take the investigation: {e}") from e


def a2a_dispatcher(
    config: Any, environ: Mapping[str, str] | None = None, client_factory: ClientFactory | None = None
) -> Dispatcher:
    """The dispatcher to the configured master, routed as every A2A call is (`transport_for`)."""
    env = os.environ if environ is None else environ
    return MasterDispatcher(client_from_config(config, env, client_factory), config.master_id)
