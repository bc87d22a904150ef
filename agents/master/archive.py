"""Where finished reports are kept: an S3 trace archive when deployed, a folder locally."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from shared.contracts import IncidentReport

logger = logging.getLogger(__name__)

ENV_ARCHIVE_DIR = "SRE_ARCHIVE_DIR"
ENV_TRACE_BUCKET = "SRE_TRACE_BUCKET"


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
        partial.write_text(report.model_dump_json(indent=2), encoding="utf-8")
        partial.replace(target)
        return str(target)


class S3Archive:
    def __init__(self, bucket: str, prefix: str = "reports/") -> None:
        self.bucket = bucket
        self.prefix = prefix

    def store(self, report: IncidentReport) -> str:
        import boto3  # deferred: only deployed masters archive to S3

        key = f"{self.prefix}{report.created_at:%Y/%m/%d}/{report.investigation_id}.json"
        boto3.client("s3").put_object(
            Bucket=self.bucket,
            Key=key,
            Body=report.model_dump_json().encode(),
            ContentType="application/json",
        )
        return f"s3://{self.bucket}/{key}"


class NoArchive:
    def store(self, report: IncidentReport) -> str:
        return ""


def archive_from_env(env: Mapping[str, str] = os.environ) -> Archive:
    if env.get(ENV_TRACE_BUCKET):
        return S3Archive(env[ENV_TRACE_BUCKET])
    if env.get(ENV_ARCHIVE_DIR):
        return FolderArchive(Path(env[ENV_ARCHIVE_DIR]))
    return NoArchive()
