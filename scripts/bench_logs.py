"""Benchmark the CloudWatch Logs scanner's template miner against Drain3 on the same lines.

Generates N synthetic log lines from labelled templates (seeded), clusters them with our miner and
with Drain3 (given equivalent masking), and prints throughput, peak memory (tracemalloc) and the
grouping agreement with the generator's true labels (adjusted Rand index, pairwise F1).

    python scripts/bench_logs.py [--lines 200000] [--seed 7] [--json build/bench_logs.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.common.templates import TemplateMiner

# ---------------------------------------------------------------- the labelled generator

Gen = Callable[[random.Random], str]

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory"]
TABLES = ["orders", "customers", "payments", "invoices", "carts", "sessions", "products"]
BUCKETS = ["orders-archive", "invoices-export", "media-uploads", "audit-trail", "backups-daily"]
CACHES = ["products", "users", "sessions", "prices", "inventory"]
SERVICES = ["checkout", "payments-api", "frontend", "cart", "search", "inventory"]
PATHS = ["/api/cart", "/api/products", "/api/checkout", "/healthz", "/api/users/me", "/api/search"]
CLASSES = ["OrderService", "CartController", "PaymentGateway", "InventoryClient", "PriceCalculator"]
HOSTS = ["db.internal", "cache.internal", "payments-db.cluster-abc", "auth.svc.cluster.local"]


def _ip(r: random.Random) -> str:
    return f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def _ts(r: random.Random) -> str:
    hour, minute, second, ms = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999)
    return f"2026-11-22T{hour:02d}:{minute:02d}:{second:02d}.{ms:03d}Z"


def _pod(r: random.Random) -> str:
    alnum = "bcdfghjklmnpqrstvwxz2456789"
    return f"{r.choice(SERVICES)}-{r.getrandbits(36):09x}-{''.join(r.choice(alnum) for _ in range(5))}"


def _hex(r: random.Random, n: int = 40) -> str:
    return f"{r.getrandbits(n * 4):0{n}x}"


def _uuid(r: random.Random) -> str:
    return str(uuid.UUID(int=r.getrandbits(128)))


TEMPLATES: list[tuple[int, Gen]] = [
    (30, lambda r: f"{_ts(r)} INFO  GET {r.choice(PATHS)} 200 {r.randint(1, 900)}ms"),
    (12, lambda r: f"{_ts(r)} INFO  POST /v1/charges 201 {r.randint(20, 400)}ms"),
    (
        6,
        lambda r: (
            f"{_ts(r)} ERROR HikariPool-1 - Connection is not available, request timed out after "
            f"{r.randint(1000, 30000)}ms (total={r.randint(1, 50)}, active={r.randint(1, 50)}, idle=0, "
            f"waiting={r.randint(0, 99)})"
        ),
    ),
    (5, lambda r: f"{_ts(r)} WARN  user {r.choice(USERS)} failed login from {_ip(r)}"),
    (5, lambda r: f"{_ts(r)} INFO  user {r.choice(USERS)} logged in from {_ip(r)} session {_uuid(r)}"),
    (
        4,
        lambda r: (
            f"{_ts(r)} DEBUG query took {r.randint(1, 500)}ms: SELECT * FROM {r.choice(TABLES)} "
            f"WHERE id = {r.randint(1, 10**6)}"
        ),
    ),
    (
        4,
        lambda r: (
            f"{_ts(r)} ERROR s3 PutObject failed for bucket {r.choice(BUCKETS)}: AccessDenied: "
            f"Access Denied (Service: S3, Status Code: 403, Request ID: {_hex(r, 16).upper()})"
        ),
    ),
    (4, lambda r: f"{_ts(r)} INFO  cache {r.choice(CACHES)} hit ratio {r.random():.3f}"),
    (3, lambda r: f"{_ts(r)} ERROR c.s.checkout.App - java.lang.OutOfMemoryError: Java heap space"),
    (
        3,
        lambda r: (
            f"{_ts(r)} WARN  c.s.checkout.ImageCache - heap usage {r.randint(80, 99)}%, eviction disabled"
        ),
    ),
    (
        3,
        lambda r: (
            f'level=error ts={_ts(r)} caller=client.go:{r.randint(10, 400)} msg="request failed" '
            f'err="dial tcp {_ip(r)}:5432: connect: connection refused"'
        ),
    ),
    (
        3,
        lambda r: (
            f'level=info ts={_ts(r)} caller=server.go:{r.randint(10, 400)} msg="request served" '
            f"path={r.choice(PATHS)} duration={r.random():.4f}s"
        ),
    ),
    (
        3,
        lambda r: (
            f"{_ip(r)} - - [22/Nov/2026:21:{r.randint(10, 59)}:{r.randint(10, 59)} +0000] "
            f'"GET {r.choice(PATHS)} HTTP/1.1" 200 {r.randint(100, 90000)} "-" "curl/8.{r.randint(0, 9)}.1"'
        ),
    ),
    (3, lambda r: f"{_ts(r)} ERROR {r.choice(CLASSES)} - request {_uuid(r)} failed: upstream returned 503"),
    (
        2,
        lambda r: (
            f"{_ts(r)} INFO  pod {_pod(r)} became ready on node ip-10-0-{r.randint(0, 9)}-"
            f"{r.randint(1, 250)}.ec2.internal"
        ),
    ),
    (
        2,
        lambda r: (
            f"E1122 21:{r.randint(10, 59)}:{r.randint(10, 59)}.{r.randint(0, 999999):06d}       1 "
            f"reflector.go:{r.randint(100, 200)}] failed to list *v1.Pod: Unauthorized"
        ),
    ),
    (2, lambda r: f"{_ts(r)} ERROR dns lookup for {r.choice(HOSTS)} failed: no such host"),
    (
        2,
        lambda r: (
            f"{_ts(r)} INFO  committed offset {r.randint(1, 10**7)} for partition {r.randint(0, 31)} "
            f"of topic orders"
        ),
    ),
    (
        2,
        lambda r: (
            f"{_ts(r)} WARN  slow request trace_id={_hex(r, 32)} took {r.randint(1, 9)}.{r.randint(0, 9)}s"
        ),
    ),
    (
        2,
        lambda r: (
            f"{_ts(r)} ERROR ProvisionedThroughputExceededException: Rate of requests exceeds the allowed "
            f"throughput for table {r.choice(TABLES)}"
        ),
    ),
    (
        1,
        lambda r: (
            f"{_ts(r)} ERROR x509: certificate has expired or is not yet valid: current time {_ts(r)} "
            f"is after 2026-11-20T00:00:00Z"
        ),
    ),
    (1, lambda r: f"{_ts(r)} ERROR write /var/lib/app/spool/{_hex(r, 12)}.tmp: no space left on device"),
    (1, lambda r: f"{_ts(r)} INFO  config reloaded: DB_POOL_MAX={r.randint(1, 64)}"),
    (
        1,
        lambda r: (
            f"{_ts(r)} INFO  started {r.choice(SERVICES)} v{r.randint(1, 9)}.{r.randint(0, 20)}."
            f"{r.randint(0, 20)} in {r.randint(1, 9)}.{r.randint(0, 9)}s"
        ),
    ),
    (1, lambda r: f"{_ts(r)} FATAL panic: runtime error: invalid memory address or nil pointer dereference"),
    (
        1,
        lambda r: (
            f'{_ts(r)} ERROR Exception in thread "main" java.lang.NullPointerException: Cannot invoke '
            f'"{r.choice(CLASSES)}.total()" because "order" is null'
        ),
    ),
    (
        1,
        lambda r: (
            f"{_ts(r)} INFO  scheduled job {r.choice(['cleanup', 'reindex', 'export', 'rollup'])} "
            f"finished in {r.randint(1, 900)}ms"
        ),
    ),
    (2, lambda r: f"[{r.choice(SERVICES)}] health check passed in {r.randint(1, 90)}ms"),
    (1, lambda r: f"{r.choice(SERVICES)}: shutting down worker {r.choice(USERS)} gracefully"),
    (1, lambda r: f"{_ts(r)} WARN  retrying request to {r.choice(HOSTS)} attempt {r.randint(1, 5)} of 5"),
]


def generate(n: int, seed: int) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    weights = [w for w, _ in TEMPLATES]
    labels = rng.choices(range(len(TEMPLATES)), weights=weights, k=n)
    lines = [TEMPLATES[label][1](rng) for label in labels]
    return lines, labels


# ---------------------------------------------------------------- agreement with the true labels


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def agreement(truth: Sequence[int], got: Sequence[int]) -> tuple[float, float]:
    """(adjusted Rand index, pairwise F1) of a clustering against the true labels."""
    joint = Counter(zip(truth, got, strict=True))
    same_both = sum(_pairs(c) for c in joint.values())
    same_truth = sum(_pairs(c) for c in Counter(truth).values())
    same_got = sum(_pairs(c) for c in Counter(got).values())
    total = _pairs(len(truth))
    expected = same_truth * same_got / total if total else 0.0
    maximum = (same_truth + same_got) / 2
    ari = (same_both - expected) / (maximum - expected) if maximum != expected else 1.0
    precision = same_both / same_got if same_got else 1.0
    recall = same_both / same_truth if same_truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ari, f1


# ---------------------------------------------------------------- the two miners


def _ours(lines: list[str]) -> tuple[list[int], int]:
    miner = TemplateMiner()
    return miner.assign(lines), len(miner.clusters())


def _drain3(lines: list[str]) -> tuple[list[int], int]:
    from drain3 import TemplateMiner as Drain3Miner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    # Masks like those of drain3's example config (UUID, IP, hex, numbers), so both miners see
    # the same variables masked.
    config.masking_instructions = [
        MaskingInstruction(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "ID"
        ),
        MaskingInstruction(
            r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"
        ),
        MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
        MaskingInstruction(r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    ]
    miner = Drain3Miner(config=config)
    add = miner.add_log_message
    ids = [add(line)["cluster_id"] for line in lines]
    return ids, len(miner.drain.clusters)


Miner = Callable[[list[str]], tuple[list[int], int]]


def measure(miner: Miner, lines: list[str], repeat: int) -> tuple[list[int], float, float, int]:
    """(cluster ids, seconds, peak MB, templates). Timed without tracemalloc (it slows every
    allocation several-fold), best of `repeat` fresh runs (the machine is shared), then run again
    under tracemalloc for the peak."""
    elapsed = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        ids, templates = miner(lines)
        elapsed = min(elapsed, time.perf_counter() - started)
    tracemalloc.start()
    miner(lines)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return ids, elapsed, peak / 2**20, templates


# Beside the project, as the workplace lays it out (never read by the project's tests).
DEFAULT_LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "loghub"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per miner (best is kept)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--loghub",
        type=Path,
        nargs="?",
        const=DEFAULT_LOGHUB,
        default=None,
        help="score on Loghub-2k instead (per set GA and ARI against Drain3 with the benchmark's "
        f"settings, and the speed ratio on 200k mixed lines); DIR defaults to {DEFAULT_LOGHUB}",
    )
    args = parser.parse_args(argv)
    if args.loghub is not None:
        from bench_loghub import main as loghub_main

        loghub = ["--loghub", str(args.loghub), "--lines", str(args.lines), "--seed", str(args.seed)]
        return loghub_main(loghub + (["--json", str(args.json)] if args.json else []))

    lines, labels = generate(args.lines, args.seed)
    ours_ids, ours_s, ours_mb, ours_n = measure(_ours, lines, args.repeat)
    drain_ids, drain_s, drain_mb, drain_n = measure(_drain3, lines, args.repeat)
    ours_ari, ours_f1 = agreement(labels, ours_ids)
    drain_ari, drain_f1 = agreement(labels, drain_ids)

    figures = {
        "lines": len(lines),
        "lines_per_s": round(len(lines) / ours_s),
        "drain3_lines_per_s": round(len(lines) / drain_s),
        "peak_mb": round(ours_mb, 2),
        "drain3_peak_mb": round(drain_mb, 2),
        "agreement": round(ours_ari, 4),
        "drain3_agreement": round(drain_ari, 4),
        "pairwise_f1": round(ours_f1, 4),
        "drain3_pairwise_f1": round(drain_f1, 4),
        "templates_true": len(TEMPLATES),
        "templates": ours_n,
        "drain3_templates": drain_n,
        "speedup": round(drain_s / ours_s, 2),
    }
    print(f"{'':24}{'ours':>14}{'drain3':>14}")
    print(f"{'lines/s':24}{figures['lines_per_s']:>14,}{figures['drain3_lines_per_s']:>14,}")
    print(f"{'peak MB (tracemalloc)':24}{figures['peak_mb']:>14}{figures['drain3_peak_mb']:>14}")
    print(f"{'adjusted Rand index':24}{figures['agreement']:>14}{figures['drain3_agreement']:>14}")
    print(f"{'pairwise F1':24}{figures['pairwise_f1']:>14}{figures['drain3_pairwise_f1']:>14}")
    print(f"{'templates (true ' + str(len(TEMPLATES)) + ')':24}{ours_n:>14}{drain_n:>14}")
    print(f"{len(lines):,} lines; speed-up x{figures['speedup']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
