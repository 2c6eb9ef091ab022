"""Console pages of the telegram channel (under /console/channels/telegram/)."""

from django.urls import URLPattern

app_name = "telegram"
urlpatterns: list[URLPattern] = []
