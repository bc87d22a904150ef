"""The Prometheus HTTP API client against a recorded-shape transport: parsing, errors, auth
(bearer, basic, SigV4 checked by an independent signature computation)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import pytest
from botocore.credentials import Credentials

from agents.prometheus.client import PrometheusClient, SigV4Auth, client_from_env
from shared.config import PrometheusSource
from shared.errors import ConfigError, SourceError

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Recorder:
    def __init__(self, answers: dict[str, tuple[int, Any]]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers[request.url.path.rsplit("/", 1)[-1]]
        return httpx.Response(status, json=body)

    def client(self, **kwargs: Any) -> PrometheusClient:
        return PrometheusClient("http://prom.test:9090/", transport=httpx.MockTransport(self), **kwargs)


def ok(data: Any) -> tuple[int, Any]:
    return 200, {"status": "success", "data": data}


def form(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.content.decode())


def test_range_query_is_posted_and_parsed_into_times_and_values() -> None:
    rec = Recorder(
        {
            "query_range": ok(
                {
                    "resultType": "matrix",
                    "result": [
                        {
                            "metric": {"pod": "a"},
                            "values": [
                                [T0.timestamp(), "1.5"],
                                [T0.timestamp() + 30, "NaN"],
                                [T0.timestamp() + 60, "+Inf"],
                            ],
                        },
                    ],
                }
            )
        }
    )
    series = rec.client().query_range(
        'sum(rate(x{a="b"}[5m]))', T0, T0 + timedelta(minutes=1), timedelta(seconds=30)
    )
    assert series[0].labels == {"pod": "a"}
    assert series[0].points[0] == (T0, 1.5)
    assert len(series[0].points) == 2  # NaN dropped, +Inf kept
    sent = dict(form(rec.requests[0]))
    assert rec.requests[0].method == "POST"
    assert sent["query"] == 'sum(rate(x{a="b"}[5m]))' and sent["step"] == "30s"


def test_series_sends_every_matcher_and_cuts_at_the_limit() -> None:
    rec = Recorder({"series": ok([{"__name__": "up", "i": str(i)} for i in range(7)])})
    found = rec.client().series(['{job="a"}', '{job="b"}'], T0, T0, limit=5)
    assert len(found) == 5
    assert [v for k, v in form(rec.requests[0]) if k == "match[]"] == ['{job="a"}', '{job="b"}']


def test_scalar_rules_alerts_and_targets_are_parsed() -> None:
    rec = Recorder(
        {
            "query": ok({"resultType": "scalar", "result": [T0.timestamp(), "1"]}),
            "rules": ok(
                {
                    "groups": [
                        {
                            "name": "g",
                            "file": "r.yml",
                            "rules": [
                                {
                                    "name": "HighErrorRate",
                                    "query": "x > 0.05",
                                    "type": "alerting",
                                    "duration": 300,
                                    "labels": {"severity": "critical"},
                                    "health": "ok",
                                    "state": "firing",
                                    "alerts": [],
                                }
                            ],
                        }
                    ]
                }
            ),
            "alerts": ok(
                {
                    "alerts": [
                        {
                            "labels": {"alertname": "Watchdog"},
                            "annotations": {},
                            "state": "firing",
                            "activeAt": "2026-01-01T11:00:00Z",
                            "value": "1e+00",
                        }
                    ]
                }
            ),
            "targets": ok(
                {
                    "activeTargets": [
                        {
                            "labels": {"instance": "a:9100"},
                            "scrapePool": "node",
                            "scrapeUrl": "http://a:9100/metrics",
                            "health": "down",
                            "lastError": "connection refused",
                        }
                    ],
                    "droppedTargets": [],
                }
            ),
        }
    )
    client = rec.client()
    assert client.query("vector(1)")[0].value == (T0.timestamp(), "1")
    rule = client.rules()[0].rules[0]
    assert (rule.name, rule.query, rule.duration) == ("HighErrorRate", "x > 0.05", 300)
    assert client.alerts()[0].activeAt == T0 - timedelta(hours=1)
    assert client.targets()[0].lastError == "connection refused"
    assert dict(parse_qsl(rec.requests[1].url.query.decode())) == {"type": "alert"}


def test_api_errors_and_non_api_answers_are_source_errors() -> None:
    rec = Recorder(
        {
            "query": (400, {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}),
            "labels": (502, "<html>bad gateway</html>"),
        }
    )
    client = rec.client()
    with pytest.raises(SourceError, match="bad_data: parse error at char 3"):
        client.query("sum(")
    with pytest.raises(SourceError, match="HTTP 502"):
        client.labels()


def test_connection_failure_is_a_source_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = PrometheusClient("http://127.0.0.1:1", transport=httpx.MockTransport(refuse))
    with pytest.raises(SourceError, match="ConnectError"):
        client.query("up")


def test_bearer_and_basic_auth_come_from_the_named_variables() -> None:
    env = {"PROM": "http://prom.test", "TOK": "s3cret", "U": "reader", "P": "pw"}
    bearer = PrometheusSource(url_env="PROM", bearer_token_env="TOK")
    basic = PrometheusSource(url_env="PROM", basic_auth_user_env="U", basic_auth_password_env="P")
    for source, expected in ((bearer, "Bearer s3cret"), (basic, "Basic cmVhZGVyOnB3")):
        rec = Recorder({"labels": ok(["__name__"])})
        client_from_env(source, env, transport=httpx.MockTransport(rec)).labels()
        assert rec.requests[0].headers["Authorization"] == expected
        assert rec.requests[0].url.host == "prom.test"


def test_missing_settings_name_the_variable_not_a_value() -> None:
    with pytest.raises(ConfigError, match="PROMETHEUS_URL"):
        client_from_env(PrometheusSource(), {})
    with pytest.raises(ConfigError, match="TOK is not set"):
        client_from_env(PrometheusSource(bearer_token_env="TOK"), {"PROMETHEUS_URL": "http://x"})


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def expected_signature(request: httpx.Request, secret: str, region: str) -> str:
    """SigV4 computed from scratch from what the server received (AWS's published algorithm)."""
    auth = request.headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    amz_date = request.headers["X-Amz-Date"]
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(parse_qsl(request.url.query.decode()))
    )
    headers = "".join(f"{h}:{request.headers[h].strip()}\n" for h in signed)
    canonical = "\n".join(
        [request.method, request.url.path, query, headers, ";".join(signed), _sha256(request.content)]
    )
    scope = f"{amz_date[:8]}/{region}/aps/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, _sha256(canonical.encode())])
    key = f"AWS4{secret}".encode()
    for part in (amz_date[:8], region, "aps", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_sigv4_signs_what_the_server_receives_for_amazon_managed_prometheus() -> None:
    rec = Recorder({"query": ok({"resultType": "vector", "result": []}), "rules": ok({"groups": []})})
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", token="session-token")
    client = PrometheusClient(
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-123",
        auth=SigV4Auth("eu-west-1", creds),
        transport=httpx.MockTransport(rec),
    )
    client.query('sum(rate(http_requests_total{code=~"5.."}[5m]))')
    client.rules()
    for request in rec.requests:
        auth = request.headers["Authorization"]
        assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        assert "/eu-west-1/aps/aws4_request" in auth
        assert request.headers["X-Amz-Security-Token"] == "session-token"
        assert auth.endswith("Signature=" + expected_signature(request, "wJalrXUtnFEMI/K7MDENG", "eu-west-1"))
    assert rec.requests[0].url.path == "/workspaces/ws-123/api/v1/query"


def test_amp_region_selects_sigv4_with_the_default_credential_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    rec = Recorder({"labels": ok([])})
    source = PrometheusSource(amp_region="us-east-1")
    client_from_env(
        source, {"PROMETHEUS_URL": "https://aps.test"}, transport=httpx.MockTransport(rec)
    ).labels()
    assert rec.requests[0].headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFROMENV/")
    assert (
        rec.requests[0]
        .headers["Authorization"]
        .endswith("Signature=" + expected_signature(rec.requests[0], "secret-from-env", "us-east-1"))
    )
