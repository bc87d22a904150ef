"""A change that can lie dormant (an IAM trust or key policy tightened hours before the alert) is
read from before the alert's window; other old changes are not."""

from __future__ import annotations

from test_chat_scanner import alert, by_kind, scan

from sandbox.memory_chat import MemoryChat
from shared.contracts import Trigger


def _channel() -> MemoryChat:
    chat = MemoryChat(read_only=True, users={"U0OPS": "ops-bot", "U0ANA": "ana"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (200, "U0OPS", "terraform apply done: tightened the trust policy of role OrdersWorkerRole (PR #77)"),
        (190, "U0ANA", "set CACHE_TTL=30 on billing-worker"),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    return chat


def test_a_trust_policy_change_hours_before_the_window_is_reported_and_a_plain_setting_is_not() -> None:
    _, findings, _ = scan(_channel(), alert())
    changes = by_kind(findings, "config")
    assert [f for f in changes if "trust policy" in f.title]
    trust = next(f for f in changes if "trust policy" in f.title)
    assert trust.change is Trigger.CONFIG_CHANGE and trust.relevance >= 0.5
    assert not [f for f in findings if "CACHE_TTL" in f.title]
