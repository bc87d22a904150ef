"""A corpus of credential kinds (fake values with the real shapes), planted the ways they reach us:
bare in a log line, as `NAME=value`, inside JSON once, twice and three times (a request body logged
as a string at DEBUG), and through the log scrubber at DEBUG. None may survive."""

from __future__ import annotations

import json
import logging

import pytest

from shared.logsetup import SecretScrubber
from shared.redact import MASK, redact

CORPUS = {
    "stripe secret": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "stripe restricted": "rk_live_51H8abcdEFGhijkLMNop0123",
    "stripe test": "sk_test_51H8abcdEFGhijkLMNop0123",
    "stripe webhook": "whsec_abcdEFGH1234ijklMNOP5678qrst",
    "google api key": "AIzaSyA-1234567890abcdefghijklmnopqrstu",
    "google oauth secret": "GOCSPX-abcdefghijklmnopqrstuvwxyz12",
    "google access token": "ya29.a0AfH6SMBabcdefghijklmnopqrstuvwxyz",
    "sendgrid": "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",
    "npm": "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "pypi": "pypi-AgEIcHlwaS5vcmcCJDU0ZDBkN2NmLTk5YjQtNDc5OS04NTgwLWI4",
    "hugging face": "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH",
    "shopify": "shpat_0123456789abcdef0123456789abcdef",
    "digitalocean": "dop_v1_" + "0a1b2c3d" * 8,
    "vault": "hvs.CAESIJ0123456789abcdefghijklmnop",
    "grafana service account": "glsa_abcdefghijklmnopqrstuvwxyzABCDEF_0123abcd",
    "databricks": "dapi0123456789abcdef0123456789abcdef",
    "new relic": "NRAK-ABCDEFGHIJKLMNOPQRSTUVWXYZ0",
    "postman": "PMAK-0123456789abcdef01234567-0123456789abcdef0123456789abcdef01",
    "linear": "lin_api_0123456789abcdefghijklmnopqrstuvwxyzABCD",
    "square": "sq0atp-0123456789abcdefghijkl",
    "docker hub": "dckr_pat_abcdefghijklmnopqrstuvwxyz0",
    "twilio": "SK0123456789abcdef0123456789abcdef",
    "mailgun": "key-0123456789abcdef0123456789abcdef",
    "atlassian": "ATATT3xFfGF0abcdefghijklmnopqrstuv",
    "figma": "figd_abcdefghijklmnopqrstuvwxyz0123456789",
    "supabase": "sbp_0123456789abcdef0123456789abcdef01234567",
    "telegram bot": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
    "mapbox secret": "sk.eyJ1IjoiZXhhbXBsZSIsImEiOiJjbGFiYyJ9.abcdefghijklmnop",
    "github": "ghp_0123456789abcdef0123456789abcdef0123",
    "gitlab": "glpat-abcdefghijklmnopqrst",
    "slack bot": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    "openai": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    "anthropic": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
    "aws access key": "AKIAIOSFODNN7EXAMPLE",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "azure account key": "AccountKey=abcd1234EFGH5678ijklMNOP==",
    "password": "password=correct-horse-battery",
}


def _secret(value: str) -> str:
    """The part that must disappear (a `NAME=value` keeps its name)."""
    return value.split("=", 1)[1] if "=" in value[:20] else value[4:] if value.startswith("AKIA") else value


def _plantings(value: str) -> list[str]:
    line = f"ERROR request failed with {value} at /v1/charge"
    once = json.dumps({"message": line})
    return [
        line,
        f"export TOKEN_VALUE={value}",
        once,
        json.dumps({"body": once}),
        json.dumps({"event": json.dumps({"body": once})}),
    ]


assert len(CORPUS) >= 30


@pytest.mark.parametrize("kind", sorted(CORPUS))
def test_no_kind_survives_redaction_however_it_is_wrapped(kind: str) -> None:
    secret = _secret(CORPUS[kind])
    for text in _plantings(CORPUS[kind]):
        out = redact(text)
        assert secret not in out, f"{kind} leaked from {text!r}: {out!r}"
        assert MASK in out


@pytest.mark.parametrize(
    "body",
    [
        {"password": "hunter2 horse"},
        {"db": {"DB_PASSWORD": "s3cr3t-v4lue"}},
        {"client_secret": "abc123def456ghi"},
    ],
)
def test_a_double_escaped_json_password_is_masked_in_a_debug_log_line(body: dict[str, object]) -> None:
    secret = next(str(v) for v in _leaves(body))
    scrubber = SecretScrubber([], env={})
    # As botocore logs a request at DEBUG: the params dict, whose body is bytes of JSON that carries
    # a JSON document as a string (a Lambda payload, an SQS message).
    params = {"body": json.dumps({"Payload": json.dumps(body)}).encode(), "url": "https://lambda"}
    record = logging.LogRecord(
        "botocore.endpoint", logging.DEBUG, __file__, 1, "Making request with params: %r", (params,), None
    )
    scrubber.filter(record)
    assert secret not in record.getMessage()
    assert MASK in record.getMessage()


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value]


def test_every_kind_is_masked_through_the_log_scrubber_at_debug() -> None:
    scrubber = SecretScrubber([], env={})
    for kind, value in CORPUS.items():
        record = logging.LogRecord(
            "app", logging.DEBUG, __file__, 1, "payload %s", (json.dumps({"v": value}),), None
        )
        scrubber.filter(record)
        assert _secret(value) not in record.getMessage(), kind
