"""Alert or chatter? Deterministic heuristics first, an optional model for the ambiguous.

- The word `investigate` forces an investigation.
- Alert markers (`[FIRING`, `:red_circle:`, `ALERT`, severity words, Alertmanager, Grafana,
  Datadog, PagerDuty and CloudWatch formats, dashboard and runbook links) make it an alert.
- Greetings, thanks, "how are you" and the like, with nothing else of substance, are chatter.
- Anything else is unsure. When someone addressed the bot, unsure means investigate (fail open):
  a needless investigation costs seconds, a missed alert costs an outage. A bot message nobody
  addressed to us needs a positive verdict, or every deploy notice would start an investigation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

logger = logging.getLogger(__name__)


class Kind(StrEnum):
    ALERT = "alert"
    CHATTER = "chatter"
    RESOLVED = "resolved"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str
    forced: bool = False


# An optional model tier: text in, "alert" / "chatter" / None (no opinion) out.
LlmClassifier = Callable[[str], str | None]

_FORCE = re.compile(r"\binvestigat(e|ion)\b", re.IGNORECASE)
_RESOLVED = re.compile(
    r"\[RESOLVED\b|^\s*(:white_check_mark:|:large_green_circle:|✅)?\s*RESOLVED\b", re.IGNORECASE
)

_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, flags))
    for name, pattern, flags in (
        ("alertmanager", r"\[FIRING(:\d+)?\]|\bFIRING\b", re.IGNORECASE),
        ("grafana", r"\[Alerting\]|\*\*Firing\*\*|grafana\.[a-z]+/(alerting|d)/|/alerting/grafana/", 0),
        ("datadog", r"\[Triggered\]|\bTriggered on\b|app\.datadoghq\.(com|eu)|\[P[1-5]\] \[Triggered", 0),
        (
            "pagerduty",
            r"pagerduty\.com/incidents|\bIncident #\d+|\b(triggered|acknowledged) incident\b",
            re.IGNORECASE,
        ),
        (
            "cloudwatch",
            r"\bALARM: \"|console\.aws\.amazon\.com/cloudwatch|\bIn alarm\b|state changed to ALARM",
            0,
        ),
        ("emoji", r":(red_circle|rotating_light|fire|warning|x|boom|sos|bangbang|alert):|[🔴🚨🔥⚠❌💥🆘]", 0),
        ("word", r"\bALERT\b|\bALARM\b|\bPAGE\b|\bINCIDENT\b|\bOUTAGE\b|\bDOWN\b", 0),
        (
            "severity",
            r"\b(sev[ -]?[0-3]|p[0-2]|critical|crit|severity|fatal|emergency|major incident)\b",
            re.IGNORECASE,
        ),
        ("labels", r"\b(alertname|severity|namespace|instance|job|service|pod)\s*[=:]\s*\S", re.IGNORECASE),
        (
            "symptom",
            r"\b(oomkilled|crashloopbackoff|imagepullbackoff|5\d\d errors?|5xx|errors|exceptions|error rate|"
            r"high latency|"
            r"p9[59] latency|timeouts?|unreachable|unhealthy|outage|degraded|is down|went down|"
            r"failing|failed|exhausted|throttl\w+|disk (is )?full|out of memory)\b",
            re.IGNORECASE,
        ),
        (
            "link",
            r"https?://\S*(/d/|/dashboards?/|/alerting/|/graph\?g0|runbook|/alarms?[/?#]|/monitors/)",
            re.IGNORECASE,
        ),
        ("runbook", r"\brunbook\b|\bdashboard\b", re.IGNORECASE),
    )
)

_CHATTER_WORDS = (
    r"hi|hello|hey|heya|hiya|yo|howdy|sup|good (morning|afternoon|evening|night)|morning|gm|"
    r"thanks?( you)?( so much| a lot)?|thx|ty|tysm|cheers|much appreciated|appreciate it|"
    r"nice|cool|great|awesome|perfect|ok(ay)?|k|kk|got it|lol|haha|sure|yes|no|yep|nope|"
    r"how are (you|u)( doing)?|how('s| is) it going|what'?s up|who are you|what can you do|"
    r"are you (there|alive|awake)|ping|test(ing)?|bye|good ?bye|see (you|ya)|gn|:wave:|👋|🙏|👍|:\+1:|:pray:"
)
_CHATTER = re.compile(
    rf"^\W*(({_CHATTER_WORDS})\W*)+(there|bot|buddy|friend|team|all|everyone|folks|guys|y.all)?\W*$",
    re.IGNORECASE,
)


def classify(text: str) -> Verdict:
    """The deterministic verdict for a message's plain text (Slack markup already removed)."""
    stripped = text.strip()
    if _FORCE.search(stripped):
        return Verdict(Kind.ALERT, "asked to investigate", forced=True)
    if not stripped:
        return Verdict(Kind.CHATTER, "bare mention")
    if _RESOLVED.search(stripped):
        return Verdict(Kind.RESOLVED, "resolved notice")
    for name, pattern in _MARKERS:
        if pattern.search(stripped):
            return Verdict(Kind.ALERT, f"alert marker: {name}")
    if len(stripped) <= 80 and _CHATTER.match(stripped):
        return Verdict(Kind.CHATTER, "greeting or thanks")
    return Verdict(Kind.UNSURE, "no alert marker")


def should_investigate(
    verdict: Verdict, *, addressed: bool, llm: LlmClassifier | None = None, text: str = ""
) -> Verdict:
    """Resolve an unsure verdict: the model when there is one, else fail open when addressed."""
    if verdict.kind is not Kind.UNSURE:
        return verdict
    if llm is not None:
        try:
            answer = (llm(text) or "").strip().lower()
        except Exception as e:  # the model tier is optional: its failure must not lose an alert
            logger.warning("error=<%s> | llm classifier failed, falling back to heuristics", type(e).__name__)
            answer = ""
        if answer in (Kind.ALERT, Kind.CHATTER):
            return Verdict(Kind(answer), f"model said {answer}")
    if addressed:
        return Verdict(Kind.ALERT, "unsure, investigating (fail open)")
    return Verdict(Kind.CHATTER, "unsure and not addressed to us")


CHATTER_REPLY = (
    "Hi! I investigate alerts: mention me in an alert's thread, react to it with :{reaction}:, "
    "or write `investigate` and what is wrong."
)
THANKS_REPLY = "You're welcome. Mention me in an alert's thread any time you want another look."
RESOLVED_REPLY = (
    "Noted: resolved, so I am not starting an investigation. To look into what happened, "
    "mention me with `investigate` and what to look at."
)
_THANKS = re.compile(r"\b(thanks?|thx|ty|tysm|cheers|appreciate)\b|🙏|:pray:", re.IGNORECASE)


def chatter_reply(text: str, *, reaction: str) -> str:
    """The one line posted in the thread when a message addressed to the bot is not investigated."""
    if _RESOLVED.search(text.strip()):
        return RESOLVED_REPLY
    if _THANKS.search(text):
        return THANKS_REPLY
    return CHATTER_REPLY.format(reaction=reaction)
