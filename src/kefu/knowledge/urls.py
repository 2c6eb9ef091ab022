from django.urls import path

from kefu.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.home, name="home"),
]
