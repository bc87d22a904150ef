"""The graph of what moved: which metrics are drawn, the PNG (size, the alert and change marks),
its upload to Slack (files_upload_v2's three calls against the stand-in) and Discord (a message
with the file attached), and the word said when there is no time left for it."""

from __future__ import annotations

import asyncio
import io
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agents.master.graph import ALERT_COLOUR, CHANGE_COLOUR, Curve, draw, graph_png, moved_metrics
from agents.master.orchestrator import Investigator
from sandbox.chat import FakeChannel, FakeSlackApi
from sandbox.http import ServedApp
from sandbox.intake_fakes import MemoryChat
from shared.chat.discord import DiscordPlatform
from shared.chat.slack import SlackPlatform
from shared.config import load_config
from shared.contracts import (
    AlertContext,
    Cause,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    IncidentReport,
    Platform,
    Severity,
    Trigger,
)

T = datetime(2026, 12, 7, 5, 57, tzinfo=UTC)
CHANGE = T - timedelta(minutes=41)


def metric_finding(fid: str, title: str, expr: str, relevance: float) -> Finding:
    evidence = (Evidence(kind=EvidenceKind.METRIC, reference=expr, at=T - timedelta(minutes=5)),)
    return Finding(
        id=fid,
        agent="prometheus",
        severity=Severity.WARNING,
        title=title,
        evidence=evidence,
        relevance=relevance,
    )


def report() -> IncidentReport:
    ctx = AlertContext(
        investigation_id="slack-graph-0001",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        received_at=T,
        window_start=T - timedelta(hours=1),
        window_end=T,
    )
    findings = (
        metric_finding(
            "prometheus:mem:1",
            "Memory of checkout reached its limit",
            "container_memory_working_set_bytes",
            0.9,
        ),
        metric_finding(
            "prometheus:restarts:2",
            "Restarts of checkout rose",
            "kube_pod_container_status_restarts_total",
            0.8,
        ),
        Finding(
            id="eks:rollout:3",
            agent="eks",
            severity=Severity.INFO,
            title="Deployment shop/checkout revision 14",
            first_seen=CHANGE,
            change=Trigger.DEPLOY,
            relevance=0.9,
        ),
        metric_finding("prometheus:noise:4", "Something below the bar", "up", 0.01),
    )
    cause = Cause(
        category=CauseCategory.OOM,
        trigger=Trigger.DEPLOY,
        summary="Memory exhausted.",
        confidence=0.9,
        evidence=("prometheus:mem:1", "eks:rollout:3"),
    )
    return IncidentReport(
        investigation_id=ctx.investigation_id, alert=ctx, title="OOM", cause=cause, findings=findings
    )


def ramp(start: datetime, end: datetime, step: timedelta) -> list[Curve]:
    n = int((end - start) / step)
    points = tuple(
        (start + i * step, 100 + (50 * i / n if start + i * step > CHANGE else 0)) for i in range(n + 1)
    )
    return [Curve("pod=checkout-1", points), Curve("pod=checkout-2", tuple((t, 1.0) for t, _ in points))]


def test_the_metrics_drawn_are_the_shown_ones_with_a_promql_cited_first() -> None:
    assert [m.expr for m in moved_metrics(report())] == [
        "container_memory_working_set_bytes",
        "kube_pod_container_status_restarts_total",
    ]


def _has_colour(image: Any, hex_colour: str) -> bool:
    want = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    rgb = image.convert("RGB")
    return any(math.dist(pixel, want) < 40 for pixel in rgb.getdata())


def test_the_png_is_600_px_wide_with_the_alert_and_the_change_marked() -> None:
    pytest.importorskip("matplotlib")
    image_module = pytest.importorskip("PIL.Image")
    queried: list[str] = []

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> list[Curve]:
        queried.append(expr)
        return ramp(start, end, step)

    made = graph_png(report(), query)
    assert made is not None
    png, alt = made
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000
    image = image_module.open(io.BytesIO(png))
    assert image.size[0] == 600 and 250 <= image.size[1] <= 400  # two panels
    assert image.info["Description"] == f"alert={T.isoformat()}; change={CHANGE.isoformat()}"
    assert _has_colour(image, ALERT_COLOUR) and _has_colour(image, CHANGE_COLOUR)
    assert "alert at 05:57 UTC" in alt and "change at 05:16 UTC" in alt
    assert queried == ["container_memory_working_set_bytes", "kube_pod_container_status_restarts_total"]


def test_without_a_change_in_the_window_only_the_alert_is_marked() -> None:
    pytest.importorskip("matplotlib")
    image_module = pytest.importorskip("PIL.Image")
    start = T - timedelta(hours=1)
    png = draw([("m", ramp(start, T, timedelta(minutes=1)))], start=start, end=T, alert_at=T, change_at=None)
    image = image_module.open(io.BytesIO(png))
    assert _has_colour(image, ALERT_COLOUR) and not _has_colour(image, CHANGE_COLOUR)


def test_slack_upload_makes_the_three_calls_files_upload_v2_makes() -> None:
    api = FakeSlackApi([FakeChannel("C0ALERTS", "alerts", [])], token="xoxb-graph")
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 500
    with ServedApp(api.app) as served:
        platform = SlackPlatform("xoxb-graph", f"{served.url}/api/")
        file_id = platform.upload(
            "C0ALERTS",
            "what-moved.png",
            png,
            thread_id="1712345600.000100",
            title="What moved",
            alt_text="memory",
        )
    assert [c for c in api.calls if c.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    [shared] = api.files.shared
    assert shared.id == file_id and shared.data == png and shared.channel == "C0ALERTS"
    assert (
        shared.thread_ts == "1712345600.000100"
        and shared.title == "What moved"
        and shared.alt_text == "memory"
    )


def test_discord_upload_is_a_message_with_the_png_attached() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "1300", "attachments": [{"id": "1"}]})

    platform = DiscordPlatform(
        "token", "https://discord.test/api/v10", transport=httpx.MockTransport(handler)
    )
    assert platform.upload("900", "what-moved.png", b"PNGDATA", thread_id="900", alt_text="memory") == "1300"
    [request] = seen
    body = request.read()
    assert request.url.path == "/api/v10/channels/900/messages"
    assert b'filename="what-moved.png"' in body and b"PNGDATA" in body
    payload = json.loads(body.split(b'name="payload_json"\r\n\r\n')[1].split(b"\r\n--")[0])
    assert payload["attachments"] == [{"id": 0, "filename": "what-moved.png", "description": "memory"}]


class UploadingChat(MemoryChat):
    def __init__(self) -> None:
        super().__init__("slack")
        self.uploads: list[tuple[str, bytes, str | None]] = []

    def upload(self, channel: str, filename: str, data: bytes, **kw: Any) -> str:
        self.uploads.append((filename, data, kw.get("thread_id")))
        return "F1"


def test_the_graph_goes_to_the_thread_or_is_skipped_with_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agents.master.orchestrator.graph_png", lambda _r, _q: (b"PNG", "alt"))
    chat = UploadingChat()
    investigator = Investigator(
        config=load_config(), client=None, chat_for=lambda _n: chat, graph_query=lambda *_a: []
    )  # type: ignore[arg-type]
    r = report()
    asyncio.run(investigator._post_graph(chat, r.alert, "1712345600.000100", r, until=1e12))
    assert chat.uploads == [("what-moved.png", b"PNG", "1712345600.000100")]
    # Once per investigation: a second attempt at it (another master) does not upload it again.
    asyncio.run(investigator._post_graph(chat, r.alert, "1712345600.000100", r, until=1e12))
    assert len(chat.uploads) == 1

    investigator = Investigator(
        config=load_config(), client=None, chat_for=lambda _n: chat, graph_query=lambda *_a: []
    )  # type: ignore[arg-type]
    asyncio.run(investigator._post_graph(chat, r.alert, "1712345600.000100", r, until=0.0))  # no time left
    assert chat.uploads[1:] == [] and "No graph of what moved" in chat.posted[-1].text


def test_the_metrics_that_moved_most_are_drawn_and_a_flat_one_is_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[str] = []

    def fake_draw(panels: list[tuple[str, list[Curve]]], **_kw: object) -> bytes:
        drawn.extend(title for title, _ in panels)
        return b"PNG"

    monkeypatch.setattr("agents.master.graph.draw", fake_draw)
    r = report()
    extra = tuple(
        metric_finding(f"prometheus:m{i}:{i + 10}", f"Metric {i}", f"metric_{i}", 0.7 - i / 100)
        for i in range(3)
    )
    r = r.model_copy(update={"findings": r.findings + extra})

    def query(expr: str, start: datetime, end: datetime, step: timedelta) -> list[Curve]:
        flat = expr == "kube_pod_container_status_restarts_total"
        return [Curve("x", tuple((start + i * step, 5.0 if flat else float(i)) for i in range(10)))]

    assert graph_png(r, query) is not None
    assert len(drawn) == 3 and "Restarts of checkout rose" not in drawn
    assert drawn[0] == "Memory of checkout reached its limit"  # the report's order among those kept
