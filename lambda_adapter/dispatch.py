"""The hand-off to the master: `Dispatcher.dispatch(ctx)` starts an investigation or raises.

Implementations: `background.LocalDispatcher` (the local server: an async callable run as a task on
the server's loop), `CallableDispatcher` (any sync callable), `master.a2a_dispatcher` (the Lambda
copy's call to the master agent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

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


class CallableDispatcher:
    """Calls `send(ctx)`; what it raises is the hand-off's failure."""

    def __init__(self, send: Callable[[AlertContext], Any]) -> None:
        self._send = send

    def dispatch(self, ctx: AlertContext) -> None:
        self._send(ctx)
