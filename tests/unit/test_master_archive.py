"""Where finished reports go: the deployed master archives to the module's S3 bucket under its KMS key
(the env names are the ones `modules/sre-on-call/runtimes.tf` sets), a local run to a folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto import mock_aws

from agents.master.archive import FolderArchive, NoArchive, S3Archive, archive_from_env
from agents.master.synthesis import synthesize
from shared.alerts.context import build_alert_context
from shared.contracts import (
    AgentResult,
    AgentStatus,
    Evidence,
    EvidenceKind,
    Finding,
    IncidentReport,
    Severity,
)

REGION = "us-east-1"


def a_report(*results: AgentResult) -> IncidentReport:
    ctx = build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        thread_id="1795383600.000100",
        received_at=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        text="[FIRING:1] KubePodCrashLooping namespace=shop",
    )
    return synthesize(ctx, list(results))


def test_a_deployed_master_archives_to_the_module_bucket_under_its_kms_key(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="team-sre-on-call-archive")
        archive = archive_from_env(
            {"SRE_ARCHIVE_BUCKET": "team-sre-on-call-archive", "SRE_ARCHIVE_KMS_KEY": key_arn}
        )
        assert isinstance(archive, S3Archive)

        report = a_report()
        where = archive.store(report)

        key = f"reports/{report.created_at:%Y/%m/%d}/{report.investigation_id}.json"
        assert where == f"s3://team-sre-on-call-archive/{key}"
        stored = s3.get_object(Bucket="team-sre-on-call-archive", Key=key)
        assert stored["ServerSideEncryption"] == "aws:kms"
        assert stored["SSEKMSKeyId"] == key_arn
        assert IncidentReport.model_validate_json(stored["Body"].read()) == report


def test_without_a_key_the_bucket_default_encryption_applies(monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="archive")
        archive = S3Archive("archive", client=s3)
        report = a_report()
        archive.store(report)
        listed = s3.list_objects_v2(Bucket="archive")["Contents"]
        assert [item["Key"] for item in listed] == [
            f"reports/{report.created_at:%Y/%m/%d}/{report.investigation_id}.json"
        ]


def test_a_local_run_archives_to_a_folder_and_nothing_is_half_written(tmp_path: Path) -> None:
    archive = archive_from_env({"SRE_ARCHIVE_DIR": str(tmp_path / "reports")})
    assert isinstance(archive, FolderArchive)
    report = a_report()
    where = Path(archive.store(report))
    assert where.parent == tmp_path / "reports"
    assert IncidentReport.model_validate_json(where.read_text()) == report
    assert list(where.parent.iterdir()) == [where]


def test_with_no_destination_nothing_is_archived() -> None:
    assert isinstance(archive_from_env({}), NoArchive)


def test_archived_reports_are_redacted_like_posted_ones(tmp_path: Path) -> None:
    """Evidence carries raw log text: a password a service logged must not land in the archive."""

    leaked = "postgres://app:hunter2-s3cr3t@db.shop:5432/orders"
    finding = Finding(
        id="cloudwatch_logs:conn-refused",
        agent="cloudwatch_logs",
        severity=Severity.CRITICAL,
        title="Connection refused to the orders database",
        detail=f"dial {leaked}: connection refused",
        evidence=(Evidence(kind=EvidenceKind.LOG_LINE, reference="/aws/app", excerpt=f"ERROR {leaked}"),),
    )
    report = a_report(AgentResult(agent="cloudwatch_logs", status=AgentStatus.OK, findings=(finding,)))
    assert "hunter2-s3cr3t" in report.model_dump_json()  # the in-memory report still holds it

    stored = Path(FolderArchive(tmp_path).store(report)).read_text()
    assert "hunter2-s3cr3t" not in stored
    assert IncidentReport.model_validate_json(stored).investigation_id == report.investigation_id

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="archive")
        S3Archive("archive", client=s3).store(report)
        key = s3.list_objects_v2(Bucket="archive")["Contents"][0]["Key"]
        assert "hunter2-s3cr3t" not in s3.get_object(Bucket="archive", Key=key)["Body"].read().decode()
