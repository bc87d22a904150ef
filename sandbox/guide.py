"""What `sandbox up` says once everything runs: which scenario it loaded, where each part listens,
and a command to poke each one (no secret is printed: the intake's webhooks are signed, so the
examples go in through Alertmanager, the agents and the sources, which take no credentials here,
or say where the credential is)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from sandbox.resolved import ResolvedScenario
from sandbox.scenario import Scenario

DEFAULT_STATE = Path("build/sandbox.json")
_MENTION = re.compile(r"<@[A-Za-z0-9]+>")
WEBHOOKS = "/slack/events, /slack/interactions, /discord/interactions, /alertmanager (signed or with a token)"


def _alert_text(resolved: ResolvedScenario) -> str:
    """The scenario's alert as one line a person would paste into `investigate --text`."""
    alert = resolved.alert
    if alert.text:
        words = _MENTION.sub("", alert.text).split()
        line = " ".join(words)
        return line if len(line) <= 160 else line[:160].rsplit(" ", 1)[0]
    first = alert.alerts[0] if alert.alerts else None
    if first is None:
        return "alert"
    labels = " ".join(f"{k}={v}" for k, v in first.labels.items() if k != "alertname")
    return f"[FIRING:{len(alert.alerts)}] {first.labels.get('alertname', '')} {labels}".strip()


def _alert_labels(resolved: ResolvedScenario | None) -> dict[str, str]:
    if resolved is not None and resolved.alert.alerts:
        return dict(resolved.alert.alerts[0].labels)
    return {"alertname": "SandboxTest", "severity": "warning"}


def _first_metric(resolved: ResolvedScenario | None) -> str:
    series = resolved.prometheus.series if resolved and resolved.prometheus else ()
    return series[0].name if series else "up"


def guide(
    info: dict[str, Any],
    *,
    scenario: Scenario | None,
    resolved: ResolvedScenario | None,
    state: Path | None,
    region: str,
) -> str:
    """The lines `sandbox up` prints, from `Sandbox.describe()` (`info`). Without a `state` file
    (`demo --keep`), `investigate` cannot find the sandbox: its example is left out."""
    lines: list[str] = []
    if scenario is not None and resolved is not None:
        where = scenario.path or scenario.id
        lines.append(f"scenario loaded: {scenario.id}: {scenario.title} ({where})")
        lines.append(
            f"  its alert: {resolved.alert.platform} in channel {resolved.alert.channel}; "
            f"expected cause: {scenario.expected.category.value}"
        )
    else:
        lines.append("no scenario loaded (--scenario FILE loads one): every source is empty")
    lines.append(f"sandbox up in {info.get('start_seconds', 0):.1f}s; where everything runs:")
    intake = info.get("intake") or ""
    lines.append(f"  intake        {intake}  (webhooks {WEBHOOKS}; GET {intake}/healthz)")
    agents = info.get("agents") or {}
    width = max((len(name) for name in agents), default=0)
    for name, url in agents.items():
        lines.append(
            f"  agent {name:<{width}}  {url}  (A2A; GET {url}/ping, {url}/.well-known/agent-card.json)"
        )
    prometheus = info.get("prometheus")
    if prometheus:
        lines.append(f"  prometheus    {prometheus}")
    alertmanager = info.get("alertmanager")
    if alertmanager:
        lines.append(f"  alertmanager  {alertmanager}  (its webhook: the intake's /alertmanager)")
    moto = info.get("moto") or ""
    lines.append(
        f"  moto (AWS)    {moto}  (CloudWatch Logs, DynamoDB, S3, Secrets Manager; credentials: testing)"
    )
    stand_ins = info.get("stand_ins") or {}
    for name, url in stand_ins.items():
        note = "  (the bearer token is in the sandbox's Secrets Manager)" if name == "kubernetes" else ""
        lines.append(f"  {name:<13} {url}{note}")
    logs = Path(str(info.get("workdir", ""))) / "logs"
    lines.append(f"  state file    {state}; agent logs: {logs}" if state else f"  agent logs    {logs}")

    lines.append("\ntry:")
    text = _alert_text(resolved) if resolved is not None else "[FIRING:1] KubePodCrashLooping shop checkout"
    channel = resolved.alert.channel if resolved is not None else "C0ALERTS"
    if state is not None:
        flag = "" if state == DEFAULT_STATE else f" --sandbox {shlex.quote(str(state))}"
        lines.append("  # an investigation through the master and every scanner, the report printed here:")
        lines.append(
            f"  sre-on-call investigate{flag} --channel {shlex.quote(channel)} --no-post "
            f"--text {shlex.quote(text)}"
        )
    if alertmanager:
        body = json.dumps(
            [{"labels": _alert_labels(resolved), "annotations": {"summary": "from sandbox up"}}]
        )
        lines.append(
            "  # an alert into Alertmanager: it notifies the intake, the report goes to the chat stand-in"
        )
        lines.append(
            f"  curl -s -XPOST {alertmanager}/api/v2/alerts -H 'content-type: application/json' "
            f"-d {shlex.quote(body)}"
        )
        lines.append(f"  curl -s {alertmanager}/api/v2/silences   # what the report's Silence button created")
    if prometheus:
        lines.append(f"  curl -s '{prometheus}/api/v1/query?query={_first_metric(resolved)}'")
    if moto:
        lines.append(
            f"  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url {moto} "
            f"--region {resolved.region if resolved else region} logs describe-log-groups"
        )
    if info.get("agents"):
        first = next(iter(info["agents"].values()))
        lines.append(f"  curl -s {first}/.well-known/agent-card.json")
    lines.append("\nCtrl-C or `sre-on-call sandbox down` stops it")
    return "\n".join(lines) + "\n"
