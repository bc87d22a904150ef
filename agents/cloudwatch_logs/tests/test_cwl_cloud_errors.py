"""Cloud and infrastructure error lines as services and AWS write them: the cause each points at, and
titles that name what failed (the operation, the action and resource, the denying policy)."""

from __future__ import annotations

import pytest
from cwl_support import events, findings_for

from agents.common.signatures import load_signatures, specifics_in
from shared.contracts import CauseCategory as C

SIG = load_signatures()

KMS_THROTTLED = (
    "[ERROR] ClientError: An error occurred (ThrottlingException) when calling the Decrypt operation "
    "(reached max retries: 4): You have exceeded the rate at which you may call KMS. Reduce the frequency "
    'of your calls.\nTraceback (most recent call last):\n  File "/var/task/handler.py", line 41, in handler'
)
S3_EXPLICIT_DENY = (
    '{"level":"error","msg":"s3 GetObject failed","bucket":"assets-prod","key":"img/1.webp","err":'
    '"AccessDenied: User: arn:aws:sts::123456789012:assumed-role/assets-api-irsa/session-1 is not authorized '
    'to perform: s3:GetObject on resource: \\"arn:aws:s3:::assets-prod/img/1.webp\\" with an explicit deny '
    'in a resource-based policy"}'
)


@pytest.mark.parametrize(
    ("line", "category"),
    [
        # VPC flow log records (default format): a REJECT is a security group or NACL dropping it
        (
            "2 123456789012 eni-07a1b2c3d4e5f6a7b 10.70.42.17 3.120.1.8 51244 443 6 3 180 "
            "1733575620 1733575680 "
            "REJECT OK",
            C.NETWORK_FAILURE,
        ),
        (
            '10.90.5.44 - - [07/Dec/2026:12:04:01 +0000] "GET /healthz HTTP/1.1" 404 124 "-" '
            '"ELB-HealthChecker/2.0"',
            C.PROBE_FAILURE,
        ),
        ('10.0.1.9 - - "GET /ready HTTP/1.1" 503 19 "-" "kube-probe/1.29+"', C.PROBE_FAILURE),
        (
            "http: TLS handshake error from 10.30.4.18:51234: remote error: tls: bad certificate",
            C.CERTIFICATE_EXPIRED,
        ),
        (
            "org.postgresql.util.PSQLException: FATAL: the database system is in recovery mode",
            C.DEPENDENCY_FAILURE,
        ),
        ("CannotGetJdbcConnectionException: Failed to obtain JDBC Connection", C.DEPENDENCY_FAILURE),
        (
            "ERROR GET /cart 502 upstream cart-api.shop.svc.cluster.local:8080 returned 503",
            C.DEPENDENCY_FAILURE,
        ),
        (S3_EXPLICIT_DENY, C.PERMISSION_DENIED),
        (
            "An error occurred (AccessDeniedException) when calling the Decrypt operation: User: x is not "
            "authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/abc",
            C.PERMISSION_DENIED,
        ),
        (KMS_THROTTLED, C.RATE_LIMITED),
        (
            "botocore.errorfactory.ResourceNotFoundException: An error occurred (ResourceNotFoundException) "
            "when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.",
            C.BAD_CONFIG,
        ),
        ("An error occurred (ParameterNotFound) when calling the GetParameter operation", C.BAD_CONFIG),
        ("FATAL: sorry, too many clients already", C.RESOURCE_POOL_EXHAUSTION),
    ],
)
def test_cloud_error_lines_point_at_their_cause(line: str, category: C) -> None:
    signature = SIG.match(line)
    assert signature is not None and signature.category is category


def test_accepted_flow_records_and_passing_health_checks_are_not_errors() -> None:
    assert not SIG.is_error_line(
        "2 123456789012 eni-07a1b2c3d4e5f6a7b 10.70.42.17 3.120.1.8 43812 443 6 22 9840 "
        "1733572800 1733572860 "
        "ACCEPT OK"
    )
    assert not SIG.is_error_line('10.90.3.17 - - "GET /health HTTP/1.1" 200 15 "-" "ELB-HealthChecker/2.0"')


def test_specifics_name_the_operation_and_the_denied_action() -> None:
    assert specifics_in(KMS_THROTTLED) == "ThrottlingException on KMS Decrypt"
    assert specifics_in(S3_EXPLICIT_DENY) == "s3:GetObject on arn:aws:s3:::assets-prod/img/1.webp"
    assert specifics_in("ERROR GET /cart 500") is None


def test_a_denied_title_says_explicit_deny_and_what_was_denied() -> None:
    evts = events(
        S3_EXPLICIT_DENY, start=12, every_s=5, count=100, stream="assets-api-5d4c3b2a1-qwert_media_api"
    )
    [finding] = findings_for(evts, namespace="media", workload="assets-api")
    assert finding.cause_hint is C.PERMISSION_DENIED
    assert "explicit deny" in finding.title
    assert "s3:GetObject on arn:aws:s3:::assets-prod" in finding.title


def test_a_throttled_title_names_the_service_and_operation_of_a_long_sdk_error() -> None:
    evts = events(
        KMS_THROTTLED, start=12, every_s=5, count=100, stream="assets-api-5d4c3b2a1-qwert_media_api"
    )
    [finding] = findings_for(evts, namespace="media", workload="assets-api")
    assert finding.cause_hint is C.RATE_LIMITED
    assert "ThrottlingException on KMS Decrypt" in finding.title


def test_a_listening_address_is_not_a_release_version() -> None:
    assert SIG.marker("ready - started server on 0.0.0.0:3000") is None
    marker = SIG.marker("INFO started checkout v2.3.0.")
    assert marker is not None and marker.id == "release-start"
