"""What changed before the alert, rollouts: ReplicaSet revision history with the image / env /
probe / resources diff between revisions, and manual scaling; ranked by closeness before the alert.
When history is pruned the finding says so rather than "nothing changed"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from agents.eks import objects as o
from agents.eks.analyzers.common import Analysis, ago, event_evidence, make_finding, object_evidence
from agents.eks.objects import Obj
from shared.contracts import Finding, Severity, Trigger
from shared.relevance import Relevance

LOOKBACK = timedelta(hours=24)
REVISION = "deployment.kubernetes.io/revision"
_SECRETISH = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)
# Both wordings of the deployment controller: "... <rs> from 4 to 1" (before 1.30), "... <rs> to 1
# from 4" (since).
_SCALED = re.compile(
    r"Scaled (up|down) replica set (?P<rs>\S+) "
    r"(?:from (?P<was>\d+) to (?P<now>\d+)|to (?P<to>\d+)(?: from (?P<from>\d+))?)"
)


def scaled(message: str) -> tuple[str, int | None, int] | None:
    """(ReplicaSet, replicas before or None, replicas after) of a ScalingReplicaSet message."""
    match = _SCALED.search(message)
    if match is None:
        return None
    before = match.group("was") or match.group("from")
    return match.group("rs"), int(before) if before else None, int(match.group("now") or match.group("to"))


def _revision(obj: Obj) -> int:
    try:
        return int(o.annotations_of(obj).get(REVISION, "0"))
    except ValueError:
        return 0


def _env(container: dict[str, Any]) -> dict[str, str]:
    env = {}
    for item in container.get("env") or []:
        name = str(item.get("name", ""))
        if "value" in item:
            env[name] = "<redacted>" if _SECRETISH.search(name) else str(item["value"])
        else:
            ref: dict[str, Any] = item.get("valueFrom") or {}
            kind, source = next(iter(ref.items()), ("?", None))
            source = source if isinstance(source, dict) else {}
            what = kind.replace("KeyRef", "").replace("Ref", "").lower()
            env[name] = f"{what} {source.get('name', '')}/{source.get('key', '')}".rstrip("/")
    for item in container.get("envFrom") or []:
        for kind in ("configMapRef", "secretRef"):
            if kind in item:
                env[f"envFrom {kind}"] = str(item[kind].get("name", ""))
    return env


def template_diff(old: Obj, new: Obj) -> list[str]:
    """Human-readable changes between two pod templates, images first."""
    old_c = {c.get("name"): c for c in o.template_containers(old)}
    changes: list[str] = []
    for container in o.template_containers(new):
        name = container.get("name")
        before = old_c.get(name)
        if before is None:
            changes.append(f"container {name} added ({o.image_ref(container.get('image', ''))})")
            continue
        if before.get("image") != container.get("image"):
            old_ref, new_ref = o.image_ref(before.get("image", "")), o.image_ref(container.get("image", ""))
            repo_old, repo_new = old_ref.split(":")[0], new_ref.split(":")[0]
            if repo_old == repo_new:
                changes.append(
                    f"image {repo_new} {o.image_tag(before.get('image', ''))} -> "
                    f"{o.image_tag(container.get('image', ''))}"
                )
            else:
                changes.append(f"image {old_ref} -> {new_ref}")
        env_old, env_new = _env(before), _env(container)
        for key in sorted(set(env_old) | set(env_new)):
            if env_old.get(key) != env_new.get(key):
                if key not in env_old:
                    changes.append(f"env +{key}={env_new[key]}")
                elif key not in env_new:
                    changes.append(f"env -{key}")
                else:
                    changes.append(f"env {key} {env_old[key]} -> {env_new[key]}")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if before.get(probe) != container.get(probe):
                changes.append(
                    f"{name} {probe} {_probe(before.get(probe))} -> {_probe(container.get(probe))}"
                )
        if before.get("resources") != container.get("resources"):
            changes += [
                f"{name} {c}" for c in _resources_diff(before.get("resources"), container.get("resources"))
            ]
        for field in ("command", "args"):
            if before.get(field) != container.get(field):
                changes.append(
                    f"{name} {field} changed: {_compact(before.get(field))} -> "
                    f"{_compact(container.get(field))}"
                )
        changes += _other_container_fields(str(name), before, container)
    removed = set(old_c) - {c.get("name") for c in o.template_containers(new)}
    changes += [f"container {name} removed" for name in sorted(n for n in removed if n)]
    changes += _pod_fields_diff(o.pod_spec(old), o.pod_spec(new))
    changes += _labels_diff(old, new)
    old_ann = (o.spec(old).get("template", {}).get("metadata") or {}).get("annotations") or {}
    new_ann = (o.spec(new).get("template", {}).get("metadata") or {}).get("annotations") or {}
    if old_ann.get("kubectl.kubernetes.io/restartedAt") != new_ann.get("kubectl.kubernetes.io/restartedAt"):
        changes.append("rollout restart (kubectl.kubernetes.io/restartedAt)")
    return changes


# Container fields the diff above words itself; every other field is compared as it is.
_WORDED = {
    "name",
    "image",
    "env",
    "envFrom",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "resources",
    "command",
    "args",
}
# Pod spec fields that differ between any two ReplicaSets and say nothing.
_POD_NOISE = {"containers", "initContainers", "terminationGracePeriodSeconds", "dnsPolicy", "schedulerName"}


def _ports(ports: Any) -> str:
    if not ports:
        return "none"
    return ", ".join(
        f"{str(p['name']) + ' ' if p.get('name') else ''}{p.get('containerPort')}"
        for p in ports
        if isinstance(p, dict)
    )


def _other_container_fields(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """`app ports http 8080 -> http 9090`, `app volumeMounts ... -> ...` for the fields not worded
    above."""
    changes = []
    for field in sorted((set(before) | set(after)) - _WORDED):
        if before.get(field) == after.get(field):
            continue
        if field == "ports":
            changes.append(f"{name} ports {_ports(before.get(field))} -> {_ports(after.get(field))}")
        else:
            changes.append(f"{name} {field} {_compact(before.get(field))} -> {_compact(after.get(field))}")
    return changes


def _pairs(mapping: Any) -> str:
    if not mapping:
        return "none"
    if isinstance(mapping, dict) and all(not isinstance(v, (dict, list)) for v in mapping.values()):
        return ",".join(f"{k}={v}" for k, v in mapping.items())
    return _compact(mapping)


def _volumes(volumes: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for volume in volumes or []:
        if not isinstance(volume, dict):
            continue
        source: tuple[str, Any] = next(((k, v) for k, v in volume.items() if k != "name"), ("?", {}))
        ref = source[1] if isinstance(source[1], dict) else {}
        named = ref.get("name") or ref.get("secretName") or ref.get("claimName") or ""
        found[str(volume.get("name"))] = f"{source[0]} {named}".strip()
    return found


def _pod_fields_diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`nodeSelector node-pool=search -> node-pool=search-r7i`, `serviceAccountName a -> b`,
    `volume config configMap app-v1 -> configMap app-v2`, and any other pod spec field."""
    changes = []
    for field in sorted((set(old) | set(new)) - _POD_NOISE):
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        if field == "volumes":
            was, now = _volumes(before), _volumes(after)
            for volume in sorted(set(was) | set(now)):
                if was.get(volume) != now.get(volume):
                    changes.append(f"volume {volume} {was.get(volume, 'none')} -> {now.get(volume, 'none')}")
        elif field == "nodeSelector":
            changes.append(f"nodeSelector {_pairs(before)} -> {_pairs(after)}")
        else:
            changes.append(f"{field} {_compact(before)} -> {_compact(after)}")
    return changes


def _labels_diff(old: Obj, new: Obj) -> list[str]:
    """The pod template's labels (what Services and NetworkPolicies select), hash aside."""

    def labels(obj: Obj) -> dict[str, str]:
        found = (o.spec(obj).get("template", {}).get("metadata") or {}).get("labels") or {}
        return {k: v for k, v in found.items() if k != "pod-template-hash"}

    was, now = labels(old), labels(new)
    keys = sorted(k for k in set(was) | set(now) if not _versionish(k))
    # A label removed first: what a Service or NetworkPolicy selected on is gone.
    changes = [f"pod label -{k}={was[k]}" for k in keys if k not in now]
    changes += [f"pod label +{k}={now[k]}" for k in keys if k not in was]
    changes += [
        f"pod label {k} {was[k]} -> {now[k]}" for k in keys if k in was and k in now and was[k] != now[k]
    ]
    return changes


def _versionish(key: str) -> bool:
    return "version" in key.lower() or key.endswith("/revision")


def _resources_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """`requests.cpu 1 -> 2`, `limits.memory 512Mi -> none` for every changed quantity."""
    flat_old = {f"{k}.{r}": v for k, q in (old or {}).items() for r, v in (q or {}).items()}
    flat_new = {f"{k}.{r}": v for k, q in (new or {}).items() for r, v in (q or {}).items()}
    return [
        f"{key} {flat_old.get(key, 'none')} -> {flat_new.get(key, 'none')}"
        for key in sorted(set(flat_old) | set(flat_new))
        if flat_old.get(key) != flat_new.get(key)
    ]


def _probe(probe: dict[str, Any] | None) -> str:
    """`httpGet /ready:8080`, `tcpSocket :5432`, `exec cat /tmp/ok`, or `none`."""
    if not probe:
        return "none"
    if "httpGet" in probe:
        get = probe["httpGet"]
        return f"httpGet {get.get('path', '/')}:{get.get('port', '')}"
    if "tcpSocket" in probe:
        return f"tcpSocket :{probe['tcpSocket'].get('port', '')}"
    if "exec" in probe:
        return "exec " + " ".join(str(c) for c in probe["exec"].get("command") or [])[:60]
    if "grpc" in probe:
        return f"grpc :{probe['grpc'].get('port', '')}"
    return _compact(probe)


def _compact(value: Any) -> str:
    text = str(value) if value is not None else "none"
    return text if len(text) <= 80 else text[:79] + "…"


def _scale_events(analysis: Analysis, dep: Obj, rs: Obj) -> list[tuple[datetime | None, int | None, int]]:
    """(time, from, to) of the "Scaled up replica set <rs> to N [from M]" events of a Deployment."""
    found = []
    for event in analysis.events.about(
        "Deployment", o.namespace(dep), o.name(dep), reason="ScalingReplicaSet"
    ):
        step = scaled(str(event.get("message", "")))
        if step is not None and step[0] == o.name(rs):
            found.append((o.event_first_time(event), step[1], step[2]))
    return found


def _rollout_time(analysis: Analysis, dep: Obj, rs: Obj) -> datetime | None:
    """When the current revision rolled out: its ReplicaSet's creation, or, for a rollback to an
    old ReplicaSet, the event that scaled it up from zero."""
    created = o.created(rs)
    from_zero = [t for t, before, _ in _scale_events(analysis, dep, rs) if t is not None and before == 0]
    times = [t for t in (*from_zero, created) if t is not None]
    return max(times) if times else None


def analyze_scaling(analysis: Analysis) -> list[Finding]:
    """Manual (or autoscaler) replica changes of a Deployment's current ReplicaSet in the window.
    One no HorizontalPodAutoscaler drives is a person's (or a pipeline's) change: a config change,
    worth a warning when it lowered the alert's own workload (to zero, say)."""
    findings = []
    autoscaled = {
        (o.namespace(h), (o.spec(h).get("scaleTargetRef") or {}).get("name"))
        for h in analysis.state.kind("HorizontalPodAutoscaler")
    }
    for dep in analysis.state.kind("Deployment"):
        ns, name = o.namespace(dep), o.name(dep)
        by_hand = (ns, name) not in autoscaled
        owned = [
            rs
            for rs in analysis.state.kind("ReplicaSet")
            if o.namespace(rs) == ns and o.owner(rs) == ("Deployment", name)
        ]
        # Only the current ReplicaSet, and neither from nor to zero: those are rollout steps.
        for rs in sorted(owned, key=_revision, reverse=True)[:1]:
            for at, before, after in _scale_events(analysis, dep, rs):
                # From zero is a rollout step; to zero only by hand (a rollout leaves the newest up).
                if (
                    at is None
                    or not before
                    or (not after and not by_hand)
                    or at < analysis.scope.window_start
                ):
                    continue
                direction = "up" if after > (before or 0) else "down"
                relevance = analysis.relevance(ns, name)
                lowered = by_hand and direction == "down"
                findings.append(
                    make_finding(
                        "deployment-scaled",
                        f"{ns}/{name}",
                        severity=Severity.WARNING
                        if lowered and relevance >= Relevance.NEAR and analysis.scope.proximity(at) >= 0.5
                        else Severity.INFO,
                        title=f"Deployment {ns}/{name} scaled {direction} from {before} to {after} replicas "
                        f"{ago(analysis.scope, at)}"
                        + ("" if by_hand else " (by its HorizontalPodAutoscaler)"),
                        resources=[o.path("Deployment", dep)],
                        change=Trigger.CONFIG_CHANGE if by_hand else None,
                        relevance=relevance * analysis.scope.proximity(at),
                        first_seen=at,
                        last_seen=at,
                    )
                )
    return findings


def analyze_rollouts(analysis: Analysis) -> tuple[list[Finding], list[str]]:
    """A change finding per Deployment rolled out in the last 24 h; notes where history is pruned."""
    by_owner: dict[tuple[str | None, str], list[Obj]] = {}
    for rs in analysis.state.kind("ReplicaSet"):
        owner = o.owner(rs)
        if owner and owner[0] == "Deployment":
            by_owner.setdefault((o.namespace(rs), owner[1]), []).append(rs)
    findings, notes = [], []
    unread: list[str] = []
    for dep in analysis.state.kind("Deployment"):
        ns, name = o.namespace(dep), o.name(dep)
        relevance = analysis.relevance(ns, name)
        history = sorted(by_owner.get((ns, name), []), key=_revision, reverse=True)
        if not history:
            if relevance >= Relevance.NEAR or not analysis.scope.has_target:
                unread.append(f"{ns}/{name}")
            continue
        current, previous = history[0], (history[1] if len(history) > 1 else None)
        revision = _revision(current)
        at = _rollout_time(analysis, dep, current)
        if at is None or at < analysis.scope.anchor - LOOKBACK:
            continue
        images = ", ".join(o.image_ref(c.get("image", "")) for c in o.template_containers(current))
        ref = f"{ns}/{name}"
        if previous is not None:
            # A ReplicaSet read without its template (a trimmed list): the Deployment's is the newest's.
            diff = template_diff(previous, current if o.template_containers(current) else dep)
            what = (
                "; ".join(diff[:4]) if diff else "pod template changed (no image, env or resource difference)"
            )
            # Numbers kept apart by words: "revision 14, rolled out 41 min before", never "14 41 min".
            title = f"Deployment {ref} revision {revision}, rolled out {ago(analysis.scope, at)}: {what}"
            detail = (
                f"Revision {_revision(previous)} ({o.name(previous)}) -> {revision} ({o.name(current)}):\n"
                + "\n".join(diff)
            )
        elif revision > 1:
            title = (
                f"Deployment {ref} revision {revision}, rolled out {ago(analysis.scope, at)} ({images}); "
                f"earlier revisions are pruned, so what changed is unknown"
            )
            detail = "Only the current ReplicaSet is kept (revisionHistoryLimit): no diff is possible."
            notes.append(
                f"Rollout history of Deployment {ref} is pruned: revision {revision} has no predecessor kept."
            )
        else:
            title = f"Deployment {ref} created {ago(analysis.scope, at)} ({images})"
            detail = "First revision."
        scaled = analysis.events.about("Deployment", ns, name, reason="ScalingReplicaSet")
        proximity = analysis.scope.proximity(at)
        evidence = [
            object_evidence(
                "ReplicaSet",
                current,
                f"revision {revision}, created {o.meta(current).get('creationTimestamp')}, images {images}",
                at,
            )
        ]
        if previous is not None:
            old_images = ", ".join(o.image_ref(c.get("image", "")) for c in o.template_containers(previous))
            evidence.append(
                object_evidence(
                    "ReplicaSet", previous, f"revision {_revision(previous)}, images {old_images}"
                )
            )
        evidence += [event_evidence(e) for e in scaled[:2]]
        findings.append(
            make_finding(
                "rollout",
                f"{ref}/rev{revision}",
                severity=Severity.WARNING
                if relevance >= Relevance.DIRECT and proximity >= 0.5
                else Severity.INFO,
                title=title,
                detail=detail,
                resources=[o.path("Deployment", dep), o.path("ReplicaSet", current)],
                evidence=evidence,
                change=Trigger.DEPLOY,
                relevance=relevance * proximity,
                first_seen=at,
                last_seen=at,
            )
        )
    if unread:
        why = (
            "the ReplicaSet list was incomplete"
            if not analysis.state.complete("ReplicaSet")
            else "none was found"
        )
        more = f" and {len(unread) - 5} more" if len(unread) > 5 else ""
        notes.append(
            f"No ReplicaSet of Deployment {', '.join(unread[:5])}{more} was read ({why}): "
            "whether it rolled out recently is unknown."
        )
    findings.sort(key=lambda f: (-f.relevance, f.id))
    return findings, notes
