"""Mutating AWS CLI calls pasted in chat: the resource they touch and the value they set."""
# ruff: noqa: E501

from __future__ import annotations

import pytest

from agents.common.chat_history.commands import manual_change_of


@pytest.mark.parametrize(
    ("text", "thing"),
    [
        ("aws kinesis update-shard-count --stream-name clicks-prod --target-shard-count 4", "clicks-prod"),
        (
            "aws secretsmanager put-secret-value --secret-id prod/id/auth-db --secret-string file://a.json",
            "prod/id/auth-db",
        ),
        (
            "aws sqs set-queue-attributes --region eu-west-1 --queue-url https://sqs.eu-west-1.amazonaws.com/1/orders-q --attributes x",
            "orders-q",
        ),
        ("aws dynamodb update-table --table-name carts --billing-mode PROVISIONED", "carts"),
        (
            "aws lambda put-function-concurrency --function-name arn:aws:lambda:eu-west-1:1:function:resize --reserved-concurrent-executions 0",
            "resize",
        ),
        (
            "aws elasticache modify-replication-group --replication-group-id sessions-prod --apply-immediately",
            "sessions-prod",
        ),
        ("aws kms disable-key --key-id arn:aws:kms:eu-west-1:1:key/1234abcd-12ab", "1234abcd-12ab"),
    ],
)
def test_a_pasted_aws_call_names_the_resource_it_touches(text: str, thing: str) -> None:
    change = manual_change_of(text)
    assert change is not None
    assert change.thing == thing


def test_a_pasted_aws_call_says_the_value_it_set_and_the_one_it_replaced() -> None:
    change = manual_change_of(
        "merging shards:\n```\naws kinesis update-shard-count --stream-name clicks-prod --target-shard-count 4 "
        '--scaling-type UNIFORM_SCALING\n{\n  "StreamName": "clicks-prod",\n  "CurrentShardCount": 8\n}\n```'
    )
    assert change is not None
    assert change.new == "target-shard-count=4"
    assert change.old == "8"


def test_the_region_or_profile_is_not_the_resource() -> None:
    change = manual_change_of("aws autoscaling update-auto-scaling-group --region us-east-1 --max-size 2")
    assert change is not None
    assert change.thing != "us-east-1"
    assert change.new == "max-size=2"


def test_a_pasted_aws_call_is_said_in_words_with_the_thing_and_the_value() -> None:
    from agents.common.chat_history.extract import classify
    from agents.common.chat_history.said import setting_said

    text = "aws kms put-key-policy --key-id arn:aws:kms:us-east-2:7:key/5e8c1a92-3b7d --policy file://p.json"
    [mention] = classify(text, bot=False)
    assert setting_said(mention, text) == "kms key policy set on 5e8c1a92-3b7d"
    text = 'aws kinesis update-shard-count --stream-name clicks-prod --target-shard-count 4\n{"CurrentShardCount": 8}'
    [mention] = classify(text, bot=False)
    assert setting_said(mention, text) == "kinesis shard count updated on clicks-prod: 4 (was 8)"
