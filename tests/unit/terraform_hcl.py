"""Reading the Terraform module with python-hcl2 (v8 keeps the quotes around keys and strings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "modules" / "sre-on-call"
EXAMPLE = ROOT / "examples" / "complete"


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse(directory: Path) -> dict[str, dict[str, Any]]:
    """Every .tf file of a directory, parsed."""
    return {path.name: hcl2.load(path.open(encoding="utf-8")) for path in sorted(directory.glob("*.tf"))}


def blocks(parsed: dict[str, dict[str, Any]], kind: str) -> dict[tuple[str, ...], dict[str, Any]]:
    """`resource`/`data` blocks keyed by (type, name); `variable`/`output` keyed by (name,)."""
    found: dict[tuple[str, ...], dict[str, Any]] = {}
    for doc in parsed.values():
        for entry in doc.get(kind, []):
            for first, body in entry.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        found[(unquote(first), unquote(name))] = inner
                else:
                    found[(unquote(first),)] = body
    return found


def locals_of(parsed: dict[str, dict[str, Any]]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for doc in parsed.values():
        for entry in doc.get("locals", []):
            merged.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return merged


def var_references(directory: Path) -> set[str]:
    """Names used as `var.<name>` anywhere in the directory's .tf files (comments stripped)."""
    names: set[str] = set()
    for path in directory.glob("*.tf"):
        text = re.sub(r"#[^\n]*", "", path.read_text(encoding="utf-8"))
        names.update(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    return names
