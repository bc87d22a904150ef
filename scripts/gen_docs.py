"""Regenerate the generated parts of docs/: the cause vocabulary and the kinds of change, from
`shared/causes.py` and the contracts. Between `<!-- BEGIN GENERATED: name -->` and
`<!-- END GENERATED: name -->` markers only; the prose around them is written by hand.

    python scripts/gen_docs.py          # rewrite docs/scenarios.md
    python scripts/gen_docs.py --check  # exit 1 when it is out of date (what the test runs)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.causes import CAUSES, CHANGES  # noqa: E402
from shared.contracts import CauseCategory, RiskClass, Trigger  # noqa: E402

DOC = ROOT / "docs" / "scenarios.md"
RISK = {RiskClass.SAFE: "safe", RiskClass.NEEDS_APPROVAL: "needs approval", RiskClass.FORBIDDEN: "forbidden"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def causes_table() -> str:
    rows = [
        "| category | the report says | changes that can trigger it | first next step |",
        "|---|---|---|---|",
    ]
    for category in CauseCategory:
        kind = CAUSES[category]
        triggers = ", ".join(f"`{t.value}`" for t in Trigger if t in kind.triggers) or "—"
        step = kind.steps[0] if kind.steps else None
        first = f"{_cell(step.text)} ({RISK[step.risk]})" if step else "—"
        verdict = "" if kind.is_cause else " (a verdict, not a cause)"
        rows.append(f"| `{category.value}` | {_cell(kind.label)}{verdict} | {triggers} | {first} |")
    return "\n".join(rows)


def changes_table() -> str:
    rows = ["| trigger | the report says | steps it adds |", "|---|---|---|"]
    for trigger in Trigger:
        kind = CHANGES[trigger]
        steps = "; ".join(f"{_cell(s.text)} ({RISK[s.risk]})" for s in kind.steps) or "—"
        rows.append(f"| `{trigger.value}` | {_cell(kind.words)} | {steps} |")
    return "\n".join(rows)


GENERATED = {"causes": causes_table, "changes": changes_table}


def render(text: str) -> str:
    for name, make in GENERATED.items():
        pattern = re.compile(
            rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no GENERATED markers for {name!r}")
        table = make()

        def fill(m: re.Match[str], table: str = table) -> str:
            return m.group(1) + table + "\n" + m.group(2)

        text = pattern.sub(fill, text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/scenarios.md is out of date")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
