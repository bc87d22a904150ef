"""What a log line says about itself, read the same by every scanner that reads logs (CloudWatch Logs
queries and their local re-checks, EKS pod-log tails): an error-like line, a marker line (a start,
a version, a config reload).
"""

from __future__ import annotations

import re

# What makes a line worth clustering as an error (a `/` must be escaped: Insights ends a regex
# there). Broad on purpose: the templates and the
# signatures decide what it means; this only keeps INFO chatter out of the sample.
ERROR_WORDS = (
    r"error|exception|fatal|panic|fail|refused|denied|forbidden|unauthori[sz]ed|timed? ?out|throttl"
    r"|unavailable|oom|killed|no space|x509|certificate|expired|cannot|unable|too many|exceeded"
    r"|not found|no such host|unreachable|crash|traceback|reset by peer|no (active )?endpoints?"
    r"|not have any active endpoint"
    r"|\s5\d\d\s+\d+(\.\d+)?m?s\b|status[=: ]+5\d\d\b|HTTP\/\d(\.\d)?\"? 5\d\d\b"
)
MARKER_WORDS = (
    r"config(uration)? ?(re)?load|reloaded|reloading|config(uration)? (changed|updated)|feature flag"
    r"|start(ed|ing)|version|deploy(ed|ing)|rolling out"
    r"|(secret|password|certificate) (rotated|renewed|reloaded)"
)
ERROR_RE = re.compile(ERROR_WORDS, re.IGNORECASE)
MARKER_RE = re.compile(MARKER_WORDS, re.IGNORECASE)
