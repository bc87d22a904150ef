"""The one relevance scale: what `Finding.relevance` (0..1) means, shared by scanners and the master.

A scanner rates how tied a finding is to what the alert is about; the master's bars for "counts
towards a cause", "may be cited", "is shown" and "is a live problem" are levels of the same
scale, so a scanner knows what its number will do. Levels, highest first:
"""

from __future__ import annotations

from typing import Final


class Relevance:
    """Named levels of `Finding.relevance`. Values between levels are allowed (a workload's pod at
    0.95, a log group configured for a service at 0.85); comparisons use the names."""

    # The very object the alert names: its pod, the log group it names.
    ITSELF: Final = 1.0
    # The alert's own workload, service or node, or a source configured for it: a finding at this
    # level is as good as about the target (scanners rate it critical when it is severe).
    DIRECT: Final = 0.9
    # Tied to the target by name without being observed on it (a person in chat names it); a
    # finding this tied overrules an alert that calls itself a test or a heartbeat.
    LINKED: Final = 0.8
    # Beside the target: the same namespace, or a thing the cause's own evidence names. A scanner
    # treats a finding from here up as about the target; a change without a time counts from here.
    NEAR: Final = 0.6
    # Cannot tell: the alert names nothing to tie it to. The default. From here a finding is shown
    # in the report and a change strengthens the causes it fits.
    UNSURE: Final = 0.5
    # Weakly tied: from here a finding may be cited as evidence and is a live problem.
    CITABLE: Final = 0.4
    # From here a finding counts towards a cause (adds weight) and a change may be a trigger.
    SUPPORTING: Final = 0.3
    # Elsewhere in the cluster or account: context, never evidence.
    ELSEWHERE: Final = 0.2
