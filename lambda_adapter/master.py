"""The Lambda copy's hand-off to the master agent (filled in once `shared.a2a` lands)."""

from __future__ import annotations

from typing import Any

from lambda_adapter.dispatch import Dispatcher, HandOffError


def a2a_dispatcher(config: Any) -> Dispatcher:
    raise HandOffError("no A2A client to the master yet")
