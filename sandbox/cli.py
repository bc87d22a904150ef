"""`sre-on-call sandbox up|down`: the sandbox in the foreground until Ctrl-C or `down`.

It says which scenario it loaded, where each part listens and how to poke it (`sandbox.guide`).
The state file says where everything runs and the pid of every process the sandbox started
(Prometheus, the agents; Alertmanager while it runs). `down` stops the sandbox and waits until
all of them are gone; when its wait runs out it says which are left and exits 1."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from sandbox.guide import guide
from sandbox.scenario import load_scenario
from sandbox.stack import Sandbox, with_scenario_channels
from shared.config import load_config
from shared.errors import SreOnCallError

DOWN_TIMEOUT = 30.0


def sandbox_up(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scenario = load_scenario(args.scenario) if args.scenario else None
    with Sandbox(with_scenario_channels(config, [scenario] if scenario else [])) as sandbox:
        try:
            resolved = None
            if scenario:
                resolved = sandbox.load(scenario)
            else:
                sandbox.start_empty_prometheus()
            # Running for what the user does by hand: the Silence button, alerts posted to it.
            sandbox.serve_alertmanager(resolved)
            args.state.parent.mkdir(parents=True, exist_ok=True)
            args.state.write_text(sandbox.state_json(), encoding="utf-8")
            sys.stdout.write(
                guide(
                    sandbox.describe(),
                    scenario=scenario,
                    resolved=resolved,
                    state=args.state,
                    region=sandbox.region,
                )
            )
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            args.state.unlink(missing_ok=True)
    return 0


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, exited but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): signal 0 is all we can ask
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def sandbox_down(args: argparse.Namespace) -> int:
    if not args.state.exists():
        raise SreOnCallError(f"no sandbox is running ({args.state} not found)")
    state = json.loads(args.state.read_text(encoding="utf-8"))
    pid = int(state["pid"])
    processes = {"sandbox": pid, **{name: int(p) for name, p in state.get("children", {}).items()}}
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        args.state.unlink(missing_ok=True)  # the sandbox is gone; its children die with it
    timeout = getattr(args, "timeout", None) or DOWN_TIMEOUT
    deadline = time.monotonic() + timeout
    left = dict(processes)
    while time.monotonic() < deadline:
        left = {name: p for name, p in left.items() if alive(p)}
        if not left and not args.state.exists():
            sys.stdout.write(f"sandbox stopped ({len(processes)} processes)\n")
            return 0
        time.sleep(0.1)
    left = {name: p for name, p in left.items() if alive(p)}
    if not left:  # all gone, but the sandbox did not remove its state file
        args.state.unlink(missing_ok=True)
        sys.stdout.write(f"sandbox stopped ({len(processes)} processes)\n")
        return 0
    still = ", ".join(f"{p} ({name})" for name, p in left.items())
    sys.stderr.write(f"sandbox not stopped after {timeout:.0f}s; still running: {still}\n")
    return 1
