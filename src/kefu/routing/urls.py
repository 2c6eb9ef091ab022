from django.urls import path

from kefu.routing import views

app_name = "routing"

urlpatterns = [
    path("presence/", views.presence, name="presence"),
    path("notifications/", views.notification_list, name="notifications"),
    path("waiting/", views.waiting, name="waiting"),
    path("sla/", views.sla_board, name="sla_board"),
    path("sla/policies/", views.sla_policies, name="sla_policies"),
    path("sla/policies/new/", views.sla_policy, name="new_sla_policy"),
    path("sla/policies/<int:policy_id>/", views.sla_policy, name="sla_policy"),
    path("sla/calendars/new/", views.calendar, name="new_calendar"),
    path("sla/calendars/<int:calendar_id>/", views.calendar, name="calendar"),
    path("sla/calendars/<int:calendar_id>/holidays/", views.holidays, name="holidays"),
    path("agents/", views.agents, name="agents"),
    path("agents/rebalance/", views.rebalance, name="rebalance"),
    path("agents/<int:staff_id>/", views.agent_profile, name="agent_profile"),
    path("c/<int:conversation_id>/tags/", views.tags, name="tags"),
]
