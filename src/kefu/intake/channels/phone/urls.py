"""Console pages of the phone channel (under /console/channels/phone/)."""

from django.urls import URLPattern, path

from kefu.intake.channels.phone import views

app_name = "phone"
urlpatterns: list[URLPattern] = [
    path("c/<int:conversation_id>/log/", views.log_call, name="log_call"),
]
