"""Changes that lower a capacity ceiling: an HPA's `maxReplicas`, an autoscaling group's
`--max-size`, a stream's shard count, a function's reserved concurrency, a table's provisioned
capacity, a pool's or server's connection limit. Made when load is low ("idle overnight, merging
shards"), such a change bites hours later, when load next rises to the old ceiling: it is read from
before the alert's window too (`shared.causes.CEILING_LOOKBACK`). Pure; text is only matched."""

from __future__ import annotations

import re

from shared.causes import CAPACITY_CEILING

# Words that say the ceiling went down, not up.
_LOWERED = re.compile(
    r"\b(?:capp(?:ed|ing)|cap (?:it|its|the)|lower(?:ed|ing)?|reduc(?:ed|ing)|cut(?:ting)?|halv(?:ed|ing)|"
    r"merg(?:ed|ing)|shrunk|shrink(?:ing)?|trimm(?:ed|ing)|down to|from \d+ to \d+|"
    r"scal(?:ed|ing) (?:it )?down|save|saving|cost)\b",
    re.IGNORECASE,
)


def lowers_a_cap(text: str) -> bool:
    """Whether `text` says (or a pasted command makes) a capacity ceiling lower."""
    return CAPACITY_CEILING.search(text) is not None and (
        _LOWERED.search(text) is not None or _SET_CAP.search(text) is not None
    )


# A command that sets a ceiling to a number (`{"maxReplicas":4}`, `--max-size 2`, `--target-shard-count 4`):
# whether lower or higher is read from the words around it, or from the old value it replaced.
_SET_CAP = re.compile(
    r"\"?max_?replicas\"?\s*[:=]\s*\d+|--(?:max-size|target-shard-count|reserved-concurrent-executions|"
    r"desired-capacity)[= ]+\d+",
    re.IGNORECASE,
)
