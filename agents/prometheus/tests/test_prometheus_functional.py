"""The Prometheus scanner against the real Prometheus server: every project scenario with series is
backfilled with promtool and served on loopback, and the scanner must find its decisive evidence
(the expected cause hint, on a relevant finding with its PromQL and graph link) and keep decoys out.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.common.base import Budget
from agents.prometheus.agent import PrometheusScanner
from agents.prometheus.client import PrometheusClient
from sandbox.alert_context import alert_context_of
from sandbox.prometheus import PrometheusSandbox
from sandbox.resolved import ResolvedScenario
from sandbox.scenario import load_scenario
from shared.config import load_config
from shared.contracts import AgentStatus, CauseCategory, Finding

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="the prometheus package is not installed"),
]

SCENARIOS = Path(__file__).resolve().parents[3] / "examples" / "scenarios"
WITH_SERIES = sorted(p for p in SCENARIOS.glob("*.yaml") if load_scenario(p).sources.prometheus is not None)
# Words no relevant Prometheus finding of the scenario may carry: its decoys.
DECOYS = {
    "cpu-throttling": "frontend",
    "disk-filling-volume": "data-redis-0",
    "memory-leak-no-deploy": "ledger-api",
    "alertmanager-latency-config": "checkout",
    "traffic-spike": "auth-proxy",
    "oom-after-deploy": "frontend",
}


context_of = alert_context_of


@pytest.fixture(scope="module", params=[p.stem for p in WITH_SERIES])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ResolvedScenario, str]]:
    """One real Prometheus per scenario, shared by the tests of this module."""
    resolved = load_scenario(SCENARIOS / f"{request.param}.yaml").resolve()
    with PrometheusSandbox(resolved, tmp_path_factory.mktemp(request.param)) as prometheus:
        yield resolved, prometheus.url


def scan(
    resolved: ResolvedScenario, url: str, mode: str = "investigate"
) -> tuple[AgentStatus, list[Finding]]:
    scanner = PrometheusScanner(load_config(), "prometheus", PrometheusClient(url))
    ctx = context_of(resolved)
    result = scanner.run(
        ctx if mode == "investigate" else ctx.model_copy(update={"mode": mode}), Budget.of(20)
    )
    assert not result.errors, result.errors
    return result.status, list(result.findings)


def test_the_decisive_evidence_is_found_with_promql_and_a_graph_link(
    served: tuple[ResolvedScenario, str],
) -> None:
    resolved, url = served
    status, findings = scan(resolved, url)
    expected = resolved.expected
    if "prometheus" not in expected.evidence_from:
        return  # series are context there; what matters is that nothing broke
    assert status is AgentStatus.OK
    decisive = [f for f in findings if f.cause_hint is expected.category and f.relevance >= 0.5]
    assert decisive, [(f.id, f.cause_hint, f.relevance) for f in findings]
    for finding in decisive:
        evidence = finding.evidence[0]
        assert evidence.reference and evidence.url and evidence.url.startswith(f"{url}/graph?g0.expr=")
        assert finding.first_seen is None or finding.first_seen <= resolved.now
    strongest = max(
        (f for f in findings if f.cause_hint not in (None, CauseCategory.NO_ISSUE)),
        key=lambda f: (f.severity.rank * f.relevance, f.id),
        default=None,
    )
    if expected.category is not CauseCategory.NO_ISSUE:
        assert strongest is not None and strongest.cause_hint is expected.category
    decoy = DECOYS.get(resolved.id)
    if decoy:
        assert not [f.id for f in findings if decoy in f.title + " ".join(f.resources)]


def test_the_same_data_gives_the_same_ids(served: tuple[ResolvedScenario, str]) -> None:
    resolved, url = served
    _, first = scan(resolved, url)
    _, second = scan(resolved, url)
    assert [f.id for f in first] == [f.id for f in second]


def test_a_changed_trigger_is_dated_before_the_alert(served: tuple[ResolvedScenario, str]) -> None:
    resolved, url = served
    _, findings = scan(resolved, url)
    ctx = context_of(resolved)
    for finding in findings:
        if finding.change is not None and finding.relevance >= 0.5:
            assert finding.first_seen is not None and finding.first_seen <= ctx.anchor
