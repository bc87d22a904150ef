"""The chain's evidence from every side, on findings built here: a change to a dependency followed
to what the cluster shows of it (its new revision and env), the other sources' findings about the
same thing on the path cited with the cause (and not those about unrelated things), a change named
in chat connected to the target by the name its own logs or objects use, a series that only began
in the window (a new client, not a surge), and quiet alerts that pick up nothing."""

from __future__ import annotations

from test_chain import alert, chat, log
from test_synthesis import ago, finding, ok

from agents.master.followup import dependency_context
from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger

C, W, INFO = Severity.CRITICAL, Severity.WARNING, Severity.INFO

# --- a change to a dependency, followed to what the cluster shows of it ---------------------------

CALLS_FAIL = log(
    "errors:fulfillment",
    "ERROR reserve_stock failed: HTTPError: 500 Server Error for url: "
    "http://inventory-api.catalog.svc.cluster.local:8080/v1/reservations",
    ago(9),
    CauseCategory.BAD_CONFIG,
).model_copy(update={"resources": ("fulfillment/order-fulfillment-7b8c9d6f5-j3n5q",)})
SET_ENV = chat(
    "config:inventory-api/DB_HOST",
    "kubectl -n catalog set env deploy/inventory-api DB_HOST=inventory-db.cluster-ro.example.com",
    ago(11),
    Trigger.CONFIG_CHANGE,
    ("inventory-api", "Namespace/catalog"),
    0.15,  # it names another service than the alert's
)
NEW_REVISION = finding(
    "eks:rollout:catalog/inventory-api/rev23",
    W,
    "Deployment catalog/inventory-api revision 23, rolled out 10 min before the alert: env DB_HOST "
    "inventory-db.cluster.example.com -> inventory-db.cluster-ro.example.com",
    relevance=1.0,  # the scanner was asked about inventory-api
    at=ago(10),
    change=Trigger.DEPLOY,
    resources=("catalog/Deployment/inventory-api", "catalog/ReplicaSet/inventory-api-8c5d7b9f4"),
)
OTHER_ROLLOUT = NEW_REVISION.model_copy(
    update={
        "id": "eks:rollout:catalog/price-api/rev4",
        "title": "Deployment catalog/price-api revision 4, rolled out 10 min before the alert",
        "resources": ("catalog/Deployment/price-api",),
    }
)


def test_a_change_to_a_dependency_is_followed_to_the_revision_the_cluster_shows() -> None:
    ctx = alert("order-fulfillment", "fulfillment")
    first = [ok("cloudwatch_logs", CALLS_FAIL), ok("slack_scanner", SET_ENV)]
    report = synthesize(ctx, first)
    assert report.cause.trigger is Trigger.CONFIG_CHANGE and SET_ENV.id in report.cause.evidence
    # Nothing yet shows the change from the cluster's side: the dependency is asked about.
    narrowed = dependency_context(ctx, first)
    assert narrowed is not None
    assert (narrowed.hints.workload, narrowed.hints.namespace) == ("inventory-api", "catalog")
    # Its answer shows the new revision and its env: cited with the announcement, and said.
    report = synthesize(ctx, first, related=[ok("eks", NEW_REVISION, OTHER_ROLLOUT)])
    assert NEW_REVISION.id in report.cause.evidence
    assert "cluster-ro" in report.cause.summary
    assert OTHER_ROLLOUT.id not in report.cause.evidence  # another workload in that namespace
    assert dependency_context(ctx, [*first, ok("eks", NEW_REVISION)]) is None


def test_a_change_to_the_target_itself_asks_about_nothing_more() -> None:
    ctx = alert("inventory-api", "catalog")
    errors = log(
        "errors:inventory",
        "ERROR Error 1290 (HY000): The MySQL server is running with the --read-only option",
        ago(9),
        CauseCategory.BAD_CONFIG,
    ).model_copy(update={"resources": ("catalog/inventory-api-8c5d7b9f4-wk2zp",)})
    first = [ok("cloudwatch_logs", errors), ok("slack_scanner", SET_ENV)]
    assert dependency_context(ctx, first) is None
