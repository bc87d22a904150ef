"""A read-only Kubernetes API server stand-in for the sandbox, spoken to by the official
`kubernetes` client (no real API server installs from a package registry).

It serves a scenario's manifests the way kube-apiserver does: discovery (`/api`, `/apis`,
`/api/v1`, `/apis/{group}/{version}`, `/version`), LIST (namespaced and across namespaces) and GET
for every standard kind and any custom kind the scenario uses, `List` kinds with a
`resourceVersion`, `labelSelector` / `fieldSelector`, `limit` / `continue` paging, pod logs as
text, `Status` objects for errors, and 401 when the bearer token is wrong. Anything but GET is
refused with 403, as for the read-only identity the scanners run as.

Usage: `api = FakeKubeApi(objects, pod_logs, token="t")`; serve `api.app` (see
`sandbox.http.ServedApp`); `api.load(...)` replaces the data in place.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from sandbox.kube_routes import dispatch
from sandbox.kube_selectors import SelectorError
from sandbox.kube_store import VERSION, KubeStore, status

logger = logging.getLogger(__name__)

_OPEN_PATHS = {"/version", "/healthz", "/livez", "/readyz"}


class FakeKubeApi:
    """The Starlette app (`.app`) over a `KubeStore`.

    `objects`: manifests as the API server returns them (times already RFC 3339); `pod_logs`: log
    text by `"namespace/pod/container"` or `"namespace/pod/container/previous"`; `token`: when
    set, requests must carry `Authorization: Bearer <token>`.
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        pod_logs: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.token = token
        self.store = KubeStore()
        self.store.load(objects, pod_logs)
        # "GET /path?query" of the latest requests, for tests that check what a scanner asked.
        self.requests: deque[str] = deque(maxlen=5000)
        self._requests_lock = threading.Lock()
        self.app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])]
        )

    def load(self, objects: Iterable[Mapping[str, Any]], pod_logs: Mapping[str, str] | None = None) -> None:
        """Replace the served objects and logs (e.g. for the next scenario)."""
        self.store.load(objects, pod_logs)

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"].strip("/")
        with self._requests_lock:
            query = request.url.query
            self.requests.append(f"{request.method} {path}" + (f"?{query}" if query else ""))
        if path in _OPEN_PATHS:
            return JSONResponse(VERSION) if path == "/version" else PlainTextResponse("ok")
        if self.token is not None:
            header = request.headers.get("authorization", "")
            if not hmac.compare_digest(header.encode(), f"Bearer {self.token}".encode()):
                return status(401, "Unauthorized", "Unauthorized")
        try:
            return dispatch(self.store, request, path)
        except SelectorError as e:
            return status(400, "BadRequest", str(e))
