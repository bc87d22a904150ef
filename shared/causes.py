"""The cause vocabulary, defined once.

For each cause category: the words a report uses for it, the kinds of change that commonly
produce it (a change can be the trigger of a cause only if it fits), how generic it is, and the
next steps it suggests. For each kind of change: its words and the steps that check or undo it.
Ranking, synthesis, every renderer and the next steps read these tables; nothing else names a
category in words or repeats which change fits which cause.

Steps are suggested, never executed: `safe` steps only read; `needs-approval` steps change the
system; `forbidden` steps are listed where people are tempted to take them and should not.
`{ns}`, `{workload}`, `{pod}`, `{container}`, `{node}` and `{change}` are filled in by
`shared.next_steps`; `{changed_ns}` and `{changed}` name the Deployment the change rolled out (the
alert's own when the change names none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from shared.contracts import CauseCategory, RiskClass, Trigger

C, T = CauseCategory, Trigger
SAFE, APPROVE, FORBID = RiskClass.SAFE, RiskClass.NEEDS_APPROVAL, RiskClass.FORBIDDEN


@dataclass(frozen=True)
class Step:
    text: str
    risk: RiskClass = SAFE
    command: str | None = None


@dataclass(frozen=True)
class RemoteSign:
    """Log lines that show the target failing because of something it calls: the named host is a
    dependency, and its failure (not a change to the target) set the cause off."""

    pattern: re.Pattern[str]
    sentence: str  # `{host}` is the remote host named in the same line


@dataclass(frozen=True)
class Specific:
    """How the cause's own evidence names the specific thing that broke (which probe on which port
    and path, which action on which resource was denied, which volume or provisioner). `parts` are
    sentence pieces over the pattern's named groups; a piece is said only when all its groups matched."""

    pattern: re.Pattern[str]
    parts: tuple[str, ...]


@dataclass(frozen=True)
class SharedLimit:
    """A limit the target shares with other clients of the same server (a database's connection
    slots): when the cause's own evidence shows that limit reached (`evidence`), a change to another
    client that takes more of it (`change`: its pool size raised) is on the path, whoever it is to."""

    evidence: re.Pattern[str]
    change: re.Pattern[str]


@dataclass(frozen=True)
class Restatement:
    """The cause better stated as `becomes`, given the change that set it off. Either by the change's
    words and the cause's evidence together (`change` and `evidence`): authentication failing after a
    credential was rotated is the workload still holding the old credential (a stale Secret), not a
    denial. Or by the change's kind alone (`kind`), when no change of a kind the cause fits is on the
    path but one of `kind` is and began no later than the cause: a code error right after the
    workload's configuration changed, with no release, is the configuration's fault."""

    becomes: CauseCategory
    change: re.Pattern[str] | None = None
    evidence: re.Pattern[str] | None = None
    kind: Trigger | None = None
    sentence: str = ""  # what the report says of it


@dataclass(frozen=True)
class CauseKind:
    label: str  # how the report names the category ("Memory exhausted")
    triggers: frozenset[Trigger]  # kinds of change that commonly produce it
    steps: tuple[Step, ...]
    # A generic cause (a regression from a release, "a dependency is failing") explains less than
    # a specific one: its score is multiplied by this, so it wins only when nothing specific competes.
    specificity: float = 1.0
    # `no_issue` and `unknown` are verdicts about the evidence, not causes: nothing supports them.
    is_cause: bool = True
    remote: RemoteSign | None = None
    # Causes this one is commonly the louder consequence of (retries and throttling after a TLS or
    # auth failure): when one of them began first, it is the cause.
    follows: frozenset[CauseCategory] = frozenset()
    # The target fails because something it calls does: the dependency's own cause is looked for.
    through_dependency: bool = False
    # A dependency on the path failing for this reason is stated as this cause, not as "a dependency
    # is failing": what failed is the platform under it (a volume, a node, the network, a
    # certificate, a permission). A dependency's own process failing (OOMKilled, crashing, scaled
    # to zero) stays a dependency failure, with that cause stated as the dependency's own.
    platform: bool = False
    # Words in a change that point at this cause (a NetworkPolicy applied: a network failure). A
    # generic cause whose trigger says one of these is stated as this more specific one.
    change_signs: re.Pattern[str] | None = None
    # The kind of change this cause most directly comes from. When another kind of change is the
    # closest candidate but one of this kind began first, shortly before it (a ConfigMap edited, then
    # the workload restarted to pick it up), this one is the trigger: the later change only applied it.
    primary: Trigger | None = None
    # What names the specific culprit in the cause's own evidence (group `name`): the setting a
    # workload says is missing. When the triggering change names a near miss of it, the report says so.
    culprit: re.Pattern[str] | None = None
    # The specific things the report names from the cause's evidence, first match first.
    specifics: tuple[Specific, ...] = ()
    # What the cause is, stated better, given the change that set it off (first match).
    restated: tuple[Restatement, ...] = ()
    # How long a change that says `change_signs` can lie dormant before the failure it causes shows:
    # a trust or key policy tightened bites only when something next assumes the role or uses the
    # key (a new Ingress reconciled, a pod restarted), which may be hours later. Such a change can
    # be the trigger from this far before the alert's window.
    dormant: timedelta = timedelta(0)
    # The kind of change this cause usually comes from, said as inferred when no change is found on
    # its path (the trigger is then this kind, and the report says none was seen): a volume that
    # cannot attach is the infrastructure's doing, a missing key a configuration change's.
    origin: Trigger | None = None
    # How another source reports this same failure on the same node or pod (a full node disk is the
    # kubelet's DiskPressure): such a finding on an object the cause's evidence names is cited with it.
    seen_as: frozenset[CauseCategory] = frozenset()
    # A limit the target shares with the server's other clients (see `SharedLimit`).
    shared_limit: SharedLimit | None = None


@dataclass(frozen=True)
class ChangeKind:
    words: str  # "a deploy", as in "Memory exhausted after a deploy"
    steps: tuple[Step, ...]


def _kinds(*triggers: Trigger) -> frozenset[Trigger]:
    return frozenset(triggers)


_SCALE_OUT = Step(
    "Scale {workload} out", APPROVE, "kubectl -n {ns} scale deployment/{workload} --replicas=<n>"
)

CAUSES: dict[CauseCategory, CauseKind] = {
    C.OOM: CauseKind(
        "Memory exhausted",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.TRAFFIC),
        (
            Step(
                "Read the crashed container's last log lines",
                SAFE,
                "kubectl -n {ns} logs {pod} -c {container} --previous",
            ),
            Step(
                "Compare memory use with the container's limit",
                SAFE,
                "kubectl -n {ns} top pod {pod} --containers",
            ),
            Step("Raise the memory limit of {workload}, or fix what grows the heap, and roll out", APPROVE),
        ),
        primary=T.CONFIG_CHANGE,  # limits lowered by hand, then the rollout that applied them
    ),
    C.CPU_SATURATION: CauseKind(
        "CPU saturated",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.TRAFFIC),
        (
            Step("Check CPU use and throttling per container", SAFE, "kubectl -n {ns} top pod --containers"),
            _SCALE_OUT,
            Step("Raise the CPU limit (or remove it) for {workload}", APPROVE),
        ),
        # A rollout or a hand edit that changed the CPU limit or request: timeouts after it are
        # CPU starvation (CFS throttling), not a dependency failing.
        primary=T.CONFIG_CHANGE,  # limits set by hand (`kubectl set resources`), then the rollout it made
        # Pods run hot because no replica is added: an autoscaler at its ceiling or unable to scale
        # (its target renamed, its metrics missing) since before the CPU climbed.
        follows=frozenset({C.SCALING_LIMIT}),
        change_signs=re.compile(
            r"\b(?:limits|requests)\.cpu\b|\bcpu[ _-]?(?:limit|request)s?\b", re.IGNORECASE
        ),
        origin=T.CONFIG_CHANGE,
    ),
    C.DISK_FULL: CauseKind(
        "Disk full",
        _kinds(T.DEPLOY, T.INFRASTRUCTURE),
        (
            Step("See which volume or node disk is full", SAFE, "kubectl describe node {node}"),
            Step("Expand the volume (PVC resize) or add node storage", APPROVE),
            Step("Deleting data or log files on the volume without a backup", FORBID),
        ),
        platform=True,
        seen_as=frozenset({C.NODE_FAILURE}),
    ),
    C.BAD_CONFIG: CauseKind(
        "Bad configuration",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE),
        (
            Step(
                "Compare the workload's env, ConfigMaps and Secret references with the last good revision",
                SAFE,
                "kubectl -n {ns} get deployment {workload} -o yaml",
            ),
            Step("Revert the configuration to the last good version", APPROVE),
            Step("Pasting Secret values into chat or tickets while debugging", FORBID),
        ),
        primary=T.CONFIG_CHANGE,
        culprit=re.compile(
            r"missing (?:required )?"
            r"(?:setting|option|parameter|variable|env(?:ironment)? var(?:iable)?|key|property)s? "
            r"[\"'`]?(?P<name>[A-Za-z][A-Za-z0-9_.\-]{2,})"
            r"|(?P<name2>\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b) (?:is )?(?:not set|undefined|unset|missing|required)"
            r"|couldn't find key (?P<name3>[A-Za-z0-9_.\-]+)|KeyError: '(?P<name4>[^']+)'",
            re.IGNORECASE,
        ),
        origin=T.CONFIG_CHANGE,
    ),
    C.IMAGE_PULL: CauseKind(
        "Image cannot be pulled",
        _kinds(T.DEPLOY),
        (
            Step("Read the pull error in the pod's events", SAFE, "kubectl -n {ns} describe pod {pod}"),
            Step("Check the image tag exists and the node role may pull it", SAFE),
            Step(
                "Roll back to the previous image",
                APPROVE,
                "kubectl -n {changed_ns} rollout undo deployment/{changed}",
            ),
        ),
        origin=T.DEPLOY,
    ),
    C.BAD_DEPLOY: CauseKind(
        "Regression from a release",
        _kinds(T.DEPLOY),
        (
            Step(
                "See what changed between the last two revisions",
                SAFE,
                "kubectl -n {changed_ns} rollout history deployment/{changed}",
            ),
            Step(
                "Roll back {changed} to the previous revision",
                APPROVE,
                "kubectl -n {changed_ns} rollout undo deployment/{changed}",
            ),
        ),
        specificity=0.8,
        restated=(Restatement(C.BAD_CONFIG, kind=T.CONFIG_CHANGE),),
        origin=T.DEPLOY,
    ),
    C.PROBE_FAILURE: CauseKind(
        "Health probes failing",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE),
        (
            Step("Read the probe failures in the pod's events", SAFE, "kubectl -n {ns} describe pod {pod}"),
            Step("Adjust the probe (path, port, thresholds) or fix the endpoint it calls", APPROVE),
        ),
        # A sidecar proxy that cannot get its certificate is never ready: the certificate is the cause.
        follows=frozenset(
            {C.OOM, C.DEPENDENCY_FAILURE, C.BAD_CONFIG, C.RESOURCE_POOL_EXHAUSTION, C.CERTIFICATE_EXPIRED}
        ),
        primary=T.CONFIG_CHANGE,  # a probe's port or path edited by hand, then the rollout it made
        specifics=(
            Specific(
                re.compile(
                    r"(?P<probe>liveness|readiness|startup) probe failed: (?:get|head|post)?\s*\"?https?://"
                    r"[^/:\"\s]+:(?P<port>\d+)(?P<path>/[^\"\s]*)\"?(?:[^\"\n]{0,80}?(?P<why>"
                    r"connection refused|i/o timeout|context deadline exceeded|no route to host|EOF))?",
                    re.IGNORECASE,
                ),
                ("the {probe} probe (HTTP port {port}, path {path}) fails", ": {why}"),
            ),
            Specific(
                re.compile(
                    r"(?P<probe>liveness|readiness|startup) probe failed: HTTP probe failed with statuscode: "
                    r"(?P<status>\d{3})",
                    re.IGNORECASE,
                ),
                ("the {probe} probe gets HTTP {status}",),
            ),
            Specific(
                re.compile(
                    r"(?P<probe>liveness|readiness|startup) probe failed: dial tcp [\w.\-\[\]:]*?"
                    r":(?P<port>\d+)(?::\s*(?:connect: )?(?P<why>[\w ]{4,40}))?",
                    re.IGNORECASE,
                ),
                ("the {probe} probe (TCP port {port}) fails", ": {why}"),
            ),
            Specific(
                re.compile(r"(?P<probe>liveness|readiness|startup) probe (?:failed|errored)", re.IGNORECASE),
                ("the {probe} probe fails",),
            ),
            # The load balancer's own health check (a readiness gate, a target group's target health).
            Specific(
                re.compile(
                    r"Health checks failed with these codes: \[(?P<codes>[\d, ]+)\]"
                    r"(?:[^\n]{0,200}?health check path (?P<path>/[^\s,;()]*))?",
                    re.IGNORECASE,
                ),
                ("the load balancer's health check gets HTTP {codes}", " on path {path}"),
            ),
        ),
    ),
    C.UNSCHEDULABLE: CauseKind(
        "Pods cannot be scheduled",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.INFRASTRUCTURE),
        (
            Step("Read the FailedScheduling reason", SAFE, "kubectl -n {ns} describe pod {pod}"),
            Step(
                "Check node capacity and the namespace quota", SAFE, "kubectl -n {ns} describe resourcequota"
            ),
            Step("Add capacity (node group) or relax selectors, affinity or requests", APPROVE),
        ),
        # Pods evicted from a node taken away (a Spot interruption, a failed node) wait for capacity
        # that is not there yet: the node's loss, first, is the cause.
        follows=frozenset({C.NODE_FAILURE}),
        # A selector, affinity, toleration or request set by hand (`helm upgrade --set nodeSelector...`,
        # `kubectl patch`), then the rollout that applied it: the hand change is the trigger.
        primary=T.CONFIG_CHANGE,
    ),
    C.NODE_FAILURE: CauseKind(
        "Node failure",
        _kinds(T.INFRASTRUCTURE),
        (
            Step("Read the node's conditions and events", SAFE, "kubectl describe node {node}"),
            Step("Cordon and drain the node", APPROVE, "kubectl drain {node} --ignore-daemonsets"),
            Step("Force-deleting pods that hold volumes (--force --grace-period=0)", FORBID),
        ),
        platform=True,
        origin=T.INFRASTRUCTURE,
    ),
    C.SCALING_LIMIT: CauseKind(
        "Autoscaling at its limit",
        _kinds(T.CONFIG_CHANGE, T.TRAFFIC),
        (
            Step(
                "Check the autoscaler's current, desired and maximum replicas",
                SAFE,
                "kubectl -n {ns} describe hpa {workload}",
            ),
            Step("Raise the autoscaler's maximum (within cluster capacity)", APPROVE),
        ),
        # Workers that fail every item do no work: the backlog grows and the autoscaler runs to its
        # ceiling; a release whose pods error adds load (retries, reconnects) and replicas. What made
        # them fail, when it began first, is the cause.
        follows=frozenset(
            {
                C.BAD_CONFIG,
                C.DEPENDENCY_FAILURE,
                C.RESOURCE_POOL_EXHAUSTION,
                C.PERMISSION_DENIED,
                C.BAD_DEPLOY,
            }
        ),
    ),
    C.DEPENDENCY_FAILURE: CauseKind(
        "A dependency is failing",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.TRAFFIC, T.DEPENDENCY),
        (
            Step("Check the dependency's health and its own alerts", SAFE),
            Step("Check the service endpoints the workload calls", SAFE, "kubectl -n {ns} get endpoints"),
            Step("Fail over to a replica or degrade gracefully (feature flag, circuit breaker)", APPROVE),
        ),
        specificity=0.9,
        # Calls that time out or fail after the network, a certificate or a permission failed, or
        # after a surge that began first (the dependency is slow because there is more to do).
        follows=frozenset({C.NETWORK_FAILURE, C.CERTIFICATE_EXPIRED, C.PERMISSION_DENIED, C.TRAFFIC_SPIKE}),
        through_dependency=True,
        origin=T.DEPENDENCY,
    ),
    C.RESOURCE_POOL_EXHAUSTION: CauseKind(
        "Connection or thread pool exhausted",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.TRAFFIC, T.DEPENDENCY),
        (
            Step("Check the pool's active, idle and pending connections and the server's limit", SAFE),
            Step("Raise the pool size within the database's connection limit", APPROVE),
            Step(
                "Restart {workload} to release leaked connections",
                APPROVE,
                "kubectl -n {ns} rollout restart deployment/{workload}",
            ),
        ),
        # The server's own connection limit reached (not the client's pool): another client whose
        # pool was raised, or that was scaled out (each replica opens its own pool), takes the slots
        # (PostgreSQL's reserved slots, MySQL's too many connections).
        shared_limit=SharedLimit(
            re.compile(
                r"remaining connection slots are reserved|too many (?:connections|clients)"
                r"|max_connections|ER_CON_COUNT_ERROR|connection limit exceeded",
                re.IGNORECASE,
            ),
            re.compile(
                r"max(?:imum)?[\W_]?pool[\W_]?size|pool[\W_]?size|min(?:imum)?[\W_]?idle|max[\W_]?connections"
                r"|max[\W_]?overflow|pool (?:to|size to) \d+|connection[\W_]?limit"
                r"|--replicas[= ]?(?:[2-9]|\d{2,})\b|\bscaled? (?:\S+ ){0,3}(?:up|out)\b",
                re.IGNORECASE,
            ),
        ),
    ),
    C.RATE_LIMITED: CauseKind(
        "Rate limited",
        _kinds(T.CONFIG_CHANGE, T.TRAFFIC, T.DEPENDENCY),
        (
            Step("Check throttling metrics and the service quota", SAFE),
            Step("Request a quota increase or reduce concurrency with backoff", APPROVE),
        ),
        follows=frozenset(
            {
                C.CERTIFICATE_EXPIRED,
                C.PERMISSION_DENIED,
                C.BAD_CONFIG,
                # every replica crashing and restarting at once: the herd of startup calls is throttled
                C.BAD_DEPLOY,
                C.DEPENDENCY_FAILURE,
                C.NETWORK_FAILURE,
            }
        ),
        origin=T.TRAFFIC,
    ),
    C.PERMISSION_DENIED: CauseKind(
        "Permission denied",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.INFRASTRUCTURE),
        (
            Step(
                "Find the denied action and principal (CloudTrail, RBAC)",
                SAFE,
                "kubectl auth can-i --list -n {ns}",
            ),
            Step("Grant the one missing permission", APPROVE),
            Step("Granting wildcard or cluster-admin permissions to get past the error", FORBID),
        ),
        primary=T.CONFIG_CHANGE,
        platform=True,
        restated=(
            # A secret rotated in its store (Secrets Manager, Vault: the store holds the new value),
            # then logins to a database, cache or broker with the old one fail: the workload's copy
            # of the secret is stale. A key revoked at a provider (401s from its API) and
            # authorization denials ("not authorized to perform") stay permission_denied.
            Restatement(
                C.BAD_CONFIG,
                change=re.compile(
                    r"rotate-secret|put-secret-value|update-secret\b|\bAWSCURRENT\b"
                    r"|\brotat(?:e|ed|es|ing|ion)\b[^.;\n]{0,40}?(?:\bsecrets?\b|\bpasswords?\b|\bdb\b|"
                    r"\bdatabase\b|\bcredentials?\b|(?<![\w\-])[\w.\-]+/[\w.\-/]+)"
                    r"|\b(?:secret|password|credentials?)\b[^.;\n]{0,30}?\brotat(?:ed|ion)\b",
                    re.IGNORECASE,
                ),
                evidence=re.compile(
                    r"password authentication failed|authentication failed for user|Access denied for user"
                    r"|Login failed for user|invalid (?:username(?:/| or | and )password|password)"
                    r"|WRONGPASS|SASL authentication failed",
                    re.IGNORECASE,
                ),
                sentence="The credential was rotated and the workload still presents the old one: "
                "its copy (a Secret, an environment variable) is stale.",
            ),
        ),
        change_signs=re.compile(
            r"\b(?:iam|kms|key|bucket|trust|resource|s3)[ -]polic|\brbac\b|role[ -]?binding|permissions?\b"
            r"|\biam\b|service ?account|\birsa\b|\bpod identity\b",
            re.IGNORECASE,
        ),
        dormant=timedelta(hours=6),
        specifics=(
            Specific(
                re.compile(
                    r"User: (?:arn:aws[\w\-]*:(?:sts|iam)::\d*:(?:assumed-role|role|user)|<\*>)/"
                    r"(?P<principal>[\w+=,.@\-]+)(?:/[^\s\"]*)? is not authorized to perform: "
                    r"(?P<action>[\w\-]+:[\w*]+)(?: on resource: (?P<resource>arn:[^\s\"',]+))?",
                ),
                ("{action} is denied to {principal}", " on {resource}"),
            ),
            Specific(
                re.compile(
                    r"User \"(?P<principal>[^\"]+)\" cannot (?P<verb>\w+) resource \"(?P<resource>[^\"]+)\""
                    r"(?: in API group \"[^\"]*\")?(?: in the namespace \"(?P<ns>[^\"]+)\")?",
                ),
                ("{principal} may not {verb} {resource}", " in namespace {ns}"),
            ),
        ),
        origin=T.CONFIG_CHANGE,
    ),
    C.NETWORK_FAILURE: CauseKind(
        "Network failure",
        _kinds(T.DEPLOY, T.CONFIG_CHANGE, T.DEPENDENCY, T.INFRASTRUCTURE),
        (
            Step(
                "Check the service has endpoints and no NetworkPolicy blocks it",
                SAFE,
                "kubectl -n {ns} get endpoints,networkpolicy",
            ),
            Step("Check cluster DNS", SAFE, "kubectl -n kube-system get pods -l k8s-app=kube-dns"),
            Step("Revert the network policy or DNS change", APPROVE),
        ),
        through_dependency=True,
        platform=True,
        # A Service without ready endpoints because its pods fail their readiness probe.
        follows=frozenset({C.PROBE_FAILURE}),
        specifics=(
            # CoreDNS stopped itself: its upstream resolver sends the query back to it.
            Specific(
                re.compile(
                    r"plugin/loop: (?:Forwarding )?[Ll]oop \((?P<src>[\w.:\[\]]+) -> (?P<dst>[\w.:\[\]]*)\)"
                    r" detected(?: for zone \\?\"(?P<zone>[^\"\\]+))?"
                ),
                (
                    "CoreDNS's loop plugin (plugin/loop) detected a forwarding loop ({src} -> {dst})",
                    " for zone {zone}",
                    ": the upstream resolver it forwards to sends queries back to it, and it exits",
                ),
            ),
            # The VPC CNI has no IP address to give a new pod: the subnet has no free addresses, or
            # the node's network interfaces hold as many as they can.
            Specific(
                re.compile(
                    r"failed to assign an IP address to container|InsufficientFreeAddressesInSubnet"
                    r"|no available IP/Prefix addresses|InsufficientCidrBlocks",
                    re.IGNORECASE,
                ),
                (
                    "the VPC CNI cannot assign pod IP addresses: the subnet has no free addresses left, or "
                    "the node's network interfaces hold all they can",
                ),
            ),
        ),
        change_signs=re.compile(
            r"network[ -]?polic|netpol|firewall|security[ -]?group|\bdns\b|\bcname\b|ingress rule|egress",
            re.IGNORECASE,
        ),
    ),
    C.CERTIFICATE_EXPIRED: CauseKind(
        "Certificate expired or invalid",
        _kinds(T.CONFIG_CHANGE, T.DEPENDENCY, T.INFRASTRUCTURE),
        (
            Step("Check the certificate's validity dates", SAFE),
            Step("Renew or rotate the certificate", APPROVE),
            Step("Disabling TLS verification to work around it", FORBID),
        ),
        platform=True,
        change_signs=re.compile(r"certificate|\bcerts?\b|\btls\b|\bca bundle", re.IGNORECASE),
        # A client failing to verify a server's certificate: the certificate of what it calls.
        remote=RemoteSign(
            re.compile(
                r"failed to verify certificate|certificate verify failed"
                r"|unable to verify the first certificate|PKIX path validation failed"
                r"|certificate has expired",
                re.IGNORECASE,
            ),
            "It began when the certificate of {host}, a dependency, expired or became invalid: "
            "calls to it fail TLS verification.",
        ),
    ),
    C.STORAGE_FAILURE: CauseKind(
        "Storage failure",
        _kinds(T.INFRASTRUCTURE),
        (
            Step("Read the volume's events", SAFE, "kubectl -n {ns} describe pvc"),
            Step("Fix the storage class, attachment or CSI driver", APPROVE),
            Step("Deleting the PVC or PV to force re-provisioning (loses data)", FORBID),
        ),
        platform=True,
        specifics=(
            Specific(
                re.compile(r"Multi-Attach error for volume \\?\"(?P<volume>[\w.\-]+)\\?\""),
                ("volume {volume} is still attached to another node (Multi-Attach)",),
            ),
            Specific(
                re.compile(r"external provisioner \\?\"(?P<provisioner>[\w.\-/]+)\\?\""),
                ("the volume waits on the provisioner {provisioner}",),
            ),
            Specific(
                re.compile(r"storageclass(?:\.storage\.k8s\.io)? \\?\"(?P<sc>[\w.\-]+)\\?\" not found", re.I),
                ("StorageClass {sc} does not exist",),
            ),
        ),
        origin=T.INFRASTRUCTURE,
    ),
    C.TRAFFIC_SPIKE: CauseKind(
        "Traffic spike",
        _kinds(T.TRAFFIC),
        (
            Step("See where the extra traffic comes from (clients, routes)", SAFE),
            _SCALE_OUT,
            Step("Turn on rate limiting for the heaviest clients", APPROVE),
        ),
        origin=T.TRAFFIC,
    ),
    C.NO_ISSUE: CauseKind(
        "No issue",
        _kinds(),
        (
            Step("Confirm the alert is a test, a heartbeat or already resolved: nothing to fix", SAFE),
            Step("Silence or tune the alert if it keeps firing on a healthy workload", APPROVE),
        ),
        is_cause=False,
    ),
    C.UNKNOWN: CauseKind(
        "Cause unknown",
        _kinds(),
        (
            Step("Retry or check the sources that failed or timed out", SAFE),
            Step(
                "Read recent warning events in the namespace",
                SAFE,
                "kubectl -n {ns} get events --field-selector type=Warning --sort-by=.lastTimestamp",
            ),
            Step("Escalate to the service owner with this thread", SAFE),
        ),
        is_cause=False,
    ),
}

CHANGES: dict[Trigger, ChangeKind] = {
    T.DEPLOY: ChangeKind(
        "a deploy",
        (
            Step(
                "See what the rollout changed",
                SAFE,
                "kubectl -n {changed_ns} rollout history deployment/{changed}",
            ),
            Step(
                "Roll back {changed} to the previous revision",
                APPROVE,
                "kubectl -n {changed_ns} rollout undo deployment/{changed}",
            ),
        ),
    ),
    T.CONFIG_CHANGE: ChangeKind(
        "a config change", (Step("Revert the configuration change: {change}", APPROVE),)
    ),
    T.TRAFFIC: ChangeKind("a traffic surge", (_SCALE_OUT,)),
    T.DEPENDENCY: ChangeKind(
        "a dependency change", (Step("Check the status of the dependency that changed: {change}", SAFE),)
    ),
    T.INFRASTRUCTURE: ChangeKind(
        "an infrastructure change", (Step("Check the infrastructure change: {change}", SAFE),)
    ),
    T.NONE: ChangeKind("no change", ()),
}


@dataclass(frozen=True)
class ImpliedDependency:
    """What a failure depends on without naming it: a name lookup that times out depends on the
    resolver, not on the host it looked up. The master follows the chain to it like to any named
    dependency (and asks the scanners about it)."""

    pattern: re.Pattern[str]
    name: str
    names: tuple[str, ...]  # every name that identifies it (its Service, its pods' workload)
    namespace: str | None = None


IMPLIED_DEPENDENCIES: tuple[ImpliedDependency, ...] = (
    # The resolver failed to answer (not "no such host": then the resolver answered), or could not
    # resolve an AWS endpoint, which always exists. In Kubernetes that is the cluster DNS: the
    # kube-dns Service in kube-system, served by CoreDNS pods.
    ImpliedDependency(
        re.compile(
            r"EAI_AGAIN|temporary failure in name resolution|server misbehaving|SERVFAIL"
            r"|no servers could be reached|lookup \S+ on [\d.\[\]:]+:53: (?:read udp \S+ )?i/o timeout"
            r"|read udp [\d.:]+->[\d.]+:53: i/o timeout|:53: (?:read|write|dial) (?:udp|tcp)\b"
            r"|(?:UnknownHostException|ENOTFOUND|no such host)\W+(?:lookup )?[\w.-]+\.amazonaws\.com\b",
            re.IGNORECASE,
        ),
        "kube-dns",
        ("kube-dns", "coredns"),
        "kube-system",
    ),
)


@dataclass(frozen=True)
class PlatformComponent(ImpliedDependency):
    """A platform component the workloads rely on without calling it by a Service name of theirs:
    a service mesh's identity, cert-manager, an ingress or load balancer controller and its
    admission webhook, a node provisioner, a CSI driver. It runs in a namespace of its own, one of
    `namespaces` (the usual ones, first the most common); `pattern` is the words and hosts in a
    workload's own logs and events that name it. The master follows the chain to it like to any
    dependency and asks the scanners about its namespace. `signs_with` are the certificates or
    Secrets it issues or serves with (their names only, never their values): when its own cause
    is a certificate's, the report names them."""

    namespaces: tuple[str, ...] = ()
    signs_with: tuple[str, ...] = ()


def _component(
    pattern: str,
    name: str,
    names: tuple[str, ...],
    namespaces: tuple[str, ...],
    signs_with: tuple[str, ...] = (),
) -> PlatformComponent:
    return PlatformComponent(
        re.compile(pattern, re.IGNORECASE), name, names, namespaces[0], namespaces, signs_with
    )


PLATFORM_COMPONENTS: tuple[PlatformComponent, ...] = (
    # Linkerd's identity controller signs the proxies' certificates with its issuer certificate.
    _component(
        r"linkerd[\w\-]*identity|identity\.linkerd\.cluster\.local|failed to certify identity"
        r"|linkerd2?_proxy_identity|linkerd-identity-issuer|linkerd-trust-anchor",
        "linkerd-identity",
        ("linkerd-identity",),
        ("linkerd",),
        ("linkerd-identity-issuer", "linkerd-trust-anchor"),
    ),
    # Istio's istiod is the mesh's CA (istio-ca-secret, or a plugged-in cacerts) and its xDS server.
    _component(
        r"\bistiod\b|istio-ca-secret|\bcacerts\b|\bcitadel\b",
        "istiod",
        ("istiod",),
        ("istio-system",),
        ("istio-ca-secret", "cacerts"),
    ),
    # cert-manager issues Certificates through Issuers and ClusterIssuers, and admits them by webhook.
    _component(
        r"cert-manager|webhook\.cert-manager\.io|cert-manager\.io/"
        r"|\b(?:Cluster)?Issuer\b[^\n]{0,80}not ready",
        "cert-manager",
        ("cert-manager", "cert-manager-webhook", "cert-manager-cainjector"),
        ("cert-manager", "kube-system"),
    ),
    # The AWS Load Balancer Controller and its webhooks (mpod/vingress.elbv2.k8s.aws).
    _component(
        r"aws-load-balancer-(?:controller|webhook)|\belbv2\.k8s\.aws\b",
        "aws-load-balancer-controller",
        ("aws-load-balancer-controller", "aws-load-balancer-webhook-service"),
        ("kube-system",),
    ),
    # ingress-nginx's controller and its admission webhook.
    _component(
        r"ingress-nginx-controller|validate\.nginx\.ingress\.kubernetes\.io",
        "ingress-nginx-controller",
        ("ingress-nginx-controller", "ingress-nginx-controller-admission"),
        ("ingress-nginx", "kube-system"),
    ),
    _component(r"external-dns", "external-dns", ("external-dns",), ("external-dns", "kube-system")),
    _component(r"\bkarpenter\b", "karpenter", ("karpenter",), ("karpenter", "kube-system")),
    _component(
        r"ebs\.csi\.aws\.com|ebs-csi-(?:controller|node)",
        "ebs-csi-controller",
        ("ebs-csi-controller", "ebs-csi-node"),
        ("kube-system",),
    ),
)
PLATFORM_NAMES = frozenset(c.name for c in PLATFORM_COMPONENTS)


NOT_A_CAUSE = frozenset(c for c, kind in CAUSES.items() if not kind.is_cause)


# A rollout that changed only the workload's configuration (its env, its resource limits or
# requests) and not its image: someone ran `kubectl set env` or `set resources`. It is stated as a
# config change, not a release.
CONFIG_ROLLOUT = re.compile(
    r"\brolled out\b[^:\n]*:(?![^\n]*\bimage\b)[^\n]*?"
    r"(?:\benv [A-Z][A-Z0-9_]*\b|\b(?:limits|requests)\.(?:cpu|memory)\b)"
)


def stated_kind(trigger: Trigger, change_text: str) -> Trigger:
    """The kind of change a report states: a rollout of configuration only is a config change."""
    if trigger is Trigger.DEPLOY and CONFIG_ROLLOUT.search(change_text):
        return Trigger.CONFIG_CHANGE
    return trigger


def shows_the_same(category: CauseCategory) -> frozenset[CauseCategory]:
    """The categories of another source's finding that show the same failure as `category`, when
    it is about the same thing on the path: the cause itself, how another source reports it
    (`CauseKind.seen_as`), and the louder consequences that commonly follow it (`CauseKind.follows`
    of theirs: the webhook call that fails because the webhook's certificate expired)."""
    louder = {other for other, kind in CAUSES.items() if category in kind.follows}
    return frozenset({category, *CAUSES[category].seen_as, *louder})


# A capacity ceiling a change can lower (an HPA's `maxReplicas`, an autoscaling group's max size, a
# stream's shards, reserved concurrency, provisioned capacity, a connection or pool limit). Lowered
# while load is low ("idle overnight, merging shards"), it bites hours later, when load next rises
# to the old ceiling: such a change is read from up to `CEILING_LOOKBACK` before the alert's window.
CAPACITY_CEILING = re.compile(
    r"max[ _-]?replicas|--max-size|\bmax ?size\b|--desired-capacity|shard-count|\bshards?\b|"
    r"reserved-concurrent-executions|(?:reserved |provisioned )concurrency|"
    r"(?:read|write)[- ]capacity[- ]units|provisioned (?:throughput|capacity|iops)|"
    r"max_connections|max[_-]?pool[_-]?size|pool[_-]?size|\bmax ?pods\b|"
    r"maxSurge|concurrency limit|rate limit",
    re.IGNORECASE,
)
CEILING_LOOKBACK = timedelta(hours=12)


# A series that only began in the window ("rose from zero": a new client, a new job, a new caller):
# not more of the same traffic but a new thing. It is no surge; what started it is a change, and
# when it calls what the target depends on, that change is on the target's path.
NEW_SERIES = re.compile(r"\bfrom zero\b|\brose from 0(?:\.0+)? (?:req|rps|qps|/s|per)", re.IGNORECASE)
# How a change names the thing it touches, in words: a flag, a key, a class or a job in backticks or
# quotes, or a hyphenated or dotted name (`cart-autosave-v2`, `nginx-public`, `payments.retry.max`).
# When the target's own logs or objects name that thing, the change is connected to the target.
CHANGED_THING = re.compile(
    r"[`'\"](?P<quoted>[A-Za-z][\w.\-/]{3,80})[`'\"]"
    r"|(?<![\w\-./:@#])(?P<name>[A-Za-z][A-Za-z0-9]*(?:[\-_.][A-Za-z0-9]+)+)(?![\w\-/:@])"
)


def label(category: CauseCategory) -> str:
    """How the report names `category`: `Memory exhausted`."""
    return CAUSES[category].label


def change_words(trigger: Trigger) -> str:
    """How the report names a kind of change: `a deploy`."""
    return CHANGES[trigger].words


def fits(trigger: Trigger, category: CauseCategory) -> bool:
    """Whether that kind of change commonly produces that cause (so it can be its trigger)."""
    return trigger in CAUSES[category].triggers


def specificity(category: CauseCategory) -> float:
    return CAUSES[category].specificity


def restated(category: CauseCategory, change_text: str, evidence_text: str) -> Restatement | None:
    """How the cause is better stated given what its trigger and its evidence say together
    (`Restatement.change` and `.evidence`): a login failing after the credential was rotated is a
    stale credential (bad configuration). None when no rule applies."""
    return next(
        (
            rule
            for rule in CAUSES[category].restated
            if rule.change is not None
            and rule.evidence is not None
            and rule.change.search(change_text)
            and rule.evidence.search(evidence_text)
        ),
        None,
    )


def restated_by_kind(category: CauseCategory) -> tuple[Restatement, ...]:
    """The rules that restate the cause by the kind of change on its path (`Restatement.kind`)."""
    return tuple(rule for rule in CAUSES[category].restated if rule.kind is not None)


def dormant_cause(change_text: str) -> tuple[CauseCategory, timedelta] | None:
    """The cause a change can set off long after it was made (a trust policy tightened), and how
    long before the alert's window it may have been made; None for a change that bites at once."""
    for category, kind in CAUSES.items():
        if kind.dormant and kind.change_signs is not None and kind.change_signs.search(change_text):
            return category, kind.dormant
    return None


def refined(category: CauseCategory, trigger: Trigger, change_text: str) -> CauseCategory:
    """A generic cause stated as the specific one its triggering change points at (a dependency
    unreachable after a NetworkPolicy was applied: a network failure), when that change fits it."""
    if CAUSES[category].specificity >= 1.0:
        return category
    for candidate, kind in CAUSES.items():
        if (
            kind.change_signs is not None
            and trigger in kind.triggers
            and kind.change_signs.search(change_text)
        ):
            return candidate
    return category
