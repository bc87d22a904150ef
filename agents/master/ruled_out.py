"""What was ruled out: the closest change that was not on the path (a deploy of another workload
minutes before), in one line, so the reader sees it was considered."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from agents.master.chain import Path, on_path
from agents.master.decision import ago
from agents.master.ranking import minutes_before, seen_at
from shared.causes import change_words
from shared.contracts import AlertContext, Finding, Trigger

RULED_OUT_WINDOW = timedelta(minutes=30)  # how far back a change off the path is worth a line


def ruled_out(ctx: AlertContext, findings: Sequence[Finding], path: Path, chosen: Finding | None) -> str:
    """The line, or "" when no change off the path was close. The change is described, not named:
    what it touched is not part of this incident."""
    off = []
    for f in findings:
        at = seen_at(f)
        if (
            f.change in (Trigger.DEPLOY, Trigger.CONFIG_CHANGE)
            and at is not None
            and ctx.anchor - RULED_OUT_WINDOW <= at <= ctx.anchor + timedelta(minutes=2)
            and not on_path(f, path)
            and (chosen is None or not _same_time(f, chosen))
        ):
            off.append((abs(minutes_before(ctx, at)), f.id, f))
    if not off:
        return ""
    f = min(off, key=lambda o: o[:2])[2]
    assert f.change is not None
    return (
        f" Ruled out: {change_words(f.change)} {ago(ctx, f)} ({f.agent}) is about another workload, "
        f"not on the path to {path.describe_target()} or what it depends on."
    )


def _same_time(a: Finding, b: Finding) -> bool:
    at, bt = seen_at(a), seen_at(b)
    return at is not None and bt is not None and a.change is b.change and abs((at - bt).total_seconds()) <= 60
