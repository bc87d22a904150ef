"""The hand-off to the master: `Dispatcher.dispatch(ctx)` starts an investigation or raises.

Implementations: `background.LocalDispatcher` (the local server: an async callable run as a task on
the server's loop), `CallableDispatcher` (any sync callable), `master.a2a_dispatcher` (the Lambda
copy's call to the master agent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from shared.errors import SreOnCallError

if TYPE_CHECKING:
    from shared.contracts import AlertContext

logger = logging.getLogger(__name__)


class Retryable(SreOnCallError):
    """The delivery could not be taken now. Whatever it claimed was released, so the sender's retry
    is processed afresh; answered with 503."""


class HandOffError(Retryable):
    """The investigation could not be handed to the master (answered with 503: send it again)."""


class Dispatcher(Protocol):
    def dispatch(self, ctx: AlertContext) -> None:
        """Start the investigation of `ctx` (without waiting for its report). Raises on failure."""
        ...


@runtime_checkable
class ReportingDispatcher(Protocol):
    """A dispatcher that can also run an investigation to its end and give back the report's text:
    for a snapshot the bot cannot post in the channel, which goes back through Slack's response_url."""

    def dispatch(self, ctx: AlertContext) -> None: ...

    def report(self, ctx: AlertContext, *, timeout_s: float) -> str:
        """Run the investigation of `ctx` and return the text of its report (the master's own posts
        may fail meanwhile). Raises `HandOffError` on failure or after `timeout_s`."""
        ...


class CallableDispatcher:
    """Calls `send(ctx)`; what it raises is the hand-off's failure."""

    def __init__(self, send: Callable[[AlertContext], Any]) -> None:
        self._send = send

    def dispatch(self, ctx: AlertContext) -> None:
        self._send(ctx)
