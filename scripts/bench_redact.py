"""What the maintained rule set (detect-secrets' detectors, `shared.redact_rules`) adds to the cost
of redaction: CPU per line of `redact` with our patterns alone and with the library's rules on top,
over real log lines (Loghub-2k, `--loghub DIR`: every `<System>/<System>_2k.log`) or, without it,
synthetic operational lines with a secret in one line of ten. Also the one-time cost of loading the
rules (reading and compiling `secret_rules.json`) and of importing detect-secrets itself (what
loading the rules as data avoids). CPU seconds of this process, best of `--repeat` runs.

    python scripts/bench_redact.py [--loghub ../shared/loghub] [--repeat 5]

Measured on 2026-12-07 (shared 2-core machine, detect-secrets 1.5.0, 37 rules): Loghub-2k (32,000
lines) 86.7 us a line with our patterns, 135.4 us with the library's rules (+48.7 us, x1.56);
synthetic 43.7 -> 66.1 us (x1.51). Loading the rules from JSON: 73-105 ms once per process
(compiling 37 patterns); importing detect-secrets itself instead: 520-1,070 ms. One false positive
in 45,063 lines (scenarios and Loghub): a SCSI WWID that has the shape of a Telegram bot token.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic(count: int) -> list[str]:
    rng = random.Random(7)
    shapes = [
        "INFO orders-api-7d9f8c6b5-x2k4p GET /v1/orders/{n} 200 {ms}ms",
        "WARN payments-5c4b3a2-qwert upstream https://pay.internal:8443/charge timed out after {ms} ms",
        "ERROR checkout request {n} failed: connection refused (10.0.{a}.{b}:5432)",
        "ERROR auth with sk_live_{tok} rejected (401) for tenant {n}",
    ]
    lines = []
    for i in range(count):
        shape = shapes[3] if i % 10 == 0 else shapes[rng.randrange(3)]
        tok = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))
        lines.append(
            shape.format(n=rng.randrange(10**6), ms=rng.randrange(5000), a=i % 250, b=i % 200, tok=tok)
        )
    return lines


def loghub(folder: Path) -> list[str]:
    return [
        line
        for path in sorted(folder.glob("*/*_2k.log"))
        for line in path.read_text(errors="ignore").splitlines()
    ]


def cpu_per_line(lines: list[str], repeat: int, *, library: bool) -> float:
    import shared.redact as redact_module
    from shared.redact_rules import mask_library_matches

    redact_module.mask_library_matches = mask_library_matches if library else (lambda text, mask: text)
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for line in lines:
            redact_module.redact(line)
        best = min(best, time.process_time() - started)
    redact_module.mask_library_matches = mask_library_matches
    return best / len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loghub", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    lines = loghub(args.loghub) if args.loghub else synthetic(20_000)
    source = f"Loghub-2k ({args.loghub})" if args.loghub else "synthetic"

    started = time.perf_counter()
    from shared.redact_rules import library_patterns

    rules = len(library_patterns())
    load_ms = (time.perf_counter() - started) * 1000
    imported = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import time; t = time.perf_counter(); "
                "from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class; "
                "get_mapping_from_secret_type_to_class(); "
                "print((time.perf_counter() - t) * 1000)",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "n/a"
    )

    ours = cpu_per_line(lines, args.repeat, library=False)
    both = cpu_per_line(lines, args.repeat, library=True)
    print(f"lines: {len(lines):,} ({source}); library rules: {rules}")
    print(f"loading the rules as data: {load_ms:.1f} ms once; importing detect-secrets: {imported[:6]} ms")
    print(f"redact, our patterns only:      {ours * 1e6:7.1f} us/line")
    added = f"+{(both - ours) * 1e6:.1f} us, x{both / ours:.2f}"
    print(f"redact, with the library rules: {both * 1e6:7.1f} us/line  ({added})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
