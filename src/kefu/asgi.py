"""The ASGI application: Django's pages and API for HTTP, Channels consumers for websockets."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from django.core.wsgi import get_wsgi_application

# Django must be set up before anything imports models.
django_application = get_wsgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from kefu.lib.live import remember_server_loop  # noqa: E402
from kefu.lib.runtime import tune_garbage_collector  # noqa: E402
from kefu.lib.websocket import SameOriginValidator  # noqa: E402
from kefu.lib.wsgi import ThreadedWsgi  # noqa: E402
from kefu.websockets import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": ThreadedWsgi(django_application),
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Every connection goes to the router; the first one tells ``kefu.lib.live`` which event
    loop serves this process."""
    remember_server_loop()
    await router(scope, receive, send)


tune_garbage_collector()
