"""The `sre-on-call` command. Heavy imports happen inside each subcommand."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.errors import SreOnCallError
from shared.logsetup import configure_logging, default_config


def _config_check(args: argparse.Namespace) -> int:
    from shared.config import config_path, load_config

    file = config_path(args.file)
    config = load_config(file)
    scanners = ", ".join(config.scanners()) or "none"
    print(f"{file}: ok (master: {config.master_id}; enabled scanners: {scanners})")
    return 0


def _config_schema(args: argparse.Namespace) -> int:
    from shared.config import config_json_schema

    print(config_json_schema())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from agents.serve import main as serve_main

    argv = [args.agent, "--host", args.host]
    if args.port:
        argv += ["--port", str(args.port)]
    return serve_main(argv) or 0


def _discord_gateway(args: argparse.Namespace) -> int:
    from lambda_adapter.discord_gateway import main as gateway_main

    argv = []
    if args.config:
        argv += ["--config", str(args.config)]
    if args.intake_function:
        argv += ["--intake-function", args.intake_function]
    return gateway_main(argv)


def _investigate(args: argparse.Namespace) -> int:
    from sre_on_call.investigate import run_investigate

    return run_investigate(args)


def _sandbox_module(name: str) -> Any:
    """A module of the embedded sandbox, which ships as an extra (moto and the stand-ins are not part
    of the product): a clear error when it is not installed."""
    try:
        return importlib.import_module(f"sandbox.{name}")
    except ModuleNotFoundError as e:
        if e.name and (e.name == "sandbox" or e.name.startswith("sandbox.") or e.name == "moto"):
            raise SreOnCallError(
                f"the embedded sandbox is not installed ({e.name} is missing): "
                "pip install 'sre-on-call[sandbox]', or run make install in a clone"
            ) from e
        raise


def _sandbox(args: argparse.Namespace) -> int:
    cli = _sandbox_module("cli")
    sandbox_down, sandbox_up = cli.sandbox_down, cli.sandbox_up

    return sandbox_up(args) if args.action == "up" else sandbox_down(args)


def _demo(args: argparse.Namespace) -> int:
    run_demo = _sandbox_module("demo").run_demo
    return run_demo(scenario=args.scenario, keep=args.keep, config_file=args.config)


def _eval(args: argparse.Namespace) -> int:
    run_eval = _sandbox_module("evaluate").run_eval
    return run_eval(args.paths, json_path=args.json, config_file=args.config, repeat=args.repeat)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sre-on-call")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sre-on-call", description="Parallel, deadline-bounded on-call investigator."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    config = commands.add_parser("config", help="validate config.yaml or print its JSON Schema")
    config_actions = config.add_subparsers(dest="action", required=True)
    check = config_actions.add_parser("check", help="validate a config file")
    check.add_argument(
        "file",
        nargs="?",
        type=Path,
        help="default: $SRE_ON_CALL_CONFIG, else ./config.yaml, else the example shipped with the package",
    )
    check.set_defaults(handler=_config_check)
    schema = config_actions.add_parser("schema", help="print the JSON Schema of config.yaml")
    schema.set_defaults(handler=_config_schema)

    serve = commands.add_parser("serve", help="serve one agent from config.yaml as an A2A server")
    serve.add_argument("agent")
    serve.add_argument("--port", type=int, default=0, help="default: the agent's port in config.yaml")
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(handler=_serve)

    gateway = commands.add_parser(
        "discord-gateway",
        help="hold the Discord Gateway connection and hand channel messages to the intake",
    )
    gateway.add_argument("--config", type=Path, default=None)
    gateway.add_argument(
        "--intake-function",
        default=None,
        help="the intake Lambda to invoke (default $SRE_INTAKE_FUNCTION; none: the intake in this process)",
    )
    gateway.set_defaults(handler=_discord_gateway)

    investigate = commands.add_parser(
        "investigate",
        help="run one investigation and print the report",
        description="Run one investigation of an alert text against the configured agents (or a "
        "running sandbox) and print the report when it is posted, then any late result.",
        epilog="examples:\n"
        "  sre-on-call sandbox up &        # then, in another shell:\n"
        "  sre-on-call investigate --channel C0ALERTS --no-post \\\n"
        "      --text '[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p'\n"
        "  sre-on-call investigate --channel C0ALERTS --format json --deadline 20 --text 'checkout 502s'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    investigate.add_argument("--platform", choices=["slack", "discord", "alertmanager"], default="slack")
    investigate.add_argument("--channel", required=True)
    investigate.add_argument("--text", required=True)
    investigate.add_argument("--thread", default=None, help="message id to reply under")
    investigate.add_argument("--format", choices=["markdown", "json", "slack", "discord"], default="markdown")
    investigate.add_argument("--no-post", action="store_true", help="print only; do not post to the channel")
    investigate.add_argument("--config", type=Path, default=None)
    investigate.add_argument(
        "--sandbox",
        type=Path,
        default=None,
        metavar="STATE",
        help="a running sandbox's state file (default: build/sandbox.json when it exists)",
    )
    investigate.add_argument(
        "--deadline", type=float, default=None, help="seconds until the report; no waiting for late results"
    )
    investigate.set_defaults(handler=_investigate)

    sandbox = commands.add_parser("sandbox", help="start or stop the embedded sandbox")
    sandbox.add_argument("action", choices=["up", "down"])
    sandbox.add_argument("--scenario", type=Path, default=None)
    sandbox.add_argument("--config", type=Path, default=None)
    sandbox.add_argument("--state", type=Path, default=Path("build/sandbox.json"))
    sandbox.add_argument(
        "--timeout", type=float, default=30.0, help="down: seconds to wait for every process to stop"
    )
    sandbox.set_defaults(handler=_sandbox)

    demo = commands.add_parser("demo", help="play a scenario through the whole system on the sandbox")
    demo.add_argument("--scenario", type=Path, default=None, help="default: the shipped oom-after-deploy")
    demo.add_argument("--keep", action="store_true", help="keep the sandbox running until Ctrl-C")
    demo.add_argument("--config", type=Path, default=None)
    demo.set_defaults(handler=_demo)

    evaluate = commands.add_parser("eval", help="score scenarios (docs/scenarios.md)")
    evaluate.add_argument("paths", nargs="+", type=Path)
    evaluate.add_argument("--json", type=Path, default=None)
    evaluate.add_argument("--config", type=Path, default=None)
    evaluate.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="play the whole list N times over and say which scenarios are unstable "
        "(passed in some rounds, failed in others)",
    )
    evaluate.set_defaults(handler=_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(logging.INFO if args.verbose else logging.WARNING, default_config())
    try:
        return int(args.handler(args))
    except SreOnCallError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
