"""Property tests: for any report (long, many findings, any unicode) no message exceeds its platform's
limits, and every finding that should be shown appears somewhere across the messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.actions import ActionSigner
from shared.contracts import (
    AgentResult,
    AgentRun,
    AgentStatus,
    AlertContext,
    Cause,
    CauseCategory,
    Evidence,
    EvidenceKind,
    Finding,
    Hints,
    IncidentReport,
    NextStep,
    Platform,
    RiskClass,
    Severity,
    Telemetry,
    TimelineEntry,
    Trigger,
)
from shared.redact import redact
from shared.render import (
    posted_text,
    render_discord,
    render_discord_parts,
    render_investigating,
    render_slack,
    render_update,
)
from shared.render.card import cause_fields
from shared.render.discord import DISCORD, split_messages
from shared.render.document import CAUSE_HEADING, MAX_TIMELINE, Span, build_document, shown_findings
from shared.render.escape import markdown_escape, one_line, slack_escape
from shared.render.layout import format_line, size
from shared.render.slack import SLACK

T = datetime(2026, 11, 22, 21, 40, tzinfo=UTC)
SIGNER = ActionSigner("test-action-key")
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that stresses escaping and lengths: markup, mentions, emoji (2 UTF-16 units), CJK, newlines;
# and long text made cheaply by repeating a drawn piece (generating 20,000 random characters is slow).
pieces = st.sampled_from(
    [
        "<!channel>",
        "@here",
        "&",
        "<@U1>",
        "*",
        "_",
        "`",
        "~",
        "|",
        ">",
        "#",
        "\n",
        "🔥",
        "漢字",
        "é",
        " ",
        "word",
        "https://x.example/a?b=c",
        "[a](b)",
        "\\",
        "token=abc",
    ]
)
raw_text = st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=12).map("".join)
repeated = st.builds(lambda s, n: ((s or "z") * n)[:20_000], raw_text, st.integers(1, 2000))
long_text = st.one_of(raw_text, repeated)


def bounded(strategy: st.SearchStrategy[str], low: int, high: int) -> st.SearchStrategy[str]:
    return strategy.map(lambda s: (s or "x")[:high]).filter(lambda s: len(s) >= low)


titles = bounded(long_text, 1, 300)
urls = st.one_of(
    st.none(),
    st.just("https://console.aws.amazon.com/cloudwatch/home#logsV2:logs-insights$3FqueryDetail$3D~(end~0)"),
    raw_text.map(lambda s: "https://prom.example/graph?g0.expr=" + s),
    st.just("https://x.example/" + "a" * 3000),
)
evidence = st.builds(
    Evidence, kind=st.sampled_from(EvidenceKind), reference=bounded(raw_text, 1, 4000), url=urls
)
slugs = st.from_regex(r"[a-z0-9\-]{1,40}", fullmatch=True)


@st.composite
def findings(draw: st.DrawFn) -> list[Finding]:
    agents = draw(
        st.lists(
            st.sampled_from(["eks", "prometheus", "cloudwatch_logs", "slack_scanner"]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    out = []
    for i in range(draw(st.integers(0, 30))):
        out.append(
            Finding(
                id=f"{agents[i % len(agents)]}:{draw(slugs)}:{i}",
                agent=agents[i % len(agents)],
                severity=draw(st.sampled_from(Severity)),
                title=draw(titles),
                detail=draw(st.just("") | long_text),
                evidence=tuple(draw(st.lists(evidence, max_size=2))),
                cause_hint=draw(st.none() | st.sampled_from(CauseCategory)),
                change=draw(st.none() | st.sampled_from(Trigger)),
                relevance=draw(st.floats(0, 1)),
                first_seen=T - timedelta(minutes=draw(st.integers(-30, 600))),
            )
        )
    return out


@st.composite
def reports(draw: st.DrawFn) -> IncidentReport:
    all_findings = draw(findings())
    cited = (
        draw(st.lists(st.sampled_from(all_findings), max_size=15, unique_by=lambda f: f.id))
        if all_findings
        else []
    )
    hints = Hints(
        alert_name=draw(bounded(raw_text, 1, 500)),
        namespace=draw(st.none() | bounded(raw_text, 1, 300)),
        workload=draw(st.none() | bounded(raw_text, 1, 300)),
        severity=draw(st.none() | st.sampled_from(Severity)),
    )
    ctx = AlertContext(
        investigation_id="slack-0123456789abcdef",
        platform=Platform.SLACK,
        channel="C0ALERTS",
        received_at=T,
        window_start=T - timedelta(hours=1),
        window_end=T + timedelta(minutes=2),
        hints=hints,
        annotations={"summary": draw(long_text)},
    )
    return IncidentReport(
        investigation_id=ctx.investigation_id,
        alert=ctx,
        title=draw(bounded(raw_text, 1, 600)),
        cause=Cause(
            category=draw(st.sampled_from(CauseCategory)),
            trigger=draw(st.sampled_from(Trigger)),
            summary=draw(long_text),
            confidence=draw(st.floats(0, 1)),
            evidence=tuple(f.id for f in cited),
        ),
        timeline=tuple(
            TimelineEntry(at=T - timedelta(minutes=i), text=draw(long_text), agent="eks")
            for i in range(draw(st.integers(0, 30)))
        ),
        findings=tuple(all_findings),
        next_steps=tuple(
            NextStep(
                text=draw(long_text),
                risk=draw(st.sampled_from(RiskClass)),
                command=draw(st.none() | raw_text),
            )
            for _ in range(draw(st.integers(0, 10)))
        ),
        agents=tuple(
            AgentRun(
                name=f"agent_{i}",
                status=draw(st.sampled_from(AgentStatus)),
                errors=tuple(draw(st.lists(long_text, max_size=2))),
            )
            for i in range(draw(st.integers(0, 8)))
        ),
        telemetry=Telemetry(model=draw(bounded(raw_text, 1, 200)), input_tokens=draw(st.integers(0, 10**9))),
    )


@PROPERTY
@given(reports())
def test_messages_stay_within_platform_limits_and_drop_no_shown_finding(report: IncidentReport) -> None:
    parts = render_slack(report, SIGNER)
    messages = render_discord(report)

    assert parts and messages
    for part in parts:
        assert part.blocks is not None and 1 <= len(part.blocks) <= 50
        assert size(part.text) <= 40_000
        for block in part.blocks:
            if block["type"] == "header":
                assert 1 <= size(block["text"]["text"]) <= 150
            elif block["type"] == "section":
                assert "text" in block or block.get("fields")
                assert "text" not in block or 1 <= size(block["text"]["text"]) <= 3000
                assert len(block.get("fields", [])) <= 10
                assert all(1 <= size(f["text"]) <= 2000 for f in block.get("fields", []))
            elif block["type"] == "actions":
                assert 1 <= len(block["elements"]) <= 25
                for button in block["elements"]:
                    assert 1 <= size(button["text"]["text"]) <= 75
                    assert size(button.get("value", "")) <= 2000 and size(button.get("url", "")) <= 3000
            elif block["type"] == "context":
                assert 1 <= len(block["elements"]) <= 10
                assert all(size(e["text"]) <= 3000 for e in block["elements"])
    assert all(1 <= size(m) <= 2000 for m in messages)
    # The buttons end the report and never stand alone in a message.
    last = parts[-1].blocks or []
    assert last[-1]["type"] == "actions" and (len(parts) == 1 or len(last) > 1)
    rich = render_discord_parts(report, SIGNER)
    for part in rich:
        assert 1 <= size(part.text) <= 2000 and part.blocks is not None
        for embed in part.blocks[0]["embeds"]:
            assert 1 <= size(embed["title"]) <= 256 and size(embed["description"]) <= 4096
            assert len(embed["fields"]) <= 25
            assert all(size(f["name"]) <= 256 and 1 <= size(f["value"]) <= 1024 for f in embed["fields"])
            total = embed["title"] + embed["description"] + embed["footer"]["text"]
            total += "".join(f["name"] + f["value"] for f in embed["fields"])
            assert size(total) <= 6000
        for row in part.blocks[0]["components"]:
            assert 1 <= len(row["components"]) <= 5
            for button in row["components"]:
                assert 1 <= size(button["label"]) <= 80
                assert size(button.get("custom_id", "")) <= 100 and size(button.get("url", "")) <= 512
    assert len(rich[-1].blocks[0]["components"]) >= 1 if rich[-1].blocks else False

    slack, discord = posted_text(parts), posted_text(messages)
    shown = shown_findings(report)
    assert {f.id for f in shown} >= set(report.cause.evidence)
    for finding in shown:
        assert slack_escape(finding.title) in slack
        assert markdown_escape(finding.title) in discord

    # Nothing the document holds is lost to splitting, in any section or the footer.
    doc = build_document(report)
    lines = [line for section in doc.sections for line in section.lines] + [doc.footer]
    # The rich forms say the cause's first line as fields (category, trigger, confidence).
    cause_head = next(s.lines[0] for s in doc.sections if s.heading == CAUSE_HEADING)
    for fmt, text in ((SLACK, slack), (DISCORD, discord), (SLACK, slack), (DISCORD, posted_text(rich))):
        posted = skeleton(text)
        for line in lines:
            if line is cause_head and text is not discord:
                continue
            for span in line:
                said = fmt.text(span.text) if span.style == "link" else fmt.span(span)
                assert skeleton(said, span.text) in posted, span.text[:80]
    # Which is what the engineer reads: the cause, each next step, the timeline, each agent's error.
    for escape, text in (
        (slack_escape, slack),
        (markdown_escape, discord),
        (markdown_escape, posted_text(rich)),
    ):
        posted = skeleton(text)
        for name, value in cause_fields(report):
            assert text is discord or skeleton(name + escape(value), value) in posted
        assert skeleton(escape(report.cause.summary), report.cause.summary) in posted
        for step in report.next_steps:
            assert skeleton(escape(step.text), step.text) in posted
        for entry in report.timeline[-MAX_TIMELINE:]:
            assert skeleton(escape(one_line(entry.text, 300)), entry.text) in posted
        for run in report.agents:
            assert skeleton(escape(run.name)) in posted
            if run.errors:
                assert skeleton(escape(one_line(run.errors[0], 200)), run.errors[0]) in posted


@PROPERTY
@given(reports(), st.sampled_from(["", "-# a note after the report", "x" * 2500]))
def test_a_posted_discord_report_splits_again_into_messages_discord_takes(
    report: IncidentReport, note: str
) -> None:
    """What comes back through a Discord interaction: the report as posted (its messages joined),
    a note after it, cut again within 2000 per message, nothing lost or reordered."""
    text = posted_text(render_discord(report)) + (f"\n\n{note}" if note else "")
    messages = split_messages(text)
    assert messages and all(1 <= size(m) <= 2000 for m in messages)
    assert skeleton("".join(messages)) == skeleton(text)


def skeleton(text: str, raw: str = "") -> str:
    """The letters and digits of `text`: what escaping, splitting and joining leave as they are.
    Text holding something redaction masks (`raw`) is masked whole before it is cut, so its
    pieces may be masked again: only the empty skeleton is promised for it."""
    if "token" in raw.lower() or redact(raw) != raw:
        return ""
    return "".join(ch for ch in text if ch.isalnum())


def test_a_secret_where_a_long_line_is_cut_is_still_redacted() -> None:
    # The key sits exactly where the line is cut into pieces: cut first, it escaped redaction.
    text = "x" * 295 + "/AKIAIOSFODNN7EXAMPLE/" + "y" * 3000
    line = (Span(text),)
    for fmt, limit in ((SLACK, 3000), (DISCORD, 1900)):
        posted = "\n".join(format_line(line, fmt, limit))
        assert "IOSFODNN7EXAMPLE" not in posted.replace("\n", "")
        assert "REDACTED" in posted


def test_a_footer_too_long_for_one_context_block_is_posted_whole() -> None:
    report = IncidentReport(
        investigation_id="slack-0123456789abcdef",
        alert=AlertContext(
            investigation_id="slack-0123456789abcdef",
            platform=Platform.SLACK,
            channel="C0ALERTS",
            received_at=T,
            window_start=T - timedelta(hours=1),
            window_end=T,
        ),
        title="Alert",
        cause=Cause(category=CauseCategory.UNKNOWN, summary="nothing found", confidence=0.1),
        telemetry=Telemetry(model=" ".join(f"model{i}" for i in range(6000)) + " LASTMODEL"),
    )
    parts = render_slack(report)
    for part in parts:
        assert part.blocks is not None
        assert all(len(b["elements"]) <= 10 for b in part.blocks if b["type"] == "context")
    assert "model5999 LASTMODEL" in posted_text(parts)
    assert "investigation slack-0123456789abcdef" in posted_text(parts)


@settings(PROPERTY, max_examples=10)
@given(reports(), st.sampled_from(["slack", "discord"]))
def test_notices_and_updates_fit_one_message(report: IncidentReport, platform: str) -> None:
    late = AgentResult(agent="eks", status=AgentStatus.OK, findings=report.findings[:40])
    previous = report.model_copy(
        update={"cause": report.cause.model_copy(update={"category": CauseCategory.UNKNOWN})}
    )

    assert size(render_update(late, report, previous=previous, platform=platform)) <= 2000
    notice = render_investigating(report.alert, [f"agent_{i}" for i in range(50)], 60, platform=platform)
    assert size(notice) <= 2000
