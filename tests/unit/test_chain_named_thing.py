"""A change to the very object the cause's evidence names (a KMS key by its id) is the trigger, ahead
of a deploy of the alerting workload (the caller of the denied one) minutes later that names nothing the evidence names."""

# ruff: noqa: E501
from __future__ import annotations

from test_chain import alert, chat, log
from test_synthesis import ago, ok

from agents.master.named_thing import changed_what_the_evidence_names
from agents.master.ranking import TriggerCandidate
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Trigger

KEY = "5e8c1a92-3b7d-4f60-a1c4-9d2e8b7f6a10"
DENIED = (
    "AccessDeniedException: User: arn:aws:sts::730335511002:assumed-role/payments-api-irsa/aws-sdk is not "
    f"authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-2:730335511002:key/{KEY} because no "
    "resource-based policy allows the kms:Decrypt action"
)


def _denied() -> object:
    return log("errors:denied", DENIED, ago(20), CauseCategory.PERMISSION_DENIED).model_copy(
        update={"resources": ("payments/payments-api-66b7d4f9c-p8n2r",)}
    )


def _deploy() -> object:
    return chat(
        "deploy:checkout",
        "checkout v5.31.0 deployed to shop-prod",
        ago(12),
        Trigger.DEPLOY,
        ("checkout",),
        0.9,
    )


def test_the_key_whose_policy_was_changed_is_the_trigger_not_the_deploy_nearby() -> None:
    ctx = alert("checkout", "shop")
    policy = chat(
        "config:key",
        f"aws kms put-key-policy --key-id arn:aws:kms:us-east-2:730335511002:key/{KEY} --policy file://v2.json",
        ago(38),
        Trigger.CONFIG_CHANGE,
        (KEY,),
        0.25,
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", _denied()), ok("slack_scanner", _deploy(), policy)])
    assert report.cause.category is CauseCategory.PERMISSION_DENIED
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert "put-key-policy" in report.cause.summary


def test_a_change_to_a_thing_the_evidence_does_not_name_leaves_the_deploy() -> None:
    ctx = alert("checkout", "shop")
    other = chat(
        "config:queue",
        "aws sqs set-queue-attributes --queue-url https://sqs.us-east-2.amazonaws.com/1/refunds-dlq --attributes x",
        ago(38),
        Trigger.CONFIG_CHANGE,
        ("refunds-dlq",),
        0.25,
    )
    report = synthesize(ctx, [ok("cloudwatch_logs", _denied()), ok("slack_scanner", _deploy(), other)])
    assert "refunds-dlq" not in report.cause.summary


def _candidate(f: object, score: float) -> TriggerCandidate:
    return TriggerCandidate(f, f.first_seen, score)  # type: ignore[attr-defined]


def test_among_candidates_the_change_to_the_named_key_is_chosen_over_the_stronger_deploy() -> None:
    policy = chat(
        "config:key", f"aws kms put-key-policy --key-id {KEY}", ago(38), Trigger.CONFIG_CHANGE, (KEY,), 0.25
    )
    deploy, key = _candidate(_deploy(), 0.8), _candidate(policy, 0.2)
    chosen = changed_what_the_evidence_names([deploy, key], DENIED, ["checkout"])
    assert chosen is key
    assert changed_what_the_evidence_names([deploy, key], "connection refused", ["checkout"]) is None
