"""Score the intake on third-party payloads: the classification of each delivery and the alert
target fields (alert name, namespace, pod, service, severity, node) the master gets.

    python scripts/bench_payloads.py [--payloads tests/events/corpus] [--json FILE] [--quiet]

A folder holds `<id>.payload.json|.form` and `<id>.case.json` pairs (see
`sandbox/payload_cases.py`). Prints one row per case, then the totals.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.payload_cases import load_cases, score  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payloads", type=Path, default=ROOT / "tests" / "events" / "corpus")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    parser.add_argument("--quiet", action="store_true", help="only the totals")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)
    result = score(load_cases(args.payloads))
    table = result.table()
    print(table if not args.quiet else table.splitlines()[-1])
    if args.json:
        (c, ct), (f, ft) = result.classification, result.fields
        figures = {"classification": [c, ct], "fields": [f, ft], "spurious": result.spurious}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
