"""DynamoDB's item calls over a kept-alive connection a thread, signed as botocore signs them.

The intake's ack path is a few conditional writes, and botocore spends more CPU on each than the
rest of the ack together (measured with cProfile on `scripts/bench_intake.py`: about 1.8 ms a call,
in its event hooks, request objects, parameter validation, urllib3 and header parsing; this path
about 0.45 ms). `DynamoWire` wraps a boto3 DynamoDB client: the item calls the dedup store and the
ledger make (`FAST`) go out as DynamoDB's JSON API (whose request and response members are the
client's keyword arguments and return values, for the `S`/`N`/`M`/`L`/`BOOL`/`NULL` types these
callers use), signed with SigV4 from the client's session credentials (refreshed as botocore
refreshes them); anything else, `exceptions` and `meta` are the client's own. Errors are raised as
the client raises them (`client.exceptions.from_code`: `ConditionalCheckFailedException` with the
held `Item`), after the same retries as botocore's standard mode (throttling, 5xx, a dropped
connection, a checksum mismatch: 3 attempts), with a short backoff: an ack answers within 3 s.

Behind an HTTP proxy the client is used as it is (`wire_or_client`).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import os
import random
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# boto3's method name -> DynamoDB's operation.
FAST = {
    "put_item": "PutItem",
    "update_item": "UpdateItem",
    "get_item": "GetItem",
    "delete_item": "DeleteItem",
    "batch_get_item": "BatchGetItem",
}
TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
SERVICE = "dynamodb"
# botocore's standard retry mode: these codes and any 5xx are tried again.
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ThrottledException",
        "TransactionInProgressException",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
BACKOFF_BASE_S = 0.025


class _Retry(Exception):
    """One attempt failed in a way the next may not."""


class DynamoWire:
    def __init__(
        self,
        client: Any,
        credentials: Any,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 3.0,
        max_attempts: int = 3,
        observe: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self._credentials = credentials
        self.exceptions = client.exceptions
        self.meta = client.meta
        url = urlsplit(client.meta.endpoint_url)
        self._https = url.scheme == "https"
        self._address = (url.hostname or "", url.port or (443 if self._https else 80))
        self._host = _host_header(url.hostname or "", url.port, self._https)
        self._path = url.path or "/"
        self._region = client.meta.region_name
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._attempts = max(1, max_attempts)
        self._observe = observe
        self._local = threading.local()
        self._tls: ssl.SSLContext | None = None
        self._key: tuple[str, str, bytes] = ("", "", b"")  # (day, secret, signing key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **params: Any) -> dict[str, Any]:
        return self.call("PutItem", params)

    def update_item(self, **params: Any) -> dict[str, Any]:
        return self.call("UpdateItem", params)

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self.call("GetItem", params)

    def delete_item(self, **params: Any) -> dict[str, Any]:
        return self.call("DeleteItem", params)

    def batch_get_item(self, **params: Any) -> dict[str, Any]:
        return self.call("BatchGetItem", params)

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._observe is not None:
            self._observe(operation)
        body = json.dumps(params, separators=(",", ":")).encode("utf-8")
        for attempt in range(self._attempts):
            try:
                return self._attempt(operation, body)
            except _Retry as e:
                if attempt + 1 >= self._attempts:
                    raise e.__cause__ or e from None
                time.sleep(random.random() * BACKOFF_BASE_S * 2**attempt)
        raise AssertionError("unreachable")

    # ----------------------------------------------------------------------------- one attempt

    def _attempt(self, operation: str, body: bytes) -> dict[str, Any]:
        headers = self.sign(operation, body, datetime.datetime.now(datetime.UTC))
        connection: http.client.HTTPConnection | None = None
        try:
            connection = self._connection()
            connection.request("POST", self._path, body, headers)
            answer = connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as e:
            if connection is not None:
                connection.close()
            from botocore.exceptions import EndpointConnectionError

            error = EndpointConnectionError(endpoint_url=self.meta.endpoint_url, error=e)
            raise _Retry(str(e)) from error
        if answer.will_close:
            connection.close()
        crc = answer.getheader("x-amz-crc32")
        if crc is not None and crc.isdigit() and int(crc) != zlib.crc32(data) & 0xFFFFFFFF:
            from botocore.exceptions import ChecksumError

            error = ChecksumError(
                checksum_type="crc32", expected_checksum=crc, actual_checksum=zlib.crc32(data)
            )
            raise _Retry("crc32 mismatch") from error
        if answer.status == 200:
            found: dict[str, Any] = json.loads(data) if data else {}
            return found
        code, error = self._error(operation, answer.status, data)
        if answer.status >= 500 or code in RETRYABLE_CODES:
            raise _Retry(str(error)) from error
        raise error

    def _error(self, operation: str, status: int, data: bytes) -> tuple[str, Exception]:
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        code = str(parsed.pop("__type", "") or f"HTTP{status}").rsplit("#", 1)[-1]
        message = str(parsed.pop("message", parsed.pop("Message", "")))
        response = {
            **parsed,
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        error: Exception = self.exceptions.from_code(code)(response, operation)
        return code, error

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            host, port = self._address
            if self._https:
                connection = http.client.HTTPSConnection(
                    host, port, timeout=self._connect_timeout, context=self._tls_context()
                )
            else:
                connection = http.client.HTTPConnection(host, port, timeout=self._connect_timeout)
            self._local.connection = connection
        if connection.sock is None:
            connection.connect()
            if connection.sock is not None:
                connection.sock.settimeout(self._read_timeout)
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            from botocore.httpsession import where

            self._tls = ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or where())
        return self._tls

    # ----------------------------------------------------------------------------------- SigV4

    def sign(self, operation: str, body: bytes, now: datetime.datetime) -> dict[str, str]:
        """The request's headers, signed (AWS Signature Version 4, as botocore's `SigV4Auth`)."""
        frozen = self._credentials.get_frozen_credentials()
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        headers = {
            "content-type": CONTENT_TYPE,
            "host": self._host,
            "x-amz-date": stamp,
            "x-amz-target": TARGET_PREFIX + operation,
        }
        if frozen.token:
            headers["x-amz-security-token"] = frozen.token
        names = sorted(headers)
        signed = ";".join(names)
        canonical = "\n".join(
            (
                "POST",
                self._path,
                "",
                "".join(f"{name}:{headers[name]}\n" for name in names),
                signed,
                hashlib.sha256(body).hexdigest(),
            )
        )
        scope = f"{day}/{self._region}/{SERVICE}/aws4_request"
        to_sign = "\n".join(
            ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
        )
        signature = hmac.new(self._signing_key(day, frozen.secret_key), to_sign.encode(), hashlib.sha256)
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={frozen.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature.hexdigest()}"
        )
        return headers

    def _signing_key(self, day: str, secret: str) -> bytes:
        held_day, held_secret, key = self._key
        if held_day == day and held_secret == secret:
            return key
        key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
        for part in (self._region, SERVICE, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self._key = (day, secret, key)
        return key


def _host_header(hostname: str, port: int | None, https: bool) -> str:
    """The signed Host: lowercase, without user info or the scheme's default port (as botocore)."""
    host = f"[{hostname}]" if ":" in hostname else hostname
    return host if port is None or port == (443 if https else 80) else f"{host}:{port}"


def wire_or_client(client: Any, credentials: Any, **options: Any) -> Any:
    """`client` behind a `DynamoWire`, or as it is when there are no credentials to sign with or
    its endpoint is reached through an HTTP proxy (the wire speaks to the endpoint directly)."""
    import urllib.request

    url = urlsplit(client.meta.endpoint_url)
    if credentials is None or url.scheme not in ("http", "https"):
        return client
    if url.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(url.hostname or ""):
        return client
    return DynamoWire(client, credentials, **options)
