"""The maintained rule set (detect-secrets' regex-based detectors, read as data): the committed
rules are the installed library's, and what only the library knows is masked too."""

from __future__ import annotations

import json

import pytest

from shared.logsetup import SecretScrubber
from shared.redact import MASK, redact
from shared.redact_rules import RULES_FILE
from shared.secret_rules_export import export_rules

# Kinds our own patterns did not know; each as the library's detector finds it.
LIBRARY_ONLY = {
    "artifactory api token": "AKCp8jQ8cmVQF1rXbxVz8f2L3VdZjaGwQaeN1pcD5mQ",
    "artifactory encrypted password": "AP6bXk2nQ9rT4vW7yZ1cE3fH",
    "gitlab runner registration token": "GR1348941abcdefghijklmnopqrst",
    "mailchimp api key": "0123456789abcdef0123456789abcdef-us12",
    "twilio account sid": "AC0123456789abcdef0123456789abcdef",
    "test.pypi.org token": "pypi-AgENdGVzdC5weXBpLm9yZw" + "Ab3dEf6h" * 9,
    "softlayer api url": "https://api.softlayer.com/soap/v3/" + "ab12" * 16,
    "ibm cloud iam key": "ibm_cloud_iam_key = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH'",
}


def test_the_committed_rules_are_the_installed_librarys() -> None:
    # After upgrading detect-secrets: python -m shared.secret_rules_export > shared/secret_rules.json
    assert json.loads(RULES_FILE.read_text(encoding="utf-8")) == export_rules()


def _secret(value: str) -> str:
    return value.split("'")[1] if "'" in value else value.rsplit("/", 1)[-1]


@pytest.mark.parametrize("kind", sorted(LIBRARY_ONLY))
def test_what_only_the_library_knows_is_masked_in_text_json_and_logs(kind: str) -> None:
    value = LIBRARY_ONLY[kind]
    secret = _secret(value)
    line = f"ERROR upstream call failed with {value} (401)"
    escaped = line.replace("'", "\\'")  # as a repr or a log of a payload escapes its quotes
    nested = json.dumps({"body": json.dumps({"message": line})})
    for text in (line, escaped, json.dumps({"message": line}), nested):
        out = redact(text)
        assert secret not in out and MASK in out, out
    scrubber = SecretScrubber([], env={})
    assert secret not in scrubber.scrub(line)


@pytest.mark.parametrize(
    "line",
    [
        "WARN orders-api-7d9f8c6b5-x2k4p readiness probe failed: HTTP 503",
        "INFO deployed checkout v2.3.0 (sha 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f)",
        "ERROR request 6f1c2b9e-3a4d-4e5f-8a9b-0c1d2e3f4a5b timed out after 30000 ms",
        "INFO connected to https://orders.internal.example.com:8443/v1/health",
        "WARN APAC region failover to ap-southeast-2 complete",
    ],
)
def test_ordinary_operational_text_is_left_alone(line: str) -> None:
    assert redact(line) == line
