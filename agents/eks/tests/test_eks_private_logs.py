"""Pod logs of private namespaces (`sources.eks.private_log_namespaces`, kube-system by default) are
never read: an alert naming kube-system gets its pods' state, not their logs, and a note says why."""

from __future__ import annotations

from eks_builders import pod, scope, waiting
from kube_stub import KubeStub

from agents.common.base import Budget
from agents.eks.auth import connect
from agents.eks.collect import gather
from agents.eks.reader import KubeReader
from shared.config import load_config

SECRET_LINE = "token=eyJhbGciOiJSUzI1NiJ9.kube-system-service-account"


def crashing(name: str, ns: str) -> dict[str, object]:
    return pod(name, ns, statuses=[waiting("CrashLoopBackOff", restarts=5)])


def test_kube_system_pod_logs_are_not_read_but_its_state_is() -> None:
    objects = [
        crashing("coredns-5d78c9869d-abcde", "kube-system"),
        crashing("checkout-7d9f8c6b5-x2k4p", "shop"),
    ]
    logs = {
        "kube-system/coredns-5d78c9869d-abcde/app": SECRET_LINE + "\n",
        "kube-system/coredns-5d78c9869d-abcde/app/previous": SECRET_LINE + "\n",
        "shop/checkout-7d9f8c6b5-x2k4p/app": "ERROR connection refused\n",
        "shop/checkout-7d9f8c6b5-x2k4p/app/previous": "ERROR connection refused\n",
    }
    private = load_config().sources.eks.private_log_namespaces
    assert private == ["kube-system"]  # the default
    with KubeStub(objects, logs) as stub:
        api = connect(base_url_env="X", kubeconfig_env="Y", cluster=None, region="r", env={"X": stub.url}).api
        gathered = gather(KubeReader(api, private), scope(), Budget.of(10))
    assert not any("/namespaces/kube-system/pods/" in r and "/log" in r for r in stub.requests)
    assert any("/namespaces/shop/pods/" in r and "/log" in r for r in stub.requests)
    assert not any(SECRET_LINE in text for text in gathered.state.logs.values())
    assert any(o["metadata"]["namespace"] == "kube-system" for o in gathered.state.kind("Pod"))
    assert any("namespace kube-system are private" in note for note in gathered.notes)
