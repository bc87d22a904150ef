"""What a chat message says, in the few shapes an investigation cares about. Pure.

- a deploy announcement: "Deploying checkout v2.3.0 to prod", "checkout v2.3.0 rollout complete",
  "rolled back orders-api to v5.3.2", "migrated the orders DB";
- a config change: "lowered payments-api DB_POOL_MAX from 40 to 8 ... config pushed",
  "set LOG_LEVEL=debug on checkout", "feature flag new-pricing enabled", and where something now
  lives: "migrated smtp-relay to the mail-infra chart; service is now smtp-gateway.mail.svc",
  "switched the orders-db endpoint to orders-db-2.internal", "updated the payments DNS record";
- a change made by hand, pasted as a command or said in words (`kubectl scale statefulset
  orders-pg --replicas=0`, "lowered payments-worker's memory limit to 256Mi", "applied a default-deny
  NetworkPolicy", "changed the general node group"): see `commands`;
- a traffic change: "marketing email blast went out to 2M users", "flash sale is live";
- an alert firing or resolving (`[FIRING:1] Name`, "Name fired again");
- a symptom report: "customers report slow card payments", "anyone seeing 502s on checkout?";
- a resolution in a thread: "fixed by rolling back", "root cause: ...".

Future plans ("reminder: maintenance tonight") are not changes. Text is untrusted: it is only
matched, never acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from agents.common.chat_history.commands import PAST as _PAST_VERBS
from agents.common.chat_history.commands import Touch, diff_of, manual_change_of


class Kind(StrEnum):
    DEPLOY = "deploy"
    CONFIG = "config"
    INFRA = "infra"  # a change to what workloads run on: nodes, node groups, the cluster
    TRAFFIC = "traffic"
    FIRING = "firing"
    RESOLVED = "resolved"
    SYMPTOM = "symptom"
    NOTICE = "notice"  # a person says an alert is a test, expected, or to be ignored
    REPLY = "reply"  # a thread reply that announces nothing itself


@dataclass(frozen=True)
class Mention:
    kind: Kind
    service: str | None = None
    version: str | None = None
    key: str | None = None
    old: str | None = None
    new: str | None = None
    phrase: str = ""  # the words that matched, for titles
    namespace: str | None = None  # the namespace the change names, when it names one
    verbatim: bool = False  # a change made by hand: the message itself says best what it was
    thing: str | None = None  # another object a change names (a bucket, a secret), not a workload
    diff: str | None = None  # what a pasted plan or diff changes (`+ sub = ...; - sub = ...`)
    asked: bool = False  # a symptom only asked about ("is the renderer broken?"), not reported
    # How long before the message the change was made, when the message says ("upgraded to rails
    # 7.1 yesterday evening", "rotated 3 days ago"): the change happened then, not when it was said.
    before: timedelta | None = None


_DEPLOY = re.compile(
    r"\b(deploy(?:ing|ed|s)?|roll(?:ed|ing)?[ -]?out|rollout|releas(?:e|ed|ing)|shipp?(?:ed|ing)|"
    r"promot(?:ed|ing)|upgrad(?:e|ed|ing)|roll(?:ed|ing)?[ -]?back|rollback|revert(?:ed|ing)?|"
    r"migrat(?:ed|ing|ion)|hotfix(?:ed)?|bump(?:ed|ing)?|publish(?:ed|ing))\b",
    re.IGNORECASE,
)
# A CD tool's notification names the app as namespace/app (or project/app) before what it did:
# "Argo CD: fulfillment/inventory-api synced to 8d1f2ac (image tag v3.41.0)", "Flux: apps/checkout
# deployed", "Deployment of payments/api to prod succeeded".
_APP_PATH = re.compile(
    r"(?<![\w./-])(?P<ns>[a-z][a-z0-9-]*)/(?P<svc>[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*)(?![\w./-])"
    r"(?=[^\n]{0,40}?\b(?P<did>synced|syncing|deployed|deploying|rolled out|rolling out|promoted|"
    r"released|upgraded)\b)",
    re.IGNORECASE,
)
# Not a time (22:00), an IP address (10.0.3.17) or a ratio (2.5x).
_VERSION = re.compile(r"(?<![\w.])v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z][0-9A-Za-z.]*)?(?!\.?\d)(?![A-Za-z_])")
_NAME = r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*"
_IMAGE = re.compile(rf"\b(?P<svc>{_NAME}):(?P<ver>v?\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z.]+)?)\b")
# A message that opens with a service and its version is a release note, whatever verb follows.
_RELEASE_NOTE = re.compile(
    rf"^\W*(?P<svc>{_NAME})\s+(?P<ver>v\d+\.\d+(?:\.\d+)?(?:-[0-9A-Za-z][0-9A-Za-z.]*)?)(?![\w.])"
)
_KEY = r"(?P<key>[A-Z][A-Z0-9_]{2,}|[a-z][a-z0-9_\-]*(?:\.[a-z0-9_\-]+){1,6})"
_VALUE = r"[\"'`]?(?P<{}>[\w.%/\-]+?)[\"'`]?"
_CONFIG_VERB = (
    r"(?i:lowered|raised|increased|decreased|reduced|bumped|changed|set|updated|tuned|dropped|cut|"
    r"doubled|halved|capped|limited|moved|switched)"
)
_CONFIG = re.compile(
    rf"\b{_CONFIG_VERB}\s+(?:the\s+)?(?:(?P<svc>{_NAME})(?:'s)?\s+)?{_KEY}"
    rf"(?:\s+(?:from\s+{_VALUE.format('old')}\s+)?to\s+{_VALUE.format('new')})(?=[\s,.;:!)]|$)",
)
_ASSIGN = re.compile(rf"\b(?P<key>[A-Z][A-Z0-9_]{{2,}})\s*=\s*{_VALUE.format('new')}(?=[\s,.;:!)]|$)")
_FLAG = re.compile(
    r"\b(?:feature[ -]?flag|flag|toggle)\s+[\"'`]?(?P<key>[\w.\-]+)[\"'`]?\s+(?:is\s+|was\s+|now\s+)?"
    r"(?P<new>enabled|disabled|turned on|turned off|on|off|rolled out(?: to \d+%)?)",
    re.IGNORECASE,
)
# A flag's rollout moved, as flag tools announce it: "flag `cart-autosave-v2` production targeting
# 5% -> 100%", "flag new-checkout: off → on".
_FLAG_MOVED = re.compile(
    r"\b(?:feature[ -]?flag|flag|toggle)\s+[\"'`]?(?P<key>[\w.\-]+)[\"'`]?[^\n]{0,60}?"
    r"(?P<old>\d{1,3}%|on|off|true|false)\s*(?:->|→|=>|to)\s*(?P<new>\d{1,3}%|on|off|true|false)(?!\w)",
    re.IGNORECASE,
)
# A flag's or an experiment's share ramped, in people's words: "ramping checkout_v2 from 5% to 25%",
# "bumped new-pricing to 50%". The name must look like a flag's (an underscore, a hyphen or a dot).
_RAMPED = re.compile(
    r"\b(?:ramp(?:ed|ing)?|dial(?:l?ed|l?ing)|bump(?:ed|ing)|roll(?:ed|ing) out|rais(?:ed|ing)|"
    r"increas(?:ed|ing)|"
    r"lower(?:ed|ing)|moved|moving)\s+(?:the\s+)?[\"'`]?(?P<key>[a-z][a-z0-9]*[_.\-][\w.\-]*[a-z0-9])[\"'`]?"
    r"(?:\s+(?:flag|experiment|rollout))?\s+(?:from\s+(?P<old>\d{1,3}%)\s+)?(?:to|up to)\s+(?P<new>\d{1,3}%)",
    re.IGNORECASE,
)
_CONFIG_WORDS = re.compile(
    r"\b(config(?:uration)?\s+(?:pushed|change[ds]?|updated|reloaded|applied)|configmap|env(?:ironment)? var"
    r"|helm values|terraform apply(?:ed)?)\b",
    re.IGNORECASE,
)
# Access and security changes: "tightened the invoices bucket policy", "rotated the API key".
_POLICY = re.compile(
    r"\b(tightened|loosened|restricted|locked down|rotated|revoked|granted|removed|changed|updated|"
    r"replaced|renewed)\b[^.;\n]{0,60}?\b(bucket policy|policy|permissions?|iam|role|security group|"
    r"network ?policy|firewall|acl|certificates?|cert|secrets?|credentials?|password|api key|token)\b",
    re.IGNORECASE,
)
# Where a service, host or endpoint lives: "migrated smtp-relay ...; service is now smtp-gateway.mail.svc".
_MOVE_VERB = (
    r"(?i:migrat(?:ed|ing)|mov(?:ed|ing)|renam(?:ed|ing)|switch(?:ed|ing)|re-?point(?:ed|ing)|cut over|"
    r"chang(?:ed|ing)|updat(?:ed|ing)|rotat(?:ed|ing)|replac(?:ed|ing))"
)
_ENDPOINT = (
    r"(?i:dns(?: records?| names?)?|cname|a records?|endpoints?|host ?names?|hosts?|urls?|addresse?s?|"
    r"services?|domains?|ingress(?:es)?|routes?|connection strings?|config(?:uration)?|config ?maps?)"
)
_HOSTISH = r"[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)+(?::\d+)?|[a-z][a-z0-9]*(?:-[a-z0-9]+)+"
_MOVED = re.compile(
    rf"\b{_MOVE_VERB}\s+(?:the\s+)?(?:(?P<svc>{_NAME})(?:'s)?\s+)?(?P<key>{_ENDPOINT})\b"
    rf"(?:\s+(?:of|for)\s+(?P<svc2>{_HOSTISH}))?(?:\s+from\s+(?P<old>{_HOSTISH}))?"
    rf"(?:\s+to\s+(?:the\s+)?(?P<new>{_HOSTISH}))?"
)
_NOW_AT = re.compile(
    rf"(?:\b(?P<key>{_ENDPOINT})\s+)?\b(?:is now|(?:now )?(?:points?|resolves?) to|now lives at|"
    rf"(?:was |is )?(?:renamed|moved) to)\s+(?P<new>{_HOSTISH})(?![\w\-])",
    re.IGNORECASE,
)
_MOVED_SUBJECT = re.compile(rf"\b{_MOVE_VERB}\s+(?:the\s+)?(?P<svc>{_NAME})\b")
_NOT_PROD = re.compile(
    r"\b(?:staging only|only (?:in|to) staging|dev only|not (?:in )?prod"
    r"|prod(?:uction)? (?:untouched|unaffected))\b",
    re.IGNORECASE,
)
# Not inside a name: "promo-banner just went out" is a deploy of promo-banner, not a promotion.
_TRAFFIC = re.compile(
    r"(?<![\w\-])(campaign|email blast|newsletter|push notifications?|flash sale|sale|promo(?:tion)?|"
    r"launch(?:ed)?|load test|traffic|tv ad|black friday|went viral|"
    # work a person pushes through the system in bulk: "re-send of all November invoices, ~180k
    # messages into invoice-render-queue", "backfill of 2M rows", "replaying the dead-letter queue"
    r"re-?sends?|resending|backfill(?:ing)?|replay(?:ing)?|re-?process(?:ing)?|re-?drive|bulk (?:send|import|"
    r"load|upload|export|job|run)|batch (?:job|run|import)|\d+(?:\.\d+)?\s?[km]\+? (?:messages|events|"
    r"emails|jobs|requests|records|rows|subscribers|recipients|users|notifications))(?![\w\-])",
    re.IGNORECASE,
)
_HAPPENING = re.compile(
    r"\b(went out|is out|are out|is live|are live|just (?:sent|launched|started|went)|started|"
    r"kick(?:ed|ing) off|launch(?:ed|ing)|sent|sending|running|starting|surg(?:e|ing)|spik(?:e|ing)|"
    r"x\d+|\d+x)\b",
    re.IGNORECASE,
)
# A person telling others that an alert is a test or expected: "going to fire a test with aws
# cloudwatch set-alarm-state on billing-api-p99-latency-high, ignore it", "that page is expected".
_NOTICE = re.compile(
    r"\b(set-alarm-state|(?:fir(?:e|ing)|send(?:ing)?|trigger(?:ing)?)\s+(?:a\s+)?test|"
    r"test (?:alarm|alert|page|"
    r"notification|event)s?|please ignore|pls ignore|ignore (?:it|this|them|that|the (?:alarm|alert|page)s?)|"
    r"can be ignored|safe to ignore)\b"
    r"|(?:'s|\bis|\bare|\bthat one)\s+expected(?=\s*[,.;!]|\s*$)|^\W*expected\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(
    r"\b(reminder|tonight|tomorrow|next (?:week|month)|(?<!as )scheduled"
    r"|will (?:deploy|roll|release|ship|migrate)|(?<!as )planned|upcoming|later today|going to|plan to)\b",
    re.IGNORECASE,
)
_FIRING = re.compile(
    r"\[(?P<state>FIRING|RESOLVED)(?::\s*\d+)?\]\s*(?P<name>[A-Za-z][\w:.\-]*)", re.IGNORECASE
)
_SYMPTOM = re.compile(
    r"\b(slow(?:ness)?|timeouts?|timing out|timed out|errors?|erroring|failing|fails|failed|down|outage|"
    r"unavailable|5\d\ds?|5xxs?|can'?t|cannot|unable|broken|not loading|latency|laggy|stuck|hanging|"
    r"degraded|spinning|vanish\w*|disappear\w*|missing)\b",
    re.IGNORECASE,
)
_REPORTER = re.compile(
    r"(\b(customers?|users?|clients?|merchants?|people|support|tickets?|complain\w*|report\w*)\b"
    r"|anyone (?:else )?(?:seeing|see|getting|noticed?)|is it just me|\?\s*$)",
    re.IGNORECASE,
)
# A person asking whether something is wrong, not saying it is: "is the renderer broken?", "what does
# InfoInhibitor mean?". "anyone seeing 502s?" and "users report errors, is it the DB?" still report.
_ASKING = re.compile(
    r"^\W*(?:what|why|how|does|do|is|are|could|can|should|was|were)\b[^.!\n]*\?\s*(?:[^.!\n]*\?\s*)*$",
    re.IGNORECASE,
)
_SEEN = re.compile(
    r"\b(?:seeing|see|getting|got|noticed?|report(?:s|ed|ing)?|customers?|users?|just me|since|"
    r"for \d+|\d+ ?(?:min|h))\b",
    re.IGNORECASE,
)
_RESOLUTION = re.compile(
    r"\b(resolved|fixed|mitigated|root[ -]cause|caused by|was due to|because of|rolled back|reverted|"
    r"restarted|scaled (?:up|out)|bumped|increased|recovered|back to normal|postmortem)\b",
    re.IGNORECASE,
)
_STOP = frozenset(
    {
        *("to", "the", "a", "an", "prod", "production", "staging", "dev", "new", "version", "of", "for"),
        *("in", "on", "is", "was", "and", "with", "from", "release", "build", "image", "tag", "hotfix"),
        *("complete", "completed", "done", "finished", "started", "deploy", "deploying", "rollout", "we"),
        *("i", "just", "now", "back", "it", "this", "that", "all", "canary", "v"),
        # words people put next to a deploy verb that never name what was deployed ("deployed right
        # before this", "looks like the rollout", "upgrade to 15.8 maybe broke it")
        *("right", "looks", "look", "maybe", "also", "again", "today", "soon", "still", "already"),
        *("probably", "like", "before", "after", "there", "here", "something", "anything", "same"),
        *("yesterday", "earlier", "last", "then", "broke", "went", "which", "what", "when", "since"),
        *("been", "has", "have", "had", "got", "be", "being", "are", "were", "you", "they", "he", "she"),
    }
)
# Quoted text in a deploy message is a commit or PR title ("bump sharp to 0.33.4"): what it names
# was changed inside the release, not released.
_QUOTED = re.compile(r"'[^'\n]{3,200}'|\"[^\"\n]{3,200}\"|“[^”\n]{3,200}”")


def _service_near(text: str, start: int, end: int) -> str | None:
    """The service a version or verb at [start, end) belongs to: the name just before it, else just after."""
    before = re.findall(rf"({_NAME})[\s:@]*$", text[:start].rstrip(" :@"))
    for candidate in reversed(before[-1:]):
        if candidate.lower() not in _STOP:
            return candidate
    after = re.match(rf"\s+(?:the\s+)?({_NAME})", text[end:])
    if after and after.group(1).lower() not in _STOP:
        return after.group(1)
    return None


_LIVE = re.compile(r"\b(?:is|are|went|goes|now) live\b", re.IGNORECASE)


def deploy_of(text: str) -> Mention | None:
    unquoted = _QUOTED.sub(" ", text)
    if unquoted != text and _DEPLOY.search(unquoted):
        return _deploy_of(unquoted)
    return _deploy_of(text)


def _deploy_of(text: str) -> Mention | None:
    verb = _DEPLOY.search(text)
    note = _RELEASE_NOTE.match(text)
    if note and note.group("svc").lower() not in _STOP:
        # "orders-api v5.4.0 going out", "feature-extractor v2.0.0: bumped CPU to 2 cores"
        phrase = verb.group(0) if verb else "release"
        return Mention(Kind.DEPLOY, note.group("svc"), note.group("ver"), phrase=phrase)
    app = _APP_PATH.search(text)
    if app and app.group("svc").lower() not in _STOP:
        version = _VERSION.search(text, app.end())
        return Mention(
            Kind.DEPLOY,
            app.group("svc"),
            version.group(0) if version else None,
            phrase=app.group("did"),
            namespace=app.group("ns"),
        )
    if verb is None:
        # "build image ci-builder:2026.12 is live for all pipelines": an image going live is a release
        image, live = _IMAGE.search(text), _LIVE.search(text)
        if image and live:
            return Mention(Kind.DEPLOY, image.group("svc"), image.group("ver"), phrase=live.group(0))
        return None
    image = _IMAGE.search(text)
    if image:
        return Mention(Kind.DEPLOY, image.group("svc"), image.group("ver"), phrase=verb.group(0))
    version = _VERSION.search(text)
    service = _service_near(text, version.start(), version.end()) if version else None
    if service is None:
        after = re.match(rf"\s+(?:the\s+)?({_NAME})", text[verb.end() :])
        if after and after.group(1).lower() not in _STOP:
            service = after.group(1)
    if service is None:
        # "recommendations deployed right before this": the name just before the verb
        before = re.search(
            rf"(?<![\w.\-/])({_NAME})\s+(?:was\s+|is\s+|got\s+|been\s+)?$", text[: verb.start()]
        )
        if before and before.group(1).lower() not in _STOP:
            service = before.group(1)
    return Mention(Kind.DEPLOY, service, version.group(0) if version else None, phrase=verb.group(0))


def config_of(text: str) -> Mention | None:
    match = _CONFIG.search(text)
    if match:
        return Mention(
            Kind.CONFIG,
            match.group("svc"),
            key=match.group("key"),
            old=match.group("old"),
            new=match.group("new"),
            phrase=match.group(0),
        )
    rollout = _FLAG_MOVED.search(text)
    if rollout:
        return Mention(
            Kind.CONFIG,
            key=rollout.group("key"),
            old=rollout.group("old").lower(),
            new=rollout.group("new").lower(),
            phrase=rollout.group(0),
        )
    ramp = _RAMPED.search(text)
    if ramp:
        return Mention(
            Kind.CONFIG,
            key=ramp.group("key"),
            old=(ramp.group("old") or "").lower() or None,
            new=ramp.group("new").lower(),
            phrase=ramp.group(0),
        )
    flag = _FLAG.search(text)
    if flag:
        return Mention(
            Kind.CONFIG, key=flag.group("key"), new=flag.group("new").lower(), phrase=flag.group(0)
        )
    assign = _ASSIGN.search(text)
    if assign and (_CONFIG_WORDS.search(text) or re.search(r"\b(set|changed|updated)\b", text, re.I)):
        return Mention(Kind.CONFIG, key=assign.group("key"), new=assign.group("new"), phrase=assign.group(0))
    moved = _moved(text)
    if moved is not None:
        return moved
    words = _CONFIG_WORDS.search(text) or _POLICY.search(text)
    if words:
        return Mention(Kind.CONFIG, phrase=words.group(0))
    return None


def _moved(text: str) -> Mention | None:
    """A service, host or endpoint that now lives elsewhere (renamed, migrated, re-pointed)."""
    if _NOT_PROD.search(text):
        return None
    now_at = _NOW_AT.search(text)
    if now_at and re.search(rf"\b{_MOVE_VERB}\b|\bnow\b", text):
        subject = _MOVED_SUBJECT.search(text)
        service = subject.group("svc") if subject and subject.group("svc").lower() not in _STOP else None
        if service is None and now_at.group("key") is None:
            service = _service_near(text, now_at.start(), now_at.start())  # "search now points to ..."
        key = (now_at.group("key") or "endpoint").lower()
        return Mention(Kind.CONFIG, service, key=key, new=now_at.group("new"), phrase=now_at.group(0))
    moved = _MOVED.search(text)
    if moved:
        service = moved.group("svc2") or moved.group("svc")
        service = service if service and service.lower() not in _STOP else None
        return Mention(
            Kind.CONFIG,
            service,
            key=moved.group("key").lower(),
            old=moved.group("old"),
            new=moved.group("new"),
            phrase=moved.group(0),
        )
    return None


_AGO = re.compile(
    r"\b(?P<n>\d+|an?|one|two|three|few|couple of)\s+(?P<unit>hours?|hrs?|days?|weeks?)\s+ago\b"
    r"|\b(?P<word>yesterday|last night|last week|the other day|over the weekend|last weekend)\b(?!'s)"
    r"|\b(?:was|on|last|since)\s+(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
_WORDS_AGO = {
    "yesterday": timedelta(days=1),
    "last night": timedelta(hours=12),
    "last week": timedelta(days=7),
    "the other day": timedelta(days=2),
    "over the weekend": timedelta(days=2),
    "last weekend": timedelta(days=2),
}
_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "few": 3, "couple of": 2}
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(days=7)}


def said_before(text: str) -> timedelta | None:
    """How long before the message a change was made, when the message says so: "yesterday
    evening" (a day), "3 hours ago", "last week". None when it says nothing of the kind."""
    m = _AGO.search(text)
    if m is None:
        return None
    if m.group("word"):
        return _WORDS_AGO[m.group("word").lower()]
    if m.group("day"):
        return timedelta(days=1)  # a weekday named for it: a day ago at least, not minutes
    n = m.group("n").lower()
    count = _COUNTS.get(n) or int(n)
    return count * _UNITS[m.group("unit")[0].lower()]


# A person saying nothing was changed: "nobody touched resilience config", "we didn't deploy anything".
_DENIAL = re.compile(
    r"\b(?:nobody|no one|noone)\s+(?:has\s+)?(?:touched|changed|deployed|modified|rolled out|released)\b"
    r"|\b(?:did|have|has)\s*(?:n[o']?t|n't)\s+(?:touch|chang|deploy|modif|roll)\w*",
    re.IGNORECASE,
)
_CHANGES = (Kind.DEPLOY, Kind.CONFIG, Kind.INFRA)


def classify(text: str, *, bot: bool) -> list[Mention]:
    """Everything `text` announces or reports (see `_classify`), each change dated by what the
    message says of when it was made. A message denying a change announces none."""
    mentions = _classify(text, bot=bot)
    if _DENIAL.search(text):
        mentions = [m for m in mentions if m.kind not in _CHANGES]
    before = said_before(text)
    if before is None:
        return mentions
    return [replace(m, before=before) if m.kind in _CHANGES else m for m in mentions]


def _classify(text: str, *, bot: bool) -> list[Mention]:
    """Everything `text` announces or reports. Bots count for firings and for changes that carry
    concrete facts (a version, a key); their other chatter is noise."""
    out: list[Mention] = []
    firing = _FIRING.search(text)
    if firing:
        state = Kind.RESOLVED if firing.group("state").upper() == "RESOLVED" else Kind.FIRING
        out.append(Mention(state, key=firing.group("name"), phrase=firing.group(0)))
        return out  # an alert notification is not also a change or a symptom report
    notice = _NOTICE.search(text)
    if notice and not bot:
        return [Mention(Kind.NOTICE, phrase=notice.group(0))]
    if _FUTURE.search(text):
        text = _said_done(text)
        if not text:
            return out
    said = text
    text = _not_asked(text)
    config = config_of(text)
    if config and config.key and config.new and config.service is None:
        # `kubectl -n pricing set env deployment/pricing-engine POOL=80`: the command names what it touched
        manual = manual_change_of(text)
        if manual is not None and manual.service:
            config = replace(config, service=manual.service, namespace=manual.namespace)
    if not (config and config.key and config.new) and not _NOT_PROD.search(text):
        manual = manual_change_of(text)
        if manual is not None and manual.touch is Touch.DEPLOY:
            return [Mention(Kind.DEPLOY, manual.service, phrase=manual.phrase, namespace=manual.namespace)]
        if manual is not None:
            kind = Kind.INFRA if manual.touch is Touch.INFRA else Kind.CONFIG
            config = Mention(
                kind,
                manual.service,
                key=manual.key,
                phrase=manual.phrase,
                namespace=manual.namespace,
                verbatim=True,
                thing=manual.thing,
                diff=diff_of(text),
                old=manual.old,
                new=manual.new,
            )
    deploy = deploy_of(text)
    if deploy is not None and deploy.service is None and deploy.version is None:
        deploy = None  # "down for its OS upgrade": a verb alone says nothing that can be checked
    if deploy and (deploy.version or not config):
        if deploy.version or not bot:
            out.append(deploy)
    elif config and (config.key or not bot):
        out.append(config)
    text = said  # a question still reports what is seen ("anyone else seeing 502s on checkout?")
    if not out and not bot and _TRAFFIC.search(text) and _HAPPENING.search(text):
        out.append(Mention(Kind.TRAFFIC, phrase=_TRAFFIC.search(text).group(0)))  # type: ignore[union-attr]
    if not out and not bot and _SYMPTOM.search(text) and _REPORTER.search(text):
        asked = _ASKING.search(text) is not None and not _SEEN.search(text)
        out.append(Mention(Kind.SYMPTOM, phrase=_SYMPTOM.search(text).group(0), asked=asked))  # type: ignore[union-attr]
    return out


# Where a message's clauses part: after a sentence, or before ", will ..." / ", then tomorrow ...".
_CLAUSE = re.compile(
    r"(?<=[.;!?\n])\s+|,\s+(?=(?:and\s+|but\s+|then\s+)?(?:will|i'?ll|we'?ll|tomorrow|next)\b)", re.I
)
_DONE = re.compile(rf"\b(?:{_PAST_VERBS}|did|done|just)\b|\bkubectl\s+\w", re.IGNORECASE)


def _said_done(text: str) -> str:
    """The clauses of `text` that say what was done, when it also says what will be: "applied the
    new limits now, will PR the values file tomorrow" made a change; "will deploy tonight" did not.
    Empty when no clause without a future word says something was done."""
    now = [c for c in _CLAUSE.split(text) if c and not _FUTURE.search(c)]
    return " ".join(now) if any(_DONE.search(c) for c in now) else ""


# A question proposes a change or asks about one; it does not announce one: "should we bump the
# table to on-demand?", "can someone roll back checkout?", "has anyone changed the pool size?". A
# question that says what was done ("rolled back checkout to 1.4.2, did that help?") still does.
_QUESTION = re.compile(r"(?:[^.!?\n]|[.!](?=\S))*\?+")  # a sentence that asks ("1.4.2" does not end one)
_ASKED_WHETHER = re.compile(
    r"^\W*(?:did|has|have|had|was|were|is|are|should|shall|can|could|would|must|do|does)\s+"
    r"(?:anyone|someone|somebody|anybody|we|you|they|i)\b",
    re.IGNORECASE,
)
_DONE_SAID = re.compile(
    rf"\b(?:{_PAST_VERBS}|rolled back|reverted|deployed|released|restarted|shipped)\b", re.IGNORECASE
)


def _not_asked(text: str) -> str:
    """`text` without its questions that do not say something was done."""

    def kept(question: re.Match[str]) -> str:
        asked = question.group(0)
        return asked if _DONE_SAID.search(asked) and not _ASKED_WHETHER.search(asked) else " "

    return _QUESTION.sub(kept, text).strip() if "?" in text else text


def resolution_in(text: str) -> bool:
    """A thread reply that says how an earlier firing ended."""
    return _RESOLUTION.search(text) is not None
