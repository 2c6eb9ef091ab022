"""The public page where customers check whether a handle or address is the exchange's
(``urlpatterns``, mounted at /verify/), and the console page of the registry
(``console_urlpatterns``, namespace "official" inside the console's channel pages)."""

from django.urls import URLPattern, path

from kefu.intake import verification_views as views

app_name = "verification"
urlpatterns: list[URLPattern] = [
    path("", views.verify, name="verify"),
]

console_urlpatterns: list[URLPattern] = [
    path("", views.registry, name="registry"),
    path("<int:channel_id>/deactivate/", views.deactivate, name="deactivate"),
]
