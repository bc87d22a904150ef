"""The change that set a rollout off, in place of the rollout. A rollout of a workload that follows a
change someone announced to the same workload (a secret's keys renamed and a reloader restarting its
pods, `kubectl set env`, a ConfigMap edited and the pods restarted to read it) is how that change
took effect: when the change fits the cause, it is the trigger, the rollout its consequence. Pure and
deterministic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from agents.master.chain import touches, workloads
from agents.master.decision import announced
from agents.master.ranking import TriggerCandidate
from shared.causes import fits
from shared.contracts import CauseCategory, Trigger

# How long before a rollout the change that set it off may have been made (a sync or refresh interval:
# External Secrets' hourly refresh, a reloader's restart after it).
SET_OFF_WITHIN = timedelta(hours=3)


def _rollout_names(candidate: TriggerCandidate) -> list[str]:
    f = candidate.finding
    return [
        *workloads(f),
        *(r.rsplit("/", 1)[-1] for r in f.resources if "/Deployment/" in r or "/StatefulSet/" in r),
    ]


def set_off_by(candidates: Sequence[TriggerCandidate], category: CauseCategory) -> TriggerCandidate | None:
    """The announced change that set off the best candidate when it is an observed rollout: a config
    or infrastructure change that fits `category`, touches the rollout's workload and was made at most
    `SET_OFF_WITHIN` before it (an undated rollout: before the alert, as every candidate is). The
    earliest such change first; None when there is none."""
    if not candidates:
        return None
    best = candidates[0]
    if best.finding.change is not Trigger.DEPLOY or announced(best.finding):
        return None
    names = _rollout_names(best)
    if not names:
        return None
    before = [
        c
        for c in candidates[1:]
        if c.finding.change in (Trigger.CONFIG_CHANGE, Trigger.INFRASTRUCTURE)
        and announced(c.finding)
        and fits(c.finding.change, category)
        and touches(c.finding, names)
        and c.at is not None
        and (best.at is None or best.at - SET_OFF_WITHIN <= c.at <= best.at)
    ]
    return min(before, key=lambda c: (c.at, c.finding.id)) if before else None
