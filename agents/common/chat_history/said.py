"""A change's title part that says what it set, in the words of the thing it touched: `report-worker
replicas to 40`, `feature flag cart-autosave-v2 from 5% to 100%`, `coredns: forward . 10.40.0.2 (was
/etc/resolv.conf)`, `trust anchor rotated (linkerd)`, `terraform trust policy of
module.media_api_irsa.aws_iam_role.this`. The value comes first so that a report citing the change
names it."""

from __future__ import annotations

import re

from agents.common.chat_history.extract import Mention
from agents.common.chat_history.values import platform_component, terraform_thing_words

# Keys that say how a change was made (`kubectl edit`), not what it set.
_HOW = {
    "scale": "replicas",
    "set resources": "resources",
    "set image": "image",
    "set env": "env",
    "edit": "edited",
    "apply": "applied",
    "patch": "patched",
    "replace": "replaced",
    "create": "created",
    "helm": "helm upgrade",
    "label": "labelled",
    "annotate": "annotated",
    "taint": "tainted",
}
_FLAG_WORDS = re.compile(r"\b(?:feature[ -]?flag|flag|toggle|launchdarkly|unleash|flagd|split\.io)\b", re.I)
_ROTATED = frozenset(
    {"trust anchor", "root CA", "CA bundle", "intermediate CA", "issuer certificate", "certificate"}
)


def setting_said(m: Mention, text: str = "") -> str | None:
    """What `m` (said in `text`) set, as a title part; None when the message names no value or thing."""
    subject = m.service or ""
    if m.key in _ROTATED:
        where = m.thing or subject or platform_component(text)
        return f"{m.key} rotated" + (f" ({where})" if where else "")
    cli = _AWS_KEY.fullmatch(m.key or "")
    if cli:
        return _aws_said(cli.group("svc"), cli.group("verb"), cli.group("obj"), m)
    words = terraform_thing_words(text) if m.key == "terraform" else None
    if words:
        return f"{words} changed by Terraform" + (f": {m.thing}" if m.thing else "")
    if not m.new:
        return None
    key = m.key or ""
    if _FLAG_WORDS.search(m.phrase) and not key.lower().startswith(("flag", "feature")):
        key = f"feature flag {key}"
    if key in _HOW and key not in {"scale", "set resources", "set image", "set env"}:
        key = _HOW[key]
        change = f"{key}: {m.new}" + (f" (was {m.old})" if m.old else "")
    elif key in _HOW:
        key = _HOW[key]
        change = f"{key} from {m.old} to {m.new}" if m.old else f"{key} to {m.new}"
    else:
        change = f"{key} from {m.old} to {m.new}" if m.old else f"{key} to {m.new}"
    return f"{subject} {change}".strip() if subject else change


# A pasted AWS CLI call's key (`kms put-key-policy`, `kinesis update-shard-count`).
_AWS_KEY = re.compile(r"(?P<svc>[a-z][a-z0-9\-]*) (?P<verb>[a-z]+)-(?P<obj>[a-z0-9][a-z0-9\-]*)")
_DONE = {
    "put": "set",
    "set": "set",
    "reset": "reset",
    "update": "updated",
    "modify": "modified",
    "delete": "deleted",
    "create": "created",
    "attach": "attached",
    "detach": "detached",
    "revoke": "revoked",
    "authorize": "authorized",
    "rotate": "rotated",
    "disable": "disabled",
    "enable": "enabled",
    "remove": "removed",
    "add": "added",
    "replace": "replaced",
    "merge": "merged",
    "split": "split",
    "change": "changed",
    "stop": "stopped",
    "start": "started",
}


def _aws_said(service: str, verb: str, obj: str, m: Mention) -> str:
    """A pasted AWS CLI call in words, the thing it acted on and the value it set first:
    `kms key policy set on 1234abcd`, `kinesis shard count updated on clicks-prod: 4 (was 8)`."""
    what = obj.replace("-", " ")
    said = f"{service} {what} {_DONE.get(verb, verb)}" + (f" on {m.thing}" if m.thing else "")
    if m.new:
        value = m.new.split("=", 1)[-1]
        said += f": {value}" + (f" (was {m.old})" if m.old else "")
    return said
