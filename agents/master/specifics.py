"""The specific thing a cause's evidence names: which probe on which port and path fails, which
action on which resource was denied, which volume or provisioner; the misspelled key a change left
behind; the remote host whose failure set the cause off. The patterns are the vocabulary's
(`shared.causes`): this module only reads them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from agents.master.decision import cited_text
from shared.causes import CAUSES, Specific
from shared.contracts import CauseCategory, EvidenceKind, Finding

MAX_SPECIFICS = 2  # distinct specific things named (a GetObject and a PutObject denied)
NEAR_MISS = 0.85  # how alike a changed key must be to a missing one to be named as its misspelling
_URL_HOST = re.compile(r"\b(?:https|wss|grpcs)?://(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,})")


def near_miss(
    category: CauseCategory, findings: Sequence[Finding], cited: Sequence[str], change: Finding
) -> str:
    """When the cause's evidence names its culprit (`CauseKind.culprit`: the setting a workload says
    is missing) and the triggering change names a near miss of it rather than it, one sentence
    saying so: the misspelled key is the specific thing that broke."""
    pattern = CAUSES[category].culprit
    if pattern is None:
        return ""
    text = cited_text(findings, cited)
    wanted = [next(g for g in m.groups() if g) for m in pattern.finditer(text)]
    changed = re.findall(r"[A-Za-z][A-Za-z0-9_.\-]{2,}", " ".join([change.title, change.detail]))
    for name in dict.fromkeys(wanted):
        if name in changed:
            continue
        close = difflib.get_close_matches(name, [c for c in changed if c != name], n=1, cutoff=NEAR_MISS)
        if close:
            return f" The missing {name} is not in that change; it has {close[0]}, a near miss."
    return ""


def remote_host(
    category: CauseCategory, findings: Sequence[Finding], cited: Sequence[str]
) -> tuple[str, str] | None:
    """When the category's remote sign (`shared.causes`) shows in a cited log line with the host it
    calls, the sentence that names that host as the dependency whose failure set the cause off,
    and the host."""
    sign = CAUSES[category].remote
    if sign is None:
        return None
    ids = set(cited)
    for f in findings:
        if f.id not in ids:
            continue
        for text in (e.excerpt for e in f.evidence if e.kind is EvidenceKind.LOG_LINE):
            host = _URL_HOST.search(text)
            if host and sign.pattern.search(text):
                return sign.sentence.format(host=host.group("host")), host.group("host")
    return None


def specific(category: CauseCategory, findings: Sequence[Finding], cited: Sequence[str], said: str) -> str:
    """` Specifically: the liveness probe (HTTP port 8080, path /healthz) fails: connection refused.`
    from the cited evidence (`CauseKind.specifics`), or "" when it names nothing more than `said`."""
    found: list[str] = []
    by_id = {f.id: f for f in findings}
    texts = [
        t
        for fid in dict.fromkeys(cited)
        if (f := by_id.get(fid)) is not None
        for t in (f.title, f.detail, *(e.excerpt for e in f.evidence))
    ]
    for rule in CAUSES[category].specifics:
        for text in texts:
            for m in rule.pattern.finditer(text):
                phrase, values = _phrase(rule, m.groupdict())
                said_all = bool(values) and all(v.lower() in said.lower() for v in values)
                if not phrase or said_all or any(f.startswith(phrase) for f in found):
                    continue
                # A fuller phrase of the same thing (with its resource) replaces the shorter one.
                found = [f for f in found if not phrase.startswith(f)] + [phrase]
        if found:
            break  # the first rule that matches is the most specific one
    return f" Specifically: {'; '.join(found[:MAX_SPECIFICS])}." if found else ""


def _phrase(rule: Specific, groups: dict[str, str | None]) -> tuple[str, list[str]]:
    """The sentence pieces whose groups all matched, and the values they name."""
    values = {k: v.strip() if k != "probe" else v.lower() for k, v in groups.items() if v}
    out, named = "", list[str]()
    for part in rule.parts:
        names = re.findall(r"{(\w+)}", part)
        if all(n in values for n in names):
            out += part.format(**values)
            named.extend(values[n] for n in names)
        elif not out:
            return "", []  # the first part is the sentence itself: without it, nothing is said
    return out, named
