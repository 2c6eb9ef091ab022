"""URL routes of every page and the API."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kefu.accounts.views import brand_css
from kefu.api import api
from kefu.lib import health

urlpatterns = [
    path("", include("kefu.knowledge.urls")),
    path("", include("kefu.intake.urls")),
    path("console/", include("kefu.accounts.urls")),
    path("console/", include("kefu.conversations.urls")),
    path("console/", include("kefu.exchange.urls")),
    path("console/", include("kefu.routing.urls")),
    path("", include("kefu.complaints.urls")),
    path("console/nlu/", include("kefu.nlu.urls")),
    path("console/rules/", include("kefu.rules.urls")),
    path("console/risk/", include("kefu.risk.urls")),
    path("console/channels/", include("kefu.intake.console_urls")),
    path("verify/", include("kefu.intake.verification_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("brand.css", brand_css, name="brand_css"),
]

if settings.DEMO_PAGES:
    from kefu.exchange.demo import views as demo_views

    urlpatterns += [
        path("demo/customers/", demo_views.demo_customers, name="demo_customers"),
        path("demo/customers/<str:user_id>/", demo_views.demo_customer, name="demo_customer"),
    ]

if settings.DEMO_EXCHANGE_SECRET:
    from kefu.exchange.demo.api import exchange_api

    urlpatterns.append(path("demo-exchange/", exchange_api.urls))

handler404 = "kefu.lib.pages.not_found"
handler500 = "kefu.lib.pages.server_error"
