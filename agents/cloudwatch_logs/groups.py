"""Which log groups to read for an alert: where to look (prefixes, patterns) and how well each
found group fits (a score), both pure."""

from __future__ import annotations

from dataclasses import dataclass

from agents.common.scope import Scope


@dataclass(frozen=True)
class Lookup:
    """One bounded `describe_log_groups` call: by prefix or by substring pattern."""

    prefix: str | None = None
    pattern: str | None = None

    def describe(self) -> str:
        return f"prefix {self.prefix}" if self.prefix else f"names containing {self.pattern!r}"


@dataclass(frozen=True)
class ScoredGroup:
    name: str
    score: float
    reason: str
    stored_bytes: int = 0
    # The group belongs to the alert's own target (named by it, its Lambda, its name): every line
    # in it is about the alert, whatever the stream is called.
    own: bool = False


MAX_LOOKUPS = 8


def is_flow_log_group(name: str) -> bool:
    """`/aws/vpc/flowlogs/prod`, `/vpc/prod/flow-logs`, `vpc-flow-logs`: a VPC flow log group."""
    lowered = name.lower().replace("-", "").replace("_", "")
    return "flowlog" in lowered or ("flow" in lowered and "vpc" in lowered)


def lookups(scope: Scope, configured: list[str] | tuple[str, ...]) -> list[Lookup]:
    """The listings that can find the alert's groups, most specific first (bounded: <= 8)."""
    found: list[Lookup] = []
    for name in (*scope.log_groups, *configured):
        found.append(Lookup(prefix=name))
    if scope.cluster:
        found.append(Lookup(prefix=f"/aws/containerinsights/{scope.cluster}/"))
        found.append(Lookup(prefix=f"/aws/eks/{scope.cluster}/"))
    elif scope.has_target:
        # A Kubernetes alert that does not name its cluster: its pods' logs are in some cluster's
        # Container Insights group.
        found.append(Lookup(prefix="/aws/containerinsights/"))
    for name in scope.names:
        if scope.pod and name == scope.pod:
            continue  # a pod name is matched inside streams, not group names
        found.append(Lookup(prefix=f"/aws/lambda/{name}"))
        found.append(Lookup(pattern=name))
    # VPC flow logs say whether the connections the workload fails to make were rejected; a
    # database's own log says what the server saw of the workload's failing queries.
    extra = [Lookup(pattern="flow"), Lookup(prefix="/aws/rds/")] if scope.cluster or scope.has_target else []
    return list(dict.fromkeys(found))[: MAX_LOOKUPS - len(extra)] + extra


def _tokens(text: str | None) -> set[str]:
    if not text:
        return set()
    return {t for t in text.lower().replace("_", "-").split("-") if len(t) >= 4}


def score_group(name: str, scope: Scope, configured: list[str] | tuple[str, ...]) -> tuple[float, str]:
    """How well a log group fits the alert, 0..1, and why. 0 means: do not read it."""
    lowered = name.lower()
    if name in scope.log_groups:
        return 1.0, "named by the alert"
    names = [n.lower() for n in scope.names if not (scope.pod and n == scope.pod)]
    if any(lowered == f"/aws/lambda/{n}" for n in names):
        return 0.95, "the Lambda function the alert names"
    if name in configured:
        return 0.9, "configured in sources.cloudwatch_logs.log_groups"
    if is_flow_log_group(name):
        if scope.cluster and scope.cluster.lower() in lowered:
            return 0.5, "VPC flow logs of the cluster's network"
        return 0.3, "VPC flow logs"
    if lowered.startswith("/aws/containerinsights/") and not scope.cluster:
        if lowered.endswith("/application") and scope.has_target:
            return 0.75, "Container Insights application logs (the alert names no cluster)"
        return 0.0, "Container Insights logs of a cluster the alert does not name"
    if scope.cluster and lowered.startswith(f"/aws/containerinsights/{scope.cluster.lower()}/"):
        kind = lowered.rsplit("/", 1)[-1]
        if kind == "application":
            return (0.85 if scope.has_target else 0.7), "Container Insights application logs of the cluster"
        if kind in {"dataplane", "host"}:
            return 0.35, f"Container Insights {kind} logs of the cluster"
        return 0.0, "Container Insights performance events (metrics, not messages)"
    if any(n in lowered for n in names):
        matched = next(n for n in names if n in lowered)
        return (0.75 if "/aws/rds/" in lowered else 0.8), f"name contains {matched!r}"
    if scope.cluster and lowered.startswith(f"/aws/eks/{scope.cluster.lower()}/"):
        return 0.45, "EKS control plane logs of the cluster"
    shared = _tokens(scope.namespace) | {t for n in names for t in _tokens(n)}
    if shared & _tokens(lowered.replace("/", "-")):
        return 0.4, "name shares a word with the alert's namespace or workload"
    if lowered.startswith("/aws/rds/"):
        return 0.2, "a database's own log (counts when it shows the workload's failure)"
    return 0.0, "unrelated"


def _own(name: str, scope: Scope) -> bool:
    lowered = name.lower()
    names = [n.lower() for n in scope.names if not (scope.pod and n == scope.pod)]
    return name in scope.log_groups or any(n in lowered for n in names)


def select_groups(
    found: dict[str, int], scope: Scope, configured: list[str] | tuple[str, ...], max_groups: int
) -> list[ScoredGroup]:
    """The best `max_groups` of the groups found (name -> stored bytes), best first."""
    scored = []
    for name, stored in found.items():
        score, reason = score_group(name, scope, configured)
        if score > 0:
            scored.append(ScoredGroup(name, score, reason, stored, own=_own(name, scope)))
    scored.sort(key=lambda g: (-g.score, g.name))
    return scored[:max_groups]
