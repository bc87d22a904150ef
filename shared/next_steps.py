"""Suggested next steps for a cause and its trigger, from the vocabulary table (`shared.causes`),
each with its risk class. Suggested, never executed.

Commands are filled in from the alert's hints only when a hint is a plain Kubernetes name: the
hints come from untrusted text and a suggested command must never carry someone else's payload.
"""

from __future__ import annotations

import re

from shared.causes import CAUSES, CHANGES
from shared.contracts import CauseCategory, Finding, Hints, NextStep, RiskClass, Trigger

SAFE, APPROVE, FORBID = RiskClass.SAFE, RiskClass.NEEDS_APPROVAL, RiskClass.FORBIDDEN
MAX_STEPS = 8
_K8S_NAME = re.compile(r"^[a-z0-9]([a-z0-9\-.]{0,251}[a-z0-9])?$")


# A ReplicaSet's name is its Deployment's and the pod template's hash.
_TEMPLATE_HASH = re.compile(r"-[a-z0-9]{6,10}$")


def _name(value: str | None, placeholder: str) -> str:
    return value if value and _K8S_NAME.match(value) else placeholder


def _changed_deployment(change: Finding | None) -> tuple[str, str] | None:
    """The namespace and Deployment a change is a rollout of, from its resources
    (`ns/Deployment/name`, or `ns/ReplicaSet/name-<hash>`); None when it names none."""
    for resource in change.resources if change is not None else ():
        parts = resource.split("/")
        if len(parts) != 3 or parts[1] not in ("Deployment", "ReplicaSet"):
            continue
        name = parts[2] if parts[1] == "Deployment" else _TEMPLATE_HASH.sub("", parts[2])
        if _K8S_NAME.match(parts[0]) and _K8S_NAME.match(name):
            return parts[0], name
    return None


def next_steps(
    category: CauseCategory, trigger: Trigger, hints: Hints, change: Finding | None = None
) -> tuple[NextStep, ...]:
    """Steps for the cause and the trigger: safe first, then needs-approval, then forbidden."""
    fill = {
        "ns": _name(hints.namespace, "<namespace>"),
        "workload": _name(hints.workload or hints.service, "<workload>"),
        "pod": _name(hints.pod, "<pod>"),
        "container": _name(hints.container, "<container>"),
        "node": _name(hints.node, "<node>"),
        "change": change.title if change is not None else "the change just before the alert",
    }
    # What a rollback undoes is the rollout that was the change, which may be another workload's
    # (a dependency's) than the alert's.
    fill["changed_ns"], fill["changed"] = _changed_deployment(change) or (fill["ns"], fill["workload"])
    steps: list[NextStep] = []
    seen: set[str] = set()
    # Reading steps specific to the cause come first; among changes, undoing the trigger does: a
    # change that was seen (a trigger only inferred from the cause names nothing to undo).
    by_trigger = CHANGES[trigger].steps if change is not None else ()
    ordered = (
        *(s for s in CAUSES[category].steps if s.risk is SAFE),
        *by_trigger,
        *(s for s in CAUSES[category].steps if s.risk is not SAFE),
    )
    for step in ordered:
        text = step.text.format(**fill)
        command = step.command.format(**fill) if step.command else None
        key = command or text.lower()
        if key in seen or text.lower() in seen:
            continue
        seen.update({key, text.lower()})
        steps.append(NextStep(text=text, risk=step.risk, command=command))
    order = {SAFE: 0, APPROVE: 1, FORBID: 2}
    steps.sort(key=lambda s: order[s.risk])
    return tuple(steps[:MAX_STEPS])
