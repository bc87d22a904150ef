"""What changed before the alert, configuration: ConfigMaps and Secrets the alert's workloads use,
changed where the API records when (managedFields times, creationTimestamp, time-valued
annotations), or missing altogether. Secret values are never read or shown."""

from __future__ import annotations

import re
from datetime import datetime

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, make_finding, object_evidence
from agents.eks.analyzers.rollouts import LOOKBACK
from agents.eks.analyzers.workloads import replicas
from agents.eks.objects import Obj
from shared.contracts import CauseCategory, Finding, Severity, Trigger

# `...updated-at`, and what sync tools write (`policy-sync.example.io/last-sync`, `last-applied-at`,
# `lastSyncTime`): only a value that parses as a time counts.
_TIME_ANNOTATION = re.compile(
    r"(updated|changed|modified|restarted|reloaded)[-_]?(at|on|time)$"
    r"|last[-_]?(sync(ed)?|update[ds]?|change[ds]?|applied|modified|reload(ed)?)([-_]?(at|on|time))?$",
    re.IGNORECASE,
)


def _references(obj: Obj) -> list[tuple[str, str, bool]]:
    """(kind, name, optional) of every ConfigMap / Secret a workload or pod template uses."""
    refs: list[tuple[str, str, bool]] = []
    spec = o.pod_spec(obj)
    for container in o.template_containers(obj):
        for item in container.get("env") or []:
            source = item.get("valueFrom") or {}
            for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if key in source:
                    refs.append((kind, source[key].get("name", ""), bool(source[key].get("optional"))))
        for item in container.get("envFrom") or []:
            for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in item:
                    refs.append((kind, item[key].get("name", ""), bool(item[key].get("optional"))))
    for volume in spec.get("volumes") or []:
        if "configMap" in volume:
            refs.append(
                ("ConfigMap", volume["configMap"].get("name", ""), bool(volume["configMap"].get("optional")))
            )
        if "secret" in volume:
            refs.append(
                ("Secret", volume["secret"].get("secretName", ""), bool(volume["secret"].get("optional")))
            )
        for source in (volume.get("projected") or {}).get("sources") or []:
            for key, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                if key in source:
                    refs.append((kind, source[key].get("name", ""), bool(source[key].get("optional"))))
    return [r for r in refs if r[1]]


def _started_with_it(analysis: Analysis, ns: str | None, kind: str, name: str) -> bool:
    """Whether what uses the ConfigMap / Secret runs: every pod that uses it runs with its
    containers started, or (no such pod read) every workload that uses it has all its replicas
    ready. A pod cannot start without a (non-optional) ConfigMap or Secret it uses."""

    def uses(obj: Obj) -> bool:
        return o.namespace(obj) == ns and any(r[:2] == (kind, name) for r in _references(obj))

    pods = [pod for pod in analysis.state.pods if uses(pod)]
    if pods:
        return all(
            o.status(pod).get("phase") == "Running"
            and all("running" in (c.get("state") or {}) for c in o.status(pod).get("containerStatuses") or [])
            for pod in pods
        )
    workloads = [w for k in ("Deployment", "StatefulSet") for w in analysis.state.kind(k) if uses(w)]
    return bool(workloads) and all(0 < desired <= ready for desired, ready in map(replicas, workloads))


def change_time(obj: Obj) -> tuple[datetime | None, str]:
    """The latest time the API records for a change of `obj`, and its source."""
    candidates: list[tuple[datetime, str]] = []
    for entry in o.meta(obj).get("managedFields") or []:
        at = o.ts(entry.get("time"))
        if at is not None:
            candidates.append(
                (at, f"managedFields ({entry.get('manager', '?')}, {entry.get('operation', '?')})")
            )
    for key, value in o.annotations_of(obj).items():
        if _TIME_ANNOTATION.search(key) and (at := o.ts(value)) is not None:
            candidates.append((at, f"annotation {key}"))
    created = o.created(obj)
    if created is not None:
        candidates.append((created, "creationTimestamp"))
    if not candidates:
        return None, "no time recorded"
    return max(candidates, key=lambda c: c[0])


def _secret_keys(obj: Obj) -> list[str]:
    """The key names of a Secret, from its managedFields: Secrets are read as metadata only, so
    their data (and its values) never reach the scanner."""
    keys: set[str] = set()
    for entry in o.meta(obj).get("managedFields") or []:
        fields = (entry.get("fieldsV1") or {}) if isinstance(entry, dict) else {}
        for section in ("f:data", "f:stringData"):
            keys.update(k.removeprefix("f:") for k in (fields.get(section) or {}) if k.startswith("f:"))
    return sorted(keys)


def _settings(obj: Obj, kind: str) -> str:
    if kind == "Secret":
        keys = _secret_keys(obj)
        return "keys " + ", ".join(keys[:6]) if keys else ""
    data = obj.get("data") or {}
    # Every key is named (a misspelled key is what breaks a workload); short values are quoted.
    items = [
        f"{k}={v}" if isinstance(v, str) and "\n" not in v and len(v) <= 40 else str(k)
        for k, v in sorted(data.items())
    ]
    return ", ".join(items[:6]) + (f" and {len(items) - 6} more keys" if len(items) > 6 else "")


def analyze_config_changes(analysis: Analysis) -> list[Finding]:
    """ConfigMaps / Secrets used by the alert's workloads: changed recently, or missing."""
    users: dict[tuple[str | None, str, str], tuple[list[str], bool]] = {}
    sources = [
        *analysis.state.kind("Deployment"),
        *analysis.state.kind("StatefulSet"),
        *analysis.state.kind("DaemonSet"),
        *analysis.state.pods,
    ]
    for obj in sources:
        ns, name = o.namespace(obj), o.name(obj)
        if analysis.scope.has_target and analysis.relevance(ns, name) < 0.9:
            continue
        kind = str(obj.get("kind", "Pod"))
        for ref_kind, ref_name, optional in _references(obj):
            names, all_optional = users.get((ns, ref_kind, ref_name), ([], True))
            users[(ns, ref_kind, ref_name)] = ([*names, f"{kind} {ns}/{name}"], all_optional and optional)
    present = {
        (o.namespace(x), str(x.get("kind")), o.name(x)): x
        for x in [*analysis.state.kind("ConfigMap"), *analysis.state.kind("Secret")]
    }
    findings = []
    for (ns, kind, name), (used_by, optional) in sorted(users.items(), key=lambda i: str(i[0])):
        found = present.get((ns, kind, name))
        ref = f"{ns}/{name}"
        users_text = ", ".join(
            dict.fromkeys(u for u in used_by if not u.startswith("Pod ")) or dict.fromkeys(used_by)
        )
        if found is None:
            if optional or not analysis.state.complete(kind):
                continue
            relevance = max(analysis.relevance(ns, u.split("/")[-1]) for u in used_by)
            title = f"{kind} {ref} does not exist but is referenced by {users_text}"
            severity = Severity.CRITICAL
            if _started_with_it(analysis, ns, kind, name):
                # Its pods all run: they started with it (it was deleted since, or the scan cannot
                # see it). Their next restart will fail, but it is not what fails now.
                title += " (its pods started with it and still run)"
                severity, relevance = Severity.WARNING, min(relevance, 0.3)
            findings.append(
                make_finding(
                    f"{kind.lower()}-missing",
                    ref,
                    severity=severity,
                    title=title,
                    resources=[f"{ns}/{kind}/{name}"],
                    cause=CauseCategory.BAD_CONFIG,
                    relevance=relevance,
                )
            )
            continue
        obj = found
        at, source = change_time(obj)
        if at is None or at < analysis.scope.anchor - LOOKBACK:
            continue
        settings = _settings(obj, kind)
        findings.append(
            make_finding(
                f"{kind.lower()}-changed",
                ref,
                severity=Severity.WARNING if analysis.scope.proximity(at) >= 0.5 else Severity.INFO,
                title=f"{kind} {ref} changed {ago(analysis.scope, at)}"
                + (f" ({settings})" if settings else "")
                + f", used by {users_text}",
                detail=f"Change time from {source}.",
                resources=[o.path(kind, obj)],
                evidence=[
                    object_evidence(
                        kind,
                        obj,
                        f"{source}: {at:%Y-%m-%d %H:%M:%S} UTC" + (f"; {settings}" if settings else ""),
                        at,
                    )
                ],
                change=Trigger.CONFIG_CHANGE,
                relevance=analysis.scope.proximity(at)
                * max(analysis.relevance(ns, u.split("/")[-1]) for u in used_by),
                first_seen=at,
                last_seen=at,
            )
        )
    return findings
