"""The chain from the symptom to the change that set it off, as connections between the things the
findings are about. Pure and deterministic.

- **What the alert is about** (`Path.target`): the workload, service, pod or function it names.
- **What it depends on** (`Path.dependencies`): what the cause's own evidence shows it calling: a
  Kubernetes Service by its DNS name (`redis-main.cache.svc.cluster.local`, namespace included), a
  host (`api.partnerpay.example.com`), a cloud service by the IAM action denied (`kms:Decrypt`), a
  bucket.
- **Which changes are on the path**: a change to the target, or to one of its dependencies, can be
  the trigger; a deploy or config change that is about some other workload cannot, however close
  in time (it is "ruled out"). A change that names nothing can't be judged and keeps its rating.
- **The dependency's own cause** is followed hop by hop in `hops`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agents.common.scope import plausible_name
from agents.master.names import POD_SUFFIX, mentions, same_as_any, same_thing, word
from shared.causes import IMPLIED_DEPENDENCIES, PLATFORM_COMPONENTS
from shared.contracts import AlertContext, Finding, Trigger
from shared.relevance import Relevance

# `redis-main.cache.svc.cluster.local`, `orders-pg.data.svc`: a Service and its namespace.
_K8S_HOST = re.compile(
    r"\b(?P<name>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)\.(?P<ns>[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)\.svc(?![\w\-])"
)
_HOSTS = (
    re.compile(
        r"\b(?:https?|wss?|grpcs?|redis|postgres(?:ql)?|mysql|amqps?|mongodb)://(?:[^@/\s]+@)?(?P<host>[A-Za-z0-9.\-]+)"
    ),
    re.compile(r"\bdial tcp (?:\[?[\w:.\-]*\]?\s)?(?P<host>[A-Za-z][A-Za-z0-9.\-]*):\d+"),
    re.compile(r"\bhost \"?(?P<host>[A-Za-z][A-Za-z0-9.\-]*)\"?"),
    re.compile(r"\blookup (?P<host>[A-Za-z][A-Za-z0-9.\-]*)"),
    re.compile(r"\b(?:connect(?:ing)?|connection) to (?P<host>[A-Za-z][A-Za-z0-9.\-]*\.[A-Za-z0-9.\-]+)"),
    # libpq / psycopg: `connection to server at "orders-db.x.rds.amazonaws.com" (10.0.1.2), port 5432`
    re.compile(r"\bserver at \\?\"(?P<host>[A-Za-z][A-Za-z0-9.\-]*\.[A-Za-z0-9.\-]+)\\?\""),
    # A managed data store's endpoint with its port, wherever a log writes it (a JSON field:
    # `"redis":"sessions-cache.x7k2pq.ng.0001.euc1.cache.amazonaws.com:6379"`).
    re.compile(
        r"(?<![\w.\-])(?P<host>[A-Za-z][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*"
        r"\.(?:cache|rds|docdb|es|aoss|mq|kafka|neptune)\.amazonaws\.com):\d{2,5}\b"
    ),
)
# Where a client quotes the host it calls, a bare name is a host too: a Kubernetes Service in the
# client's own namespace (`connection to server at "postgres"`, `on server orders-db:27017`).
_QUOTED_HOSTS = (
    re.compile(r"\bserver at \\?\"(?P<host>[a-z][a-z0-9\-]{2,62})\\?\""),
    re.compile(r"\bon server (?P<host>[a-z][a-z0-9\-]{2,62}):\d{2,5}\b"),
)
# `kms:Decrypt`, `s3:PutObject`, `arn:aws:kms:...`: the cloud service an action or resource is of.
_IAM_ACTION = re.compile(r"(?<![\w:/])(?P<service>[a-z][a-z0-9\-]{1,24}):[A-Z][A-Za-z]{2,}\b")
_ARN = re.compile(r"\barn:aws[\w\-]*:(?P<service>[a-z0-9\-]+):[\w\-]*:\d*:(?P<resource>[^\s\"',)]+)")
_BUCKET = re.compile(r"\b(?:s3://|arn:aws:s3:::)(?P<bucket>[a-z0-9][a-z0-9.\-]{2,62})")
_IP = re.compile(r"^\d+(?:\.\d+){3}$")
# Words too common to identify anything by themselves.
_VAGUE = frozenset(
    {"api", "www", "app", "web", "svc", "service", "default", "localhost", "cluster", "local", "aws"}
)
# Findings whose resources are only log groups or namespaces have no subject of their own.
_NO_SUBJECT = re.compile(r"^/|^Namespace/")


@dataclass(frozen=True)
class Dependency:
    """Something the target calls, as its evidence names it."""

    name: str  # `redis-main`, `api.partnerpay.example.com`, `kms`
    names: tuple[str, ...]  # every name that identifies it in other findings
    namespace: str | None = None  # a Kubernetes Service's namespace
    # The distinctive words of an external host (`carrier-acme` in `api.carrier-acme.example.com`):
    # a thing a change names after one of them (`the carrier-api key`) belongs to that dependency.
    words: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Path:
    target: tuple[str, ...]  # names of what the alert is about
    dependencies: tuple[Dependency, ...]
    namespace: str | None = None  # the target's namespace, when the alert names one

    def describe_target(self) -> str:
        return self.target[0] if self.target else "the alert's target"


def target_names(ctx: AlertContext) -> tuple[str, ...]:
    """What the alert is about: its workload, service, pod, function, volume claim or node."""
    h = ctx.hints
    # A capitalised word read from the alert's prose ("503 Service Temporarily Unavailable") is no
    # Kubernetes name.
    names = [plausible_name(h.workload), plausible_name(h.service), h.pod]
    for key in (
        "deployment",
        "statefulset",
        "daemonset",
        "job_name",
        "function_name",
        "persistentvolumeclaim",
        "ingress",  # an ingress is named after the service behind it
    ):
        names.append(ctx.labels.get(key))
    if h.node and not (h.workload or h.service or h.pod):
        names.append(h.node)
    return tuple(dict.fromkeys(n for n in names if n and len(n) >= 3))


def finding_text(finding: Finding) -> str:
    """All a finding says: its title, its detail and its evidence's excerpts."""
    return " ".join([finding.title, finding.detail, *(e.excerpt for e in finding.evidence)])


def names_any(text: str, names: Iterable[str]) -> bool:
    """Whether `text` names one of `names`, however written (`names.mentions`): the Aurora cluster
    an instance's host belongs to, a Terraform address, an ARN, a Helm release."""
    return any(mentions(text, n) for n in names if n)


def _is(subject: str, names: Iterable[str]) -> bool:
    """Whether a finding's subject is one of `names`, a member of it (its pod) or the thing it is
    a member of (`names.same_thing`)."""
    return any(word(n).fullmatch(subject) or same_thing(subject, n) for n in names if n)


def _subjects(finding: Finding) -> list[str]:
    """What a finding is about, by its resources: `shop/Deployment/search-api` -> `search-api`."""
    return [r.rsplit("/", 1)[-1].split()[-1] for r in finding.resources if r and not _NO_SUBJECT.search(r)]


def subjects(finding: Finding) -> list[str]:
    """The workloads a finding is about by its resources (`web/Deployment/account-web`), not the
    pods or log streams it came from: names a change to that workload would use."""
    return [
        s for r in finding.resources if len(parts := r.split("/")) == 3 and (s := parts[2]) and len(s) >= 4
    ]


def about(finding: Finding, names: Iterable[str]) -> bool:
    """Whether `finding` is about one of `names` by its resources (its pod, workload or stream),
    not merely naming it: a log line of a client that calls redis-main is not about redis-main."""
    return any(_is(s, names) for s in _subjects(finding))


def touches(finding: Finding, names: Iterable[str]) -> bool:
    """Whether `finding` is about one of `names`, by its resources or in its words."""
    wanted = [n for n in names if n]
    if not wanted:
        return False
    if any(_is(s, wanted) for s in _subjects(finding)):
        return True
    return names_any(" ".join([finding_text(finding), *finding.resources]), wanted)


def dependencies_in(findings: Iterable[Finding], target: Sequence[str]) -> tuple[Dependency, ...]:
    """What the given findings (the cause's own evidence) show the target calling."""
    own = {t.lower() for t in target}
    found: dict[str, Dependency] = {}

    def add(dep: Dependency) -> None:
        if (
            dep.name.lower() not in own
            and not same_as_any(dep.name, own)
            and dep.name.lower() not in _VAGUE
            and dep.name not in found
        ):
            found[dep.name] = dep

    for finding in findings:
        text = finding_text(finding)
        # What the failure depends on without naming it comes first: a lookup that timed out
        # failed at the resolver, whatever host it looked up.
        for implied in IMPLIED_DEPENDENCIES:
            if implied.pattern.search(text):
                add(Dependency(implied.name, implied.names, implied.namespace))
        # A platform component its words name (the mesh's identity, an ingress controller's webhook),
        # in the usual namespace the finding is in, else the most common one.
        for component in PLATFORM_COMPONENTS:
            if component.pattern.search(text):
                where = namespaces(finding)
                ns = next((n for n in component.namespaces if n in where), component.namespace)
                add(Dependency(component.name, component.names, ns))
        for m in _K8S_HOST.finditer(text):
            name, ns = m.group("name"), m.group("ns")
            host = text[m.start() :].split()[0].rstrip(".,:;\"')")
            add(Dependency(name, tuple(dict.fromkeys((name, host.split(":")[0]))), ns))
        for pattern in _HOSTS:
            for m in pattern.finditer(text):
                host = m.group("host").rstrip(".").lower()
                # A bare word is a host only when it reads like a name (`redis-main`), not a verb.
                if _IP.match(host) or _K8S_HOST.search(host) or ("." not in host and "-" not in host):
                    continue
                first = host.split(".")[0]
                names = (
                    (host, first) if ("-" in first or len(first) >= 6) and first not in _VAGUE else (host,)
                )
                labels = host.split(".")
                add(Dependency(host, tuple(dict.fromkeys(names)), words=_distinctive(labels[:-2] or labels)))
        home = namespaces(finding)
        for pattern in _QUOTED_HOSTS:
            for m in pattern.finditer(text):
                host = m.group("host")
                add(Dependency(host, (host,), next(iter(home)) if len(home) == 1 else None))
        for m in _IAM_ACTION.finditer(text):
            add(Dependency(m.group("service"), (m.group("service"),)))
        for m in _ARN.finditer(text):
            add(Dependency(m.group("service"), (m.group("service"),)))
        for m in _BUCKET.finditer(text):
            add(Dependency(m.group("bucket"), (m.group("bucket"),)))
    return tuple(found.values())


# Lookups that fail or time out: whatever the name looked up, the cluster's DNS is on the path.
def connect(ctx: AlertContext, findings: Sequence[Finding], cited: Iterable[str]) -> Path:
    """The path: what the alert is about (when it names nothing, what the cause's own evidence is
    about: the workloads whose pods it comes from) and what the evidence shows that calling."""
    ids = set(cited)
    own = [f for f in findings if f.id in ids]
    target = target_names(ctx) or tuple(dict.fromkeys(w for f in own for w in workloads(f)))
    return Path(target, dependencies_in(own, target), ctx.hints.namespace)


def workloads(finding: Finding) -> list[str]:
    """The workloads a finding's pods or streams belong to: `shop/checkout-7c6d9f5b8d-q2v8n` ->
    `checkout`. Only named Kubernetes things count, not log groups or nodes."""
    out = []
    for r in finding.resources:
        if _NO_SUBJECT.search(r) or r.startswith("Node/"):
            continue
        name = r.rsplit("/", 1)[-1]
        m = re.fullmatch(rf"(?P<workload>[a-z0-9][a-z0-9\-]*?){POD_SUFFIX}", name)
        if m and len(m.group("workload")) >= 3:
            out.append(m.group("workload"))
    return out


def _distinctive(labels: Iterable[str]) -> frozenset[str]:
    words = {w for label in labels for w in re.split(r"[-_.]", label)}
    return frozenset(w for w in words if len(w) >= 5 and w not in _VAGUE and not w.isdigit())


def on_dependency(change: Finding, path: Path) -> Dependency | None:
    """The dependency a change touches: by name, or (for a change that is not a rollout, such as a
    network policy or a quota) by the namespace a Kubernetes dependency lives in."""
    for dep in path.dependencies:
        if touches(change, dep.names):
            return dep
        if dep.words and any(_words_shared(s, dep, path, change) for s in _subjects(change)):
            return dep
        if dep.namespace and change.change is not Trigger.DEPLOY and _names_namespace(change, dep.namespace):
            return dep
    return None


def _words_shared(subject: str, dep: Dependency, path: Path, change: Finding) -> bool:
    """Whether a change's subject is named after the dependency (`the carrier-api key` of
    `api.carrier-acme.example.com`). A rollout is of a workload of its own: sharing a word with the
    dependency (`orders-api-v2` with `orders-aurora`) makes it another client of it, on the path only
    when the target shares that word too (`flags-admin` with `flags-edge` and `flags-prod-pg`: one
    application's parts and its store)."""
    shared = _distinctive([subject.lower()]) & dep.words
    if change.change is Trigger.DEPLOY:
        shared &= _distinctive([t.lower() for t in path.target])
    return bool(shared)


def namespaces(finding: Finding) -> set[str]:
    """The Kubernetes namespaces a finding's resources are in (`data/Pod/orders-postgres-0`,
    `data/orders-postgres-0`): not log groups, nodes or cloud resources."""
    out = set()
    for r in finding.resources:
        parts = r.split("/")
        if len(parts) >= 2 and parts[0] and not _NO_SUBJECT.search(r) and not r.startswith(("Node/", "arn:")):
            out.add(parts[0])
    return out


def _names_namespace(change: Finding, namespace: str) -> bool:
    if f"Namespace/{namespace}" in change.resources:
        return True
    said = (f"{namespace} namespace", f"-n {namespace}", f"namespace {namespace}")
    return names_any(finding_text(change), said)


def on_path(change: Finding, path: Path) -> bool:
    """Whether a change can have set the alert off through a connection. Deploys and config changes
    that are about another workload (they have a subject of their own, and it is neither the target
    nor something it depends on) cannot; every other change keeps its rating."""
    if change.change not in (Trigger.DEPLOY, Trigger.CONFIG_CHANGE) or not path.target:
        return True
    if touches(change, path.target) or on_dependency(change, path) is not None:
        return True
    return not _subjects(change)


def linked(findings: Sequence[Finding], path: Path) -> list[Finding]:
    """`findings`, with each weakly rated change that touches a dependency counted as relevant
    (`Relevance.NEAR`): the alert named the workload that failed, the change named what it calls."""
    out = []
    for f in findings:
        if f.change not in (None, Trigger.NONE) and f.relevance < Relevance.NEAR and on_dependency(f, path):
            f = f.model_copy(update={"relevance": Relevance.NEAR})
        out.append(f)
    return out
