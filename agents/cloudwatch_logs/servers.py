"""A database's own log, tied to the workload whose errors it explains. Pure.

A workload's log often says what its database answered (`PG::DiskFull: could not extend file`,
`remaining connection slots are reserved`) without naming the database. The database's own log
group (`/aws/rds/instance/<name>/postgresql`, `/aws/rds/cluster/<name>/error`) holds the same
failure from the server's side, and its name is the database's. On its own a database's errors are
background; when they show the same cause as the workload's errors in the same window, they are
the server side of that failure and as relevant: the report then names the database.
"""

from __future__ import annotations

import re

from shared.contracts import Finding
from shared.relevance import Relevance

_GROUP = re.compile(r"^/aws/rds/(?:instance|cluster|proxy)/(?P<name>[^/]+)/")


def database_of(group: str) -> str | None:
    """`shop-pg-prod` of `/aws/rds/instance/shop-pg-prod/postgresql`."""
    m = _GROUP.match(group)
    return m.group("name") if m else None


def _databases(finding: Finding) -> list[str]:
    return [name for r in finding.resources if (name := database_of(r))]


def link_server_errors(findings: list[Finding]) -> list[Finding]:
    """Raise each finding from a database's own log that shows the cause a workload's own errors
    show (the most relevant of them) to that relevance, naming the database among its resources."""
    clients = [
        f
        for f in findings
        if f.cause_hint is not None and not _databases(f) and f.relevance >= Relevance.UNSURE
    ]
    out = []
    for f in findings:
        names = _databases(f)
        same = [c for c in clients if c.cause_hint is f.cause_hint]
        if names and same and f.cause_hint is not None:
            best = max(same, key=lambda c: (c.relevance, c.id))
            if names[0] not in f.resources:
                where = ", ".join(c for c in _where(best))
                f = f.model_copy(
                    update={
                        "relevance": max(f.relevance, best.relevance),
                        "resources": tuple(dict.fromkeys([*f.resources, *names])),
                        "detail": (
                            f"{f.detail}\nThe database {names[0]} logs the same failure as "
                            f"{where or 'the workload'}: the server side of its errors."
                        ).strip(),
                    }
                )
        out.append(f)
    return out


def _where(finding: Finding) -> list[str]:
    return [r for r in finding.resources if not r.startswith("/")][:1]
