"""Console pages of the channels: accounts and their health, the official-channel registry,
and each channel's own pages."""

from django.urls import include, path

from kefu.intake import console_views as views
from kefu.intake.verification_urls import console_urlpatterns as official_urlpatterns

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/<str:kind>/", views.channel_account, name="new"),
    path("<int:account_id>/", views.channel_account, name="account"),
    path("<int:account_id>/check/", views.check_account, name="check"),
    path("deliveries/<int:delivery_id>/retry/", views.retry_delivery, name="retry_delivery"),
    path("email/", include("kefu.intake.channels.email.urls")),
    path("telegram/", include("kefu.intake.channels.telegram.urls")),
    path("discord/", include("kefu.intake.channels.discord.urls")),
    path("webhook/", include("kefu.intake.channels.webhook.urls")),
    path("phone/", include("kefu.intake.channels.phone.urls")),
    path("official/", include((official_urlpatterns, "official"))),
]
