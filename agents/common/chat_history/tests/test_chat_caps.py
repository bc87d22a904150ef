"""A capacity ceiling lowered hours before the alert is read as a change that can lie dormant."""

from __future__ import annotations

import pytest

from agents.common.chat_history.caps import lowers_a_cap


@pytest.mark.parametrize(
    "text",
    [
        'kubectl -n search patch hpa search-api --patch \'{"spec":{"maxReplicas":4}}\'',
        "aws kinesis update-shard-count --stream-name clicks --target-shard-count 4",
        "stream is idle overnight, merging shards to save on shard-hours",
        "capped the orders-api HPA max replicas at 3 to save cost",
        "aws autoscaling update-auto-scaling-group --auto-scaling-group-name web --max-size 2",
        "lowered max_connections on orders-pg from 500 to 100",
    ],
)
def test_a_lowered_ceiling_is_recognised(text: str) -> None:
    assert lowers_a_cap(text)


@pytest.mark.parametrize(
    "text",
    [
        "rolled out checkout v2.3.1",
        "lowered the log level of search-api to warn",
        "search latency is awful, roll it back?",
    ],
)
def test_other_changes_are_not_ceilings(text: str) -> None:
    assert not lowers_a_cap(text)
