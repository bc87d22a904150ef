"""A process's own gauges against their maximum: a JVM heap that climbed to its max, file
descriptors at their limit; a heap with room, or a series without a maximum, says nothing."""

from __future__ import annotations

from test_prometheus_analyzers import POINTS, analyze, frame, line, only, ramp, readings, steps

from agents.prometheus.promql import Subject
from agents.prometheus.signals import Discovery, build_plan
from shared.contracts import CauseCategory, Severity

HEAP = {"namespace": "catalog", "service": "quotes", "area": "heap"}


def test_a_heap_that_climbed_to_its_maximum_and_restarted_is_oom() -> None:
    leaking = [1.0e9 + 2.0e9 * i / 99 for i in range(100)] + [3.0e8] * 20  # reached the max, then died
    found = analyze(
        readings(
            heap_used=[line({**HEAP, "pod": "quotes-5f6c7d8b9-j4vbn"}, leaking)],
            heap_max=[line(HEAP, [3.0e9] * POINTS)],
        ),
        frame(namespace="catalog", service="quotes"),
    )
    heap = only(found, "heap-near-max")
    assert heap.cause_hint is CauseCategory.OOM and heap.severity is Severity.CRITICAL
    assert "quotes JVM heap reached" in heap.title and "quotes-5f6c7d8b9-j4vbn" in heap.title
    assert "of 2.79 GiB" in heap.title and "restarted" in heap.title


def test_file_descriptors_at_their_limit_are_an_exhausted_pool() -> None:
    fds = {"namespace": "maps", "job": "tiles", "pod": "tiles-9c8b7a6d5-fw2lk"}
    found = analyze(
        readings(
            fds_used=[line(fds, ramp(700, 1024, at=0)[: POINTS - 30] + [1024] * 30)],
            fds_max=[line({"namespace": "maps", "job": "tiles"}, [1024] * POINTS)],
        ),
        frame(namespace="maps", service="tiles"),
    )
    f = only(found, "fds-near-max")
    assert f.cause_hint is CauseCategory.RESOURCE_POOL_EXHAUSTION and f.severity is Severity.CRITICAL
    assert "open file descriptors at 100% of its maximum (1024 of 1024)" in f.title


def test_room_left_or_no_maximum_says_nothing() -> None:
    pod = {**HEAP, "pod": "quotes-5f6c7d8b9-j4vbn"}
    assert not analyze(
        readings(heap_used=[line(pod, steps(1.0e9, 1.2e9, 60))], heap_max=[line(HEAP, [3.0e9] * POINTS)]),
        frame(namespace="catalog", service="quotes"),
    )
    assert not analyze(readings(heap_used=[line(pod, [3.0e9] * POINTS)]), frame(namespace="catalog"))


def test_the_plan_reads_heap_and_descriptors_only_when_both_gauges_exist() -> None:
    discovery = Discovery()
    discovery.add(
        "app",
        'service="quotes"',
        [
            {
                "__name__": "jvm_memory_used_bytes",
                "namespace": "catalog",
                "service": "quotes",
                "area": "heap",
            },
            {"__name__": "jvm_memory_max_bytes", "namespace": "catalog", "service": "quotes", "area": "heap"},
            {"__name__": "process_open_fds", "namespace": "catalog", "service": "quotes"},
        ],
    )
    plan = build_plan(discovery, Subject(namespace="catalog", service="quotes"))
    assert 'jvm_memory_used_bytes{namespace="catalog",service="quotes",area="heap"}' in plan["heap_used"]
    assert "> 0" in plan["heap_max"]
    assert "fds_used" not in plan
