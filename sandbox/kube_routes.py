"""Request paths of the Kubernetes stand-in, parsed as kube-apiserver's do:

    /api | /apis | /api/v1 | /apis/{group} | /apis/{group}/{version}         discovery
    {prefix}/{plural}                      list across namespaces, or of a cluster-scoped kind
    {prefix}/{plural}/{name}[/status]      get a cluster-scoped object
    {prefix}/namespaces/{ns}/{plural}      list in a namespace
    {prefix}/namespaces/{ns}/{plural}/{name}[/status|/log]

where {prefix} is /api/v1 or /apis/{group}/{version}.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sandbox.kube_logs import (
    LogError,
    LogOptions,
    choose_container,
    missing_log,
    parse_time,
    render_log,
    start_time,
)
from sandbox.kube_resources import (
    ResourceType,
    api_group,
    api_group_list,
    api_resource_list,
    api_versions,
    to_served,
)
from sandbox.kube_selectors import (
    SelectorError,
    check_fields,
    field_value,
    parse_field_selector,
    parse_label_selector,
)
from sandbox.kube_store import UNKNOWN_RESOURCE, KubeStore, not_found, object_key, status

logger = logging.getLogger(__name__)

_PARTIAL = "as=PartialObjectMetadata"
_TRUE = ("true", "1")


def dispatch(store: KubeStore, request: Request, path: str) -> Response:
    """The answer to one request (the bearer token is already checked)."""
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("api", "apis"):
        return status(404, "NotFound", UNKNOWN_RESOURCE, {})
    if parts[0] == "api":
        if len(parts) == 1:
            return JSONResponse(api_versions(f"{request.url.hostname}:{request.url.port}"))
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) == 1:
            return JSONResponse(api_group_list(store.registry))
        versions = store.registry.group_versions().get(parts[1])
        if len(parts) == 2:
            if not versions:
                return status(404, "NotFound", UNKNOWN_RESOURCE, {})
            return JSONResponse({"kind": "APIGroup", "apiVersion": "v1", **api_group(parts[1], versions)})
        group, version, rest = parts[1], parts[2], parts[3:]
    if not rest:
        listing = api_resource_list(store.registry, group, version)
        return JSONResponse(listing) if listing else status(404, "NotFound", UNKNOWN_RESOURCE, {})

    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    rt = store.registry.find(group, version, rest[0])
    if rt is None or len(rest) > 3 or (namespace is not None and not rt.namespaced):
        return status(404, "NotFound", UNKNOWN_RESOURCE, {})
    if request.method != "GET":
        return _forbidden(request.method, rt, namespace, rest[1] if len(rest) > 1 else None)
    if request.query_params.get("watch", "").lower() in _TRUE:
        return status(405, "MethodNotAllowed", "watch is not supported by the sandbox Kubernetes API")
    if len(rest) == 1:
        return _list(store, request, rt, namespace)
    name = rest[1]
    obj = store.get(rt, namespace or "", name)
    if obj is None:
        return not_found(rt, name)
    sub = rest[2] if len(rest) == 3 else None
    if sub == "log" and rt.kind == "Pod" and not rt.group:
        return _log(store, request, obj, namespace or "", name)
    if sub not in (None, "status"):
        return status(404, "NotFound", UNKNOWN_RESOURCE, {})
    served = to_served(obj, rt)
    if _PARTIAL in request.headers.get("accept", ""):
        return JSONResponse(_partial(served))
    return JSONResponse(served)


def _forbidden(method: str, rt: ResourceType, namespace: str | None, name: str | None) -> JSONResponse:
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    subject = f'{rt.qualified} "{name}"' if name else rt.qualified
    message = (
        f'{subject} is forbidden: User "sre-on-call:read-only" cannot {verb} resource "{rt.plural}" '
        f'in API group "{rt.group}"{where}'
    )
    details: dict[str, Any] = {"kind": rt.plural}
    if name:
        details["name"] = name
    if rt.group:
        details["group"] = rt.group
    return status(403, "Forbidden", message, details)


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError as e:
        raise SelectorError(f'invalid value for {name}: "{raw}"') from e


def _list(store: KubeStore, request: Request, rt: ResourceType, namespace: str | None) -> Response:
    labels = parse_label_selector(request.query_params.get("labelSelector"))
    fields = parse_field_selector(request.query_params.get("fieldSelector"))
    check_fields(fields, rt.kind, rt.namespaced)
    limit = _int_param(request, "limit") or 0
    token = request.query_params.get("continue")
    after: tuple[str, str] | None = None
    if token:
        try:
            after = store.parse_continue(token)
        except ValueError as e:
            return status(400, "BadRequest", f"{e}")
        if after is None:
            return status(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list result. "
                "You can start a new list without the continue parameter.",
            )
    objects = store.items(rt, namespace)
    matched = [
        o
        for o in objects
        if labels.matches((o.get("metadata") or {}).get("labels"))
        and fields.matches(o, field_value)
        and (after is None or object_key(o) > after)
    ]
    metadata: dict[str, Any] = {"resourceVersion": store.revision}
    page = matched
    if 0 < limit < len(matched):
        page = matched[:limit]
        metadata["continue"] = store.continue_token(object_key(page[-1]))
        if not labels.requirements and not fields.terms:
            metadata["remainingItemCount"] = len(matched) - limit
    if _PARTIAL in request.headers.get("accept", ""):
        return JSONResponse(
            {
                "kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": metadata,
                "items": [_partial(o) for o in page],
            }
        )
    items = [_list_item(to_served(o, rt), rt) for o in page]
    return JSONResponse(
        {"kind": rt.list_kind, "apiVersion": rt.group_version, "metadata": metadata, "items": items}
    )


def _list_item(obj: dict[str, Any], rt: ResourceType) -> dict[str, Any]:
    # Built-in lists carry kind and apiVersion only on the list; custom resources keep them per item.
    if not rt.builtin:
        return obj
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def _log(store: KubeStore, request: Request, pod: dict[str, Any], namespace: str, name: str) -> Response:
    q = request.query_params
    since_time = None
    if q.get("sinceTime"):
        since_time = parse_time(q["sinceTime"])
        if since_time is None:
            return status(400, "BadRequest", f'invalid sinceTime "{q["sinceTime"]}"')
    try:
        options = LogOptions(
            container=q.get("container") or None,
            previous=q.get("previous", "").lower() in _TRUE,
            tail_lines=_int_param(request, "tailLines"),
            since_seconds=_int_param(request, "sinceSeconds"),
            since_time=since_time,
            limit_bytes=_int_param(request, "limitBytes"),
            timestamps=q.get("timestamps", "").lower() in _TRUE,
        )
        container = choose_container(pod, options.container, store.logged_containers(namespace, name))
        key = f"{namespace}/{name}/{container}" + ("/previous" if options.previous else "")
        text = store.log(key)
        if text is None:
            error = missing_log(pod, container, options.previous)
            if error is not None:
                raise error
            text = ""
    except LogError as e:
        return status(e.status, "BadRequest", e.message)
    body = render_log(text, options, start_time(pod, container, options.previous), datetime.now(UTC))
    return PlainTextResponse(body)
