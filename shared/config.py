"""`config.yaml`: the one typed loader. The agent list exists only in that file.

Errors name the key and the problem: `agents.eks.port: Input should be a valid integer`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shared.errors import ConfigError

ENV_CONFIG_PATH = "SRE_ON_CALL_CONFIG"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "config.yaml"
AGENT_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ProviderName = Literal["none", "bedrock", "openai", "ollama"]


class ModelConfig(Strict):
    provider: ProviderName = "none"
    model_id: str | None = None
    region: str | None = None
    base_url: str | None = Field(default=None, description="OpenAI-compatible or Ollama endpoint")
    api_key_env: str | None = Field(default=None, description="env var holding the API key, if any")
    max_tokens: int = Field(default=2048, gt=0, le=64_000)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_tool_cycles: int = Field(default=6, ge=1, le=50)


class ModelOverride(Strict):
    """An agent's `model:` section: each field it sets replaces that field of `defaults.model`, the
    others are inherited (the same field-by-field merge the Terraform module does). `null` or an
    absent key means "inherit"."""

    provider: ProviderName | None = None
    model_id: str | None = None
    region: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    max_tokens: int | None = Field(default=None, gt=0, le=64_000)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    timeout_seconds: float | None = Field(default=None, gt=0)
    max_tool_cycles: int | None = Field(default=None, ge=1, le=50)


def merge_model(defaults: ModelConfig, override: ModelOverride | None) -> ModelConfig:
    """`defaults` with every field `override` sets replaced: the one rule for an agent's model."""
    if override is None:
        return defaults
    return defaults.model_copy(update=override.model_dump(exclude_none=True))


class Defaults(Strict):
    model: ModelConfig = ModelConfig()
    deadline_seconds: float = Field(default=60.0, gt=0, le=900)
    late_cutoff_seconds: float = Field(default=180.0, gt=0, le=3600)
    agent_budget_seconds: float = Field(default=45.0, gt=0, le=900)
    investigation_window_minutes: int = Field(default=60, gt=0, le=24 * 60)
    # /sre-snapshot: the snapshot is posted by then (the slash command's ack promises 30 s).
    snapshot_deadline_seconds: float = Field(default=25.0, gt=0, le=900)

    @model_validator(mode="after")
    def _cutoff_after_deadline(self) -> Defaults:
        if self.late_cutoff_seconds < self.deadline_seconds:
            raise ValueError("late_cutoff_seconds must not be shorter than deadline_seconds")
        return self


class Price(Strict):
    input: float = Field(ge=0, description="USD per million input tokens")
    output: float = Field(ge=0, description="USD per million output tokens")


class McpServer(Strict):
    """An MCP server an agent may use in LLM mode: stdio (command) or streamable HTTP (url)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    command: str | None = None
    args: list[str] = []
    env: dict[str, str] = {}
    url: str | None = None
    # Streamable HTTP only: header name -> the env var holding its value (`Authorization:
    # OPS_MCP_AUTHORIZATION`, the variable holding `Bearer ...`): no secret is written here.
    headers_env: dict[str, str] = {}
    tool_filters: list[str] = []
    startup_timeout_seconds: float = Field(default=15.0, gt=0)

    @field_validator("headers_env")
    @classmethod
    def _header_env_names(cls, headers: dict[str, str]) -> dict[str, str]:
        for header, env in headers.items():
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", header):
                raise ValueError(f"{header!r} is not an HTTP header name")
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
                raise ValueError(
                    f"{header}: give the name of the environment variable holding the value, not the value"
                )
        return headers

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            raise ValueError("give exactly one of command (stdio) or url (streamable HTTP)")
        if self.headers_env and self.url is None:
            raise ValueError("headers_env applies only to a url (streamable HTTP) server")
        return self


class AgentConfig(Strict):
    role: Literal["master", "scanner"] = "scanner"
    kind: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the scanner kind this agent is an instance of (shared.plugins); default: its id",
    )
    source: dict[str, Any] | None = Field(
        default=None,
        description="this instance's source settings (the kind's model); default: sources.<the kind's key>",
    )
    enabled: bool = True
    description: str = ""
    port: int = Field(ge=1024, le=65535)
    runtime_arn_env: str = Field(
        default="",
        pattern=r"^([A-Z][A-Z0-9_]*)?$",
        description="the env var holding its AgentCore runtime ARN when deployed; "
        "default SRE_<AGENT ID>_RUNTIME_ARN (a local-only agent needs none)",
    )
    skills: list[str] = []
    mcp_servers: list[McpServer] = []
    model: ModelOverride | None = None
    budget_seconds: float | None = Field(default=None, gt=0, le=900)
    network: Literal["public", "vpc"] = "public"
    secrets: list[str] = Field(
        default=[],
        description="deployed, the only secrets (env var names from sources) this agent's role may read",
    )

    @field_validator("skills")
    @classmethod
    def _skill_names(cls, skills: list[str]) -> list[str]:
        for skill in skills:
            if not re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", skill):
                raise ValueError(f"skill name {skill!r} must be lowercase letters, digits and dashes")
        return skills


class SlackSource(Strict):
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    base_url_env: str = "SLACK_API_BASE_URL"
    channels: list[str] = []


class DiscordSource(Strict):
    bot_token_env: str = "DISCORD_BOT_TOKEN"
    public_key_env: str = "DISCORD_PUBLIC_KEY"
    base_url_env: str = "DISCORD_API_BASE_URL"
    guild_id: str | None = Field(
        default=None, pattern=r"^\d+$", description="the server (guild) whose channel names may be used"
    )
    channels: list[str] = Field(default=[], description="channel ids; names too when guild_id is set")

    @field_validator("channels")
    @classmethod
    def _names_need_a_guild(cls, channels: list[str], info: ValidationInfo) -> list[str]:
        names = [c for c in channels if not c.strip().isdigit()]
        if names and not info.data.get("guild_id"):
            raise ValueError(
                f"{names[0]!r} is a channel name, and Discord reads channels only by id: give its numeric "
                "id (Developer Mode, then Copy Channel ID), or set guild_id so names can be resolved"
            )
        return channels


class AwsSource(Strict):
    region: str = "us-east-1"
    endpoint_url_env: str = "AWS_ENDPOINT_URL"


class CloudWatchLogsSource(Strict):
    log_groups: list[str] = []
    max_groups: int = Field(default=5, ge=1, le=50)
    signatures_file: str | None = None


class EksSource(Strict):
    cluster: str | None = None
    base_url_env: str = "KUBERNETES_BASE_URL"
    kubeconfig_env: str = "KUBECONFIG"
    # Namespaces whose pod logs are never read or posted (their objects and events still are): the
    # platform's own logs carry tokens and internal addresses, and a channel is no place for them.
    private_log_namespaces: list[str] = ["kube-system"]


class PrometheusSource(Strict):
    url_env: str = "PROMETHEUS_URL"
    bearer_token_env: str | None = None
    basic_auth_user_env: str | None = None
    basic_auth_password_env: str | None = None
    amp_region: str | None = Field(default=None, description="set for Amazon Managed Prometheus (SigV4)")
    ui_url_env: str | None = Field(
        default=None,
        description="env var holding the base URL of a Prometheus UI for graph links (`<url>/graph?...`); "
        "links use the query URL when unset. Set it for Amazon Managed Prometheus, which has no UI.",
    )


class Sources(Strict):
    """The global source sections. A kind declared outside this repository may add its own section
    (validated by that kind's model when an instance uses it)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    slack: SlackSource = SlackSource()
    discord: DiscordSource = DiscordSource()
    aws: AwsSource = AwsSource()
    cloudwatch_logs: CloudWatchLogsSource = CloudWatchLogsSource()
    eks: EksSource = EksSource()
    prometheus: PrometheusSource = PrometheusSource()


class DiscordGatewayConfig(Strict):
    """`sre-on-call discord-gateway`: the Gateway listener that brings Discord channel messages in."""

    enabled: bool = Field(
        default=False, description="run the Gateway listener (deployed: its always-on container)"
    )
    alert_channels: list[str] = Field(
        default=[],
        description="channel ids whose webhook and bot posts are alerts; elsewhere, and for people, "
        "only a message that mentions the bot counts",
    )

    @field_validator("alert_channels")
    @classmethod
    def _numeric_ids(cls, channels: list[str]) -> list[str]:
        for channel in channels:
            if not channel.strip().isdigit():
                raise ValueError(f"{channel!r} is not a channel id: Discord channel ids are numbers")
        return [c.strip() for c in channels]


class AllowedConfig(Strict):
    """Who may use the app; an empty list allows any (a signature alone says only that the request
    came from a workspace or guild where the app is installed, not from ours)."""

    slack_teams: list[str] = []  # Slack team (workspace) ids, T...
    slack_apps: list[str] = []  # Slack app ids, A...
    discord_guilds: list[str] = []  # Discord guild (server) ids
    discord_applications: list[str] = []  # Discord application ids
    channels: list[str] = []  # channel ids the bot answers in (both platforms)
    snapshot_users: list[str] = []  # user ids who may run /sre-snapshot
    # Left empty, slack_teams / slack_apps / discord_guilds / discord_applications default to the
    # deployer's own: the bot's team and app (Slack auth.test), sources.discord.guild_id and the
    # bot's application (Discord). False: empty lists allow any.
    own_by_default: bool = True


class ActionsConfig(Strict):
    """The report's buttons that act. Silence and re-run are signed with the key in `key_env`
    (shared by the master, which signs, and the intake, which checks); without it they are not
    shown. A silence is created in the Alertmanager at `alertmanager_url_env`, only for a user
    listed in `allowed_users` or in one of `allowed_groups` (Slack user group ids, Discord role
    ids); nobody may silence while both are empty."""

    key_env: str = "SRE_ACTION_KEY"
    alertmanager_url_env: str = "ALERTMANAGER_URL"
    alertmanager_token_env: str = "ALERTMANAGER_API_TOKEN"
    silence_minutes: int = Field(default=60, ge=1, le=24 * 60)
    allowed_users: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()


class IntakeConfig(Strict):
    trigger_reaction: str = "rotating_light"
    dedup_table_env: str = "SRE_DEDUP_TABLE"
    dedup_window_seconds: int = Field(default=600, ge=0)
    storm_window_seconds: int = Field(default=300, ge=0)
    alertmanager_token_env: str = "ALERTMANAGER_WEBHOOK_TOKEN"
    # Where Alertmanager alerts are reported when the webhook URL names no `?channel=`.
    alertmanager_channel: str | None = None
    alertmanager_platform: Literal["slack", "discord"] = "slack"
    # The optional model tier for messages the heuristics are unsure about (provider none:
    # heuristics only). Its own small model: it runs before every unsure investigation starts.
    classifier_model: ModelConfig = ModelConfig()
    # With a dedup table, the master records its progress there; an investigation whose master
    # stops (no report, no heartbeat) is handed off again, up to this many attempts in all (1: never).
    handoff_attempts: int = Field(default=3, ge=1, le=10)
    # How long the master has to start (and renew this) before its hand-off counts as lost.
    handoff_lease_seconds: int = Field(default=30, ge=5)
    allowed: AllowedConfig = AllowedConfig()
    discord_gateway: DiscordGatewayConfig = DiscordGatewayConfig()

    actions: ActionsConfig = ActionsConfig()


def runtime_arn_env_of(agent_id: str) -> str:
    """The default name of the env var holding an agent's AgentCore runtime ARN."""
    return f"SRE_{agent_id.upper()}_RUNTIME_ARN"


class AppConfig(Strict):
    defaults: Defaults = Defaults()
    prices: dict[str, Price] = {}
    agents: dict[str, AgentConfig]
    sources: Sources = Sources()
    intake: IntakeConfig = IntakeConfig()

    @model_validator(mode="before")
    @classmethod
    def _default_runtime_arn_env(cls, data: Any) -> Any:
        """An agent without `runtime_arn_env` gets `SRE_<AGENT ID>_RUNTIME_ARN` (the module's rule too)."""
        agents = data.get("agents") if isinstance(data, dict) else None
        if not isinstance(agents, dict):
            return data
        filled = {
            agent_id: {**agent, "runtime_arn_env": runtime_arn_env_of(str(agent_id))}
            if isinstance(agent, dict) and not agent.get("runtime_arn_env")
            else agent
            for agent_id, agent in agents.items()
        }
        return {**data, "agents": filled}

    @model_validator(mode="after")
    def _agents_consistent(self) -> AppConfig:
        for agent_id in self.agents:
            if not AGENT_ID.fullmatch(agent_id):
                raise ValueError(f"agent id {agent_id!r} must be snake_case (a folder under agents/)")
        masters = [a for a, c in self.agents.items() if c.role == "master"]
        if len(masters) != 1:
            raise ValueError(f"exactly one agent must have role: master (found {len(masters)})")
        ports: dict[int, str] = {}
        for agent_id, agent in self.agents.items():
            if agent.port in ports:
                raise ValueError(f"agents {ports[agent.port]} and {agent_id} share port {agent.port}")
            ports[agent.port] = agent_id
        return self

    @property
    def master_id(self) -> str:
        return next(a for a, c in self.agents.items() if c.role == "master")

    def scanners(self, *, enabled_only: bool = True) -> dict[str, AgentConfig]:
        """The scanner agents, in config order."""
        return {
            agent_id: agent
            for agent_id, agent in self.agents.items()
            if agent.role == "scanner" and (agent.enabled or not enabled_only)
        }

    def kind_of(self, agent_id: str) -> str:
        """The scanner kind of an agent: its `kind`, else its id."""
        return self.agents[agent_id].kind or agent_id

    def source_for(self, agent_id: str) -> BaseModel:
        """The agent's source settings, validated by its kind's model: its own `source:`, else the
        global `sources.<the kind's key>`, else the model's defaults."""
        from shared.plugins import load_kind

        kind = load_kind(self.kind_of(agent_id))
        own = self.agents[agent_id].source
        if own is None and kind.source_key is not None:
            shared_section = getattr(self.sources, kind.source_key, None)
            if isinstance(shared_section, kind.source):
                return shared_section
            own = shared_section
        try:
            return kind.source.model_validate(own or {})
        except ValidationError as e:
            where = f"agents.{agent_id}.source" if self.agents[agent_id].source is not None else "sources"
            raise ConfigError(f"{where}: {_format_error(e)}") from e

    def model_for(self, agent_id: str) -> ModelConfig:
        """The agent's model: `defaults.model`, field by field overridden by the agent's `model:`."""
        return merge_model(self.defaults.model, self.agents[agent_id].model)

    def budget_for(self, agent_id: str) -> float:
        budget = self.agents[agent_id].budget_seconds or self.defaults.agent_budget_seconds
        return min(budget, self.defaults.deadline_seconds)

    def for_mode(self, mode: str) -> AppConfig:
        """The configuration a run of `mode` works under: a snapshot's deadline (and so every
        scanner's budget) is `snapshot_deadline_seconds`; an investigation's is unchanged."""
        if mode != "snapshot":
            return self
        d = self.defaults
        deadline = d.snapshot_deadline_seconds
        defaults = d.model_copy(
            update={"deadline_seconds": deadline, "late_cutoff_seconds": max(d.late_cutoff_seconds, deadline)}
        )
        return self.model_copy(update={"defaults": defaults})


def _format_error(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden" and item["loc"]:
            close = difflib.get_close_matches(str(item["loc"][-1]), _known_keys(item["loc"][:-1]), n=1)
            message += f" (did you mean {close[0]!r}?)" if close else ""
        lines.append(f"{where}: {message}")
    return "; ".join(lines)


def _known_keys(parent: tuple[Any, ...]) -> list[str]:
    """The keys the model at `parent` (a location in the config) accepts."""
    model: Any = AppConfig
    for part in parent:
        if isinstance(part, int) or model is None:
            return []
        field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
        if field is None:  # a mapping's key (an agent id): `model` is already its values' model
            continue
        model = _model_of(field.annotation)
    return list(getattr(model, "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def parse_config(data: Any, *, source: str = "config") -> AppConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping")
    try:
        return AppConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{source}: {_format_error(e)}") from e


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The file to read: `path`, else `$SRE_ON_CALL_CONFIG`, else `./config.yaml` in the working
    directory, else the example config shipped with the package."""
    if path is not None:
        return Path(path)
    if os.environ.get(ENV_CONFIG_PATH):
        return Path(os.environ[ENV_CONFIG_PATH])
    here = Path.cwd() / "config.yaml"
    return here if here.is_file() else DEFAULT_CONFIG_PATH


def check_agent_kinds(config: AppConfig, *, source: str = "config") -> None:
    """Every scanner must be an instance of a kind that can be found (`shared.plugins`), with
    source settings its kind accepts: a typo (`promethues`) is rejected here, naming the key,
    instead of failing later when the agent is served."""
    from shared.plugins import load_kind

    for agent_id in config.scanners(enabled_only=False):
        try:
            load_kind(config.kind_of(agent_id))
            config.source_for(agent_id)
        except ConfigError as e:
            raise ConfigError(f"{source}: agents.{agent_id}: {e}") from e


def load_config(path: str | os.PathLike[str] | None = None) -> AppConfig:
    """Load and validate the config file `config_path(path)` names; every scanner's kind must be found."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{file}: cannot read: {e.strerror or e}") from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{file}: not valid YAML: {e}") from e
    config = parse_config(data, source=str(file))
    check_agent_kinds(config, source=str(file))
    return config


def config_json_schema() -> str:
    return json.dumps(AppConfig.model_json_schema(), indent=2, sort_keys=True)
