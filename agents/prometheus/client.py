"""A small client over the Prometheus HTTP API (`/api/v1/...`): plain, bearer, basic or SigV4 auth.

Queries go as form-encoded POSTs (the API accepts both GET and POST for query, query_range, series
and labels): long PromQL never hits a URL length limit, and SigV4 signs the body rather than a query
string whose encoding botocore and httpx might disagree on. Every failure is a `SourceError` that
names the endpoint and Prometheus' own error, never a credential.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.config import PrometheusSource
from shared.errors import ConfigError, SourceError

logger = logging.getLogger(__name__)

MAX_SERIES = 500  # what one /api/v1/series look-up may return before we stop reading


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Envelope(_Payload):
    status: str
    data: Any = None
    errorType: str | None = None
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)


class Sample(_Payload):
    metric: dict[str, str] = Field(default_factory=dict)
    value: tuple[float, str] | None = None
    values: list[tuple[float, str]] = Field(default_factory=list)


class Rule(_Payload):
    name: str
    query: str
    type: str
    duration: float = 0.0
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    health: str | None = None
    state: str | None = None


class RuleGroup(_Payload):
    name: str
    file: str = ""
    rules: list[Rule] = Field(default_factory=list)


class Alert(_Payload):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    state: str = ""
    activeAt: datetime | None = None
    value: str | None = None


class Target(_Payload):
    labels: dict[str, str] = Field(default_factory=dict)
    scrapePool: str = ""
    scrapeUrl: str = ""
    health: str = ""
    lastError: str = ""
    lastScrape: datetime | None = None


@dataclass(frozen=True)
class Series:
    """One time series as read from a range query: its labels and (time, value) points."""

    labels: dict[str, str]
    points: tuple[tuple[datetime, float], ...]

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points]

    def last(self) -> float | None:
        return self.points[-1][1] if self.points else None


def _number(text: str) -> float:
    return float(text)  # Prometheus writes NaN, +Inf and -Inf as strings float() understands


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _epoch(at: datetime) -> str:
    return f"{at.timestamp():.3f}"


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class SigV4Auth(httpx.Auth):
    """Signs each request for Amazon Managed Prometheus (service `aps`) with botocore, using the
    default credential chain (env, profile, IRSA, instance role); credentials refresh themselves."""

    requires_request_body = True

    def __init__(self, region: str, credentials: Any | None = None, service: str = "aps") -> None:
        self.region = region
        self.service = service
        self._credentials = credentials

    def _frozen(self) -> Any:
        if self._credentials is None:
            import botocore.session

            self._credentials = botocore.session.get_session().get_credentials()
            if self._credentials is None:
                raise SourceError(
                    "prometheus: no AWS credentials found to sign requests for Amazon Managed Prometheus"
                )
        return self._credentials.get_frozen_credentials()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from botocore.auth import SigV4Auth as BotoSigV4
        from botocore.awsrequest import AWSRequest

        headers = {"Host": request.url.netloc.decode()}
        if request.headers.get("Content-Type"):
            headers["Content-Type"] = request.headers["Content-Type"]
        aws = AWSRequest(method=request.method, url=str(request.url), data=request.content, headers=headers)
        BotoSigV4(self._frozen(), self.service, self.region).add_auth(aws)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"):
            if name in aws.headers:
                request.headers[name] = aws.headers[name]
        yield request


class PrometheusClient:
    """The read-only Prometheus HTTP API. `base_url` is the server root (or an AMP workspace URL
    ending in `/workspaces/<id>`); `/api/v1/...` is appended. `ui_url` is where a person opens the
    graphs (`ui_url/graph?...`): the base URL unless given, since an AMP workspace serves no UI."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        ui_url: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.ui_url = (ui_url or "").strip().rstrip("/") or self.base_url
        self._http = httpx.Client(
            base_url=self.base_url, auth=auth, timeout=timeout, transport=transport, follow_redirects=True
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self, method: str, path: str, form: Sequence[tuple[str, str]] = (), timeout: float | None = None
    ) -> Any:
        endpoint = f"/api/v1/{path}"
        extra: dict[str, Any] = {} if timeout is None else {"timeout": max(0.5, timeout)}
        try:
            if method == "POST":
                response = self._http.post(endpoint, data=dict(_multi(form)), **extra)
            else:
                response = self._http.get(endpoint, params=list(form), **extra)
        except httpx.HTTPError as e:
            raise SourceError(f"prometheus {path}: {type(e).__name__}: {e}") from e
        try:
            envelope = _Envelope.model_validate(response.json())
        except (ValueError, ValidationError) as e:
            raise SourceError(
                f"prometheus {path}: HTTP {response.status_code}, not a Prometheus API answer"
            ) from e
        if envelope.status != "success":
            raise SourceError(f"prometheus {path}: {envelope.errorType or 'error'}: {envelope.error or '?'}")
        for warning in envelope.warnings:
            logger.debug("endpoint=<%s>, warning=<%s> | prometheus warned", path, warning)
        return envelope.data

    def query(self, expr: str, at: datetime | None = None, *, timeout: float | None = None) -> list[Sample]:
        """An instant query: the vector (or scalar, as one unlabelled sample) at `at`."""
        form = [("query", expr)] + ([("time", _epoch(at))] if at else [])
        data = self._call("POST", "query", form, timeout) or {}
        if data.get("resultType") in {"scalar", "string"}:
            return [Sample(value=tuple(data["result"]))]
        return [Sample.model_validate(s) for s in data.get("result") or []]

    def query_range(
        self, expr: str, start: datetime, end: datetime, step: timedelta, *, timeout: float | None = None
    ) -> list[Series]:
        """A range query as `Series` with parsed times and values (NaN points dropped)."""
        form = [
            ("query", expr),
            ("start", _epoch(start)),
            ("end", _epoch(end)),
            ("step", f"{max(1, int(step.total_seconds()))}s"),
        ]
        data = self._call("POST", "query_range", form, timeout) or {}
        out = []
        for raw in data.get("result") or []:
            sample = Sample.model_validate(raw)
            points = tuple((_when(ts), v) for ts, text in sample.values if not math.isnan(v := _number(text)))
            out.append(Series(labels=sample.metric, points=points))
        return out

    def series(
        self,
        matchers: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        limit: int = MAX_SERIES,
        timeout: float | None = None,
    ) -> list[dict[str, str]]:
        """Label sets of the series matching any of `matchers` between `start` and `end`, at most
        `limit` (servers from 2.49 honour `limit` themselves; older ones are cut here)."""
        form = [("match[]", m) for m in matchers]
        form += [("start", _epoch(start)), ("end", _epoch(end)), ("limit", str(limit))]
        data = self._call("POST", "series", form, timeout) or []
        return [dict(s) for s in data[:limit]]

    def labels(self, matchers: Sequence[str] = (), *, timeout: float | None = None) -> list[str]:
        data = self._call("POST", "labels", [("match[]", m) for m in matchers], timeout) or []
        return [str(x) for x in data]

    def rules(self, kind: str | None = "alert", *, timeout: float | None = None) -> list[RuleGroup]:
        """Rule groups (`kind` "alert", "record" or None for both)."""
        data = self._call("GET", "rules", [("type", kind)] if kind else [], timeout) or {}
        return [RuleGroup.model_validate(g) for g in data.get("groups") or []]

    def alerts(self, *, timeout: float | None = None) -> list[Alert]:
        data = self._call("GET", "alerts", (), timeout) or {}
        return [Alert.model_validate(a) for a in data.get("alerts") or []]

    def targets(self, *, timeout: float | None = None) -> list[Target]:
        data = self._call("GET", "targets", [("state", "active")], timeout) or {}
        return [Target.model_validate(t) for t in data.get("activeTargets") or []]


def _multi(form: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in form:
        grouped.setdefault(key, []).append(value)
    return grouped


def client_from_env(
    source: PrometheusSource,
    env: Mapping[str, str] = os.environ,
    *,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> PrometheusClient:
    """The client `config.sources.prometheus` describes: URL, then SigV4 (when `amp_region` is set),
    bearer or basic auth from the environment variables it names, and the UI URL for links (from
    `ui_url_env`, when set and not empty). Missing settings are a `ConfigError` naming the variable,
    never a value."""
    url = (env.get(source.url_env) or "").strip()
    if not url:
        raise ConfigError(f"{source.url_env} is not set: the Prometheus base URL is needed")
    auth: httpx.Auth | None = None
    if source.amp_region:
        auth = SigV4Auth(source.amp_region)
    elif source.bearer_token_env:
        token = (env.get(source.bearer_token_env) or "").strip()
        if not token:
            raise ConfigError(f"{source.bearer_token_env} is not set: the Prometheus bearer token is needed")
        auth = BearerAuth(token)
    elif source.basic_auth_user_env:
        user = env.get(source.basic_auth_user_env) or ""
        password = env.get(source.basic_auth_password_env or "") or ""
        if not user:
            raise ConfigError(f"{source.basic_auth_user_env} is not set: the Prometheus user is needed")
        auth = httpx.BasicAuth(user, password)
    ui_url = env.get(source.ui_url_env) if source.ui_url_env else None
    return PrometheusClient(url, auth=auth, timeout=timeout, transport=transport, ui_url=ui_url)
