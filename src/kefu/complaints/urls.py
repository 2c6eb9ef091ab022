from django.urls import path

from kefu.complaints import views

app_name = "complaints"

urlpatterns = [
    path("console/cases/", views.case_list, name="list"),
    path("console/cases/<int:case_id>/", views.case_detail, name="detail"),
    path("console/cases/<int:case_id>/notes/", views.add_note, name="add_note"),
    path("console/cases/<int:case_id>/investigate/", views.start_investigation, name="investigate"),
    path("console/cases/<int:case_id>/resolution/", views.propose_resolution, name="resolution"),
    path("console/cases/<int:case_id>/reassign/", views.reassign, name="reassign"),
    path("console/cases/<int:case_id>/close/", views.close, name="close"),
    path(
        "console/c/<int:conversation_id>/complaint/",
        views.mark_as_complaint,
        name="mark_as_complaint",
    ),
    path("t/<str:token>/escalate/", views.customer_escalate, name="customer_escalate"),
    path(
        "t/<str:token>/case/<int:case_id>/confirm/",
        views.customer_confirm,
        name="customer_confirm",
    ),
    path("t/<str:token>/case/<int:case_id>/reject/", views.customer_reject, name="customer_reject"),
]
