"""Why the scheduler can place a pod on no node, named: the nodeSelector entry, the required node
affinity term, or the taint that every candidate node has against it.

The scheduler's own message counts nodes ("0/6 nodes are available: 3 node(s) didn't match Pod's
node affinity/selector, 3 node(s) had untolerated taint ..."); the on-call engineer needs the value
("eks.amazonaws.com/nodegroup=ng-general-2023: no node has it; nodes have ng-general-2024, ng-gpu").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents.eks import objects as o
from agents.eks.objects import Obj

SHOWN_VALUES = 4  # of the values the nodes do have, for the key the pod asks for


def unsatisfied_placement(pod: Obj, nodes: Iterable[Obj]) -> str:
    """What in the pod's placement rules no node satisfies, in words; "" when each rule is met by
    some node (or there are no nodes to tell)."""
    candidates = [n for n in nodes if not o.spec(n).get("unschedulable")]
    if not candidates:
        return ""
    spec = o.pod_spec(pod)
    said = [
        *_selector_misses(spec.get("nodeSelector") or {}, candidates),
        *_affinity_misses(_required_terms(spec), candidates),
    ]
    matching = [n for n in candidates if _placed_on(spec, n)]
    if matching and not said:
        taints = _untolerated_taints(spec, matching)
        if taints:
            said.append(f"every node it may run on has a taint it does not tolerate: {taints}")
    return "; ".join(said)


def _selector_misses(selector: dict[str, str], nodes: list[Obj]) -> list[str]:
    misses = []
    for key, value in selector.items():
        if not any(o.labels(n).get(key) == value for n in nodes):
            misses.append(f"nodeSelector {key}={value} matches no node{_have(key, nodes)}")
    return misses


def _required_terms(spec: dict[str, Any]) -> list[dict[str, Any]]:
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    return list(affinity.get("nodeSelectorTerms") or [])


def _affinity_misses(terms: list[dict[str, Any]], nodes: list[Obj]) -> list[str]:
    """Terms are ORed: only when no node matches any term is there something to name; then each
    term's first expression no node satisfies."""
    if not terms or any(_term_matches(t, o.labels(n)) for t in terms for n in nodes):
        return []
    misses = []
    for term in terms:
        for expr in term.get("matchExpressions") or []:
            if not any(_expression_matches(expr, o.labels(n)) for n in nodes):
                key = str(expr.get("key"))
                values = ",".join(str(v) for v in expr.get("values") or [])
                misses.append(
                    f"required node affinity {key} {expr.get('operator')} {values} matches no node"
                    f"{_have(key, nodes)}"
                )
                break
    return misses or ["no node matches any of its required node affinity terms"]


def _have(key: str, nodes: list[Obj]) -> str:
    values = sorted({o.labels(n)[key] for n in nodes if key in o.labels(n)})
    if not values:
        return f" (no node has the label {key})"
    shown = ", ".join(values[:SHOWN_VALUES]) + (", ..." if len(values) > SHOWN_VALUES else "")
    return f" (nodes have {key}: {shown})"


def _placed_on(spec: dict[str, Any], node: Obj) -> bool:
    labels = o.labels(node)
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    terms = _required_terms(spec)
    return not terms or any(_term_matches(t, labels) for t in terms)


def _term_matches(term: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(_expression_matches(e, labels) for e in term.get("matchExpressions") or [])


def _expression_matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), {str(v) for v in expr.get("values") or []}
    value = labels.get(str(key))
    if op == "In":
        return value in values
    if op == "NotIn":
        return value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            number, bound = int(value), int(next(iter(values)))
        except ValueError:
            return False
        return number > bound if op == "Gt" else number < bound
    return False


def _untolerated_taints(spec: dict[str, Any], nodes: list[Obj]) -> str:
    """The NoSchedule/NoExecute taints, one per node, that keep the pod off every matching node."""
    tolerations = spec.get("tolerations") or []
    found: list[str] = []
    for node in nodes:
        blocking = [
            t
            for t in o.spec(node).get("taints") or []
            if t.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(t, tolerations)
        ]
        if not blocking:
            return ""  # this node would take it: taints are not what keeps it pending
        taint = blocking[0]
        value = f"={taint['value']}" if taint.get("value") else ""
        text = f"{taint.get('key')}{value}:{taint.get('effect')}"
        if text not in found:
            found.append(text)
    return ", ".join(found[:SHOWN_VALUES])


def _tolerated(taint: dict[str, Any], tolerations: list[dict[str, Any]]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists" and toleration.get("key") in (None, "", taint.get("key")):
            return True
        if toleration.get("key") == taint.get("key") and toleration.get("value") == taint.get("value"):
            return True
    return False
