"""Reading the Terraform module with python-hcl2 (v8 keeps the quotes around keys and strings)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "modules" / "sre-on-call"
EXAMPLE = ROOT / "examples" / "complete"
TERRAFORM = shutil.which("terraform")

# What iam.tf reads from data sources, for evaluating the module's locals without a provider.
STUB_ACCOUNT = (
    'locals {\n  region     = "us-east-1"\n  account_id = "123456789012"\n  partition  = "aws"\n}\n'
)


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


def variable_block(name: str) -> str:
    """The module's own declaration of variable `name` (type, default, validations), verbatim."""
    text = (MODULE / "variables.tf").read_text(encoding="utf-8")
    match = re.search(rf'^variable "{name}" \{{.*?^\}}\n', text, re.S | re.M)
    assert match, name
    return match.group(0)


def console(
    expression: str,
    config_path: Path,
    work: Path,
    files: tuple[str, ...] = ("locals.tf",),
    variables: dict[str, Any] | None = None,
) -> Any:
    """`jsonencode(expression)` evaluated by `terraform console` over the module's real `files` (no
    providers, no init), the data-source values stubbed; the decoded JSON. `variables`: values of
    other module variables, declared as the module declares them (their validations run)."""
    assert TERRAFORM is not None
    work.mkdir(parents=True)
    for name in files:
        shutil.copy(MODULE / name, work / name)
    declarations = ['variable "config_path" {\n  type = string\n}\n']
    declarations += [variable_block(name) for name in variables or {}]
    (work / "variables.tf").write_text("\n".join(declarations), encoding="utf-8")
    (work / "terraform.tfvars.json").write_text(json.dumps(variables or {}), encoding="utf-8")
    if "locals.tf" in files and len(files) > 1:
        (work / "stub_account.tf").write_text(STUB_ACCOUNT, encoding="utf-8")
    done = subprocess.run(
        [TERRAFORM, "console", f"-var=config_path={config_path}"],
        input=f"jsonencode({expression})\n",
        capture_output=True,
        text=True,
        cwd=work,
        timeout=30,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin", "HOME": str(work)},
        check=True,
    )
    return json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
