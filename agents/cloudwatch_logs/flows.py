"""VPC flow log REJECT records tied to the connections a workload fails to make. Pure.

A flow record names only addresses: on its own, a REJECT elsewhere in the VPC is background (port
scans are rejected all day). When the destination of rejected records is the address a workload's
errors say it cannot reach (`dial tcp 3.120.1.8:443: i/o timeout`, `connection to server at "db"
(10.20.33.41), port 5432 failed: Connection timed out`), the REJECT is about the alert's workload,
and its timeouts are a network block (a security group or NACL), not a dependency being down.
"""

from __future__ import annotations

import re

from shared.contracts import CauseCategory, EvidenceKind, Finding

# Default format v2: version account-id interface-id srcaddr dstaddr srcport dstport protocol packets
# bytes start end action log-status.
_FLOW = re.compile(
    r"^\s*\d+\s+(?:\d{12}|-)\s+eni-[0-9a-f]+\s+(?P<src>\S+)\s+(?P<dst>\S+)\s+\d+\s+(?P<port>\d+)\s+\d+\s+"
    r"\d+\s+\d+\s+\d+\s+\d+\s+(?P<action>ACCEPT|REJECT)\b"
)
# Connection failures: what the link rewrites from dependency to network.
_TIMED_OUT = (CauseCategory.DEPENDENCY_FAILURE, CauseCategory.NETWORK_FAILURE, None)


def rejected_destination(finding: Finding) -> tuple[str, str] | None:
    """(destination address, port) of a finding made of REJECT flow records."""
    for evidence in finding.evidence:
        if evidence.kind is EvidenceKind.LOG_LINE:
            match = _FLOW.match(evidence.excerpt)
            if match and match.group("action") == "REJECT":
                return match.group("dst"), match.group("port")
    return None


def _names(finding: Finding, address: str, port: str) -> bool:
    text = " ".join(
        [finding.title, *(e.excerpt for e in finding.evidence if e.kind is EvidenceKind.LOG_LINE)]
    )
    ip = re.escape(address)
    return (
        re.search(rf"(?<![\d.]){ip}:{port}\b", text) is not None
        or re.search(rf"(?<![\d.]){ip}\)?,? port {port}\b", text) is not None
    )


def link_rejected_flows(findings: list[Finding]) -> list[Finding]:
    """Raise REJECT findings whose destination a workload's error names to that error's relevance,
    and read those errors as a network block."""
    rejects = {f.id: dst for f in findings if (dst := rejected_destination(f)) is not None}
    if not rejects:
        return findings
    out: dict[str, Finding] = {f.id: f for f in findings}
    for reject_id, (address, port) in rejects.items():
        victims = [
            f
            for f in findings
            if f.id not in rejects and f.cause_hint in _TIMED_OUT and _names(f, address, port)
        ]
        if not victims:
            continue
        best = max(victims, key=lambda f: f.relevance)
        reject = out[reject_id]
        out[reject_id] = reject.model_copy(
            update={
                "relevance": max(reject.relevance, best.relevance),
                "severity": max(reject.severity, best.severity, key=lambda s: s.rank),
                "title": reject.title.replace(
                    ": ", f" to {address}:{port}, which {_who(best)} fails to reach: ", 1
                )[:300],
                "resources": tuple(dict.fromkeys([*reject.resources, *best.resources])),
            }
        )
        for victim in victims:
            if victim.cause_hint is not CauseCategory.NETWORK_FAILURE:
                out[victim.id] = victim.model_copy(
                    update={
                        "cause_hint": CauseCategory.NETWORK_FAILURE,
                        "detail": (
                            f"{victim.detail}\nVPC flow logs REJECT the connections to {address}:{port}."
                        ),
                    }
                )
    return [out[f.id] for f in findings]


def _who(finding: Finding) -> str:
    named = [r for r in finding.resources if not r.startswith("/")]
    return named[0] if named else "the workload"
