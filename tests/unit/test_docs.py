"""The docs that would fail as written otherwise: the generated cause vocabulary is current, the
Alertmanager receiver snippet passes `amtool check-config` and its URL starts an investigation in
the channel it names, and the shipped config carries the settings the docs tell people to set."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from lambda_adapter.core import route_path
from sandbox.intake_fakes import Harness
from shared.config import load_config
from shared.contracts import CauseCategory, Trigger

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EVENTS = ROOT / "tests" / "events"


def gen_docs() -> object:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_generated_vocabulary_in_docs_is_current_and_complete() -> None:
    module = gen_docs()
    assert module.main(["--check"]) == 0, "run python scripts/gen_docs.py"  # type: ignore[attr-defined]
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    for category in CauseCategory:
        assert f"| `{category.value}` |" in text
    for trigger in Trigger:
        assert f"| `{trigger.value}` |" in text


def test_a_stale_table_is_caught() -> None:
    module = gen_docs()
    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    stale = text.replace("| `oom` | Memory exhausted |", "| `oom` | Out of memory |")
    assert module.render(stale) == text  # type: ignore[attr-defined]
    assert stale != text


def receiver_snippet() -> str:
    text = (DOCS / "setup.md").read_text(encoding="utf-8")
    after = text.split("<!-- alertmanager-receiver -->", 1)[1]
    return after.split("```yaml\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(
    shutil.which("amtool") is None, reason="amtool (prometheus-alertmanager) is not installed"
)
def test_the_alertmanager_receiver_snippet_is_a_valid_config(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(receiver_snippet().replace("INTAKE_URL", "https://intake.example"), encoding="utf-8")
    done = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_receiver_url_starts_an_investigation_in_the_channel_it_names() -> None:
    config = yaml.safe_load(receiver_snippet().replace("INTAKE_URL", "https://intake.example"))
    [receiver] = [r for r in config["receivers"] if r["name"] == config["route"]["receiver"]]
    [webhook] = receiver["webhook_configs"]
    url = urlsplit(webhook["url"])
    assert route_path(url.path) == "/alertmanager"
    assert webhook["http_config"]["authorization"]["type"] == "Bearer"
    h = Harness()
    answer = h.alertmanager(
        json.loads((EVENTS / "alertmanager_firing.json").read_text()), dict(parse_qsl(url.query))
    )
    assert answer.status == 200
    [ctx] = h.started
    assert ctx.channel == dict(parse_qsl(url.query))["channel"]


def test_the_shipped_config_names_what_the_docs_tell_people_to_set() -> None:
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    assert "alertmanager_channel" in raw["intake"]
    assert {"key_env", "allowed_groups", "allowed_users", "alertmanager_url_env"} <= set(
        raw["intake"]["actions"]
    )
    config = load_config(ROOT / "config.yaml")
    setup = (DOCS / "setup.md").read_text(encoding="utf-8")
    for name in (config.intake.actions.key_env, config.intake.alertmanager_token_env, "/slack/interactions"):
        assert name in setup


def test_the_grafana_provisioning_example_parses() -> None:
    text = (DOCS / "setup.md").read_text(encoding="utf-8").split("## Grafana contact point", 1)[1]
    provisioning = yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    [point] = provisioning["contactPoints"]
    assert point["receivers"][0]["type"] == "slack" and point["receivers"][0]["settings"]["recipient"]
