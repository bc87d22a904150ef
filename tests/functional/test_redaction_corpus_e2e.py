"""The redaction corpus end to end: 45 kinds of secret (fake values with the real shapes: our own
corpus and the kinds only the maintained rule set knows) planted in an incident's CloudWatch logs,
its crash-looping pod's log and its alert channel, played through the whole sandbox (signed webhook,
intake, master, scanners over A2A, the report posted, archived to S3) with every process logging at
DEBUG. Not one secret may be in the posted messages, the archived report, the eval's JSON row, the
agents' logs or the intake's."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from sandbox.evaluate import play_one
from sandbox.scenario import parse_scenario
from sandbox.stack import Sandbox, with_scenario_channels
from shared.config import load_config
from shared.logsetup import install_scrubber
from tests.unit.test_redact_corpus import CORPUS, _secret
from tests.unit.test_redact_rules import LIBRARY_ONLY
from tests.unit.test_redact_rules import _secret as _library_secret

pytestmark = [pytest.mark.functional, pytest.mark.slow]

SECRETS = {**{k: (v, _secret(v)) for k, v in CORPUS.items()}}
SECRETS.update({k: (v, _library_secret(v)) for k, v in LIBRARY_ONLY.items()})
POD = "payments-api-7c9d8b6f5-q2w4e"


def scenario(values: list[str]) -> dict[str, Any]:
    log_events = [
        {"at": f"now-{30 - i % 25}m", "message": f"ERROR charge failed: upstream rejected {v} (401)"}
        for i, v in enumerate(values)
    ]
    pod_log = "\n".join(
        f"2026-11-22T21:36:{i % 60:02d}Z ERROR payment provider auth failed with {v}: 401 Unauthorized"
        for i, v in enumerate(values)
    )
    chat = [
        {"at": f"now-{40 - i % 30}m", "user": "U0OPS", "text": f"rotated the payments key, now {v}"}
        for i, v in enumerate(values)
    ]
    return {
        "id": "redaction-corpus",
        "title": "payments-api crashloops on 401s from its provider, with credentials all over",
        "alert": {
            "platform": "slack",
            "channel": "C0ALERTS",
            "at": "now-2m",
            "text": "<@U0SREBOT> KubePodCrashLooping payments/payments-api: 401 from the payment provider",
        },
        "context": {"cluster": "prod-eks", "region": "us-east-1"},
        "sources": {
            "slack": {"channels": [{"id": "C0ALERTS", "name": "alerts-prod", "messages": chat}]},
            "cloudwatch_logs": {
                "log_groups": [
                    {
                        "name": "/aws/containerinsights/prod-eks/application",
                        "streams": [{"name": POD, "events": log_events}],
                    }
                ]
            },
            "kubernetes": {
                "objects": [
                    {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "metadata": {
                            "name": POD,
                            "namespace": "payments",
                            "creationTimestamp": "now-40m",
                            "labels": {"app": "payments-api"},
                        },
                        "spec": {"containers": [{"name": "api", "image": "payments-api:v3.2.0"}]},
                        "status": {
                            "phase": "Running",
                            "containerStatuses": [
                                {
                                    "name": "api",
                                    "ready": False,
                                    "restartCount": 6,
                                    "image": "payments-api:v3.2.0",
                                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                                    "lastState": {"terminated": {"reason": "Error", "exitCode": 1}},
                                }
                            ],
                        },
                    }
                ],
                "pod_logs": {f"payments/{POD}/api": pod_log, f"payments/{POD}/api/previous": pod_log},
            },
        },
        "expected": {"category": "dependency_failure"},
    }


def test_no_planted_secret_leaves_any_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(SECRETS) >= 30
    monkeypatch.setenv("SRE_LOG_LEVEL", "DEBUG")  # the agents' processes log at DEBUG
    intake_log = io.StringIO()
    handler = logging.StreamHandler(intake_log)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_scrubber(load_config())  # as the intake's process does, on every handler
    try:
        played = parse_scenario(scenario([value for value, _secret in SECRETS.values()]))
        config = with_scenario_channels(load_config(), [played])
        with Sandbox(config, workdir=tmp_path / "sandbox") as sandbox:
            row = play_one(sandbox, played)
            posts = [
                json.dumps({"text": p.text, "blocks": p.blocks, "embeds": p.embeds})
                for p in [*sandbox.slack.posts, *sandbox.discord.posts]
            ]
            archived = [sandbox.archived_report(key).model_dump_json() for key in sandbox.archived_reports()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    logs = (tmp_path / "sandbox" / "logs").glob("*.log")
    agent_logs = {p.name: p.read_text(errors="replace") for p in logs}

    assert row["report"], row  # the investigation ran and reported
    assert archived and posts
    assert any("[REDACTED]" in post for post in posts)  # secrets reached the report, masked
    assert any("DEBUG" in text for text in agent_logs.values())  # the agents did log at DEBUG
    outputs = {
        "posts": "\n".join(posts),
        "archive": "\n".join(archived),
        "eval json": json.dumps(row),
        "intake log": intake_log.getvalue(),
        **{f"log {name}": text for name, text in agent_logs.items()},
    }
    leaks = [
        f"{kind} in {where}"
        for kind, (_value, secret) in SECRETS.items()
        for where, text in outputs.items()
        if secret in text
    ]
    assert leaks == []
