"""Websocket routes."""

from __future__ import annotations

from django.urls import path

from kefu.conversations.consumers import StaffConsumer
from kefu.intake.consumers import CustomerConsumer

websocket_urlpatterns = [
    path("ws/customer/", CustomerConsumer.as_asgi()),
    path("ws/console/", StaffConsumer.as_asgi()),
]
