"""Write secret values into the Secrets Manager containers the Terraform module created.

Values come from environment variables (the names config.yaml gives: SLACK_BOT_TOKEN, ...) or,
with --stdin, from `NAME=value` lines on standard input. Values are never printed or logged: the
script reports only which names it stored or skipped.

    terraform -chdir=examples/complete output -json secret_arns > /tmp/arns.json
    SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... python scripts/hydrate_secrets.py --arns /tmp/arns.json
    python scripts/hydrate_secrets.py --arns /tmp/arns.json --stdin < secrets.env
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def parse_lines(lines: Iterable[str]) -> dict[str, str]:
    """`NAME=value` lines (blank lines and # comments skipped); the value is kept verbatim."""
    values: dict[str, str] = {}
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if sep and name.strip():
            values[name.strip()] = value
    return values


def hydrate(client: Any, arns: Mapping[str, str], values: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Store each value whose name has a secret; returns (stored names, names with no value)."""
    stored, missing = [], []
    for name, arn in sorted(arns.items()):
        value = values.get(name, "")
        if not value:
            missing.append(name)
            continue
        client.put_secret_value(SecretId=arn, SecretString=value)
        stored.append(name)
    return stored, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--arns", required=True, type=Path, help="JSON {ENV_NAME: secret ARN} (terraform output)"
    )
    parser.add_argument("--stdin", action="store_true", help="read NAME=value lines from standard input")
    parser.add_argument("--region", default=None, help="AWS region (default: the SDK's)")
    args = parser.parse_args(argv)

    try:
        arns = json.loads(args.arns.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        print(f"error: cannot read {args.arns}: {e}", file=sys.stderr)
        return 2
    if isinstance(arns, dict) and "value" in arns:  # `terraform output -json` of the whole map
        arns = arns["value"]
    values = parse_lines(sys.stdin) if args.stdin else dict(os.environ)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("secretsmanager", region_name=args.region)
    try:
        stored, missing = hydrate(client, arns, values)
    except (BotoCoreError, ClientError) as e:
        # The exception text names the secret, never its value.
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    for name in stored:
        print(f"stored  {name}")
    for name in missing:
        print(f"skipped {name} (no value given)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
