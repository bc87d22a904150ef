"""One exception root; each entrypoint translates these to an HTTP status or A2A state in one place."""

from __future__ import annotations


class SreOnCallError(Exception):
    """Root of every error sre-on-call raises on purpose."""


class ConfigError(SreOnCallError):
    """config.yaml (or a setting from the environment) is missing or wrong."""


class ScenarioError(SreOnCallError):
    """A scenario file does not follow SCENARIOS.md."""


class SourceError(SreOnCallError):
    """A data source (Slack, CloudWatch, Kubernetes, Prometheus ...) failed or is unreachable."""


class TransportError(SreOnCallError):
    """An A2A call failed: connection, HTTP status, JSON-RPC error or a malformed response."""


class BadRequest(SreOnCallError):
    """A request was malformed; the message says why (answered with 400)."""


class Unauthorized(SreOnCallError):
    """A signature or token did not verify (answered with 401)."""


class UnsupportedMediaType(SreOnCallError):
    """A request's Content-Type is not the one its route reads (answered with 415)."""
