"""A change to something the target depends on, followed to what the cluster shows of it.

When the trigger is a change to a dependency rather than to the target (someone ran `kubectl set
env` on the service the target calls, and said so in chat), what a source observed of that change
(the dependency's new revision, its new env, its rollout) is the change seen from another side: it
is cited with the trigger. Until a source shows it, the dependency is worth a narrower round: the
scanners are asked about it, and their answer is cited when it reports the dependency changing at
that time. Pure and deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.master.chain import Dependency, Path, about, on_dependency, touches
from agents.master.ranking import SAME_CHANGE, seen_at
from shared.contracts import Finding, Trigger

PER_AGENT = 1


def dependency_changed(change: Finding, path: Path) -> Dependency | None:
    """The dependency `change` is to, when it is not to the target itself."""
    if touches(change, path.target):
        return None
    return on_dependency(change, path)


def shown(change: Finding, dependency: Dependency, findings: Sequence[Finding]) -> list[str]:
    """Ids of what other sources observed of `change` on `dependency`: a change they report about it
    (by their resources: its Deployment, its ReplicaSet, its pods), at about the same time, the
    closest first, at most `PER_AGENT` per agent."""
    at = seen_at(change)
    seen: dict[str, tuple[float, str]] = {}
    for f in findings:
        if (
            f.id == change.id
            or f.agent == change.agent
            or f.change in (None, Trigger.NONE)
            or not about(f, dependency.names)
        ):
            continue
        when = seen_at(f)
        if at is not None and when is not None:
            apart = abs((when - at).total_seconds())
            if apart > SAME_CHANGE.total_seconds():
                continue
        else:
            apart = SAME_CHANGE.total_seconds()
        if f.agent not in seen or (apart, f.id) < seen[f.agent]:
            seen[f.agent] = (apart, f.id)
    return [fid for _, fid in sorted(seen.values())][: PER_AGENT * len(seen)]


def askable(dependency: Dependency) -> bool:
    """Whether a narrower round can ask about it: a Kubernetes Service, or a bare name."""
    return bool(dependency.namespace) or "." not in dependency.name
