"""DynamoDB on loopback for the intake's tests: the moto server, a client for it, and a fresh dedup
table (the Terraform module's key schema, with its TTL attribute)."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

from lambda_adapter.dedup import DynamoDedupStore, dynamo_store_from_env

REGION = "us-east-1"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """The moto server on a free loopback port; its URL."""
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def dynamodb_client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def dedup_table(url: str, *, ttl: bool = False) -> str:
    """A new, empty dedup table (its name); `ttl`: expiry on `expires_at` switched on."""
    table = f"dedup-{uuid.uuid4().hex[:8]}"
    client = dynamodb_client(url)
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if ttl:
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
    return table


def dedup_store(url: str, table: str) -> DynamoDedupStore:
    return dynamo_store_from_env(table, REGION, url, client_factory=lambda **_: dynamodb_client(url))
