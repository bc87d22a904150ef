"""Where finished reports are kept: an S3 trace archive when deployed, a folder locally."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from shared.contracts import IncidentReport
from shared.render.markdown import render_json

logger = logging.getLogger(__name__)

ENV_ARCHIVE_DIR = "SRE_ARCHIVE_DIR"
# Set by the Terraform module on every runtime (runtimes.tf): the trace bucket and its KMS key.
ENV_ARCHIVE_BUCKET = "SRE_ARCHIVE_BUCKET"
ENV_ARCHIVE_KMS_KEY = "SRE_ARCHIVE_KMS_KEY"


class Archive(Protocol):
    def store(self, report: IncidentReport) -> str:
        """Keep the report; return where it went."""
        ...


class FolderArchive:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def store(self, report: IncidentReport) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{report.investigation_id}.json"
        partial = target.with_suffix(".json.part")
        # Written then renamed, so a reader polling the folder never sees half a report.
        # Evidence holds raw log and chat text: the archive gets the same redaction as a posted report.
        partial.write_text(render_json(report), encoding="utf-8")
        partial.replace(target)
        return str(target)


class S3Archive:
    """Reports as JSON under `reports/YYYY/MM/DD/<investigation>.json`, encrypted with the stack's
    KMS key when one is given (the bucket's default encrypts too; naming the key makes a write to a
    misconfigured bucket fail loudly instead of landing under another key)."""

    def __init__(
        self, bucket: str, *, kms_key: str = "", prefix: str = "reports/", client: Any = None
    ) -> None:
        self.bucket = bucket
        self.kms_key = kms_key
        self.prefix = prefix
        self._client = client

    def store(self, report: IncidentReport) -> str:
        key = f"{self.prefix}{report.created_at:%Y/%m/%d}/{report.investigation_id}.json"
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key} if self.kms_key else {}
        self._s3().put_object(
            Bucket=self.bucket,
            Key=key,
            Body=render_json(report).encode(),
            ContentType="application/json",
            **encryption,
        )
        return f"s3://{self.bucket}/{key}"

    def _s3(self) -> Any:
        if self._client is None:
            import boto3  # deferred: only deployed masters archive to S3

            self._client = boto3.client("s3")
        return self._client


class NoArchive:
    def store(self, report: IncidentReport) -> str:
        return ""


def archive_from_env(env: Mapping[str, str] = os.environ) -> Archive:
    if env.get(ENV_ARCHIVE_BUCKET):
        return S3Archive(env[ENV_ARCHIVE_BUCKET], kms_key=env.get(ENV_ARCHIVE_KMS_KEY, ""))
    if env.get(ENV_ARCHIVE_DIR):
        return FolderArchive(Path(env[ENV_ARCHIVE_DIR]))
    return NoArchive()
