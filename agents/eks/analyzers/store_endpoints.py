"""The managed data stores a workload is configured to call, by the endpoints in its env and the
ConfigMaps it reads: an RDS or Aurora database, an ElastiCache or MemoryDB cache.

The report can then name the store a workload's errors are about when the errors do not (a Redis
client says `OOM command not allowed`, not which cache). One endpoint is itself a known
misconfiguration: an Aurora *instance* endpoint used where the cluster's writer endpoint belongs.
The instance is the writer only until the next failover; then it is a reader and every write fails
(`--read-only`, `cannot execute ... in a read-only transaction`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, make_finding, object_evidence
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity
from shared.relevance import Relevance

_HOST = re.compile(
    r"(?<![\w.\-])(?P<host>[a-z0-9][a-z0-9.\-]*\.(?P<kind>rds|cache|memorydb|docdb)\.amazonaws\.com)",
    re.IGNORECASE,
)
# `<name>.cluster-<id>.<region>.rds...` (writer), `.cluster-ro-` (readers), `.proxy-` (RDS Proxy).
_RDS_ROLE = re.compile(
    r"^(?P<name>[^.]+)\.(?P<role>cluster-ro-|cluster-custom-|cluster-|proxy-)?(?P<id>[a-z0-9]+)\."
)
_CACHE_PREFIXES = ("clustercfg", "master", "replica")
_KIND_WORDS = {"rds": "RDS", "docdb": "DocumentDB", "cache": "ElastiCache", "memorydb": "MemoryDB"}


@dataclass(frozen=True)
class StoreRef:
    setting: str  # `REDIS_ADDR`, `DB_URL`
    where: str  # `env`, `ConfigMap fulfillment/fulfillment-worker-config`
    host: str
    kind: str  # rds | cache | memorydb | docdb

    @property
    def name(self) -> str:
        """The store's own name: the instance, cluster or cache it is."""
        labels = self.host.split(".")
        if self.kind in ("cache", "memorydb") and labels[0] in _CACHE_PREFIXES and len(labels) > 1:
            return labels[1]
        return labels[0]

    @property
    def instance_of(self) -> str | None:
        """For an RDS instance endpoint, the id its cluster's endpoints share (`c3vx8kq2l9ab`)."""
        match = _RDS_ROLE.match(self.host)
        if self.kind != "rds" or match is None or match.group("role"):
            return None
        return match.group("id")


def _settings(pod: Obj, analysis: Analysis) -> Iterator[tuple[str, str, str]]:
    """(setting, where, value) of every env var the pod's containers set or read from ConfigMaps."""
    ns = o.namespace(pod)
    maps = {o.name(c): c for c in analysis.state.kind("ConfigMap") if o.namespace(c) == ns}
    for container in o.spec(pod).get("containers") or []:
        for env in container.get("env") or []:
            if not isinstance(env, dict):
                continue
            if isinstance(env.get("value"), str):
                yield str(env.get("name")), "env", env["value"]
            ref = ((env.get("valueFrom") or {}).get("configMapKeyRef")) or {}
            data = (maps.get(str(ref.get("name"))) or {}).get("data") or {}
            if ref.get("key") in data:
                yield str(env.get("name")), f"ConfigMap {ns}/{ref.get('name')}", str(data[ref["key"]])
        for source in container.get("envFrom") or []:
            name = ((source or {}).get("configMapRef") or {}).get("name")
            for key, value in ((maps.get(str(name)) or {}).get("data") or {}).items():
                yield str(key), f"ConfigMap {ns}/{name}", str(value)


def _template_pod(workload: Obj) -> Obj:
    """A Deployment's or StatefulSet's pod template, shaped like a pod of its namespace."""
    template = (o.spec(workload).get("template") or {}) if workload else {}
    return {"metadata": {"namespace": o.namespace(workload)}, "spec": template.get("spec") or {}}


def _refs(pod: Obj, analysis: Analysis) -> list[StoreRef]:
    out: list[StoreRef] = []
    for setting, where, value in _settings(pod, analysis):
        for match in _HOST.finditer(value):
            ref = StoreRef(setting, where, match.group("host").lower(), match.group("kind").lower())
            if ref not in out:
                out.append(ref)
    return out


def _cluster_ids(analysis: Analysis) -> set[str]:
    """The ids of the Aurora clusters whose cluster endpoints appear anywhere in the config read."""
    ids: set[str] = set()
    for config in analysis.state.kind("ConfigMap"):
        for value in (config.get("data") or {}).values():
            for match in _HOST.finditer(str(value)):
                role = _RDS_ROLE.match(match.group("host").lower())
                if role and role.group("role") in ("cluster-", "cluster-ro-"):
                    ids.add(role.group("id"))
    return ids


def analyze_store_endpoints(analysis: Analysis) -> list[Finding]:
    """Per workload of the alert (or every workload when the alert names none): the stores it calls,
    and an Aurora instance endpoint used as its database endpoint."""
    clusters = _cluster_ids(analysis)
    findings: list[Finding] = []
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in analysis.state.kind(kind):
            ns, name = o.namespace(workload), o.name(workload)
            relevance = analysis.workload_relevance(kind, ns, name)
            if relevance < Relevance.UNSURE:
                continue
            refs = _refs(_template_pod(workload), analysis)
            if not refs:
                continue
            said = "; ".join(f"{_KIND_WORDS[r.kind]} {r.name} ({r.setting})" for r in refs[:4])
            findings.append(
                make_finding(
                    "data-stores",
                    f"{ns}/{name}",
                    severity=Severity.INFO,
                    title=f"{kind} {ns}/{name} calls {said}",
                    detail="\n".join(f"{r.setting} ({r.where}): {r.host}" for r in refs[:10]),
                    resources=[f"{ns}/{kind}/{name}", *(r.name for r in refs[:4])],
                    evidence=[object_evidence(kind, workload, f"{r.setting}={r.host}") for r in refs[:3]],
                    relevance=relevance,
                )
            )
            for ref in refs:
                pinned = ref.instance_of
                if pinned is None or not (pinned in clusters or "aurora" in ref.name):
                    continue
                findings.append(
                    make_finding(
                        "db-instance-endpoint",
                        f"{ns}/{name}/{ref.name}",
                        severity=Severity.INFO,
                        title=(
                            f"{kind} {ns}/{name} connects to the database instance endpoint {ref.name} "
                            f"({ref.setting}, {ref.where}), not its cluster's writer endpoint: after a "
                            "failover that instance is a reader and writes to it fail read-only"
                        ),
                        detail=f"{ref.setting}: {ref.host}",
                        resources=[f"{ns}/{kind}/{name}", ref.name],
                        evidence=[object_evidence(kind, workload, f"{ref.setting}={ref.host} ({ref.where})")],
                        cause=CauseCategory.BAD_CONFIG,
                        relevance=relevance,
                    )
                )
    return findings
