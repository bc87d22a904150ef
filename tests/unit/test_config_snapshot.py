"""`defaults.snapshot_deadline_seconds`: validated like every deadline, and the one a snapshot
(and each scanner's budget within it) runs under, while investigations keep theirs."""

from __future__ import annotations

import pytest

from shared.config import load_config, parse_config
from shared.errors import ConfigError


def with_defaults(**defaults: object) -> dict[str, object]:
    return {
        "defaults": defaults,
        "agents": {"master": {"role": "master", "port": 9100, "runtime_arn_env": "SRE_MASTER_RUNTIME_ARN"}},
    }


@pytest.mark.parametrize("value", [0, -5, "soon", 901])
def test_a_bad_snapshot_deadline_is_refused_naming_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"defaults\.snapshot_deadline_seconds"):
        parse_config(with_defaults(snapshot_deadline_seconds=value))


def test_a_snapshot_runs_under_its_own_deadline_and_investigations_keep_theirs() -> None:
    config = load_config()
    assert config.defaults.snapshot_deadline_seconds == 25
    snapshot = config.for_mode("snapshot")
    assert snapshot.defaults.deadline_seconds == 25
    assert all(snapshot.budget_for(agent) <= 25 for agent in config.scanners())
    assert config.for_mode("investigate").defaults.deadline_seconds == 60
