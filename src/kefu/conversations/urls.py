from django.urls import path

from kefu.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("c/<int:conversation_id>/", views.conversation_detail, name="detail"),
    path("c/<int:conversation_id>/stream/", views.conversation_stream_fragment, name="stream"),
    path("c/<int:conversation_id>/sidebar/", views.conversation_sidebar_fragment, name="sidebar"),
    path("c/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("c/<int:conversation_id>/properties/", views.update_properties, name="properties"),
    path("c/<int:conversation_id>/merge/", views.merge, name="merge"),
    path("files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("audit/", views.audit_log, name="audit_log"),
    path("canned/", views.canned_responses, name="canned_responses"),
    path("canned/<int:response_id>/", views.canned_responses, name="edit_canned_response"),
    path(
        "canned/<int:response_id>/delete/",
        views.delete_canned_response,
        name="delete_canned_response",
    ),
]
