"""A controller's own Warning events saying a certificate it holds or checks is no longer valid
(a mesh's identity failing to validate its issuer) are a certificate's failure, whatever the
controller calls the reason."""

from __future__ import annotations

from eks_builders import by_prefix, event, run

from shared.contracts import CauseCategory


def test_a_controllers_expired_certificate_events_are_a_certificate_failure() -> None:
    expired = event(
        "Deployment",
        "mesh-ca",
        "SignerValidationFailed",
        "x509: certificate has expired or is not yet valid - Invalid After 2026-11-30 08:00:00 +0000 UTC",
        ns="mesh-system",
        count=12,
    )
    other = event("Deployment", "mesh-web", "SomethingElse", "could not sync", ns="mesh-system", count=12)
    findings = run([expired, other])
    [group] = by_prefix(findings, "eks:events-signervalidationfailed:")
    assert group.cause_hint is CauseCategory.CERTIFICATE_EXPIRED
    assert "Invalid After 2026-11-30" in group.title
    [unrelated] = by_prefix(findings, "eks:events-somethingelse:")
    assert unrelated.cause_hint is None
