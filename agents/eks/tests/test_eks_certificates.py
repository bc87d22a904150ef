"""cert-manager Certificates: expired or expiring with the reason renewal fails, or not Ready because
of their issuer, tied to the Secret and the Ingress that serves it."""

from __future__ import annotations

from typing import Any

from eks_builders import at, by_prefix, obj, pod, run, running, scope

from shared.contracts import CauseCategory, Severity

CM = "cert-manager.io/v1"


def certificate(
    not_after: float,
    *,
    ready: str = "True",
    issuer: tuple[str, str] = ("ClusterIssuer", "letsencrypt-prod"),
    **cond: Any,
) -> dict[str, Any]:
    """`not_after` in minutes from now (negative: in the past)."""
    return obj(
        "Certificate",
        "storefront-tls",
        api=CM,
        spec={
            "secretName": "storefront-tls",
            "dnsNames": ["shop.example.com"],
            "issuerRef": {"kind": issuer[0], "name": issuer[1], "group": "cert-manager.io"},
        },
        status={
            "notAfter": at(-not_after),
            "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": at(30), **cond}],
        },
    )


def cluster_issuer(ready: str = "True", **cond: Any) -> dict[str, Any]:
    return obj(
        "ClusterIssuer",
        "letsencrypt-prod",
        None,
        api=CM,
        spec={"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory"}},
        status={"conditions": [{"type": "Ready", "status": ready, **cond}]},
    )


INGRESS = obj(
    "Ingress",
    "storefront",
    api="networking.k8s.io/v1",
    spec={
        "tls": [{"hosts": ["shop.example.com"], "secretName": "storefront-tls"}],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {"path": "/", "backend": {"service": {"name": "storefront", "port": {"number": 80}}}}
                    ]
                },
            }
        ],
    },
)
SERVICE = obj(
    "Service", "storefront", api="v1", spec={"selector": {"app": "storefront"}, "ports": [{"port": 80}]}
)
POD = pod(
    "storefront-6c7d8e9f0-a1b2c",
    labels={"app": "storefront"},
    statuses=[running()],
    owner=("ReplicaSet", "storefront-6c7d8e9f0"),
)
CHALLENGE = obj(
    "Challenge",
    "storefront-tls-1-2841967329-1093573622",
    api="acme.cert-manager.io/v1",
    ownerReferences=[{"kind": "Order", "name": "storefront-tls-1-2841967329", "controller": True}],
    spec={"type": "HTTP-01", "dnsName": "shop.example.com"},
    status={
        "state": "pending",
        "presented": True,
        "processing": True,
        "reason": "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
    },
)


def test_expired_certificate_names_the_failing_challenge_and_the_ingress_serving_it() -> None:
    expired = certificate(
        -45, ready="False", reason="Expired", message="Certificate expired on Sun, 22 Nov 2026 20:55:00 UTC"
    )
    findings = run(
        [expired, cluster_issuer(), CHALLENGE, INGRESS, SERVICE, POD], scope(workload="storefront")
    )
    [finding] = by_prefix(findings, "eks:certificate-expired:")
    assert finding.title.startswith(
        "Certificate shop/storefront-tls (shop.example.com) expired 43 min before the alert"
    )
    assert (
        "HTTP-01 challenge for shop.example.com is pending: Waiting for HTTP-01 challenge "
        "propagation: wrong status code '404'" in finding.title
    )
    assert (
        "shop/Ingress/storefront" in finding.resources and "shop/Secret/storefront-tls" in finding.resources
    )
    assert finding.cause_hint is CauseCategory.CERTIFICATE_EXPIRED and finding.severity is Severity.CRITICAL


def test_certificate_not_ready_because_its_issuer_is_missing_or_broken() -> None:
    pending = certificate(
        60 * 24 * 40,
        ready="False",
        reason="DoesNotExist",
        message="Issuing certificate as Secret does not exist",
    )
    [missing] = by_prefix(
        run([pending, INGRESS, SERVICE, POD], scope(workload="storefront")), "eks:certificate-not-ready:"
    )
    assert "its ClusterIssuer letsencrypt-prod does not exist" in missing.title
    assert missing.cause_hint is CauseCategory.BAD_CONFIG
    broken = cluster_issuer(
        "False",
        reason="ErrRegisterACMEAccount",
        message="Failed to register ACME account: 403 urn:ietf:params:acme:error:unauthorized",
    )
    [issuer] = by_prefix(
        run([pending, broken, INGRESS, SERVICE, POD], scope(workload="storefront")),
        "eks:certificate-not-ready:",
    )
    assert "is not Ready (ErrRegisterACMEAccount: Failed to register ACME account" in issuer.title


def test_expiring_soon_and_healthy_certificates() -> None:
    soon = certificate(
        60 * 30,
        ready="False",
        reason="Failed",
        message="The certificate request has failed to complete and will be retried",
    )
    [finding] = by_prefix(
        run([soon, cluster_issuer(), INGRESS], scope(workload="storefront")), "eks:certificate-expiring:"
    )
    assert "expires in 30 h" in finding.title and finding.cause_hint is CauseCategory.CERTIFICATE_EXPIRED
    healthy = certificate(60 * 24 * 60)
    assert not by_prefix(
        run([healthy, cluster_issuer(), INGRESS], scope(workload="storefront")), "eks:certificate-"
    )
