"""Deployment artefacts: the agent Dockerfile, the Slack manifest, Discord commands, secret hydration."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import hydrate_secrets  # noqa: E402
import register_discord_commands as discord_cmds  # noqa: E402

from lambda_adapter.core import ROUTES  # noqa: E402

# Bot scopes each Slack Web API method needs, from its page on docs.slack.dev (Required scopes) for
# the conversation types sre-on-call works in: public and private channels (no DMs).
SLACK_METHOD_SCOPES = {
    "chat.postMessage": {"chat:write"},
    "chat.getPermalink": set(),  # no scope required
    "conversations.history": {"channels:history", "groups:history"},
    "conversations.replies": {"channels:history", "groups:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.list": {"channels:read", "groups:read"},  # types=public_channel,private_channel
    "users.info": {"users:read"},
    "files.upload_v2": {"files:write"},  # the graph of what moved
    "usergroups.users_list": {"usergroups:read"},  # who may silence (intake.actions.allowed_groups)
}
# Bot scopes each Events API subscription needs (docs.slack.dev, Events reference).
SLACK_EVENT_SCOPES = {
    "app_mention": {"app_mentions:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
    "reaction_added": {"reactions:read"},
}
# Python packages whose code runs deployed (the sandbox's fakes serve the API, they do not call it).
DEPLOYED_CODE = ("shared", "agents", "lambda_adapter", "scripts")


def final_stage(dockerfile: str) -> list[str]:
    lines = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM"))
    return lines[last_from:]


def test_dockerfile_runs_any_agent_as_non_root_arm64_with_a_ping_healthcheck() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    stage = final_stage(text)
    assert "--platform=linux/arm64" in stage[0]
    users = [line.split()[1] for line in stage if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")
    health = " ".join(line for line in text.splitlines() if "HEALTHCHECK" in line or "CMD [" in line)
    assert "HEALTHCHECK" in health and re.search(r"127\.0\.0\.1:9000/ping", text)
    cmd = next(line for line in reversed(stage) if line.startswith("CMD "))
    assert "python -m agents.serve" in cmd and '"$AGENT_ID"' in cmd
    assert "--host 0.0.0.0" in cmd and "--port 9000" in cmd
    assert any(line.startswith("ARG AGENT_ID") for line in stage)


def slack_manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "deploy" / "slack-app-manifest.yaml").read_text(encoding="utf-8"))


def slack_methods_called() -> set[str]:
    """Every Slack Web API method the deployed code calls through slack_sdk's WebClient
    (`client.conversations_info` is `conversations.info`)."""
    methods: set[str] = set()
    for package in DEPLOYED_CODE:
        for path in (ROOT / package).rglob("*.py"):
            if "tests" in path.parts or "sandbox" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if "WebClient" not in text:
                continue
            for family, name in re.findall(r"client\.([a-z]+)_([A-Za-z]+(?:_[a-z0-9]+)*)\b", text):
                methods.add(f"{family}.{name}")
    return methods


def test_every_slack_method_the_code_calls_has_its_scopes_known() -> None:
    called = slack_methods_called()
    # The scan found the calls (a refactor that hides them would make this test vacuous).
    assert {"chat.postMessage", "conversations.history", "conversations.info"} <= called
    unknown = called - set(SLACK_METHOD_SCOPES)
    assert not unknown, f"add the required scopes of {sorted(unknown)} from docs.slack.dev"


def test_slack_manifest_grants_exactly_the_scopes_the_code_and_events_need() -> None:
    manifest = slack_manifest()
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    needed = set().union(*(SLACK_METHOD_SCOPES[m] for m in slack_methods_called()))
    needed |= set().union(
        *(SLACK_EVENT_SCOPES[e] for e in manifest["settings"]["event_subscriptions"]["bot_events"])
    )
    if manifest["features"].get("slash_commands"):
        needed.add("commands")
    assert sorted(scopes) == sorted(needed)  # no scope missing, none extra, none twice
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_every_slack_scope_in_the_manifest_says_why() -> None:
    lines = (ROOT / "deploy" / "slack-app-manifest.yaml").read_text(encoding="utf-8").splitlines()
    scopes = set(slack_manifest()["oauth_config"]["scopes"]["bot"])
    for i, line in enumerate(lines):
        if line.strip().startswith("- ") and line.strip()[2:] in scopes:
            assert lines[i - 1].strip().startswith("#"), f"scope {line.strip()} has no reason"


def test_slack_manifest_urls_and_events_reach_the_intake_routes() -> None:
    manifest = slack_manifest()
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/sre-snapshot"
    events = manifest["settings"]["event_subscriptions"]
    for url in (command["url"], events["request_url"]):
        assert url.startswith("INTAKE_URL/") and url.removeprefix("INTAKE_URL") in ROUTES
    assert {"app_mention", "reaction_added"} <= set(events["bot_events"])


def test_discord_dry_run_prints_the_three_commands_and_sends_nothing() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "register_discord_commands.py"),
            "--app-id",
            "42",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    first, _, body = done.stdout.partition("\n")
    assert first == "PUT https://discord.com/api/v10/applications/42/commands"
    commands = json.loads(body)
    assert {(c["type"], c["name"]) for c in commands} == {
        (1, "sre-snapshot"),
        (1, "investigate"),
        (3, "Investigate"),
    }
    message = next(c for c in commands if c["type"] == 3)
    assert "description" not in message  # Discord rejects a description on message commands


def test_discord_register_puts_the_set_with_the_bot_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=json.loads(request.content))

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        response = discord_cmds.register("42", "7", "bot-token-value", client)
    assert response.status_code == 200
    (request,) = seen
    assert request.method == "PUT"
    assert str(request.url) == "https://discord.com/api/v10/applications/42/guilds/7/commands"
    assert request.headers["authorization"] == "Bot bot-token-value"
    assert json.loads(request.content) == discord_cmds.commands()


def test_discord_register_without_a_token_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert discord_cmds.main(["--app-id", "42"]) == 2


class FakeSecrets:
    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []

    def put_secret_value(self, **kwargs: str) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"ARN": kwargs["SecretId"]}


def test_hydrate_stores_values_from_stdin_without_printing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arns = {"SLACK_BOT_TOKEN": "arn:secret:bot", "SLACK_SIGNING_SECRET": "arn:secret:sign"}
    arns_file = tmp_path / "arns.json"
    arns_file.write_text(json.dumps({"sensitive": False, "type": "map", "value": arns}), encoding="utf-8")
    fake = FakeSecrets()
    import boto3

    monkeypatch.setattr(boto3, "client", lambda *a, **k: fake)
    monkeypatch.setattr(sys, "stdin", iter(["# comment\n", "SLACK_BOT_TOKEN=xoxb-s3cr3t=value\n", "\n"]))
    assert hydrate_secrets.main(["--arns", str(arns_file), "--stdin"]) == 0
    assert fake.calls == [{"SecretId": "arn:secret:bot", "SecretString": "xoxb-s3cr3t=value"}]
    out = capsys.readouterr()
    assert "s3cr3t" not in out.out + out.err
    assert "stored  SLACK_BOT_TOKEN" in out.out and "skipped SLACK_SIGNING_SECRET" in out.out


BUILD_IMAGES = ROOT / "scripts" / "build_images.sh"


def test_build_images_script_parses_and_builds_the_one_dockerfile_for_arm64() -> None:
    subprocess.run(["bash", "-n", str(BUILD_IMAGES)], check=True, timeout=30)
    text = BUILD_IMAGES.read_text(encoding="utf-8")
    assert "--platform linux/arm64" in text
    assert set(re.findall(r"-f\s+(\S+)", text)) == {'"$ROOT/deploy/Dockerfile"'}
    dockerfiles = [p.relative_to(ROOT) for p in ROOT.glob("**/Dockerfile*")]
    ours = [p.as_posix() for p in dockerfiles if not any(s.startswith(".") or s == "build" for s in p.parts)]
    assert ours == ["deploy/Dockerfile"]


def test_build_images_builds_each_enabled_agent_once(tmp_path: Path) -> None:
    """--no-push with a stand-in `docker` that records its arguments: no daemon, no AWS."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n', encoding="utf-8")
    fake.chmod(0o755)
    done = subprocess.run(
        ["bash", str(BUILD_IMAGES), "abc123", "--no-push", "--prefix", "team-sre"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{fake.parent}:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(tmp_path)},
        check=True,
    )
    builds = calls.read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    enabled = [aid for aid, agent in config["agents"].items() if agent.get("enabled", True)]
    assert [re.search(r"AGENT_ID=(\S+)", b).group(1) for b in builds] == enabled  # type: ignore[union-attr]
    for build, agent_id in zip(builds, enabled, strict=True):
        assert build.startswith("buildx build --platform linux/arm64 ")
        assert f"-t local/team-sre/{agent_id}:abc123 --load" in build
    assert f"built {len(enabled)} images with tag abc123" in done.stdout


def test_build_images_refuses_the_latest_tag() -> None:
    done = subprocess.run(
        ["bash", str(BUILD_IMAGES), "latest", "--no-push"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and "immutable" in done.stderr


def test_makefile_pins_checkov() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (version,) = re.findall(r"^CHECKOV_VERSION := (\S+)$", makefile, flags=re.M)
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert "pip install -q checkov==$(CHECKOV_VERSION)" in makefile


def test_build_images_bakes_in_and_lists_agents_from_the_config_it_is_given(tmp_path: Path) -> None:
    """The same file as Terraform's config_path: its enabled agents, and it is the image's config."""
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n', encoding="utf-8")
    fake.chmod(0o755)
    mine = tmp_path / "team" / "team-config.yaml"
    mine.parent.mkdir()
    mine.write_text(
        "agents:\n  master: {port: 9100}\n  prometheus: {port: 9106}\n  eks: {port: 9104, enabled: false}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["bash", str(BUILD_IMAGES), "abc123", "--no-push", "--config", str(mine)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": f"{fake.parent}:/usr/bin:/bin", "PYTHON": sys.executable, "HOME": str(tmp_path)},
        check=True,
    )
    builds = calls.read_text(encoding="utf-8").splitlines()
    assert [re.search(r"AGENT_ID=(\S+)", b).group(1) for b in builds] == ["master", "prometheus"]  # type: ignore[union-attr]
    assert all(
        f"--build-context sreconfig={mine.parent}" in b and "CONFIG_FILE=team-config.yaml" in b
        for b in builds
    )
    assert str(mine) in done.stdout
    missing = subprocess.run(
        ["bash", str(BUILD_IMAGES), "abc123", "--no-push", "--config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 2 and "no config file" in missing.stderr


def test_the_dockerfile_takes_its_config_from_the_stage_build_images_replaces() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM scratch AS sreconfig\nCOPY config.yaml /config.yaml" in text  # the default: the repository's
    assert (
        "ARG CONFIG_FILE=config.yaml\nCOPY --from=sreconfig --chown=agent:agent /${CONFIG_FILE} ./config.yaml"
        in text
    )
    assert "COPY --chown=agent:agent config.yaml" not in text


def test_the_tfvars_example_for_amazon_managed_prometheus_signs_its_queries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The example points PROMETHEUS_URL at an AMP workspace; the config it shows for that is
    valid and makes every query SigV4-signed."""
    from agents.prometheus.client import client_from_env
    from shared.config import AppConfig

    text = (ROOT / "examples" / "complete" / "terraform.tfvars.example").read_text(encoding="utf-8")
    url = re.search(
        r'PROMETHEUS_URL\s*=\s*"(https://aps-workspaces\.[a-z0-9-]+\.amazonaws\.com/workspaces/[^"]+)"', text
    )
    assert url is not None
    lines = text.splitlines()
    block = []
    for line in lines[lines.index("#   sources:") :]:
        if not line.startswith("#   "):
            break
        block.append(line[4:])
    snippet = yaml.safe_load("\n".join(block))
    shipped = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    shipped["sources"]["prometheus"] = {
        **shipped["sources"].get("prometheus", {}),
        **snippet["sources"]["prometheus"],
    }
    prometheus = AppConfig.model_validate(shipped).sources.prometheus
    assert prometheus.amp_region == "us-east-1"

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": []}})

    client = client_from_env(
        prometheus, {"PROMETHEUS_URL": url.group(1)}, transport=httpx.MockTransport(answer)
    )
    client.query("up")
    [request] = seen
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert "/us-east-1/aps/aws4_request" in request.headers["authorization"]
