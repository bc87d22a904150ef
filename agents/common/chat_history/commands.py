"""Changes people make by hand, as they write them in chat: a command pasted (`kubectl scale`,
`kubectl set resources`, `kubectl apply`, `helm upgrade`, `terraform apply`) or the words for one
("scaled orders-pg to 0", "lowered payments-worker's memory limit to 256Mi", "rotated the stripe
secret", "applied a default-deny NetworkPolicy to accounts", "changed the general node group to
m7g", "edited the KMS key policy"). Each is a change as much as a rollout, with the thing it
touches: a workload (`service`) and, where written, its namespace. Pure; text is only matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

_NAME = r"[a-z0-9][a-z0-9\-.]*[a-z0-9]"
_NS = rf"(?:-n|--namespace)[= ](?P<ns>{_NAME})"
_WORKLOAD_KIND = (
    r"(?:deployments?|deploy|statefulsets?|sts|daemonsets?|ds|replicasets?|rs|cronjobs?|jobs?|"
    r"services?|svc|configmaps?|cm|secrets?|hpa|horizontalpodautoscalers?|networkpolic(?:y|ies)|netpol|"
    r"ingress(?:es)?|pvc|persistentvolumeclaims?|nodes?|serviceaccounts?|sa|roles?|rolebindings?)"
)
_TARGET = rf"{_WORKLOAD_KIND}(?:/|\s+)(?P<name>{_NAME})"


class Touch(StrEnum):
    """What kind of change a manual change is: to a workload's configuration, or to the
    infrastructure it runs on (nodes, node groups, clusters)."""

    DEPLOY = "deploy"  # a restart or an undo: the workload's pods are replaced
    CONFIG = "config"
    INFRA = "infra"


@dataclass(frozen=True)
class ManualChange:
    touch: Touch
    service: str | None  # the workload or service it touches, when written
    namespace: str | None
    key: str  # what was changed: replicas, resources, networkpolicy, node group, ...
    phrase: str
    thing: str | None = None  # another object it names (a bucket, a secret, a key alias)


_KUBECTL = re.compile(
    rf"\bkubectl\s+(?:{_NS}\s+)?(?P<verb>rollout\s+(?:restart|undo)|scale|set\s+(?:resources|env|image|selector|serviceaccount)|"
    rf"apply|patch|edit|delete|label|annotate|taint|cordon|drain|replace|create)\b(?P<rest>[^\n`]*)",
    re.IGNORECASE,
)
_HELM = re.compile(
    rf"\bhelm\s+(?P<verb>upgrade|rollback|install|uninstall)\s+(?:--\S+\s+)*(?P<name>{_NAME})(?P<rest>[^\n`]*)",
    re.IGNORECASE,
)
_TERRAFORM = re.compile(r"\bterraform\s+apply\b(?P<rest>[^\n`]*)", re.IGNORECASE)
_INFRA_WORDS = re.compile(
    r"\b(node ?groups?|nodegroups?|node pools?|instance types?|launch templates?|ami|karpenter|"
    r"provisioners?|nodepools?|autoscaling groups?|asg|eks (?:cluster|version|upgrade)|cluster upgrade|"
    r"taints?|drain(?:ed)?|cordon(?:ed)?)\b",
    re.IGNORECASE,
)
PAST = (
    r"(?:scaled|lowered|raised|reduced|increased|decreased|cut|bumped|changed|set|updated|tuned|halved|"
    r"doubled|capped|trimmed|rotated|renewed|replaced|regenerated|revoked|applied|rolled out|enabled|"
    r"disabled|flipped|turned (?:on|off)|edited|modified|tightened|removed|dropped|detached|attached|"
    r"deleted|moved|switched|upgraded|resized|drained|cordoned|tainted|added)"
)
# "scaled orders-pg to 0", "scaled the checkout deployment down to 2 replicas"
_SCALED = re.compile(
    rf"\bscaled\s+(?:down\s+|up\s+|in\s+|out\s+)?(?:the\s+)?(?P<name>{_NAME})"
    rf"(?:\s+{_WORKLOAD_KIND})?(?:\s+(?:down|up|in|out))?\s+to\s+(?P<new>\d+)(?:\s+replicas?)?",
    re.IGNORECASE,
)
# "lowered payments-worker memory limit from 1Gi to 256Mi", "cut the cpu requests of ingest to 200m"
_RESOURCES = re.compile(
    rf"\b{PAST}\s+(?:the\s+)?(?:(?P<name>{_NAME})(?:'s)?\s+)?(?P<key>(?:memory|mem|cpu)\s+(?:limits?|requests?))"
    rf"(?:\s+(?:of|for|on)\s+(?:the\s+)?(?P<name2>{_NAME}))?",
    re.IGNORECASE,
)
# "payments-worker memory limit lowered from 1Gi to 256Mi"
_RESOURCES_AFTER = re.compile(
    rf"\b(?P<name>{_NAME})(?:'s)?\s+(?P<key>(?:memory|mem|cpu)\s+(?:limits?|requests?))\s+(?:(?:was|were|is|are)\s+)?{PAST}",
    re.IGNORECASE,
)
# "rotated the stripe-api secret", "renewed the api.example.com certificate", "applied the
# default-deny NetworkPolicy", "edited the KMS key policy", "changed the general node group".
_OBJECT = re.compile(
    rf"\b{PAST}\b(?:\s+(?:the|a|an|our|its|their))?(?P<words>(?:\s+[\w.\-/:']+){{0,4}}?)\s+"
    r"(?P<key>network ?polic(?:y|ies)|netpol|secrets?|certificates?|certs?|tls (?:secret|cert(?:ificate)?)|"
    r"credentials?|tokens?|passwords?|"
    r"(?:iam |kms |key |bucket |trust |resource |scp |s3 )?polic(?:y|ies)|"
    r"iam roles?|role bindings?|rbac|security groups?|firewall rules?|node ?groups?|nodegroups?|node pools?|"
    r"instance types?|launch templates?|provisioners?|nodepools?|feature flags?|flags?|selectors?|"
    r"taints?|tolerations?|affinity|quotas?|limit ?ranges?|(?:api |access |signing |ssh )?keys?)\b"
    # what it was applied to: "... policies for orders", "... NetworkPolicy to accounts" (not "for the
    # payments namespace": a namespace; not "to m7g" after "changed": the new value)
    rf"(?:\s+(?P<prep>for|to)\s+(?:the\s+)?(?P<target>{_NAME})(?![\w/.\-])(?!\s+namespace))?",
    re.IGNORECASE,
)
# The cloud service a policy or key belongs to, as IAM actions name it (`kms:Decrypt`, `s3:PutObject`).
_CLOUD = re.compile(
    r"\b(iam|kms|s3|sts|dynamodb|sqs|sns|ecr|secretsmanager|ssm|rds|ec2|lambda|route53|acm)\b", re.IGNORECASE
)
_NAMESPACE_WORDS = re.compile(
    rf"\b(?:in|to|on|for)\s+(?:the\s+)?(?P<ns>{_NAME})\s+namespace\b", re.IGNORECASE
)
_STOP = frozenset(
    {
        *("the", "a", "an", "our", "its", "their", "prod", "production", "staging", "new", "old"),
        *("default", "legacy", "done", "complete", "completed", "finished", "ok", "succeeded", "failed"),
        *("is", "was", "now", "again"),
    }
)


# Words that follow "for"/"to" after a change without naming what it was applied to.
_NOT_A_TARGET = frozenset({"all", "everything", "now", "today", "tonight", "prod", "production", "good"})
# Verbs whose "to <name>" names what the change was applied to (after "changed", "to" is the new value).
_APPLIED_TO = frozenset({"applied", "attached", "added"})


def _clean(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip(".'").lower()
    return None if not name or name in _STOP or name.isdigit() else name


def manual_change_of(text: str) -> ManualChange | None:
    """The change a person says they made by hand in `text`, if any (commands first, then words)."""
    namespace_words = _NAMESPACE_WORDS.search(text)
    word_ns = _clean(namespace_words.group("ns")) if namespace_words else None
    kubectl = _KUBECTL.search(text)
    if kubectl:
        rest = kubectl.group("rest")
        ns = kubectl.group("ns") or (m.group("ns") if (m := re.search(_NS, rest)) else None) or word_ns
        target = re.search(_TARGET, rest, re.IGNORECASE)
        verb = " ".join(kubectl.group("verb").lower().split())
        infra = verb in {"taint", "cordon", "drain"} or bool(re.search(r"\bnodes?\b", rest))
        from_file = verb == "apply" or re.search(r"(?:^|\s)(?:-f|--filename)[= ]", rest) is not None
        name = _clean(target.group("name")) if target and not from_file else None
        if name is None and verb in {"cordon", "drain"}:
            name = _clean(rest.split()[0]) if rest.split() else None
        key = verb
        if verb.startswith("rollout"):
            return ManualChange(Touch.DEPLOY, name, _clean(ns), verb, kubectl.group(0).strip())
        if verb == "apply" and re.search(r"netpol|network-?polic", rest, re.IGNORECASE):
            key = "networkpolicy"
        return ManualChange(
            Touch.INFRA if infra else Touch.CONFIG, name, _clean(ns), key, kubectl.group(0).strip()
        )
    helm = _HELM.search(text)
    if helm:
        ns = (m.group("ns") if (m := re.search(_NS, helm.group("rest"))) else None) or word_ns
        return ManualChange(
            Touch.CONFIG, _clean(helm.group("name")), _clean(ns), "helm", helm.group(0).strip()
        )
    terraform = _TERRAFORM.search(text)
    if terraform:
        touch = Touch.INFRA if _INFRA_WORDS.search(text) else Touch.CONFIG
        return ManualChange(touch, None, word_ns, "terraform", terraform.group(0).strip())
    scaled = _SCALED.search(text)
    if scaled:
        return ManualChange(Touch.CONFIG, _clean(scaled.group("name")), word_ns, "replicas", scaled.group(0))
    resources = _RESOURCES.search(text) or _RESOURCES_AFTER.search(text)
    if resources:
        name = _clean(resources.group("name")) or _clean(resources.groupdict().get("name2"))
        key = " ".join(resources.group("key").lower().split())
        return ManualChange(Touch.CONFIG, name, word_ns, key, resources.group(0))
    obj = _OBJECT.search(text)
    if obj:
        key = " ".join(obj.group("key").lower().split())
        touch = Touch.INFRA if _INFRA_WORDS.search(key) else Touch.CONFIG
        words = [w.strip(".,'") for w in obj.group("words").split()]
        named = [w for w in words if re.fullmatch(r"[a-z0-9][a-z0-9\-]*-[a-z0-9\-]+", w)]
        cloud = _CLOUD.search(f"{obj.group('words')} {key}")
        thing = _clean(named[-1]) if named else (cloud.group(0).lower() if cloud else None)
        applied_to = _clean(obj.group("target"))
        verb = obj.group(0).split()[0].lower()
        if applied_to in _NOT_A_TARGET or (obj.group("prep") == "to" and verb not in _APPLIED_TO):
            applied_to = None
        return ManualChange(touch, applied_to, word_ns, key, obj.group(0).strip(), thing=thing)
    return None
