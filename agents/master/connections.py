"""Changes connected to the target by what the evidence names, though the change does not name the
target. Pure and deterministic.

- **By the name of the thing changed**: someone flipped a feature flag, edited a config value,
  started a job or created an IngressClass, and said so in chat without naming the target. When the
  target's own logs or objects (the findings about it) name that thing (`cart-autosave-v2`,
  `nginx-public`), the change is connected to the target (`shared.causes.CHANGED_THING`).
- **A new client**: a series that only began in the window (`shared.causes.NEW_SERIES`, "rose from
  zero") is not a traffic surge but a new thing: it is neither a traffic change nor a traffic spike.
  When it is about a client of what the target depends on (it names that dependency), the change
  to that client (it was scaled out, started) is on the target's path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from agents.master.chain import Path, about, finding_text, names_any, subjects, touches, workloads
from agents.master.names import same_as_any
from shared.causes import CHANGED_THING, NEW_SERIES
from shared.contracts import CauseCategory, EvidenceKind, Finding, Trigger

MIN_NAME = 5
# Names too common to tie a change to anything.
_COMMON = frozenset({"kube-system", "kube-public", "default", "production", "staging", "us-east-1"})


def is_new_series(finding: Finding) -> bool:
    """A series that only began in the window, reported as a rise in traffic."""
    return (finding.change is Trigger.TRAFFIC or finding.cause_hint is CauseCategory.TRAFFIC_SPIKE) and bool(
        NEW_SERIES.search(" ".join([finding.title, finding.detail]))
    )


def not_surges(findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, with each series that only began in the window no longer a traffic change or a
    traffic spike: it is a new thing, and the change that started it is what to look for."""
    out = []
    for f in findings:
        if is_new_series(f):
            f = f.model_copy(
                update={
                    "change": None if f.change is Trigger.TRAFFIC else f.change,
                    "cause_hint": None if f.cause_hint is CauseCategory.TRAFFIC_SPIKE else f.cause_hint,
                }
            )
        out.append(f)
    return out


def changed_things(change: Finding, context: Iterable[str] = ()) -> list[str]:
    """The names a change gives the thing it touches: its resources, and the quoted or hyphenated
    names in its title and the message that announced it (not a channel, nor the cluster, region
    or namespace the alert is in: `context`)."""
    skip = {r.split("/", 1)[1] for r in change.resources if r.startswith("Namespace/")}
    skip |= {c.lower() for c in context if c}
    names = [r for r in change.resources if "/" not in r]
    # A rollout is of the workload it names; other changes name what they touch in their words.
    words = [change.title, *(e.excerpt for e in change.evidence if e.kind is EvidenceKind.CHAT_MESSAGE)]
    for m in CHANGED_THING.finditer(" ".join(words) if change.change is not Trigger.DEPLOY else ""):
        names.append((m.group("quoted") or m.group("name")).strip(".-/"))
    return list(
        dict.fromkeys(
            n
            for n in names
            if len(n) >= MIN_NAME
            and n.lower() not in _COMMON
            and n.lower() not in skip
            and not re.fullmatch(r"[\d.\-]+|v?\d[\w.\-]*", n)
            and ("-" in n or "_" in n or "." in n or n.startswith(("`", "'")) or n in change.resources)
        )
    )


def _about_target(finding: Finding, path: Path) -> bool:
    return bool(path.target) and (
        about(finding, path.target) or any(same_as_any(w, path.target) for w in workloads(finding))
    )


def named_by_target(findings: Sequence[Finding], path: Path, context: Iterable[str] = ()) -> set[str]:
    """Ids of the changes that do not name the target but touch a thing the target's own findings
    (its logs, its objects) name: a flag, a key, a class, or the workload a rollout is of (the
    admission controller its FailedCreate names). `context`: the cluster, region and namespace,
    which name nothing."""
    own = " ".join(
        finding_text(f) for f in findings if f.change in (None, Trigger.NONE) and _about_target(f, path)
    )
    if not own:
        return set()
    target = {t.lower() for t in path.target}
    out = set()
    for f in findings:
        if f.change in (None, Trigger.NONE) or touches(f, path.target):
            continue
        things = [
            n for n in changed_things(f, context) if n.lower() not in target and not same_as_any(n, target)
        ]
        if things and names_any(own, things):
            out.add(f.id)
    return out


def new_clients(findings: Sequence[Finding], path: Path) -> set[str]:
    """The workloads a series that only began in the window is about, when it names something the
    target depends on (a new client of the target's database)."""
    out: set[str] = set()
    for f in findings:
        if not is_new_series(f):
            continue
        if not any(touches(f, d.names) for d in path.dependencies):
            continue
        out.update(
            n for n in (*subjects(f), *workloads(f)) if n.lower() not in {t.lower() for t in path.target}
        )
    return out


def started_new_clients(findings: Sequence[Finding], clients: Iterable[str]) -> set[str]:
    """Ids of the changes to one of `clients` (it was scaled out, started)."""
    names = [c for c in clients if c]
    if not names:
        return set()
    return {f.id for f in findings if f.change not in (None, Trigger.NONE) and touches(f, names)}
