from django.urls import path

from kefu.risk import views

app_name = "risk"

urlpatterns = [
    path("screen/", views.screen, name="screen"),
]
