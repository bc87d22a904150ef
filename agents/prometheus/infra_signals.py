"""Findings from what the workload runs on and scales with: its HPA against its maximum, its
volumes, and its nodes' disks and conditions. Pure: `Readings` in, `Finding`s out."""

from __future__ import annotations

from datetime import datetime

from agents.prometheus.changepoint import detect_change, first_crossing, linear_eta
from agents.prometheus.common import RELEVANT, Frame, by_key, fmt_bytes, fmt_number, fmt_pct, hhmm
from agents.prometheus.readings import Readings
from shared.contracts import CauseCategory, Finding, Severity

VOLUME_WARN = 0.85
VOLUME_FULL = 0.9
NODE_FS_FREE = 0.1


def hpa(readings: Readings, frame: Frame) -> list[Finding]:
    names = ("namespace", "horizontalpodautoscaler")
    maxima = by_key(readings.get("hpa_max"), names)
    desired = by_key(readings.get("hpa_desired"), names)
    findings = []
    for current in readings.get("hpa_current"):
        key = tuple(current.labels.get(n, "") for n in names)
        top = maxima.get(key)
        if top is None or not top.values or not current.values:
            continue
        limit = top.values[-1]
        at_max = [(t, v - limit) for t, v in current.points]
        since = first_crossing(at_max, 0.0)
        if since is None or len([1 for t, _ in at_max if t >= since]) < 3:
            continue
        want = desired.get(key)
        wanted = (
            f", desired {fmt_number(want.values[-1])}"
            if want and want.values and want.values[-1] > limit
            else ""
        )
        change = detect_change(current.points)
        grew = (
            f" Replicas rose from {fmt_number(round(change.before))} from {hhmm(change.onset)}."
            if change and change.rising
            else ""
        )
        findings.append(
            frame.finding(
                f"hpa-at-max:{key[0]}/{key[1]}",
                severity=Severity.CRITICAL,
                title=(
                    f"HPA {key[0]}/{key[1]} at its maximum: {fmt_number(current.values[-1])} of "
                    f"{fmt_number(limit)} replicas since {hhmm(since)}{wanted}"
                ),
                detail=f"The autoscaler cannot add replicas beyond maxReplicas={fmt_number(limit)}.{grew}",
                resources=(f"{key[0]}/HorizontalPodAutoscaler/{key[1]}",),
                first_seen=since,
                last_seen=current.points[-1][0],
                evidence=(
                    frame.evidence(
                        f"{readings.expr('hpa_current')} >= on (namespace, horizontalpodautoscaler) "
                        f"{readings.expr('hpa_max')}",
                        f"current {fmt_number(current.values[-1])}, max {fmt_number(limit)}",
                        since,
                    ),
                ),
                cause_hint=CauseCategory.SCALING_LIMIT,
                relevance=0.85,
            )
        )
    return findings


def volumes(readings: Readings, frame: Frame) -> list[Finding]:
    names = ("namespace", "persistentvolumeclaim")
    capacity = by_key(readings.get("volume_capacity"), names)
    findings = []
    for used in readings.get("volume_used"):
        key = tuple(used.labels.get(n, "") for n in names)
        cap = capacity.get(key)
        if cap is None or not cap.values or cap.values[-1] <= 0 or not used.values:
            continue
        size = cap.values[-1]
        ratios = [(t, v / size) for t, v in used.points]
        ratio = ratios[-1][1]
        if ratio < VOLUME_WARN:
            continue
        recent = [p for p in ratios if p[0] >= ratios[-1][0] - frame.window / 2]
        eta = linear_eta(recent, 1.0)
        full_in = (
            f", full in ~{max(1, round(eta / 60))} min at the current rate"
            if eta is not None and eta < 6 * 3600
            else ""
        )
        urgent = ratio >= 0.95 or (ratio >= VOLUME_FULL and eta is not None and eta < 3600)
        names_ = [n for n in (frame.subject.workload, frame.subject.service) if n]
        related = key[1] == frame.subject.volume or any(n in key[1] for n in names_)
        onset = first_crossing(ratios, VOLUME_WARN) or ratios[0][0]
        findings.append(
            frame.finding(
                f"volume-filling:{key[0]}/{key[1]}",
                severity=Severity.CRITICAL if urgent else Severity.WARNING,
                title=(
                    f"Volume {key[0]}/{key[1]} is {fmt_pct(ratio)} full ({fmt_bytes(used.values[-1])} of "
                    f"{fmt_bytes(size)}){full_in}"
                ),
                resources=(f"{key[0]}/PersistentVolumeClaim/{key[1]}",),
                first_seen=onset,
                last_seen=ratios[-1][0],
                evidence=(
                    frame.evidence(
                        f"{readings.expr('volume_used')} / {readings.expr('volume_capacity')}",
                        f"{fmt_pct(ratio)} used",
                        ratios[-1][0],
                    ),
                ),
                cause_hint=CauseCategory.DISK_FULL if ratio >= VOLUME_FULL else None,
                relevance=RELEVANT if related else 0.6,
            )
        )
    return findings


def node_disks(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for free in readings.get("node_fs_free"):
        if not free.values or free.values[-1] > NODE_FS_FREE:
            continue
        labels = free.labels
        below = first_crossing(free.points, NODE_FS_FREE, above=False) or free.points[0][0]
        findings.append(
            frame.finding(
                f"node-disk:{labels.get('instance', '')}{labels.get('mountpoint', '')}",
                severity=Severity.CRITICAL if free.values[-1] <= 0.05 else Severity.WARNING,
                title=f"Filesystem {labels.get('mountpoint', '?')} on {labels.get('instance', '?')} has only "
                f"{fmt_pct(free.values[-1])} free",
                resources=(f"Node/{labels.get('instance', '').split(':')[0]}",),
                first_seen=below,
                last_seen=free.points[-1][0],
                evidence=(
                    frame.evidence(readings.expr("node_fs_free"), f"{fmt_pct(free.values[-1])} free", below),
                ),
                cause_hint=CauseCategory.DISK_FULL,
                relevance=0.6,
            )
        )
    return findings


def nodes(readings: Readings, frame: Frame) -> list[Finding]:
    findings = []
    for series in readings.get("node_conditions"):
        node, condition = series.labels.get("node", "?"), series.labels.get("condition", "?")
        if not series.values:
            continue
        bad_now = series.values[-1] < 1 if condition == "Ready" else series.values[-1] >= 1
        if not bad_now:
            continue
        onset: datetime | None = (
            first_crossing(series.points, 0.0, above=False)
            if condition == "Ready"
            else first_crossing(series.points, 1.0)
        )
        state = "NotReady" if condition == "Ready" else f"{condition}=True"
        findings.append(
            frame.finding(
                f"node-condition:{node}/{condition}",
                severity=Severity.CRITICAL if condition == "Ready" else Severity.WARNING,
                title=f"Node {node} is {state}" + (f" since {hhmm(onset)}" if onset else ""),
                resources=(f"Node/{node}",),
                first_seen=onset,
                last_seen=series.points[-1][0],
                evidence=(frame.evidence(readings.expr("node_conditions"), state, onset),),
                cause_hint=CauseCategory.NODE_FAILURE,
                relevance=0.6,
            )
        )
    return findings
