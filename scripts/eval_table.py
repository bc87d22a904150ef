"""Write the latest `make eval` result (build/eval.json) into the README's eval table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- EVAL-TABLE -->", "<!-- /EVAL-TABLE -->"


def table(result: dict) -> str:  # type: ignore[type-arg]
    lines = [
        "### Latest eval (`make eval`, model `none`)",
        "",
        "| scenario | expected | got | trigger (expected / got) | passed | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["scenarios"]:
        lines.append(
            f"| {row['id']} | {row['category_expected']} | {row['category_got']} | "
            f"{row['trigger_expected'] or '-'} / {row['trigger_got']} | {'yes' if row['passed'] else 'no'} | "
            f"{row['seconds']:.2f} |"
        )
    s = result["summary"]
    lines += [
        "",
        f"{s['passed']}/{s['total']} passed ({s['pass_rate']:.0%}) over {s['categories']} cause categories; "
        f"webhook to posted report p50 {s['p50_seconds']:.2f} s, p95 {s['p95_seconds']:.2f} s; sandbox start "
        f"{s['sandbox_start_seconds']:.2f} s (2-core shared machine, one run; times vary with load). "
        "The trigger is reported but not scored by the eval contract. The scenarios were written by "
        "the same team as the analyzers: treat the pass rate as a regression guard, "
        "not as accuracy on unseen incidents.",
    ]
    return "\n".join(lines)


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "eval.json"
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(
        f"{head}{START}\n{table(json.loads(source.read_text()))}\n{END}{tail}", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
