"""The EKS and CloudWatch Logs analyzers on every project scenario: the decisive evidence is found,
the best cause hint is the expected category, the report's facts are in the titles, decoys stay low.

The alert goes through the master's context builder as in a real run; the EKS scanner sees only the
pod logs it would fetch (`affected_pods`), the log scanner only the groups it would select.
"""

from __future__ import annotations

import pytest
from eks_builders import SCENARIOS

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.cloudwatch_logs.groups import select_groups
from agents.cloudwatch_logs.markers import deploy_times, marker_findings
from agents.cloudwatch_logs.reader import LogEvent
from agents.common.scope import Scope, scope_from_context
from agents.common.signatures import load_signatures
from agents.eks.analyzers import analyze
from agents.eks.analyzers.endpoints import Endpoint
from agents.eks.collect import affected_pods
from agents.eks.state import ClusterState
from sandbox.alert_context import alert_context_of
from sandbox.resolved import ResolvedScenario
from sandbox.scenario import load_scenario
from shared.causes import CAUSES
from shared.contracts import CauseCategory, Finding, Trigger
from shared.relevance import Relevance

MINE = {"eks", "cloudwatch_logs"}
# The scenarios whose decisive evidence is (at least partly) in the cluster or the logs.
FILES = [p for p in sorted(SCENARIOS.glob("*.yaml")) if MINE & set(load_scenario(p).expected.evidence_from)]


context_of = alert_context_of


def eks_findings(
    resolved: ResolvedScenario, scope: Scope, endpoints: tuple[Endpoint, ...] = ()
) -> list[Finding]:
    state = ClusterState.of(resolved.kube_objects)
    fetched = {
        f"{pod['metadata']['namespace']}/{pod['metadata']['name']}/{name}"
        for pod, containers in affected_pods(state, scope, 3)
        for name, _ in containers
    }
    state.logs = {k: v for k, v in resolved.pod_logs.items() if k.removesuffix("/previous") in fetched}
    findings, _ = analyze(state, scope, load_signatures(), endpoints)
    return findings


def log_findings(resolved: ResolvedScenario, scope: Scope) -> list[Finding]:
    selected = select_groups({g.name: 0 for g in resolved.log_groups}, scope, [], 5)
    chosen = {g.name for g in selected}
    own = frozenset(g.name for g in selected if g.own)
    events = [
        LogEvent(e.timestamp, e.message, g.name, s.name)
        for g in resolved.log_groups
        if g.name in chosen
        for s in g.streams
        for e in s.events
    ]
    signatures = load_signatures()
    windows = windows_for(scope)
    found = error_findings(
        events,
        windows=windows,
        scope=scope,
        signatures=signatures,
        region=resolved.region,
        deploys=deploy_times(events, signatures),
        own_groups=own,
    )
    return found + marker_findings(
        events, scope=scope, signatures=signatures, region=resolved.region, windows=windows, own_groups=own
    )


def weight(finding: Finding) -> float:
    return finding.severity.rank * finding.relevance


@pytest.fixture(params=FILES, ids=[f.stem for f in FILES])
def played(request: pytest.FixtureRequest) -> tuple[ResolvedScenario, dict[str, list[Finding]]]:
    resolved = load_scenario(request.param).resolve()
    scope = scope_from_context(context_of(resolved))
    return resolved, {"eks": eks_findings(resolved, scope), "cloudwatch_logs": log_findings(resolved, scope)}


# Every EKS analyzer the issue names, as the finding-id slug it produces (or, for pruned rollout
# history, the finding that says so).
FAMILIES = {
    "pod-crashloop": "CrashLoopBackOff",
    "pod-oomkilled": "OOMKilled",
    "pod-image-pull": "ImagePullBackOff / ErrImagePull",
    "pod-config-error": "CreateContainerConfigError",
    "pod-create-error": "CreateContainerError",
    "pod-pending": "Pending with FailedScheduling",
    "pod-evicted": "Evicted",
    "pod-not-ready": "Running but not Ready (probe)",
    "pod-restarts": "restart burst",
    "pod-log-errors": "pod log tails",
    "deployment-unavailable": "Deployment below desired",
    "deployment-progress-deadline": "ProgressDeadlineExceeded",
    "deployment-rollout": "rollout in progress",
    "statefulset-unavailable": "StatefulSet below desired",
    "daemonset-unavailable": "DaemonSet below desired",
    "replicaset-failedcreate": "ReplicaSet FailedCreate",
    "job-failed": "failed Job",
    "node-notready": "Node NotReady",
    "node-disk-pressure": "Node pressure",
    "node-cordoned": "Node cordoned",
    "hpa-at-max": "HPA at max",
    "hpa-no-metrics": "HPA missing metrics",
    "pvc-pending": "PVC Pending / ProvisioningFailed",
    "service-no-endpoints": "Service without ready endpoints",
    "service-selects-no-pod": "Service selector matching no pod",
    "events": "grouped Warning events",
    "rollout": "rollout from ReplicaSet history",
    "rollout-pruned": "pruned ReplicaSet history",
    "configmap-changed": "ConfigMap changed",
    "secret-changed": "Secret changed",
    "secret-missing": "Secret missing",
}


def _family(finding: Finding) -> str:
    slug = finding.id.split(":")[1]
    if slug == "rollout" and "pruned" in finding.title:
        return "rollout-pruned"
    return "events" if slug.startswith("events-") else slug


def test_scenarios_exercise_every_analyzer_family() -> None:
    """Over every shipped scenario, as the scanner would see it, each analyzer fires at least once."""
    fired: dict[str, set[str]] = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        resolved = load_scenario(path).resolve()
        for finding in eks_findings(resolved, scope_from_context(context_of(resolved))):
            fired.setdefault(_family(finding), set()).add(resolved.id)
    missing = {slug: what for slug, what in FAMILIES.items() if slug not in fired}
    assert not missing, f"no scenario makes these analyzers fire: {missing}"


def test_decisive_evidence_carries_the_expected_cause(
    played: tuple[ResolvedScenario, dict[str, list[Finding]]],
) -> None:
    resolved, findings = played
    expected = resolved.expected
    for agent in MINE & set(expected.evidence_from):
        hinted = [f for f in findings[agent] if f.cause_hint is not None]
        assert hinted, f"{agent} found no cause in {resolved.id}"
        best = max(hinted, key=weight)
        if best.cause_hint is expected.category:
            # Several hops away (frontend -> auth-api -> its Redis), the cause is the last hop's
            # own, rated for that dependency rather than for the alert.
            assert best.relevance >= 0.6 or "multi-hop" in resolved.tags
            assert best.severity.rank >= 2
            continue
        if expected.category is CauseCategory.DEPENDENCY_FAILURE:
            continue  # the agent's evidence is the dependency's own failure, rated for the dependency
        # Otherwise the chain states the cause: a generic finding ("a dependency is failing") is
        # explained by what the dependency or a change to it shows, or a louder consequence gives
        # way to the expected cause, which the agent also found, and which began first.
        own = [f for f in hinted if f.cause_hint is expected.category and f.relevance >= 0.6]
        generic = CAUSES[best.cause_hint].specificity < 1.0
        assert generic or own, (agent, best.title)


def test_titles_carry_the_reported_facts_and_decoys_stay_out(
    played: tuple[ResolvedScenario, dict[str, list[Finding]]],
) -> None:
    resolved, findings = played
    everything = [f for agent in MINE for f in findings[agent]]
    titles = " ".join(f.title for f in everything).lower()
    # The specific thing may be told by the evidence a finding carries (the Unhealthy event that
    # names the probe, its port and path; the FailedAttachVolume event that says Multi-Attach).
    told = titles + " " + " ".join(e.excerpt for f in everything for e in f.evidence).lower()
    # A change made by hand is told in chat: its facts ("replicas=0") are the chat scanner's.
    if not set(resolved.expected.evidence_from) & {"slack_scanner", "discord_scanner"}:
        for fact in resolved.expected.must_mention:
            assert fact.lower() in told, fact
    relevant = " ".join(f.title for f in everything if f.relevance >= 0.5).lower()
    for decoy in resolved.expected.must_not_mention:
        assert decoy.lower() not in relevant, decoy


def test_no_strong_finding_points_elsewhere(
    played: tuple[ResolvedScenario, dict[str, list[Finding]]],
) -> None:
    """A strong, specific finding about the alert's own workload never points elsewhere. A generic
    one ("a dependency is failing") may be explained further by the chain, and a finding about
    something else (a dependency's own failure) may carry its own cause."""
    resolved, findings = played
    for agent in MINE:
        expected = [f for f in findings[agent] if f.cause_hint is resolved.expected.category]
        if any(weight(f) >= 2.5 for f in expected):
            continue  # both are there: the master chooses the one that began first and explains the other
        for finding in findings[agent]:
            if (
                finding.cause_hint is not None
                and CAUSES[finding.cause_hint].specificity == 1.0
                and finding.relevance >= Relevance.NEAR
                and weight(finding) >= 2.5
            ):
                assert finding.cause_hint is resolved.expected.category, (agent, finding.title)


def test_changes_found_match_the_expected_trigger(
    played: tuple[ResolvedScenario, dict[str, list[Finding]]],
) -> None:
    """Where the cluster holds the decisive evidence, it also shows the change that set it off,
    unless the change was made by hand and announced in chat, or is a dependency's failure (which
    the master follows in its second round)."""
    resolved, findings = played
    trigger = resolved.expected.trigger
    cited = set(resolved.expected.evidence_from)
    if (
        trigger in (None, Trigger.DEPENDENCY)
        or "eks" not in cited
        or cited & {"slack_scanner", "discord_scanner"}
    ):
        return
    changes = {f.change for f in findings["eks"] if f.change is not None and f.relevance >= 0.5}
    assert trigger in changes, (trigger, changes)
