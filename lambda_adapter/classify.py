"""Alert or chatter? Deterministic heuristics first, an optional model for the ambiguous.

- The word `investigate` forces an investigation.
- Alert markers (`[FIRING`, `:red_circle:`, `ALERT`, severity words, Alertmanager, Grafana,
  Datadog, PagerDuty and CloudWatch formats, dashboard and runbook links) make it an alert.
- Greetings, thanks, "how are you" and the like (emoji included), with nothing else of substance,
  are chatter; so is a link shared "fyi", and a question that is about nothing in the estate.
- "help" or "what can you do?" asks for the help; a question about the state of things ("is prod
  ok?", "status?", "how is checkout doing?") asks for a snapshot, not an investigation.
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
    HELP = "help"
    STATUS = "status"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    reason: str
    forced: bool = False
    # A resolved notice as an alerting tool writes it (``[RESOLVED:1] …``, label lines), as opposed
    # to a person saying "resolved": addressed to the bot, it is a request to look back at the alert.
    notification: bool = False


# An optional model tier: text in, "alert" / "chatter" / None (no opinion) out.
LlmClassifier = Callable[[str], str | None]

_FORCE = re.compile(r"\binvestigat(e|ion)\b", re.IGNORECASE)
_RESOLVED = re.compile(
    r"\[RESOLVED\b|^\s*(:white_check_mark:|:large_green_circle:|✅)?\s*RESOLVED\b|\[Recovered\]"
    r"|^\s*\[[^\]\n]{1,80}\]\s*\[(✅|🟢|:white_check_mark:)?\s*Up\]"
    # A headline that opens with a green check: the tools' "back to normal".
    r"|\A\s*(:white_check_mark:|:large_green_circle:|:heavy_check_mark:|✅|🟢|✔)"
    # CloudWatch back to OK: notify-slack's fields, the SNS subject, the alarm's JSON.
    r"|^\W*Current State\W*OK\b|^\W*OK: \"[^\"\n]+\" in |\"NewStateValue\"\s*:\s*\"OK\""
    r"|\bStatus\W{0,3}resolved\b|\balert (closed|resolved)\b|^\W*\[OK\]|\bMonitor is UP\b",
    re.IGNORECASE | re.MULTILINE,
)
# Still firing, whatever else the message says ("[FIRING:1, RESOLVED:1]", Grafana's two sections).
_FIRING_NOW = re.compile(r"\[FIRING\b|\*\*Firing\*\*|\bStatus\W{0,3}firing\b|\bCurrent State\W*ALARM\b", re.I)

_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, flags))
    for name, pattern, flags in (
        ("alertmanager", r"\[FIRING(:\d+)?\]|\bFIRING\b", re.IGNORECASE),
        (
            "grafana",
            r"\[Alerting\]|\*\*Firing\*\*|grafana\.[a-z]+/(alerting|d)/|/alerting/grafana/|/alert-groups/I",
            0,
        ),
        (
            "datadog",
            r"\[(Triggered|Re-Triggered|Warn|No Data)( on \{[^}\n]*\})?\]|\bTriggered on\b"
            r"|app\.datadoghq\.(com|eu)",
            0,
        ),
        (
            "pagerduty",
            r"pagerduty\.com/incidents|\bIncident #\d+|\b(triggered|acknowledged) incident\b",
            re.IGNORECASE,
        ),
        (
            "cloudwatch",
            r"\bALARM: \"|console\.aws\.amazon\.com/cloudwatch|\bIn alarm\b|state changed to ALARM"
            r"|\bAWS Health Event\b|\bGuardDuty Finding\b",
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
            r"\b(oom\w*|crashloopbackoff|imagepullbackoff|5\d\d(s| errors?)?|5xx|errors|exceptions|"
            r"not ?ready|error rate|throwing|timing out|crash\w*|spik(e|es|ing)|"
            r"high latency|"
            r"p9[59] latency|timeouts?|unreachable|unhealthy|outage|degraded|is down|went down|"
            r"failing|failed|failures?|exhausted|throttl\w+|disk (is )?full|out of memory)\b",
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
    r"how are (you|u)( doing)?|how('s| is) it going|what'?s up|who are you|"
    r"are you (there|alive|awake)|ping|test(ing)?|bye|good ?bye|see (you|ya)|gn|👋|🙏|👍|"
    r"looking|on it|will do|noted|ack(ed)?|roger|lgtm|sounds good|np|no worries|\+1|done|all good"
)
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_HELP = re.compile(
    r"^\W*(help|usage|commands|\?+|what (can|do) you do|what are you for|how do (i|we) use (you|this)|"
    r"how does (this|it) work|what is this bot|what do you (know|support))\W*$",
    re.IGNORECASE,
)
_RESOLVED_NOTIFICATION = re.compile(
    r"\[RESOLVED(:\s*\d+)?\]|\b(alertname|severity|namespace|pod|instance)\s*[=:]\s*\S", re.IGNORECASE
)
# Markers a tool writes, as opposed to words a person may use in passing.
_STRONG = frozenset({"alertmanager", "grafana", "datadog", "pagerduty", "cloudwatch", "labels"})
_FYI = re.compile(
    r"^\W*(fyi|fwiw|for reference|for context|for your info\w*|heads[ -]up|sharing|ref)\b", re.I
)
_LINK = re.compile(r"https?://\S+")
_QUESTION = re.compile(
    r"\?\s*$|^\W*(is|are|was|were|how|how's|what's|whats|what|any|anything|do we have)\b",
    re.IGNORECASE,
)
_STATE = re.compile(
    r"\b(ok|okay|fine|good|healthy|health|up|down|status|state|working|broken|alive|green|red|well|"
    r"doing|going on|happening|wrong|on fire|burning|alerts?|incidents?|issues|problems|stable|sitrep)\b",
    re.IGNORECASE,
)
# A question that asks about one thing's trouble, rather than about the state of things: "what is
# wrong with pod X?", "what happened to the orders consumer?", "is checkout-7d9f-x2k4p ok?" (a
# pod's name), "why did the front-end stop working?" (a cause asked for) are investigated.
_ASKS_ABOUT_TROUBLE = re.compile(
    r"\bwhat(?:'s|\s+is|\s+was|\s+went)?\s+(?:wrong|broken|the (?:problem|issue|matter))\b"
    r"|\bwhat happened\b|\b[a-z0-9]+(?:-[a-z0-9]+)*-[a-z0-9]{6,10}-[a-z0-9]{5}\b"
    r"|^\W*why\b|\bstop(?:ped|s)? working\b",
    re.IGNORECASE,
)
_STATUS_ONLY = re.compile(r"^\W*(status|health|sitrep|state|update)\W*$", re.IGNORECASE)
# What makes a question (or a thank-you) about a problem, or a request: "why is checkout slow?",
# "can you look at the orders service?" are investigated.
_PROBLEM = re.compile(
    r"\b(why|slow|slowness|lag\w*|hang\w*|stuck|weird|odd|spik\w*|latency|error\w*|fail\w*|broke\w*|"
    r"crash\w*|timeout\w*|timing out|outage|incident|alert\w*|again|still|"
    r"look|check|dig|debug|triage|diagnose|figure out)\b",
    re.IGNORECASE,
)
_THANKS_FIRST = re.compile(r"^\W*(thanks?|thank you|thx|ty|tysm|cheers|much appreciated)\b", re.IGNORECASE)
_CHATTER = re.compile(
    rf"^\W*(({_CHATTER_WORDS})\W*)+(there|bot|buddy|friend|team|all|everyone|folks|guys|y.all)?\W*$",
    re.IGNORECASE,
)


def classify(text: str, *, in_thread: bool = False) -> Verdict:
    """The deterministic verdict for a message's plain text (Slack markup already removed). In a
    thread the thread's message is the subject, so a question there ("payments deployed at 10:02,
    related?") is about it, not about nothing: it stays unsure and is taken as a note."""
    stripped = text.strip()
    if _FORCE.search(stripped):
        return Verdict(Kind.ALERT, "asked to investigate", forced=True)
    if not stripped:
        return Verdict(Kind.CHATTER, "bare mention")
    if _RESOLVED.search(stripped) and not _FIRING_NOW.search(stripped):
        notification = bool(_RESOLVED_NOTIFICATION.search(stripped))
        return Verdict(Kind.RESOLVED, "resolved notice", notification=notification)
    if len(stripped) <= 120 and _HELP.match(stripped):
        return Verdict(Kind.HELP, "asked for help")
    words = _SHORTCODE.sub(" ", stripped).strip()
    if len(stripped) <= 80 and (not _ALNUM.search(words) or _CHATTER.match(words)):
        return Verdict(Kind.CHATTER, "greeting, thanks or emoji")
    marker = next((name for name, pattern in _MARKERS if pattern.search(stripped)), None)
    if marker not in _STRONG:
        if _FYI.match(stripped) and (_LINK.search(stripped) or marker is None):
            return Verdict(Kind.CHATTER, "shared for reference")
        if len(stripped) <= 120 and (_STATUS_ONLY.match(stripped) or _status_question(stripped)):
            return Verdict(Kind.STATUS, "asked about the state of things")
    if marker is not None:
        return Verdict(Kind.ALERT, f"alert marker: {marker}")
    if len(stripped) <= 200 and not _PROBLEM.search(stripped) and not _ASKS_ABOUT_TROUBLE.search(stripped):
        if stripped.endswith("?") and not in_thread:
            return Verdict(Kind.CHATTER, "a question about nothing to investigate")
        if _THANKS_FIRST.match(stripped):
            return Verdict(Kind.CHATTER, "thanks")
    return Verdict(Kind.UNSURE, "no alert marker")


def _status_question(text: str) -> bool:
    return bool(_QUESTION.search(text) and _STATE.search(text) and not _ASKS_ABOUT_TROUBLE.search(text))


def should_investigate(
    verdict: Verdict, *, addressed: bool, llm: LlmClassifier | None = None, text: str = ""
) -> Verdict:
    """Resolve an unsure verdict: the model when there is one, else fail open when addressed. A
    tool's resolved notification addressed to the bot is investigated: the report says it resolved
    and what it found (nobody mentions the bot on a resolved alert to be told it resolved)."""
    if verdict.kind is Kind.RESOLVED and verdict.notification and addressed:
        return Verdict(Kind.ALERT, "a resolved alert addressed to us: looking back at it")
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


HELP_REPLY = (
    "I investigate alerts: mention me in an alert's thread or react to it with :{reaction}:, and I "
    "reply with what is broken, the likely cause and the evidence. Ask me `is prod ok?` (or run "
    "`/sre-snapshot`) for a snapshot of the estate, or write `investigate` and what is wrong."
)
FYI_REPLY = (
    "Thanks, noted. I start an investigation only when asked: mention me with `investigate` "
    "and what to look at."
)
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
    verdict = classify(text)
    if verdict.kind is Kind.RESOLVED:
        return RESOLVED_REPLY
    if verdict.kind is Kind.HELP:
        return HELP_REPLY.format(reaction=reaction)
    if _THANKS.search(text):
        return THANKS_REPLY
    if _FYI.match(text.strip()):
        return FYI_REPLY
    return CHATTER_REPLY.format(reaction=reaction)
