"""A chain of more than one hop, on findings built here: the alerted frontend fails because auth-api
does, auth-api fails because its Redis does, and the Redis pod cannot start because its volume is
attached elsewhere. The report ends at the last hop's own cause; a hop whose cause is unknown is
asked about in one more narrower round."""

from __future__ import annotations

from test_chain import alert, log
from test_synthesis import ago, ok

from agents.master.followup import MAX_ROUNDS, dependency_context
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Finding, Severity, Trigger

FRONTEND = log(
    "errors:frontend",
    "upstream error: dial tcp auth-api.identity.svc.cluster.local:8080: connect: connection refused",
    ago(14),
    CauseCategory.DEPENDENCY_FAILURE,
)
AUTH = log(
    "errors:auth-api",
    "session store: dial tcp sessions-redis.identity.svc.cluster.local:6379: connect: connection refused",
    ago(16),
    CauseCategory.DEPENDENCY_FAILURE,
).model_copy(
    update={
        "resources": ("/aws/containerinsights/prod/application", "identity/auth-api-5d7c9b8f66-h2xr9"),
        "relevance": 0.3,
    }
)
MULTI_ATTACH = Finding(
    id="eks:pod-volume:identity/sessions-redis/redis",
    agent="eks",
    severity=Severity.CRITICAL,
    title="Stuck in ContainerCreating (FailedAttachVolume): pod identity/sessions-redis-0: "
    'Multi-Attach error for volume "pvc-3c1f" Volume is already exclusively attached to one node',
    resources=("identity/Pod/sessions-redis-0", "identity/StatefulSet/sessions-redis"),
    first_seen=ago(18),
    last_seen=ago(1),
    cause_hint=CauseCategory.STORAGE_FAILURE,
    relevance=0.2,
)
# Another client of the same Redis: it names it, but is not about it.
WORKER = log(
    "errors:worker",
    "dial tcp sessions-redis.identity.svc.cluster.local:6379: i/o timeout",
    ago(15),
    CauseCategory.DEPENDENCY_FAILURE,
).model_copy(update={"resources": ("identity/session-gc-7f9c8d6b5-x2x9q",), "relevance": 0.2})


def test_the_chain_ends_at_the_last_hops_own_cause_with_its_evidence() -> None:
    report = synthesize(
        alert("frontend", "web"), [ok("cloudwatch_logs", FRONTEND, AUTH, WORKER), ok("eks", MULTI_ATTACH)]
    )
    assert report.cause.category is CauseCategory.STORAGE_FAILURE
    summary = report.cause.summary
    assert summary.startswith("Storage failure: ")
    assert "auth-api itself fails: A dependency is failing" in summary
    assert "sessions-redis itself fails: Storage failure: Stuck in ContainerCreating" in summary
    assert "Multi-Attach" in summary
    assert summary.index("auth-api itself") < summary.index("sessions-redis itself")
    assert {AUTH.id, MULTI_ATTACH.id} <= set(report.cause.evidence)
    assert WORKER.id not in report.cause.evidence
    assert report.cause.trigger is Trigger.DEPENDENCY


def test_one_hop_keeps_the_dependency_failure_and_names_its_own_cause() -> None:
    direct = log(
        "errors:frontend",
        "session store: dial tcp sessions-redis.identity.svc.cluster.local:6379: connect: connection refused",
        ago(14),
        CauseCategory.DEPENDENCY_FAILURE,
    )
    report = synthesize(
        alert("auth-api", "identity"), [ok("cloudwatch_logs", direct), ok("eks", MULTI_ATTACH)]
    )
    assert report.cause.category is CauseCategory.DEPENDENCY_FAILURE
    assert "sessions-redis itself fails: Storage failure" in report.cause.summary


def test_a_hop_whose_cause_is_unknown_is_asked_about_one_hop_further() -> None:
    ctx = alert("frontend", "web")
    first = [ok("cloudwatch_logs", FRONTEND)]
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None and narrowed.hints.workload == "auth-api"
    # The first narrower round shows auth-api failing because of what it calls: ask about that.
    about_auth = [ok("cloudwatch_logs", AUTH.model_copy(update={"relevance": 1.0}))]
    deeper = dependency_context(ctx, first, about_auth, round_no=2)
    assert deeper is not None
    assert (deeper.hints.workload, deeper.hints.namespace) == ("sessions-redis", "identity")
    assert deeper.investigation_id != narrowed.investigation_id
    # Bounded: no round beyond the last, and none once the last hop's own cause is known.
    assert dependency_context(ctx, first, about_auth, round_no=MAX_ROUNDS + 1) is None
    known = [*about_auth, ok("eks", MULTI_ATTACH.model_copy(update={"relevance": 1.0}))]
    assert dependency_context(ctx, first, known, round_no=2) is None
    report = synthesize(ctx, first, related=known)
    assert report.cause.category is CauseCategory.STORAGE_FAILURE
    assert MULTI_ATTACH.id in report.cause.evidence
