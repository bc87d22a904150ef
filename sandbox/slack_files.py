"""File uploads as Slack takes them from `files_upload_v2` (slack_sdk): `files.getUploadURLExternal`
(one per file: an upload URL and a file id), a POST of the raw bytes to that URL (no token), then
`files.completeUploadExternal` (the file ids, the channel and thread they are shared into)."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

UPLOAD_PATH = "/upload/v1/{file_id}"


class FileError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class SlackFile:
    id: str
    filename: str
    length: int
    alt_text: str = ""
    title: str = ""
    data: bytes = b""
    channel: str | None = None
    thread_ts: str | None = None
    comment: str = ""
    uploaded: bool = False


@dataclass
class SlackFiles:
    """The uploads of one stand-in: pending until completed, then shared (`shared`)."""

    base_url: str = ""
    files: dict[str, SlackFile] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        """Forget every upload (a new scenario)."""
        with self._lock:
            self.files.clear()

    @property
    def shared(self) -> list[SlackFile]:
        return [f for f in self.files.values() if f.channel is not None]

    def get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        try:
            length = int(str(args.get("length") or ""))
        except ValueError:
            length = -1
        if not filename or length <= 0:
            raise FileError("invalid_arguments")
        with self._lock:
            file_id = f"F{next(self._ids):08d}"
            self.files[file_id] = SlackFile(file_id, filename, length, str(args.get("alt_txt") or ""))
        url = self.base_url.rstrip("/") + UPLOAD_PATH.format(file_id=file_id)
        return {"ok": True, "upload_url": url, "file_id": file_id}

    def receive(self, file_id: str, body: bytes) -> bool:
        """The bytes POSTed to an upload URL; False for an unknown file or a wrong length."""
        with self._lock:
            found = self.files.get(file_id)
            if found is None or len(body) != found.length:
                return False
            found.data, found.uploaded = body, True
            return True

    def complete(self, args: dict[str, Any], channel_exists: Any) -> dict[str, Any]:
        try:
            listed = json.loads(str(args.get("files") or ""))
        except ValueError as e:
            raise FileError("invalid_arguments") from e
        if not isinstance(listed, list) or not listed:
            raise FileError("invalid_arguments")
        channel = str(args.get("channel_id") or args.get("channels") or "") or None
        if channel is not None and not channel_exists(channel):
            raise FileError("channel_not_found")
        out = []
        with self._lock:
            for item in listed:
                found = self.files.get(str((item or {}).get("id") or ""))
                if found is None or not found.uploaded:
                    raise FileError("file_not_found")
                found.title = str(item.get("title") or found.filename)
                found.channel = channel
                found.thread_ts = str(args.get("thread_ts") or "") or None
                found.comment = str(args.get("initial_comment") or "")
                out.append(
                    {"id": found.id, "name": found.filename, "title": found.title, "size": found.length}
                )
        return {"ok": True, "files": out}
