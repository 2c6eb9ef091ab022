"""Console pages of the webhook channel (under /console/channels/webhook/)."""

from django.urls import URLPattern

app_name = "webhook"
urlpatterns: list[URLPattern] = []
