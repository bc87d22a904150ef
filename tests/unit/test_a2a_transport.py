"""Which transport the master uses to reach each agent: `$SRE_AGENT_URLS` first, then the runtime
ARN in the env var config names, then the local port; a malformed ARN is a clear config error."""

from __future__ import annotations

import json

import pytest

from shared.a2a.client import AgentCoreTransport, HttpTransport, client_from_config, transport_for
from shared.config import load_config
from shared.errors import ConfigError

CONFIG = load_config()
ARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:runtime/sre_eks-AbC123xyz"


def test_with_nothing_in_the_env_each_agent_is_reached_on_its_local_port() -> None:
    client = client_from_config(CONFIG, {})
    for agent_id, agent in CONFIG.agents.items():
        transport = client.transports[agent_id]
        assert isinstance(transport, HttpTransport)
        assert transport.base_url == f"http://127.0.0.1:{agent.port}"


def test_a_runtime_arn_in_the_agents_variable_selects_agentcore_in_the_arns_region() -> None:
    env = {CONFIG.agents["eks"].runtime_arn_env: ARN, "SRE_AGENTCORE_ENDPOINT_URL": "http://127.0.0.1:9"}
    transport = transport_for(CONFIG, "eks", env)
    assert isinstance(transport, AgentCoreTransport)
    assert (transport.runtime_arn, transport.region, transport.endpoint_url) == (
        ARN,
        "eu-west-1",
        "http://127.0.0.1:9",
    )
    assert isinstance(transport_for(CONFIG, "prometheus", env), HttpTransport)  # only eks has an ARN


def test_an_agent_url_override_wins_over_the_arn_and_the_port() -> None:
    env = {
        "SRE_AGENT_URLS": json.dumps({"eks": "http://10.0.0.5:9000/"}),
        CONFIG.agents["eks"].runtime_arn_env: ARN,
    }
    transport = transport_for(CONFIG, "eks", env)
    assert isinstance(transport, HttpTransport) and transport.base_url == "http://10.0.0.5:9000"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:bedrock-agentcore",  # cut short: used to crash with IndexError
        "runtime/sre_eks-AbC123xyz",
        "arn:aws:bedrock-agentcore::123456789012:runtime/sre_eks",  # no region
        "arn:aws:bedrock:us-east-1:123456789012:runtime/sre_eks",  # another service
        "arn:aws:bedrock-agentcore:us-east-1:1234:runtime/sre_eks",  # not an account id
        "arn:aws:bedrock-agentcore:us-east-1:123456789012:agent/sre_eks",
    ],
)
def test_a_malformed_runtime_arn_is_a_config_error_naming_the_variable(arn: str) -> None:
    variable = CONFIG.agents["eks"].runtime_arn_env
    with pytest.raises(ConfigError, match=rf"{variable}: .* is not an AgentCore runtime ARN"):
        client_from_config(CONFIG, {variable: arn})


@pytest.mark.parametrize("urls", ["{not json", '["http://x"]', '{"eks": 9000}'])
def test_a_malformed_agent_url_override_is_a_config_error(urls: str) -> None:
    with pytest.raises(ConfigError, match="SRE_AGENT_URLS"):
        transport_for(CONFIG, "eks", {"SRE_AGENT_URLS": urls})


def test_other_aws_partitions_are_accepted() -> None:
    arn = "arn:aws-us-gov:bedrock-agentcore:us-gov-west-1:123456789012:runtime/sre_eks-1"
    transport = transport_for(CONFIG, "eks", {CONFIG.agents["eks"].runtime_arn_env: arn})
    assert isinstance(transport, AgentCoreTransport) and transport.region == "us-gov-west-1"
