"""Benchmark the intake: 1,000 signed deliveries over loopback HTTP to the local server, half of them
Slack retries or duplicate deliveries (Slack and Alertmanager), from 8 concurrent senders.

Checks exactly one investigation per unique alert and nothing lost; prints deliveries per second,
the p50/p99 ack latency, and the cold import time of the Lambda handler module (`python -X
importtime -c "import lambda_adapter.handler"`, the top-level cumulative times summed, median of 5),
with the project's bytecode compiled first as scripts/build_lambda.py ships it (a machine that sets
PYTHONDONTWRITEBYTECODE would otherwise time the compiler, which Lambda never runs).
Targets: p99 ack < 50 ms, cold import < 300 ms.

    python scripts/bench_intake.py [--deliveries 1000] [--senders 8] [--seed 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lambda_adapter.background import LocalDispatcher  # noqa: E402
from lambda_adapter.server import ThreadedServer, create_app  # noqa: E402
from lambda_adapter.settings import IntakeSettings, Secrets  # noqa: E402
from sandbox.intake_fakes import MemoryChat  # noqa: E402
from sandbox.signing import TEST_ALERTMANAGER_TOKEN, TEST_SLACK_SECRET, slack_headers  # noqa: E402
from shared.contracts import AlertContext  # noqa: E402

CHANNEL = "C0BENCH001"
TARGET_P99_MS = 50.0
TARGET_IMPORT_MS = 300.0


@dataclass(frozen=True)
class Delivery:
    alert: str  # which unique alert this delivers
    path: str
    body: bytes
    kind: str  # slack | alertmanager
    retry: int = 0


def _slack_alert(n: int) -> tuple[str, bytes]:
    ts = f"{1_712_000_000 + n}.000100"
    payload = {
        "type": "event_callback",
        "team_id": "T0BENCH",
        "api_app_id": "A0BENCH",
        "event_id": f"Ev{n:08d}",
        "event_time": 1_712_000_000 + n,
        "authorizations": [{"user_id": "U0BENCHBOT", "is_bot": True}],
        "event": {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0ALERTS",
            "channel": CHANNEL,
            "ts": ts,
            "event_ts": ts,
            "text": f"[FIRING:1] HighErrorRate service=svc-{n} namespace=ns-{n} 5xx above 5% (alert {n})",
        },
    }
    return ts, json.dumps(payload).encode()


def _alertmanager_alert(n: int) -> tuple[str, bytes]:
    labels = {
        "alertname": "HighLatency",
        "service": f"api-{n}",
        "namespace": f"team-{n}",
        "severity": "warning",
    }
    payload = {
        "version": "4",
        "groupKey": f'{{}}:{{service="api-{n}"}}',
        "status": "firing",
        "receiver": "sre-on-call",
        "groupLabels": {"service": f"api-{n}"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"p99 latency of api-{n} above 2s"},
        "externalURL": "http://am:9093",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": f"p99 of api-{n} above 2s"},
                "startsAt": "2024-04-05T19:25:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": f"{n:016x}",
            }
        ],
    }
    return f"api-{n}", json.dumps(payload).encode()


def plan(total: int, rng: random.Random) -> tuple[list[Delivery], set[str]]:
    """Half unique alerts (60 % Slack, 40 % Alertmanager); half retries or duplicates of them."""
    unique_count = total // 2
    slack_count = unique_count * 3 // 5
    originals: list[Delivery] = []
    for n in range(slack_count):
        ts, body = _slack_alert(n)
        originals.append(Delivery(ts, "/slack/events", body, "slack"))
    for n in range(unique_count - slack_count):
        key, body = _alertmanager_alert(n)
        originals.append(Delivery(key, "/alertmanager", body, "alertmanager"))
    repeats = []
    for _ in range(total - unique_count):
        original = rng.choice(originals)
        # Slack: a retry (X-Slack-Retry-Num) or a duplicate delivery; Alertmanager: its retry, the same bytes.
        retry = rng.choice([0, 1, 1, 2]) if original.kind == "slack" else 0
        repeats.append(Delivery(original.alert, original.path, original.body, original.kind, retry))
    deliveries = originals + repeats
    rng.shuffle(deliveries)
    return deliveries, {d.alert for d in originals}


class Master:
    def __init__(self) -> None:
        self.started: list[AlertContext] = []

    async def investigate(self, ctx: AlertContext) -> None:
        self.started.append(ctx)


def send_all(url: str, deliveries: list[Delivery], senders: int) -> tuple[list[float], list[int], float]:
    local = threading.local()

    def send(delivery: Delivery) -> tuple[float, int]:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(trust_env=False, timeout=10)
        if delivery.kind == "slack":
            extra = {"x_slack_retry_num": str(delivery.retry), "x_slack_retry_reason": "http_timeout"}
            headers = slack_headers(
                TEST_SLACK_SECRET, delivery.body, int(time.time()), **(extra if delivery.retry else {})
            )
        else:
            headers = {
                "content-type": "application/json",
                "authorization": f"Bearer {TEST_ALERTMANAGER_TOKEN}",
            }
        started = time.perf_counter()
        answer = client.post(
            f"{url}{delivery.path}",
            content=delivery.body,
            headers=headers,
            params={"channel": CHANNEL} if delivery.kind == "alertmanager" else None,
        )
        return (time.perf_counter() - started) * 1000, answer.status_code

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        results = list(pool.map(send, deliveries))
    elapsed = time.perf_counter() - began
    return [r[0] for r in results], [r[1] for r in results], elapsed


def cold_import_ms(runs: int = 5) -> float:
    """Median over `runs` fresh interpreters of the summed top-level cumulative import times."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "lambda_adapter", "shared"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    totals = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import lambda_adapter.handler"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        total_us = 0
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            _self, cumulative, name = line.split("|", 2)
            if cumulative.strip().isdigit() and not name[1:].startswith(" "):
                total_us += int(cumulative)
        totals.append(total_us / 1000)
    return statistics.median(totals)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    deliveries, unique = plan(args.deliveries, random.Random(args.seed))
    master = Master()
    chat = MemoryChat("slack")
    settings = IntakeSettings(
        secrets=Secrets(slack_signing_secret=TEST_SLACK_SECRET, alertmanager_token=TEST_ALERTMANAGER_TOKEN),
        alertmanager_channel=CHANNEL,
    )
    dispatcher = LocalDispatcher(master.investigate)
    app = create_app(settings=settings, dispatcher=dispatcher, chat_for=lambda _n: chat)
    with ThreadedServer(app) as server:
        latencies, statuses, elapsed = send_all(server.url, deliveries, args.senders)
        jobs = app.state.jobs
        asyncio.run_coroutine_threadsafe(jobs.drain(timeout=30), jobs.loop).result(timeout=35)
        deadline = time.monotonic() + 10
        while dispatcher.running and time.monotonic() < deadline:
            time.sleep(0.01)  # the last investigations hop from worker threads onto the loop

    started_for = Counter(
        ctx.thread_id if ctx.platform.value == "slack" else ctx.labels.get("service")
        for ctx in master.started
    )
    lost = len(unique - set(started_for))
    twice = sum(1 for count in started_for.values() if count > 1)
    figures: dict[str, Any] = {
        "deliveries": len(deliveries),
        "unique_alerts": len(unique),
        "investigations_started": len(master.started),
        "lost": lost,
        "deliveries_per_s": round(len(deliveries) / elapsed, 1),
        "ack_p50_ms": round(percentile(latencies, 0.50), 2),
        "ack_p99_ms": round(percentile(latencies, 0.99), 2),
        "cold_import_ms": round(cold_import_ms(), 1),
    }
    refused = sum(1 for s in statuses if s != 200)
    p99_ok = "met" if figures["ack_p99_ms"] < TARGET_P99_MS else "MISSED"
    import_ok = "met" if figures["cold_import_ms"] < TARGET_IMPORT_MS else "MISSED"
    print(f"deliveries            {figures['deliveries']} ({args.senders} senders, {refused} not 200)")
    print(f"unique alerts         {figures['unique_alerts']}")
    print(f"investigations        {figures['investigations_started']} (twice: {twice}, lost: {lost})")
    print(f"throughput            {figures['deliveries_per_s']} deliveries/s")
    print(
        f"ack latency           p50 {figures['ack_p50_ms']} ms, p99 {figures['ack_p99_ms']} ms "
        f"(target < {TARGET_P99_MS:.0f} ms: {p99_ok})"
    )
    print(
        f"cold import (handler) {figures['cold_import_ms']} ms "
        f"(target < {TARGET_IMPORT_MS:.0f} ms: {import_ok})"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    exact = lost == 0 and twice == 0 and len(master.started) == len(unique) and refused == 0
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
