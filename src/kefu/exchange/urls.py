from django.urls import path

from kefu.exchange import views

app_name = "exchange"

urlpatterns = [
    path("c/<int:conversation_id>/exchange/", views.account_card, name="account"),
    path("c/<int:conversation_id>/exchange/action/", views.account_action, name="action"),
]
