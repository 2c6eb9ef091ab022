"""Settings for the test suite: the normal settings, with a throw-away data directory, a cheap
password hasher and tasks run inline, so worker code is covered without a worker.

``DATABASE_URL`` and ``REDIS_URL`` still switch the suite to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import tempfile
import uuid

os.environ.setdefault("KEFU_DATA_DIR", tempfile.mkdtemp(prefix="kefu-test-"))
os.environ.setdefault("KEFU_FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("KEFU_TASKS_IMMEDIATE", "1")
# Trained language models are kept between test runs (a model directory is named by a hash of
# its data and settings, so a stale one is never used).
os.environ.setdefault("KEFU_MODELS_DIR", os.path.join(tempfile.gettempdir(), "kefu-test-models"))
# Each test run (and each xdist worker) gets its own Redis key space.
os.environ.setdefault("KEFU_REDIS_PREFIX", f"kefu-test-{uuid.uuid4().hex[:8]}")

from kefu.settings import *  # noqa: F403

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "http://testserver"
# Close connections after each unit of work, so threads of the websocket tests do not keep the
# test database open when it is dropped (and no pool holds connections to it either).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
BOT_ENABLED = False  # the bot tests turn it on; other tests see only what they post
