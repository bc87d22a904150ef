"""Lambda HTTP events to `WebhookRequest` and back: function URLs and API Gateway HTTP APIs
(payload 2.0), API Gateway REST APIs and HTTP APIs with payload 1.0, base64 bodies included."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from lambda_adapter.webhook import WebhookRequest, WebhookResponse
from shared.errors import BadRequest


def is_http_event(event: Any) -> bool:
    return isinstance(event, Mapping) and ("rawPath" in event or "httpMethod" in event)


def _body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest("the event body is not a string")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as e:
            raise BadRequest("the event body is not valid base64") from e
    return body.encode("utf-8", "surrogateescape")


def _headers_v1(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    multi = event.get("multiValueHeaders") or {}
    if multi:
        return [(name, str(value)) for name, values in multi.items() for value in (values or [])]
    return [(name, str(value)) for name, value in (event.get("headers") or {}).items() if value is not None]


def request_from_event(event: Mapping[str, Any]) -> WebhookRequest:
    """The request an HTTP event carries (raises BadRequest for an event that is not one)."""
    if "rawPath" in event:  # payload 2.0: function URL, HTTP API
        http = (event.get("requestContext") or {}).get("http") or {}
        query = dict(parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True))
        headers = [
            (name, str(value)) for name, value in (event.get("headers") or {}).items() if value is not None
        ]
        return WebhookRequest.build(
            str(http.get("method") or "GET"),
            str(event.get("rawPath") or "/"),
            body=_body(event),
            headers=headers,
            query=query,
        )
    if "httpMethod" in event:  # payload 1.0: REST API, HTTP API 1.0
        multi_query = event.get("multiValueQueryStringParameters") or {}
        query = {k: v[-1] for k, v in multi_query.items() if v} or {
            k: v for k, v in (event.get("queryStringParameters") or {}).items() if v is not None
        }
        return WebhookRequest.build(
            str(event["httpMethod"]),
            str(event.get("path") or "/"),
            body=_body(event),
            headers=_headers_v1(event),
            query=query,
        )
    raise BadRequest("not an HTTP event (no rawPath or httpMethod)")


def event_response(response: WebhookResponse) -> dict[str, Any]:
    """The proxy integration's response shape (the same for payload 1.0 and 2.0)."""
    try:
        body, encoded = response.body.decode("utf-8"), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(response.body).decode("ascii"), True
    return {
        "statusCode": response.status,
        "headers": dict(response.headers),
        "body": body,
        "isBase64Encoded": encoded,
    }
