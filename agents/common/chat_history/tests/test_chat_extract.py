"""What a chat message announces or reports."""

from __future__ import annotations

import pytest

from agents.common.chat_history.extract import Kind, Mention, classify


def one(text: str, *, bot: bool = False) -> Mention:
    found = classify(text, bot=bot)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "service", "version"),
    [
        ("Deploying checkout v2.3.0 to prod (PR #481: cache product images in memory)", "checkout", "v2.3.0"),
        ("checkout v2.3.0 rollout complete", "checkout", "v2.3.0"),
        ("rolled back orders-api to v5.3.2", "orders-api", "v5.3.2"),
        (
            "ArgoCD synced: deployed 123456789012.dkr.ecr.us-east-1.amazonaws.com/search-api:v4.1.0",
            "search-api",
            "v4.1.0",
        ),
        ("Released billing-worker 1.8.2.", "billing-worker", "1.8.2"),
        (
            "orders-api v5.4.0 going out (PR #1290: read DB password from the v2 secret)",
            "orders-api",
            "v5.4.0",
        ),
        ("feature-extractor v2.0.0: bumped CPU to 2 cores per pod", "feature-extractor", "v2.0.0"),
    ],
)
def test_deploy_announcements_name_service_and_version(text: str, service: str, version: str) -> None:
    mention = one(text)
    assert (mention.kind, mention.service, mention.version) == (Kind.DEPLOY, service, version)


def test_config_changes_carry_key_and_values() -> None:
    m = one(
        "lowered payments-api DB_POOL_MAX from 40 to 8 to stay under the RDS connection limit, config pushed"
    )
    assert (m.kind, m.service, m.key, m.old, m.new) == (Kind.CONFIG, "payments-api", "DB_POOL_MAX", "40", "8")
    m = one("Bumped quotes-api server.tomcat.threads.max from 200 to 20 to save memory; config pushed")
    assert (m.service, m.key, m.old, m.new) == ("quotes-api", "server.tomcat.threads.max", "200", "20")
    m = one("feature flag new-pricing enabled for everyone")
    assert (m.kind, m.key, m.new) == (Kind.CONFIG, "new-pricing", "enabled")
    m = one("tightened the invoices-export bucket policy: deny s3:PutObject unless aws:SourceVpce matches")
    assert (m.kind, m.key, m.thing) == (Kind.CONFIG, "bucket policy", "invoices-export")
    assert m.phrase == "tightened the invoices-export bucket policy"
    assert classify("rolled the new CoreDNS config to staging only, prod untouched", bot=False) == []
    m = one("set LOG_LEVEL=debug on checkout, configmap updated")
    assert (m.key, m.new) == ("LOG_LEVEL", "debug")


def test_plans_chatter_and_plain_bot_posts_are_not_changes() -> None:
    for text in (
        "reminder: payments maintenance window tonight 22:00",
        "we will deploy checkout v2.4.0 tomorrow morning",
        "lunch anyone?",
    ):
        assert classify(text, bot=False) == [], text
    assert classify("Build #812 deployed to the preview environment", bot=True) == []
    upgrade = one("upgraded node 10.0.3.17 at 22:00 for patching")
    assert upgrade.version is None  # an IP address and a time are not versions


@pytest.mark.parametrize(
    "text",
    [
        "should we bump the orders table to on-demand?",
        "can someone roll back checkout to 1.4.2?",
        "has anyone changed the pool size on pricing-engine?",
        "did anyone deploy cart v2.1?",
        "kubectl -n shop scale deploy/payments --replicas=10 ?",
    ],
)
def test_a_question_proposing_or_asking_about_a_change_is_not_one(text: str) -> None:
    assert [m for m in classify(text, bot=False) if m.kind is not Kind.SYMPTOM] == []


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("rolled back checkout to 1.4.2, did that help?", "checkout"),
        ("deployed cart v2.1 to prod. anyone seeing errors?", "cart"),
    ],
)
def test_a_change_said_done_beside_a_question_is_still_a_change(text: str, service: str) -> None:
    assert one(text).service == service


def test_alert_notifications_symptoms_and_traffic() -> None:
    firing = one("[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p", bot=True)
    assert (firing.kind, firing.key) == (Kind.FIRING, "KubePodCrashLooping")
    assert one("[RESOLVED] KubePodCrashLooping shop/checkout", bot=True).kind is Kind.RESOLVED
    assert one("a few customers report slow card payments, anyone seeing this?").kind is Kind.SYMPTOM
    assert one("anyone else getting 502s from search?").kind is Kind.SYMPTOM
    assert one("marketing email blast went out to 2M users").kind is Kind.TRAFFIC
    assert classify("the errors dashboard looks nice", bot=False) == []
    assert classify("customers report slow checkout", bot=True) == []  # bots do not report symptoms


@pytest.mark.parametrize(
    ("text", "service", "key", "new"),
    [
        (
            "migrated smtp-relay to the mail-infra chart; service is now smtp-gateway.mail.svc",
            "smtp-relay",
            "service",
            "smtp-gateway.mail.svc",
        ),
        (
            "switched the orders-db endpoint to orders-db-2.internal",
            "orders-db",
            "endpoint",
            "orders-db-2.internal",
        ),
        (
            "changed the CNAME of api.example.com to edge-2.example.net",
            "api.example.com",
            "cname",
            "edge-2.example.net",
        ),
        ("moved the redis host to redis-2.cache.svc", "redis", "host", "redis-2.cache.svc"),
        (
            "search now points to search-v2.search.svc after the migration",
            "search",
            "endpoint",
            "search-v2.search.svc",
        ),
        ("updated the payments DNS record", "payments", "dns record", None),
    ],
)
def test_where_a_service_now_lives_is_a_config_change(
    text: str, service: str, key: str, new: str | None
) -> None:
    m = one(text)
    assert (m.kind, m.service, m.key, m.new) == (Kind.CONFIG, service, key, new)


def test_endpoint_changes_outside_prod_or_in_the_future_are_not_changes() -> None:
    assert (
        classify("switched the orders-db endpoint to orders-db-2.internal in staging only", bot=False) == []
    )
    assert classify("we will migrate smtp-relay tomorrow; the service is now smtp-gateway", bot=False) == []


@pytest.mark.parametrize(
    ("text", "kind", "service", "namespace", "key"),
    [
        (
            "kubectl -n data scale statefulset orders-pg --replicas=0",
            Kind.CONFIG,
            "orders-pg",
            "data",
            "scale",
        ),
        (
            "kubectl -n payments set resources deployment/payments-worker -c worker --limits=memory=256Mi",
            Kind.CONFIG,
            "payments-worker",
            "payments",
            "set resources",
        ),
        (
            "kubectl apply -n accounts -f netpol/accounts-default-deny.yaml",
            Kind.CONFIG,
            None,
            "accounts",
            "networkpolicy",
        ),
        ("kubectl rollout restart deployment/checkout -n shop", Kind.DEPLOY, "checkout", "shop", None),
        ("scaled the checkout deployment down to 2 replicas", Kind.CONFIG, "checkout", None, "replicas"),
        (
            "done, payments-worker memory limit lowered from 1Gi to 256Mi",
            Kind.CONFIG,
            "payments-worker",
            None,
            "memory limit",
        ),
        (
            "rotated the stripe-webhook secret for the payments namespace",
            Kind.CONFIG,
            None,
            "payments",
            "secret",
        ),
        ("changed the general node group to m7g instances", Kind.INFRA, None, None, "node group"),
        ("terraform apply done: the general node group is now on arm64", Kind.INFRA, None, None, "terraform"),
        ("edited the KMS key policy on alias/invoices-key", Kind.CONFIG, None, None, "key policy"),
    ],
)
def test_changes_made_by_hand_are_changes_with_what_they_touch(
    text: str, kind: Kind, service: str | None, namespace: str | None, key: str | None
) -> None:
    m = one(text)
    assert (m.kind, m.service, m.namespace, m.key) == (kind, service, namespace, key)


def test_what_a_manual_change_touches_besides_a_workload_is_kept() -> None:
    assert one("rotated the stripe-webhook secret").thing == "stripe-webhook"
    assert one("edited the KMS key policy on alias/invoices-key").thing == "kms"
    # Plans and staging-only changes are still not changes.
    assert classify("will scale orders-pg to 0 tomorrow for the resize", bot=False) == []
    assert (
        classify("kubectl -n data scale statefulset orders-pg --replicas=0 in staging only", bot=False) == []
    )


def test_a_change_in_words_names_what_it_was_applied_to() -> None:
    from agents.common.chat_history.commands import manual_change_of

    applied = manual_change_of("applied the egress lock-down policies for orders (CIS finding SEC-2291)")
    assert applied is not None and applied.service == "orders" and applied.key == "policies"
    to = manual_change_of("applied a default-deny NetworkPolicy to accounts")
    assert to is not None and to.service == "accounts"
    later = manual_change_of("rotated the api token for now")
    assert later is not None and later.service is None


def test_a_cd_tools_notification_and_a_version_bump_are_deploys_of_the_app_they_name() -> None:
    [synced] = classify(
        "Argo CD: fulfillment/inventory-api synced to 8d1f2ac (image tag v3.41.0) - Progressing", bot=True
    )
    assert (synced.kind, synced.service, synced.version, synced.namespace) == (
        Kind.DEPLOY,
        "inventory-api",
        "v3.41.0",
        "fulfillment",
    )
    [bumped] = classify("bumping inventory-api to v3.41.0 in prod values (PR #902), merging now", bot=False)
    assert (bumped.kind, bumped.service, bumped.version) == (Kind.DEPLOY, "inventory-api", "v3.41.0")
    # Neither an unrelated sync nor a CD tool's health report is a deploy.
    assert classify("synced the on-call calendar", bot=False) == []
    assert (
        classify("Argo CD: fulfillment/inventory-api is Degraded: progress deadline exceeded", bot=True) == []
    )


def test_a_change_made_now_is_kept_when_the_same_message_plans_a_follow_up() -> None:
    made = classify(
        "applied the rightsizing recs to search now: search-api cpu request 1 -> 250m and limit 2 -> 500m. "
        "did it with kubectl set resources for now, will PR the values file tomorrow",
        bot=False,
    )
    assert [(m.kind, m.key) for m in made] == [(Kind.CONFIG, "set resources")]
    assert classify("we will lower the search-api cpu limit tomorrow, then PR it", bot=False) == []


@pytest.mark.parametrize(
    ("text", "key", "old", "new"),
    [
        (
            "LaunchDarkly: flag `cart-autosave-v2` production targeting 5% -> 100% :tada:",
            "cart-autosave-v2",
            "5%",
            "100%",
        ),
        ("flag new-checkout: off → on in prod", "new-checkout", "off", "on"),
    ],
)
def test_a_flags_rollout_moved_is_a_config_change_with_its_values(
    text: str, key: str, old: str, new: str
) -> None:
    flag = one(text)
    assert (flag.kind, flag.key, flag.old, flag.new) == (Kind.CONFIG, key, old, new)


PLAN = """\
```
# module.sessions_cache.aws_elasticache_parameter_group.this will be updated in-place
  ~ resource "aws_elasticache_parameter_group" "this" {
      + parameter {
          + name  = "maxmemory-policy"
          + value = "noeviction"
        }
    }
Plan: 0 to add, 1 to change, 0 to destroy.
```"""


def test_a_terraform_plan_pasted_by_the_person_applying_it_is_a_change_to_what_it_changes() -> None:
    change = one(f"applying the elasticache module cleanup\n{PLAN}")
    assert change.kind is Kind.CONFIG and change.key == "terraform"
    assert change.thing == "module.sessions_cache.aws_elasticache_parameter_group.this"
    assert change.diff is not None and "noeviction" in change.diff


def test_a_terraform_plan_shown_for_review_is_not_a_change() -> None:
    assert classify(f"plan for tomorrow's cleanup, please review\n{PLAN}", bot=False) == []


def test_a_traffic_word_inside_a_name_is_not_a_traffic_change() -> None:
    guess = "promo-banner just went out, probably that? checkout started erroring right after"
    assert not any(m.kind is Kind.TRAFFIC for m in classify(guess, bot=False))
    assert one("the black friday promo just went out").kind is Kind.TRAFFIC
