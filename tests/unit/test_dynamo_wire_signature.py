"""The wire signs a DynamoDB request exactly as botocore's SigV4 signer does (what DynamoDB checks)."""

from __future__ import annotations

import datetime
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from shared.dynamo_wire import DynamoWire

NOW = datetime.datetime(2026, 12, 7, 21, 30, 5, tzinfo=datetime.UTC)
BODY = b'{"TableName":"dedup","Item":{"pk":{"S":"msg:slack:C1:1712345600.000100"}}}'


def _client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="a",
        aws_secret_access_key="b",
    )


@pytest.mark.parametrize(
    ("endpoint", "region", "token"),
    [
        ("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1", None),
        ("https://dynamodb.us-east-1.amazonaws.com:443", "us-east-1", "FwoGZXIvYXdzEXAMPLEsessiontoken"),
        ("http://127.0.0.1:8000", "us-east-1", None),
        ("https://dynamodb.cn-north-1.amazonaws.com.cn", "cn-north-1", "token"),
    ],
)
def test_the_signature_is_botocores(
    endpoint: str, region: str, token: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    wire = DynamoWire(_client(endpoint, region), credentials)
    headers = wire.sign("PutItem", BODY, NOW)

    expected = AWSRequest(
        method="POST",
        url=endpoint,
        data=BODY,
        headers={k: v for k, v in headers.items() if k not in ("authorization", "x-amz-security-token")},
    )
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None))
    SigV4Auth(credentials, "dynamodb", region).add_auth(expected)

    assert headers["authorization"] == expected.headers["Authorization"]
    assert headers.get("x-amz-security-token") == expected.headers.get("X-Amz-Security-Token")
    assert headers["x-amz-target"] == "DynamoDB_20120810.PutItem"


def test_a_changed_body_or_operation_changes_the_signature() -> None:
    credentials = Credentials("AKIDEXAMPLE", "secret")
    wire = DynamoWire(_client("https://dynamodb.eu-west-1.amazonaws.com", "eu-west-1"), credentials)
    signed = wire.sign("PutItem", BODY, NOW)["authorization"]
    assert wire.sign("PutItem", BODY + b" ", NOW)["authorization"] != signed
    assert wire.sign("DeleteItem", BODY, NOW)["authorization"] != signed
    assert wire.sign("PutItem", BODY, NOW + datetime.timedelta(days=1))["authorization"] != signed
