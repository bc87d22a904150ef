"""Which lines of a crashed container's log can say why it exited.

A process that exits on an error logs it at error level (or as a bare exception or stack line);
warnings logged before it (a throttled call being retried, a deprecated setting) were survived, not
what killed it. Of a crashed container's error-looking lines, those stamped with a level below
error are dropped when any other line is left: a louder warning does not explain the exit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A level word as log frameworks write it: `WARN 1 --- [main]`, `[warning]`, `level=warn`,
# `"level":"info"`, `W1207 14:34:02` (klog).
_BELOW_ERROR = re.compile(
    r"(?:^|[\s\[|(])(?:WARN(?:ING)?|INFO|DEBUG|NOTICE|TRACE)(?=[\s\]|:)]|$)"
    r"|\blevel[\"']?\s*[:=]\s*[\"']?(?:warn(?:ing)?|info|debug|notice|trace)\b"
    r"|^[WI]\d{4} \d\d:\d\d:\d\d",
    re.IGNORECASE,
)
# A line at error level or above keeps its place whatever else it says.
_ERROR_LEVEL = re.compile(
    r"(?:^|[\s\[|(])(?:ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE)(?=[\s\]|:)]|$)"
    r"|\blevel[\"']?\s*[:=]\s*[\"']?(?:error|fatal|critical|panic)\b",
    re.IGNORECASE,
)


def below_error(line: str) -> bool:
    """Whether `line` is stamped with a level below error (and with no error level)."""
    return bool(_BELOW_ERROR.search(line)) and not _ERROR_LEVEL.search(line)


def crash_lines(lines: Sequence[str]) -> list[str]:
    """The lines of a crashed container's log that can explain the exit: without the ones logged
    below error level, unless nothing else is left."""
    kept = [line for line in lines if not below_error(line)]
    return kept or list(lines)
