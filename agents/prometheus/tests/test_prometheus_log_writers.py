"""A node short of disk: the container whose logs grew most on it is named, with its node and what
it wrote; a node with room, or logs that barely grew, name nobody."""

from __future__ import annotations

from test_prometheus_analyzers import frame, line, ramp, readings

from agents.prometheus.analyzers import analyze
from agents.prometheus.signals import node_lookups
from shared.contracts import CauseCategory

NODE = "ip-10-70-2-58.ap-southeast-2.compute.internal"
GIB = float(1 << 30)


def _logs(ns: str, pod: str, container: str, first: float, last: float) -> object:
    return line({"namespace": ns, "pod": pod, "container": container, "node": NODE}, ramp(first, last))


def _found(free_at_end: float) -> list:
    return analyze(
        readings(
            node_fs_free=[line({"instance": "10.70.2.58:9100", "mountpoint": "/"}, ramp(0.6, free_at_end))],
            log_used=[
                _logs("finance", "ledger-sync-84f6c9d7b-wq5tz", "ledger-sync", 0.001 * GIB, 48 * GIB),
                _logs("pricing", "pricing-api-6c7d8f9b5-8fj2k", "pricing-api", 0.002 * GIB, 0.002 * GIB),
            ],
        ),
        frame(namespace="pricing", node="10.70.2.58"),
    )


def test_the_container_filling_a_short_node_with_logs_is_named() -> None:
    writers = [f for f in _found(0.03) if ":log-writer:" in f.id]
    assert len(writers) == 1
    [writer] = writers
    assert "ledger-sync" in writer.title and NODE in writer.title and "ephemeral-storage" in writer.title
    assert "48 GiB" in writer.title
    assert writer.cause_hint is CauseCategory.DISK_FULL
    assert "finance/Pod/ledger-sync-84f6c9d7b-wq5tz" in writer.resources


def test_a_node_with_room_names_no_writer() -> None:
    assert not [f for f in _found(0.5) if ":log-writer:" in f.id]


def test_a_node_named_by_its_address_is_looked_up_by_its_host_name_too() -> None:
    [(kind, _, [matchers]), _] = node_lookups(["10.70.2.58"])
    assert kind == "node" and "ip-10-70-2-58" in matchers
