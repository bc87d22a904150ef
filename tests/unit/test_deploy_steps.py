"""One order of deployment steps: the README, the module's README and docs/setup.md say the same
steps in the same order (a reader following either must not push images before their repositories
exist, or apply the stack before the zip is built), with the same config file throughout."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What each step runs, in the order a deployment must run it.
STEPS = (
    "config_path",
    "aws_ecr_repository.agent",
    "scripts/build_images.sh <tag> --config <file>",
    "scripts/build_lambda.py --config <file>",
    'terraform apply` with `image_tag = "<tag>"',
    "scripts/hydrate_secrets.py",
    "docs/setup.md",
    "scripts/send_test_alert.py",
)


def section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return " ".join(text[start : end if end != -1 else len(text)].split())


def numbered_steps(text: str) -> list[str]:
    return re.split(r" \d\. ", text)[1:]


def test_both_readmes_give_the_same_steps_in_the_same_order() -> None:
    for path, heading in (
        (ROOT / "README.md", "## Deploying to AWS"),
        (ROOT / "modules/sre-on-call/README.md", "## Deploying"),
    ):
        steps = numbered_steps(section(path, heading))
        assert len(steps) == len(STEPS), (path, steps)
        for number, (step, marker) in enumerate(zip(steps, STEPS, strict=True), start=1):
            assert marker in step, f"{path.name} step {number} should be about {marker!r}: {step[:120]}"


def test_setup_md_starts_where_the_readmes_hand_over_to_it() -> None:
    setup = " ".join((ROOT / "docs/setup.md").read_text(encoding="utf-8").split())
    assert "after `terraform apply`" in setup
    first = numbered_steps(setup)[0]
    assert first.startswith("**Secrets.**") and "scripts/hydrate_secrets.py" in first
