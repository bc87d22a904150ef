"""Changes people make by hand, as they write them in chat: a command pasted (`kubectl scale`,
`kubectl set resources`, `kubectl apply`, `helm upgrade`, `terraform apply`) or the words for one
("scaled orders-pg to 0", "lowered payments-worker's memory limit to 256Mi", "rotated the stripe
secret", "applied a default-deny NetworkPolicy to accounts", "changed the general node group to
m7g", "edited the KMS key policy"). Each is a change as much as a rollout, with the thing it
touches: a workload (`service`) and, where written, its namespace. Pure; text is only matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from agents.common.chat_history.aws_cli import resource_of, setting_of, short_name
from agents.common.chat_history.values import (
    Setting,
    field_setting,
    helm_setting,
    kubectl_setting,
    replicas_in_words,
    terraform_thing_words,
    trust_change,
)

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
    new: str | None = None  # the value it set, when written (`40`, `forward . 10.40.0.2`)
    old: str | None = None  # the value it replaced, when written


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
# What a Terraform run posts when it is done (Terraform's own summary, as Atlantis, Spacelift, Terraform
# Cloud and CI jobs relay it): "Apply complete! Resources: 0 added, 1 changed, 0 destroyed."
_APPLY_DONE = re.compile(
    r"\bApply complete!?\s*Resources:\s*(?P<added>\d+) added,\s*(?P<changed>\d+) changed,\s*"
    r"(?P<destroyed>\d+) destroyed",
    re.IGNORECASE,
)
# Terraform resources of the network every workload's traffic crosses.
_NETWORK_RESOURCE = re.compile(
    r"\b(?:aws_(?:vpc_)?security_group(?:_rule)?|aws_network_acl(?:_rule)?|aws_route(?:_table)?|aws_subnet|"
    r"google_compute_firewall|azurerm_network_security_(?:group|rule))\b"
)
# A Terraform resource address (`aws_s3_bucket_policy.media`, `module.db.aws_security_group.this`).
_TF_ADDRESS = re.compile(
    r"(?<![\w.])(?:module\.[\w\-]+\.)*(?:aws|google|azurerm|kubernetes|helm)_[a-z0-9_]+\.[\w\-]+"
    r"(?:\[\"?[\w\-.]+\"?\])?"  # a `for_each` instance: `aws_eks_node_group.search["search-r7i"]`
)
# A plan pasted by the person applying it: its summary line, or a resource it changes in place.
_TF_PLAN = re.compile(
    r"\bPlan:\s*\d+ to add,\s*\d+ to change,\s*\d+ to destroy"
    r"|\bwill be (?:updated in-place|replaced|destroyed)\b",
    re.IGNORECASE,
)
_APPLYING = re.compile(r"\b(?:applying|applied|apply(?:ing)? (?:it|this|now))\b", re.IGNORECASE)
# The folder or workspace a run applied (`dir: s3/acme-media-prod`).
_TF_DIR = re.compile(
    r"\b(?:dir(?:ectory)?|workspace|stack|project)\s*:?\s*[`'\"]?(?P<dir>[\w.\-]+(?:/[\w.\-]+)*)",
    re.IGNORECASE,
)
# A mutating AWS CLI call pasted in chat (`aws secretsmanager rotate-secret --secret-id prod/orders/db`,
# `aws ec2 revoke-security-group-egress --group-id sg-...`), or its verb alone (`rotate-secret`).
_AWS_VERB = (
    r"(?:rotate|put|update|create|delete|modify|authorize|revoke|attach|detach|remove|add|replace|disable|"
    r"enable|cancel|restore|reboot|failover|promote|terminate|stop|start|tag|untag|associate|disassociate|"
    r"set|merge|split|increase|decrease|register|deregister|suspend|resume|reset|change|import|purge)"
    r"-[a-z0-9][a-z0-9\-]*"
)
_AWS_CLI = re.compile(
    rf"\baws\s+(?P<svc>[a-z][a-z0-9\-]*)\s+(?P<verb>{_AWS_VERB})(?P<rest>[^\n`]*)", re.IGNORECASE
)
_AWS_VERB_ALONE = re.compile(
    r"(?<![\w\-])(?P<verb>rotate-secret|put-secret-value|update-secret|put-bucket-policy|delete-bucket-policy|"
    r"authorize-security-group-(?:ingress|egress)|revoke-security-group-(?:ingress|egress)|put-key-policy|"
    r"update-function-configuration|put-role-policy|update-assume-role-policy|modify-db-instance)(?![\w\-])",
    re.IGNORECASE,
)
_AWS_ID = re.compile(
    r"--(?:secret-id|function-name|bucket|group-id|db-instance-identifier|db-cluster-identifier|key-id|"
    r"role-name|policy-arn|queue-url|cluster|service|table-name|name|parameter-name|topic-arn)[= ]+[\"']?"
    r"(?P<id>[^\s\"']+)"
)
# "rotation of prod/orders/db kicked off", "rotating the stripe-api-key": the secret or key named
_ROTATION = re.compile(
    r"\brotat(?:ion|ed|ing)\s+(?:of\s+|for\s+)?(?:the\s+)?(?P<thing>[A-Za-z0-9][\w.:\-]*(?:/[\w.:\-]+)+|"
    r"[a-z0-9][a-z0-9\-]*-[a-z0-9\-]+)",
    re.IGNORECASE,
)
_INFRA_WORDS = re.compile(
    r"\b(node ?groups?|nodegroups?|node pools?|instance types?|launch templates?|ami|karpenter|"
    r"provisioners?|nodepools?|autoscaling groups?|asg|eks (?:cluster|version|upgrade)|cluster upgrade|"
    r"taints?|drain(?:ed)?|cordon(?:ed)?|"
    # the network every workload's traffic crosses: security groups, NACLs, firewalls, routes
    r"security[ _]groups?|sg-[0-9a-f]{8,17}|network acls?|nacls?|firewall rules?|route tables?|subnets?)\b",
    re.IGNORECASE,
)
PAST = (
    r"(?:scaled|lowered|raised|reduced|increased|decreased|cut|bumped|changed|set|updated|tuned|halved|"
    r"doubled|capped|trimmed|rotated|renewed|replaced|regenerated|revoked|applied|rolled out|enabled|"
    r"disabled|flipped|turned (?:on|off)|edited|modified|tightened|removed|dropped|detached|attached|"
    r"deleted|moved|switched|upgraded|resized|drained|cordoned|tainted|added|"
    # a change being made as it is written: "tightening the orders-db security group: ..."
    r"tightening|restricting|rotating|removing|replacing|swapping|locking down|revoking|detaching)"
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
# Words that name a cloud service's object without naming the service: a key policy, a CMK or a key
# alias are KMS's; a bucket policy is S3's; a trust policy or an instance profile is IAM's.
_CLOUD_IMPLIED = (
    (
        re.compile(
            r"\bkey polic(?:y|ies)\b|\bcmks?\b|\bcustomer (?:master|managed) keys?\b|\balias/[\w/\-]+", re.I
        ),
        "kms",
    ),
    (re.compile(r"\bbucket polic(?:y|ies)\b|\bbucket acls?\b", re.I), "s3"),
    (
        re.compile(
            r"\btrust polic(?:y|ies)\b|\binstance profiles?\b|\bpermissions? boundar(?:y|ies)\b", re.I
        ),
        "iam",
    ),
)


def cloud_of(text: str) -> str | None:
    """The cloud service a change is to, by its name (`kms`) or by the words for its objects."""
    named = _CLOUD.search(text)
    if named:
        return named.group(0).lower()
    return next((service for pattern, service in _CLOUD_IMPLIED if pattern.search(text)), None)


# An AWS resource id written beside the change ("security group sg-0d4f1a2b3c4d5e6f7 egress now ...").
_CLOUD_ID = re.compile(
    r"\b(?:sg|vpce|vpc|subnet|eni|acl|rtb|igw|nat|vol|snap|ami|lt|tgw|pl)-[0-9a-f]{8,17}\b"
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


# An attribute line of a pasted Terraform plan or unified diff: `+ "…:sub" = "system:serviceaccount:…"`,
# `- from_port = 5432`, `~ image = "a" -> "b"`.
_DIFF_LINE = re.compile(
    r"^\s*(?P<sign>[+\-~])\s+\"?(?P<key>[\w.:/\-]{1,120})\"?\s*[=:]\s*(?P<value>[^\n{}]{1,160}?)\s*,?\s*$",
    re.MULTILINE,
)
MAX_DIFF = 220


def diff_of(text: str) -> str | None:
    """The attribute values a pasted plan or diff adds, removes or changes, most telling first: a key
    both removed and added (a value replaced), then additions, then removals."""
    lines = [
        m
        for m in _DIFF_LINE.finditer(text)
        if m.group("value").strip() not in {"", "[", "{"}
        and not m.group("value").rstrip().endswith(("(", "["))
    ]
    values = {(m.group("sign"), m.group("key"), m.group("value").strip()) for m in lines}
    # an attribute removed and added with the same value did not change (a block was replaced)
    lines = [
        m
        for m in lines
        if m.group("sign") == "~"
        or ({"+": "-", "-": "+"}[m.group("sign")], m.group("key"), m.group("value").strip()) not in values
    ]
    if not lines:
        return None
    removed = {m.group("key") for m in lines if m.group("sign") == "-"}
    added = {m.group("key") for m in lines if m.group("sign") == "+"}
    both = removed & added
    order = {"+": 1, "~": 0, "-": 2}
    lines.sort(key=lambda m: (m.group("key") not in both, order[m.group("sign")]))
    parts: list[str] = []
    for m in lines:
        key = re.split(r"[:/.]", m.group("key"))[-1] or m.group("key")
        value = re.sub(r"\s+", " ", m.group("value").strip().strip('"'))
        part = f"{m.group('sign')} {key} = {value}"
        if part not in parts:
            parts.append(part)
    out = ""
    for part in parts:
        if len(out) + len(part) + 2 > MAX_DIFF:
            break
        out = f"{out}; {part}" if out else part
    return out or None


def plan_shown(text: str) -> bool:
    """A Terraform plan that changes something, posted without saying it was applied."""
    return _TF_PLAN.search(text) is not None and _APPLYING.search(text) is None


def _terraform_thing(text: str) -> str | None:
    """What a Terraform run touched: the resource it targeted or changed, else the folder it applied."""
    target = re.search(r"-target[= ]+[\"']?(?P<t>[^\s\"']+)", text)
    if target:
        return target.group("t")
    changed = re.search(rf"(?:^|\s)[~+\-]\s*(?P<a>{_TF_ADDRESS.pattern})", text)
    address = changed.group("a") if changed else None
    folder = _TF_DIR.search(text)
    if folder and "/" in folder.group("dir"):
        return folder.group("dir")
    return address or (m.group(0) if (m := _TF_ADDRESS.search(text)) else None)


# The workload a setting was changed on: "port to 8081 on ledger-api", "for the docs-portal chart".
# Only a name that looks like a workload's (a hyphen or a digit), not "on prod" or "for now".
_ON_WORKLOAD = re.compile(
    r"\b(?:on|for|of)\s+(?:the\s+)?(?P<name>[a-z][a-z0-9]*(?:-[a-z0-9]+)+)\b(?!\s+namespace)(?![\w.\-/])"
)
# Keys that say only how a change was made, not what it changed: a more telling one replaces them.
_HOW_KEYS = frozenset({"apply", "edit", "replace", "create", "helm", "terraform", "rotation", "patch"})


def _set(change: ManualChange, setting: Setting | None, *, keep_key: bool = False) -> ManualChange:
    """`change` with the value `setting` says it set; with `keep_key`, the change keeps its own key
    (the command's verb) and the value names the setting's (`readinessProbe.httpGet.port=8081`)."""
    if setting is None:
        return change
    if not keep_key:
        key = change.key if setting.key == "set" else setting.key
        return replace(change, key=key, new=setting.new, old=setting.old)
    plain = setting.key in {"set", "replicas", "image", "chart version"} or setting.new is None
    new = setting.new if plain else f"{setting.key}={setting.new}"
    return replace(change, new=new, old=setting.old)


def manual_change_of(text: str) -> ManualChange | None:
    """The change a person says they made by hand in `text`, if any (commands first, then words),
    with the value it set when the message says it: the replicas a `kubectl scale` asks for, the
    variable a `set env` sets, what an edit made a setting into, a certificate or trust anchor
    rotated, the field a manifest change moves to a new value."""
    namespace_words = _NAMESPACE_WORDS.search(text)
    word_ns = _clean(namespace_words.group("ns")) if namespace_words else None
    change = _manual_change_of(text)
    trust = trust_change(text)
    if trust is not None and (change is None or change.key in _HOW_KEYS or change.key.startswith("aws ")):
        # A mesh's or a cluster's roots of trust belong to no workload: no thing named, every
        # workload that trusts them is on the path.
        base = change or ManualChange(Touch.CONFIG, None, word_ns, trust, " ".join(text.split())[:200])
        change = replace(base, key=trust)
    field = field_setting(text)
    if change is None and field is not None:
        on = _ON_WORKLOAD.search(text)
        name = _clean(on.group("name")) if on else None
        change = ManualChange(Touch.CONFIG, name, word_ns, field.key, " ".join(text.split())[:200])
        return _set(change, field)
    if change is not None and change.new is None and field is not None:
        change = _set(change, field, keep_key=change.key not in _HOW_KEYS)
    return change


def _manual_change_of(text: str) -> ManualChange | None:
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
        if name is None and verb in {"edit", "patch", "replace"}:
            # `kubectl -n kube-system edit configmap coredns`: the object edited is what it touched
            edited = re.search(
                rf"(?:configmaps?|cm|secrets?|ingress(?:es)?|services?|svc)(?:/|\s+)(?P<o>{_NAME})", rest
            )
            name = _clean(edited.group("o")) if edited else None
        after = text[kubectl.end() :]
        change = ManualChange(
            Touch.INFRA if infra else Touch.CONFIG, name, _clean(ns), key, kubectl.group(0).strip()
        )
        return _set(change, kubectl_setting(verb, rest, f"{rest}\n{after}"), keep_key=True)
    helm = _HELM.search(text)
    if helm:
        ns = (m.group("ns") if (m := re.search(_NS, helm.group("rest"))) else None) or word_ns
        change = ManualChange(
            Touch.CONFIG, _clean(helm.group("name")), _clean(ns), "helm", helm.group(0).strip()
        )
        return _set(change, helm_setting(helm.group("rest")), keep_key=True)
    terraform = _TERRAFORM.search(text)
    done = _APPLY_DONE.search(text)
    plan = _TF_PLAN.search(text)
    if plan is not None and not _APPLYING.search(text):
        plan = None  # a plan shown for review, not one being applied
    if terraform or plan or (done and any(int(done.group(k)) for k in ("added", "changed", "destroyed"))):
        network = _NETWORK_RESOURCE.search(text)
        # what workloads run on: node groups, launch templates (`aws_eks_node_group.search["r7i"]`)
        nodes = terraform_thing_words(text) in {"node group", "launch template"}
        touch = Touch.INFRA if _INFRA_WORDS.search(text) or network or nodes else Touch.CONFIG
        shown = terraform or plan or done
        phrase = shown.group(0).strip()  # type: ignore[union-attr]
        return ManualChange(touch, None, word_ns, "terraform", phrase, thing=_terraform_thing(text))
    aws = _AWS_CLI.search(text) or _AWS_VERB_ALONE.search(text)
    if aws:
        verb = aws.group("verb").lower()
        service = aws.groupdict().get("svc")
        args = aws.groupdict().get("rest") or ""
        ident = _AWS_ID.search(args)
        rotation = _ROTATION.search(text)
        thing = (
            short_name(ident.group("id"))
            if ident
            else resource_of(args) or (rotation.group("thing") if rotation else None)
        )
        key = f"{service.lower()} {verb}" if service else verb
        touch = Touch.INFRA if _INFRA_WORDS.search(text) else Touch.CONFIG
        change = ManualChange(touch, None, word_ns, key, aws.group(0).strip(), thing=thing)
        cli_value = setting_of(args, text[aws.end() :])
        if cli_value is not None:
            arg, new, old = cli_value
            change = replace(change, new=f"{arg}={new}", old=old)
        return change
    scaled = _SCALED.search(text)
    if scaled:
        return ManualChange(
            Touch.CONFIG,
            _clean(scaled.group("name")),
            word_ns,
            "replicas",
            scaled.group(0),
            new=scaled.group("new"),
        )
    replicas = replicas_in_words(text)
    if replicas is not None:
        name, setting = replicas
        return _set(
            ManualChange(Touch.CONFIG, _clean(name), word_ns, "replicas", " ".join(text.split())[:200]),
            setting,
        )
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
        cloud = cloud_of(f"{obj.group('words')} {key}") or cloud_of(text)
        thing = _clean(named[-1]) if named else cloud
        applied_to = _clean(obj.group("target"))
        verb = obj.group(0).split()[0].lower()
        if applied_to in _NOT_A_TARGET or (obj.group("prep") == "to" and verb not in _APPLIED_TO):
            applied_to = None
        if thing is None or thing == cloud:
            cloud_id = _CLOUD_ID.search(text)
            thing = cloud_id.group(0) if cloud_id else thing
        return ManualChange(touch, applied_to, word_ns, key, obj.group(0).strip(), thing=thing)
    rotation = _ROTATION.search(text)
    if rotation and rotation.group("thing").lower() not in _STOP:
        return ManualChange(
            Touch.CONFIG, None, word_ns, "rotation", rotation.group(0).strip(), thing=rotation.group("thing")
        )
    return None
