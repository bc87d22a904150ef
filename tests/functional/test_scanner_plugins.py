"""A scanner kind that lives outside this repository: declared in a folder of its own, found through
the `sre_on_call.scanners` entry point, named by one config entry, served over A2A on loopback, and
cited by the master's report. The same kind runs as two instances with different sources."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from agents.master.orchestrator import Investigator
from agents.serve import build_app_for
from lambda_adapter.server import ThreadedServer
from sandbox.intake_fakes import MemoryChat
from shared.a2a import A2AClient, HttpTransport
from shared.config import AppConfig, load_config
from shared.plugins import load_kind
from tests.support.scripted_agents import alert

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]

KIND = """
from pydantic import BaseModel, ConfigDict

from shared.plugins import IamStatement, ScannerKind


class StatusPageSource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    vendor: str
    incident: str = ""
    api_key_env: str = "STATUSPAGE_API_KEY"


KIND = ScannerKind(
    name="statuspage",
    build="statuspage_kind.scanner:build",
    description="Reads a vendor's status page for open incidents.",
    source=StatusPageSource,
    secret_fields=("api_key_env",),
    iam=(IamStatement(sid="None", actions=("sts:GetCallerIdentity",)),),
)
"""

SCANNER = """
from agents.common.base import Scanner, ScanOutcome
from shared.contracts import CauseCategory, Finding, Severity


class StatusPageScanner(Scanner):
    def collect(self, ctx, budget):
        source = self.config.source_for(self.agent_id)
        if not source.incident:
            return ScanOutcome(notes=[f"{source.vendor}: all systems operational"])
        finding = Finding(
            id=f"{self.agent_id}:incident",
            agent=self.agent_id,
            severity=Severity.CRITICAL,
            title=f"{source.vendor} status page: {source.incident}",
            cause_hint=CauseCategory.DEPENDENCY_FAILURE,
            relevance=0.95,
        )
        return ScanOutcome(findings=[finding])


def build(config, agent_id):
    return StatusPageScanner(config, agent_id)
"""


@pytest.fixture
def outside_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The kind as an installed distribution would leave it: a package and its entry point, in a
    folder outside the repository that is only on sys.path."""
    site = tmp_path / "site"
    package = site / "statuspage_kind"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "kind.py").write_text(textwrap.dedent(KIND))
    (package / "scanner.py").write_text(textwrap.dedent(SCANNER))
    info = site / "statuspage_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: statuspage-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[sre_on_call.scanners]\nstatuspage = statuspage_kind.kind:KIND\n")
    monkeypatch.syspath_prepend(str(site))
    load_kind.cache_clear()
    yield site
    load_kind.cache_clear()


def config_with(tmp_path: Path, instances: dict[str, dict[str, str]]) -> AppConfig:
    """The shipped config.yaml with its scanners replaced by `instances` of the outside kind."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["agents"] = {k: v for k, v in data["agents"].items() if v.get("role") == "master"}
    for offset, (agent_id, source) in enumerate(instances.items()):
        data["agents"][agent_id] = {
            "kind": "statuspage",
            "port": 19300 + offset,
            "runtime_arn_env": f"SRE_{agent_id.upper()}_RUNTIME_ARN",
            "source": source,
        }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path)


@contextmanager
def served(config: AppConfig) -> Iterator[A2AClient]:
    with ExitStack() as stack:
        transports = {}
        for agent_id in config.scanners():
            server = ThreadedServer(build_app_for(config, agent_id)).start()
            stack.callback(server.stop)
            transports[agent_id] = HttpTransport(server.url)
        yield A2AClient(transports)


async def test_a_kind_from_outside_the_repository_is_served_and_cited(
    outside_kind: Path, tmp_path: Path
) -> None:
    config = config_with(
        tmp_path, {"payments_vendor": {"vendor": "Stripe", "incident": "elevated API errors"}}
    )
    chat = MemoryChat("slack")
    with served(config) as client:
        report = await Investigator(config=config, client=client, chat_for=lambda _n: chat).investigate(
            alert()
        )

    assert "payments_vendor:incident" in report.cause.evidence
    assert "Stripe status page: elevated API errors" in report.posted_text
    assert {run.name: run.status.value for run in report.agents} == {"payments_vendor": "ok"}


async def test_one_kind_runs_as_two_instances_with_their_own_sources(
    outside_kind: Path, tmp_path: Path
) -> None:
    config = config_with(
        tmp_path,
        {
            "vendor_prod": {"vendor": "Stripe", "incident": "elevated API errors"},
            "vendor_staging": {"vendor": "Twilio", "api_key_env": "TWILIO_STATUS_KEY"},
        },
    )
    chat = MemoryChat("slack")
    with served(config) as client:
        report = await Investigator(config=config, client=client, chat_for=lambda _n: chat).investigate(
            alert()
        )

    titles = [finding.title for finding in report.findings]
    assert titles == ["Stripe status page: elevated API errors"]  # staging's Twilio page is quiet
    assert {run.name: run.status.value for run in report.agents} == {
        "vendor_prod": "ok",
        "vendor_staging": "no_data",
    }


def test_the_instances_secrets_are_loaded_and_scrubbed(outside_kind: Path, tmp_path: Path) -> None:
    from shared.secrets import secret_env_names

    config = config_with(
        tmp_path,
        {
            "vendor_prod": {"vendor": "Stripe"},
            "vendor_staging": {"vendor": "Twilio", "api_key_env": "TWILIO_KEY"},
        },
    )
    assert {"STATUSPAGE_API_KEY", "TWILIO_KEY"} <= set(secret_env_names(config))


def test_a_source_the_kind_refuses_is_a_config_error_naming_the_agent(
    outside_kind: Path, tmp_path: Path
) -> None:
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match=r"agents\.vendor_prod: .*vendor"):
        config_with(tmp_path, {"vendor_prod": {"incident": "no vendor given"}})
