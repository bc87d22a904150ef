"""No secret in a log line: values of configured secret env vars and credential patterns are masked in
messages, arguments and tracebacks, from our loggers and from libraries' alike."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from shared.config import load_config
from shared.logsetup import FORMAT, SecretScrubber, install_scrubber, secret_names

BOT_TOKEN = "xoxb-not-a-real-token-1234567890"
SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # looks like nothing in particular
PROM_PASSWORD = "correct-horse-battery"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """A root handler like the one the processes install, with the scrubber on it."""
    config = load_config()
    sources = config.sources.model_copy(
        update={
            "prometheus": config.sources.prometheus.model_copy(
                update={"basic_auth_password_env": "PROM_PASSWORD"}
            )
        }
    )
    config = config.model_copy(update={"sources": sources})
    env = {
        config.sources.slack.bot_token_env: BOT_TOKEN,
        config.sources.slack.signing_secret_env: SIGNING_SECRET,
        "PROM_PASSWORD": PROM_PASSWORD,
    }
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        install_scrubber(config, env)
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for other in root.handlers:  # leave pytest's own handlers as they were
            for f in [f for f in other.filters if isinstance(f, SecretScrubber)]:
                other.removeFilter(f)


def test_configured_secret_values_are_masked_in_messages_and_arguments(captured: io.StringIO) -> None:
    log = logging.getLogger("agents.some_scanner")
    log.warning("posting with token=<%s>", SIGNING_SECRET)
    log.info("basic auth %s failed for user ops", PROM_PASSWORD)
    text = captured.getvalue()
    assert SIGNING_SECRET not in text and PROM_PASSWORD not in text
    assert text.count("[REDACTED]") == 2
    assert "failed for user ops" in text  # the rest of the line survives


def test_a_library_logger_and_a_traceback_are_scrubbed_too(captured: io.StringIO) -> None:
    try:
        raise ConnectionError(f"POST https://slack.com/api/chat.postMessage failed; auth {BOT_TOKEN}")
    except ConnectionError:
        logging.getLogger("httpx").exception("request failed")
    text = captured.getvalue()
    assert "Traceback" in text and "ConnectionError" in text
    assert BOT_TOKEN not in text and "[REDACTED]" in text


def test_credentials_recognised_by_pattern_are_masked_without_configuration(captured: io.StringIO) -> None:
    logging.getLogger("lambda_adapter").error("db down: postgres://app:hunter2pass@db:5432/orders")
    assert "hunter2pass" not in captured.getvalue()


def test_the_scrubber_masks_what_report_redaction_masks(captured: io.StringIO) -> None:
    # One list of patterns: a credential shape redaction learns is scrubbed from logs too.
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    log = logging.getLogger("botocore.credentials")
    log.warning("found key id AKIAIOSFODNN7EXAMPLE secret %s in env", secret)
    log.warning('retrying with password: "correct horse battery" and glpat-Ab3dEf6hIj9kLm2nOp5q')
    text = captured.getvalue()
    for leaked in (secret, "horse battery", "glpat-Ab3d", "AKIAIOSFODNN7EXAMPLE"):
        assert leaked not in text
    assert "found key id AKIA[REDACTED] secret [REDACTED] in env" in text


def test_short_values_are_not_treated_as_secrets() -> None:
    scrubber = SecretScrubber(["TINY"], {"TINY": "on"})
    assert scrubber.scrub("turn it on") == "turn it on"


def test_secret_names_cover_chat_intake_prometheus_and_model_keys() -> None:
    names = secret_names(load_config())
    assert {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "DISCORD_BOT_TOKEN",
        "ALERTMANAGER_WEBHOOK_TOKEN",
    } <= set(names)
    assert "AWS_SECRET_ACCESS_KEY" in names and len(names) == len(set(names))
