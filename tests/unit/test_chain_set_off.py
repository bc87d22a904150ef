"""A rollout set off by a change someone announced to the same workload (a secret's keys renamed, then
a reloader restarting the pods) is the consequence; the announced change is the trigger. A change
announced to another workload leaves the rollout as the trigger."""

# ruff: noqa: E501
from __future__ import annotations

from test_chain import alert, chat
from test_synthesis import ago, finding, ok

from agents.master.synthesis import synthesize
from shared.contracts import CauseCategory, Severity, Trigger

C, W = Severity.CRITICAL, Severity.WARNING


def _config_error() -> object:
    return finding(
        "eks:pod-config-error:identity/auth-server-6f9d8c7b5-q2w7e/auth-server",
        C,
        "CreateContainerConfigError: pod identity/auth-server-6f9d8c7b5-q2w7e container auth-server: couldn't find key db_password in Secret identity/auth-db-creds",
        relevance=0.95,
        at=ago(14),
        cause=CauseCategory.BAD_CONFIG,
        resources=("identity/Pod/auth-server-6f9d8c7b5-q2w7e", "identity/Deployment/auth-server"),
    )


def _rollout() -> object:
    return finding(
        "eks:deployment-rollout:identity/auth-server",
        W,
        "Deployment identity/auth-server rollout in progress: 1/3 replicas updated to auth-server:11.4.2, 3 ready",
        relevance=0.95,
        change=Trigger.DEPLOY,  # the source saw it, not when it began
        resources=("identity/Deployment/auth-server",),
    )


def test_the_secret_change_that_set_a_rollout_off_is_the_trigger() -> None:
    ctx = alert("auth-server", "identity")
    renamed = chat(
        "config:secret",
        "rotating the auth-server RDS credentials and normalising the secret JSON keys, reloader restarts the pods",
        ago(55),
        Trigger.CONFIG_CHANGE,
        ("auth-server",),
        0.85,
    )
    report = synthesize(ctx, [ok("eks", _config_error(), _rollout()), ok("slack_scanner", renamed)])
    assert report.cause.category is CauseCategory.BAD_CONFIG
    assert report.cause.trigger is Trigger.CONFIG_CHANGE
    assert "normalising the secret JSON" in report.cause.summary


def test_a_change_to_another_workload_does_not_replace_the_rollout() -> None:
    ctx = alert("auth-server", "identity")
    other = chat(
        "config:other",
        "rotated the profile-ui session secret",
        ago(55),
        Trigger.CONFIG_CHANGE,
        ("profile-ui",),
        0.85,
    )
    report = synthesize(ctx, [ok("eks", _config_error(), _rollout()), ok("slack_scanner", other)])
    assert "profile-ui" not in report.cause.summary
