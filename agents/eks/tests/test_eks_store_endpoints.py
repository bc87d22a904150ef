"""The managed data stores a workload is configured to call, and an Aurora instance endpoint used
where the cluster's writer endpoint belongs."""

from __future__ import annotations

from agents.eks.tests.eks_builders import by_prefix, obj, run, scope
from shared.contracts import CauseCategory


def _deployment(env: list[dict], env_from: list[dict] = ()) -> dict:
    container = {"name": "app", "image": "repo/app:1", "env": env, "envFrom": list(env_from)}
    return obj("Deployment", "ledger", "pay", spec={"template": {"spec": {"containers": [container]}}})


def test_the_cache_a_workload_calls_is_named_by_its_endpoint() -> None:
    deployment = _deployment(
        [{"name": "CACHE_HOST", "value": "master.tokens-prod.ab12cd.euw1.cache.amazonaws.com"}]
    )
    findings = by_prefix(run([deployment], scope(namespace="pay", workload="ledger")), "eks:data-stores")
    assert len(findings) == 1
    assert "ElastiCache tokens-prod (CACHE_HOST)" in findings[0].title
    assert findings[0].cause_hint is None


def test_an_aurora_instance_endpoint_is_a_configuration_risk_and_a_cluster_endpoint_is_not() -> None:
    config = obj("ConfigMap", "ledger-config", "pay", api="v1") | {
        "data": {"DB_URL": "jdbc:postgresql://ledger-db-instance-2.x9y8z7.eu-west-1.rds.amazonaws.com:5432/l"}
    }
    other = obj("ConfigMap", "reports-config", "pay", api="v1") | {
        "data": {"DB_URL": "jdbc:postgresql://ledger-db.cluster-x9y8z7.eu-west-1.rds.amazonaws.com:5432/l"}
    }
    deployment = _deployment([], [{"configMapRef": {"name": "ledger-config"}}])
    findings = by_prefix(
        run([deployment, config, other], scope(namespace="pay", workload="ledger")), "eks:db-instance"
    )
    assert len(findings) == 1
    assert findings[0].cause_hint is CauseCategory.BAD_CONFIG
    assert "ledger-db-instance-2" in findings[0].title and "DB_URL" in findings[0].title
    config["data"]["DB_URL"] = other["data"]["DB_URL"]
    assert (
        by_prefix(
            run([deployment, config, other], scope(namespace="pay", workload="ledger")), "eks:db-instance"
        )
        == []
    )
