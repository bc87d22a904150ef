"""Workloads a person's alert names in its prose ("media-gateway logs are full of ECONNREFUSED to
thumbnailer"): when the alert carries no namespace and its hints name nothing the cluster runs,
the names written in the text that are the names of running workloads say where to look and what
the alert is about. A word only counts when a workload of that exact name exists."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from agents.common.scope import Scope, workload_of_pod
from agents.eks import objects as o
from agents.eks.objects import Obj

# Kubernetes object names as they appear in prose: lower case, digits and inner hyphens. Words of a
# path, host or file (`/v1/orders`, `orders.svc`, `app.py`) are not names on their own.
_NAME = re.compile(r"(?<![\w.\-/@:=])[a-z0-9](?:[a-z0-9\-]{1,61}[a-z0-9])(?![\w\-]|\.[\w\-])")
MAX_NAMES = 40
_WORD = re.compile(r"[a-z0-9]+")
# A workload spelled out in separate words needs one word of at least this many letters.
MIN_SPELLED = 4
# One alert of a group, as the intake writes it: `- <summary> [alertname=X, namespace=ns, cronjob=y]`.
_LABEL_BLOCK = re.compile(r"\[([^\[\]\n]*\balertname=[^\[\]\n]*)\]")
_PAIR = re.compile(r"([A-Za-z_][\w.]*)=([^,\s\]]+)")
# Label keys whose value names the object an alert is about (kube-state-metrics, cAdvisor).
_OBJECT_KEYS = (
    "pod",
    "deployment",
    "statefulset",
    "daemonset",
    "cronjob",
    "job_name",
    "horizontalpodautoscaler",
    "persistentvolumeclaim",
    "service",
)


@dataclass(frozen=True)
class Mention:
    namespace: str
    name: str


def names_in(texts: Iterable[str]) -> tuple[str, ...]:
    """The distinct name-like words of `texts`, in order of first appearance (pod names as their
    workload's name too)."""
    found: list[str] = []
    for text in texts:
        for match in _NAME.finditer((text or "").lower()):
            for word in (match.group(0), workload_of_pod(match.group(0))):
                if word and ("-" in word or len(word) >= 5) and word not in found:
                    found.append(word)
    return tuple(found[:MAX_NAMES])


def lead_alert_names(text: str, alert_name: str | None) -> tuple[str, ...]:
    """In a group of several alerts written out one per line, the object names (`cronjob=pg-backup`,
    `pod=...` and its workload) of the line of the group's lead alert (`alert_name`, the one the
    group's labels name): the subject the other alerts' objects are not. Empty for a single alert."""
    blocks = [dict(_PAIR.findall(block)) for block in _LABEL_BLOCK.findall(text or "")]
    if len(blocks) < 2 or not alert_name:
        return ()
    found: list[str] = []
    for labels in blocks:
        if labels.get("alertname") != alert_name:
            continue
        for key in _OBJECT_KEYS:
            value = labels.get(key, "").lower()
            for word in (value, workload_of_pod(value) if key == "pod" else None):
                if word and _NAME.fullmatch(word) and word not in found:
                    found.append(word)
    return tuple(found)


def words_in(texts: Iterable[str]) -> dict[str, int]:
    """Every lower-case word of `texts` (letters and digits), with where it first appears."""
    found: dict[str, int] = {}
    for text in texts:
        for match in _WORD.finditer((text or "").lower()):
            found.setdefault(match.group(0), len(found))
    return found


def mentioned_workloads(
    names: tuple[str, ...], objects: Iterable[Obj], words: dict[str, int] | None = None
) -> list[Mention]:
    """The workloads among `objects` (pods, by their controller's name, or controllers) whose name
    is one of `names`, in the order the text names them. A name running in several namespaces is
    ambiguous and left out.

    When the text names none exactly by a hyphenated name, a person may still have named one in
    words: "the checkout gateway" for `checkout-gateway`, "the api in payments" for `api` in
    namespace `payments`. A workload counts then when every word of its name is a word of the text
    (`words`, see `words_in`), or when its namespace is a word of the text and so is each word of
    its name; the first such in the text, unambiguous, as before."""
    where: dict[str, set[str]] = {}
    running: dict[tuple[str, str], None] = {}
    for obj in objects:
        name = o.name(obj)
        workload = workload_of_pod(name) if obj.get("kind") == "Pod" else name
        namespace = o.namespace(obj) or "default"
        if workload:
            running[(namespace, workload)] = None
        for candidate in {name, workload}:
            if candidate and candidate in names:
                where.setdefault(candidate, set()).add(namespace)
    exact = [
        Mention(next(iter(where[name])), name) for name in names if name in where and len(where[name]) == 1
    ]
    if not words or any("-" in m.name for m in exact):
        return exact
    # A name spelled out in several words says more than one plain word that is also a name.
    spelled = _named_in_words(list(running), words)
    return [*spelled, *(m for m in exact if m not in spelled)]


def _named_in_words(workloads: list[tuple[str, str]], words: dict[str, int]) -> list[Mention]:
    """See `mentioned_workloads`: the workloads whose name the text spells out in separate words."""
    spelled: dict[str, tuple[int, set[str]]] = {}
    for namespace, name in workloads:
        parts = [p for p in name.split("-") if p]
        qualified = namespace in words
        if not parts or not all(p in words for p in parts):
            continue
        if len(parts) < 2 and not qualified:
            continue  # one plain word ("api", "worker") names a workload only with its namespace
        if max(len(p) for p in [*parts, *([namespace] if qualified else [])]) < MIN_SPELLED:
            continue
        at = min(words[p] for p in parts)
        first, namespaces = spelled.get(name, (at, set()))
        spelled[name] = (min(first, at), namespaces | {namespace})
    out = []
    for name, (_, namespaces) in sorted(spelled.items(), key=lambda item: (item[1][0], item[0])):
        named = [ns for ns in namespaces if ns in words]
        if len(namespaces) == 1 or len(named) == 1:
            out.append(Mention(named[0] if named else next(iter(namespaces)), name))
    return out


def scoped_to(scope: Scope, mentions: list[Mention]) -> Scope:
    """The alert's scope narrowed to the first workload its text names (its namespace), with the next
    one it names in that namespace as the service the first depends on or is reached through."""
    first = mentions[0]
    second = next((m.name for m in mentions[1:] if m.namespace == first.namespace), None)
    return replace(
        scope,
        namespace=first.namespace,
        workload=first.name,
        pod=None,
        service=second or scope.service,
    )
