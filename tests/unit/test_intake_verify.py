"""Verification: whatever Slack or Discord signed verifies; any change to body, timestamp or
signature does not; stale requests do not; Alertmanager's bearer and basic auth."""

from __future__ import annotations

import base64

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from lambda_adapter.verify import verify_bearer_or_basic, verify_discord, verify_slack
from sandbox.signing import discord_headers, discord_keypair, slack_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_712_345_645
SEED, PUBLIC = discord_keypair()

bodies = st.binary(max_size=2048)
timestamps = st.integers(min_value=NOW - 300, max_value=NOW + 300)


def _slack_ok(body: bytes, stamp: str, signature: str, now: float = NOW) -> bool:
    return verify_slack(SECRET, body, stamp, signature, now=now)


def _discord_ok(body: bytes, stamp: str, signature: str, now: float = NOW) -> bool:
    return verify_discord(PUBLIC, body, stamp, signature, now=now)


@given(body=bodies, stamp=timestamps)
def test_slack_sign_then_verify_passes(body: bytes, stamp: int) -> None:
    headers = slack_headers(SECRET, body, stamp)
    assert _slack_ok(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])


@given(text=st.text(max_size=1024), stamp=timestamps)
def test_slack_agrees_with_slack_sdk(text: str, stamp: int) -> None:
    """Our signature is the one slack_sdk's SignatureVerifier produces (it takes text bodies)."""
    body = text.encode("utf-8")
    expected = SignatureVerifier(SECRET).generate_signature(timestamp=str(stamp), body=body)
    assert slack_headers(SECRET, body, stamp)["x-slack-signature"] == expected


@given(body=bodies, other=bodies, stamp=timestamps)
def test_slack_changed_body_fails(body: bytes, other: bytes, stamp: int) -> None:
    assume(other != body)
    headers = slack_headers(SECRET, body, stamp)
    assert not _slack_ok(other, headers["x-slack-request-timestamp"], headers["x-slack-signature"])


@given(body=bodies, stamp=timestamps, other=st.text(max_size=14))
def test_slack_changed_timestamp_fails(body: bytes, stamp: int, other: str) -> None:
    assume(other != str(stamp))
    headers = slack_headers(SECRET, body, stamp)
    assert not _slack_ok(body, other, headers["x-slack-signature"])


@given(body=bodies, stamp=timestamps, position=st.integers(min_value=0, max_value=66), data=st.data())
def test_slack_changed_signature_fails(body: bytes, stamp: int, position: int, data: st.DataObject) -> None:
    signature = slack_headers(SECRET, body, stamp)["x-slack-signature"]
    position = min(position, len(signature) - 1)
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != signature[position]))
    tampered = signature[:position] + replacement + signature[position + 1 :]
    assert not _slack_ok(body, str(stamp), tampered)


@given(body=bodies, age=st.integers(min_value=301, max_value=10**6), sign=st.sampled_from([-1, 1]))
def test_slack_stale_or_future_timestamp_fails(body: bytes, age: int, sign: int) -> None:
    stamp = NOW + sign * age
    headers = slack_headers(SECRET, body, stamp)
    assert not _slack_ok(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])


def test_slack_needs_every_piece() -> None:
    headers = slack_headers(SECRET, b"{}", NOW)
    assert not verify_slack("", b"{}", str(NOW), headers["x-slack-signature"], now=NOW)
    assert not verify_slack(SECRET, b"{}", None, headers["x-slack-signature"], now=NOW)
    assert not verify_slack(SECRET, b"{}", str(NOW), None, now=NOW)
    assert not verify_slack("another-secret", b"{}", str(NOW), headers["x-slack-signature"], now=NOW)


@settings(max_examples=60)
@given(body=bodies, stamp=timestamps)
def test_discord_sign_then_verify_passes(body: bytes, stamp: int) -> None:
    headers = discord_headers(SEED, body, stamp)
    assert _discord_ok(body, headers["x-signature-timestamp"], headers["x-signature-ed25519"])


@settings(max_examples=60)
@given(body=bodies, other=bodies, stamp=timestamps)
def test_discord_changed_body_fails(body: bytes, other: bytes, stamp: int) -> None:
    assume(other != body)
    headers = discord_headers(SEED, body, stamp)
    assert not _discord_ok(other, headers["x-signature-timestamp"], headers["x-signature-ed25519"])


@settings(max_examples=60)
@given(body=bodies, stamp=timestamps, other=st.text(max_size=14))
def test_discord_changed_timestamp_fails(body: bytes, stamp: int, other: str) -> None:
    assume(other != str(stamp))
    headers = discord_headers(SEED, body, stamp)
    assert not _discord_ok(body, other, headers["x-signature-ed25519"])


@settings(max_examples=60)
@given(body=bodies, stamp=timestamps, position=st.integers(min_value=0, max_value=127), data=st.data())
def test_discord_changed_signature_fails(body: bytes, stamp: int, position: int, data: st.DataObject) -> None:
    """Any one-character change that is not a mere change of hex case alters the signature bytes."""
    signature = discord_headers(SEED, body, stamp)["x-signature-ed25519"]
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c.lower() != signature[position]))
    tampered = signature[:position] + replacement + signature[position + 1 :]
    assert not _discord_ok(body, str(stamp), tampered)


def test_discord_signature_hex_is_case_blind_but_strict() -> None:
    """Upper-case hex names the same 64 signature bytes, so it verifies; padding does not."""
    body = b'{"type":1}'
    signature = discord_headers(SEED, body, NOW)["x-signature-ed25519"]
    assert _discord_ok(body, str(NOW), signature.upper())
    spaced = " ".join(signature[i : i + 2] for i in range(0, len(signature), 2))
    assert bytes.fromhex(spaced) == bytes.fromhex(signature)
    assert not _discord_ok(body, str(NOW), spaced)
    assert not _discord_ok(body, str(NOW), signature + "00")
    assert not _discord_ok(body, str(NOW), signature[:-2])


def test_discord_stale_timestamp_and_wrong_key_fail() -> None:
    body = b'{"type":1}'
    stale = discord_headers(SEED, body, NOW - 301)
    assert not _discord_ok(body, stale["x-signature-timestamp"], stale["x-signature-ed25519"])
    _other_seed, other_public = discord_keypair(b"another test key of 32 bytes!!!!")
    fresh = discord_headers(SEED, body, NOW)
    assert not verify_discord(other_public, body, str(NOW), fresh["x-signature-ed25519"], now=NOW)
    assert not verify_discord("not-hex", body, str(NOW), fresh["x-signature-ed25519"], now=NOW)
    assert not verify_discord(PUBLIC, body, str(NOW), "zz" * 64, now=NOW)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_alertmanager_bearer_and_basic() -> None:
    assert verify_bearer_or_basic("Bearer s3cret", "s3cret")
    assert verify_bearer_or_basic("bearer s3cret", "s3cret")
    assert not verify_bearer_or_basic("Bearer s3cret2", "s3cret")
    assert not verify_bearer_or_basic("Bearer ", "s3cret")
    assert not verify_bearer_or_basic(None, "s3cret")
    assert not verify_bearer_or_basic("Bearer anything", "")  # no token configured: refuse all
    assert verify_bearer_or_basic(_basic("alertmanager", "s3cret"), "s3cret")
    assert not verify_bearer_or_basic(_basic("alertmanager", "wrong"), "s3cret")
    assert verify_bearer_or_basic(_basic("am", "pw"), "am:pw")
    assert not verify_bearer_or_basic(_basic("other", "pw"), "am:pw")
    assert not verify_bearer_or_basic("Basic not-base64!", "s3cret")
    assert not verify_bearer_or_basic("Token s3cret", "s3cret")
