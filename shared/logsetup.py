"""Logging for every process (CLI, agent servers, the intake): one format, and no secret in a line.

Every message and traceback passes through `SecretScrubber` on its way to a handler: the values of
the env vars config.yaml names as secrets (tokens, signing secrets, passwords, API keys) are masked
wherever they appear, and so is anything `shared.redact` recognises as a credential. A library that
puts a token in an exception message, or a log line that quotes an alert carrying a password, leaves
only `[REDACTED]` behind.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping

from shared.config import AppConfig
from shared.redact import MASK, redact
from shared.secrets import secret_env_names

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Credentials the AWS SDK and the Kubernetes stand-in read from the environment.
_PROCESS_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "KUBERNETES_TOKEN")
# Shorter values would mask ordinary words; real tokens and secrets are far longer.
_MIN_SECRET_LENGTH = 8


def secret_names(config: AppConfig) -> list[str]:
    """Every env var whose value must never be logged: config's secrets, its optional credentials."""
    models = [config.model_for(agent_id).api_key_env for agent_id in config.agents]
    mcp_headers = [
        env
        for agent in config.agents.values()
        for server in agent.mcp_servers
        for env in server.headers_env.values()
    ]
    names = [*secret_env_names(config), *models, *mcp_headers, *_PROCESS_SECRETS]
    return list(dict.fromkeys(name for name in names if name))


class SecretScrubber(logging.Filter):
    """Masks the values of the named env vars, and credential patterns, in the message and traceback
    of a record. Values are read at each record: secrets hydrated after start-up are covered too."""

    def __init__(self, names: Iterable[str], env: Mapping[str, str] = os.environ) -> None:
        super().__init__()
        self.names = tuple(names)
        self.env = env

    def secrets(self) -> list[str]:
        values = {self.env.get(name, "") for name in self.names}
        # Longest first, so a secret that contains another is masked whole.
        return sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for value in self.secrets():
            text = text.replace(value, MASK)
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.scrub(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


def install_scrubber(config: AppConfig | None, env: Mapping[str, str] = os.environ) -> SecretScrubber:
    """Put one scrubber on every handler of the root logger (filters on handlers also see records
    propagated from library loggers; filters on loggers would not)."""
    names = secret_names(config) if config is not None else list(_PROCESS_SECRETS)
    scrubber = SecretScrubber(names, env)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretScrubber)]:
            handler.removeFilter(old)
        handler.addFilter(scrubber)
    return scrubber


def configure_logging(level: int | str, config: AppConfig | None) -> None:
    """Log to stderr in the project's format, every handler scrubbed."""
    logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr)
    install_scrubber(config)


def default_config() -> AppConfig | None:
    """The config the process would load, for its secret names; None when it does not load (the
    command itself will report why)."""
    from shared.config import load_config
    from shared.errors import ConfigError

    try:
        return load_config()
    except ConfigError:
        return None
