"""moto keeps state per process: each sandbox server must start from nothing."""

from __future__ import annotations

import pytest

from sandbox.aws import MotoServer, client

pytestmark = pytest.mark.functional


def test_a_new_server_starts_empty() -> None:
    with MotoServer() as first:
        client("logs", first.url).create_log_group(logGroupName="/left/over")
    with MotoServer() as second:
        assert client("logs", second.url).describe_log_groups()["logGroups"] == []
