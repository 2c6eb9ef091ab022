from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kefu.intake.channels.telegram import adapter  # noqa: F401 - registers the adapter
from kefu.intake.channels.telegram.tests.bot_api import BotApi, running_bot_api


@pytest.fixture
def bot_api(settings: Any, tmp_path: Path) -> Iterator[BotApi]:
    settings.MEDIA_ROOT = tmp_path
    with running_bot_api() as state:
        yield state
