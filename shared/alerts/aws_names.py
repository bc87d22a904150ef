"""Kubernetes names inside the names of the AWS resources made for them.

The AWS Load Balancer Controller names the load balancers and target groups it creates
`k8s-<namespace[:8]>-<name[:8]>-<hash of 10 hex>` (the Service's name for a target group, the
Ingress's for a load balancer); CloudWatch alarms and exporters label them by those names
(`targetgroup/k8s-shop-storefro-3c9a1b2d4e/8a7b6c5d4e3f2a10`). A part shorter than 8 characters is
the whole name; one of 8 may be cut short, and is then a prefix of the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LB_NAME = re.compile(
    r"(?:^|[/:\s=\"'])k8s-(?P<ns>[a-z0-9]{1,8})-(?P<name>[a-z0-9]{1,8})-(?P<hash>[0-9a-f]{10})(?=[/\-\s.\"',]|$)"
)
CUT = 8  # the controller keeps this many characters of each name


@dataclass(frozen=True)
class ControllerName:
    namespace: str  # possibly cut short when `CUT` long
    name: str  # the Service's (target group) or Ingress's (load balancer) name, possibly cut short

    @property
    def cut(self) -> bool:
        return len(self.name) >= CUT


def controller_names(values: Iterable[str]) -> list[ControllerName]:
    """The namespace and name in each load balancer or target group name the values hold."""
    out: list[ControllerName] = []
    for value in values:
        for match in _LB_NAME.finditer(value or ""):
            found = ControllerName(match.group("ns"), match.group("name"))
            if found not in out:
                out.append(found)
    return out


# The CloudWatch dimensions that name a data store (an RDS instance or cluster, an ElastiCache
# cluster or replication group), as an alarm's text writes them (`Dimensions: DBInstanceIdentifier =
# billing-prod`, `[DBInstanceIdentifier = billing-prod]`) or an exporter labels them
# (`dimension_DBInstanceIdentifier`, `dbinstance_identifier`). Workloads reach the store by a host
# name that carries this name (`billing-prod.c9xq2kfl0abc.us-east-1.rds.amazonaws.com`).
_STORE_KEYS = ("DBInstanceIdentifier", "DBClusterIdentifier", "CacheClusterId", "ReplicationGroupId")
_STORE_TEXT = re.compile(
    rf"\b(?:{'|'.join(_STORE_KEYS)})\s*[=:]\s*[\"']?(?P<name>[A-Za-z][A-Za-z0-9\-]{{1,62}})", re.IGNORECASE
)
_STORE_LABEL = re.compile(
    r"^(?:dimension_)?(?:db_?instance_?identifier|db_?cluster_?identifier|cache_?cluster_?id"
    r"|replication_?group_?id)$",
    re.IGNORECASE,
)


def data_store_name(labels: dict[str, str], texts: Iterable[str]) -> str | None:
    """The data store an alarm is about, by its CloudWatch dimension; None when it names none or
    several."""
    found = {v.strip().lower() for k, v in labels.items() if _STORE_LABEL.match(k) and v.strip()}
    for text in texts:
        found |= {m.group("name").lower() for m in _STORE_TEXT.finditer(text or "")}
    return found.pop() if len(found) == 1 else None
