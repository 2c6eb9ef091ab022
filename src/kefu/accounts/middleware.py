"""Keep the console and the admin site behind a password *and* a second factor."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

PROTECTED_PREFIXES = ("/console/", "/admin/")
SIGN_IN_PREFIX = "/console/auth/"
SESSION_TWO_FACTOR_KEY = "kefu_two_factor_at"


def is_two_factor_session(request: HttpRequest) -> bool:
    """Whether the request's session belongs to a staff member who passed 2FA."""
    user = getattr(request, "user", None)
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and request.session.get(SESSION_TWO_FACTOR_KEY)
    )


class StaffTwoFactorMiddleware:
    """Send anyone without a two-factor session to the sign-in page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        protected = path.startswith(PROTECTED_PREFIXES) and not path.startswith(SIGN_IN_PREFIX)
        if protected and not is_two_factor_session(request):
            return self._to_sign_in(request)
        return self.get_response(request)

    @staticmethod
    def _to_sign_in(request: HttpRequest) -> HttpResponse:
        login_url = reverse("accounts:login")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            login_url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return HttpResponseRedirect(login_url)
