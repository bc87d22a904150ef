"""`sre-on-call sandbox up|down`: the sandbox in the foreground until Ctrl-C or `down`."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

from shared.config import load_config
from shared.errors import SreOnCallError
from shared.sandbox.scenario import load_scenario
from shared.sandbox.stack import Sandbox, with_scenario_channels


def sandbox_up(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scenario = load_scenario(args.scenario) if args.scenario else None
    with Sandbox(with_scenario_channels(config, [scenario] if scenario else [])) as sandbox:
        if scenario:
            sandbox.load(scenario)
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.state.write_text(sandbox.state_json(), encoding="utf-8")
        sys.stdout.write(
            sandbox.state_json() + "\nsandbox up; Ctrl-C or `sre-on-call sandbox down` stops it\n"
        )
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            args.state.unlink(missing_ok=True)
    return 0


def sandbox_down(args: argparse.Namespace) -> int:
    if not args.state.exists():
        raise SreOnCallError(f"no sandbox is running ({args.state} not found)")
    pid = int(json.loads(args.state.read_text(encoding="utf-8"))["pid"])
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        args.state.unlink(missing_ok=True)
        return 0
    deadline = time.monotonic() + 30
    while args.state.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    sys.stdout.write("sandbox stopped\n")
    return 0
