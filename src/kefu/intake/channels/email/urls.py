"""Console pages of the email channel (under /console/channels/email/)."""

from django.urls import URLPattern

app_name = "email"
urlpatterns: list[URLPattern] = []
