from django.urls import path

from kefu.rules import views

app_name = "rules"

urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_edit, name="new"),
    path("<int:rule_id>/edit/", views.rule_edit, name="edit"),
    path("<int:rule_id>/active/", views.rule_active, name="active"),
    path("<int:rule_id>/move/", views.rule_move, name="move"),
    path("<int:rule_id>/delete/", views.rule_delete, name="delete"),
]
