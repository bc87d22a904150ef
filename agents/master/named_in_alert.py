"""An alert whose labels name nothing may still name its subject in its words: a Datadog monitor
"Kafka consumer lag high on orders-enricher", a CloudWatch alarm's description, a person's
"orders-enricher is stuck". Scanners that found nothing in the labels rate every finding as middling
(`Relevance.UNSURE`), so no cause stands out. When a hyphenated name the alert writes is what some
findings are about (their pods, their workload), those findings are about the alert's subject:
they are rated as linked to it (`Relevance.LINKED`), below what a label would give. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.master.chain import about, target_names, workloads
from shared.contracts import AlertContext, Finding
from shared.relevance import Relevance

# Hyphenated Kubernetes-like names in prose; words of a URL are left out beforehand.
_NAME = re.compile(r"(?<![\w.\-/@:=])[a-z0-9]+(?:-[a-z0-9]+)+(?![\w\-]|\.[\w\-])")
_URL = re.compile(r"\b\w+://\S+")
MIN_NAME = 5


def named_subjects(ctx: AlertContext, findings: Sequence[Finding]) -> tuple[str, ...]:
    """The names in the alert's words that findings are about, when its labels name no subject."""
    if target_names(ctx):
        return ()
    words = _URL.sub(" ", " ".join([ctx.text or "", *ctx.annotations.values()]).lower())
    names = dict.fromkeys(m.group(0) for m in _NAME.finditer(words) if len(m.group(0)) >= MIN_NAME)
    return tuple(n for n in names if any(n in workloads(f) or about(f, (n,)) for f in findings))


def rated_by_the_alerts_words(ctx: AlertContext, findings: Sequence[Finding]) -> list[Finding]:
    """`findings`, those about a subject the alert names in its words rated as linked to it."""
    named = named_subjects(ctx, findings)
    if not named:
        return list(findings)
    return [
        f.model_copy(update={"relevance": Relevance.LINKED})
        if f.relevance < Relevance.LINKED and (set(workloads(f)) & set(named) or about(f, named))
        else f
        for f in findings
    ]
