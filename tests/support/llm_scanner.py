"""A small test-only scanner for LLM-mode tests: a fixed log, one deterministic analyzer, two
read-only tools over the same log, and skills in a folder the test chooses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from strands import tool

from agents.common.base import Budget, Scanner, ScanOutcome
from shared.alerts.context import build_alert_context
from shared.config import AppConfig, parse_config
from shared.contracts import AlertContext, Evidence, EvidenceKind, Finding, Severity

AGENT = "probe"
LOG_GROUP = "/app/orders"
PRICES = {"scripted-model": {"input": 1.0, "output": 5.0}}


def probe_config(
    *,
    max_tool_cycles: int = 4,
    skills: list[str] | None = None,
    model: dict[str, Any] | None = None,
    prices: dict[str, Any] | None = None,
    **agent: Any,
) -> AppConfig:
    """A config with the master and the probe scanner, whose model is `openai` (unit tests inject
    a scripted model instead; `model` overrides the settings) so the LLM tier is on."""
    return parse_config(
        {
            "defaults": {"model": {"provider": "none"}, "deadline_seconds": 60},
            "prices": prices if prices is not None else PRICES,
            "agents": {
                "master": {"role": "master", "port": 9100, "runtime_arn_env": "M_ARN"},
                AGENT: {
                    "port": 9101,
                    "runtime_arn_env": "P_ARN",
                    "skills": skills if skills is not None else ["log-triage"],
                    "model": {
                        "provider": "openai",
                        "model_id": "scripted-model",
                        "base_url": "http://127.0.0.1:9/v1",
                        "max_tool_cycles": max_tool_cycles,
                        **(model or {}),
                    },
                    **agent,
                },
            },
        }
    )


def write_skills(folder: Path) -> Path:
    """Two skills on disk; configs enable only some."""
    for name, text in (
        ("log-triage", "Triage the orders log, find pool exhaustion and timeouts."),
        ("secret-ops", "Rotate credentials (must never be offered to a scanner that did not enable it)."),
    ):
        (folder / name).mkdir(parents=True, exist_ok=True)
        (folder / name / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: {text}\n---\n# {name}\n\n{text}\n", encoding="utf-8"
        )
    return folder


class ProbeScanner(Scanner):
    description = "Reads the orders service log."
    system_prompt = "You are the log scanner of an on-call investigation. Cite exact log lines."

    def __init__(self, config: AppConfig, lines: list[str], skills_dir: Path | None = None) -> None:
        super().__init__(config, AGENT)
        self.lines = lines
        self._skills_dir = skills_dir
        self.tool_calls: list[str] = []

    @property
    def skills_dir(self) -> Path:
        return self._skills_dir or super().skills_dir

    def collect(self, ctx: AlertContext, budget: Budget) -> ScanOutcome:
        errors = [line for line in self.lines if " ERROR " in f" {line} "]
        if not errors:
            return ScanOutcome(notes=[f"read {len(self.lines)} lines of {LOG_GROUP}, no ERROR"])
        finding = Finding(
            id=f"{AGENT}:errors:{LOG_GROUP}",
            agent=AGENT,
            severity=Severity.WARNING,
            title=f"{len(errors)} ERROR lines in {LOG_GROUP}",
            evidence=tuple(
                Evidence(kind=EvidenceKind.LOG_LINE, reference=f"{LOG_GROUP}/web-1", excerpt=line)
                for line in errors[:3]
            ),
            relevance=0.6,
        )
        return ScanOutcome(findings=[finding], notes=[f"read {len(self.lines)} lines of {LOG_GROUP}"])

    def tools(self) -> list[Any]:
        scanner = self

        @tool
        def search_logs(pattern: str) -> dict:
            """Lines of the orders log containing `pattern` (case-insensitive), at most 50.

            Args:
                pattern: text to look for, e.g. "timeout".
            """
            scanner.tool_calls.append(f"search_logs:{pattern}")
            hits = [line for line in scanner.lines if pattern.lower() in line.lower()]
            return {"log_group": LOG_GROUP, "lines": hits[:50]}

        @tool
        def count_lines() -> dict:
            """How many lines the orders log holds."""
            scanner.tool_calls.append("count_lines")
            return {"log_group": LOG_GROUP, "count": len(scanner.lines)}

        return [search_logs, count_lines]


def probe_context(text: str = "OrdersLatencyHigh: p99 over 2s on orders") -> AlertContext:
    return build_alert_context(
        platform="slack",
        channel="C0ALERTS",
        text=text,
        labels={"alertname": "OrdersLatencyHigh", "namespace": "shop", "service": "orders"},
        received_at=datetime.now(UTC) - timedelta(seconds=30),
    )
