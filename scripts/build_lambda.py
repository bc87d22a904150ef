#!/usr/bin/env python3
"""Build the intake Lambda's deployment zip: the intake's dependencies for the function's platform
(arm64, the Python of its runtime) plus the project's packages and config.yaml.

    scripts/build_lambda.py                      # -> build/lambda.zip, for Lambda (arm64, Python 3.12)
    scripts/build_lambda.py --output out.zip --config my-config.yaml
    scripts/build_lambda.py --dry-run            # print the pip command and the files, build nothing
    scripts/build_lambda.py --host               # dependencies for this machine (tests, local tries)

The dependencies are the intake's subset of pyproject.toml's (same version ranges), plus
strands-agents when `intake.classifier_model` names a model. Wheels only, for
manylinux2014_aarch64: nothing is built from source, so any machine with pip can build the zip.

Every module is shipped with its bytecode, compiled by an interpreter of the runtime's version
(`python3.12` on PATH; this interpreter for `--host`) as unchecked-hash .pyc files: Lambda's
/var/task is read-only, so without them every cold start compiles pydantic, botocore and the
project from source again, and the zip's fixed timestamps would invalidate mtime-checked ones.
Without such an interpreter the zip ships sources only and says so. The zip's entries are sorted
and time-stamped 1980-01-01 (and the bytecode built with a fixed hash seed), so an unchanged
build has an unchanged hash and Terraform leaves the function alone.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# The function's runtime in modules/sre-on-call/lambda.tf (python3.12, arm64): compiled wheels
# (pydantic-core) must be built for exactly this Python.
PYTHON_VERSION = "3.12"
PLATFORM = "manylinux2014_aarch64"
# What the intake imports, directly or through shared/ (tests/unit/test_build_lambda.py checks the
# list against the code). boto3 is bundled: the runtime's copy may predate bedrock-agentcore.
INTAKE_DEPENDENCIES = ("pydantic", "pyyaml", "httpx", "slack-sdk", "pynacl", "boto3")
# The classifier's model code (lambda_adapter/model_tier.py), by provider.
CLASSIFIER_EXTRAS = {"bedrock": "", "openai": "[openai]", "ollama": "[ollama]"}
PACKAGES = ("lambda_adapter", "shared", "agents")
SKIPPED_PARTS = {"tests", "__pycache__"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Where Lambda unpacks the zip: the path tracebacks show for the bundled modules.
TASK_ROOT = "/var/task"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def project_dependencies() -> dict[str, tuple[str, str]]:
    """pyproject.toml's dependencies: normalized name -> (extras, version specifier)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = {}
    for requirement in data["project"]["dependencies"]:
        match = re.fullmatch(r"\s*([A-Za-z0-9._-]+)\s*(\[[^\]]*\])?\s*(.*)", requirement)
        if match:
            found[normalized(match[1])] = (match[2] or "", match[3].strip())
    return found


def requirements(config_path: Path) -> list[str]:
    """The pip requirements of the intake under `config_path`."""
    deps = project_dependencies()
    reqs = [f"{name}{deps[normalized(name)][1]}" for name in INTAKE_DEPENDENCIES]
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    provider = ((config.get("intake") or {}).get("classifier_model") or {}).get("provider") or "none"
    if provider != "none":
        reqs.append(f"strands-agents{CLASSIFIER_EXTRAS.get(provider, '')}{deps['strands-agents'][1]}")
    return reqs


def pip_command(target: Path, reqs: list[str], *, host: bool) -> list[str]:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target)]
    if not host:
        command += [
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
        ]
    return command + reqs


def project_files() -> Iterator[tuple[Path, str]]:
    """(file, name in the zip) for the project's packages, without tests or bytecode."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            relative = path.relative_to(ROOT)
            if path.is_file() and not SKIPPED_PARTS & set(relative.parts) and path.suffix != ".pyc":
                yield path, relative.as_posix()


def installed_files(site: Path) -> Iterator[tuple[Path, str]]:
    """The installed dependencies, their metadata included (entry points are read at run time by
    some, e.g. OpenTelemetry under strands); their console scripts left out."""
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site)
        if path.is_file() and "__pycache__" not in relative.parts and relative.parts[0] != "bin":
            yield path, relative.as_posix()


def runtime_python(*, host: bool) -> str | None:
    """An interpreter whose bytecode the function's runtime loads, or None when there is none."""
    if host:
        return sys.executable
    candidate = shutil.which(f"python{PYTHON_VERSION}")
    if candidate is None:
        return None
    probe = subprocess.run(
        [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return candidate if probe.returncode == 0 and probe.stdout.strip() == PYTHON_VERSION else None


def bytecode_files(entries: list[tuple[Path, str]], python: str, stage: Path) -> list[tuple[Path, str]]:
    """Unchecked-hash .pyc files for every module in `entries`, compiled by `python` into `stage`."""
    for path, name in entries:
        if name.endswith(".py"):
            target = stage / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    command += ["-s", str(stage), "-p", TASK_ROOT, str(stage)]
    # Fixed hash seed: marshalled frozensets come out in the same order on every build.
    subprocess.run(command, check=True, env={**os.environ, "PYTHONHASHSEED": "0"}, stdout=subprocess.DEVNULL)
    return [
        (path, path.relative_to(stage).as_posix()) for path in sorted(stage.rglob("*.pyc")) if path.is_file()
    ]


def write_zip(output: Path, entries: list[tuple[Path, str]]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, name in sorted(entries, key=lambda entry: entry[1]):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build(output: Path, config_path: Path, *, host: bool = False) -> int:
    reqs = requirements(config_path)
    with tempfile.TemporaryDirectory(prefix="sre-on-call-lambda-") as tmp:
        site, stage = Path(tmp) / "site", Path(tmp) / "bytecode"
        subprocess.run(pip_command(site, reqs, host=host), check=True)
        entries = [*installed_files(site), *project_files(), (config_path, "config.yaml")]
        python = runtime_python(host=host)
        if python is None:
            print(
                f"no python{PYTHON_VERSION} on PATH: the zip ships sources only, and every cold "
                "start compiles them",
                file=sys.stderr,
            )
        else:
            entries += bytecode_files(entries, python, stage)
        clashes = {name for name, count in Counter(name for _, name in entries).items() if count > 1}
        if clashes:
            raise SystemExit(f"a dependency ships files the project also ships: {sorted(clashes)[:5]}")
        write_zip(output, entries)
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "lambda.zip")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml", help="copied in as config.yaml")
    parser.add_argument("--host", action="store_true", help="dependencies for this machine, not Lambda arm64")
    parser.add_argument("--dry-run", action="store_true", help="print the pip command and the files only")
    args = parser.parse_args(argv)
    if not args.config.is_file():
        print(f"no config file at {args.config}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(" ".join(pip_command(Path("<site>"), requirements(args.config), host=args.host)))
        for _, name in project_files():
            print(name)
        print(f"config.yaml  <- {args.config}")
        return 0
    count = build(args.output, args.config, host=args.host)
    size = args.output.stat().st_size / 1_000_000
    print(f"wrote {args.output} ({count} files, {size:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
