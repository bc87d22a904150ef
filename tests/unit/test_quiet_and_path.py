"""What a report leaves out (findings built here): a neighbour's change that is not on the path to
the alert is not on the timeline (its one "ruled out" line says it was considered), and a quiet
alert (its target reported healthy by name) picks up no problem found elsewhere."""

from __future__ import annotations

from test_chain import REDIS_OOM, REFUSED, SEARCH_ROLLOUT, alert, chat, log
from test_synthesis import INFO, T, W, ago, finding, ok

from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import AlertContext, CauseCategory, Trigger
from shared.render import posted_text, render_parts


def test_a_neighbours_deploy_off_the_path_is_ruled_out_and_not_on_the_timeline() -> None:
    refused = log("errors:cart", REFUSED, ago(12), CauseCategory.DEPENDENCY_FAILURE)
    report = synthesize(
        alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("eks", REDIS_OOM, SEARCH_ROLLOUT)]
    )
    assert "Ruled out: a deploy 11 min before the alert (eks)" in report.cause.summary
    assert SEARCH_ROLLOUT.id not in {e.finding_id for e in report.timeline}
    assert refused.id in {e.finding_id for e in report.timeline}
    assert "search-api" not in posted_text(render_parts("slack", report))  # nor in what changed
    # The same rollout of the alert's own workload is on the path: it is on the timeline.
    own = SEARCH_ROLLOUT.model_copy(
        update={
            "title": "Deployment shop/cart-api rolled out revision 9",
            "resources": ("shop/Deployment/cart-api",),
        }
    )
    report = synthesize(
        alert("cart-api", "shop"), [ok("cloudwatch_logs", refused), ok("eks", REDIS_OOM, own)]
    )
    assert own.id in {e.finding_id for e in report.timeline}


def test_a_target_reported_healthy_picks_up_no_problem_found_elsewhere() -> None:
    healthy = finding(
        "eks:healthy:shop/cart-api",
        INFO,
        "Deployment shop/cart-api: 3/3 ready, no restarts",
        relevance=0.95,
        at=ago(1),
        cause=CauseCategory.NO_ISSUE,
    )
    elsewhere = finding(
        "eks:pod-oomkilled:shop/report-builder/app",
        W,
        "OOMKilled: pod shop/report-builder-7d6c5b8f9-4xkzp container app",
        relevance=0.5,  # same namespace, another workload
        at=ago(10),
        cause=CauseCategory.OOM,
    )
    report = synthesize(alert("cart-api", "shop"), [ok("eks", healthy, elsewhere), ok("prometheus")])
    assert report.cause.category is CauseCategory.NO_ISSUE
    assert elsewhere.id not in report.cause.evidence
    assert elsewhere.id not in {e.finding_id for e in report.timeline}
    # A problem of the target itself still overrules what a source says about its health.
    own = elsewhere.model_copy(
        update={
            "id": "eks:pod-oomkilled:shop/cart-api/app",
            "title": "OOMKilled: pod shop/cart-api-5f4e3d2c1-k9j8h",
            "relevance": 0.95,
        }
    )
    assert (
        synthesize(alert("cart-api", "shop"), [ok("eks", healthy, own)]).cause.category is CauseCategory.OOM
    )


def test_a_chat_announcement_of_the_rollout_that_set_it_off_is_cited_with_it() -> None:
    errors = log("errors:npe", "ERROR NullPointerException at CartService.add", ago(11), None)
    rollout = SEARCH_ROLLOUT.model_copy(
        update={
            "title": "Deployment shop/cart-api rolled out revision 9",
            "resources": ("shop/Deployment/cart-api",),
        }
    )
    # The chat scanner could not tell it was about the alert (the alert names the ingress, say).
    said = chat("deploy:cart-api/9", "deploying cart-api v9", ago(14), Trigger.DEPLOY, ("cart-api",), 0.15)
    report = synthesize(
        alert("cart-api", "shop"),
        [ok("cloudwatch_logs", errors), ok("eks", rollout), ok("slack_scanner", said)],
    )
    assert report.cause.trigger is Trigger.DEPLOY
    assert {rollout.id, said.id} <= set(report.cause.evidence)
    # An announcement about another workload is not that change.
    other = said.model_copy(update={"id": "slack_scanner:deploy:search-api/3", "resources": ("search-api",)})
    other = other.model_copy(
        update={"title": "Deploy announced: search-api v3", "detail": "deploying search-api v3"}
    )
    other = other.model_copy(
        update={"evidence": (other.evidence[0].model_copy(update={"excerpt": "deploying search-api v3"}),)}
    )
    report = synthesize(
        alert("cart-api", "shop"),
        [ok("cloudwatch_logs", errors), ok("eks", rollout), ok("slack_scanner", other)],
    )
    assert other.id not in report.cause.evidence


def _resolved_alert() -> AlertContext:
    return build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        text="[RESOLVED] KubeDeploymentReplicasMismatch (maps geo-api warning)\n • namespace: `maps`",
        received_at=T,
    )


def test_a_resolved_alert_tells_the_problem_that_ended_as_history_not_as_the_cause() -> None:
    probes = finding(
        "eks:events-unhealthy:maps/Pod/geo-api-6c7d",
        W,
        "40 Warning Unhealthy event(s) on Pod maps/geo-api-6c7d: Readiness probe failed: 503",
        relevance=0.9,
        at=ago(12),
        cause=CauseCategory.PROBE_FAILURE,
    )
    report = synthesize(_resolved_alert(), [ok("eks", probes), ok("prometheus")])
    assert report.cause.category is CauseCategory.NO_ISSUE
    assert "already resolved" in report.cause.summary
    assert "What it was: 40 Warning Unhealthy event(s)" in report.cause.summary
    assert "last seen 12 min before the alert" in report.cause.summary
    # The same problem still going when the alert arrived is live: it is the cause.
    live = probes.model_copy(update={"last_seen": ago(1)})
    report = synthesize(_resolved_alert(), [ok("eks", live), ok("prometheus")])
    assert report.cause.category is CauseCategory.PROBE_FAILURE
