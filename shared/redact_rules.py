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
    """`text` with every match of the library's rules masked."""
    for pattern in library_patterns():
        if pattern.search(text) is None:
            continue
        text = pattern.sub(lambda m: _masked(m, mask), text)
    return text


def _masked(match: re.Match[str], mask: str) -> str:
    whole = match.group(0)
    start = match.start()
    spans = [match.span(i) for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    spans = [(a, b) for a, b in spans if b - a >= MIN_GROUP]
    if not spans:
        inner = whole.strip(_EDGE)
        if not inner or inner.startswith("[REDACTED"):
            return whole
        lead = len(whole) - len(whole.lstrip(_EDGE))
        return whole[:lead] + mask + whole[lead + len(inner) :]
    # The outermost groups, in order: a group inside another is covered by it.
    spans.sort(key=lambda s: (s[0], -s[1]))
    out, last = [], start
    for a, b in spans:
        if a < last:
            continue
        if whole[a - start : b - start].startswith("[REDACTED"):
            continue
        out += [whole[last - start : a - start], mask]
        last = b
    return "".join(out) + whole[last - start :]
