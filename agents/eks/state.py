"""What the EKS scanner fetched: objects by kind, pod log tails, and what was cut short."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from agents.eks.objects import EventIndex, Obj


@dataclass
class ClusterState:
    """The fetched slice of a cluster. `namespaces` is None when lists were cluster-wide."""

    objects: dict[str, list[Obj]] = field(default_factory=dict)
    # "namespace/pod/container" or ".../previous" -> log tail text
    logs: dict[str, str] = field(default_factory=dict)
    # kinds whose listing hit its limit, failed, or was never made (ConfigMaps, Secrets and
    # Services in a cluster-wide scan): absence there proves nothing
    incomplete: set[str] = field(default_factory=set)
    namespaces: list[str] | None = None
    # (kind, namespace, name) read by name outside the listed namespaces (a webhook's Service):
    # found, they are among `objects`; not found, they do not exist
    looked_up: set[tuple[str, str, str]] = field(default_factory=set)
    # namespaced kinds listed across all namespaces even when `namespaces` is set (Gateways)
    cluster_wide: set[str] = field(default_factory=set)
    # kinds read because the cluster's discovery served them, not from the scanner's fixed list:
    # the key under `objects` -> the group/version they were read at (`external-secrets.io/v1beta1`)
    discovered: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, objects: Iterable[Obj], logs: dict[str, str] | None = None, namespaces: list[str] | None = None
    ) -> ClusterState:
        """Group manifests by kind (as a scenario file or a List response holds them)."""
        state = cls(logs=dict(logs or {}), namespaces=namespaces)
        for obj in objects:
            state.objects.setdefault(str(obj.get("kind", "")), []).append(obj)
        return state

    def kind(self, kind: str) -> list[Obj]:
        return self.objects.get(kind, [])

    @property
    def pods(self) -> list[Obj]:
        return self.kind("Pod")

    @property
    def events(self) -> list[Obj]:
        return self.kind("Event")

    def event_index(self) -> EventIndex:
        return EventIndex.of(self.events)

    def complete(self, kind: str) -> bool:
        """Whether every object of `kind` in scope was read, so that absence means absence."""
        return kind not in self.incomplete

    def known_absent(self, kind: str, namespace: str | None, name: str) -> bool:
        """True when `kind` `namespace/name` was read for and is not there: its namespace (or the
        cluster, for cluster-scoped kinds) was listed in full, or it was looked up by name."""
        if any(o_ns == namespace and o_name == name for o_ns, o_name in self._names(kind)):
            return False
        if (kind, namespace or "", name) in self.looked_up:
            return True
        if not self.complete(kind):
            return False
        return (
            namespace is None
            or self.namespaces is None
            or kind in self.cluster_wide
            or namespace in self.namespaces
        )

    def _names(self, kind: str) -> list[tuple[str | None, str]]:
        return [
            ((obj.get("metadata") or {}).get("namespace"), str((obj.get("metadata") or {}).get("name", "")))
            for obj in self.kind(kind)
        ]
