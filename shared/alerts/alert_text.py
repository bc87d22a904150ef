"""Hints from the free text of an alert: Alertmanager messages as Slack/Discord show them, people's
messages, annotation prose.

Recognised shapes, most specific first:
- `[FIRING:1] KubePodCrashLooping (prod-eks) shop/checkout-7d9f8c6b5-x2k4p` (alert name, cluster in
  parens, `namespace/pod` or `namespace/workload`);
- `key=value` and `key: value` pairs (`namespace=shop`, `severity: critical`, `cluster="prod-eks"`);
- `pod shop/checkout-7d9f8c6b5-x2k4p (app)`, `deployment/checkout`, `service payments-api`,
  `node ip-10-0-3-17.ec2.internal`, `/aws/...` log group names;
- people's words: "checkout is throwing 502s", and, in a message no tool wrote, "504s from
  cart-service", "the checkout service", "checkout-api pods", "in shop namespace".
Labels a tool writes out (sections, fields, tables, tags) and the unnamed values of Alertmanager's
title are read by `alert_labels`.
Chat markup (Slack `<@U..>`, `<url|text>`, `<#C..|name>`; Discord `<@..>`, `<#..>`) is stripped first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from shared.alerts.alert_labels import (
    PLACEHOLDERS,
    SEVERITIES,
    looks_like_exporter,
    text_labels,
    title_values,
)

Put = Callable[[str, str | None], None]

_DEPLOYMENT_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-.]*?)-(?P<h>[a-z0-9]{4,10})-(?P<s>[a-z0-9]{5})$")
_STATEFUL_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-.]*?)-\d{1,4}$")
_SHORT_POD = re.compile(r"^(?P<w>[a-z0-9][a-z0-9\-.]*?)-(?P<s>[a-z0-9]{5})$")


def workload_of_pod(pod: str) -> str | None:
    """The controller a pod name suggests: `checkout-7d9f8c6b5-x2k4p` -> `checkout` (Deployment),
    `redis-2` -> `redis` (StatefulSet), `fluent-bit-x7k2p` -> `fluent-bit` (DaemonSet / Job)."""
    match = _DEPLOYMENT_POD.match(pod)
    # A generated hash carries digits; `payments-api-server` is a name, not name-hash-suffix.
    if match and re.search(r"\d", match.group("h") + match.group("s")):
        return match.group("w")
    match = _STATEFUL_POD.match(pod)
    if match:
        return match.group("w")
    match = _SHORT_POD.match(pod)
    if match and re.search(r"\d", match.group("s")):
        return match.group("w")
    return None


def looks_like_pod(name: str) -> bool:
    return workload_of_pod(name) is not None


@dataclass(frozen=True)
class TextHints:
    alert_name: str | None = None
    cluster: str | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    workload: str | None = None
    service: str | None = None
    node: str | None = None
    severity: str | None = None
    resolved: bool = False
    log_groups: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    # Labels the text writes out by name (`namespace: shop`, ` - alertname = High 5xx rate`).
    labels: tuple[tuple[str, str], ...] = ()


_NAME = r"[a-z0-9](?:[a-z0-9\-.]*[a-z0-9])?"
_SLACK_CHANNEL = re.compile(r"<#([CG][A-Z0-9]{6,})(?:\|([^>]*))?>")
_DISCORD_CHANNEL = re.compile(r"<#(\d{15,22})>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
_MARKUP = re.compile(
    r"<@[!&]?[A-Z0-9]+(?:\|[^>]*)?>"  # user / role mentions, Slack and Discord
    r"|<![a-z^A-Z0-9|@\-]+>"  # <!channel>, <!here>, <!subteam^S..|@team>
    r"|<a?:[A-Za-z0-9_]+:\d+>"  # Discord custom emoji
    r"|<t:\d+(?::[A-Za-z])?>"  # Discord timestamps
    r"|:[a-z0-9_+\-]+:"  # emoji shortcodes
)
_FIRING = re.compile(
    rf"\[(FIRING|RESOLVED)(?::\s*\d+)?\]\s*(?P<name>[A-Za-z][A-Za-z0-9_:.\-]*)"
    rf"(?:\s*\((?P<cluster>{_NAME})\))?(?:\s*[-\u2013:]?\s*(?P<ref>{_NAME}/{_NAME}))?",
    re.IGNORECASE,
)
_KV_KEYS = {
    "alertname": "alert_name",
    "alert_name": "alert_name",
    "namespace": "namespace",
    "ns": "namespace",
    "exported_namespace": "namespace",
    "pod": "pod",
    "pod_name": "pod",
    "container": "container",
    "deployment": "workload",
    "statefulset": "workload",
    "daemonset": "workload",
    "workload": "workload",
    "service": "service",
    "svc": "service",
    "job": "job",
    "cluster": "cluster",
    "cluster_name": "cluster",
    "node": "node",
    "instance": "instance",
    "severity": "severity",
    "priority": "severity",
    "log_group": "log_group",
    "loggroup": "log_group",
}
_KV = re.compile(
    r"(?<![A-Za-z0-9_])(?P<key>" + "|".join(sorted(_KV_KEYS, key=len, reverse=True)) + r")"
    r"\s*(?:=~?|:)\s*[\"']?(?P<value>[A-Za-z0-9_./:\-]+?)[\"']?(?=[\s,;)}\]|]|$)",
    re.IGNORECASE,
)
_REF = re.compile(
    rf"(?<![-\w])(?P<kind>pods?|deployments?|deploy|statefulsets?|sts|daemonsets?|ds|services?|svc|nodes?|containers?"
    rf"|namespaces?)(?:/|\s+)(?P<first>{_NAME})(?:/(?P<second>{_NAME}))?(?:\s*\((?P<paren>{_NAME})\))?",
    re.IGNORECASE,
)
_LOG_GROUP = re.compile(
    r"(?<![\w/])(/aws/[A-Za-z0-9_.#/\-]+[A-Za-z0-9_\-]|/ecs/[A-Za-z0-9_.#/\-]+[A-Za-z0-9_\-])"
)
_EC2_HOST = re.compile(r"\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.[a-z0-9\-.]*internal\b")
_SEVERITY_WORD = re.compile(
    r"\[(critical|warning|warn|info|p[0-4]|sev[0-4])(?: on [^\]\n]*)?\]", re.IGNORECASE
)
# People's own words: "checkout is throwing 502s since 10 min", "payments-api keeps timing out".
_IN_TROUBLE = (
    r"(?:\s+(?:service|api|app|svc|pods?|deployment|dashboard|queue|workers?|consumers?|endpoints?|"
    r"target group|cluster|db|database))?\s+"
    r"(?:is|are|keeps?|has been|have been|started|seems?(?: to be)?|looks?|just|went|has|have)\s+"
    r"(?:\w+\s+)?"
    r"(?:throwing|returning|serving|down|failing|erroring|timing|crashing|crash|slow|broken|flapping|"
    r"restarting|unreachable|unavailable|5\d\d|oom\w*|dead|degraded|unhealthy|spiking|spitting|giving|"
    r"red|backing|backed|lagging|stuck|hanging|overloaded|saturated|maxed|full|no healthy|not responding|"
    r"not ready|in alarm|on fire|pegged)\b"
)
_SUBJECT = re.compile(
    r"(?:^|\bwhy\s+|\bthat\s+|\bbecause\s+|[,;]\s*|\b(?:for|of|on|behind)\s+)"
    r"\s*(?:(?:hey|hi|hello|yo|folks|team|all|guys|so|ok|urgent|heads[ -]up|fyi)\b[\s,!:.\-]*)*"
    r"(?:the\s+)?(?P<name>[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)" + _IN_TROUBLE,
    re.IGNORECASE | re.MULTILINE,
)
# "@bot recommendation-api has been throwing ...": after a mention only a service-like name (with a
# hyphen) is taken; a bare word there is as often a product area ("@bot checkout is failing").
_MENTIONED_SUBJECT = re.compile(
    r"^\s*@[\w.\-]+[\s,:]+(?:the\s+)?(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)" + _IN_TROUBLE,
    re.IGNORECASE | re.MULTILINE,
)
# Looser prose, read only in a message no tool wrote (no title, no labels): "504s from
# cart-service", "checkout failures", "the checkout service", "checkout-api pods", "in shop namespace".
_PERSON_NAME = r"(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)"
_SYMPTOM_FROM = re.compile(
    r"\b(?:5\d\ds?|5xx|errors?|failures?|timeouts?|latency|exceptions?|spik\w+|crash\w*|restarts)\s+"
    rf"(?:from|on|in|of|at|for)\s+(?:the\s+)?{_PERSON_NAME}\b(?!\s+(?:namespace|cluster|target|region)\b)"
)
_NAME_SYMPTOM = re.compile(
    rf"\b{_PERSON_NAME}\s+(?:pods?\s+)?(?:failures|errors|5xx|5\d\ds|timeouts|latency|outage|crash\w*|restarts)\b"
)
# "rewards-redemption dashboard is all red", "checkout-api graphs look bad": a hyphenated name whose
# dashboard a person points at is the application they mean.
_NAME_DASHBOARD = re.compile(
    r"\b(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?:'s)?\s+(?:dashboards?|graphs?|panels?|slos?)\s+"
    r"(?:is|are|looks?|went|turned|shows?|showing)\b"
)
# "why did the sock-shop front-end stop working?", "checkout isn't working": the last name before
# the words is the application (the one before it, when there are two, is its product or namespace).
_STOPPED_WORKING = re.compile(
    rf"\b{_PERSON_NAME}\s+(?:stop(?:ped|s)?\s+working|(?:is|are|was|were)\s+not\s+working"
    r"|(?:isn't|aren't|wasn't|weren't)\s+working)\b"
)
_THE_SERVICE = re.compile(rf"\bthe\s+{_PERSON_NAME}\s+(?:service|svc|api|app|deployment)\b")
_PODS_OF = re.compile(rf"\b{_PERSON_NAME}\s+pods?\b")
_IN_NAMESPACE = re.compile(
    r"\bin (?:the )?(?P<name>[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?) (?:namespace|ns)\b"
)
# "the new partner-api ingress in `partners`", "the ledger deployment in the payments namespace":
# an object named with its kind, and the namespace it is in (code-quoted, or called a namespace).
_NS = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
_OBJECT_KINDS = {
    **dict.fromkeys(("ingress", "service", "svc", "httproute", "route"), "service"),
    **dict.fromkeys(("deployment", "statefulset", "daemonset", "cronjob", "rollout"), "workload"),
}
_OBJECT_IN = re.compile(
    rf"\b{_PERSON_NAME}\s+(?P<kind>{'|'.join(_OBJECT_KINDS)})\b"
    rf"(?:\s+in\s+(?:the\s+)?(?:`(?P<ns>{_NS})`|(?P<ns2>{_NS})\s+(?:namespace|ns)\b))?"
)
# Verbs of people's prose that stand where a name could ("returning 502s", "service keeps ...").
_VERBS = frozenset(
    {
        *("returning", "throwing", "serving", "giving", "seeing", "getting", "spitting", "causing"),
        *("hitting", "showing", "having", "emitting", "raising", "producing", "sending", "answering"),
        *("keeps", "keep", "seems", "seem", "looks", "look", "started", "went", "just", "still", "has"),
    }
)
_NOT_NAMES = frozenset(
    {
        *_VERBS,
        *("the", "a", "an", "some", "all", "any", "many", "lots", "more", "few", "no", "our", "my", "your"),
        *("seeing", "getting", "http", "gateway", "server", "internal", "random", "intermittent", "new"),
        *("high", "low", "big", "huge", "massive", "multiple", "several", "other", "same", "those", "these"),
        *("kube-system", "default", "monitoring", "every", "each", "of", "with", "and", "or", "in", "on"),
    }
)
_NOT_SUBJECTS = frozenset(
    {
        *("it", "this", "that", "everything", "something", "nothing", "prod", "production", "staging"),
        *("dev", "site", "website", "stuff", "what", "who", "which", "there", "here", "latency", "cpu"),
        # a question's own words: "why are pods stuck?", "how come checkout is slow?"
        *("why", "how", "when", "where", "whose", "whats", "come"),
        *("memory", "disk", "error", "errors", "traffic", "alert", "alarm", "app", "service", "api"),
        *("system", "cluster", "node", "pod", "pods", "server", "servers", "we", "i", "you", "they"),
        *("monitor", "check", "probe", "job", "build", "pipeline", "deploy", "deployment", "website"),
        # a load balancer's kind, not its name: "ALB target group has unhealthy targets"
        *("alb", "elb", "nlb", "lb", "load", "target", "targets", "ingress", "gateway", "queue"),
    }
)
# Words that follow "service", "pod" ... in prose and are not names.
_STOP = frozenset(
    {
        *_VERBS,
        *("is", "are", "was", "were", "be", "been", "has", "have", "had", "the", "a", "an", "in", "on", "at"),
        *("for", "to", "of", "and", "or", "not", "no", "down", "up", "it", "its", "this", "that", "with"),
        *("from", "by", "as", "all", "any", "some", "every", "which", "who", "restarted", "restarts"),
        *("failing", "failed", "crashing", "crashed", "unavailable", "degraded", "healthy", "unhealthy"),
        *("errors", "error", "level", "name", "names", "memory", "cpu", "latency", "health", "account"),
        *("mesh", "owner", "owners", "team", "teams", "desk", "now", "again", "still", "https", "http"),
        # states that follow a kind in prose: "pods stuck pending", "the namespace stuck terminating"
        *("stuck", "pending", "slow", "broken", "hanging", "waiting", "dead", "offline", "terminating"),
        # a kind of group after a kind: "node group ng-general", "node pool spot", "pod security"
        *("group", "groups", "pool", "pools", "class", "classes", "security", "selector", "selectors"),
    }
)
# An HTTP status right before a kind's word: "503 Service Unavailable" is a reason phrase.
_HTTP_STATUS_BEFORE = re.compile(r"(?<!\d)[1-5]\d\d\s+$")
_KINDS = {
    "pod": "pod",
    "pods": "pod",
    "deployment": "workload",
    "deployments": "workload",
    "deploy": "workload",
    "statefulset": "workload",
    "statefulsets": "workload",
    "sts": "workload",
    "daemonset": "workload",
    "daemonsets": "workload",
    "ds": "workload",
    "service": "service",
    "services": "service",
    "svc": "service",
    "node": "node",
    "nodes": "node",
    "container": "container",
    "containers": "container",
    "namespace": "namespace",
    "namespaces": "namespace",
}


def clean_chat_text(text: str) -> tuple[str, tuple[str, ...]]:
    """Text without chat markup (mentions, emoji, link brackets), and the channel ids it referenced."""
    channels = [m.group(1) for m in _SLACK_CHANNEL.finditer(text)]
    channels += [m.group(1) for m in _DISCORD_CHANNEL.finditer(text)]
    out = _SLACK_CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    out = _DISCORD_CHANNEL.sub("", out)
    out = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), out)
    out = _MARKUP.sub(" ", out)
    out = html.unescape(out)
    out = re.sub(r"[*`~]", "", out)
    for placeholder in PLACEHOLDERS:
        out = out.replace(placeholder, "")
    return out, tuple(dict.fromkeys(channels))


def parse_alert_text(text: str) -> TextHints:
    """Every hint the text gives; the first mention of each kind wins."""
    if not text or not text.strip():
        return TextHints()
    clean, channels = clean_chat_text(text)
    found: dict[str, str] = {}

    def put(field: str, value: str | None) -> None:
        if value and field not in found:
            found[field] = value

    resolved = False
    single = None
    firing = _FIRING.search(clean)
    if firing:
        resolved = firing.group(1).upper() == "RESOLVED"
        single = firing.group("cluster")
        if single and (single.lower() in SEVERITIES or looks_like_pod(single)):
            single = None  # `(critical)`, `(<pod>)`: one label value, but not the cluster's
        if firing.group("ref"):
            _put_ns_ref(put, firing.group("ref"))
        # The title's values are unnamed: only their shape (and sort order) tells what they are.
        title = title_values(clean, looks_like_pod)
        put("alert_name", title.alert_name)
        put("namespace", title.namespace)
        put("pod", title.pod)
        put("severity", title.severity)

    for match in _KV.finditer(clean):
        before = clean[max(0, match.start() - 30) : match.start()]
        if match.group("key")[0].isupper() and re.search(r"(^|\s)[A-Z][a-z]+ $", before):
            continue  # the end of a longer field name: `Affected Service: EC2`
        field = _KV_KEYS[match.group("key").lower()]
        value = match.group("value").strip(".:/")
        if field in ("service", "workload") and looks_like_exporter(value):
            continue  # `service=kube-state-metrics`: the exporter's, the next alert's may be the app's
        if field == "instance":
            host = _EC2_HOST.search(value)
            put("node", host.group(0) if host else None)
        elif field == "job":
            put("service", value if not value.startswith(("kubernetes-", "kube-")) else None)
        elif field == "log_group":
            continue  # collected below with every other log group name
        elif not (field == "namespace" and "/" in value):
            put(field, value)

    if single and single != found.get("namespace"):
        # The title's one grouped value is the cluster's, unless the labels say it is the namespace
        # (Alertmanager groups by namespace as often as by cluster).
        put("cluster", single)
    for match in _REF.finditer(clean):
        _put_ref(put, match)
    subject = _SUBJECT.search(clean) or _MENTIONED_SUBJECT.search(clean)
    if subject and subject.group("name").lower() not in _NOT_SUBJECTS:
        put("service", subject.group("name").lower())
    labels = text_labels(text)
    if not firing and not labels:
        _people_objects(put, text)
        _people_prose(put, clean)

    host = _EC2_HOST.search(clean)
    put("node", host.group(0) if host else None)
    severity = _SEVERITY_WORD.search(clean)
    put("severity", severity.group(1) if severity else None)
    cluster = re.search(rf"\b(?:in|on) (?:the )?(?:cluster|eks cluster)\s+({_NAME})", clean, re.IGNORECASE)
    put("cluster", cluster.group(1) if cluster else None)

    return TextHints(
        alert_name=found.get("alert_name"),
        cluster=found.get("cluster"),
        namespace=found.get("namespace"),
        pod=found.get("pod"),
        container=found.get("container"),
        workload=found.get("workload"),
        service=found.get("service"),
        node=found.get("node"),
        severity=found.get("severity"),
        resolved=resolved,
        log_groups=tuple(dict.fromkeys(m.group(1) for m in _LOG_GROUP.finditer(clean))),
        channels=channels,
        labels=tuple(labels.items()),
    )


def _people_prose(put: Put, clean: str) -> None:
    """Where a person's message names the application and the namespace in passing."""
    namespace = _IN_NAMESPACE.search(clean)
    ns = namespace.group("name") if namespace else None
    put("namespace", ns)
    not_names = _NOT_NAMES | _STOP | _NOT_SUBJECTS | {ns}
    for pattern, field in (
        (_SYMPTOM_FROM, "service"),
        (_THE_SERVICE, "service"),
        (_STOPPED_WORKING, "service"),
        (_NAME_SYMPTOM, "service"),
        (_NAME_DASHBOARD, "service"),
        (_PODS_OF, "workload"),
    ):
        name = next(
            (m.group("name") for m in pattern.finditer(clean) if m.group("name") not in not_names), None
        )
        put(field, name if name and not name.isdigit() else None)


def _people_objects(put: Put, text: str) -> None:
    """An object a person names with its kind ("the partner-api ingress in `partners`"); read from
    the text with its code quotes, which tell a namespace from a word of the sentence."""
    for match in _OBJECT_IN.finditer(_MARKUP.sub(" ", text)):
        name = match.group("name")
        if name in _NOT_NAMES or name in _STOP or name in _NOT_SUBJECTS or name.isdigit():
            continue
        put(_OBJECT_KINDS[match.group("kind")], name)
        put("namespace", match.group("ns") or match.group("ns2"))
        return


def _put_ns_ref(put: Put, ref: str) -> None:
    """`shop/checkout-7d9f8c6b5-x2k4p` (namespace/pod) or `shop/checkout` (namespace/workload)."""
    namespace, name = ref.split("/", 1)
    put("namespace", namespace)
    put("pod" if looks_like_pod(name) else "workload", name)


def _put_ref(put: Put, match: re.Match[str]) -> None:
    kind = _KINDS[match.group("kind").lower()]
    first, second, paren = match.group("first"), match.group("second"), match.group("paren")
    if first.lower() in _STOP or _HTTP_STATUS_BEFORE.search(match.string, 0, match.start()):
        return  # a word of prose, or an HTTP reason phrase ("503 Service Temporarily Unavailable")
    name = first
    if second:
        if kind in {"node", "namespace", "container"}:
            return
        put("namespace", first)
        name = second
    if kind == "pod":
        if not looks_like_pod(name) and "-" not in name:
            return
        put("pod", name)
        put("container", paren)
    elif kind == "node":
        put("node", name)
    else:
        put(kind, name)
