"""What a mutating AWS CLI call pasted in chat touches and sets: the resource named by its
`--*-name`, `--*-id`, `--*-arn`, `--*-identifier` or `--*-url` argument (`aws kinesis
update-shard-count --stream-name clickstream-prod`: `clickstream-prod`), as the evidence names it
(an ARN or a queue URL by its last part), and the new value a numeric argument sets
(`--target-shard-count 4`), with the old one when the pasted output says it. Pure; text is only
matched."""

from __future__ import annotations

import re

# Arguments that name the resource a call acts on, most telling first.
_NAMED = re.compile(
    r"(?<![\w\-])--(?P<arg>[a-z][a-z0-9\-]*?-?(?:name|id|arn|identifier|url)|bucket|cluster|service|"
    r"function|queue|topic|stream|table)[= ]+[\"']?(?P<value>[^\s\"']+)",
    re.IGNORECASE,
)
# Arguments that say how a call is made, never what it acts on.
_HOW = frozenset(
    {"region", "profile", "output", "query", "endpoint-url", "client-request-token", "cli-input-json"}
)
# A numeric argument a call sets (`--target-shard-count 4`, `--desired-capacity 2`, `--max-size 3`,
# `--reserved-concurrent-executions 0`, `--visibility-timeout 30`).
_NUMBER = re.compile(r"(?<![\w\-])--(?P<arg>[a-z][a-z0-9\-]*)[= ]+(?P<value>\d+(?:\.\d+)?)(?![\w.])", re.I)
# What a pasted response says the value was: `"CurrentShardCount": 8`.
_CURRENT = re.compile(r"\"Current(?P<what>[A-Za-z]+)\"\s*:\s*(?P<value>\d+)")


def short_name(value: str) -> str:
    """The name an ARN or a URL gives its resource, as logs and metrics name it:
    `arn:aws:sqs:eu-west-1:123:orders-dlq` -> `orders-dlq`, `https://sqs.../123/orders` -> `orders`."""
    value = value.rstrip("/,;")
    if value.startswith("arn:"):
        tail = value.split(":", 5)[-1]
        return re.split(r"[/:]", tail)[-1] or value
    if "://" in value:
        return value.rsplit("/", 1)[-1] or value
    return value


def resource_of(args: str) -> str | None:
    """The resource a pasted AWS CLI call acts on, by its naming argument; None when none is written."""
    for m in _NAMED.finditer(args):
        if m.group("arg").lower() in _HOW:
            continue
        return short_name(m.group("value"))
    return None


def setting_of(args: str, text: str = "") -> tuple[str, str, str | None] | None:
    """(argument, new value, old value) of the numeric setting a pasted call makes, the old one from
    its pasted response (`"CurrentShardCount": 8` for `--target-shard-count 4`); None when it sets none."""
    number = _NUMBER.search(args)
    if number is None:
        return None
    arg = number.group("arg").lower()
    old = None
    words = arg.replace("-", "")
    for current in _CURRENT.finditer(text):
        if current.group("what").lower() in words:
            old = current.group("value")
            break
    return arg, number.group("value"), old
