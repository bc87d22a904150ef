from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Shared, noisy CI machines: a per-example deadline would fail tests on scheduling jitter, not on
# behaviour. `HYPOTHESIS_PROFILE=thorough` runs every property with many more examples, to hunt for
# properties that only hold most of the time.
settings.register_profile("default", deadline=None)
settings.register_profile("thorough", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
