"""The layers' arrows point one way, and `lint-imports` (run by `make lint`) says so when they don't."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "agents", "lambda_adapter", "sandbox", "sre_on_call")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def _tree_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("tests", "__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_repository_keeps_its_layers(tmp_path: Path) -> None:
    run = _lint(_tree_copy(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("shared/peek.py", "from agents.master import orchestrator"),  # core importing the master
        ("shared/render/peek.py", "from shared.alerts import alert_text"),  # core importing the alert layer
        ("agents/eks/peek.py", "from agents.prometheus import client"),  # one scanner importing another
        ("agents/common/peek.py", "from agents.llm import providers"),  # the kit importing the LLM tier
        ("lambda_adapter/peek.py", "import sandbox.stack"),  # the product importing the sandbox
    ],
)
def test_an_upward_import_breaks_the_lint(tmp_path: Path, module: str, upward: str) -> None:
    tree = _tree_copy(tmp_path)
    (tree / module).write_text(f"{upward}\n")
    run = _lint(tree)
    assert run.returncode == 1
    importer = module.removesuffix(".py").replace("/", ".")
    assert re.search(rf"-\s+{re.escape(importer)} ->", run.stdout), run.stdout


def test_every_core_module_of_shared_is_held_below_the_alert_layer() -> None:
    """The core contract names shared/'s modules one by one: a new one must join it."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [core] = [c for c in contracts["contracts"] if c["id"] == "core"]
    children = {
        f"shared.{p.stem if p.suffix == '.py' else p.name}"
        for p in (ROOT / "shared").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert children - {"shared.alerts"} == set(core["source_modules"])
