"""Whether two names denote the same thing, or one is a member or an instance of the other. Pure
and deterministic: the one place the master decides that a change's thing and a thing on the
alert's path are the same, however each source wrote it.

- **A member or instance** of a named thing: the Aurora instance `orders-aurora-instance-1` of the
  cluster `orders-aurora`, the StatefulSet pod `redis-primary-0`, a Deployment's pod
  `checkout-7c6d9f5b8d-q2v8n`, the ElastiCache node `sessions-0001-001`, the controller
  `ingress-nginx-controller` of a release `ingress-nginx`, a node group's `eks-workers-spot-…` Auto
  Scaling group, a CloudFormation stack's `orders-stack-OrdersDB-1A2B3C4D5E6F`.
- **A reference that embeds the name**: a host (`orders-aurora.cluster-c9xk.us-east-1.rds.amazonaws.com`,
  `master.sessions.abc123.use1.cache.amazonaws.com`, `redis-main.cache.svc.cluster.local`), a URL,
  an ARN (`arn:aws:iam::1234:role/orders-api`), a Terraform address (`module.shop_gateway`,
  `aws_db_instance.orders_db`), a Kubernetes resource (`shop/Deployment/search-api`), a Helm release
  installed from a chart (`helm upgrade checkout bitnami/redis` makes `checkout-redis`).
- **Spellings**: snake_case and kebab-case, any case, and a few abbreviations infrastructure code
  uses (`shop_gw` for `shop-gateway`).

Conservative: a name made only of generic words (`api`, `db`, `prod`, `web`, a region, a common
namespace) or numbers never matches alone, and a suffix that names another thing (`payments-db`
is not `payments`; `orders-api-v2` is not `orders-api`) makes another thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import product

# Words that identify nothing by themselves.
GENERIC = frozenset(
    {
        "api", "app", "apps", "web", "www", "svc", "service", "services", "db", "database", "prod",
        "production", "staging", "stage", "dev", "test", "qa", "default", "localhost", "cluster",
        "local", "internal", "aws", "main", "this", "primary", "master", "data", "cache", "kube",
        "system", "kube-system", "kube-public", "monitoring", "node", "nodes", "pod", "worker",
        "server", "backend", "frontend", "ip", "ec2", "compute", "amazonaws", "com", "io", "net",
        "org", "example", "instance", "replica", "key", "role", "alias", "module", "pool",
    }
)  # fmt: skip
_REGION = re.compile(
    r"^(?:[a-z]{2}(?:-gov)?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-\d"
    r"|(?:us|eu|ap|sa|ca|me|af|il|cn)[a-z]{1,3}\d)$"
)
# What follows a thing's name in a member's, instance's or part's name (`-instance-1`, `-0`,
# `-controller`, `-config`). A word that names another thing (`db`, `api`, `worker`, `v2`) is not one.
MEMBER_WORDS = frozenset(
    {
        "instance", "node", "replica", "replicas", "reader", "writer", "member", "shard", "primary",
        "secondary", "master", "leader", "follower", "controller", "headless", "svc", "config",
        "configmap", "cm", "secret", "secrets", "env", "role", "irsa", "sa", "serviceaccount", "pdb",
        "hpa", "ro", "rw", "endpoint", "stack",
    }
)  # fmt: skip
# Generated parts hold a digit (`5f4e3d2c1`, `k9j8h`, `0001`); a version (`v2`) names another thing.
_GENERATED_PART = r"(?:\d+|(?!v\d+(?![\w]))(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,36})"
_GENERATED = re.compile(rf"^{_GENERATED_PART}$")
# The first label of a managed endpoint that says which role of the thing it is, not the thing.
_ROLE_LABELS = frozenset({"master", "clustercfg", "primary", "replica", "reader", "writer", "ro", "rw"})
_HOST_ENDS = re.compile(
    r"\.(?:com|net|org|io|dev|cloud|app|internal|local|svc|co|uk|de|eu|fr|jp|in|au|ca|us|ai|me)$"
)
_ARN = re.compile(r"arn:aws[\w\-]*:(?P<service>[a-z0-9\-]+):[\w\-]*:\d*:(?P<resource>[^\s\"',)\]]+)")
_UUID = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$|^[0-9a-f]{32}$")
_TF_ADDRESS = re.compile(
    r"^(?:module\.(?P<module>[\w\-]+)(?:\[[^\]]*\])?\.?)*"
    r"(?:(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.(?P<name>[\w\-]+)(?:\[\"?(?P<key>[^\]\"]+)\"?\])?)?$"
)
_MODULES = re.compile(r"module\.([\w\-]+)")
_HELM = re.compile(
    r"\bhelm\s+(?:upgrade|install)\s+(?:--?[\w\-]+(?:[= ](?!-)\S+)?\s+)*?"
    r"(?P<release>[a-z0-9][a-z0-9\-]*)\s+(?:[\w.\-]+/)?(?P<chart>[a-z0-9][a-z0-9\-]*)\b"
)
# A CloudFormation stack's resource: `<stack>-<LogicalId>-<RANDOM>`, the case as CloudFormation
# writes it.
_CFN_PART = r"-[A-Z][A-Za-z0-9]+-[A-Za-z0-9]{8,13}"
_ABBREVIATIONS = (
    ("gw", "gateway"),
    ("db", "database"),
    ("pg", "postgres"),
    ("pg", "postgresql"),
    ("svc", "service"),
    ("cfg", "config"),
    ("mgr", "manager"),
    ("ctrl", "controller"),
)
# A managed node group's Auto Scaling group and instances: `eks-<node group>-<uuid>`.
_NODE_GROUP = ("eks-", "gke-", "aks-")
_TOKEN = re.compile(r"[^\s\"'`,;()<>{}|=]+")
MIN_LEN = 4


def spelled(name: str) -> str:
    """`Shop_Gateway.` -> `shop-gateway`."""
    return name.strip(" \t.,:;\"'`()[]{}<>").lower().replace("_", "-")


def distinctive(name: str) -> bool:
    """Whether `name` can identify a thing by itself: not a generic word, a region or a number, and
    not made only of those (`api-1`, `prod-db`)."""
    n = spelled(name)
    if len(n) < MIN_LEN or n in GENERIC or _REGION.match(n) or n.isdigit():
        return False
    tokens = [t for t in re.split(r"[-.]", n) if t]
    return any(
        t not in GENERIC and not t.isdigit() and not _REGION.match(t) and not _GENERATED.match(t)
        for t in tokens
    ) or bool(_UUID.match(n))


@lru_cache(maxsize=8192)
def denoted(reference: str) -> tuple[str, ...]:
    """The names a reference denotes, spelled alike (`spelled`): a host's or URL's thing, an ARN's
    resource, a Terraform address's module and resource names, a Kubernetes resource's name; else
    the reference itself."""
    ref = reference.strip(" \t.,:;\"'`()<>{}")
    if not ref:
        return ()
    arn = _ARN.fullmatch(ref)
    if arn:
        parts = [p for p in re.split(r"[/:]", arn.group("resource")) if p]
        if arn.group("service") == "s3" or (parts[0] == "assumed-role" and len(parts) > 1):
            # A bucket (`bucket/key`), the role a session assumed (`assumed-role/<role>/<session>`).
            return (spelled(parts[1] if parts[0] == "assumed-role" else parts[0]),)
        # `role/path/name`, `cluster:orders-aurora`, `key/<uuid>`; a node group's ARN ends in an id
        # after its name.
        names = parts[1:] or parts
        last = names[-1]
        if len(names) > 1 and (_UUID.match(last.lower()) or _GENERATED.match(last.lower())):
            last = names[-2]
        return (spelled(last),)
    if "://" in ref:
        ref = ref.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    tf = _TF_ADDRESS.fullmatch(ref) if ("module." in ref or "_" in ref.split(".")[0]) else None
    if tf and (tf.group("name") or tf.group("module")):
        names = [*_MODULES.findall(ref), tf.group("name") or "", tf.group("key") or ""]
        return tuple(dict.fromkeys(spelled(n) for n in names if n and distinctive(n)))
    if "/" in ref:
        ref = ref.rstrip("/").rsplit("/", 1)[-1]
    host = re.sub(r":\d{1,5}$", "", ref).lower()
    if "." in host and _HOST_ENDS.search(host) and re.fullmatch(r"[a-z0-9\-]+(?:\.[a-z0-9\-]+)+", host):
        labels = host.split(".")
        if labels[0] in _ROLE_LABELS and len(labels) > 2:
            labels = labels[1:]
        return tuple(dict.fromkeys((host, spelled(labels[0]))))
    return (spelled(ref),)


def _member_remainder(tokens: list[str]) -> bool:
    if _UUID.match("-".join(tokens)) or (len(tokens) > 5 and _UUID.match("-".join(tokens[-5:]))):
        return _member_remainder(tokens[:-5]) if len(tokens) > 5 else True
    return bool(tokens) and all(t in MEMBER_WORDS or _GENERATED.match(t) for t in tokens)


@lru_cache(maxsize=8192)
def parents(name: str) -> tuple[str, ...]:
    """The things `name` is a member or part of, by its spelling: `orders-aurora-instance-1` ->
    `orders-aurora-instance`, `orders-aurora`; `orders-stack-OrdersDB-1A2B3C4D5E6F` -> `orders-stack`;
    `eks-workers-spot-2ec5b2f6` -> `workers-spot`. Only distinctive ones."""
    out: list[str] = []
    raw = name.strip(" \t.,:;\"'`()[]{}<>")
    cfn = re.fullmatch(rf"(?P<stack>[A-Za-z0-9][A-Za-z0-9\-]*?){_CFN_PART}", raw)
    if cfn:
        out.append(spelled(cfn.group("stack")))
    n = spelled(raw)
    if n.startswith(_NODE_GROUP):
        n = n[4:]
    tokens = n.split("-")
    for i in range(len(tokens) - 1, 0, -1):
        if _member_remainder(tokens[i:]):
            out.append("-".join(tokens[:i]))
    return tuple(dict.fromkeys(p for p in out if distinctive(p) and p != spelled(name)))


def _abbreviated(name: str) -> set[str]:
    """`shop-gateway` -> {`shop-gateway`, `shop-gw`}: the spellings a few common abbreviations give."""
    tokens = name.split("-")
    choices = []
    for t in tokens:
        alike = {t}
        for short, long in _ABBREVIATIONS:
            if t == short:
                alike.add(long)
            elif t == long:
                alike.add(short)
        choices.append(sorted(alike))
    if len(tokens) > 4:
        return {name}
    return {"-".join(c) for c in product(*choices)}


def _same_name(a: str, b: str) -> bool:
    """`a` and `b` name the same thing, or one is a member or part of the other (`parents` reads
    each as written: a CloudFormation resource keeps its case)."""
    sa, sb = spelled(a), spelled(b)
    if not (distinctive(sa) and distinctive(sb)):
        return False
    if sa == sb or sb in _abbreviated(sa):
        return True
    return any(p == sb or sb in _abbreviated(p) for p in parents(a)) or any(
        p == sa or sa in _abbreviated(p) for p in parents(b)
    )


@lru_cache(maxsize=16384)
def same_thing(a: str, b: str) -> bool:
    """Whether the names `a` and `b` (each a name, host, URL, ARN, Terraform address or resource)
    denote the same thing, or one is a member, instance or part of the other."""
    if not a or not b:
        return False
    xs = (*denoted(a), a.strip(" \t.,:;\"'`()<>{}"))
    ys = (*denoted(b), b.strip(" \t.,:;\"'`()<>{}"))
    return any(_same_name(x, y) for x, y in product(xs, ys))


def helm_releases(text: str) -> list[str]:
    """The names a Helm release gives what it installs (`helm upgrade checkout bitnami/redis` ->
    `checkout`, `checkout-redis`; a chart whose name the release contains gives the release's)."""
    out = []
    for m in _HELM.finditer(text):
        release, chart = m.group("release"), m.group("chart")
        out.append(release)
        if chart not in release:
            out.append(f"{release}-{chart}")
    return out


@lru_cache(maxsize=4096)
def references(text: str) -> tuple[str, ...]:
    """The distinctive names the structured references in `text` denote (hosts, URLs, ARNs,
    Terraform addresses, Helm releases), for matching by `same_thing`."""
    out: list[str] = list(helm_releases(text))
    for token in _TOKEN.findall(text):
        if len(token) < MIN_LEN or not (any(c in token for c in ".:/_[") or token.startswith(_NODE_GROUP)):
            continue
        out.extend(denoted(token))
        if token.startswith(("arn:", "module.")) or "://" in token:
            continue
        # A path or a `ns/Kind/name` resource: each part may be a name.
        out.extend(spelled(p) for p in re.split(r"[/\[\]]", token) if p)
    return tuple(dict.fromkeys(n for n in out if distinctive(n)))


def _pattern(name: str) -> re.Pattern[str]:
    """`name` as a whole word, followed by a member's or part's suffix or none."""
    spelled_ = re.sub(r"\\-|_", "[-_]", re.escape(name))
    uuid = r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    member = rf"(?:[-_](?:{uuid}|{'|'.join(sorted(MEMBER_WORDS))}|{_GENERATED_PART}))*"
    return re.compile(rf"(?<![\w\-]){spelled_}(?:(?-i:{_CFN_PART})|{member})(?![\w\-])", re.IGNORECASE)


_patterns: dict[str, re.Pattern[str]] = {}


def _compiled(name: str) -> re.Pattern[str]:
    pattern = _patterns.get(name)
    if pattern is None:
        pattern = _patterns[name] = _pattern(name)
    return pattern


@lru_cache(maxsize=8192)
def spellings(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The distinctive names `name` goes by (what it denotes, in its abbreviated spellings too), and
    those of the things it is a member of."""
    own: list[str] = []
    whole: list[str] = []
    for n in denoted(name):
        if "." in n:
            continue  # a host is matched by the name it embeds
        own.extend(sorted(_abbreviated(n)))
        for p in parents(n):
            whole.extend(sorted(_abbreviated(p)))
    return tuple(dict.fromkeys(n for n in own if distinctive(n))), tuple(
        dict.fromkeys(n for n in whole if distinctive(n))
    )


# What follows a workload's name in its pods' names: `-5f4e3d2c1-k9j8h` (a Deployment's), `-x7k2p`
# (a DaemonSet's or Job's), `-0` (a StatefulSet's). Generated parts hold a digit: `-worker` is no pod.
POD_SUFFIX = r"(?:-(?=[a-z]*\d)[a-z0-9]{6,10}-[a-z0-9]{5}|-(?=[a-z]*\d)[a-z0-9]{5}|-\d{1,3})?"


@lru_cache(maxsize=4096)
def word(name: str, pod: bool = True) -> re.Pattern[str]:
    """`name` as written, as a whole word, or (`pod`) as the workload of a pod named after it; a
    hyphen and an underscore stand for each other. Whatever the name (a generic one too): it is the
    name."""
    spelled_ = re.sub(r"\\-|_", "[-_]", re.escape(name))
    return re.compile(rf"(?<![\w\-]){spelled_}{POD_SUFFIX if pod else ''}(?![\w\-])", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _whole(name: str) -> re.Pattern[str]:
    """`name` as a whole word, not a file's (`session.js` is no `session`); a host's first label
    (`orders-aurora.cluster-c9xk…`) counts."""
    spelled_ = re.sub(r"\\-|_", "[-_]", re.escape(name))
    return re.compile(rf"(?<![\w\-]){spelled_}(?![\w\-]|\.(?!svc\b)[a-z]{{1,4}}(?![\w.\-]))", re.IGNORECASE)


def mentions(text: str, name: str) -> bool:
    """Whether `text` names the thing `name` is, or a member or part of it, however written: as the
    name itself, in another spelling, or a host, URL, ARN, Terraform address or Helm release of it."""
    if not text or not name:
        return False
    if word(name).search(text):
        return True
    own, whole = spellings(name)
    # The thing or a member of it (`orders-aurora-instance-2` names `orders-aurora`); the thing `name`
    # is a member of, by its name only (`orders-aurora` names `orders-aurora-instance-1`'s cluster,
    # `orders-aurora-instance-2` is another instance).
    if any(_compiled(n).search(text) for n in own) or any(_whole(n).search(text) for n in whole):
        return True
    return any(same_thing(r, name) for r in references(text)) if own or whole else False


def same_as_any(name: str, names: Iterable[str]) -> bool:
    """Whether `name` is the same thing as, or a member or part of, one of `names`."""
    return any(same_thing(name, n) for n in names if n)
