"""Benchmark the EKS scanner's read and analysis on a large cluster.

The sandbox's Kubernetes API (another process, on loopback) serves a synthetic cluster: 5,000
pods and 500 Deployments (with their ReplicaSets and Services) over 50 namespaces, 20,000 events,
100 nodes, CronJobs, Ingresses and NetworkPolicies, and custom resources of 20 CRDs (5 per
namespace each, some failing, plus 5 cluster-scoped kinds) that the scanner finds through
discovery. The scanner (`EksScanner.collect`, the official client on the wire) answers one alert
about a crashing pod in one namespace, and one alert that names no namespace (cluster-wide
lists). Prints each scan's wall time and this process's peak memory (tracemalloc peak of the
scan, and the process's max RSS); the targets are under 3 s and 300 MB. `--json FILE` writes the
figures; the exit status is 1 when a target is missed.

    python scripts/bench_eks_scan.py [--pods 5000] [--deployments 500] [--events 20000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.common.base import Budget
from agents.eks.agent import EksScanner
from sandbox.alert_context import build_alert_context
from shared.config import load_config
from shared.contracts import AlertContext

TOKEN = "bench-token"
SECONDS_TARGET = 3.0
MEMORY_TARGET_MB = 300.0


def _ts(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster(pods: int, deployments: int, events: int, nodes: int = 100) -> list[dict[str, Any]]:
    """A synthetic cluster in the API's JSON shape; the first pod of ns-000/app-000 crashes."""
    namespaces = max(1, deployments // 10)
    objects: list[dict[str, Any]] = []
    for n in range(nodes):
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": f"ip-10-0-{n // 250}-{n % 250}.ec2.internal", "labels": {}},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            }
        )
    per_deployment = max(1, pods // deployments)
    for d in range(deployments):
        ns, app = f"ns-{d % namespaces:03d}", f"app-{d:03d}"
        rs = f"{app}-5d4c3b2a1"
        labels = {"app": app}
        template = {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": f"repo/{app}:v1"}]},
        }
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns, "generation": 3},
                "spec": {
                    "replicas": per_deployment,
                    "selector": {"matchLabels": labels},
                    "template": template,
                },
                "status": {
                    "observedGeneration": 3,
                    "replicas": per_deployment,
                    "readyReplicas": per_deployment,
                    "updatedReplicas": per_deployment,
                },
            }
        )
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs,
                    "namespace": ns,
                    "ownerReferences": [{"kind": "Deployment", "name": app, "controller": True}],
                },
                "spec": {
                    "replicas": per_deployment,
                    "selector": {"matchLabels": labels},
                    "template": template,
                },
                "status": {"replicas": per_deployment, "readyReplicas": per_deployment},
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": app, "namespace": ns},
                "spec": {"selector": labels, "ports": [{"port": 80}]},
            }
        )
        for p in range(per_deployment):
            crash = d == 0 and p == 0
            state = (
                {"waiting": {"reason": "CrashLoopBackOff"}} if crash else {"running": {"startedAt": _ts(600)}}
            )
            status: dict[str, Any] = {
                "name": "app",
                "ready": not crash,
                "restartCount": 7 if crash else 0,
                "state": state,
            }
            if crash:
                status["lastState"] = {
                    "terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": _ts(1)}
                }
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{rs}-{p:05d}",
                        "namespace": ns,
                        "labels": {**labels, "pod-template-hash": "5d4c3b2a1"},
                        "creationTimestamp": _ts(600),
                        "ownerReferences": [{"kind": "ReplicaSet", "name": rs, "controller": True}],
                    },
                    "spec": {
                        "nodeName": f"ip-10-0-0-{(d + p) % nodes}.ec2.internal",
                        "containers": template["spec"]["containers"],
                    },
                    "status": {"phase": "Running", "containerStatuses": [status]},
                }
            )
    for e in range(events):
        d = e % deployments
        ns, app = f"ns-{d % namespaces:03d}", f"app-{d:03d}"
        warning = e % 5 == 0
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{app}.{e:06d}", "namespace": ns},
                "involvedObject": {"kind": "Pod", "name": f"{app}-5d4c3b2a1-00000", "namespace": ns},
                "type": "Warning" if warning else "Normal",
                "reason": "BackOff" if warning else "Pulled",
                "message": "Back-off restarting failed container app"
                if warning
                else "Container image already present",
                "count": 1 + e % 7,
                "firstTimestamp": _ts(60),
                "lastTimestamp": _ts(e % 50),
            }
        )
    for n in range(namespaces):
        ns = f"ns-{n:03d}"
        objects += [
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "nightly", "namespace": ns},
                "spec": {
                    "schedule": "0 3 * * *",
                    "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}},
                },
            },
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "web", "namespace": ns},
                "spec": {
                    "rules": [
                        {
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": f"app-{n:03d}", "port": {"number": 80}}
                                        },
                                    }
                                ]
                            }
                        }
                    ]
                },
            },
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny-ingress", "namespace": ns},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
            },
        ]
    return objects


def custom_resources(kinds: int, per_namespace: int, namespaces: int) -> list[dict[str, Any]]:
    """Objects of `kinds` namespaced CRDs (and a quarter as many cluster-scoped ones), each object's
    status in the usual `conditions` shape, one in five not Ready."""
    objects: list[dict[str, Any]] = []
    for k in range(kinds):
        group = f"bench{k:02d}.example.io"
        objects.append(_crd(group, f"Widget{k:02d}", "Namespaced"))
        for n in range(namespaces):
            for i in range(per_namespace):
                objects.append(_custom(group, f"Widget{k:02d}", f"w-{i}", f"ns-{n:03d}", failing=i == 0))
    for k in range(max(1, kinds // 4)):
        group = f"cluster{k:02d}.example.io"
        objects.append(_crd(group, f"Pool{k:02d}", "Cluster"))
        objects += [_custom(group, f"Pool{k:02d}", f"p-{i}", None, failing=i == 0) for i in range(20)]
    return objects


def _crd(group: str, kind: str, scope: str) -> dict[str, Any]:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {"kind": kind, "plural": plural},
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }


def _custom(group: str, kind: str, name: str, ns: str | None, *, failing: bool) -> dict[str, Any]:
    condition = {"type": "Ready", "status": "True", "reason": "Reconciled", "lastTransitionTime": _ts(600)}
    if failing:
        condition = {
            "type": "Ready",
            "status": "False",
            "reason": "ReconcileError",
            "message": "upstream rejected the request",
            "lastTransitionTime": _ts(30),
        }
    metadata: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {})}
    return {
        "apiVersion": f"{group}/v1",
        "kind": kind,
        "metadata": metadata,
        "spec": {"targetRef": {"name": "app-000"}},
        "status": {"conditions": [condition]},
    }


def _serve(objects: list[dict[str, Any]], queue: Any) -> None:
    from sandbox.http import ServedApp
    from sandbox.kube import FakeKubeApi

    served = ServedApp(FakeKubeApi(objects, {}, token=TOKEN).app, name="bench-kube")
    queue.put(served.start())
    while True:
        time.sleep(3600)


def alert(text: str, **labels: str) -> AlertContext:
    return build_alert_context(
        platform="slack", channel="C0", text=text, labels=labels, received_at=datetime.now(UTC)
    )


def scan(scanner: EksScanner, ctx: AlertContext) -> dict[str, Any]:
    tracemalloc.start()
    started = time.perf_counter()
    outcome = scanner.collect(ctx, Budget.of(20))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    top = outcome.findings[0].title if outcome.findings else "no finding"
    return {
        "seconds": round(seconds, 3),
        "peak_mb": round(peak / 2**20, 1),
        "findings": len(outcome.findings),
        "top": top[:120],
        "notes": outcome.notes[:4],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--deployments", type=int, default=500)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--custom-kinds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    objects = cluster(args.pods, args.deployments, args.events)
    objects += custom_resources(args.custom_kinds, 5, max(1, args.deployments // 10))
    context = mp.get_context("spawn")
    queue = context.Queue()
    server = context.Process(target=_serve, args=(objects, queue), daemon=True)
    server.start()
    try:
        url = queue.get(timeout=120)
        os.environ["KUBERNETES_BASE_URL"] = url
        os.environ["KUBERNETES_TOKEN"] = TOKEN
        del objects
        scanner = EksScanner(load_config(), "eks")
        scan(scanner, alert("warm-up", namespace="ns-001", pod="app-001-5d4c3b2a1-00000"))
        results = {
            "namespace": scan(
                scanner, alert("KubePodCrashLooping", namespace="ns-000", pod="app-000-5d4c3b2a1-00000")
            ),
            "cluster_wide": scan(scanner, alert("KubePodCrashLooping", pod="app-000-5d4c3b2a1-00000")),
        }
    finally:
        server.terminate()
        server.join(5)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "cluster": {
            "pods": args.pods,
            "deployments": args.deployments,
            "events": args.events,
            "custom_kinds": args.custom_kinds,
        },
        "scans": results,
        "process_max_rss_mb": round(rss_mb, 1),
        "targets": {"seconds": SECONDS_TARGET, "memory_mb": MEMORY_TARGET_MB},
    }
    for name, r in results.items():
        print(
            f"{name:13s} {r['seconds']:6.2f} s  peak {r['peak_mb']:6.1f} MB  "
            f"{r['findings']} findings; top: {r['top']}"
        )
    print(
        f"process max RSS {rss_mb:.0f} MB "
        f"(targets: under {SECONDS_TARGET:.0f} s and {MEMORY_TARGET_MB:.0f} MB)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    ok = all(r["seconds"] < SECONDS_TARGET for r in results.values()) and rss_mb < MEMORY_TARGET_MB
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
