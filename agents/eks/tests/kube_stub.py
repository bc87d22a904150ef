"""A minimal Kubernetes API on loopback for the EKS scanner's tests: serves manifests (List
responses with `limit` / `continue`, `fieldSelector`), pod logs (`container`, `previous`,
`tailLines`), checks a bearer token, and can refuse a resource with 403 as RBAC would.

Only what the scanner's reads need; the sandbox's fuller fake API server lives elsewhere.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

PLURALS = {
    "pods": "Pod",
    "events": "Event",
    "services": "Service",
    "endpoints": "Endpoints",
    "configmaps": "ConfigMap",
    "secrets": "Secret",
    "persistentvolumeclaims": "PersistentVolumeClaim",
    "nodes": "Node",
    "deployments": "Deployment",
    "replicasets": "ReplicaSet",
    "statefulsets": "StatefulSet",
    "daemonsets": "DaemonSet",
    "jobs": "Job",
    "horizontalpodautoscalers": "HorizontalPodAutoscaler",
    "cronjobs": "CronJob",
    "poddisruptionbudgets": "PodDisruptionBudget",
    "persistentvolumes": "PersistentVolume",
    "storageclasses": "StorageClass",
    "volumeattachments": "VolumeAttachment",
    "ingresses": "Ingress",
    "ingressclasses": "IngressClass",
    "networkpolicies": "NetworkPolicy",
    "validatingwebhookconfigurations": "ValidatingWebhookConfiguration",
    "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
}  # no Gateway API: its paths answer 404, as on a cluster without the CRDs
_PATH = re.compile(
    r"^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<sub>log))?)?$"
)


class KubeStub:
    def __init__(
        self,
        objects: list[dict[str, Any]],
        logs: dict[str, str] | None = None,
        *,
        token: str | None = None,
        forbidden: set[str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.objects = objects
        self.logs = logs or {}
        self.token = token
        self.forbidden = forbidden or set()
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                stub.requests.append(self.path)
                if stub.token and self.headers.get("Authorization") != f"Bearer {stub.token}":
                    return self._send(401, {"kind": "Status", "message": "Unauthorized"})
                url = urlparse(self.path)
                match = _PATH.match(url.path)
                if not match or match.group("plural") not in PLURALS:
                    return self._send(404, {"kind": "Status", "message": "not found"})
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                kind = PLURALS[match.group("plural")]
                if kind in stub.forbidden:
                    return self._send(403, {"kind": "Status", "message": f"{kind} is forbidden"})
                if match.group("sub") == "log":
                    return self._log(match.group("ns"), match.group("name"), query)
                if match.group("name"):
                    return self._get(kind, match.group("ns"), match.group("name"))
                return self._list(kind, match.group("ns"), query)

            def _get(self, kind: str, ns: str | None, name: str) -> None:
                for o in stub.objects:
                    meta = o.get("metadata", {})
                    if o.get("kind") == kind and meta.get("name") == name and meta.get("namespace") == ns:
                        return self._send(200, o)
                self._send(404, {"kind": "Status", "message": f"{kind} {name} not found"})

            def _list(self, kind: str, ns: str | None, query: dict[str, str]) -> None:
                items = [
                    o
                    for o in stub.objects
                    if o.get("kind") == kind and (ns is None or o.get("metadata", {}).get("namespace") == ns)
                ]
                selector = query.get("fieldSelector", "")
                if selector.startswith("type="):
                    items = [o for o in items if o.get("type") == selector.split("=", 1)[1]]
                if selector.startswith("involvedObject.kind="):
                    wanted = selector.split("=", 1)[1]
                    items = [o for o in items if (o.get("involvedObject") or {}).get("kind") == wanted]
                if selector.startswith("metadata.name="):
                    items = [o for o in items if o["metadata"]["name"] == selector.split("=", 1)[1]]
                if selector.startswith("spec.nodeName="):
                    wanted = selector.split("=", 1)[1]
                    items = [o for o in items if (o.get("spec") or {}).get("nodeName") == wanted]
                limit = int(query.get("limit", "0") or 0)
                meta: dict[str, Any] = {"resourceVersion": "1"}
                if limit and len(items) > limit:
                    items, meta["continue"] = items[:limit], "next-page"
                if "as=PartialObjectMetadataList" in self.headers.get("Accept", ""):
                    # What the API server answers to a metadata-only list: no data, another kind.
                    items = [
                        {
                            "kind": "PartialObjectMetadata",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": o["metadata"],
                        }
                        for o in items
                    ]
                    return self._send(
                        200,
                        {
                            "kind": "PartialObjectMetadataList",
                            "apiVersion": "meta.k8s.io/v1",
                            "metadata": meta,
                            "items": items,
                        },
                    )
                items = [{k: v for k, v in o.items() if k not in {"kind", "apiVersion"}} for o in items]
                self._send(200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": meta, "items": items})

            def _log(self, ns: str, pod: str, query: dict[str, str]) -> None:
                key = f"{ns}/{pod}/{query.get('container', '')}" + (
                    "/previous" if query.get("previous") == "true" else ""
                )
                if key not in stub.logs:
                    return self._send(
                        400, {"kind": "Status", "message": "previous terminated container not found"}
                    )
                lines = stub.logs[key].splitlines(keepends=True)
                tail = int(query.get("tailLines", "0") or 0)
                body = "".join(lines[-tail:] if tail else lines).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:  # HTTPS, and client certificates when the context requires them
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def __enter__(self) -> KubeStub:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
