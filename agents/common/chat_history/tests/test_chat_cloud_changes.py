"""Cloud-side changes people announce in chat, with the thing they touch: a rotated secret named by
its path (and the dependency that path names), and a key policy or CMK edited (a KMS change, though
the message never says "KMS")."""

from __future__ import annotations

from datetime import timedelta

from test_chat_scanner import alert, by_kind, config, scan

from agents.common.chat_history.analyze import path_alias
from agents.common.chat_history.extract import Kind, classify
from sandbox.memory_chat import MemoryChat
from shared.contracts import Trigger


def test_a_path_like_secret_names_the_dependency_it_is_the_credential_of() -> None:
    assert path_alias("prod/orders/db") == "orders-db"
    assert path_alias("/staging/payments/api-key") == "payments-api-key"
    assert path_alias("orders-db-credentials") is None  # not a path
    assert path_alias("arn:aws:secretsmanager:us-east-1:1:secret:prod/orders/db") is None
    assert path_alias("prod/orders") is None  # one name left: nothing to join


def test_a_key_policy_or_cmk_edit_is_a_kms_change() -> None:
    [mention] = classify(
        "SEC-1182: tightened the key policy on alias/docs-prod-s3 (the CMK behind the documents bucket). "
        "Removed the account-root 'Enable IAM User Permissions' statement.",
        bot=False,
    )
    assert mention.kind is Kind.CONFIG and mention.thing == "kms"
    [bucket] = classify("tightened the bucket policy, only the VPC endpoint may read now", bot=False)
    assert bucket.thing == "s3"


def test_a_rotation_announced_in_another_channel_names_the_secret_and_its_dependency() -> None:
    chat = MemoryChat(read_only=True, users={"U0OMAR": "omar"})
    chat.seed(
        "C0PLATFORM",
        "platform",
        (
            26,
            "U0OMAR",
            "rotation of prod/orders/db kicked off (rotate-secret --rotate-immediately), will watch it",
        ),
        (22, "U0OMAR", "rotation finished, AWSCURRENT is the new version :tada:"),
    )
    chat.seed("C0ALERTS", "alerts", (3, "U0LENA", "orders-api is throwing 500s, customers can't see orders"))
    ctx = alert("<@U0SREBOT> orders-api is throwing 500s since ~10 min", channel="C0ALERTS")
    _, findings, _ = scan(chat, ctx, config(slack=["C0PLATFORM", "C0ALERTS"]))
    [rotation] = by_kind(findings, "config")
    assert rotation.change is Trigger.CONFIG_CHANGE
    assert "prod/orders/db" in rotation.title
    assert {"prod/orders/db", "orders-db"} <= set(rotation.resources)
    assert rotation.relevance >= 0.5  # the same product's secret (orders)
    assert rotation.first_seen is not None and ctx.anchor - rotation.first_seen > timedelta(minutes=20)


def test_a_change_said_to_have_been_made_long_ago_is_dated_then_not_when_it_was_said() -> None:
    chat = MemoryChat(read_only=True, users={"U0ANNA": "anna"})
    chat.seed(
        "C0ALERTS",
        "alerts",
        (5, "U0ANNA", "storefront upgraded to rails 7.1 yesterday evening, maybe that's finally biting us?"),
        (4, "U0ANNA", "rolled back checkout to v2.2.9, yesterday's release broke carts"),
    )
    ctx = alert("<@U0SREBOT> storefront 5xx ratio above 5%", channel="C0ALERTS")
    _, findings, _ = scan(chat, ctx, config(slack=["C0ALERTS"]))
    old = next(f for f in by_kind(findings, "deploy") if "rails" in f.title)
    assert old.first_seen is not None and ctx.anchor - old.first_seen > timedelta(hours=20)
    rollback = next(f for f in by_kind(findings, "deploy") if "checkout" in f.title)
    assert rollback.first_seen is not None and ctx.anchor - rollback.first_seen < timedelta(minutes=10)


def test_a_denied_change_is_none_and_a_weekday_dates_it_days_back() -> None:
    assert (
        classify("nobody touched resilience config, last rewards-redemption deploy was thursday", bot=False)
        == []
    )
    assert classify("we didn't deploy anything to payments today", bot=False) == []
    [old] = classify("last rewards-redemption deploy was thursday", bot=False)
    assert old.kind is Kind.DEPLOY and old.before is not None and old.before >= timedelta(days=1)
    [fresh] = classify("Deploying checkout v2.3.0 to prod", bot=False)
    assert fresh.before is None
