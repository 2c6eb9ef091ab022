"""Staff sign-in (password, then authenticator code), sign-out and the profile page."""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts import services
from kefu.accounts.access import request_staff_user
from kefu.accounts.errors import TwoFactorInvalid
from kefu.accounts.forms import ApiTokenForm, CodeForm, PasswordForm
from kefu.accounts.middleware import SESSION_TWO_FACTOR_KEY
from kefu.accounts.models import User
from kefu.lib.errors import RateLimited
from kefu.lib.ratelimit import check_rate_limit, client_address

PENDING_USER_KEY = "kefu_pending_user"
PENDING_AT_KEY = "kefu_pending_at"
PENDING_SECRET_KEY = "kefu_pending_totp_secret"  # noqa: S105 - a session key name
NEXT_KEY = "kefu_next"
PENDING_SECONDS = 300


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: username and password. Nobody is signed in until the second step passes."""
    form = PasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            check_rate_limit(request, "login")
            check_rate_limit(request, "login", key="user:" + form.cleaned_data["username"].lower())
        except RateLimited as limited:
            return render(
                request, "accounts/login.html", {"form": form, "error": limited.message}, status=429
            )
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if isinstance(user, User):
            request.session.cycle_key()
            request.session[PENDING_USER_KEY] = user.pk
            request.session[PENDING_AT_KEY] = time.time()
            request.session[NEXT_KEY] = _safe_next(request)
            return redirect("accounts:verify" if user.has_two_factor else "accounts:enrol")
        error = _("Wrong username or password.")
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": request.GET.get("next", "")},
    )


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """Step two for enrolled staff: the code from their authenticator app."""
    user = _pending_user(request)
    if user is None or not user.has_two_factor:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            check_rate_limit(request, "login", key=f"totp:{user.pk}")
            services.verify_totp(
                user, form.cleaned_data["code"], ip_address=client_address(request)
            )
        except (TwoFactorInvalid, RateLimited) as failure:
            error = str(failure.message)
        else:
            return _complete_sign_in(request, user)
    return render(request, "accounts/verify.html", {"form": form, "error": error})


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Step two for staff without an authenticator: scan the QR code, then prove it works."""
    user = _pending_user(request)
    if user is None or user.has_two_factor:
        return redirect("accounts:login")
    secret = request.session.get(PENDING_SECRET_KEY) or services.new_totp_secret()
    request.session[PENDING_SECRET_KEY] = secret
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            check_rate_limit(request, "login", key=f"totp:{user.pk}")
            services.confirm_totp_enrolment(
                user, secret, form.cleaned_data["code"], ip_address=client_address(request)
            )
        except (TwoFactorInvalid, RateLimited) as failure:
            error = str(failure.message)
        else:
            return _complete_sign_in(request, user)
    uri = services.totp_provisioning_uri(user, secret, issuer=request.get_host().split(":")[0])
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "error": error,
            "secret": secret,
            "qr_svg": services.qr_code_svg(uri),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if isinstance(request.user, User):
        services.record_sign_out(request.user, ip_address=client_address(request))
    logout(request)
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    """The staff member's own page: API tokens."""
    user = request_staff_user(request)
    form = ApiTokenForm(request.POST or None)
    new_token = ""
    if request.method == "POST" and form.is_valid():
        _token, new_token = services.create_api_token(
            user, form.cleaned_data["name"], ip_address=client_address(request)
        )
        form = ApiTokenForm()
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request, "accounts/profile.html", {"form": form, "tokens": tokens, "new_token": new_token}
    )


@login_required
@require_POST
def revoke_token_view(request: HttpRequest, token_id: int) -> HttpResponse:
    services.revoke_api_token(
        request_staff_user(request), token_id, ip_address=client_address(request)
    )
    return redirect("accounts:profile")


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER_KEY)
    started = request.session.get(PENDING_AT_KEY, 0)
    if not user_id or time.time() - float(started) > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _complete_sign_in(request: HttpRequest, user: User) -> HttpResponse:
    next_url = request.session.get(NEXT_KEY) or reverse("conversations:inbox")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_TWO_FACTOR_KEY] = time.time()
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        max_age=365 * 24 * 3600,
    )
    return response


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


@require_GET
def brand_css(request: HttpRequest) -> HttpResponse:
    """The brand's colour as a stylesheet (pages carry no inline styles)."""
    brand = services.get_brand()
    color = (
        brand.primary_color if re.fullmatch(r"#[0-9a-fA-F]{6}", brand.primary_color) else "#0b6bcb"
    )
    response = HttpResponse(f":root {{ --brand: {color}; }}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=60"
    return response
