"""Changes and notices people and tools write in chat that earlier shapes missed: a command that
names the workload it touched, AWS CLI calls and secret rotations with the secret they name, a
Terraform run's summary with what it applied, bulk sends as traffic, and "this alert is a test"."""

from __future__ import annotations

from datetime import timedelta

from test_chat_scanner import alert, by_kind, scan

from agents.common.chat_history.extract import Kind, classify
from agents.common.chat_history.subject import ChatSubject
from agents.common.scope import name_in_alert_name
from sandbox.memory_chat import MemoryChat
from shared.contracts import CauseCategory, Trigger


def test_a_pasted_set_env_names_the_deployment_it_changed() -> None:
    [m] = classify(
        "kubectl -n billing set env deployment/ledger-api DB_POOL_MAX=120 DB_POOL_MIN=20\n"
        "deployment.apps/ledger-api env updated",
        bot=False,
    )
    assert (m.kind, m.service, m.namespace, m.key, m.new) == (
        Kind.CONFIG,
        "ledger-api",
        "billing",
        "DB_POOL_MAX",
        "120",
    )


def test_aws_cli_calls_and_rotations_name_the_secret_they_touch() -> None:
    [m] = classify(
        "aws secretsmanager rotate-secret --secret-id prod/payments/stripe --rotate-immediately", bot=False
    )
    assert (m.kind, m.key, m.thing) == (Kind.CONFIG, "secretsmanager rotate-secret", "prod/payments/stripe")
    [m] = classify(
        "rotation of prod/billing/db kicked off (rotate-secret --rotate-immediately), will watch it",
        bot=False,
    )
    assert (m.kind, m.thing) == (Kind.CONFIG, "prod/billing/db")
    # announced for tomorrow: not a change yet
    assert classify("tomorrow we turn on Secrets Manager rotation for prod/billing/db", bot=False) == []


def test_a_terraform_runs_summary_is_a_change_naming_what_it_applied() -> None:
    text = (
        "Ran Apply for dir: `s3/reports-prod` workspace: `default` "
        "(PR #88 'lock bucket to the VPC endpoint') — "
        "Apply complete! Resources: 0 added, 1 changed, 0 destroyed. ~ aws_s3_bucket_policy.reports"
    )
    [m] = classify(text, bot=True)
    assert (m.kind, m.key, m.thing) == (Kind.CONFIG, "terraform", "s3/reports-prod")
    nothing = (
        "Ran Apply for dir: `s3/reports-prod` — Apply complete! Resources: 0 added, 0 changed, 0 destroyed."
    )
    assert classify(nothing, bot=True) == []
    [m] = classify(
        "applied terraform: node security group sg-0d4f1a2b3c4d5e6f7 egress now 10.0.0.0/16 only", bot=False
    )
    assert m.thing == "sg-0d4f1a2b3c4d5e6f7"


def test_bulk_sends_and_campaigns_said_in_words_are_traffic() -> None:
    for text in (
        "SPRING10 email campaign is out: 900k subscribers, landing page /sale/spring10",
        "kicking off the re-send of all October statements now, ~250k messages into statements-queue",
        "backfill of 2M rows into the search index started",
    ):
        assert [m.kind for m in classify(text, bot=False)] == [Kind.TRAFFIC], text


def test_alarm_names_lead_with_the_resource_they_watch() -> None:
    assert name_in_alert_name("statements-renderer-Errors") == "statements-renderer"
    assert name_in_alert_name("orders-api-alb-5xx") == "orders-api"
    assert name_in_alert_name("KubePodCrashLooping") is None
    assert name_in_alert_name("orders-api") is None


def test_a_person_announcing_a_test_of_the_alert_makes_it_no_issue() -> None:
    chat = MemoryChat(read_only=True, users={"U0ILSE": "ilse"})
    chat.seed(
        "C0ALERTS",
        "billing-alerts",
        (30, "U0ILSE", "that one's expected, the legacy lambda was deleted yesterday"),
        (
            8,
            "U0ILSE",
            "going to fire a test with aws cloudwatch set-alarm-state on ledger-api-p99-latency-high, "
            "ignore it",
        ),
    )
    ctx = alert(
        ":rotating_light: CloudWatch Alarm | ledger-api-p99-latency-high | eu-central-1 | OK -> ALARM"
    )
    _, findings, _ = scan(chat, ctx)
    [notice] = by_kind(findings, "notice")
    assert notice.cause_hint is CauseCategory.NO_ISSUE and notice.relevance >= 0.8
    assert "ledger-api-p99-latency-high" in notice.title and "ilse" in notice.title
    assert not by_kind(findings, "config")  # "set-alarm-state" is a test, not a change


def test_a_rotation_of_the_workloads_own_secret_is_a_relevant_change() -> None:
    chat = MemoryChat(read_only=True, users={"U0OMAR": "omar"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (26, "U0OMAR", "rotation of prod/checkout/db kicked off (rotate-secret --rotate-immediately)"),
    )
    _, findings, _ = scan(chat, alert())
    [change] = by_kind(findings, "config")
    assert change.change is Trigger.CONFIG_CHANGE and "prod/checkout/db" in change.resources
    assert change.relevance >= 0.5  # the secret carries the workload's name (checkout)
    assert change.first_seen is not None and change.first_seen > alert().anchor - timedelta(minutes=40)


def test_a_deploy_names_what_was_released_not_a_filler_word_or_a_commit_title() -> None:
    [m] = classify("recommendations deployed right before this, their widget is on every page", bot=False)
    assert (m.kind, m.service) == (Kind.DEPLOY, "recommendations")
    # the quoted commit title names a library bumped inside the release, not a release
    found = classify(
        "lambda thumbnailer: published version 112 (commit a90f2d4 'bump sharp to 0.33.4')", bot=True
    )
    assert all(m.service != "sharp" for m in found)
    [m] = classify("Deploying checkout v2.3.0 to prod (PR #481: 'cache product images')", bot=False)
    assert (m.service, m.version) == ("checkout", "v2.3.0")
    assert classify("the hotfix has been deployed", bot=False) == []


def test_a_pasted_plan_is_a_change_that_says_what_it_replaced() -> None:
    text = (
        "terraform apply -target=aws_iam_role.worker\n"
        '  ~ resource "aws_iam_role" "worker" {\n'
        "      ~ assume_role_policy = jsonencode(\n"
        '          - "oidc.eks.amazonaws.com/id/ABC:sub" = "system:serviceaccount:*:worker"\n'
        '          + "oidc.eks.amazonaws.com/id/ABC:sub" = "system:serviceaccount:shiping:worker"\n'
        "          - from_port = 5432\n"
        "          + from_port = 5432\n"
        "    }\n"
        "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
    )
    [m] = classify(text, bot=False)
    assert m.diff == "+ sub = system:serviceaccount:shiping:worker; - sub = system:serviceaccount:*:worker"
    chat = MemoryChat(read_only=True, users={"U0PETRA": "petra"})
    chat.seed("C0ALERTS", "alerts-prod", (50, "U0PETRA", text))
    _, findings, _ = scan(chat, alert())
    [change] = by_kind(findings, "config")
    assert "+ sub = " in change.title and "shiping:worker" in change.title


def test_a_change_to_a_resource_named_for_the_alerts_product_is_tied_to_it() -> None:
    subject = ChatSubject(names=(), namespace="shipping")
    assert subject.shares_word("aws_iam_role.shipping_worker")
    assert not subject.shares_word("aws_iam_role.billing_worker")
    assert not ChatSubject(names=("orders-api",)).shares_word("prod/payments/db")


def test_expected_said_right_under_an_earlier_firing_of_the_alert_answers_it() -> None:
    chat = MemoryChat(read_only=True, users={"U0OLGA": "olga"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (40, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
        (38, "U0OLGA", "expected, the new pods warm their cache for a while. it'll clear"),
        (20, "U0OLGA", "expected, that's the nightly batch"),  # long after: answers nothing
    )
    _, findings, _ = scan(chat, alert())
    [notice] = by_kind(findings, "notice")
    assert notice.cause_hint is CauseCategory.NO_ISSUE and "warm their cache" in notice.title


def test_a_person_asking_whether_something_is_broken_does_not_report_it() -> None:
    [asked] = classify("what does ReportQueueInfo mean? is the renderer broken?", bot=False)
    assert asked.kind is Kind.SYMPTOM and asked.asked
    for text in (
        "anyone seeing 502s on checkout?",
        "is it just me or is checkout slow?",
        "customers report errors",
    ):
        [m] = classify(text, bot=False)
        assert m.kind is Kind.SYMPTOM and not m.asked, text
    chat = MemoryChat(read_only=True, users={"U0SAM": "sam", "U0ANA": "ana"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (5, "U0SAM", "is checkout broken?"),
        (4, "U0ANA", "customers report checkout errors since 10 min"),
    )
    _, findings, _ = scan(chat, alert())
    by_author = {("sam" if "sam" in f.title else "ana"): f for f in by_kind(findings, "symptom")}
    assert by_author["sam"].relevance <= 0.3 < by_author["ana"].relevance
