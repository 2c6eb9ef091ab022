"""Console pages of the discord channel (under /console/channels/discord/)."""

from django.urls import URLPattern

app_name = "discord"
urlpatterns: list[URLPattern] = []
