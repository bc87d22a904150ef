"""The chat scanners over an in-memory platform: which channels are read, pagination and limits,
threads, what is found and how relevant it is, and what is skipped."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.common.base import Budget
from agents.common.chat_history.reader import Limits
from agents.discord_scanner.agent import DiscordScanner
from agents.llm.scanner_agent import run_scanner
from agents.slack_scanner.agent import SlackScanner
from sandbox.memory_chat import NOW, MemoryChat
from shared.alerts.context import build_alert_context
from shared.config import DEFAULT_CONFIG_PATH, AppConfig, load_config
from shared.contracts import AgentStatus, AlertContext, Finding, Severity, Trigger
from shared.errors import ConfigError

ALERT_TEXT = (
    "<@U0SREBOT> :red_circle: [FIRING:1] KubePodCrashLooping (prod-eks)\n"
    "Pod shop/checkout-7d9f8c6b5-x2k4p (app) is in waiting state. severity=critical namespace=shop"
)


def config(slack: list[str] = (), discord: list[str] = ()) -> AppConfig:  # type: ignore[assignment]
    base = load_config()
    sources = base.sources.model_copy(
        update={
            "slack": base.sources.slack.model_copy(update={"channels": list(slack)}),
            "discord": base.sources.discord.model_copy(update={"channels": list(discord)}),
        }
    )
    return base.model_copy(update={"sources": sources})


def alert(
    text: str = ALERT_TEXT, *, channel: str = "C0ALERTS", platform: str = "slack", **kw: Any
) -> AlertContext:
    return build_alert_context(
        platform=platform, channel=channel, text=text, received_at=NOW - timedelta(minutes=2), **kw
    )


def scan(
    chat: MemoryChat,
    ctx: AlertContext,
    cfg: AppConfig | None = None,
    limits: Limits | None = None,
    cls: type = SlackScanner,
    agent: str = "slack_scanner",
) -> tuple[AgentStatus, list[Finding], Any]:
    scanner = cls(cfg or config(), agent, platform=chat, limits=limits)
    result = run_scanner(scanner, ctx, Budget.of(5))
    assert not [call for call, _ in chat.calls if call == "post"], "a scanner must never post"
    return result.status, list(result.findings), result


def by_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.id.split(":")[1] == kind]


def oom_channel() -> MemoryChat:
    chat = MemoryChat(read_only=True, users={"U0DEPLOY": "deploy-bot-human", "U0ANA": "ana"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (180, "U0ANA", "reminder: payments maintenance window tonight 22:00"),
        (41, "U0DEPLOY", "Deploying checkout v2.3.0 to prod (PR #481: cache product images in memory)"),
        (39, "U0DEPLOY", "checkout v2.3.0 rollout complete"),
        (25, "U0ANA", "deployed billing-worker v1.8.2"),
        (2, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-7d9f8c6b5-x2k4p"),
    )
    return chat


def test_a_deploy_of_the_alerts_workload_is_one_relevant_change_with_permalinks() -> None:
    status, findings, _ = scan(oom_channel(), alert())
    assert status is AgentStatus.OK
    deploy = by_kind(findings, "deploy")
    relevant = [f for f in deploy if "checkout" in f.title]
    assert len(relevant) == 1
    f = relevant[0]
    assert f.id == "slack_scanner:deploy:checkout/v2.3.0"
    assert f.change is Trigger.DEPLOY and f.relevance >= 0.85 and f.severity is Severity.WARNING
    assert "checkout v2.3.0" in f.title and "20:19 UTC" in f.title and "#alerts-prod" in f.title
    assert f.first_seen == NOW - timedelta(minutes=41) and f.last_seen == NOW - timedelta(minutes=39)
    assert [e.url for e in f.evidence] == [
        "https://example.slack.com/archives/C0ALERTS/p"
        + f"{(NOW - timedelta(minutes=m)).timestamp():.6f}".replace(".", "")
        for m in (41, 39)
    ]


def test_decoys_stay_out_or_low() -> None:
    _, findings, _ = scan(oom_channel(), alert())
    assert not any("maintenance" in f.title for f in findings)  # a plan for tonight, outside the window
    other = [f for f in findings if "billing-worker" in f.title]
    assert len(other) == 1 and other[0].relevance < 0.3 and other[0].severity is Severity.INFO
    assert not by_kind(findings, "earlier-firing")  # the alert's own notification is not an earlier firing


def noise(count: int, *, from_minutes: float, every: float) -> list[tuple[int, str, str, dict[str, Any]]]:
    return [
        (from_minutes - i * every, "U0ANA", f"status update {i}", {"id": f"n{i:04d}"}) for i in range(count)
    ]  # type: ignore[misc]


def test_history_is_paged_with_the_cursor_and_ids_do_not_depend_on_paging() -> None:
    chat = oom_channel()
    chat.seed("C0ALERTS", "alerts-prod", *noise(450, from_minutes=40, every=0.05))
    _, paged, _ = scan(chat, alert(), limits=Limits(page_size=100, pages_per_channel=10))
    cursors = [args[4] for call, args in chat.calls if call == "history"]
    assert cursors == [None, "100", "200", "300", "400"]
    _, whole, _ = scan(oom_channel(), alert())
    assert {f.id for f in paged} == {f.id for f in whole}


def test_a_page_limit_cuts_the_read_and_says_so() -> None:
    chat = oom_channel()
    chat.seed("C0ALERTS", "alerts-prod", *noise(300, from_minutes=30, every=0.01))
    _, findings, result = scan(chat, alert(), limits=Limits(page_size=100, pages_per_channel=2))
    assert not [f for f in by_kind(findings, "deploy") if "checkout" in f.title]  # older than two pages
    assert any("page or time limit" in n for n in result.notes)


def test_earlier_firings_and_how_their_thread_says_they_ended() -> None:
    chat = oom_channel()
    [earlier] = chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (200, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-6b8d5f4c9-q8m2n", {"reply_count": 2}),
    )
    parent = earlier.id
    chat.reply("C0ALERTS", parent, 190, "U0ANA", "looking")
    chat.reply("C0ALERTS", parent, 170, "U0ANA", "fixed by raising the checkout memory limit to 512Mi")
    _, findings, _ = scan(chat, alert())
    earlier = by_kind(findings, "earlier-firing")
    assert len(earlier) == 1
    assert earlier[0].title.startswith(
        "KubePodCrashLooping fired before: 1 time(s) in the last 3 h, latest at 17:40 UTC"
    )
    assert "fixed by raising the checkout memory limit to 512Mi" in earlier[0].title
    assert ("replies", ("C0ALERTS", parent)) in chat.calls


def test_symptom_reports_by_people_are_found_with_their_author() -> None:
    chat = MemoryChat(read_only=True, users={"U0SUP": "sam"})
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (20, "U0SUP", "a few customers report slow card payments, anyone seeing this?"),
    )
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        received_at=NOW - timedelta(minutes=3),
        labels={"alertname": "HighErrorRate", "namespace": "payments", "service": "payments-api"},
    )
    _, findings, _ = scan(chat, ctx)
    symptom = by_kind(findings, "symptom")[0]
    assert symptom.title.startswith(
        "sam reported in #alerts-prod at 20:40 UTC: “a few customers report slow card"
    )
    assert symptom.relevance >= 0.5 and symptom.change is None


def test_config_announcement_with_key_and_values() -> None:
    chat = MemoryChat(read_only=True)
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (
            50,
            "U0DBA",
            "lowered payments-api DB_POOL_MAX from 40 to 8 to stay under the RDS limit, config pushed",
        ),
    )
    ctx = build_alert_context(
        platform="alertmanager",
        channel="C0ALERTS",
        received_at=NOW - timedelta(minutes=3),
        labels={"alertname": "HighErrorRate", "namespace": "payments", "service": "payments-api"},
    )
    _, findings, _ = scan(chat, ctx)
    config_change = by_kind(findings, "config")[0]
    assert config_change.id == "slack_scanner:config:payments-api/DB_POOL_MAX"
    assert "payments-api DB_POOL_MAX from 40 to 8 at 20:10 UTC" in config_change.title
    assert config_change.change is Trigger.CONFIG_CHANGE and config_change.relevance >= 0.85


def test_channels_are_the_alerts_own_and_configured_ones_never_invented() -> None:
    chat = oom_channel()
    chat.seed("C0DEPLOYS", "deploys", (30, "U0DEPLOY", "Deploying checkout v2.3.1 hotfix"))
    chat.seed("C0RANDOM", "random", (30, "U0ANA", "Deploying checkout v9.9.9"))
    text = ALERT_TEXT + " see <#C0DEPLOYS|deploys> and <#C0RANDOM|random>"
    _, findings, _ = scan(chat, alert(text), cfg=config(slack=["C0DEPLOYS"]))
    read = {args[0] for call, args in chat.calls if call == "history"}
    assert read == {"C0ALERTS", "C0DEPLOYS"}
    assert not any("v9.9.9" in f.title for f in findings)


def test_an_unreadable_channel_is_an_error_and_the_others_still_count() -> None:
    chat = oom_channel()
    chat.channels["C0DEPLOYS"] = "deploys"
    chat.forbidden.add("C0DEPLOYS")
    status, findings, result = scan(chat, alert(), cfg=config(slack=["C0DEPLOYS"]))
    assert status is AgentStatus.OK and by_kind(findings, "deploy")
    assert result.errors == ("slack channel C0DEPLOYS: slack conversations.history: not_in_channel",)


def test_user_names_and_permalinks_are_resolved_once() -> None:
    chat = oom_channel()
    # ana announces two things (two findings name her) and her thread reply is cited twice: as a
    # rollback and as how the earlier firing ended.
    [parent] = chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (50, "B0ALERTS", "[FIRING:1] KubePodCrashLooping shop/checkout-6b8d5f4c9-q8m2n", {"reply_count": 1}),
    )
    reply = chat.reply("C0ALERTS", parent.id, 45, "U0ANA", "fixed by rolling back checkout to v2.2.9")
    _, findings, _ = scan(chat, alert())
    by_ana = [f for f in findings if "ana" in f.title]
    cited_reply = [f for f in findings if any(reply.text in (e.excerpt or "") for e in f.evidence)]
    assert len(by_ana) >= 2 and len(cited_reply) == 2, [f.title for f in findings]
    names = Counter(args for call, args in chat.calls if call == "user_name")
    assert names == {"U0ANA": 1, "U0DEPLOY": 1}
    links = Counter(args for call, args in chat.calls if call == "permalink")
    assert links[reply.id] == 1 and set(links.values()) == {1}
    cited = {e.url for f in findings for e in f.evidence}
    assert len(links) == len(cited)  # a link only for what a finding cites


def test_threads_past_the_limit_are_not_read_and_the_notes_say_so() -> None:
    chat = oom_channel()
    for i in range(11):
        chat.seed(
            "C0ALERTS",
            "alerts-prod",
            (50 - i, "U0ANA", f"anyone seeing checkout errors? ({i})", {"id": f"p{i:02d}", "reply_count": 1}),
        )
        chat.reply("C0ALERTS", f"p{i:02d}", 49 - i, "U0BOB", "same here")
    _, _, result = scan(chat, alert(), limits=Limits(threads=8))
    read = [args[1] for call, args in chat.calls if call == "replies"]
    assert read == [f"p{i:02d}" for i in range(10, 2, -1)]  # the 8 newest, newest first
    assert any(
        n == "Thread replies of 3 more message(s) not read: at most 8 threads a scan (newest first), "
        "within the time budget."
        for n in result.notes
    ), result.notes
    assert "8 thread(s)" in result.notes[-2]


def test_the_alert_message_itself_is_skipped() -> None:
    chat = MemoryChat(read_only=True)
    chat.seed(
        "C0ALERTS",
        "alerts-prod",
        (2, "U0ONCALL", "Deploying checkout v2.3.0 broke things? [help]", {"id": "1.5"}),
    )
    status, findings, _ = scan(chat, alert(thread_id="1.5"))
    assert status is AgentStatus.NO_DATA and findings == []


def test_a_discord_scanner_for_a_slack_alert_with_no_discord_channels_is_quick_no_data() -> None:
    scanner = DiscordScanner(config(), "discord_scanner")  # no platform: creating one would fail
    result = run_scanner(scanner, alert(), Budget.of(5))
    assert result.status is AgentStatus.NO_DATA and not result.errors
    assert "alert is on slack" in result.notes[0]


def test_a_discord_scanner_reads_a_numeric_alertmanager_channel() -> None:
    chat = MemoryChat(name="discord", read_only=True)
    chat.seed(
        "1100000000000000001", "incidents", (20, "200000000000000001", "Deploying orders-api v5.4.0 to prod")
    )
    ctx = build_alert_context(
        platform="alertmanager",
        channel="1100000000000000001",
        received_at=NOW - timedelta(minutes=2),
        labels={"alertname": "HighErrorRate", "namespace": "orders", "service": "orders-api"},
    )
    status, findings, _ = scan(chat, ctx, cls=DiscordScanner, agent="discord_scanner")
    assert status is AgentStatus.OK
    assert findings[0].id == "discord_scanner:deploy:orders-api/v5.4.0" and findings[0].relevance >= 0.85


def test_snapshot_reports_whether_each_channel_is_readable() -> None:
    chat = oom_channel()
    chat.channels["C0DEPLOYS"] = "deploys"
    chat.forbidden.add("C0DEPLOYS")
    scanner = SlackScanner(config(slack=["C0DEPLOYS"]), "slack_scanner", platform=chat)
    result = run_scanner(scanner, alert().model_copy(update={"mode": "snapshot"}), Budget.of(5))
    titles = sorted(f.title for f in result.findings)
    assert titles[0].startswith("#alerts-prod is readable, last message")
    assert titles[1].startswith("#deploys cannot be read")


def test_tools_read_configured_channels_only() -> None:
    chat = oom_channel()
    chat.seed("C0DEPLOYS", "deploys", (30, "U0DEPLOY", "Deploying checkout v2.3.1"))
    scanner = SlackScanner(config(slack=["C0DEPLOYS"]), "slack_scanner", platform=chat)
    tools = {t.tool_name: t for t in scanner.tools()}
    assert set(tools) == {"slack_list_channels", "slack_read_channel", "slack_read_thread"}
    refused = tools["slack_read_channel"](channel="C0ALERTS")
    assert refused["status"] == "error" and "not one this slack scanner may read" in refused["error"]
    listed = tools["slack_list_channels"]()
    assert listed["channels"] == [{"id": "C0DEPLOYS", "name": "deploys"}]


def test_each_chat_scanners_prompt_names_exactly_its_own_tools() -> None:
    for scanner_class, other in ((SlackScanner, "discord"), (DiscordScanner, "slack")):
        scanner = scanner_class(
            config(), f"{scanner_class.platform_name}_scanner", platform=MemoryChat(read_only=True)
        )
        named = set(re.findall(r"`(\w+)`", scanner.system_prompt))
        assert named == {t.tool_name for t in scanner.tools()}
        assert other not in scanner.system_prompt.lower() and other not in scanner.description.lower()


def test_configured_channel_names_are_read_by_their_ids() -> None:
    chat = oom_channel()
    chat.seed("C0DEPLOYS", "deploys", (30, "U0DEPLOY", "Deploying checkout v2.3.1 hotfix"))
    _, findings, result = scan(chat, alert(), cfg=config(slack=["#deploys"]))
    assert {args[0] for call, args in chat.calls if call == "history"} == {"C0ALERTS", "C0DEPLOYS"}
    assert any("v2.3.1" in f.title and "#deploys" in f.title for f in findings)
    assert not result.errors


def test_in_model_mode_the_tools_read_the_alerts_own_channel() -> None:
    from tests.support.scripted_model import Output, ScriptedModel, ToolCall

    chat = oom_channel()
    chat.seed("C0DEPLOYS", "deploys", (30, "U0DEPLOY", "Deploying checkout v2.3.1 hotfix"))
    model = ScriptedModel(
        [
            ToolCall("slack_list_channels"),
            ToolCall("slack_read_channel", {"channel": "C0ALERTS", "minutes": 60}),
            ToolCall("slack_read_channel", {"channel": "#random"}),
            Output({"findings": []}),
        ]
    )
    scanner = SlackScanner(config(slack=["#deploys"]), "slack_scanner", platform=chat)
    scanner.llm_model = model
    result = run_scanner(scanner, alert(), Budget.of(20))
    assert result.status is AgentStatus.OK
    listed, read, refused = (json.dumps(r.messages[-1]) for r in model.requests[1:4])
    assert '\\"id\\": \\"C0ALERTS\\"' in listed and '\\"id\\": \\"C0DEPLOYS\\"' in listed
    assert '{\\"status\\": \\"ok\\"' in read  # the alert's own channel: read, not refused
    assert "not one this slack scanner may read" in refused
    # Outside an investigation there is no alert: only the configured channels.
    assert [
        c["id"] for c in {t.tool_name: t for t in scanner.tools()}["slack_list_channels"]()["channels"]
    ] == ["C0DEPLOYS"]


def test_discord_channel_names_need_a_guild_in_config(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    path = tmp_path / "config.yaml"
    raw["sources"]["discord"]["channels"] = ["#deploys"]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources\.discord\.channels: .*'#deploys' is a channel name"):
        load_config(path)
    raw["sources"]["discord"].update(
        guild_id="1000000000000000000", channels=["#deploys", "1100000000000000002"]
    )
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert load_config(path).sources.discord.channels == ["#deploys", "1100000000000000002"]
