"""Sign and send a synthetic alert to an intake URL, as Slack, Discord or Alertmanager would.

Secrets are read from environment variables (named by flags), never from the command line:

    SLACK_SIGNING_SECRET=... python scripts/send_test_alert.py slack \\
        --url https://<id>.lambda-url.<region>.on.aws --channel C0123ALERTS \\
        [--text "[FIRING:1] HighErrorRate checkout"] [--mention U0BOTUSER]
    ALERTMANAGER_WEBHOOK_TOKEN=... python scripts/send_test_alert.py alertmanager \\
        --url http://127.0.0.1:8080 --channel C0123ALERTS [--platform slack] [--status resolved]
    DISCORD_TEST_SIGNING_KEY=<hex seed> python scripts/send_test_alert.py discord \\
        --url ... --channel 1234567890

Discord signs with the application's private key, which only Discord holds: the `discord` kind works
against an intake whose DISCORD_PUBLIC_KEY is the sandbox's own test key (see sandbox.signing).
Prints the HTTP status and the intake's answer; exits 0 on a 2xx.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.signing import (
    alertmanager_webhook,
    discord_headers,
    discord_investigate_interaction,
    slack_alert_event,
    slack_headers,
)

DEFAULT_TEXT = (
    "[FIRING:1] HighErrorRate checkout 5xx above 5% for 5m namespace=shop service=checkout severity=critical"
)


def _secret(variable: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        sys.exit(f"{variable} is not set (the secret is read from the environment, never from arguments)")
    return value


def build(args: argparse.Namespace) -> tuple[str, bytes, dict[str, str], dict[str, str]]:
    """(path, body, headers, query) for the chosen kind."""
    now = int(time.time())
    if args.kind == "slack":
        body = slack_alert_event(args.channel, args.text, mention=args.mention)
        return (
            "/slack/events",
            body,
            slack_headers(_secret(args.secret_env or "SLACK_SIGNING_SECRET"), body, now),
            {},
        )
    if args.kind == "discord":
        body = discord_investigate_interaction(args.channel, args.text)
        key = _secret(args.secret_env or "DISCORD_TEST_SIGNING_KEY")
        return "/discord/interactions", body, discord_headers(key, body, now), {}
    labels = {
        "alertname": args.alertname,
        "namespace": args.namespace,
        "service": args.service,
        "severity": args.severity,
    }
    body = alertmanager_webhook(labels, summary=args.text, status=args.status)
    token = _secret(args.secret_env or "ALERTMANAGER_WEBHOOK_TOKEN")
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return "/alertmanager", body, headers, {"channel": args.channel, "platform": args.platform}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sign and send a synthetic alert to an intake URL.")
    parser.add_argument("kind", choices=["slack", "discord", "alertmanager"])
    parser.add_argument("--url", required=True, help="the intake's base URL (function URL or local server)")
    parser.add_argument("--channel", required=True, help="Slack channel id or Discord channel snowflake")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="alert text (Alertmanager: the summary)")
    parser.add_argument("--mention", default=None, help="slack: send an app_mention of this bot user id")
    parser.add_argument("--secret-env", default=None, help="env var holding the signing secret / key / token")
    parser.add_argument(
        "--platform", choices=["slack", "discord"], default="slack", help="alertmanager: report to"
    )
    parser.add_argument("--status", choices=["firing", "resolved"], default="firing")
    parser.add_argument("--alertname", default="HighErrorRate")
    parser.add_argument("--namespace", default="shop")
    parser.add_argument("--service", default="checkout")
    parser.add_argument("--severity", default="critical")
    args = parser.parse_args(argv)

    path, body, headers, query = build(args)
    url = args.url.rstrip("/") + path
    try:
        answer = httpx.post(url, content=body, headers=headers, params=query or None, timeout=10)
    except httpx.HTTPError as e:
        print(f"could not reach {url}: {e}", file=sys.stderr)
        return 2
    print(f"{answer.status_code} {answer.text}")
    return 0 if answer.is_success else 1


if __name__ == "__main__":
    sys.exit(main())
