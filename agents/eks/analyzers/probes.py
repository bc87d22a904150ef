"""Which probe fails, from the pod spec: its type (liveness, readiness, startup), its handler, port
and path, and the ports the container says it serves on when the probe's port is not one of them
(a declared port of another name, an env variable or argument naming another port).

`Readiness probe failed: HTTP probe failed with statuscode: 404` says that a probe fails; the spec
says which one: `readinessProbe GET :8080/actuator/health/readiness; the container declares ports
http 8080, management 8081; env MANAGEMENT_SERVER_PORT=8081`."""

from __future__ import annotations

import re
from typing import Any

from agents.eks import objects as o
from agents.eks.objects import Obj

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_KIND_WORDS = {"liveness": "livenessProbe", "readiness": "readinessProbe", "startup": "startupProbe"}
# `--port=9090`, `--management-port 8081`, `-listen :8081`, `server.port=8081`
_PORT_ARG = re.compile(
    r"(?i)(?:^|[\s=])-{0,2}([a-z0-9_.-]*(?:port|listen|addr)[a-z0-9_.-]*)[=\s]+:?(\d{2,5})\b"
)
_PORT_ENV = re.compile(r"(?i)(port|listen|addr)")
_NUMBER = re.compile(r"^:?(\d{2,5})$")


def probe_kind(message: str) -> str | None:
    """`livenessProbe` for `Liveness probe failed: ...`, and so on; None when the text names none."""
    lowered = message.lower()
    for word, kind in _KIND_WORDS.items():
        if f"{word} probe" in lowered:
            return kind
    return None


def container_spec(pod: Obj, container: str | None, template: Obj | None = None) -> dict[str, Any]:
    """The container's spec from the pod, with what the pod's copy lacks (env, args) taken from its
    workload's template (the same container by name)."""
    found: dict[str, Any] = {}
    for source in (pod, template):
        if source is None:
            continue
        for spec in o.template_containers(source):
            if spec.get("name") == container or (container is None and not found):
                for key, value in spec.items():
                    found.setdefault(key, value)
                break
    return found


def handler(probe: dict[str, Any]) -> str:
    """`GET :8080/healthz`, `tcpSocket :5432`, `grpc :9090`, `exec cat /tmp/ready`."""
    if isinstance(probe.get("httpGet"), dict):
        get = probe["httpGet"]
        scheme = "HTTPS " if str(get.get("scheme", "")).upper() == "HTTPS" else ""
        return f"{scheme}GET :{get.get('port', '?')}{get.get('path') or '/'}"
    if isinstance(probe.get("tcpSocket"), dict):
        return f"tcpSocket :{probe['tcpSocket'].get('port', '?')}"
    if isinstance(probe.get("grpc"), dict):
        return f"grpc :{probe['grpc'].get('port', '?')}"
    if isinstance(probe.get("exec"), dict):
        return "exec " + " ".join(str(c) for c in probe["exec"].get("command") or [])[:80]
    return "no handler"


def probe_port(probe: dict[str, Any]) -> int | str | None:
    for key in ("httpGet", "tcpSocket", "grpc"):
        if isinstance(probe.get(key), dict):
            port = probe[key].get("port")
            return port if isinstance(port, int) else (str(port) if port is not None else None)
    return None


def _declared(container: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (str(p.get("name") or ""), int(p["containerPort"]))
        for p in container.get("ports") or []
        if isinstance(p, dict) and isinstance(p.get("containerPort"), int)
    ]


def _named_ports(container: dict[str, Any]) -> list[tuple[str, int]]:
    """Ports the env and the arguments name: (`MANAGEMENT_SERVER_PORT`, 8081), (`--port`, 9090)."""
    found: list[tuple[str, int]] = []
    for env in container.get("env") or []:
        if not isinstance(env, dict) or not _PORT_ENV.search(str(env.get("name", ""))):
            continue
        match = _NUMBER.match(str(env.get("value", "")).strip())
        if match:
            found.append((str(env["name"]), int(match.group(1))))
    words = " ".join(str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])])
    for match in _PORT_ARG.finditer(words):
        found.append((match.group(1), int(match.group(2))))
    return found


def describe(container: dict[str, Any], kind: str) -> str | None:
    """`readinessProbe GET :8080/actuator/health/readiness (period 10 s, 3 failures)` plus, when
    its port is not the only one the container names, the ports it declares and the env or
    arguments that name another; None when the container has no such probe."""
    probe = container.get(kind)
    if not isinstance(probe, dict):
        return None
    text = f"{kind} {handler(probe)}"
    timing = [
        f"{label} {probe[key]}{unit}"
        for key, label, unit in (
            ("initialDelaySeconds", "initial delay", " s"),
            ("timeoutSeconds", "timeout", " s"),
            ("failureThreshold", "failure threshold", ""),
        )
        if probe.get(key) is not None
    ]
    if timing and kind != "readinessProbe":  # how soon a liveness or startup probe kills
        text += f" ({', '.join(timing)})"
    port = probe_port(probe)
    if port is None:
        return text
    declared = _declared(container)
    numbers = {number for _, number in declared}
    names = {name: number for name, number in declared if name}
    number = port if isinstance(port, int) else names.get(str(port))
    if isinstance(port, str) and not port.isdigit() and port not in names:
        text += f"; port name {port} is not declared by the container"
    elif isinstance(port, str) and port.isdigit():
        number = int(port)
    others = [(name, n) for name, n in declared if n != number]
    if others:
        listed = ", ".join(f"{name} {n}" if name else str(n) for name, n in declared)
        text += f"; ports declared: {listed}"
    elif declared and number is not None and number not in numbers:
        text += f"; the container declares port {', '.join(str(n) for _, n in declared)}, not {number}"
    named = [(name, n) for name, n in _named_ports(container) if n != number]
    if named:
        text += "; another port in env/args: " + ", ".join(f"{name}={n}" for name, n in named[:3])
    return text


def failing_probe(pod: Obj, container: str | None, message: str, template: Obj | None = None) -> str | None:
    """The failing probe's description for a container of `pod`: the probe the kubelet's message
    names, else its readiness probe for a not-ready container; None without a spec to tell."""
    spec = container_spec(pod, container, template)
    if not spec:
        return None
    kind = probe_kind(message)
    if kind:
        return describe(spec, kind)
    return None
