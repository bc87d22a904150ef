"""Secrets are masked wherever they hide in untrusted text; ordinary operational text is left alone."""

from __future__ import annotations

import json

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
        # A Discord interaction's token, on a configured API base that is not discord.com.
        (
            "HTTP Request: PATCH http://127.0.0.1:8081/api/v10/webhooks/1226161212004192356/"
            'aW50ZXJhY3Rpb246MTIyNjE2NjQyMjIyMjIyMjIyMjpzbmFwc2hvdC10b2tlbg/messages/@original "200 OK"',
            "aW50ZXJhY3Rpb246MTIy",
        ),
        (
            "POST http://proxy.internal/api/v10/interactions/1226166422222222222/"
            "aW50ZXJhY3Rpb246MTIyNjE2NjQyMjIyMjIyMjIyMjpzbmFwc2hvdC10b2tlbg/callback",
            "aW50ZXJhY3Rpb246MTIy",
        ),
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
    ("text", "secret"),
    [
        (f"boto3 picked up key id {AWS_KEY} secret {AWS_SECRET}", AWS_SECRET),
        (f"{AWS_KEY},{AWS_SECRET}", AWS_SECRET),  # a credentials CSV row
        (f"secret {AWS_SECRET} was rotated", AWS_SECRET),
        ('password: "correct horse battery"', "horse battery"),
        ("password: 'correct horse battery'", "horse battery"),
        ("DB_PASS=hunter2-prod ./start.sh", "hunter2-prod"),
        ("pwd=hunter2-prod", "hunter2-prod"),
        ("mysql -h db --password hunter2-prod orders", "hunter2-prod"),
        ('psql --password "correct horse" -h db', "horse"),
        ("x-api-key: 9f8e7d6c5b4a3f2e", "9f8e7d6c5b4a3f2e"),
        ("openai 401 for sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL", "abcdefghijklmnop"),
        ("OPENAI_KEY is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_-Zz", "Ab3dEf6hIj9kLm2nOp5q"),
        ("anthropic sk-ant-api03-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "Ab3dEf6hIj9kLm2nOp5q"),
        ("git clone https://oauth2:glpat-Ab3dEf6hIj9kLm2nOp5q@gitlab.com/x", "glpat-Ab3d"),
        ("runner uses glpat-Ab3dEf6hIj9kLm2nOp5q for the API", "glpat-Ab3d"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ012345 revoked", "ghp_0123456789"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", "11ABCDEFG0123"),
        ("user token xoxp-1234567890-0987654321-AbCdEfGhIjKl", "xoxp-1234567890"),
        (f"Authorization: Bearer {JWT}", JWT),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
        ("redis://:hunter2pass@cache:6379/0 refused", "hunter2pass"),
        # The same lines as JSON strings (a tool result, a JSON log line), quotes escaped.
        (json.dumps({"line": 'password: "correct horse battery"'}), "horse battery"),
        (json.dumps({"line": f"key id {AWS_KEY} secret {AWS_SECRET}"}), AWS_SECRET),
        (json.dumps({"line": "Authorization: Bearer s3cr3t-t0ken-value"}), "s3cr3t-t0ken-value"),
    ],
)
def test_credentials_without_a_telling_name_or_in_quotes_are_masked(text: str, secret: str) -> None:
    out = redact(text)

    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "request 3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f failed after 30000ms",
        "deployed commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b to prod",
        "cache key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b miss",
        "Successfully assigned shop/checkout-7d9f8c6b5-x2k4p to ip-10-0-1-23.ec2.internal",
        "pod sk-worker-deployment-7d9f8c6b5-x2k4p Running",
        "GET https://api.example.com/v1/orders?page=2&limit=50 200 12ms",
        "pulled 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders@sha256:"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "tests passed=12 failed=0 skipped=1; bypass=true",
        "PWD=/app HOME=/root",
        "--password-file /run/secrets/db --token-ttl 300",
        'MountVolume.SetUp failed for volume "db-creds" : secret "db-creds" not found',
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
        "key rotation done for tenant acme (40 keys)",
    ],
)
def test_ids_hashes_pod_names_and_plain_urls_are_unchanged(text: str) -> None:
    assert redact(text) == text


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _random(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


def _mixed(token: str) -> bool:
    return (
        any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
    )


aws_pairs = st.tuples(_random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), _random(B64, 40).filter(_mixed))
planted = st.one_of(
    aws_pairs.map(lambda p: (f"key id AKIA{p[0]} secret {p[1]}", p[1])),
    aws_pairs.map(lambda p: (f"ASIA{p[0]},{p[1]}", p[1])),
    _random(ALNUM, 36).map(lambda s: (f"ghp_{s}", s)),
    _random(ALNUM + "_-", 20).filter(_mixed).map(lambda s: (f"glpat-{s}", s)),
    _random(ALNUM, 48).filter(_mixed).map(lambda s: (f"sk-{s}", s)),
    _random(ALNUM + "_-", 40).filter(_mixed).map(lambda s: (f"sk-proj-{s}", s)),
    _random(ALNUM, 24).filter(_mixed).map(lambda s: (f"xoxb-1234567890-{s}", s)),
    st.lists(st.text("abcdefghij", min_size=3, max_size=8), min_size=2, max_size=4)
    .map(" ".join)
    .map(lambda s: (f'password: "{s}"', s)),
    _random(ALNUM, 12).filter(_mixed).map(lambda s: (f"postgres://app:{s}@db:5432/x", s)),
    _random(ALNUM, 12).filter(_mixed).map(lambda s: (f"--password {s}", s)),
    _random(ALNUM, 12).filter(_mixed).map(lambda s: (f"Authorization: Basic {s}", s)),
)
surroundings = st.sampled_from(
    ["", "ERROR boto3:", "WARN retrying with", "pod shop/checkout-7d9f8c6b5-x2k4p:", "msg=", "(", "{"]
)


@given(planted, surroundings, surroundings)
def test_a_planted_secret_is_gone_wherever_it_sits(plant: tuple[str, str], before: str, after: str) -> None:
    text, secret = plant
    once = redact(f"{before} {text} {after}")
    assert secret not in once and redact(once) == once
    assert secret not in redact(json.dumps({"message": f"{before} {text} {after}"}))


ordinary = st.one_of(
    st.uuids().map(str),
    st.binary(min_size=20, max_size=20).map(bytes.hex),
    st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex()),
    st.from_regex(r"[a-z]{3,10}(-[a-z]{3,8})?-[a-f0-9]{8,10}-[a-z0-9]{5}", fullmatch=True),
    st.from_regex(
        r"https://[a-z]{3,10}\.example\.com/[a-z]{1,8}(/[a-z0-9]{1,8})?(\?page=[0-9]{1,3})?", fullmatch=True
    ),
    st.from_regex(r"ip-10-[0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}\.ec2\.internal", fullmatch=True),
)


@given(st.lists(ordinary, min_size=1, max_size=6), st.sampled_from(["request", "commit", "cache key", "pod"]))
def test_ordinary_identifiers_survive(tokens: list[str], word: str) -> None:
    text = f"{word} " + " ".join(tokens) + " failed"
    assert redact(text) == text


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
