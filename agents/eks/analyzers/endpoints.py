"""The URLs an alert is about (a blackbox probe's `instance`, a URL in the alert text), and how
tied an Ingress rule or an HTTPRoute is to them: the object that serves the alerted host and path
is on the alert's path even when the alert names no namespace or workload."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.contracts import AlertContext
from shared.relevance import Relevance

_URL = re.compile(r"https?://[^\s<>|`'\"()\[\],]+", re.IGNORECASE)
# A bare host name in prose ("HTTPS check portal.example.io failed", "Host: portal.example.io."):
# the last label alphabetic, file names left out. Only an Ingress or route serving exactly that host
# makes it count, so words that merely look like hosts match nothing.
_BARE_HOST = re.compile(
    r"(?<![\w.\-/@:])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w\-]|\.[\w\-])",
    re.IGNORECASE,
)
_FILE_SUFFIX = frozenset(
    [
        "py",
        "go",
        "js",
        "ts",
        "rb",
        "sh",
        "java",
        "class",
        "jar",
        "json",
        "yaml",
        "yml",
        "toml",
        "ini",
        "conf",
        "cfg",
        "xml",
        "html",
        "htm",
        "txt",
        "log",
        "md",
        "csv",
        "so",
        "exe",
        "zip",
        "gz",
        "tgz",
        "tar",
        "pem",
        "crt",
        "key",
    ]
)
MAX_ENDPOINTS = 5


@dataclass(frozen=True)
class Endpoint:
    host: str
    path: str = "/"  # "" when only the host is known (named in prose): any path of it


def endpoints_in(texts: Iterable[str], bare_hosts: bool = False) -> tuple[Endpoint, ...]:
    """Every distinct http(s) URL in `texts`, as (host, path), then (with `bare_hosts`) the host
    names written without a scheme, as (host, "") when no URL named them; at most `MAX_ENDPOINTS`."""
    texts = list(texts)
    found: list[Endpoint] = []
    for text in texts:
        for match in _URL.finditer(text or ""):
            try:
                parts = urlsplit(match.group(0))
                host = (parts.hostname or "").lower().rstrip(".")
            except ValueError:
                continue
            if not host or "." not in host:
                continue
            endpoint = Endpoint(host, parts.path or "/")
            if endpoint not in found:
                found.append(endpoint)
    if bare_hosts:
        known = {e.host for e in found}
        for text in texts:
            for match in _BARE_HOST.finditer(_URL.sub(" ", text or "")):
                host = match.group(1).lower()
                if host.rsplit(".", 1)[1] in _FILE_SUFFIX:
                    continue
                if host not in known:
                    known.add(host)
                    found.append(Endpoint(host, ""))
    return tuple(found[:MAX_ENDPOINTS])


# Links an alert carries to its tooling (runbooks, dashboards, the rule's console), not to what is
# alerted: annotations under these keys, and URLs whose host or path says so.
_TOOLING_KEY = re.compile(r"runbook|dashboard|panel|graph|silence|playbook|wiki|doc", re.IGNORECASE)
_TOOLING_HOST = re.compile(
    r"^(?:grafana|prometheus|alertmanager|kibana|runbooks?|wiki|docs?|console|confluence|pagerduty"
    r"|opsgenie|thanos|dashboards?)[.\-]"
)
_TOOLING_PATH = re.compile(r"^/(?:d|d-solo|graph|runbooks?|alerts|explore|wiki|#)(?:/|$)")


# Words just before a URL that say it is what was requested or probed ("load https://docs.x/",
# "GET https://wiki.x/health returned 404"): a site, whatever its host is called.
_REQUESTED = re.compile(
    r"(?:\b(?:load(?:ing)?|get|post|put|head|probe[ds]?|probing|request(?:ed|ing)?|fetch(?:ing)?|check(?:ing)?"
    r"|url|endpoint|target|visit(?:ing)?)\b[\s:=\"'`(<]*)$",
    re.IGNORECASE,
)


def _requested(host: str, texts: Iterable[str]) -> bool:
    for text in texts:
        lowered = text.lower()
        start = lowered.find(host)
        while start >= 0:
            before = text[max(0, start - 40) : start]
            before = re.sub(r"https?://$", "", before)
            if _REQUESTED.search(before):
                return True
            start = lowered.find(host, start + 1)
    return False


def _tooling(endpoint: Endpoint, texts: Iterable[str] = ()) -> bool:
    if _TOOLING_PATH.match(endpoint.path):
        return True
    return bool(_TOOLING_HOST.match(endpoint.host)) and not _requested(endpoint.host, texts)


def alert_endpoints(ctx: AlertContext) -> tuple[Endpoint, ...]:
    """The URLs in the alert's labels, annotations and text that may be what is alerted (a probed
    address), and the host names its text names without a scheme: links to runbooks, dashboards and
    the rule's console are left out. A URL in a label (a blackbox probe's `instance`) is the probed
    target whatever its host is called (`docs.example.dev` is a site, not a wiki link)."""
    texts = [
        *(v for k, v in ctx.annotations.items() if not _TOOLING_KEY.search(k)),
        ctx.text or "",
    ]
    generator = ctx.hints.generator_url or ""
    labelled = endpoints_in(ctx.labels.values())
    prose = tuple(
        e
        for e in endpoints_in(texts, bare_hosts=True)
        if e not in labelled and not _tooling(e, texts) and (not generator or e.host not in generator.lower())
    )
    return (labelled + prose)[:MAX_ENDPOINTS]


def host_matches(pattern: str, host: str) -> bool:
    """Kubernetes host matching: exact, or `*.example.com` for exactly one more label."""
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def path_matches(prefix: str, path: str) -> bool:
    """A path prefix matches by whole segments: `/orders` matches `/orders/healthz`, not `/ordersx`."""
    prefix = "/" + prefix.strip("/")
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


def served_relevance(endpoints: Iterable[Endpoint], hosts: Iterable[str], paths: Iterable[str]) -> float:
    """How tied a rule serving `hosts` (none: every host) and `paths` is to the alerted URLs:
    DIRECT when it serves an alerted host and path, 0 when it does not serve one."""
    hosts, paths = list(hosts), list(paths) or ["/"]
    best = 0.0
    for endpoint in endpoints:
        if endpoint.path and not any(path_matches(p, endpoint.path) for p in paths):
            continue
        if any(host_matches(h, endpoint.host) for h in hosts):
            best = max(best, Relevance.DIRECT)
        elif not hosts and endpoint.path and any(p.strip("/") for p in paths):
            best = max(best, Relevance.NEAR)  # any host, a specific path
    return best


def route_hosts(route: dict[str, Any]) -> list[str]:
    """An HTTPRoute's hostnames (none: every host of its listeners)."""
    return [str(h) for h in (route.get("spec") or {}).get("hostnames") or [] if h]


def route_paths(route: dict[str, Any]) -> list[str]:
    """The path prefixes an HTTPRoute's rules match (a rule without a path match matches `/`)."""
    paths: list[str] = []
    for rule in (route.get("spec") or {}).get("rules") or []:
        matches = (rule or {}).get("matches") or [{}]
        for match in matches:
            paths.append(str(((match or {}).get("path") or {}).get("value") or "/"))
    return paths or ["/"]


def ingress_rules(ingress: dict[str, Any]) -> list[tuple[list[str], list[str]]]:
    """(hosts, paths) of each rule of an Ingress (a rule without a host serves every host)."""
    rules = []
    for rule in (ingress.get("spec") or {}).get("rules") or []:
        hosts = [str(rule["host"])] if (rule or {}).get("host") else []
        paths = [
            str((p or {}).get("path") or "/") for p in ((rule or {}).get("http") or {}).get("paths") or []
        ]
        rules.append((hosts, paths or ["/"]))
    return rules


def route_services(route: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, name) of the Services an Ingress or HTTPRoute sends traffic to."""
    ns = str((route.get("metadata") or {}).get("namespace") or "default")
    spec = route.get("spec") or {}
    found: list[tuple[str, str]] = []
    backends = [spec.get("defaultBackend")] + [
        (p or {}).get("backend")
        for rule in spec.get("rules") or []
        for p in ((rule or {}).get("http") or {}).get("paths") or []
    ]
    for backend in backends:
        service = (backend or {}).get("service") if isinstance(backend, dict) else None
        if isinstance(service, dict) and service.get("name"):
            found.append((ns, str(service["name"])))
    for rule in spec.get("rules") or []:
        for ref in (rule or {}).get("backendRefs") or []:
            if isinstance(ref, dict) and ref.get("name") and ref.get("kind", "Service") == "Service":
                found.append((str(ref.get("namespace") or ns), str(ref["name"])))
    return list(dict.fromkeys(found))
