"""Scanner kinds as declared plugins.

A scanner *kind* says what it is in one `ScannerKind`: its name, how to build it, the model of its
source settings, which of those settings name secret env vars, the AWS actions its role needs, and
the sandbox stand-in that plays its source. `config.yaml` names *instances*
(`agents.<id>: {kind: prometheus, source: {...}}`), so one kind can run twice; an instance without
`kind` is of the kind named like its id (the shipped config's shape).

Where a kind is found, in order:
1. an entry point in the group `sre_on_call.scanners` named like the kind (a kind that lives outside
   this repository: `[project.entry-points."sre_on_call.scanners"] mine = "my_pkg.kind:KIND"`);
2. the module `agents.<kind>.kind`, attribute `KIND` (the kinds shipped here).

Secrets loading and log scrubbing (`shared.secrets`), per-instance sources (`AppConfig.source_for`)
and the Terraform module's per-agent IAM (`modules/sre-on-call/scanner_kinds.json`, written by
`python -m shared.plugins`) all derive from these declarations.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shared.errors import ConfigError

if TYPE_CHECKING:
    from shared.config import AppConfig

ENTRY_POINT_GROUP = "sre_on_call.scanners"
BUILTIN_PACKAGE = "agents"


@dataclass(frozen=True)
class IamStatement:
    """One read-only IAM statement the kind's role needs. In `resources`, `{partition}`, `{region}`
    and `{account}` stand for the deployment's (the Terraform module fills them in)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)


@dataclass(frozen=True)
class ScannerKind:
    name: str
    # "module:function" building the scanner: `build(config, agent_id) -> Scanner`. A string, so
    # declaring a kind (read by the intake's log scrubber, config check, Terraform) stays cheap.
    build: str
    description: str
    source: type[BaseModel]
    # The legacy global section `sources.<source_key>` an instance without `source:` uses.
    source_key: str | None = None
    # Fields of the source settings whose values name env vars holding secrets.
    secret_fields: tuple[str, ...] = ()
    iam: tuple[IamStatement, ...] = ()
    # The sandbox stand-in that plays this kind's source (`slack`, `discord`, `aws`, `kubernetes`,
    # `prometheus`), or None: the sandbox then runs the instance against nothing.
    stand_in: str | None = None
    default_skills: tuple[str, ...] = ()

    def builder(self) -> Callable[[AppConfig, str], Any]:
        module, _, attribute = self.build.partition(":")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]

    def secret_env_names(self, source: BaseModel) -> list[str]:
        names = [getattr(source, name, None) for name in self.secret_fields]
        return [name for name in names if isinstance(name, str) and name]


@cache
def load_kind(name: str) -> ScannerKind:
    """The kind called `name`: an entry point of `sre_on_call.scanners`, else `agents.<name>.kind`."""
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return _checked(entry.load(), name, f"entry point {entry.value}")
    module_name = f"{BUILTIN_PACKAGE}.{name}.kind"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name not in (module_name, f"{BUILTIN_PACKAGE}.{name}"):
            raise
        kinds = known_kinds()
        close = difflib.get_close_matches(name, kinds, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"no scanner kind {name!r}: {hint}neither an entry point in {ENTRY_POINT_GROUP} nor a "
            f"module {module_name} (kinds found: {', '.join(kinds) or 'none'})"
        ) from e
    return _checked(getattr(module, "KIND", None), name, module_name)


def _checked(kind: Any, name: str, where: str) -> ScannerKind:
    if not isinstance(kind, ScannerKind):
        raise ConfigError(f"{where} does not declare a ScannerKind (got {type(kind).__name__})")
    if kind.name != name:
        raise ConfigError(f"{where} declares kind {kind.name!r}, not {name!r}")
    return kind


def known_kinds() -> list[str]:
    """Every kind that can be found: entry points and the shipped `agents/<kind>/kind.py`."""
    names = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
    package = importlib.import_module(BUILTIN_PACKAGE)
    for folder in package.__path__:
        names |= {p.parent.name for p in Path(folder).glob("*/kind.py")}
    return sorted(names)


def terraform_kinds(names: Sequence[str]) -> dict[str, Any]:
    """What the Terraform module reads of each kind: its IAM statements."""
    out: dict[str, Any] = {}
    for name in sorted(names):
        kind = load_kind(name)
        out[name] = {
            "iam": [
                {"sid": s.sid, "actions": list(s.actions), "resources": list(s.resources)} for s in kind.iam
            ]
        }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.plugins",
        description="Print the scanner kinds' declarations as the Terraform module reads them "
        "(modules/sre-on-call/scanner_kinds.json).",
    )
    parser.add_argument("kinds", nargs="*", help="default: every kind found")
    args = parser.parse_args(argv)
    json.dump(terraform_kinds(args.kinds or known_kinds()), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    # Through the package, so the kinds' ScannerKind and this one are the same class.
    from shared.plugins import main as plugins_main

    sys.exit(plugins_main())
