from django.urls import path

from kefu.nlu import views

app_name = "nlu"

urlpatterns = [
    path("messages/<int:message_id>/intent/", views.correct_intent, name="correct_intent"),
]
