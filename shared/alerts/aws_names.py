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
