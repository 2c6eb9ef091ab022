"""The demo exchange's REST contract mounted on its own, for the HTTP adapter's tests."""

from django.urls import path

from kefu.exchange.demo.api import exchange_api

urlpatterns = [path("demo-exchange/", exchange_api.urls)]
