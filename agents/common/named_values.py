"""The specific thing an error line names, so a finding can say *which*: the flag or argument a
program does not know, the environment variable or config key it misses, the host and port it
cannot reach, the limit or policy the server enforces (`max_connections`, `maxmemory`,
`noeviction`). Read by the log scanners (CloudWatch Logs error templates, EKS pod-log tails) for
titles. Pure; the line is only matched, never acted on.
"""

from __future__ import annotations

import re

_QUOTE = "\"'`"
# `flag provided but not defined: -since-hours` (Go), `unknown flag: --since` (cobra),
# `error: unrecognized arguments: --foo` (argparse), `Unknown option '--bar'`, `invalid option -- 'x'`.
_FLAG = re.compile(
    r"(?:flag provided but not defined|unknown (?:shorthand )?flag|unrecogni[sz]ed (?:arguments?|options?)|"
    r"unknown (?:option|argument|parameter|command[- ]line (?:option|flag))|invalid (?:option|argument)|"
    r"no such option|illegal option)\s*(?:--\s*)?:?\s*[\"'`]?(?P<flag>-{0,2}[A-Za-z][\w.\-]*(?:=\S+)?)",
    re.IGNORECASE,
)
# A command a container's entrypoint or script cannot find: `sh: wge: not found`,
# `exec: "wge": executable file not found in $PATH`, `bash: line 1: wgett: command not found`.
_COMMAND = re.compile(
    r"(?:\bsh|\bbash|\bzsh|\bash)(?::\s*(?:line\s*)?\d+)?:\s*(?P<cmd>[\w.\-/]+):\s*(?:command )?not found"
    r"|exec:?\s*[\"'`]?(?P<exe>[\w.\-/]+)[\"'`]?:\s*executable file not found"
)
# An environment variable or setting a program says it misses or cannot read.
_MISSING = (
    re.compile(
        r"(?:environment variable|env var|config(?:uration)? (?:key|value|property)|setting|option|parameter|"
        r"property|placeholder|variable|key)\s+[\"'`]?(?P<key>[A-Za-z_][\w.\-]{1,80}?)[\"'`]?\s+"
        r"(?:is\s+)?(?:not set|not defined|undefined|unset|missing|required|empty|not found|must be set)",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:missing (?:required )?(?:environment variable|env var|config(?:uration)? (?:key|value|property)|"
        r"setting|option|parameter|variable|property|key)s?|Could not resolve placeholder|"
        r"no such key|unknown (?:config(?:uration)? )?key|KeyError:)"
        r"\s*:?\s*[\"'`]?(?P<key>[A-Za-z_$][\w.\-{}$]{1,80})",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?P<key>[A-Z][A-Z0-9]*_[A-Z0-9_]+)\b\s+"
        r"(?:is\s+)?(?:not set|undefined|unset|missing|required|empty)"
    ),
    re.compile(
        r"(?:couldn't find key|key) [\"'`]?(?P<key>[\w.\-]+)[\"'`]? (?:in|not found in) (?:ConfigMap|Secret) "
        r"[\"'`]?(?P<obj>[\w.\-/]+)",
        re.IGNORECASE,
    ),
    re.compile(r"(?P<kind>secret|configmap)s? [\"'`]?(?P<obj>[\w.\-]+)[\"'`]? not found", re.IGNORECASE),
)
# The host a connection or lookup failed to reach.
_HOST = (
    re.compile(r"\blookup (?P<host>[A-Za-z0-9][\w.\-]*\.[A-Za-z][\w.\-]*)(?: on (?P<server>[\d.]+:53))?"),
    re.compile(r"\bdial tcp (?P<host>[\w.\-\[\]:]+:\d{1,5})"),
    re.compile(r"\b(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)\s+(?P<host>[\w.\-]+:\d{1,5})"),
    re.compile(
        r"\b(?:getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|UnknownHostException:?|could not resolve host:?)"
        r"\s+(?P<host>[\w.\-]+)",
        re.IGNORECASE,
    ),
    re.compile(r"[a-z][a-z0-9+]*://(?:[^@/\s]*@)?(?P<host>[A-Za-z0-9][\w.\-]*(?::\d{1,5})?)"),
    re.compile(
        r"(?:connect(?:ion)? to|connecting to|reach|upstream)\s+[\"'`]?"
        r"(?P<host>[A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+:\d{1,5})",
        re.IGNORECASE,
    ),
)
# Limits and policies a server names when it refuses (Postgres, MySQL, Redis, kernels, quotas).
_LIMIT = re.compile(
    r"\b(?P<limit>max_connections|max_user_connections|maxclients|maxmemory(?:-policy)?|noeviction|"
    r"volatile-lru|allkeys-lru|max_wal_size|max_locks_per_transaction|ulimit|nofile|pids\.max|"
    r"exceeded quota|ProvisionedThroughput|ReadCapacityUnits|WriteCapacityUnits)\b",
    re.IGNORECASE,
)
_NOISE_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0"})


def _clean(value: str) -> str:
    return value.strip(_QUOTE + ".,;:)(")


def named_in(message: str, limit: int = 3) -> list[str]:
    """What `message` names as the thing that failed, most specific first: `flag -since-hours`,
    `missing DATABASE_URL`, `key db.url in ConfigMap app-config`, `host api.stripe.com`,
    `max_connections`. Empty when it names nothing of the kind."""
    out: list[str] = []

    def add(part: str) -> None:
        if part and part not in out and not any(part in o for o in out):
            out.append(part)

    flag = _FLAG.search(message)
    if flag:
        add(f"flag {_clean(flag.group('flag'))}")
    command = _COMMAND.search(message)
    if command:
        add(f"command {_clean(command.group('cmd') or command.group('exe'))} not found")
    for pattern in _MISSING:
        m = pattern.search(message)
        if m is None:
            continue
        groups = m.groupdict()
        key, obj = groups.get("key"), groups.get("obj")
        if key and obj:
            add(f"key {_clean(key)} in {_clean(obj)}")
        elif key:
            add(f"missing {_clean(key)}")
        elif obj:
            add(f"{(groups.get('kind') or 'object').lower()} {_clean(obj)} not found")
        break
    for pattern in _HOST:
        m = pattern.search(message)
        if m and _clean(m.group("host")).split(":")[0] not in _NOISE_HOSTS:
            server = m.groupdict().get("server")
            add(f"host {_clean(m.group('host'))}" + (f" (resolver {server})" if server else ""))
            break
    for m in _LIMIT.finditer(message):
        add(m.group("limit"))
    return out[:limit]


# A structured (JSON or logfmt) log line's fields that name what a change touched.
_CHANGE_FIELD = re.compile(
    r"[\"']?(?P<k>flag|feature|feature_flag|flag_key|toggle|key|setting|parameter|secret|certificate|cert|"
    r"issuer|policy|variation|value|enabled|rollout|percentage)[\"']?\s*[:=]\s*"
    r"(?:\"(?P<q>[^\"]{1,80})\"|(?P<v>[\w.\-/%]{1,80}))",
    re.IGNORECASE,
)
_MESSAGE_FIELD = re.compile(r"[\"']?(?:msg|message)[\"']?\s*[:=]\s*\"(?P<m>[^\"]{1,120})\"", re.IGNORECASE)


def change_fields(message: str, limit: int = 4) -> list[str]:
    """`flag=cart-autosave-v2`, `value=true`: the fields of a change line that say what changed and
    to what (`{"msg":"feature flag changed","flag":"cart-autosave-v2","value":true}`)."""
    out: list[str] = []
    for m in _CHANGE_FIELD.finditer(message):
        value = m.group("q") if m.group("q") is not None else m.group("v")
        part = f"{m.group('k').lower()}={value}"
        if part not in out:
            out.append(part)
        if len(out) >= limit:
            break
    return out


def message_field(message: str) -> str | None:
    """The `msg` of a structured log line (`feature flag changed`), if it has one."""
    m = _MESSAGE_FIELD.search(message)
    return m.group("m").strip() if m else None
