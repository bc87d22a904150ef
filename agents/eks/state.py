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
