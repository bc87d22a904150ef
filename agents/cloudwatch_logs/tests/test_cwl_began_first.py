"""An error that began inside the window, before the recent minutes the alert is about, is the
failure that started first (an expired certificate before the retries it set off), not background
that was always there: it keeps its weight and says when it began. Also the IMDS and TLS-alert
lines that name such first failures."""

from __future__ import annotations

from cwl_support import events, scope

from agents.cloudwatch_logs.analyzers import error_findings, windows_for
from agents.common.signatures import load_signatures
from shared.contracts import CauseCategory as C
from shared.contracts import Severity

SIG = load_signatures()
EXPIRED = (
    "DEBUG [https-jsse-nio-8443-exec-2] o.a.tomcat.util.net.NioEndpoint - Handshake failed: "
    "Received fatal alert: certificate_expired"
)
STREAM = "ledger-api-6f5b8c7d9-r4vkd_finance_api"


def only(evts: list) -> object:
    the_scope = scope(namespace="finance", workload="payout-worker")
    [finding] = error_findings(
        evts, windows=windows_for(the_scope), scope=the_scope, signatures=SIG, region="x"
    )
    return finding


def test_a_cause_that_began_forty_minutes_ago_is_not_steady_background() -> None:
    began = only(events(EXPIRED, start=41, every_s=30, count=80, stream=STREAM))
    assert began.cause_hint is C.CERTIFICATE_EXPIRED  # type: ignore[attr-defined]
    assert began.severity is Severity.WARNING and began.relevance >= 0.55  # type: ignore[attr-defined]
    assert "80x" in began.title and "began 38 min before the alert" in began.title  # type: ignore[attr-defined]
    # The same line there since the window began is background: rated down, and said to be steady.
    steady = only(events(EXPIRED, start=59, every_s=30, count=118, stream=STREAM))
    assert steady.relevance < 0.4 and "steady" in steady.title  # type: ignore[attr-defined]


def test_instance_metadata_failures_and_tls_alerts_point_at_their_cause() -> None:
    imds = (
        'I1207 metadata.go:52] "failed to retrieve instance data from ec2 metadata" err="could not get EC2 '
        "instance identity metadata: operation error ec2imds: GetInstanceIdentityDocument, context deadline "
        'exceeded"'
    )
    signature = SIG.match(imds)
    assert signature is not None and signature.id == "instance-metadata" and "IMDS" in signature.label
    tls = SIG.match(EXPIRED)
    assert tls is not None and tls.category is C.CERTIFICATE_EXPIRED
