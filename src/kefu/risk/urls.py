from django.urls import path

from kefu.risk import views

app_name = "risk"

urlpatterns = [
    path("screen/", views.screen, name="screen"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:case_id>/", views.case, name="case"),
    path("policies/", views.policies, name="policies"),
]
