"""A maintained rule set on top of our own patterns: detect-secrets' regex-based detectors, as data.

detect-secrets (Yelp, PyPI) keeps a plugin per credential kind; the regex-based ones are each a
list of compiled patterns (`denylist`). Importing the library costs half a second (it imports all
its plugins and `requests`), too much for every process's cold start and for the intake's Lambda,
so the patterns are exported once to `secret_rules.json` beside this file (`python -m
shared.secret_rules_export > shared/secret_rules.json`, after upgrading detect-secrets) and read
from there. A test fails when the file and the installed library differ, so an upgrade that brings new
rules cannot go unnoticed.

Left out, and why:
- the high-entropy and keyword detectors: not regex-based (ours mask named values and keys);
- `IPPublicDetector`: a public IP in a log is evidence, not a credential;
- `PrivateKeyDetector`: ours masks the whole key block; its patterns match only the header.

How a match is masked: a pattern whose groups capture the secret (an assignment, a URL's password)
has those groups masked when they hold at least `MIN_GROUP` characters; otherwise the whole match,
less the delimiters some patterns consume around the token (spaces, `=`, `:`, quotes).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path

RULES_FILE = Path(__file__).with_name("secret_rules.json")
MIN_GROUP = 8
_EDGE = " \t\r\n=:\"'"
_ESCAPES = re.compile(r"\\+(?=[\"'])")


@functools.cache
def library_patterns() -> tuple[re.Pattern[str], ...]:
    """The rules of `secret_rules.json`, compiled once per process. A file that cannot be read
    leaves our own patterns only (said once on stderr: this runs inside the log scrubber, which
    must never raise)."""
    try:
        data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
        return tuple(re.compile(rule["pattern"], rule["flags"]) for rule in data["rules"])
    except (OSError, ValueError, KeyError, TypeError, re.error) as e:
        sys.stderr.write(f"shared.redact_rules: the library's rules were not loaded ({type(e).__name__})\n")
        return ()


def mask_library_matches(text: str, mask: str) -> str:
    """`text` with every match of the library's rules masked. The rules are written for plain text:
    they run over a view of `text` without the backslashes that escape quotes (a value in JSON, in
    JSON inside JSON, in a repr), and what they find is masked in `text` itself."""
    view, where = _unescaped(text) if "\\" in text else (text, None)
    spans: list[tuple[int, int]] = []
    for pattern in library_patterns():
        for match in pattern.finditer(view):
            spans.extend(_secret_spans(match))
    if not spans:
        return text
    if where is not None:
        spans = [(where[a], where[b - 1] + 1) for a, b in spans]
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, last = [], 0
    for a, b in merged:
        out += [text[last:a], mask]
        last = b
    return "".join(out) + text[last:]


def _unescaped(text: str) -> tuple[str, list[int]]:
    """`text` without the backslashes before quotes, and for each character kept its index in
    `text`."""
    kept: list[str] = []
    where: list[int] = []
    last = 0
    for run in _ESCAPES.finditer(text):
        kept.append(text[last : run.start()])
        where.extend(range(last, run.start()))
        last = run.end()
    kept.append(text[last:])
    where.extend(range(last, len(text)))
    return "".join(kept), where


def _secret_spans(match: re.Match[str]) -> list[tuple[int, int]]:
    """Where the secret of a match is: its capturing groups of at least `MIN_GROUP` characters,
    else the whole match less the delimiters around the token; nothing already masked."""
    groups = [match.span(i) for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    spans = [(a, b) for a, b in groups if b - a >= MIN_GROUP]
    if not spans:
        start, end = match.span()
        whole = match.group(0)
        start += len(whole) - len(whole.lstrip(_EDGE))
        end -= len(whole) - len(whole.rstrip(_EDGE))
        spans = [(start, end)] if end > start else []
    text = match.string
    return [(a, b) for a, b in spans if not text.startswith("[REDACTED", a)]
