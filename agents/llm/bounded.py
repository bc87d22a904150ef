"""A blocking model session with a wall-clock bound.

`run_bounded` runs it on a daemon thread and gives up at the deadline: the report never waits for a
slow model (the caller cancels the abandoned session, which winds down on its own). No Strands
import here, so the master can load the narrative without paying for it when the model is `none`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ModelTimeout(TimeoutError):
    """The model session did not finish before its deadline."""


def run_bounded(fn: Callable[[], T], timeout_s: float, *, on_timeout: Callable[[], None] | None = None) -> T:
    """`fn()` on a daemon thread; its result, its exception, or `ModelTimeout` after `timeout_s`."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller, who decides
            box["error"] = e

    thread = threading.Thread(target=target, name="llm-session", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout_s))
    if thread.is_alive():
        if on_timeout is not None:
            on_timeout()
        raise ModelTimeout(f"the model did not answer within {timeout_s:.1f}s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
