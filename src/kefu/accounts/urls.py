from django.urls import path

from kefu.accounts import views

app_name = "accounts"

urlpatterns = [
    path("auth/login/", views.login_view, name="login"),
    path("auth/verify/", views.verify_view, name="verify"),
    path("auth/enrol/", views.enrol_view, name="enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile_view, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_token_view, name="revoke_token"),
]
