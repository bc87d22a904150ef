"""The EKS scanner's `run()` against the sandbox's fake Kubernetes API (uvicorn on loopback, the
official client on the wire), for every scenario whose decisive evidence is in the cluster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eks_builders import SCENARIOS
from test_eks_scenarios import context_of

from agents.common.base import Budget
from agents.eks.agent import EksScanner
from sandbox import http, kube
from sandbox.scenario import load_scenario
from shared.config import load_config
from shared.contracts import AgentStatus, CauseCategory

pytestmark = pytest.mark.functional


# Where the cluster holds the evidence about the alert's own workload. When the cause is a failing
# dependency (one hop or several), the cluster's evidence is the dependency's own failure, found in
# the master's later rounds.
CLUSTER_SCENARIOS = [
    p
    for p in sorted(SCENARIOS.glob("*.yaml"))
    if "eks" in load_scenario(p).expected.evidence_from
    and load_scenario(p).expected.category is not CauseCategory.DEPENDENCY_FAILURE
    and "multi-hop" not in load_scenario(p).tags
]
TOKEN = "functional-test-token"


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[Any, str]]:
    api = kube.FakeKubeApi(token=TOKEN)
    served = http.ServedApp(api.app, name="fake-kube")
    url = served.start()
    try:
        yield api, url
    finally:
        served.stop()


@pytest.mark.parametrize("path", CLUSTER_SCENARIOS, ids=[p.stem for p in CLUSTER_SCENARIOS])
def test_scanner_finds_the_expected_cause_over_the_fake_api(
    path: Path, fake: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, url = fake
    resolved = load_scenario(path).resolve()
    api.load(list(resolved.kube_objects), dict(resolved.pod_logs))
    monkeypatch.setenv("KUBERNETES_BASE_URL", url)
    monkeypatch.setenv("KUBERNETES_TOKEN", TOKEN)
    result = EksScanner(load_config(), "eks").run(context_of(resolved), Budget.of(20))
    assert result.status is AgentStatus.OK, result.errors
    hinted = [f for f in result.findings if f.cause_hint is not None]
    best = max(hinted, key=lambda f: (f.severity.rank * f.relevance, f.relevance))
    assert best.cause_hint is resolved.expected.category, best.title
