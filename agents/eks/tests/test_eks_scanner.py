"""The EKS scanner end to end over HTTP with the official client: auth by base URL and token,
bounded lists, namespace discovery, log tails, RBAC refusals, the snapshot and the LLM tools."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eks_builders import SCENARIOS
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.common.scope import Scope
from agents.common.signatures import load_signatures
from agents.eks.agent import EksScanner
from agents.eks.analyzers import analyze
from agents.eks.auth import connect
from agents.eks.collect import Limits, gather
from agents.eks.reader import KubeReader
from sandbox.scenario import load_scenario
from shared.alerts.context import build_alert_context
from shared.config import load_config
from shared.contracts import AgentStatus, AlertContext, CauseCategory, Trigger
from shared.errors import SourceError

OOM = load_scenario(SCENARIOS / "oom-after-deploy.yaml").resolve(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[KubeStub]:
    with KubeStub(list(OOM.kube_objects), OOM.pod_logs, token="s3cret") as stub:
        monkeypatch.setenv("KUBERNETES_BASE_URL", stub.url)
        monkeypatch.setenv("KUBERNETES_TOKEN", "s3cret")
        yield stub


def alert(text: str, **labels: str) -> AlertContext:
    return build_alert_context(
        platform="slack",
        channel="C0",
        text=text,
        labels=labels,
        received_at=OOM.alert.at,
        cluster_default="prod-eks",
    )


def test_scan_finds_the_oom_and_the_rollout_through_the_official_client(cluster: KubeStub) -> None:
    ctx = alert(OOM.alert.text or "")
    result = EksScanner(load_config(), "eks").run(ctx, Budget.of(15))
    assert result.status is AgentStatus.OK, result.errors
    top = result.findings[0]
    assert top.cause_hint is CauseCategory.OOM and "OOMKilled" in top.title and "exit code 137" in top.title
    assert any(f.change is Trigger.DEPLOY and "v2.2.4 -> v2.3.0" in f.title for f in result.findings)
    assert any(f.id.endswith("/previous") and "OutOfMemoryError" in f.title for f in result.findings)
    assert "base URL override" in result.notes[0]
    requests = [r for r in cluster.requests if "/log" not in r and not _discovery(r)]
    # The cluster DNS, read for every alert: its kube-system objects only, pods by their labels,
    # its Corefile ConfigMap and its Service's Endpoints by name.
    dns = [r for r in requests if "/namespaces/kube-system/" in r]
    assert {r.split("?")[0].split("/namespaces/kube-system/")[1].split("/")[0] for r in dns} <= {
        "deployments",
        "services",
        "pods",
        "replicasets",
        "events",
        "configmaps",
        "endpoints",
    }
    assert all("labelSelector=" in r for r in dns if "/pods?" in r)
    # Discovery documents (`/api/v1`, `/apis/{group}/{version}`) aside, every list is capped.
    lists = [r for r in requests if r not in dns]
    assert all("limit=" in r for r in lists)
    # Namespaced kinds are listed in the alert's namespace; across namespaces only what is
    # cluster-scoped or lives elsewhere by design (Gateways, ReferenceGrants, cert-manager's
    # objects, the Nodes' events).
    elsewhere = {r.split("?")[0].rsplit("/", 1)[-1] for r in lists if "/namespaces/shop/" not in r}
    assert elsewhere == {
        "nodes",
        "namespaces",
        "persistentvolumes",
        "storageclasses",
        "volumeattachments",
        "ingressclasses",
        "validatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
        "gatewayclasses",
        "gateways",
        "referencegrants",
        "nodeclaims",
        "nodepools",
        "clusterissuers",
        "certificates",
        "certificaterequests",
        "issuers",
        "challenges",
        "orders",
        "events",
    }
    assert any("/namespaces/default/events?" in r and "involvedObject.namespace%3D" in r for r in lists)
    logs = [r for r in cluster.requests if "/log" in r]
    assert logs and all("tailLines=100" in r and "limitBytes=" in r for r in logs)


def test_namespace_is_found_from_the_pod_name_when_the_alert_has_none(cluster: KubeStub) -> None:
    ctx = alert("KubePodCrashLooping", pod="checkout-7d9f8c6b5-x2k4p")
    result = EksScanner(load_config(), "eks").run(ctx, Budget.of(15))
    assert any("Namespace shop found" in n for n in result.notes)
    assert result.findings[0].cause_hint is CauseCategory.OOM


def test_no_hint_lists_cluster_wide_without_configmaps_secrets_or_services(cluster: KubeStub) -> None:
    result = EksScanner(load_config(), "eks").run(alert("something is wrong"), Budget.of(15))
    assert result.status is AgentStatus.OK
    # Outside kube-system, where the cluster DNS's Service and Corefile (by name) are read.
    elsewhere = [r for r in cluster.requests if "/namespaces/kube-system/" not in r]
    assert not any(p in r for r in elsewhere for p in ("/secrets", "/configmaps", "/services"))
    assert not any("/configmaps?" in r or "/secrets" in r for r in cluster.requests)
    assert any(f.cause_hint is CauseCategory.OOM for f in result.findings)


def test_cluster_wide_scan_never_calls_an_unlisted_configmap_missing() -> None:
    # The ConfigMap exists, but a scan with no namespace does not list ConfigMaps or Secrets.
    scenario = load_scenario(SCENARIOS / "db-pool-exhausted.yaml").resolve()
    with KubeStub(list(scenario.kube_objects)) as stub:
        reader = KubeReader(
            connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        )
        now = scenario.alert.at
        gathered = gather(
            reader, Scope(anchor=now, window_start=now - timedelta(hours=1), window_end=now), Budget.of(10)
        )
    state = gathered.state
    assert state.namespaces is None and state.kind("Deployment")
    assert not state.complete("ConfigMap") and not state.complete("Secret") and not state.complete("Service")
    findings, _ = analyze(
        state, Scope(anchor=now, window_start=now - timedelta(hours=1), window_end=now), load_signatures()
    )
    assert not [f.title for f in findings if "does not exist" in f.title]
    assert all(f.cause_hint is not CauseCategory.BAD_CONFIG for f in findings)


def test_wrong_token_is_an_error_with_the_reason(cluster: KubeStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_TOKEN", "wrong")
    result = EksScanner(load_config(), "eks").run(alert("shop/checkout-7d9f8c6b5-x2k4p"), Budget.of(5))
    assert result.status is AgentStatus.ERROR and any("HTTP 401" in e for e in result.errors)
    assert not any("wrong" in e for e in result.errors)


def test_secrets_refused_by_rbac_are_a_note_and_skip_the_missing_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = load_scenario(SCENARIOS / "missing-secret-config.yaml").resolve()
    with KubeStub(list(scenario.kube_objects), forbidden={"Secret"}) as stub:
        reader = KubeReader(
            connect(
                base_url_env="X", kubeconfig_env="Y", cluster=None, region="us-east-1", env={"X": stub.url}
            ).api
        )
        now = scenario.alert.at
        scope = Scope(anchor=now, window_start=now - timedelta(hours=1), window_end=now, namespace="orders")
        gathered = gather(reader, scope, Budget.of(10))
    assert "Secret" in gathered.state.incomplete
    assert any("Secret: not readable" in n for n in gathered.notes) and gathered.errors == []


def test_kinds_refused_or_not_installed_are_notes_and_the_scan_goes_on(cluster: KubeStub) -> None:
    cluster.forbidden = {"NetworkPolicy", "ValidatingWebhookConfiguration"}
    result = EksScanner(load_config(), "eks").run(alert(OOM.alert.text or ""), Budget.of(15))
    assert result.status is AgentStatus.OK and not result.errors
    assert result.findings[0].cause_hint is CauseCategory.OOM
    assert any("NetworkPolicy: not readable" in n for n in result.notes)
    assert any("ValidatingWebhookConfiguration: not readable" in n for n in result.notes)
    [gateway_note] = [n for n in result.notes if "gateway.networking.k8s.io not served" in n]
    assert all(kind in gateway_note for kind in ("GatewayClass", "HTTPRoute", "ReferenceGrant"))


def test_metadata_only_secrets_still_count_as_present(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(SCENARIOS / "missing-secret-config.yaml").resolve()
    with KubeStub(list(scenario.kube_objects)) as stub:
        monkeypatch.setenv("KUBERNETES_BASE_URL", stub.url)
        ctx = build_alert_context(
            platform="slack", channel="C0", text=scenario.alert.text or "", received_at=scenario.alert.at
        )
        result = EksScanner(load_config(), "eks").run(ctx, Budget.of(15))
    missing = [f.title for f in result.findings if f.id.startswith("eks:secret-missing:")]
    assert missing == [
        "Secret orders/orders-db-credentials-v2 does not exist but is referenced by "
        "Deployment orders/orders-api"
    ]
    assert result.findings[0].cause_hint is CauseCategory.BAD_CONFIG


def test_lists_are_capped_and_the_cap_is_noted(cluster: KubeStub) -> None:
    api = connect(
        base_url_env="X",
        kubeconfig_env="Y",
        cluster=None,
        region="us-east-1",
        env={"X": cluster.url, "KUBERNETES_TOKEN": "s3cret"},
    ).api
    now = OOM.alert.at
    scope = Scope(anchor=now, window_start=now - timedelta(hours=1), window_end=now, namespace="shop")
    gathered = gather(KubeReader(api), scope, Budget.of(10), Limits(pods=1, log_pods=0))
    assert len(gathered.state.pods) == 1 and "Pod" in gathered.state.incomplete
    assert any("Pod: list capped at 1" in n for n in gathered.notes)


def test_secret_data_never_leaves_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "x"},
        "data": {"password": "aHVudGVyMg=="},
    }
    with KubeStub([secret]) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        [item], _ = KubeReader(api).list("Secret", Budget.of(5), namespace="x")
    assert "data" not in item and item["metadata"]["name"] == "db"


def test_unreachable_api_is_a_source_error() -> None:
    api = connect(
        base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": "http://127.0.0.1:9"}
    ).api
    with pytest.raises(SourceError, match="unreachable"):
        KubeReader(api).list("Pod", Budget.of(3), namespace="x")


def test_snapshot_shows_nodes_and_unhealthy_pods(cluster: KubeStub) -> None:
    ctx = alert("snapshot").model_copy(update={"mode": "snapshot"})
    result = EksScanner(load_config(), "eks").run(ctx, Budget.of(10))
    assert result.findings[0].title.startswith("Cluster prod-eks: 2/2 nodes Ready")
    assert "2 unhealthy" in result.findings[0].title
    assert any("OOMKilled" in f.title for f in result.findings[1:])


def test_llm_tools_run_over_the_same_fetchers(cluster: KubeStub) -> None:
    tools = {t.tool_name: t for t in EksScanner(load_config(), "eks").tools()}
    assert set(tools) == {"triage_namespace", "triage_workload", "get_pod_logs", "list_nodes"}
    assert all(t.tool_spec["description"] for t in tools.values())
    triage = tools["triage_workload"](workload="checkout")
    assert triage["status"] == "ok" and any(f["cause_hint"] == "oom" for f in triage["findings"])
    log = tools["get_pod_logs"](namespace="shop", pod="checkout-7d9f8c6b5-x2k4p", previous=True)
    assert log["container"] == "app" and "OutOfMemoryError" in log["error_lines"][0]
    assert len(tools["list_nodes"]()["nodes"]) == 2


def test_skill_matches_config_and_names_real_tools() -> None:
    from strands import Skill

    config = load_config()
    scanner = EksScanner(config, "eks")
    [name] = config.agents["eks"].skills
    skill = Skill.from_file(scanner.skills_dir / name)
    assert skill.name == name and skill.description
    assert set(skill.allowed_tools or []) <= {t.tool_name for t in scanner.tools()}


def test_a_missing_secret_whose_pods_all_run_is_a_warning_not_the_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pods cannot start without a Secret they use: when all of them run, they started with it (it
    # was deleted since, or the scan cannot see it) and it is not what fails now.
    scenario = load_scenario(SCENARIOS / "missing-secret-config.yaml").resolve()
    objects = []
    for obj in scenario.kube_objects:
        obj = dict(obj)
        if obj.get("kind") == "Pod":
            containers = obj["spec"]["containers"]
            obj["status"] = {
                "phase": "Running",
                "containerStatuses": [
                    {"name": c["name"], "ready": True, "restartCount": 0, "state": {"running": {}}}
                    for c in containers
                ],
            }
        objects.append(obj)
    with KubeStub(objects) as stub:
        monkeypatch.setenv("KUBERNETES_BASE_URL", stub.url)
        ctx = build_alert_context(
            platform="slack", channel="C0", text=scenario.alert.text or "", received_at=scenario.alert.at
        )
        result = EksScanner(load_config(), "eks").run(ctx, Budget.of(15))
    [missing] = [f for f in result.findings if f.id.startswith("eks:secret-missing:")]
    assert missing.title.endswith("(its pods started with it and still run)")
    assert missing.severity.value == "warning" and missing.relevance <= 0.3


def _discovery(request: str) -> bool:
    parts = request.split(" ")[-1].split("?")[0].strip("/").split("/")
    return (parts[0] == "api" and len(parts) <= 2) or (parts[0] == "apis" and len(parts) <= 3)
