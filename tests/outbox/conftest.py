"""The outbox kit's Box (outboxkit.py) on tests/conftest.py's store, closed after the test."""

from __future__ import annotations

import pytest

from outboxkit import Box


@pytest.fixture
async def box(store):
    box = await Box.open(store)
    yield box
    await box.close()
