"""The Kubernetes stand-in's data: objects by kind and key, pod logs, resource versions and
continue tokens; and the `Status` error bodies the API server answers with."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse

from sandbox.kube_defaults import default_uid, fill_defaults
from sandbox.kube_resources import Registry, ResourceType, to_storage

logger = logging.getLogger(__name__)

BUILTIN_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.4-eks-2d5f260",
    "gitCommit": "2d5f260bc7d8e3c5b5b8c5a6c1b2c9d1e3f4a5b6",
    "gitTreeState": "clean",
    "buildDate": "2024-12-12T00:00:00Z",
    "goVersion": "go1.22.9",
    "compiler": "gc",
    "platform": "linux/amd64",
}
UNKNOWN_RESOURCE = "the server could not find the requested resource"


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    """A `Status` object as the API server sends it for a failed request."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=code)


def not_found(rt: ResourceType, name: str) -> JSONResponse:
    details = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return status(404, "NotFound", f'{rt.qualified} "{name}" not found', details)


def object_key(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class KubeStore:
    """The objects and logs being served; replaced whole by `load`, read under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.registry = Registry()
        self._objects: dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]] = {}
        self._logs: dict[str, str] = {}
        self._revision = 0
        self._epoch = uuid.uuid4().hex[:8]  # continue tokens from before a reload are expired
        self.loaded_at = datetime.now(UTC)

    def load(self, objects: Iterable[Mapping[str, Any]], pod_logs: Mapping[str, str] | None = None) -> None:
        """Replace everything. Raises ValueError for an object without kind or metadata.name."""
        registry, store, revision = build(objects, self._revision)
        with self._lock:
            self.registry = registry
            self._objects = store
            self._logs = dict(pod_logs or {})
            self._revision = revision + 1
            self._epoch = uuid.uuid4().hex[:8]
            self.loaded_at = datetime.now(UTC)

    @property
    def revision(self) -> str:
        return str(self._revision)

    def items(self, rt: ResourceType, namespace: str | None) -> list[dict[str, Any]]:
        with self._lock:
            bucket = self._objects.get(rt.storage_key, {})
            keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
            return [bucket[k] for k in keys]

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get(rt.storage_key, {}).get((namespace if rt.namespaced else "", name))

    def log(self, key: str) -> str | None:
        with self._lock:
            return self._logs.get(key)

    def logged_containers(self, namespace: str, pod: str) -> list[str]:
        prefix = f"{namespace}/{pod}/"
        with self._lock:
            return [k[len(prefix) :].split("/")[0] for k in self._logs if k.startswith(prefix)]

    # Continue tokens: opaque to clients, like the real ones (base64 JSON); a reload expires them.
    def continue_token(self, after: tuple[str, str]) -> str:
        raw = json.dumps({"v": self._epoch, "rv": self.revision, "start": list(after)})
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def parse_continue(self, token: str) -> tuple[str, str] | None:
        """The key to continue after; None for a token from before the last reload.
        Raises ValueError for a token that is not one of ours."""
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            start = data["start"]
            after = (str(start[0]), str(start[1]))
        except (binascii.Error, ValueError, KeyError, TypeError, IndexError) as e:
            raise ValueError("continue key is not valid") from e
        return after if data.get("v") == self._epoch else None


Buckets = dict[tuple[str, str], dict[tuple[str, str], dict[str, Any]]]


def build(objects: Iterable[Mapping[str, Any]], revision: int) -> tuple[Registry, Buckets, int]:
    """The registry and objects (by storage key, then (namespace, name)) to serve, and the last
    resource version handed out: objects in their stored version, with what the API server
    always sets (apiVersion, namespace, uid, resourceVersion, required fields), and a Namespace
    for every namespace in use plus the built-in ones."""
    prepared = [to_storage(copy.deepcopy(dict(o))) for o in objects]
    registry = Registry.for_objects(prepared)
    store: Buckets = {}
    for obj in prepared:
        kind, meta = obj.get("kind"), obj.setdefault("metadata", {})
        if not kind or not isinstance(meta, dict) or not meta.get("name"):
            raise ValueError(f"a Kubernetes object needs kind and metadata.name: {str(obj)[:200]}")
        api_version = obj.get("apiVersion")
        rt = (
            registry.storage_type(str(api_version), str(kind))
            if api_version
            else registry.default_type(str(kind))
        )
        if rt is None:
            raise ValueError(f"{kind} {meta['name']}: no apiVersion, and no standard kind of that name")
        obj["apiVersion"] = rt.group_version
        if rt.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        revision += 1
        namespace, name = object_key(obj)
        meta.setdefault("uid", default_uid(str(kind), namespace, name))
        meta.setdefault("resourceVersion", str(revision))
        bucket = store.setdefault(rt.storage_key, {})
        if (namespace, name) in bucket:
            logger.warning(
                "kind=<%s>, name=<%s/%s> | duplicate object, the later one is kept", kind, namespace, name
            )
        bucket[(namespace, name)] = obj
    namespaces = store.setdefault(("", "Namespace"), {})
    in_use = {ns for bucket in store.values() for ns, _ in bucket if ns}
    for ns in sorted(in_use | set(BUILTIN_NAMESPACES)):
        if ("", ns) not in namespaces:
            revision += 1
            namespaces[("", ns)] = _namespace(ns, revision)

    def uid_of(kind: str, namespace: str, name: str) -> str | None:
        for (_, stored_kind), bucket in store.items():
            if stored_kind == kind:
                found = bucket.get((namespace, name)) or bucket.get(("", name))
                if found is not None:
                    return str(found["metadata"]["uid"])
        return None

    def api_version_of(kind: str) -> str:
        rt = registry.default_type(kind)
        return rt.group_version if rt else "v1"

    for bucket in store.values():
        for obj in bucket.values():
            fill_defaults(obj, uid_of, api_version_of)
    return registry, store, revision


def _namespace(name: str, revision: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": default_uid("Namespace", "", name),
            "resourceVersion": str(revision),
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
