from django.urls import path

from kefu.intake.channels.form import views as form_views
from kefu.intake.channels.widget import views as widget_views

app_name = "intake"

urlpatterns = [
    path("widget.js", widget_views.widget_loader, name="widget_loader"),
    path("widget/frame/", widget_views.widget_frame, name="widget_frame"),
    path("support/new/", form_views.new_ticket, name="new_ticket"),
    path("t/<str:token>/", form_views.track, name="track"),
    path("t/<str:token>/messages/", form_views.track_messages, name="track_messages"),
    path("t/<str:token>/reply/", form_views.track_reply, name="track_reply"),
    path(
        "t/<str:token>/files/<int:attachment_id>/",
        form_views.track_attachment,
        name="track_attachment",
    ),
]
