"""scripts/build_lambda.py: the intake zip has what the intake imports, for the function's platform."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import json
import marshal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from terraform_hcl import EXAMPLE, MODULE, ROOT, blocks, parse, unquote

sys.path.insert(0, str(ROOT / "scripts"))

import build_lambda

from sandbox.signing import TEST_SLACK_SECRET, slack_headers

SCRIPT = ROOT / "scripts" / "build_lambda.py"
FIRST_PARTY = ("lambda_adapter", "shared", "agents")
# Local-only modules (the uvicorn server, test helpers) and the optional classifier, whose
# dependency (strands-agents) the script adds only when intake.classifier_model names a model.
NOT_IN_THE_LAMBDA_PATH = {
    "lambda_adapter.server",
    "sandbox.signing",
    "sandbox.intake_fakes",
    "lambda_adapter.model_tier",
}


def module_file(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path) -> list[str]:
    """Every module `path` imports, at any depth (deferred imports too), TYPE_CHECKING blocks aside."""
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.If)
                and isinstance(child.test, ast.Name)
                and child.test.id == "TYPE_CHECKING"
            ):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append(child.module)
                found.extend(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def third_party_imports_of_the_intake() -> set[str]:
    """Top-level third-party modules reachable from the Lambda handler through first-party code."""
    seen: set[str] = set()
    third: set[str] = set()
    todo = ["lambda_adapter.handler"]
    while todo:
        name = todo.pop()
        if name in seen or name in NOT_IN_THE_LAMBDA_PATH:
            continue
        seen.add(name)
        path = module_file(name)
        if path is None:
            continue
        for imported in imported_names(path):
            parts = imported.split(".")
            if parts[0] in FIRST_PARTY:
                todo.extend(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            elif parts[0] not in sys.stdlib_module_names and parts[0] != "__future__":
                third.add(parts[0])
    assert "lambda_adapter.worker" in seen and "shared.chat.slack" in seen  # the walk went deep
    return third


def test_the_dependency_list_is_exactly_what_the_intake_imports() -> None:
    distributions = importlib.metadata.packages_distributions()
    needed = {
        build_lambda.normalized(distributions[module][0]) for module in third_party_imports_of_the_intake()
    }
    listed = {build_lambda.normalized(name) for name in build_lambda.INTAKE_DEPENDENCIES}
    assert needed - {"botocore"} == listed  # botocore comes with boto3


def test_requirements_keep_pyprojects_version_ranges_and_add_the_classifier_only_when_used(
    tmp_path: Path,
) -> None:
    reqs = build_lambda.requirements(ROOT / "config.yaml")
    deps = build_lambda.project_dependencies()
    assert reqs == [
        f"{name}{deps[build_lambda.normalized(name)][1]}" for name in build_lambda.INTAKE_DEPENDENCIES
    ]
    assert not any(r.startswith("strands") for r in reqs)  # config.yaml's classifier is off

    config = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    config["intake"]["classifier_model"] = {"provider": "openai", "model_id": "m", "base_url": "http://x/v1"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    assert build_lambda.requirements(path)[-1].startswith("strands-agents[openai]>=")


def test_the_target_platform_is_the_functions_runtime() -> None:
    function = blocks(parse(MODULE), "resource")[("aws_lambda_function", "intake")]
    runtime = unquote(function["runtime"])
    assert runtime == f"python{build_lambda.PYTHON_VERSION}"
    assert [unquote(a) for a in function["architectures"]] == ["arm64"]
    assert build_lambda.PLATFORM.endswith("_aarch64")


def test_dry_run_prints_the_pip_command_and_the_files_without_building(tmp_path: Path) -> None:
    output = tmp_path / "lambda.zip"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    command, *files = done.stdout.splitlines()
    for flag in (
        "--platform manylinux2014_aarch64",
        "--python-version 3.12",
        "--only-binary=:all:",
        "--target",
    ):
        assert flag in command
    assert all(build_lambda.normalized(name) in command for name in build_lambda.INTAKE_DEPENDENCIES)
    agent_ids = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["agents"]
    # load_config checks every agent has its folder: the zip carries them all.
    assert {f"agents/{agent_id}/agent.py" for agent_id in agent_ids} <= set(files)
    assert {"lambda_adapter/handler.py", "shared/config.py", "shared/secrets.py"} <= set(files)
    assert not [f for f in files if "/tests/" in f or "__pycache__" in f]
    assert files[-1].startswith("config.yaml")
    assert not output.exists()


def test_the_example_points_at_the_scripts_default_output() -> None:
    variables = blocks(parse(EXAMPLE), "variable")
    assert "build/lambda.zip" in unquote(variables[("lambda_package_path",)]["default"])
    assert "config.yaml" in unquote(variables[("config_path",)]["default"])
    assert build_lambda.main.__module__ == "build_lambda"
    readme = (MODULE / "README.md").read_text(encoding="utf-8") + (ROOT / "README.md").read_text(
        encoding="utf-8"
    )
    assert "scripts/build_lambda.py" in readme


def url_verification_event() -> dict[str, object]:
    body = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "t"}).encode()
    return {
        "version": "2.0",
        "rawPath": "/slack/events",
        "rawQueryString": "",
        "headers": slack_headers(TEST_SLACK_SECRET, body, int(time.time())),
        "requestContext": {"http": {"method": "POST", "path": "/slack/events"}},
        "body": body.decode(),
        "isBase64Encoded": False,
    }


SMOKE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from lambda_adapter.handler import lambda_handler
print(json.dumps(lambda_handler(json.loads(sys.argv[2]), None)))
"""


@pytest.mark.slow
def test_a_host_build_answers_slacks_url_verification_from_the_zip_alone(tmp_path: Path) -> None:
    """Built for this machine (the Lambda build differs only in the wheels pip picks), unpacked,
    and run by an interpreter that sees nothing but the zip and the standard library."""
    output = tmp_path / "lambda.zip"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--host", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    if done.returncode != 0 and any(
        sign in done.stderr
        for sign in ("NewConnectionError", "Temporary failure", "No matching distribution")
    ):
        pytest.skip(f"pip cannot reach a package index: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr

    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(output) as archive:
        archive.extractall(unpacked)
    env = {"PATH": "/usr/bin:/bin", "SLACK_SIGNING_SECRET": TEST_SLACK_SECRET, "HOME": str(tmp_path)}
    answer = subprocess.run(
        [sys.executable, "-I", "-S", "-c", SMOKE, str(unpacked), json.dumps(url_verification_event())],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    response = json.loads(answer.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200 and "c-42" in response["body"]

    # Lambda cannot write bytecode into /var/task: every module comes compiled, never re-checked.
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        tag = sys.implementation.cache_tag
        for module in ("lambda_adapter/handler", "shared/contracts", "pydantic/main", "botocore/client"):
            folder, _, stem = module.rpartition("/")
            pyc = f"{folder}/__pycache__/{stem}.{tag}.pyc"
            assert pyc in names, pyc
            assert int.from_bytes(archive.read(pyc)[4:8], "little") == PYC_UNCHECKED_HASH


PYC_UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked


def test_bytecode_is_compiled_unchecked_and_identical_on_every_build(tmp_path: Path) -> None:
    entries = [e for e in build_lambda.project_files() if e[1].startswith("shared/render/")]
    entries.append((ROOT / "config.yaml", "config.yaml"))
    builds = []
    for run in ("a", "b"):
        compiled = build_lambda.bytecode_files(entries, sys.executable, tmp_path / run)
        builds.append({name: path.read_bytes() for path, name in compiled})
    sources = [name for _, name in entries if name.endswith(".py")]
    tag = sys.implementation.cache_tag
    expected = {f"{n.rpartition('/')[0]}/__pycache__/{n.rpartition('/')[2][:-3]}.{tag}.pyc" for n in sources}
    assert set(builds[0]) == expected
    assert all(int.from_bytes(data[4:8], "little") == PYC_UNCHECKED_HASH for data in builds[0].values())
    assert builds[0] == builds[1]
    # tracebacks name the file where Lambda unpacks it
    code = marshal.loads(builds[0][f"shared/render/__pycache__/markdown.{tag}.pyc"][16:])
    assert code.co_filename == f"{build_lambda.TASK_ROOT}/shared/render/markdown.py"


def test_without_an_interpreter_of_the_runtimes_version_no_bytecode_is_promised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert build_lambda.runtime_python(host=False) is None
    wrong = tmp_path / f"python{build_lambda.PYTHON_VERSION}"
    wrong.write_text("#!/bin/sh\necho 3.11\n", encoding="utf-8")
    wrong.chmod(0o755)
    assert build_lambda.runtime_python(host=False) is None  # a shim answering another version
    assert build_lambda.runtime_python(host=True) == sys.executable


def test_an_unchanged_build_is_byte_for_byte_the_same(tmp_path: Path) -> None:
    """Entries sorted and time-stamped alike: Terraform's source_code_hash only moves on a change."""
    entries = [*list(build_lambda.project_files())[:20], (ROOT / "config.yaml", "config.yaml")]
    digests = []
    for name in ("a.zip", "b.zip"):
        build_lambda.write_zip(tmp_path / name, list(reversed(entries)) if name == "b.zip" else entries)
        digests.append(hashlib.sha256((tmp_path / name).read_bytes()).hexdigest())
    assert digests[0] == digests[1]
