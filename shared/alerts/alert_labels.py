"""Labels an alerting tool wrote out in a message, named or not.

Named, one per line or as tags, wherever a tool's template puts them:
- the "Labels:" / "Annotations:" sections of Alertmanager's and Grafana's default templates
  (` - namespace = shop`, values may hold spaces: ` - alertname = High 5xx rate`);
- `key: value` lines (Grafana OnCall, custom templates, Slack attachment fields and Discord embed
  fields rendered as `title: value`: `Alarm Name: Example`, `Priority: P1`);
- Robusta's label table (`● namespace `shop``);
- tags (`kube_namespace:shop, service:checkout`) for the keys that name a place to look.

Unnamed: Alertmanager's default title lists the group's label values, then in parentheses the
other common label values, each sorted by label name:
`[FIRING:1] shop (KubePodCrashLooping checkout http ... kube-state-metrics <pod> ... warning)`.
Only what a value's shape shows is taken from it (see `title_values`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

# Keys a tag (`key:value`, no space) may carry: the ones that name where to look.
TAG_KEYS = frozenset(
    {
        *("alertname", "namespace", "kube_namespace", "pod", "pod_name", "kube_pod_name", "service"),
        *("kube_service", "kube_deployment", "kube_statefulset", "kube_daemonset", "kube_cluster_name"),
        *("cluster", "cluster_name", "node", "kube_node", "severity", "priority", "container"),
        *("kube_container_name", "deployment", "statefulset", "daemonset", "job_name"),
    }
)
# A tool's placeholder, never alert text.
PLACEHOLDERS = ("[no preview available]",)

_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
_LINE = re.compile(
    r"^\s*(?:[-*\u2022\u25cf\u25aa\u25e6\u00b7>]+\s*)?[*_]{0,2}[\"']?"
    r"(?P<key>[A-Za-z][A-Za-z0-9_.\-/ ]{0,40}?)[\"']?[*_]{0,2}\s*(?:=|:)[*_]{0,2}[ \t]*(?P<value>\S.*?)\s*$"
)
# Where a tool puts the name of what fired (and the application) in its own headline.
_TOOL_TITLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (field, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for field, pattern in (
        # AWS Chatbot: `CloudWatch Alarm | checkout-alb-5xx | us-east-1 | Account: 1234`
        ("alertname", r"CloudWatch Alarm \| (?P<v>[^|\n]+?) \|"),
        # CloudWatch's SNS subject, as SNS-to-Slack Lambdas repeat it: `ALARM: "name" in US East`
        ("alertname", r"\b(?:ALARM|INSUFFICIENT_DATA): \"(?P<v>[^\"\n]+)\""),
        # Datadog: `[P1] [Triggered on {host:a}] High error rate on checkout`
        (
            "alertname",
            r"\[(?:Triggered|Re-Triggered|Warn|Alert|No Data)(?: on \{[^}\n]*\})?\]\s*(?P<v>[^\n\[]+)",
        ),
        # PagerDuty and Opsgenie: `#1234: High error rate on checkout`, `[#1234] ...`
        ("alertname", r"(?:^|[\s>|])(?:\[#\d+\]|#\d+:)\s*(?P<v>[^\n]+)"),
        # Grafana OnCall: `#7 High 5xx rate via Grafana Alerting` (the title links to the alert group)
        ("alertname", r"(?:^|[*\s])#\d+ (?P<v>[^\n*]+?)\*?\s+via\s+[A-Z]"),
        # Grafana legacy alerting: `[Alerting] High CPU alert`; Zabbix: `Problem: High CPU utilization`
        ("alertname", r"^\W*\[Alerting\]\s*(?P<v>[^\n]+)"),
        ("alertname", r"^\W*Problem: (?P<v>[^\n]+)"),
        # UptimeRobot: `Monitor is DOWN: checkout-api ( https://... ) - Reason: ...`
        ("monitor", r"Monitor is DOWN: (?P<v>[^(\n]+?)\s*(?:\(|\s-\s|$)"),
        # Uptime Kuma: `[checkout-api] [🔴 Down] Request failed with status code 502`
        ("monitor", r"^\s*\[(?P<v>[^\]\n]{1,80})\]\s*\[[^\]\n]{0,4}\s*Down\]"),
        # Sentry: the footer `CHECKOUT-API-1A via Checkout errors`: project short id, then the rule
        # (or `CHECKOUT-API-1A | 5 Apr | via Checkout errors` in the block layout)
        # (the short id is upper case: these two patterns are case-sensitive)
        (
            "sentry_project",
            r"(?-i:\b(?P<v>[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)-[0-9A-Z]{1,6}\b[^\n]{0,60}?\bvia \S)",
        ),
        (
            "alertname",
            r"(?-i:\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9A-Z]{1,6}\b[^\n]{0,60}?\bvia (?P<v>[^\n|]+))",
        ),
    )
)
_TABLE = re.compile(
    r"^\s*[\u2022\u25cf\u25aa\u25e6\-*]\s*(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s+`(?P<value>[^`]+)`\s*$"
)
# Tables: markdown pipe rows (`| namespace | shop |`), and rows aligned with spaces in a code
# block (`namespace    shop`, Robusta's Discord tables) for the keys that name where to look.
_PIPE_ROW = re.compile(r"^\s*\|?\s*(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)\s*\|\s*(?P<value>[^|]+?)\s*\|?\s*$")
_SPACED_ROW = re.compile(r"^\s*(?P<key>[a-z_][a-z0-9_]*)\s{2,}(?P<value>\S+)\s*$")
_TAG = re.compile(r"(?<![\w/.:-])(?P<key>[a-z_][a-z0-9_.]*):(?P<value>[A-Za-z0-9][A-Za-z0-9_.\-/]*)")
_KEY_ALONE = re.compile(r"^\s*[*_]{0,2}(?P<key>[A-Za-z][A-Za-z0-9_ ]{0,40}?)[*_]{0,2}\s*:\s*[*_]{0,2}\s*$")
_TRAILING_URL = re.compile(r"(?<=\S)\s+https?://\S+$")
_INLINE_PAIR = re.compile(r"\s[A-Za-z_][A-Za-z0-9_.]*\s?[=:]\s?\S")
_NOT_KEYS = frozenset({"http", "https", "mailto", "note", "ps", "re", "fyi", "eta"})
_CAMEL = re.compile(
    r"^[A-Z][A-Za-z0-9_:]*(?:[a-z0-9_][A-Z]|[A-Z]{2})[A-Za-z0-9_:]*$"  # KubePodCrashLooping, HTTPErrors
    r"|^[a-z][a-z0-9]*[A-Z][A-Za-z0-9_:]*$"  # etcdMembersDown
)
_CAPITALISED = re.compile(r"^[A-Z][a-z0-9_:]+$")  # Watchdog
_DNS = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_TITLE = re.compile(
    r"\[(?:FIRING|RESOLVED)(?::\s*\d+)?(?:,\s*RESOLVED:\s*\d+)?\]\s*(?P<group>[^()\n\[\]]*)"
    r"(?:\((?P<common>[^()\n]*)\))?",
    re.IGNORECASE,
)
# The words alerting tools use for an alert's severity, most severe first (rank 0).
SEVERITY_RANK = {
    **dict.fromkeys(("critical", "page", "high"), 0),
    "error": 1,
    **dict.fromkeys(("warning", "warn", "medium"), 2),
    **dict.fromkeys(("info", "low"), 3),
}
SEVERITIES = frozenset(SEVERITY_RANK)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Scrape targets and monitoring components: their names in `job`, `service`, `container` or a
# title are the exporter's, not the application's.
EXPORTER = re.compile(
    r"(?:^|[-_])(?:kube-state-metrics|node-exporter|[a-z0-9]+-exporter|exporter|kubelet|cadvisor|coredns|"
    r"kube-dns|apiserver|kube-apiserver|prometheus|alertmanager|pushgateway|blackbox(?:[-_][a-z0-9]+)?|grafana|"
    r"operator|kube-proxy|kube-scheduler|kube-controller-manager|etcd)$"
)


def normalise_key(key: str) -> str:
    """`Alarm Name` -> `alarm_name`, `k8s.namespace.name` -> `k8s_namespace_name`."""
    return re.sub(r"[\s.\-/]+", "_", key.strip().strip("*_").strip()).lower()


def _value(raw: str) -> str:
    # A Slack link reads `label url` once its markup is gone: the label is the value.
    value = _TRAILING_URL.sub("", raw.strip())
    value = value.rstrip(",;").strip("`*_\"'").strip()
    return value.rstrip(",;")


def text_labels(text: str) -> dict[str, str]:
    """Every named label the text writes out, by normalised key; the first one of a key wins."""
    if not text:
        return {}
    prepared = html.unescape(_SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text))
    found: dict[str, str] = {}
    lines = prepared.splitlines()
    for at, line in enumerate(lines):
        if not line.strip() or line.strip() in PLACEHOLDERS:
            continue
        alone = _KEY_ALONE.match(line)
        if alone and at + 1 < len(lines) and lines[at + 1].strip() and not _LINE.match(lines[at + 1]):
            # Slack section fields and Discord embed fields: `*Condition name:*` then the value below.
            line = f"{alone.group('key')}: {lines[at + 1].strip()}"
        row = _SPACED_ROW.match(line)
        if row and row.group("key") not in TAG_KEYS | {"alertname", "severity", "instance", "job"}:
            row = None
        match = _TABLE.match(line) or _LINE.match(line) or _PIPE_ROW.match(line) or row
        if match:
            key = normalise_key(match.group("key"))
            value = _value(match.group("value"))
            if _INLINE_PAIR.search(value):
                value = _value(value.split()[0])  # `severity=critical namespace=shop`: pairs on one line
            words = key.count("_") + 1
            usable = value and len(value) <= 200 and not value.startswith("//")
            if key and key not in _NOT_KEYS and words <= 4 and usable:
                found.setdefault(key, value)
        for tag in _TAG.finditer(line):
            key = tag.group("key").lower()
            if key in TAG_KEYS:
                found.setdefault(key, _value(tag.group("value")))
    # A headline names what fired where no line does.
    for key, pattern in _TOOL_TITLES:
        match = pattern.search(prepared)
        if match and key not in found:
            value = _value(match.group("v"))
            if key == "monitor":
                found["alertname"] = found.get("alertname") or value
                found.setdefault("service", value)
            elif key == "sentry_project":
                found.setdefault("service", value.lower())
            elif value:
                found.setdefault(key, value)
    return found


@dataclass(frozen=True)
class TitleValues:
    """What the unnamed values of an Alertmanager-style title show by their shape."""

    alert_name: str | None = None
    namespace: str | None = None
    pod: str | None = None
    severity: str | None = None


def looks_like_exporter(value: str) -> bool:
    return bool(EXPORTER.search(value.lower()))


def title_values(text: str, is_pod: Callable[[str], bool]) -> TitleValues:
    """The alert name (a CamelCase value, else the group's only value), a pod (by its generated
    suffix), the severity, and the namespace: the value sorted just before the pod (`namespace` <
    `pod`, and nothing between them on most pod alerts), else the group's only value when the
    alert name is not grouped (kube-prometheus groups by namespace)."""
    match = _TITLE.search(text or "")
    if not match:
        return TitleValues()
    group = [v for v in (match.group("group") or "").split() if v]
    common = [v for v in (match.group("common") or "").split() if v]
    values = group + common
    name = next((v for v in values if _CAMEL.match(v)), None)
    if name is None and len(group) == 1 and (_CAPITALISED.match(group[0]) or not common):
        # One grouped value: the alert's name when it is capitalised (no Kubernetes name is).
        name = group[0] if not _plain(group[0], is_pod) else None
    pod = next((v for v in values if is_pod(v)), None)
    # Severity label values are written `critical` or `CRITICAL`; `High` / `Critical` capitalised
    # start a rule's name (`High memory usage`, Grafana's names hold spaces).
    severity = next((v for v in values if v.lower() in SEVERITIES and v in (v.lower(), v.upper())), None)
    namespace = None
    if pod is not None:
        same = common if pod in common else group
        at = same.index(pod)
        before = same[at - 1] if at > 0 else ""
        # `container` sorts before `pod` too, and is mostly named like the pod's workload.
        if before and _plain(before, is_pod) and not pod.startswith(before + "-"):
            namespace = before
    if namespace is None and common and len(group) == 1 and name not in group and _plain(group[0], is_pod):
        namespace = group[0]
    return TitleValues(alert_name=name, namespace=namespace, pod=pod, severity=severity)


def _plain(value: str, is_pod: Callable[[str], bool]) -> bool:
    """A bare Kubernetes name that is not a pod, a severity, an exporter or a uid."""
    return (
        bool(_DNS.match(value))
        and not is_pod(value)
        and value.lower() not in SEVERITIES
        and not looks_like_exporter(value)
        and not _UUID.match(value)
        and value not in {"http", "https", "metrics", "web", "http-metrics", "firing", "resolved"}
        and not value.isdigit()
    )
