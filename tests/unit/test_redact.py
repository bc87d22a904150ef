"""Secrets are masked wherever they hide in untrusted text; ordinary operational text is left alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.redact import MASK, redact

# Fake credentials with the real shapes (none of them is live).
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
DISCORD_BOT = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123456789AB"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"boto3 failed with key {AWS_KEY} in us-east-1", AWS_KEY),
        ("ASIAY34FZKBOKMUTVV7A is a session key", "ASIAY34FZKBOKMUTVV7A"),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
        (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
        (f"SLACK_BOT_TOKEN={SLACK_BOT}", SLACK_BOT),
        (f"posting with {SLACK_BOT} failed", SLACK_BOT),
        ("app token xapp-1-A0123456789-1234567890123-abcdef0123456789", "xapp-1-A0123456789"),
        (f"Authorization: Bot {DISCORD_BOT}", DISCORD_BOT),
        (f"token {DISCORD_BOT} rejected", DISCORD_BOT),
        ("curl -H 'Authorization: Bearer s3cr3t-t0ken-value' https://api", "s3cr3t-t0ken-value"),
        ("got 401 for bearer abcdefghijklmnop1234", "abcdefghijklmnop1234"),
        ("DB_PASSWORD=hunter2-prod ./start.sh", "hunter2-prod"),
        ('{"password": "correct horse"}', "correct"),
        ("jdbc url ?user=app&password=Pa55w0rd&ssl=true", "Pa55w0rd"),
        ("passwd: letmein", "letmein"),
        ("client_secret=abc123def456 grant_type=client_credentials", "abc123def456"),
        ("api_key: 9f8e7d6c5b4a", "9f8e7d6c5b4a"),
        ("GET /callback?token=tok_12345 200", "tok_12345"),
        (f"cookie session={JWT}", JWT),
        ("postgres://app:Sup3rS3cret@db.internal:5432/payments", "Sup3rS3cret"),
        ("https://deploy:ghp_0123456789abcdef0123456789abcdef0123@github.com/org/repo", "ghp_0123"),
        ("webhook https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXXXXXX"),
    ],
)
def test_credentials_are_masked(text: str, secret: str) -> None:
    out = redact(text)

    assert secret not in out
    assert MASK in out


def test_private_key_blocks_are_masked_whole_even_when_cut_short() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----"
    assert redact(f"key:\n{block}\ndone") == "key:\n[REDACTED PRIVATE KEY]\ndone"
    assert "MIIEow" not in redact("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA")


def test_names_are_kept_so_the_report_still_says_what_was_wrong() -> None:
    assert redact("DB_PASSWORD=hunter2") == "DB_PASSWORD=[REDACTED]"
    assert redact("postgres://app:pw@db:5432/x") == "postgres://app:[REDACTED]@db:5432/x"
    assert redact(f"key {AWS_KEY}") == "key AKIA[REDACTED]"


@pytest.mark.parametrize(
    "text",
    [
        "lowered payments-api DB_POOL_MAX from 40 to 8, config pushed",
        "java.lang.OutOfMemoryError: Java heap space",
        "Deploying checkout v2.3.0 to prod (PR #481)",
        "secretName: payments-db-credentials not found",
        "max_tokens=2048 token_ttl: 300",
        "HikariPool-1 - Connection is not available (total=8, active=8, idle=0, waiting=37)",
        "the bearer token expired",
        "basic authentication failed for user app",
        "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights",
        "pod shop/checkout-7d9f8c6b5-x2k4p OOMKilled (exit 137)",
    ],
)
def test_ordinary_operational_text_is_unchanged(text: str) -> None:
    assert redact(text) == text


@given(st.text(max_size=300))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
