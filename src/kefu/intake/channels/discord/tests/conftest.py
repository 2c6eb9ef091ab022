from __future__ import annotations

from collections.abc import Iterator

import pytest

from kefu.intake.channels.discord.tests.server import FakeDiscord, serve


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    yield from serve()
