"""The specific value a change written in chat sets, so that a finding (and a report citing it) can
say *what* it set: `--replicas=40`, `POOL_MAX=80`, `--limits=cpu=200m`, `forward . 10.40.0.2`,
`controller.ingressClass=nginx`, `ingressClassName nginx-public`, a certificate or trust anchor
rotated, a Terraform plan's trust policy. Pure: text in, plain values out; text is only matched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_NAME = r"[a-z0-9][a-z0-9\-.]*[a-z0-9]"
_VALUE = r"[\"'`]?(?P<new>[^\s\"'`,;)]{1,80})[\"'`]?"


@dataclass(frozen=True)
class Setting:
    """What a change set: `key` (replicas, an env var, a field), its new value, its old one if said."""

    key: str
    new: str | None = None
    old: str | None = None


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().strip("`'\"").rstrip(".,;:")
    return value or None


# `... -> forward . 10.40.0.2 (was /etc/resolv.conf)`: what an edit made a setting into.
_ARROW = re.compile(
    r"(?:->|→|=>)\s*(?:`(?P<quoted>[^`\n]{1,80})`|(?P<new>[^`\n(]{1,80}?))"
    r"(?:\s*\((?:was|previously|from)\s+(?P<old>[^)\n]{1,60})\)|(?<=\S)[.;](?:\s|$)|\n|$)"
)
_REPLICAS_FLAG = re.compile(r"--replicas[= ](?P<new>\d+)")
_CURRENT_REPLICAS = re.compile(r"--current-replicas[= ](?P<old>\d+)")
_ENV_PAIR = re.compile(r"(?<![\w\-/.])(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<new>[^\s`'\"]{0,80})")
_RESOURCES = re.compile(r"--(?P<key>limits|requests)[= ](?P<new>[^\s`'\"]+)")
_IMAGE_PAIR = re.compile(r"(?<![\w\-/.])[\w\-]+=(?P<new>[\w.\-/]+:[\w.\-]+)")
_PATCH = re.compile(r"(?:-p|--patch)[= ]+(?P<q>['\"])(?P<body>.+?)(?P=q)", re.DOTALL)
_LABEL_PAIR = re.compile(
    r"(?<![\w\-])(?P<key>[a-z0-9][\w.\-/]*)=(?P<new>[\w.\-]*)(?::(?P<effect>No\w+|Prefer\w+))?"
)
_HELM_SET = re.compile(r"--set(?:-string)?[= ](?P<key>[\w.\-\[\]]+)=(?P<new>[^\s`'\"]+)")
_HELM_VERSION = re.compile(r"--version[= ](?P<new>v?\d[\w.\-]*)")


def _patch_leaves(body: str) -> list[tuple[str, str]]:
    """`readinessProbe.httpGet.port=8081` from a JSON (or JSON patch) body; the last leaves first."""
    try:
        data = json.loads(body)
    except ValueError:
        return [(m.group(1), m.group(2)) for m in re.finditer(r"\"(\w+)\"\s*:\s*\"?([\w.\-/:%]+)", body)]
    leaves: list[tuple[str, str]] = []

    def walk(node: object, path: list[str]) -> None:
        if isinstance(node, dict):
            if {"op", "path"} <= set(node) and "value" in node:  # a JSON patch operation
                leaves.append((str(node["path"]).strip("/").replace("/", "."), json.dumps(node["value"])))
                return
            for k, v in node.items():
                walk(v, [*path, str(k)])
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        elif path and path[-1] != "name":
            value = node if isinstance(node, str) else json.dumps(node)
            leaves.append((".".join(path[-3:]), str(value)))

    walk(data, [])
    return leaves


def kubectl_setting(verb: str, rest: str, text: str) -> Setting | None:
    """The value a `kubectl <verb> <rest>` command sets, with what the message says after it."""
    if verb == "scale":
        new = _REPLICAS_FLAG.search(rest)
        old = _CURRENT_REPLICAS.search(rest)
        return Setting("replicas", new.group("new"), old.group("old") if old else None) if new else None
    if verb == "set resources":
        found = _RESOURCES.findall(rest)
        if found:
            return Setting(found[0][0], ", ".join(f"{k} {v}" for k, v in found))
    if verb == "set image":
        image = _IMAGE_PAIR.search(rest)
        return Setting("image", image.group("new")) if image else None
    if verb == "set env":
        pairs = [m for m in _ENV_PAIR.finditer(rest) if not m.group("key").startswith("-")]
        if pairs:
            first = pairs[0]
            return Setting(first.group("key"), first.group("new") or "(removed)")
    if verb == "patch":
        patch = _PATCH.search(rest)
        leaves = _patch_leaves(patch.group("body")) if patch else []
        if leaves:
            key, value = leaves[-1]
            return Setting(key, _strip(value))
    if verb in {"label", "annotate", "taint"}:
        pairs = [m for m in _LABEL_PAIR.finditer(rest) if "/" not in m.group("key") or "." in m.group("key")]
        pairs = [m for m in pairs if not re.fullmatch(r"node|nodes|no", m.group("key"))]
        if pairs:
            last = pairs[-1]
            value = last.group("new") + (f":{last.group('effect')}" if last.group("effect") else "")
            return Setting(last.group("key"), value or "(removed)")
    arrow = _ARROW.search(text)
    if arrow:
        made = arrow.group("quoted") or arrow.group("new")
        return Setting("set", _strip(made), _strip(arrow.group("old")))
    return None


def helm_setting(rest: str) -> Setting | None:
    """What a `helm upgrade` sets: a `--set key=value`, else the chart version it moves to."""
    pair = _HELM_SET.search(rest)
    if pair:
        return Setting(pair.group("key"), pair.group("new"))
    version = _HELM_VERSION.search(rest)
    return Setting("chart version", version.group("new")) if version else None


# Replicas said in words: "bumped label-printer-worker from 4 to 16 replicas", "report-worker replicas
# 4 -> 40", "scaled the checkout deployment down to 2".
_REPLICA_WORDS = re.compile(
    r"\b(?:bump(?:ed|ing)?|scal(?:ed|ing)|rais(?:ed|ing)|increas(?:ed|ing)|lower(?:ed|ing)|reduc(?:ed|ing)|"
    r"cut|set|chang(?:ed|ing)|took|moved?|went)\s+(?:up\s+|down\s+|out\s+|in\s+)?(?:the\s+)?"
    rf"(?P<name>{_NAME})(?:'s)?(?:\s+(?:deployment|statefulset|deploy|workers?|consumers?|pods?))?"
    r"(?:\s+replicas?)?(?:\s+(?:up|down|out|in))?\s+(?:from\s+(?P<old>\d+)\s+)?to\s+(?P<new>\d+)"
    r"(?:\s+(?:replicas?|pods?|instances?|workers?|consumers?))?\b",
    re.IGNORECASE,
)
_REPLICAS_OF = re.compile(
    rf"\b(?P<name>{_NAME})(?:'s)?\s+(?:replicas?|replica count|pods?)\s+(?:(?:from\s+)?(?P<old>\d+)\s*)?"
    r"(?:->|→|=>|to)\s*(?P<new>\d+)\b",
    re.IGNORECASE,
)
_NOT_A_WORKLOAD = frozenset(
    {"it", "them", "this", "that", "prod", "the", "hpa", "maxreplicas", "minreplicas"}
)


def replicas_in_words(text: str) -> tuple[str, Setting] | None:
    """(workload, replicas setting) when `text` says a workload's replica count was changed."""
    for pattern in (_REPLICAS_OF, _REPLICA_WORDS):
        m = pattern.search(text)
        if m is None:
            continue
        tail = text[m.end() : m.end() + 24].lower()
        said_replicas = (
            pattern is _REPLICAS_OF
            or re.match(r"\s*(?:replicas?|pods?|instances?)", tail)
            or (re.search(r"replicas?|pods?", m.group(0), re.IGNORECASE))
        )
        name = m.group("name").lower()
        if not said_replicas or name in _NOT_A_WORKLOAD or name.isdigit():
            continue
        return name, Setting("replicas", m.group("new"), m.group("old"))
    return None


# Fields of a manifest or config whose new value a message names: "moving it to the public ingress
# (ingressClassName nginx-public)", "storageClassName: gp3", "set schedule to */5 * * * *".
_FIELD = re.compile(
    r"\b(?P<key>ingressClassName|ingressClass|storageClassName|storageClass|className|serviceAccountName|"
    r"nodeSelector|priorityClassName|runtimeClassName|schedulerName|gatewayClassName|controllerName|"
    r"maxReplicas|minReplicas|maxUnavailable|maxSurge|minAvailable|failurePolicy|imagePullPolicy|"
    r"dnsPolicy|hostNetwork|terminationGracePeriodSeconds|initialDelaySeconds|timeoutSeconds|"
    r"periodSeconds|failureThreshold|containerPort|targetPort|maxmemory-policy|maxmemory|max_connections|"
    r"maxclients|http_put_response_hop_limit)"
    r"(?![\w\-])[\"'`]?(?:\s*(?::|=|\bto\b|\bis now\b|->|→)\s*|\s+)" + _VALUE,
)
# Plain words that are also fields count only with an explicit `:`, `=`, `to` or `->`: "suspend: true",
# "port to 8081", not "since we updated the schedule yesterday".
_PLAIN_FIELD = re.compile(
    r"\b(?P<key>suspend|schedule|port|path|hop[_ -]limit)[\"'`]?\s*(?::|=|\bto\b|->|→)\s*" + _VALUE,
)
_CHANGE_WORD = re.compile(
    r"\b(?:chang|set|sett|mov|switch|merg|updat|point|bump|lower|rais|increas|decreas|edit|patch|appl|"
    r"renam|replac|flipp|turn|tweak|adjust|enabl|disabl|remov|add)\w*\b",
    re.IGNORECASE,
)


def field_setting(text: str) -> Setting | None:
    """A known field given a new value in a message that says something was changed."""
    if not _CHANGE_WORD.search(text):
        return None
    m = _FIELD.search(text) or _PLAIN_FIELD.search(text)
    if m is None or not re.search(r"[A-Za-z0-9]", m.group("new")):
        return None
    return Setting(m.group("key"), _strip(m.group("new")))


# Certificates and the roots that vouch for them: rotating a mesh's trust anchor or issuer, an
# ingress's TLS secret, a CA bundle, breaks every peer that still trusts only the old one.
_TRUST = re.compile(
    r"\b(?P<thing>trust[ \-_]?anchors?|trust[ \-_]?roots?|root (?:ca|cert(?:ificate)?)s?|ca[ \-_]?bundles?|"
    r"intermediate (?:ca|cert(?:ificate)?)|issuer (?:cert(?:ificate)?|key)s?|identity issuer|issuers?|"
    r"(?:mtls |tls |ssl |client |server )?cert(?:ificate)?s?|tls secrets?|keystores?|truststores?)\b",
    re.IGNORECASE,
)
_ROTATION_WORD = re.compile(
    r"\b(?:rotat\w*|renew\w*|replac\w*|re-?issu\w*|swapp?\w*|remov\w*|revok\w*|regenerat\w*|"
    r"new (?:root|issuer|ca)|upgrade|rolled|roll(?:ing)? out|applied|applying|updated)\b",
    re.IGNORECASE,
)
_TRUST_WORDS = {
    "trust": "trust anchor",
    "root": "root CA",
    "ca": "CA bundle",
    "intermediate": "intermediate CA",
    "issuer": "issuer certificate",
    "identity": "issuer certificate",
    "keystore": "keystore",
    "truststore": "truststore",
}


def trust_change(text: str) -> str | None:
    """`trust anchor`, `issuer certificate`, `certificate`: what a message says was rotated or
    replaced among certificates and their roots; None when it rotates none of them."""
    if not _ROTATION_WORD.search(text):
        return None
    things = [m.group("thing").lower() for m in _TRUST.finditer(text.replace("-", " "))]
    if not things:
        return None
    for word, name in _TRUST_WORDS.items():  # the root of trust first: it breaks the most peers
        if any(t.startswith(word) for t in things):
            return name
    return "certificate"


# Terraform attributes whose change is better named by what they are (an IAM role's
# `assume_role_policy` is its trust policy).
_TF_ATTRIBUTE_THINGS = (
    (re.compile(r"\bassume_role_policy\b"), "trust policy"),
    (re.compile(r"\baws_kms_key\b[^\n]*\n?[^\n]*\bpolicy\b|\baws_kms_key_policy\b"), "key policy"),
    (re.compile(r"\baws_s3_bucket_policy\b"), "bucket policy"),
    (re.compile(r"\baws_iam_(?:role_)?policy\b|\bpolicy_document\b"), "IAM policy"),
    (re.compile(r"\baws_eks_node_group\b"), "node group"),
    (re.compile(r"\baws_(?:vpc_)?security_group(?:_rule)?\b"), "security group"),
    (re.compile(r"\baws_route53_record\b"), "DNS record"),
    (re.compile(r"\baws_launch_template\b"), "launch template"),
)


def terraform_thing_words(text: str) -> str | None:
    """What a pasted Terraform plan or apply changes, in the words people use for it."""
    return next((words for pattern, words in _TF_ATTRIBUTE_THINGS if pattern.search(text)), None)


# Platform components every workload goes through: a change to one reaches workloads that never
# name it (cluster DNS, ingress controllers, a service mesh and its certificates, admission webhooks,
# the CNI, autoscalers of nodes).
_PLATFORM = re.compile(
    r"(?<![\w\-])(?:coredns|kube-dns|node-?local-?dns|resolv\.conf|ingress-nginx|nginx-ingress|"
    r"ingress[ -]controller|ingressclass(?:es)?|traefik|contour|envoy-gateway|gateway ?class|"
    r"linkerd|istio|istiod|"
    r"cilium|calico|aws-node|vpc-cni|kube-proxy|cert-manager|external-dns|aws-load-balancer-controller|"
    r"karpenter|cluster-autoscaler|kyverno|gatekeeper|admission webhook|sidecar[ -]injector|trust anchors?)"
    r"(?![\w\-])",
    re.IGNORECASE,
)


def platform_component(text: str) -> str | None:
    """The platform component a change names (see `_PLATFORM`), lower case."""
    m = _PLATFORM.search(text)
    return m.group(0).lower() if m else None


# Components known by two names: the Deployment and the Service in front of it.
_SAME = {"coredns": "kube-dns", "kube-dns": "coredns"}


def same_as(name: str | None) -> str | None:
    """The other name of a component known by two (`coredns` is served as the `kube-dns` Service)."""
    return _SAME.get(name.lower()) if name else None
